//! `validate`: real lab runs beside simulated nights.

use super::args::{ValidateArgs, ValidateFormat};
use super::print::Printer;
use super::{CliError, Status};
use crate::report::validate as render;
use crate::scenario::{Scenario, load};
use crate::study::validate::{self as v, RealRun, Validation, lab};
use std::path::PathBuf;

fn bad(arg: String, msg: &str) -> CliError {
    CliError::Arg {
        arg,
        msg: msg.into(),
    }
}

/// `validate`.
pub fn validate_cmd(args: &ValidateArgs, p: Printer) -> Result<Status, CliError> {
    let sc = load(&args.scenario.source(), &args.scenario.sets())?;
    if args.nights < 20 {
        return Err(bad(
            format!("--nights {}", args.nights),
            "a 95% range needs at least 20 simulated nights",
        ));
    }
    if args.real == 0 && args.from.is_empty() {
        return Err(bad(
            "--real 0".into(),
            "give real runs: --real N (runs the lab, root) or --from DIR... (captured runs)",
        ));
    }
    let dirs = run_dirs(args, &sc, p)?;
    let reals = read_runs(&dirs, &sc)?;
    let command = validate_command(args, sc.seed, &dirs);
    let val = v::validate(&sc, &reals, args.nights, command);
    if !args.no_out {
        let dir = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("validation").join(&sc.name));
        write_report(&dir, &val)?;
        p.note(&format!("validate: wrote {}", dir.display()));
    }
    p.out(&match args.format {
        ValidateFormat::Text => render::text(&val),
        ValidateFormat::Json => render::json(&val),
        ValidateFormat::Markdown => render::markdown(&val, &[]),
    })?;
    Ok(Status::Ok)
}

/// The captured runs given with `--from`, then the ones `--real N` makes with the lab.
fn run_dirs(args: &ValidateArgs, sc: &Scenario, p: Printer) -> Result<Vec<PathBuf>, CliError> {
    let mut dirs = args.from.clone();
    if args.real == 0 {
        return Ok(dirs);
    }
    let Some(path) = args.scenario.scenario.clone() else {
        return Err(bad(
            "--real".into(),
            "the lab needs a scenario file (it renders it with lab-config)",
        ));
    };
    let root = args
        .lab_out
        .clone()
        .unwrap_or_else(|| PathBuf::from("lab-runs").join(&sc.name));
    let made = lab::run_real(
        &args.harness,
        &path,
        &args.scenario.sets,
        args.real,
        &root,
        |k, out| {
            p.note(&format!(
                "validate: real run {k} of {} into {} (minutes)",
                args.real,
                out.display()
            ))
        },
    )
    .map_err(|e| bad("--real".into(), &e.to_string()))?;
    dirs.extend(made);
    Ok(dirs)
}

/// Each run directory read back, compared with the validated scenario.
fn read_runs(dirs: &[PathBuf], sc: &Scenario) -> Result<Vec<RealRun>, CliError> {
    let file = serde_json::to_value(&sc.file).expect("a loaded scenario serialises");
    dirs.iter()
        .map(|d| {
            lab::read_run(d, &file).map_err(|e| match e {
                lab::LabError::Log(e) => CliError::Log(e),
                other => bad(format!("--from {}", d.display()), &other.to_string()),
            })
        })
        .collect()
}

/// report.md, report.json and the plots, replacing only the report's own files.
fn write_report(dir: &std::path::Path, val: &Validation) -> Result<(), CliError> {
    let plots = crate::report::plots::render_validation(val);
    let names: Vec<String> = plots
        .iter()
        .filter(|p| p.file.ends_with(".png"))
        .map(|p| p.file.clone())
        .collect();
    let mut files = vec![
        (
            "report.md".to_string(),
            render::markdown(val, &names).into_bytes(),
        ),
        ("report.json".to_string(), render::json(val).into_bytes()),
    ];
    files.extend(plots.into_iter().map(|p| (p.file, p.bytes)));
    crate::output::write_report_dir(dir, &files).map_err(|e| CliError::write(dir, e))
}

/// The command that reproduces a validation from its real runs' directories.
fn validate_command(args: &ValidateArgs, seed: u64, dirs: &[PathBuf]) -> String {
    let mut c = String::from("portsim validate");
    if let Some(p) = &args.scenario.scenario {
        c.push_str(&format!(" {}", p.display()));
    }
    for s in &args.scenario.sets {
        c.push_str(&format!(" --set '{s}'"));
    }
    c.push_str(&format!(" --seed {seed} --nights {}", args.nights));
    if !dirs.is_empty() {
        c.push_str(" --from");
        for d in dirs {
            c.push_str(&format!(" {}", d.display()));
        }
    }
    c
}
