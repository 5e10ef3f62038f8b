use std::process::ExitCode;

fn main() -> ExitCode {
    swarmcheck::cli::main()
}
