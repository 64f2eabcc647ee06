//! The command line: arguments ([`args`]), one module per command body, and how a command
//! ends ([`error`]). Nothing below this layer knows clap or exit codes.

pub mod args;
pub mod check;
pub mod compare;
pub mod error;
pub mod plan;
pub mod run;
pub mod sweep;

pub use args::{Cli, Command};
pub use error::{CliError, Status};

/// Runs the parsed command line; prints to stdout.
pub fn run(cli: Cli) -> Result<Status, CliError> {
    match cli.command {
        Some(Command::Run(args)) => run::cmd(&args),
        Some(Command::Check(args)) => check::cmd(&args),
        Some(Command::Compare(args)) => compare::cmd(&args),
        Some(Command::Sweep(args)) => sweep::cmd(&args),
        Some(Command::Plan(args)) => plan::cmd(&args),
        Some(Command::Remedies) => compare::remedies(),
        None => run::cmd(&cli.run),
    }
}
