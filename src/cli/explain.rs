//! `portsim explain`: one night's story of a DLE, a dumper or every lost DLE, as text or JSON.

use super::args::{ExplainArgs, ExplainFormat};
use super::error::{CliError, Status};
use crate::report::explain as render;
use crate::study::explain::{self, Selector};

/// `portsim explain`.
pub fn cmd(args: &ExplainArgs) -> Result<Status, CliError> {
    let sc = args.scenario.load()?;
    let sel = match (&args.dle, args.dumper) {
        (Some(d), _) => Selector::Dle(d.clone()),
        (None, Some(n)) => Selector::Dumper(n),
        (None, None) => Selector::Failed,
    };
    let e = explain::explain(
        &args.scenario.source(),
        &args.scenario.sets(),
        &sc,
        args.replication,
        &sel,
    )?;
    match args.format {
        ExplainFormat::Text => print!("{}", render::text(&e)),
        ExplainFormat::Json => print!("{}", render::json(&e)),
    }
    Ok(Status::Ok)
}
