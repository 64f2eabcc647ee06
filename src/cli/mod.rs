//! The command line: arguments ([`args`]), one module per command body, printing ([`print`]),
//! and how a command ends ([`error`]). Nothing below this layer knows clap or exit codes.

pub mod args;
pub mod check;
pub mod compare;
pub mod emit;
pub mod error;
pub mod explain;
pub mod generate;
pub mod import;
pub mod ladder;
pub mod logs;
pub mod picture;
pub mod plan;
pub mod print;
pub mod run;
pub mod sweep;
pub mod timeline;
pub mod validate;

pub use args::{Cli, Command, ScenarioArgs};
pub use error::{CliError, Status};

use clap::CommandFactory;
use print::Printer;

/// Runs the parsed command line; prints to stdout.
pub fn run(cli: Cli) -> Result<Status, CliError> {
    let p = Printer { quiet: cli.quiet };
    match cli.command {
        Some(Command::Run(args)) => run::cmd(&args, p),
        Some(Command::Check(args)) => check::cmd(&args, p),
        Some(Command::Compare(args)) => compare::cmd(&args, p),
        Some(Command::Remedies) => compare::remedies(p),
        Some(Command::Sweep(args)) => sweep::cmd(&args, p),
        Some(Command::Plan(args)) => plan::cmd(&args, p),
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "portsim", &mut out);
            p.out(&String::from_utf8_lossy(&out))?;
            Ok(Status::Ok)
        }
        Some(Command::Man) => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| CliError::write(std::path::Path::new("standard output"), e))?;
            p.out(&String::from_utf8_lossy(&out))?;
            Ok(Status::Ok)
        }
        Some(Command::Schema { name }) => {
            let text = crate::report::schemas::schema(&name).expect("clap checked the name");
            p.out(&text)?;
            Ok(Status::Ok)
        }
        Some(Command::Generate(args)) => generate::cmd(&args, p),
        Some(Command::Import(args)) => {
            import::cmd(&args, p)?;
            Ok(Status::Ok)
        }
        Some(Command::Explain(args)) => explain::cmd(&args, p),
        Some(Command::Ladder(args)) => ladder::cmd(&args, p),
        Some(Command::Timeline(args)) => timeline::cmd(&args, p),
        Some(Command::Apply(args)) => crate::cli::emit::apply_cmd(&args, p),
        Some(Command::LabConfig(args)) => crate::cli::emit::lab_config_cmd(&args, p),
        Some(Command::ReadLog(args)) => logs::read_log_cmd(&args, p),
        Some(Command::Validate(args)) => validate::validate_cmd(&args, p),
        Some(Command::Diagnose(args)) => logs::diagnose_cmd(&args, p),
        None => {
            if let Some(err) = mistyped_command(&cli.run) {
                return Err(err);
            }
            run::cmd(&cli.run, p)
        }
    }
}

/// `portsim compair`: a scenario path that does not exist and reads like a command mistyped.
fn mistyped_command(run: &args::RunArgs) -> Option<CliError> {
    let path = run.scenario.scenario.as_ref()?;
    if path.exists() || path.extension().is_some() || path.components().count() != 1 {
        return None;
    }
    let word = path.to_str()?;
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let msg = match crate::study::suggest::closest(word, names.iter().map(String::as_str)) {
        Some(near) => format!(
            "no such command or scenario file; did you mean `portsim {near}`? (a scenario file is read when one exists by that name)"
        ),
        None => format!(
            "no such command or scenario file; the commands are {}",
            names.join(", ")
        ),
    };
    Some(CliError::arg(word, msg))
}
