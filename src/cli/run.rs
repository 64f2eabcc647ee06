//! `portsim run`: one night, as text or JSON, with its trace or only its fingerprint.

use super::args::{Format, RunArgs};
use super::error::{CliError, Status};
use super::print::Printer;
use crate::model::{site, trace};
use crate::output::write_output;
use crate::report::{RunReport, text};
use crate::study::check::fingerprint;

/// `portsim run`.
pub fn cmd(args: &RunArgs, p: Printer) -> Result<Status, CliError> {
    if args.fingerprint {
        return fingerprint_cmd(args, p);
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
            write_output(path, text.as_bytes()).map_err(|e| CliError::write(path, e))?;
            result
        }
    };
    let report = RunReport::new(&sc, &result, args.replication);
    too_long(&report)?;
    match args.format {
        Format::Text => p.out(&text::render(&report))?,
        Format::Json => p.out(&report.to_json())?,
    }
    Ok(Status::Ok)
}

/// `portsim run --fingerprint`: prints the SHA-256 of the night's trace (and writes the trace
/// with `--trace`); `sha256sum` of the trace file gives the same hash.
fn fingerprint_cmd(args: &RunArgs, p: Printer) -> Result<Status, CliError> {
    let sc = args.scenario.load()?;
    let mut text = String::new();
    let keep = args.trace.is_some();
    let (_, hash) = fingerprint::run_hashed(&sc, args.replication, &mut |line| {
        if keep {
            text.push_str(line);
        }
    });
    if let Some(path) = &args.trace {
        write_output(path, text.as_bytes()).map_err(|e| CliError::write(path, e))?;
    }
    p.out(&format!("{hash}\n"))?;
    Ok(Status::Ok)
}

/// A night that ran past [`MAX_NIGHT`](crate::scenario::bounds::MAX_NIGHT) is an error naming the
/// DLE that ended last: each DLE fits a night (checked at load), but many in a row may not.
fn too_long(report: &RunReport) -> Result<(), CliError> {
    let limit = crate::scenario::bounds::MAX_NIGHT.as_secs_f64();
    let last = report
        .attempts
        .iter()
        .filter(|a| a.end_s > limit)
        .max_by(|a, b| a.end_s.total_cmp(&b.end_s));
    match last {
        None => Ok(()),
        Some(a) => Err(CliError::arg(
            format!("{}:{}", a.host, a.disk),
            format!(
                "the night runs past 30 days: this DLE's dump ends at {:.1} days; fewer or smaller DLEs, faster disks, or more dumpers",
                a.end_s / 86400.0
            ),
        )),
    }
}
