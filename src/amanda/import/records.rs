//! What Amanda's own logs of past nights say of each DLE (`--log`), read with the log reader of
//! [`crate::amanda::log`]: trace logs give every dump (`SUCCESS dumper HOST DISK DATE LEVEL ...
//! [sec S kb K kps R ...]`, 2.4 and 3.x alike, and `STRANGE`) and the driver's estimates
//! (`STATS driver estimate ... [sec S nkb N ckb C kps K]`, 3.x); amdump logs give when the
//! planner got each DLE's estimate (`planner: time T: got result for host H disk D: ...`).
//! A line the reader refuses is a warning naming file:line; it never stops the import.

use super::provenance::{Prov, flag_err};
use super::source::{ImportError, Loc, SourceText};
use crate::amanda::log::amdump::{self, AmdumpLine};
use crate::amanda::log::trace::{self, ResultKind, TraceLine};
use crate::amanda::log::{self, LogKind};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `(host, disk)`.
pub(super) type Dle = (String, String);

/// One dump a trace log records.
#[derive(Clone, Debug)]
pub(super) struct Dump {
    /// The night's datestamp (`START ... date D`; the file name when there is none).
    pub(super) night: String,
    /// Where.
    pub(super) loc: Loc,
    /// Level.
    pub(super) level: u8,
    /// KB written.
    pub(super) kb: f64,
    /// KB/s, as the dumper measured it.
    pub(super) kps: f64,
}

/// A level-0 size the driver's estimate gives (for DLEs with no full dump logged).
#[derive(Clone, Debug)]
pub(super) struct EstSize {
    /// The night's datestamp.
    pub(super) night: String,
    /// Where.
    pub(super) loc: Loc,
    /// Estimated KB (`ckb`, after compression).
    pub(super) kb: f64,
}

/// When the planner had one DLE's estimate, in one amdump log (one night).
#[derive(Clone, Debug)]
pub(super) struct EstResult {
    /// Which amdump log (its index among the files read).
    pub(super) night: usize,
    /// Where.
    pub(super) loc: Loc,
    /// Planner seconds.
    pub(super) time: f64,
}

/// Every record of every DLE, from every log given.
#[derive(Default)]
pub(super) struct Records {
    /// Dumps, by DLE.
    pub(super) dumps: BTreeMap<Dle, Vec<Dump>>,
    /// Level-0 estimates, by DLE.
    pub(super) sizes: BTreeMap<Dle, Vec<EstSize>>,
    /// Estimate results, by DLE.
    pub(super) estimates: BTreeMap<Dle, Vec<EstResult>>,
    /// The files read.
    pub(super) files: Vec<String>,
}

impl Records {
    /// Where each DLE is first named in the logs, for DLEs the disklist does not have.
    pub(super) fn first_locs(&self) -> BTreeMap<Dle, Loc> {
        let mut out: BTreeMap<Dle, Loc> = BTreeMap::new();
        let all = self
            .dumps
            .iter()
            .flat_map(|(k, v)| v.iter().map(move |d| (k, &d.loc)))
            .chain(
                self.sizes
                    .iter()
                    .flat_map(|(k, v)| v.iter().map(move |d| (k, &d.loc))),
            )
            .chain(
                self.estimates
                    .iter()
                    .flat_map(|(k, v)| v.iter().map(move |d| (k, &d.loc))),
            );
        for (k, loc) in all {
            out.entry(k.clone()).or_insert_with(|| loc.clone());
        }
        out
    }
}

/// Reads every log named (files, or directories walked for Amanda log names).
pub(super) fn read(paths: &[PathBuf], prov: &mut Prov) -> Result<Records, ImportError> {
    let files = log::collect(paths).map_err(|e| flag_err("--log", e.to_string()))?;
    if files.is_empty() {
        return Err(flag_err(
            "--log",
            "no Amanda log found: give trace logs (log.DATE.N) or amdump logs, or their directory",
        ));
    }
    let mut rec = Records::default();
    for (i, path) in files.iter().enumerate() {
        let src = SourceText::read(path, "Amanda log (--log)")?;
        rec.files.push(src.path.display().to_string());
        let first = src.text.lines().next().unwrap_or("");
        match log::kind_of(path, first) {
            Some(LogKind::Trace) => read_trace(&src, &mut rec, prov),
            Some(LogKind::Amdump) => read_amdump(&src, i, &mut rec, prov),
            _ => prov.warn(
                src.loc(1, 1),
                "neither a trace log nor an amdump log: it holds no sizes, rates or estimate times; not read",
            ),
        }
    }
    Ok(rec)
}

/// A trace log: dumps and level-0 estimates.
fn read_trace(src: &SourceText, rec: &mut Records, prov: &mut Prov) {
    let mut night = src
        .path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    for (i, line) in src.text.lines().enumerate() {
        let loc = src.loc(i + 1, 1);
        match trace::parse(line) {
            Ok(Some(TraceLine::Start { date, .. })) => night = date,
            Ok(Some(TraceLine::Result {
                kind: kind @ (ResultKind::Success | ResultKind::Strange),
                prog,
                host,
                disk,
                level,
                message,
                kb,
            })) if prog == "dumper" => {
                let kps = trace::field(&message, "kps");
                match (level, kb, kps) {
                    (Some(level), Some(kb), Some(kps)) => {
                        rec.dumps.entry((host, disk)).or_default().push(Dump {
                            night: night.clone(),
                            loc,
                            level,
                            kb,
                            kps,
                        })
                    }
                    _ => prov.warn(
                        loc,
                        format!(
                            "{kind:?} dumper {host} {disk}: no `kb K kps R` in [{message}]; line not read"
                        ),
                    ),
                }
            }
            Ok(Some(TraceLine::Estimate {
                host,
                disk,
                level: Some(0),
                ckb: Some(kb),
            })) => rec.sizes.entry((host, disk)).or_default().push(EstSize {
                night: night.clone(),
                loc,
                kb,
            }),
            Ok(Some(_)) => {}
            Ok(None) => prov.warn(
                loc,
                format!("not a trace-log line (an unknown type word); not read: {line}"),
            ),
            Err(e) => prov.warn(loc, format!("{}; line not read: {line}", e.msg)),
        }
    }
}

/// An amdump log: when the planner had each DLE's estimate. Lines of kinds the reader does
/// not know are common in amdump logs and hold no estimate; only malformed known ones warn.
fn read_amdump(src: &SourceText, night: usize, rec: &mut Records, prov: &mut Prov) {
    for (i, line) in src.text.lines().enumerate() {
        let loc = src.loc(i + 1, 1);
        match amdump::parse(line) {
            Ok(Some(AmdumpLine::EstimateResult { time, host, disk })) => rec
                .estimates
                .entry((host, disk))
                .or_default()
                .push(EstResult { night, loc, time }),
            Ok(_) => {}
            Err(e) => prov.warn(loc, format!("{}; line not read: {line}", e.msg)),
        }
    }
}
