//! `portsim ladder`: one DLE's attempts as a sequence diagram, SVG or PNG.

use super::args::LadderArgs;
use super::error::{CliError, Status};
use super::picture::{format_of, with_sets, write};
use super::print::Printer;
use crate::report::plots::ladder_picture;
use crate::study::explain::{Night, find_dle};

/// `portsim ladder`.
pub fn cmd(args: &LadderArgs, p: Printer) -> Result<Status, CliError> {
    let format = format_of(&args.out)?;
    let sc = args.scenario.load()?;
    let d = find_dle(&sc, &args.dle)?;
    let night = Night::run(&sc, args.replication);
    let mut ladder = night.ladder(d, args.replication);
    ladder.title = format!(
        "{}{} on night {}: {}",
        ladder.dle,
        with_sets(&args.scenario.sets),
        args.replication,
        ladder.fate
    );
    let (svg, png) = ladder_picture(&ladder);
    write(&args.out, format, svg, png, p)?;
    Ok(Status::Ok)
}
