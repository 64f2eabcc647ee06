//! `portsim check`: judge every scenario's expectations; print, write JUnit, bless pins.

use super::args::{CheckArgs, CheckFormat};
use super::error::{CliError, Status};
use crate::output::write_output;
use crate::scenario::InputError;
use crate::study::check::bless::BlessError;
use crate::study::check::fault::Fault;
use crate::study::check::results::CheckReport;
use crate::study::check::{bless_all, discover, evaluate, load_all};
use std::path::PathBuf;

/// `portsim check`.
pub fn cmd(args: &CheckArgs) -> Result<Status, CliError> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths.clone()
    };
    let files = discover(&paths)?;
    let (loaded, skipped) = load_all(&files, args.inject_fault)?;
    if loaded.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(InputError::Invalid {
            origin: names.join(", "),
            path: "expect".into(),
            msg: "no scenario here has an expect block: nothing to check".into(),
        }
        .into());
    }
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut results = evaluate(&loaded, threads);
    let blessed = if args.bless {
        bless_all(&mut results).map_err(|err| match err {
            BlessError::Io { file, source } => CliError::Write { path: file, source },
            BlessError::Layout { file, msg } => CliError::Input(InputError::Invalid {
                origin: file,
                path: "expect.fingerprint.sha256".into(),
                msg: format!("cannot bless: {msg}"),
            }),
        })?
    } else {
        Vec::new()
    };
    let report = CheckReport::new(
        results,
        skipped,
        blessed,
        args.inject_fault.map(Fault::name),
    );
    if let Some(path) = &args.junit {
        write_output(path, report.to_junit().as_bytes()).map_err(|e| CliError::write(path, e))?;
    }
    match args.format {
        CheckFormat::Text => print!("{}", report.to_text()),
        CheckFormat::Json => print!("{}", report.to_json()),
    }
    Ok(if report.passed {
        Status::Ok
    } else {
        Status::ExpectationFailed
    })
}
