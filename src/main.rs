//! portsim's binary: parse, run, map the outcome to an exit code (0 ok, 1 check failed, 2 bad input).

use portsim::cli::{Cli, Status, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run(Cli::parse_line()) {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::ExpectationFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("portsim: error: {e}");
            ExitCode::from(2)
        }
    }
}
