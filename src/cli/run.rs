//! `portsim run`: one night, as text or JSON, with its trace or only its fingerprint.

use super::args::{Format, RunArgs};
use super::error::{CliError, Status};
use crate::model::{site, trace};
use crate::output::write_atomic;
use crate::report::{RunReport, text};
use crate::study::check::fingerprint;

/// `portsim run`.
pub fn cmd(args: &RunArgs) -> Result<Status, CliError> {
    if args.fingerprint {
        return fingerprint_cmd(args);
    }
    let sc = args.scenario.load()?;
    let result = match &args.trace {
        None => site::run(&sc, args.replication, false),
        Some(path) => {
            // Lines are rendered as the events happen; the records themselves are not kept.
            let mut text = String::new();
            let result = site::run_streaming(&sc, args.replication, &mut |r| {
                trace::push_line(&sc, &r, &mut text)
            });
            write_atomic(path, text.as_bytes()).map_err(|e| CliError::write(path, e))?;
            result
        }
    };
    let report = RunReport::new(&sc, &result, args.replication);
    match args.format {
        Format::Text => print!("{}", text::render(&report)),
        Format::Json => print!("{}", report.to_json()),
    }
    Ok(Status::Ok)
}

/// `portsim run --fingerprint`: prints the SHA-256 of the night's trace (and writes the trace
/// with `--trace`); `sha256sum` of the trace file gives the same hash.
fn fingerprint_cmd(args: &RunArgs) -> Result<Status, CliError> {
    let sc = args.scenario.load()?;
    let mut text = String::new();
    let keep = args.trace.is_some();
    let (_, hash) = fingerprint::run_hashed(&sc, args.replication, &mut |line| {
        if keep {
            text.push_str(line);
        }
    });
    if let Some(path) = &args.trace {
        write_atomic(path, text.as_bytes()).map_err(|e| CliError::write(path, e))?;
    }
    println!("{hash}");
    Ok(Status::Ok)
}
