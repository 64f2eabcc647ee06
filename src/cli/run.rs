//! `portsim run`: one night, as text or JSON, with its trace or only its fingerprint.

use super::args::{Format, RunArgs};
use super::error::{CliError, Status};
use crate::model::{site, trace};
use crate::output::write_output;
use crate::report::{RunReport, text};
use crate::study::check::fingerprint;

/// `portsim run`.
pub fn cmd(args: &RunArgs) -> Result<Status, CliError> {
    if args.fingerprint {
        return fingerprint_cmd(args);
    }
    let sc = args.scenario.load()?;
    let result = site::run(&sc, args.replication, args.trace.is_some());
    if let (Some(path), Some(records)) = (&args.trace, &result.trace) {
        write_output(path, trace::render(&sc, records).as_bytes())
            .map_err(|e| CliError::write(path, e))?;
    }
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
    let result = site::run(&sc, args.replication, true);
    let records = result.trace.as_ref().expect("run with its trace");
    let text = trace::render(&sc, records);
    if let Some(path) = &args.trace {
        write_output(path, text.as_bytes()).map_err(|e| CliError::write(path, e))?;
    }
    println!("{}", fingerprint::sha256_hex(text.as_bytes()));
    Ok(Status::Ok)
}
