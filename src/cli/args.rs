//! Every command-line argument of portsim, in one place (clap derive).

use crate::scenario::{InputError, Scenario, Source, load};
use crate::study::check::fault::Fault;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Replays how Amanda dumpers, a reserved UDP port range and a firewall interact.
#[derive(Debug, Parser)]
#[command(
    name = "portsim",
    version,
    about,
    override_usage = "portsim [OPTIONS] [SCENARIO]\n       portsim [-q] <COMMAND> [OPTIONS]"
)]
pub struct Cli {
    /// What to do (default: `run` on the built-in incident).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `run` when no command is given.
    #[command(flatten)]
    pub run: RunArgs,
    /// Print nothing but errors: no report on stdout, no progress, no notes (the exit code
    /// tells). Anywhere on the line: `portsim -q check`, `portsim check -q`.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

impl Cli {
    /// Parses the command line as clap does (exit 2 on an error), and refuses `run`'s options
    /// before another command (`portsim --seed 3 compare`): they would be silently ignored.
    /// `--quiet` is global, so it is the one option allowed before any command.
    pub fn parse_line() -> Cli {
        use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
        let mut cmd = Cli::command();
        let m = cmd.get_matches_mut();
        if let Some((name, _)) = m.subcommand() {
            let run_opt = m
                .ids()
                .map(|id| id.as_str())
                .find(|id| *id != "quiet" && m.value_source(id) == Some(ValueSource::CommandLine));
            if let Some(id) = run_opt {
                let shown = cmd
                    .get_arguments()
                    .find(|a| a.get_id() == id)
                    .and_then(|a| a.get_long().map(|l| format!("--{l}")))
                    .unwrap_or_else(|| id.to_uppercase());
                cmd.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "{shown} belongs to `portsim run` (the default command); give options after the command: `portsim {name} ...`"
                    ),
                )
                .exit();
            }
        }
        Cli::from_arg_matches(&m).unwrap_or_else(|e| e.exit())
    }
}

/// Most worker threads `--jobs` takes: more than any machine portsim runs on has cores, and few
/// enough that the thread pool always starts.
pub const MAX_JOBS: u64 = 1024;

/// Most replications `compare --replications` takes (as `check`'s `replications`): 10,000
/// nights give intervals far narrower than any remedy's effect, in minutes.
pub const MAX_REPLICATIONS: u64 = 10_000;

fn jobs_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..=MAX_JOBS)
}

fn replications_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(2..=MAX_REPLICATIONS)
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
    Sweep(SweepArgs),
    /// Search what the site can change for the configuration that meets a target at least cost.
    Plan(PlanArgs),
    /// Run every scenario with an `expect` block and judge its expectations (for CI).
    Check(CheckArgs),
    /// Print a shell completion script: `portsim completions bash > /etc/bash_completion.d/portsim`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `portsim man > portsim.1; man ./portsim.1`.
    Man,
    /// Print the JSON Schema of the scenario format or of a `--format json` output.
    Schema {
        /// Which document: scenario, run (portsim.run/1), compare (portsim.compare/1) or check
        /// (portsim.check/1).
        #[arg(value_parser = PossibleValuesParser::new(crate::report::schemas::NAMES))]
        name: String,
    },
    /// Write the scenario as loaded, `host_templates` expanded into hosts: `-o site.json`.
    Generate(super::generate::GenerateArgs),
    /// Write a scenario from a site's amanda.conf, disklist, build and firewall ruleset.
    Import(super::import::ImportArgs),
    /// Tell what happened to a DLE tonight, step by step, why, and which remedies prevent it.
    Explain(ExplainArgs),
    /// Draw one DLE's packets between dumper, filter and client as a sequence diagram.
    Ladder(LadderArgs),
    /// Draw one night: every dumper's attempts over time, failures and lost DLEs marked.
    Timeline(TimelineArgs),
    /// Print what a remedy changes at the site: amanda.conf, configure, services, firewall diffs.
    Apply(crate::cli::emit::ApplyArgs),
    /// Write the files the real-Amanda lab needs to run a scenario.
    LabConfig(crate::cli::emit::LabConfigArgs),
    /// Read a real Amanda's logs of one night and report it as `run` does (`portsim.run/1`).
    ReadLog(ReadLogArgs),
    /// Put real Amanda runs of a scenario beside simulated nights, measure by measure.
    Validate(ValidateArgs),
    /// Say whether a real night's failures carry the port-range signature (logs as `read-log`).
    Diagnose(DiagnoseArgs),
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
    /// Nights per variant, 2 to 10,000.
    #[arg(long, default_value_t = 200, value_parser = replications_parser())]
    pub replications: usize,
    /// Worker threads, 1 to 1024 (default: all cores). Results are identical for any value.
    #[arg(long, value_parser = jobs_parser())]
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
    /// The firewall dialect of the report's "what to change" lines, or `amanda` for Amanda's
    /// files only (as `portsim apply --dialect`).
    #[arg(long, value_enum, default_value_t = crate::cli::emit::DialectArg::Nft)]
    pub dialect: crate::cli::emit::DialectArg,
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

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// A table of every expectation, then the failures with what was expected and measured.
    Text,
    /// JSON for programs (schema `portsim.check/1`), with every night's value.
    Json,
}

/// Options of `check`.
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Scenario files or directories (searched for *.json, recursively). Default: scenarios/.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Also write JUnit XML to FILE: one test case per expectation.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Rewrite every pinned fingerprint that changed (or is empty) and print old -> new.
    #[arg(long)]
    pub bless: bool,
    /// Worker threads, 1 to 1024 (default: all cores). The output is identical for any value.
    #[arg(long, value_parser = jobs_parser())]
    pub jobs: Option<usize>,
    /// Break the model on purpose, to see which checks notice (for tests).
    #[arg(long, hide = true, conflicts_with = "bless", value_parser = fault_parser())]
    pub inject_fault: Option<Fault>,
}

fn fault_parser() -> impl TypedValueParser<Value = Fault> {
    PossibleValuesParser::new(Fault::ALL.map(Fault::name))
        .map(|s| Fault::parse(&s).expect("a possible value"))
}

/// Output formats of `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Numbered steps in sentences.
    Text,
    /// JSON (schema `portsim.explain/1`): every step's facts and its sentence.
    Json,
}

/// Options of `explain`.
#[derive(Debug, Args, Clone)]
pub struct ExplainArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Explain this DLE, `HOST:DISK` (e.g. `www2:/`).
    #[arg(long, value_name = "HOST:DISK", group = "what")]
    pub dle: Option<String>,
    /// Explain this dumper: its port, its attempts and the DLEs that failed on it.
    #[arg(long, value_name = "N", group = "what")]
    pub dumper: Option<u16>,
    /// Explain every DLE not dumped tonight (the default).
    #[arg(long, group = "what")]
    pub failed: bool,
    /// Replication number: which night of the seed to draw.
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

/// Options of `ladder`.
#[derive(Debug, Args, Clone)]
pub struct LadderArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The DLE whose attempts are drawn, `HOST:DISK`.
    #[arg(long, value_name = "HOST:DISK")]
    pub dle: String,
    /// Replication number: which night of the seed to draw.
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Where to write the picture: FILE.svg or FILE.png.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Options of `timeline`.
#[derive(Debug, Args, Clone)]
pub struct TimelineArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Replication number: which night of the seed to draw.
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Where to write the picture: FILE.svg or FILE.png.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
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
    pub fn load(&self) -> Result<Scenario, InputError> {
        load(&self.source(), &self.sets())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

/// Output formats of `validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// An aligned table and what lies outside the simulated range.
    Text,
    /// JSON (schema `portsim.validate/1`).
    Json,
    /// The Markdown report.
    Markdown,
}

/// Options of `validate`.
#[derive(Debug, Args, Clone)]
pub struct ValidateArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Real runs to make with the lab harness (needs root; minutes per run).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub real: usize,
    /// Already captured lab run directories to read instead of (or besides) running the lab.
    #[arg(long = "from", value_name = "DIR", num_args = 1..)]
    pub from: Vec<PathBuf>,
    /// Where `--real` writes its run directories (default: lab-runs/SCENARIO).
    #[arg(long, value_name = "DIR")]
    pub lab_out: Option<PathBuf>,
    /// The lab harness `--real` runs.
    #[arg(long, value_name = "SCRIPT", default_value = "lab/portsim-lab.sh")]
    pub harness: PathBuf,
    /// Simulated nights (at least 20).
    #[arg(long, default_value_t = 400, value_name = "M")]
    pub nights: usize,
    /// Where to write report.md, report.json and the plots (default: validation/SCENARIO/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write no report directory, only print.
    #[arg(long, conflicts_with = "out")]
    pub no_out: bool,
    /// What to print.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

/// Options of `read-log`.
#[derive(Debug, Args, Clone)]
pub struct ReadLogArgs {
    /// Amanda's logs of one night: trace log (`log.DATE.N`), amdump log (`amdump.DATE`), debug
    /// logs (`PROG.DATE.debug`), or directories holding them (searched recursively).
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// The scenario the site runs: gives the range, the firewalled hosts and the firewall's hole.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Name of the night in the report (default: the first directory's or file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Count malformed lines as not understood instead of stopping at the first.
    #[arg(long)]
    pub lenient: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Options of `diagnose`.
#[derive(Debug, Args, Clone)]
pub struct DiagnoseArgs {
    /// The logs, as for `read-log`; with `--scenario`, the scenario is also run.
    #[command(flatten)]
    pub logs: ReadLogArgs,
    /// Simulated nights of the scenario whose verdicts are counted.
    #[arg(long, default_value_t = 20)]
    pub nights: u64,
}

/// Output formats of `sweep`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    /// A table per point and the findings.
    Text,
    /// JSON (schema `portsim.sweep/1`) with every night's values.
    Json,
    /// One row per point and measure.
    Csv,
    /// The Markdown report.
    Markdown,
}

/// Options of `sweep`.
#[derive(Debug, Args, Clone)]
pub struct SweepArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// A setting to vary: `server.inparallel=5..30`, `network.links.0.capacity_mb_s=5..50:5`;
    /// several paths may move together (`server.udpportrange.1,firewall.rules.0.dst_ports.1=859..880`);
    /// with --remedy, its parameters too (`stateful-firewall.two_way_s=30..300:30`). Once or twice.
    #[arg(long, value_name = "PATH=A..B[:STEP]", required = true)]
    pub vary: Vec<String>,
    /// A remedy applied at every point, with its own parameters: `stateful-firewall:kind=pf`.
    #[arg(long, value_name = "NAME[:KEY=VALUE]...")]
    pub remedy: Option<String>,
    /// Nights per point (at least 2); the same nights at every point.
    #[arg(long, default_value_t = 30)]
    pub replications: usize,
    /// Worker threads (default: all cores). Results are identical for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = SweepFormat::Text)]
    pub format: SweepFormat,
    /// Also write report.md, report.json, report.csv and the plots (SVG and PNG) to DIR.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// What `plan` minimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MinimizeArg {
    /// The backup window (then exposure, then change).
    Window,
    /// Pinhole port-hours and reachable ports (then window, then change).
    Exposure,
    /// What must change: code, rebuild, firewall, settings (then window, then exposure).
    Change,
}

/// Output formats of `plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// The findings, the recommendation, the runners-up and why each lost.
    Text,
    /// JSON (schema `portsim.plan/1`) with every candidate.
    Json,
}

/// Options of `plan`.
#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// What must hold in every night: `lost=0` (no DLE lost) or `failed=0` (no failed attempt).
    #[arg(long, value_name = "MEASURE=0", default_value = "lost=0")]
    pub target: String,
    /// The cost to minimise among the configurations that meet the target.
    #[arg(long, value_enum, default_value_t = MinimizeArg::Window)]
    pub minimize: MinimizeArg,
    /// Nights each configuration that survives screening runs (at least 2).
    #[arg(long, default_value_t = 200)]
    pub replications: usize,
    /// Worker threads (default: all cores). Results are identical for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// The firewall dialect of the recommendation's "what to change" lines, or `amanda` for
    /// Amanda's files only (as `portsim apply --dialect`).
    #[arg(long, value_enum, default_value_t = crate::cli::emit::DialectArg::Nft)]
    pub dialect: crate::cli::emit::DialectArg,
}
