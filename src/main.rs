//! The `outcall` binary: parses the command line and hands it to the library's CLI layer.

fn main() -> std::process::ExitCode {
    outcall::cli::main()
}
