//! The `bylaw` binary: arguments → [`bylaw::cli::run`] → exit status.

use std::process::ExitCode;

// A record set is many small JSON maps built and freed on every core; mimalloc's per-thread
// heaps make that cheaper than the system allocator (see benches/check.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(bylaw::cli::run(std::env::args_os()))
}
