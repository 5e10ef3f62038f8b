use std::process::ExitCode;

// As in Ruff: a scan allocates an AST per file on every thread, and mimalloc is faster at that
// than the system allocator. Without transparent huge pages (`no_thp`), freed AST memory is not
// kept resident in 2 MiB pages: peak memory on the benchmark corpus stays below Ruff's instead of
// reaching 1.3x (README, Benchmarks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    swarmcheck::cli::main()
}
