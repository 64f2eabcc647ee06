//! `validate`: real lab runs beside simulated nights.

use super::args::{ValidateArgs, ValidateFormat};
use super::{CliError, Status};
use crate::scenario::{InputError, load};
use std::path::PathBuf;

/// `validate`.
pub fn validate_cmd(args: &ValidateArgs) -> Result<Status, CliError> {
    use crate::study::validate::{self as v, lab};
    let source = args.scenario.source();
    let sets = args.scenario.sets();
    let sc = load(&source, &sets)?;
    let bad = |arg: String, msg: &str| -> CliError {
        InputError::Set {
            arg,
            msg: msg.into(),
        }
        .into()
    };
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
    let mut dirs = args.from.clone();
    if args.real > 0 {
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
        let raw: Vec<String> = args.scenario.sets.clone();
        let made = lab::run_real(&args.harness, &path, &raw, args.real, &root, |k, out| {
            eprintln!(
                "validate: real run {k} of {} into {} (minutes)",
                args.real,
                out.display()
            )
        })
        .map_err(|e| bad("--real".into(), &e.to_string()))?;
        dirs.extend(made);
    }
    let file = serde_json::to_value(&sc.file).expect("a loaded scenario serialises");
    let mut reals = Vec::new();
    for d in &dirs {
        let run = lab::read_run(d, &file).map_err(|e| CliError::Write {
            path: d.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
        reals.push(run);
    }
    let command = validate_command(args, sc.seed, &dirs);
    let val = v::validate(&sc, &reals, args.nights, command);
    if !args.no_out {
        let dir = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("validation").join(&sc.name));
        let plots = crate::report::plots::render_validation(&val);
        let names: Vec<String> = plots
            .iter()
            .filter(|p| p.file.ends_with(".png"))
            .map(|p| p.file.clone())
            .collect();
        let mut files = vec![
            (
                "report.md".to_string(),
                crate::report::validate::markdown(&val, &names).into_bytes(),
            ),
            (
                "report.json".to_string(),
                crate::report::validate::json(&val).into_bytes(),
            ),
        ];
        files.extend(plots.into_iter().map(|p| (p.file, p.bytes)));
        crate::output::write_report_dir(&dir, &files).map_err(|e| CliError::Write {
            path: dir.display().to_string(),
            source: e,
        })?;
        eprintln!("validate: wrote {}", dir.display());
    }
    match args.format {
        ValidateFormat::Text => print!("{}", crate::report::validate::text(&val)),
        ValidateFormat::Json => print!("{}", crate::report::validate::json(&val)),
        ValidateFormat::Markdown => print!("{}", crate::report::validate::markdown(&val, &[])),
    }
    Ok(Status::Ok)
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

