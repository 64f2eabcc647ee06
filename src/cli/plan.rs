//! `portsim plan`: its options and its body.

use super::{CliError, ScenarioArgs, Status};
use crate::report::plan as render;
use crate::study::nights;
use crate::study::plan::{self, Minimize, Target};
use clap::{Args, ValueEnum};

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
}

/// Runs `portsim plan`; exit 1 when nothing searched meets the target.
pub fn cmd(args: &PlanArgs) -> Result<Status, CliError> {
    let target = Target::parse(&args.target).map_err(|msg| CliError::Arg {
        arg: format!("--target {}", args.target),
        msg,
    })?;
    if args.replications < 2 {
        return Err(CliError::Arg {
            arg: format!("--replications {}", args.replications),
            msg: "intervals need at least 2 replications".into(),
        });
    }
    let (source, sets) = (args.scenario.source(), args.scenario.sets());
    let tree = crate::scenario::read(&source)?;
    let base = crate::scenario::load_value(&source, tree.clone(), &sets)?;
    let cands = plan::candidates(&source, &tree, &sets, &base);
    let opt = plan::Options {
        replications: args.replications,
        jobs: nights::jobs(args.jobs),
        target,
        minimize: match args.minimize {
            MinimizeArg::Window => Minimize::Window,
            MinimizeArg::Exposure => Minimize::Exposure,
            MinimizeArg::Change => Minimize::Change,
        },
        progress: nights::show_progress(),
    };
    let mut p = plan::run(&base, &cands, opt);
    p.command = reproduce(args, p.seed);
    match args.format {
        PlanFormat::Text => print!("{}", render::text(&p)),
        PlanFormat::Json => print!("{}", render::json(&p)),
    }
    Ok(if p.recommendation.is_some() {
        Status::Ok
    } else {
        Status::ExpectationFailed
    })
}

fn reproduce(args: &PlanArgs, seed: u64) -> String {
    let mut parts = vec!["portsim plan".to_string()];
    if let Some(p) = &args.scenario.scenario {
        parts.push(p.display().to_string());
    }
    for s in &args.scenario.sets {
        parts.push(format!("--set '{s}'"));
    }
    parts.push(format!(
        "--target {} --minimize {} --seed {seed} --replications {}",
        args.target,
        args.minimize
            .to_possible_value()
            .map_or(String::new(), |v| v.get_name().to_string()),
        args.replications
    ));
    parts.join(" ")
}
