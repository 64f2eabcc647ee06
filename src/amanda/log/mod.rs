//! Amanda's own logs of one night, read back into a typed [`RealNight`].
//!
//! Three kinds of file, one module each: the trace log ([`trace`]), the amdump log ([`amdump`])
//! and per-process debug logs ([`debug`]). Each gives what only it knows: the trace log the
//! disklist order and every DLE's fate, the amdump log which dumper ran which attempt and when
//! (driver seconds), the debug logs each process's UDP port and wall clock. [`read`] joins them on
//! process ids (`driver: started dumperN pid P`) and on the wall clocks, so that every time is in
//! seconds since amdump started.
//!
//! A malformed line of a kind the reader knows is an error naming file, line and text (or, with
//! [`ReadOptions::lenient`], an unrecognised line); a line of a kind it does not know is counted
//! and sampled in [`RealNight::unrecognized`], never silently dropped.

pub mod amdump;
pub mod debug;
mod fates;
mod join;
mod lex;
pub mod trace;

use crate::model::DumperId;
use crate::model::outcome::{DleFate, Outcome};
use crate::model::ports::{BindKind, Port, PortRange};
use crate::sim::SimTime;
use amdump::AmdumpLine;
use debug::DebugLine;
use std::path::{Path, PathBuf};
use trace::TraceLine;

/// How many unrecognised lines are kept as samples.
pub const SAMPLES: usize = 20;

/// What is wrong with one line, before the reader adds where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// Why.
    pub msg: String,
}

impl LineError {
    /// A line error with this reason.
    pub fn new(msg: impl Into<String>) -> Self {
        LineError { msg: msg.into() }
    }
}

/// Why a night could not be read (bad input: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A file or directory could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line of a known kind is malformed.
    #[error("{path}:{line}: {msg}\n    {text}")]
    Line {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// Why.
        msg: String,
        /// The line.
        text: String,
    },
    /// A file named on the command line is no Amanda log the reader knows.
    #[error(
        "{path}: not an Amanda log portsim reads (a trace log `log.DATE.N`, an amdump log \
         `amdump.DATE`, or a debug log `PROG.DATE.debug`); its first line is: {first}"
    )]
    Kind {
        /// The file.
        path: String,
        /// Its first line.
        first: String,
    },
    /// The files belong to more than one night.
    #[error("{0}")]
    Mixed(String),
    /// Nothing to read.
    #[error("{0}: no Amanda log found (give trace, amdump or debug logs, or a directory of them)")]
    Empty(String),
}

/// Options of [`read`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// Count malformed lines of known kinds as unrecognised instead of failing.
    pub lenient: bool,
}

/// Which kind of log a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogKind {
    /// `log.YYYYMMDD[hhmmss].N`.
    Trace,
    /// `amdump.YYYYMMDDhhmmss`.
    Amdump,
    /// `PROG.YYYYMMDDhhmmss.debug`.
    Debug,
}

/// One file read, and how much of it the reader used.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SourceFile {
    /// Path as given (or found under a given directory).
    pub path: String,
    /// Kind.
    pub kind: LogKind,
    /// The process that wrote a debug log (`dumper`, `amandad`, ...).
    pub prog: Option<String>,
    /// Lines in the file.
    pub lines: usize,
    /// Lines the reader did not understand.
    pub unrecognized: usize,
    /// Set when the file's content repeats an earlier one (a hard-linked copy): not read again.
    pub duplicate_of: Option<String>,
}

/// A line the reader did not understand.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineRef {
    /// File.
    pub path: String,
    /// 1-based line number.
    pub line: usize,
    /// The line (or, in lenient mode, the line and why it was refused).
    pub text: String,
}

/// A server process's UDP socket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RealBind {
    /// Process id.
    pub pid: Option<u32>,
    /// Port, once bound.
    pub port: Option<Port>,
    /// When it bound.
    pub bound_at: Option<SimTime>,
    /// How: in the range (`bind_portrange` succeeded), or below 1024 / above.
    pub bind: Option<BindKind>,
    /// `all ports between LO and HI busy` scans.
    pub busy_scans: u32,
    /// Whether `dgram_bind` gave up (`Giving up`, or `Can't bind a socket`).
    pub gave_up: bool,
}

/// A dumper and its port.
#[derive(Clone, Debug, PartialEq)]
pub struct RealDumper {
    /// dumperN.
    pub id: DumperId,
    /// Its socket.
    pub socket: RealBind,
}

/// One dump attempt, from the driver's `send-cmd` to its `result`.
#[derive(Clone, Debug, PartialEq)]
pub struct RealAttempt {
    /// The driver's job serial.
    pub handle: String,
    /// The dumper that ran it.
    pub dumper: DumperId,
    /// Host.
    pub host: String,
    /// Disk.
    pub disk: String,
    /// Level.
    pub level: Option<u8>,
    /// When the driver sent the dump.
    pub start: SimTime,
    /// When the result came (none: the run ended first).
    pub end: Option<SimTime>,
    /// DONE, TRY-AGAIN or FAILED (none: no result).
    pub outcome: Option<Outcome>,
    /// Amanda's text.
    pub message: String,
}

/// One DLE's night.
#[derive(Clone, Debug, PartialEq)]
pub struct RealDle {
    /// Host.
    pub host: String,
    /// Disk.
    pub disk: String,
    /// Level dumped or planned.
    pub level: Option<u8>,
    /// KB dumped, or else estimated.
    pub size_kb: Option<f64>,
    /// What became of it (none: the logs do not say).
    pub fate: Option<DleFate>,
    /// Attempts.
    pub attempts: u32,
    /// Why it was not dumped (the driver's or planner's text, else the last attempt's).
    pub message: String,
}

/// An estimate failure logged by the planner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannerFailure {
    /// Host.
    pub host: String,
    /// Disk.
    pub disk: String,
    /// Amanda's text.
    pub message: String,
}

/// What the client's amandad logs say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClientNotes {
    /// amandad debug logs read.
    pub amandad_logs: u32,
    /// `already running, acking req`: a retry ACKed while the first service still ran.
    pub already_running: u32,
    /// `received dup P_REQ packet`.
    pub dup_requests: u32,
}

/// One night of a real Amanda, as its logs tell it. Times are since amdump's start.
#[derive(Clone, Debug, Default)]
pub struct RealNight {
    /// Files read.
    pub sources: Vec<SourceFile>,
    /// Lines not understood, all files.
    pub unrecognized_total: usize,
    /// The first [`SAMPLES`] of them.
    pub unrecognized: Vec<LineRef>,
    /// Amanda's version, from a debug log or the amdump log.
    pub version: Option<String>,
    /// The run's datestamp.
    pub datestamp: Option<String>,
    /// The wall clock of time zero (amdump's start), when a log gives it.
    pub origin: Option<String>,
    /// `inparallel`, from the driver.
    pub inparallel: Option<u32>,
    /// The range the logs name (`all ports between LO and HI busy`), if any does.
    pub range_seen: Option<PortRange>,
    /// Dumpers, by index.
    pub dumpers: Vec<RealDumper>,
    /// The planner's socket, when its debug log was read.
    pub planner: Option<RealBind>,
    /// Attempts, in start order.
    pub attempts: Vec<RealAttempt>,
    /// DLEs, in disklist order.
    pub dles: Vec<RealDle>,
    /// Estimate failures.
    pub planner_failures: Vec<PlannerFailure>,
    /// When the planner's estimates ended.
    pub estimates_end: Option<SimTime>,
    /// When the driver finished.
    pub driver_end: Option<SimTime>,
    /// From amdump's start to the last DLE's fate (as `portsim run` measures it).
    pub window: Option<SimTime>,
    /// amdump's exit status (`Amdump exiting with code N` in its debug log).
    pub exit_status: Option<i32>,
    /// `WARNING`, `ERROR` and `FATAL` lines of the trace log, e.g. `got empty schedule from planner`.
    pub notices: Vec<String>,
    /// Client-side observations.
    pub client: ClientNotes,
    /// What the reader had to assume, in words.
    pub notes: Vec<String>,
}

/// A file's lines, parsed.
enum Parsed {
    Trace(Vec<(usize, TraceLine)>),
    Amdump(Vec<(usize, AmdumpLine)>),
    Debug {
        prog: Option<String>,
        lines: Vec<(usize, DebugLine)>,
    },
}

/// Which kind a file is, from its name, else its first line.
pub fn kind_of(path: &Path, first_line: &str) -> Option<LogKind> {
    let name = path.file_name()?.to_string_lossy();
    if name.ends_with(".debug") {
        return Some(LogKind::Debug);
    }
    if name.starts_with("log.") && name[4..].split('.').next().is_some_and(lex::is_datestamp) {
        return Some(LogKind::Trace);
    }
    if name == "amdump" || name.starts_with("amdump.") {
        return Some(LogKind::Amdump);
    }
    sniff(first_line)
}

fn sniff(first: &str) -> Option<LogKind> {
    if first.starts_with("amdump: ")
        || first.starts_with("driver: ")
        || first.starts_with("planner: ")
    {
        Some(LogKind::Amdump)
    } else if debug::sniff(first) {
        Some(LogKind::Debug)
    } else if matches!(trace::parse(first), Ok(Some(l)) if l != TraceLine::Skipped) {
        Some(LogKind::Trace)
    } else {
        None
    }
}

/// Lists the files to read: files as given, directories walked (sorted) for files whose names
/// are those of Amanda logs (other files in a directory, like amanda.conf, are not logs).
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LogError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| LogError::Read {
            path: p.display().to_string(),
            source: e,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LogError> {
    let err = |e| LogError::Read {
        path: dir.display().to_string(),
        source: e,
    };
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let path = entry.map_err(err)?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if kind_of(&path, "").is_some() {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads one night from `paths` (files, or directories holding them).
pub fn read(paths: &[PathBuf], opts: ReadOptions) -> Result<RealNight, LogError> {
    let files = collect(paths)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(LogError::Empty(shown.join(" ")));
    }
    let mut night = RealNight::default();
    let mut seen: Vec<(Vec<u8>, String)> = Vec::new();
    let mut parsed = Vec::new();
    for path in &files {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| LogError::Read {
            path: shown.clone(),
            source: e,
        })?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let first = text.lines().next().unwrap_or("");
        let kind = kind_of(path, first).ok_or_else(|| LogError::Kind {
            path: shown.clone(),
            first: first.chars().take(120).collect(),
        })?;
        let lines = text.lines().count();
        if let Some((_, earlier)) = seen.iter().find(|(b, _)| *b == bytes) {
            night.sources.push(SourceFile {
                path: shown,
                kind,
                prog: None,
                lines,
                unrecognized: 0,
                duplicate_of: Some(earlier.clone()),
            });
            continue;
        }
        seen.push((bytes, shown.clone()));
        let (p, unrec) = parse_file(&shown, kind, &text, opts, &mut night)?;
        night.sources.push(SourceFile {
            path: shown,
            kind,
            prog: match &p {
                Parsed::Debug { prog, .. } => prog.clone(),
                _ => None,
            },
            lines,
            unrecognized: unrec,
            duplicate_of: None,
        });
        parsed.push(p);
    }
    join::assemble(&mut night, parsed)?;
    Ok(night)
}

/// Parses every line of one file; returns the parsed lines and how many were not understood.
fn parse_file(
    path: &str,
    kind: LogKind,
    text: &str,
    opts: ReadOptions,
    night: &mut RealNight,
) -> Result<(Parsed, usize), LogError> {
    let mut unrec = 0;
    let mut refuse = |n: usize, line: &str, why: Option<LineError>| -> Result<(), LogError> {
        match why {
            Some(e) if !opts.lenient => Err(LogError::Line {
                path: path.to_string(),
                line: n,
                msg: e.msg,
                text: line.to_string(),
            }),
            why => {
                unrec += 1;
                night.unrecognized_total += 1;
                if night.unrecognized.len() < SAMPLES {
                    night.unrecognized.push(LineRef {
                        path: path.to_string(),
                        line: n,
                        text: match why {
                            Some(e) => format!("{line}  ({})", e.msg),
                            None => line.to_string(),
                        },
                    });
                }
                Ok(())
            }
        }
    };
    let numbered = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let parsed = match kind {
        LogKind::Trace => {
            let mut out = Vec::new();
            for (n, line) in numbered {
                match trace::parse(line) {
                    Ok(Some(l)) => out.push((n, l)),
                    Ok(None) => refuse(n, line, None)?,
                    Err(e) => refuse(n, line, Some(e))?,
                }
            }
            Parsed::Trace(out)
        }
        LogKind::Amdump => {
            let mut out = Vec::new();
            for (n, line) in numbered {
                match amdump::parse(line) {
                    Ok(Some(l)) => out.push((n, l)),
                    Ok(None) => refuse(n, line, None)?,
                    Err(e) => refuse(n, line, Some(e))?,
                }
            }
            Parsed::Amdump(out)
        }
        LogKind::Debug => {
            let mut out = Vec::new();
            let mut prog = None;
            for (n, line) in numbered {
                match debug::parse(line) {
                    Ok(l) => {
                        if prog.is_none() {
                            prog.clone_from(&l.prog);
                        }
                        out.push((n, l))
                    }
                    Err(e) => refuse(n, line, Some(e))?,
                }
            }
            Parsed::Debug { prog, lines: out }
        }
    };
    Ok((parsed, unrec))
}
