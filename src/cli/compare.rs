//! `portsim compare`: the remedies against the baseline; prints one form, writes the report.

use super::args::{CompareArgs, CompareFormat};
use super::error::{CliError, Status};
use super::print::Printer;
use crate::report::compare as render;
use crate::scenario::InputError;
use crate::scenario::load::SetArg;
use crate::study::compare;
use crate::study::compare::remedy::{self, RemedyKind, RemedySpec};
use std::path::PathBuf;

/// `portsim compare`.
pub fn cmd(args: &CompareArgs, p: Printer) -> Result<Status, CliError> {
    let (source, sets) = (args.scenario.source(), args.scenario.sets());
    let tree = crate::scenario::read(&source)?;
    let base = crate::scenario::load_value(&source, tree.clone(), &sets)?;
    let specs = specs_of(args, &base)?;
    let remedy_sets = args
        .remedy_sets
        .iter()
        .map(|s| remedy_set(s))
        .collect::<Result<Vec<_>, _>>()?;
    let (variants, skipped) =
        compare::variants_skipping(&source, &tree, &sets, base, &specs, &remedy_sets)?;
    for s in &skipped {
        p.note(&format!(
            "portsim: note: remedy {} skipped: {}",
            s.name, s.reason
        ));
    }
    let timeline = match &args.timeline {
        Some(n) if !variants.iter().any(|v| &v.name == n) => {
            let names: Vec<&str> = variants[1..].iter().map(|v| v.name.as_str()).collect();
            return Err(CliError::arg(
                format!("--timeline {n}"),
                format!(
                    "name one of the remedies being compared: {}",
                    names.join(", ")
                ),
            ));
        }
        other => other.clone(),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    use std::io::IsTerminal;
    let progress = !p.quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let opt = compare::Options {
        replications: args.replications,
        jobs,
        confidence: 0.95,
        progress,
    };
    let cells = compare::run_all(&variants, opt);
    too_long(&variants, &cells)?;
    let mut c = compare::summarise(&variants, &cells, opt.confidence);
    compare::attach_apply(&mut c, &variants, args.dialect.dialect());
    c.skipped = skipped;
    c.command = reproduce(args, c.seed);
    if !args.no_out {
        let dir = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("reports").join(&c.scenario));
        let shown = compare::Showcase::of(&variants, &c, timeline.as_deref());
        let files = render::files(&c, &shown);
        crate::output::write_report_dir(&dir, &files).map_err(|e| CliError::write(&dir, e))?;
        p.note(&format!(
            "portsim: wrote the report to {}",
            dir.join("report.md").display()
        ));
    }
    p.out(&match args.format {
        CompareFormat::Text => render::text(&c),
        CompareFormat::Json => render::json(&c),
        CompareFormat::Markdown => render::markdown(&c, &[]),
        CompareFormat::Csv => render::csv(&c),
    })?;
    Ok(Status::Ok)
}

/// A night past 30 days is an error: it names the variant and the night, which `portsim run
/// --replication R` shows with the DLE that ran late.
fn too_long(variants: &[compare::Variant], cells: &[Vec<compare::Cell>]) -> Result<(), CliError> {
    let limit_h = crate::scenario::bounds::MAX_NIGHT.as_secs_f64() / 3600.0;
    for (r, row) in cells.iter().enumerate() {
        for (v, cell) in row.iter().enumerate() {
            if cell.measures.window_h > limit_h {
                return Err(CliError::arg(
                    format!("{}, replication {r}", variants[v].name),
                    format!(
                        "the night runs past 30 days ({:.1} days); `portsim run --replication {r}` names the DLE that ends last",
                        cell.measures.window_h / 24.0
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The remedies asked for (`--remedies`), or all five (and bsdtcp where the version has it).
fn specs_of(
    args: &CompareArgs,
    base: &crate::scenario::Scenario,
) -> Result<Vec<RemedySpec>, CliError> {
    if args.remedies.is_empty() {
        // bsdtcp is 3.x's alone: the default set takes it only where it applies (`portsim
        // remedies` says so), silently, so that 2.x reports keep the five they always had.
        let mut kinds = RemedyKind::ALL.to_vec();
        if RemedyKind::Bsdtcp.applies_to(base).is_ok() {
            kinds.push(RemedyKind::Bsdtcp);
        }
        return Ok(kinds
            .iter()
            .map(|&kind| RemedySpec {
                kind,
                params: Vec::new(),
            })
            .collect());
    }
    let specs = args
        .remedies
        .iter()
        .map(|n| RemedySpec::parse(n).map_err(|msg| CliError::arg(format!("--remedies {n}"), msg)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut labels: Vec<String> = specs.iter().map(RemedySpec::label).collect();
    labels.sort();
    if labels.windows(2).any(|w| w[0] == w[1]) {
        return Err(CliError::arg(
            format!("--remedies {}", args.remedies.join(",")),
            "a remedy is listed twice with the same parameters",
        ));
    }
    Ok(specs)
}

/// One `--remedy-set REMEDY.KEY=VALUE`.
fn remedy_set(s: &str) -> Result<SetArg, CliError> {
    let arg = || format!("--remedy-set {s}");
    let set = SetArg::parse(s).map_err(|e| match e {
        InputError::Set { msg, .. } => CliError::arg(arg(), msg),
        other => other.into(),
    })?;
    let name = set.path.first().map_or("", String::as_str);
    match RemedyKind::parse(name) {
        Some(_) if set.path.len() == 2 => Ok(set),
        Some(_) => Err(CliError::arg(
            arg(),
            format!("write REMEDY.KEY=VALUE: one key after {name}"),
        )),
        None => Err(CliError::arg(arg(), remedy::unknown_remedy(name))),
    }
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
    if args.dialect != crate::cli::emit::DialectArg::Nft {
        parts.push(format!("--dialect {}", args.dialect.dialect().name()));
    }
    parts.join(" ")
}

/// `portsim remedies`.
pub fn remedies(p: Printer) -> Result<Status, CliError> {
    let mut out = String::new();
    for r in RemedyKind::KNOWN {
        out.push_str(&format!("{:<24} {}\n", r.name(), r.summary()));
    }
    p.out(&out)?;
    Ok(Status::Ok)
}
