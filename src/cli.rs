//! The command line (clap derive) and what each command does with it.

use crate::compare::remedy::{RemedyKind, RemedySpec};
use crate::compare::{self, render};
use crate::model::site;
use crate::output::write_atomic;
use crate::report::{RunReport, text, trace};
use crate::scenario::{InputError, Source, load};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub mod plan;
pub mod sweep;

/// Replays how Amanda dumpers, a reserved UDP port range and a firewall interact.
#[derive(Debug, Parser)]
#[command(
    name = "portsim",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
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
    /// Measure the five remedies against the baseline over many nights, with intervals.
    Compare(CompareArgs),
    /// List the remedies `compare` knows, one line each.
    Remedies,
    /// Vary one or two settings over a range and measure every point on the same nights.
    Sweep(sweep::SweepArgs),
    /// Search what the site can change for the configuration that meets a target at least cost.
    Plan(plan::PlanArgs),
    /// Run every scenario with an `expect` block and judge its expectations (for CI).
    Check(crate::check::CheckArgs),
}

/// Output formats of `compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// An aligned table and the verdicts.
    Text,
    /// JSON (schema `portsim.compare/1`) with every replication's values.
    Json,
    /// The Markdown report.
    Markdown,
    /// One row per variant and measure.
    Csv,
}

/// Options of `compare`.
#[derive(Debug, Args, Clone)]
pub struct CompareArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Nights per variant (at least 2).
    #[arg(long, default_value_t = 200)]
    pub replications: usize,
    /// Worker threads (default: all cores). Results are identical for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Remedies to compare, comma-separated (default: all five); each may carry its own
    /// parameters: `stateful-firewall,stateful-firewall:kind=conntrack+helper`.
    #[arg(long, value_delimiter = ',', value_name = "NAME[:KEY=VALUE]...,...")]
    pub remedies: Vec<String>,
    /// Override a remedy parameter: `--remedy-set widen-range.range=[850,880]`,
    /// `--remedy-set stateful-firewall.kind=conntrack+helper`.
    #[arg(long = "remedy-set", value_name = "REMEDY.KEY=VALUE")]
    pub remedy_sets: Vec<String>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
    /// Where to write report.md, report.json, report.csv and the plots (default: reports/SCENARIO/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write no report directory, only print.
    #[arg(long, conflicts_with = "out")]
    pub no_out: bool,
    /// The remedy drawn beside the baseline in the timeline plot (default: the recommended one).
    #[arg(long, value_name = "NAME")]
    pub timeline: Option<String>,
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
    /// Print only the SHA-256 of the event trace (the `--trace` lines), not the report.
    #[arg(long)]
    pub fingerprint: bool,
}

/// Why a command stopped; every variant is bad input or an unwritable output (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The scenario or an override is wrong.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A command-line option is malformed or does not fit the others.
    #[error("{arg}: {msg}")]
    Arg {
        /// The option as given.
        arg: String,
        /// What is wrong and how to write it.
        msg: String,
    },
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
    /// Where the scenario comes from: the file, or the built-in incident.
    pub fn source(&self) -> Source {
        match &self.scenario {
            Some(p) => Source::File(p.clone()),
            None => Source::Builtin,
        }
    }

    /// The overrides, `--seed` last as `seed=N`.
    pub fn sets(&self) -> Vec<String> {
        let mut sets = self.sets.clone();
        if let Some(seed) = self.seed {
            sets.push(format!("seed={seed}"));
        }
        sets
    }

    /// Loads the scenario with its overrides.
    pub fn load(&self) -> Result<crate::scenario::Scenario, InputError> {
        load(&self.source(), &self.sets())
    }
}

/// Runs the parsed command line; prints to stdout.
pub fn run(cli: Cli) -> Result<Status, CliError> {
    match cli.command {
        Some(Command::Run(args)) => run_cmd(&args),
        Some(Command::Check(args)) => crate::check::cmd(&args),
        Some(Command::Compare(args)) => compare_cmd(&args),
        Some(Command::Sweep(args)) => sweep::cmd(&args),
        Some(Command::Plan(args)) => plan::cmd(&args),
        Some(Command::Remedies) => {
            for r in RemedyKind::ALL {
                println!("{:<24} {}", r.name(), r.summary());
            }
            Ok(Status::Ok)
        }
        None => run_cmd(&cli.run),
    }
}

fn run_cmd(args: &RunArgs) -> Result<Status, CliError> {
    if args.fingerprint {
        return crate::check::fingerprint_cmd(args);
    }
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

fn compare_cmd(args: &CompareArgs) -> Result<Status, CliError> {
    let (source, sets) = (args.scenario.source(), args.scenario.sets());
    let tree = crate::scenario::read(&source)?;
    let base = crate::scenario::load_value(&source, tree.clone(), &sets)?;
    if args.replications < 2 {
        return Err(InputError::Set {
            arg: format!("--replications {}", args.replications),
            msg: "intervals need at least 2 replications".into(),
        }
        .into());
    }
    let specs = if args.remedies.is_empty() {
        RemedyKind::ALL
            .iter()
            .map(|&kind| RemedySpec {
                kind,
                params: Vec::new(),
            })
            .collect()
    } else {
        args.remedies
            .iter()
            .map(|n| {
                RemedySpec::parse(n).map_err(|msg| InputError::Set {
                    arg: format!("--remedies {n}"),
                    msg,
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut labels: Vec<String> = specs.iter().map(RemedySpec::label).collect();
    labels.sort();
    if labels.windows(2).any(|w| w[0] == w[1]) {
        return Err(InputError::Set {
            arg: format!("--remedies {}", args.remedies.join(",")),
            msg: "a remedy is listed twice with the same parameters".into(),
        }
        .into());
    }
    let remedy_sets = args
        .remedy_sets
        .iter()
        .map(|s| {
            let set = crate::scenario::load::SetArg::parse(s)?;
            match set.path.first().and_then(|n| RemedyKind::parse(n)) {
                Some(_) if set.path.len() == 2 => Ok(set),
                _ => Err(InputError::Set {
                    arg: format!("--remedy-set {s}"),
                    msg: format!(
                        "write REMEDY.KEY=VALUE with a remedy among {}",
                        remedy_names()
                    ),
                }),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let variants = compare::variants_of(&source, &tree, &sets, base, &specs, &remedy_sets)?;
    let timeline = match &args.timeline {
        Some(n) if !variants.iter().any(|v| &v.name == n) => {
            return Err(InputError::Set {
                arg: format!("--timeline {n}"),
                msg: "name one of the remedies being compared".into(),
            }
            .into());
        }
        other => other.clone(),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    use std::io::IsTerminal;
    let progress = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let opt = compare::Options {
        replications: args.replications,
        jobs,
        confidence: 0.95,
        progress,
    };
    let cells = compare::run_all(&variants, opt);
    let mut c = compare::summarise(&variants, &cells, opt.confidence);
    c.command = reproduce(args, c.seed);
    if !args.no_out {
        let dir = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("reports").join(&c.scenario));
        let files = compare::report_files(&variants, &c, timeline.as_deref());
        crate::output::write_dir_atomic(&dir, &files).map_err(|e| CliError::Write {
            path: dir.display().to_string(),
            source: e,
        })?;
    }
    match args.format {
        CompareFormat::Text => print!("{}", render::text(&c)),
        CompareFormat::Json => print!("{}", render::json(&c)),
        CompareFormat::Markdown => print!("{}", render::markdown(&c, &[])),
        CompareFormat::Csv => print!("{}", render::csv(&c)),
    }
    Ok(Status::Ok)
}

/// The command line that gives the same numbers (the seed made explicit, output options left out).
fn reproduce(args: &CompareArgs, seed: u64) -> String {
    let mut parts = vec!["portsim compare".to_string()];
    if let Some(p) = &args.scenario.scenario {
        parts.push(p.display().to_string());
    }
    for s in &args.scenario.sets {
        parts.push(format!("--set '{s}'"));
    }
    parts.push(format!(
        "--seed {seed} --replications {}",
        args.replications
    ));
    if !args.remedies.is_empty() {
        parts.push(format!("--remedies '{}'", args.remedies.join(",")));
    }
    for s in &args.remedy_sets {
        parts.push(format!("--remedy-set '{s}'"));
    }
    parts.join(" ")
}

fn remedy_names() -> String {
    RemedyKind::ALL.map(|r| r.name()).join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
