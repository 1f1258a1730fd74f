//! The `cove` command.

fn main() -> std::process::ExitCode {
    cove::cli::main()
}
