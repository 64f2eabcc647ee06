//! `read-log` and `diagnose`: real Amanda logs read back, reported, judged.

use super::args::{DiagnoseArgs, Format, ReadLogArgs};
use super::print::Printer;
use super::{CliError, Status};
use crate::model::site;
use crate::report::RunReport;
use crate::scenario::{Source, load};

impl ReadLogArgs {
    /// Reads the night, loads the scenario if given, and names the night.
    pub fn load(
        &self,
    ) -> Result<
        (
            crate::amanda::log::RealNight,
            Option<crate::scenario::Scenario>,
            String,
        ),
        CliError,
    > {
        let opts = crate::amanda::log::ReadOptions {
            lenient: self.lenient,
        };
        let night = crate::amanda::log::read(&self.logs, opts)?;
        let sc = match &self.scenario {
            Some(p) => Some(load(&Source::File(p.clone()), &[])?),
            None => None,
        };
        let name = self.name.clone().unwrap_or_else(|| {
            let first = &self.logs[0];
            let base = if first.is_dir() {
                first.canonicalize().unwrap_or_else(|_| first.clone())
            } else {
                first.with_file_name("")
            };
            base.file_name()
                .map_or("amanda".into(), |n| n.to_string_lossy().into_owned())
        });
        Ok((night, sc, name))
    }
}

/// `read-log`.
pub fn read_log_cmd(args: &ReadLogArgs, p: Printer) -> Result<Status, CliError> {
    let (night, sc, name) = args.load()?;
    let report = crate::report::real::RealReport::new(&night, &name, sc.as_ref());
    p.out(&match args.format {
        Format::Text => report.to_text(),
        Format::Json => report.to_json(),
    })?;
    Ok(Status::Ok)
}

/// `diagnose`.
pub fn diagnose_cmd(args: &DiagnoseArgs, p: Printer) -> Result<Status, CliError> {
    use crate::report::diagnose::{DIAGNOSE_SCHEMA, DiagnoseReport, Verdict, diagnose};
    let (night, sc, name) = args.logs.load()?;
    let real = crate::report::real::RealReport::new(&night, &name, sc.as_ref());
    let mut report = DiagnoseReport {
        schema: DIAGNOSE_SCHEMA,
        real: diagnose(&real.run, sc.as_ref()),
        simulated: None,
        simulated_verdicts: Vec::new(),
    };
    if let Some(sc) = &sc {
        let mut counts: Vec<(Verdict, usize)> = Vec::new();
        for rep in 0..args.nights.max(1) {
            let run = RunReport::new(sc, &site::run(sc, rep, false), rep);
            let d = diagnose(&run, Some(sc));
            match counts.iter_mut().find(|(v, _)| *v == d.verdict) {
                Some((_, n)) => *n += 1,
                None => counts.push((d.verdict, 1)),
            }
            if rep == 0 {
                report.simulated = Some(d);
            }
        }
        // Most common first; ties in first-seen order (stable sort).
        counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        report.simulated_verdicts = counts;
    }
    p.out(&match args.logs.format {
        Format::Text => report.to_text(),
        Format::Json => report.to_json(),
    })?;
    Ok(Status::Ok)
}
