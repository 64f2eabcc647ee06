//! `portsim sweep`: its options and its body.

use super::args::{SweepArgs, SweepFormat};
use super::error::{CliError, Status};
use super::print::Printer;
use crate::report::sweep as render;
use crate::study::compare::remedy::RemedySpec;
use crate::study::nights;
use crate::study::sweep::{self, Vary};

fn bad(arg: String, msg: String) -> CliError {
    CliError::Arg { arg, msg }
}

/// Runs `portsim sweep`.
pub fn cmd(args: &SweepArgs, p: Printer) -> Result<Status, CliError> {
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
        return Err(bad(
            format!("--vary {}", args.vary.join(" --vary ")),
            format!("the scenario is invalid at every point; the first: {first}"),
        ));
    }
    if let Some(dir) = &args.out {
        // Refuse a directory that is not ours before the nights run, not after.
        let names = render::file_names(varies.len());
        crate::output::check_report_dir(dir, &names).map_err(|e| CliError::write(dir, e))?;
    }
    let opt = sweep::Options {
        replications: args.replications,
        jobs: nights::jobs(args.jobs),
        confidence: 0.95,
        progress: p.progress(),
    };
    let mut s = sweep::run(&base, &varies, remedy.as_ref(), &configs, opt);
    s.command = reproduce(args, s.seed);
    if let Some(dir) = &args.out {
        let files = render::report_files(&s);
        crate::output::write_report_dir(dir, &files).map_err(|e| CliError::write(dir, e))?;
    }
    p.out(&match args.format {
        SweepFormat::Text => render::text(&s),
        SweepFormat::Json => render::json(&s),
        SweepFormat::Csv => render::csv(&s),
        SweepFormat::Markdown => render::markdown(&s, &[]),
    })?;
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
