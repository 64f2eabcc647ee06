//! `portsim sweep`: its options and its body.

use super::{CliError, ScenarioArgs, Status};
use crate::compare::remedy::RemedySpec;
use crate::report::sweep as render;
use crate::scenario::InputError;
use crate::study::nights;
use crate::study::sweep::{self, Vary};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

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

fn bad(arg: String, msg: String) -> CliError {
    CliError::Arg { arg, msg }
}

/// Runs `portsim sweep`.
pub fn cmd(args: &SweepArgs) -> Result<Status, CliError> {
    if args.vary.len() > 2 {
        return Err(bad(
            format!("--vary {}", args.vary[2]),
            "a sweep varies one or two settings: run one sweep per pair".into(),
        ));
    }
    let varies = args
        .vary
        .iter()
        .map(|v| Vary::parse(v).map_err(|msg| bad(format!("--vary {v}"), msg)))
        .collect::<Result<Vec<_>, _>>()?;
    let remedy = args
        .remedy
        .as_deref()
        .map(|r| RemedySpec::parse(r).map_err(|msg| bad(format!("--remedy {r}"), msg)))
        .transpose()?;
    sweep::check_paths(&varies, remedy.as_ref())
        .map_err(|(v, msg)| bad(format!("--vary {v}"), msg))?;
    if args.replications < 2 {
        return Err(bad(
            format!("--replications {}", args.replications),
            "intervals need at least 2 replications".into(),
        ));
    }
    let (source, sets) = (args.scenario.source(), args.scenario.sets());
    let tree = crate::scenario::read(&source)?;
    let base = crate::scenario::load_value(&source, tree.clone(), &sets)?;
    let configs = sweep::points(&source, &tree, &sets, &varies, remedy.as_ref())?;
    if let Some(first) = configs.iter().find_map(|c| c.scenario.as_ref().err())
        && configs.iter().all(|c| c.scenario.is_err())
    {
        return Err(InputError::Set {
            arg: args.vary.join(" --vary "),
            msg: format!("the scenario is invalid at every point; the first: {first}"),
        }
        .into());
    }
    let opt = sweep::Options {
        replications: args.replications,
        jobs: nights::jobs(args.jobs),
        confidence: 0.95,
        progress: nights::show_progress(),
    };
    let mut s = sweep::run(&base, &varies, remedy.as_ref(), &configs, opt);
    s.command = reproduce(args, s.seed);
    if let Some(dir) = &args.out {
        let files = render::report_files(&s);
        crate::output::write_dir_atomic(dir, &files).map_err(|e| CliError::Write {
            path: dir.display().to_string(),
            source: e,
        })?;
    }
    match args.format {
        SweepFormat::Text => print!("{}", render::text(&s)),
        SweepFormat::Json => print!("{}", render::json(&s)),
        SweepFormat::Csv => print!("{}", render::csv(&s)),
        SweepFormat::Markdown => print!("{}", render::markdown(&s, &[])),
    }
    Ok(Status::Ok)
}

/// The command line that gives the same numbers (the seed made explicit, output options left out).
fn reproduce(args: &SweepArgs, seed: u64) -> String {
    let mut parts = vec!["portsim sweep".to_string()];
    if let Some(p) = &args.scenario.scenario {
        parts.push(p.display().to_string());
    }
    for s in &args.scenario.sets {
        parts.push(format!("--set '{s}'"));
    }
    for v in &args.vary {
        parts.push(format!("--vary '{v}'"));
    }
    if let Some(r) = &args.remedy {
        parts.push(format!("--remedy '{r}'"));
    }
    parts.push(format!(
        "--seed {seed} --replications {}",
        args.replications
    ));
    parts.join(" ")
}
