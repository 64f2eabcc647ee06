//! The command line (clap derive) and what each command does with it.

use crate::model::site;
use crate::output::write_atomic;
use crate::report::{RunReport, text, trace};
use crate::scenario::{InputError, Source, load};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Replays how Amanda dumpers, a reserved UDP port range and a firewall interact.
#[derive(Debug, Parser)]
#[command(name = "portsim", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do (default: `run` on the built-in incident).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `run` when no command is given.
    #[command(flatten)]
    pub run: RunArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate one night and report every dumper, failure and the backup window.
    Run(RunArgs),
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Text,
    /// JSON for programs (schema `portsim.run/1`).
    Json,
}

/// Options shared by commands that load a scenario.
#[derive(Debug, Args, Clone)]
pub struct ScenarioArgs {
    /// Scenario file (JSON). Without it: the built-in incident, scenarios/tokyo.json.
    pub scenario: Option<PathBuf>,
    /// Override one setting: `--set server.inparallel=10`, `--set server.udpportrange=[850,875]`.
    /// The value is JSON, or else taken as a string. Repeatable; applied in order.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Seed of every random stream (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Options of `run`.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Replication number: which night of the seed to draw.
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write one JSON line per event to FILE.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

/// Why a command stopped; every variant is bad input or an unwritable output (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The scenario or an override is wrong.
    #[error(transparent)]
    Input(#[from] InputError),
    /// An output file could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// What a finished command tells `main`.
pub enum Status {
    /// All went as expected (exit 0).
    Ok,
    /// It ran, but an expectation failed (exit 1).
    ExpectationFailed,
}

impl ScenarioArgs {
    /// Loads the scenario with its overrides (`--seed` is one of them).
    pub fn load(&self) -> Result<crate::scenario::Scenario, InputError> {
        let source = match &self.scenario {
            Some(p) => Source::File(p.clone()),
            None => Source::Builtin,
        };
        let mut sets = self.sets.clone();
        if let Some(seed) = self.seed {
            sets.push(format!("seed={seed}"));
        }
        load(&source, &sets)
    }
}

/// Runs the parsed command line; prints to stdout.
pub fn run(cli: Cli) -> Result<Status, CliError> {
    match cli.command {
        Some(Command::Run(args)) => run_cmd(&args),
        None => run_cmd(&cli.run),
    }
}

fn run_cmd(args: &RunArgs) -> Result<Status, CliError> {
    let sc = args.scenario.load()?;
    let result = site::run(&sc, args.replication, args.trace.is_some());
    if let (Some(path), Some(records)) = (&args.trace, &result.trace) {
        write_atomic(path, trace::render(&sc, records).as_bytes()).map_err(|e| {
            CliError::Write {
                path: path.display().to_string(),
                source: e,
            }
        })?;
    }
    let report = RunReport::new(&sc, &result, args.replication);
    match args.format {
        Format::Text => print!("{}", text::render(&report)),
        Format::Json => print!("{}", report.to_json()),
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
