//! The `outcall` binary: parses the command line and hands it to the library's CLI layer.

/// mimalloc instead of the system allocator: an import frees on one thread what workers
/// allocated on others, which glibc's malloc handles slowly (see README, "Dependencies").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    outcall::cli::main()
}
