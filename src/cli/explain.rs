//! `portsim explain`: one night's story of a DLE, a dumper or every lost DLE, as text or JSON.

use super::args::{ExplainArgs, ExplainFormat};
use super::error::{CliError, Status};
use super::print::Printer;
use crate::report::explain as render;
use crate::study::explain::{self, Selector};

/// `portsim explain`.
pub fn cmd(args: &ExplainArgs, p: Printer) -> Result<Status, CliError> {
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
    p.out(&match args.format {
        ExplainFormat::Text => render::text(&e),
        ExplainFormat::Json => render::json(&e),
    })?;
    Ok(Status::Ok)
}
