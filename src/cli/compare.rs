//! `portsim compare`: the remedies against the baseline; prints one form, writes the report.

use super::args::{CompareArgs, CompareFormat};
use super::error::{CliError, Status};
use crate::report::compare as render;
use crate::scenario::InputError;
use crate::study::compare;
use crate::study::compare::remedy::{RemedyKind, RemedySpec};
use std::path::PathBuf;

/// `portsim compare`.
pub fn cmd(args: &CompareArgs) -> Result<Status, CliError> {
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
        let files = render::files(&variants, &c, timeline.as_deref());
        crate::output::write_report_dir(&dir, &files).map_err(|e| CliError::write(&dir, e))?;
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

/// `portsim remedies`.
pub fn remedies() -> Result<Status, CliError> {
    for r in RemedyKind::ALL {
        println!("{:<24} {}", r.name(), r.summary());
    }
    Ok(Status::Ok)
}
