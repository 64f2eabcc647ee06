//! `portsim timeline`: one night, every dumper's attempts over time, SVG or PNG.

use super::args::TimelineArgs;
use super::error::{CliError, Status};
use super::picture::{format_of, with_sets, write};
use super::print::Printer;
use crate::report::plots::timeline_picture;

/// `portsim timeline`.
pub fn cmd(args: &TimelineArgs, p: Printer) -> Result<Status, CliError> {
    let format = format_of(&args.out)?;
    let sc = args.scenario.load()?;
    let title = format!(
        "Timeline of {}{}, night {}",
        sc.name,
        with_sets(&args.scenario.sets),
        args.replication
    );
    let night = crate::model::site::run(&sc, args.replication, true);
    let (svg, png) = timeline_picture(&sc, &night, &title);
    write(&args.out, format, svg, png, p)?;
    Ok(Status::Ok)
}
