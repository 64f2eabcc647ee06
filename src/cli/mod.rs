//! The command line: arguments ([`args`]), one module per command body, and how a command
//! ends ([`error`]). Nothing below this layer knows clap or exit codes.

pub mod args;
pub mod check;
pub mod compare;
pub mod emit;
pub mod error;
pub mod explain;
pub mod import;
pub mod ladder;
pub mod logs;
pub mod picture;
pub mod run;
pub mod timeline;
pub mod validate;

pub use args::{Cli, Command, ScenarioArgs};
pub use error::{CliError, Status};

/// Runs the parsed command line; prints to stdout.
pub fn run(cli: Cli) -> Result<Status, CliError> {
    match cli.command {
        Some(Command::Run(args)) => run::cmd(&args),
        Some(Command::Check(args)) => check::cmd(&args),
        Some(Command::Compare(args)) => compare::cmd(&args),
        Some(Command::Remedies) => compare::remedies(),
        Some(Command::Import(args)) => {
            import::cmd(&args)?;
            Ok(Status::Ok)
        }
        Some(Command::Explain(args)) => explain::cmd(&args),
        Some(Command::Ladder(args)) => ladder::cmd(&args),
        Some(Command::Timeline(args)) => timeline::cmd(&args),
        Some(Command::Apply(args)) => crate::cli::emit::apply_cmd(&args),
        Some(Command::LabConfig(args)) => crate::cli::emit::lab_config_cmd(&args),
        Some(Command::ReadLog(args)) => logs::read_log_cmd(&args),
        Some(Command::Validate(args)) => validate::validate_cmd(&args),
        Some(Command::Diagnose(args)) => logs::diagnose_cmd(&args),
        None => run::cmd(&cli.run),
    }
}
