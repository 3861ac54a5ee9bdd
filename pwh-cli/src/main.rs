//! The `pwh` command: see the crate's README.

fn main() -> std::process::ExitCode {
    pwh_cli::main()
}
