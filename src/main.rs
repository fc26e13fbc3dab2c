//! The `bylaw` binary: arguments → [`bylaw::cli::run`] → exit status.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(bylaw::cli::run(std::env::args_os()))
}
