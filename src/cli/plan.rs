//! `portsim plan`: its options and its body.

use super::args::{MinimizeArg, PlanArgs, PlanFormat};
use super::error::{CliError, Status};
use super::print::Printer;
use crate::report::plan as render;
use crate::study::nights;
use crate::study::plan::{self, Minimize, Target};
use clap::ValueEnum;

/// Runs `portsim plan`; exit 1 when nothing searched meets the target.
pub fn cmd(args: &PlanArgs, pr: Printer) -> Result<Status, CliError> {
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
        progress: pr.progress(),
    };
    let mut p = plan::run(&base, &cands, opt);
    plan::attach_apply(&mut p, &base, &cands, args.dialect.dialect());
    p.command = reproduce(args, p.seed);
    pr.out(&match args.format {
        PlanFormat::Text => render::text(&p),
        PlanFormat::Json => render::json(&p),
    })?;
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
    if args.dialect != crate::cli::emit::DialectArg::Nft {
        parts.push(format!("--dialect {}", args.dialect.dialect().name()));
    }
    parts.join(" ")
}
