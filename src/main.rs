use std::process::ExitCode;

// A scan allocates an AST per file on every thread, and mimalloc is faster at that than the
// system allocator. (Ruff uses mimalloc on Windows and jemalloc elsewhere; jemalloc here cut
// system time but raised peak memory about 15% on the benchmark corpus.) Without transparent huge
// pages (`no_thp`), freed AST memory is not kept resident in 2 MiB pages, which keeps peak memory
// on the benchmark corpus near Ruff's instead of reaching 1.3x (README, Benchmarks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (v3 numbering: the option before `use_numa_nodes`, which
/// the bindings export; they leave this one out).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;

fn main() -> ExitCode {
    // A scan frees each file's AST while the summaries of earlier files stay: pages freed that
    // way are returned to the system at once instead of after a second, which keeps peak memory
    // on the benchmark corpus about 15% lower for a few percent more system time (README,
    // Benchmarks). The option is set only while it holds this version's default (1000 ms), so a
    // renumbered enum cannot change another setting.
    // SAFETY: plain calls into the allocator's option table, made before any other thread runs.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == 1000 {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        }
    }
    swarmcheck::cli::main()
}
