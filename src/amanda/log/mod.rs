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
mod lex;
pub mod trace;

use crate::model::DumperId;
use crate::model::outcome::{DleFate, Outcome};
use crate::model::ports::{BindKind, Port, PortRange};
use crate::sim::{SimDuration, SimTime};
use amdump::AmdumpLine;
use debug::{DebugEvent, DebugLine};
use lex::Clock;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use trace::{ResultKind, TraceLine};

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
    if first.starts_with("amdump: ") || first.starts_with("driver: ") || first.starts_with("planner: ") {
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
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LogError> {
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
    assemble(&mut night, parsed)?;
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

/// A debug log reduced to what the night needs.
#[derive(Default)]
struct Process {
    prog: String,
    pid: Option<u32>,
    start: Option<Clock>,
    version: Option<String>,
    bind: RealBind,
    /// Clocks of the binds, absolute.
    bound_clock: Option<Clock>,
    exit: Option<i32>,
    already_running: u32,
    dup_requests: u32,
}

fn process_of(prog: Option<String>, lines: &[(usize, DebugLine)], range: &mut Option<PortRange>) -> Process {
    let mut p = Process {
        prog: prog.unwrap_or_default(),
        ..Process::default()
    };
    // Ports `bind_portrange` reported taking: a bind to one of them is in the range.
    let mut from_range: Vec<Port> = Vec::new();
    for (_, l) in lines {
        let at = l.at.or_else(|| {
            let s = l.since_start?;
            Some(p.start? + chrono::Duration::microseconds((s * 1e6) as i64))
        });
        match &l.event {
            DebugEvent::Header { pid, version } => {
                p.pid = p.pid.or(Some(*pid));
                p.start = p.start.or(l.at);
                p.version = p.version.clone().or(version.clone());
            }
            DebugEvent::Bound(port) if p.bind.port.is_none() => {
                p.bind.port = Some(*port);
                p.bound_clock = at;
                p.bind.bind = Some(if range.is_some_and(|r| r.contains(*port)) || from_range.contains(port) {
                    BindKind::InRange
                } else if port.is_reserved() {
                    BindKind::ReservedFallback
                } else {
                    BindKind::Ephemeral
                });
            }
            DebugEvent::RangeBusy { low, high } => {
                p.bind.busy_scans += 1;
                if *low <= *high {
                    *range = Some(PortRange::new(*low, *high));
                }
            }
            DebugEvent::RangeMiss { low, high } if *low <= *high => {
                *range = Some(PortRange::new(*low, *high));
            }
            DebugEvent::RangePortTaken(port) => from_range.push(*port),
            DebugEvent::GaveUp | DebugEvent::CantBind => p.bind.gave_up = true,
            DebugEvent::AlreadyRunning => p.already_running += 1,
            DebugEvent::DupRequest => p.dup_requests += 1,
            DebugEvent::ExitCode(c) => p.exit = Some(*c),
            _ => {}
        }
    }
    p.bind.pid = p.pid;
    p
}

fn assemble(night: &mut RealNight, parsed: Vec<Parsed>) -> Result<(), LogError> {
    let mut traces = Vec::new();
    let mut amdumps = Vec::new();
    let mut debugs = Vec::new();
    for p in parsed {
        match p {
            Parsed::Trace(t) => traces.push(t),
            Parsed::Amdump(a) => amdumps.push(a),
            Parsed::Debug { prog, lines } => debugs.push((prog, lines)),
        }
    }
    if amdumps.len() > 1 {
        return Err(LogError::Mixed(
            "more than one amdump log: give the logs of one night".into(),
        ));
    }
    // Trace logs of one night share the driver's datestamp.
    let mut dates: Vec<String> = traces
        .iter()
        .flat_map(|t| {
            t.iter().filter_map(|(_, l)| match l {
                TraceLine::Start { date, .. } => Some(date.clone()),
                _ => None,
            })
        })
        .collect();
    dates.sort();
    dates.dedup();
    if dates.len() > 1 {
        return Err(LogError::Mixed(format!(
            "trace logs of more than one night (datestamps {}): give the logs of one night",
            dates.join(", ")
        )));
    }
    night.datestamp = dates.pop();

    let mut range = None;
    let procs: Vec<Process> = debugs
        .into_iter()
        .map(|(prog, lines)| process_of(prog, &lines, &mut range))
        .collect();
    // Re-judge bind kinds now that every file's range is known.
    night.range_seen = range;

    let amdump = amdumps.pop().unwrap_or_default();
    // Time zero: amdump's own debug log, else its `start at`, else the earliest process start.
    let origin = procs
        .iter()
        .find(|p| p.prog == "amdump")
        .and_then(|p| p.start)
        .or_else(|| {
            amdump.iter().find_map(|(_, l)| match l {
                AmdumpLine::Start(c) => Some(*c),
                _ => None,
            })
        })
        .or_else(|| procs.iter().filter_map(|p| p.start).min());
    night.origin = origin.map(|c| c.format("%Y-%m-%d %H:%M:%S%.6f").to_string());
    let since = |c: Option<Clock>| -> Option<SimTime> {
        let s = lex::seconds_between(origin?, c?);
        Some(SimTime::ZERO + SimDuration::from_secs_f64(s))
    };
    let offset_of = |prog: &str| -> f64 {
        match (origin, procs.iter().find(|p| p.prog == prog).and_then(|p| p.start)) {
            (Some(o), Some(s)) => lex::seconds_between(o, s).max(0.0),
            _ => 0.0,
        }
    };
    let driver_off = offset_of("driver");
    let planner_off = offset_of("planner");
    if !amdump.is_empty() && !procs.iter().any(|p| p.prog == "driver") {
        night
            .notes
            .push("no driver debug log: driver times taken as seconds since amdump's start".into());
    }
    let at = |off: f64, t: f64| SimTime::ZERO + SimDuration::from_secs_f64(off + t);

    night.version = procs
        .iter()
        .find_map(|p| p.version.clone())
        .or_else(|| {
            amdump.iter().find_map(|(_, l)| match l {
                AmdumpLine::Version { version, .. } => Some(version.clone()),
                _ => None,
            })
        });
    night.exit_status = procs.iter().find_map(|p| p.exit);
    for p in procs.iter().filter(|p| p.prog == "amandad") {
        night.client.amandad_logs += 1;
        night.client.already_running += p.already_running;
        night.client.dup_requests += p.dup_requests;
    }
    let socket = |p: &Process| RealBind {
        bound_at: since(p.bound_clock),
        bind: p.bind.port.map(|port| match (range, p.bind.bind) {
            (Some(r), _) if r.contains(port) => BindKind::InRange,
            (Some(_), _) if port.is_reserved() => BindKind::ReservedFallback,
            (Some(_), _) => BindKind::Ephemeral,
            (None, Some(k)) => k,
            (None, None) => BindKind::InRange,
        }),
        ..p.bind.clone()
    };
    night.planner = procs.iter().find(|p| p.prog == "planner").map(socket);

    // Dumpers: the driver names them with their pids; their debug logs give the ports.
    let mut pids: BTreeMap<DumperId, Option<u32>> = BTreeMap::new();
    let mut open: BTreeMap<DumperId, usize> = BTreeMap::new();
    let mut plan_fail = Vec::new();
    for (n, l) in &amdump {
        match l {
            AmdumpLine::DumperStarted { dumper, pid } => {
                pids.insert(*dumper, Some(*pid));
            }
            AmdumpLine::DriverStart { inparallel, .. } => night.inparallel = *inparallel,
            AmdumpLine::Dispatch {
                time,
                dumper,
                handle,
                host,
                disk,
                level,
            } => {
                pids.entry(*dumper).or_insert(None);
                open.insert(*dumper, night.attempts.len());
                night.attempts.push(RealAttempt {
                    handle: handle.clone(),
                    dumper: *dumper,
                    host: host.clone(),
                    disk: disk.clone(),
                    level: *level,
                    start: at(driver_off, *time),
                    end: None,
                    outcome: None,
                    message: String::new(),
                });
            }
            AmdumpLine::Result {
                time,
                dumper,
                handle,
                outcome,
                message,
            } => {
                let Some(i) = open.remove(dumper) else {
                    night.notes.push(format!(
                        "amdump log line {n}: a result from {dumper} that had no dump"
                    ));
                    continue;
                };
                let a = &mut night.attempts[i];
                if handle.as_ref().is_some_and(|h| *h != a.handle) {
                    night.notes.push(format!(
                        "amdump log line {n}: {dumper}'s result names {} but it ran {}",
                        handle.as_deref().unwrap_or("-"),
                        a.handle
                    ));
                }
                a.end = Some(at(driver_off, *time));
                a.outcome = Some(*outcome);
                a.message.clone_from(message);
            }
            AmdumpLine::DriverFinished { time } => night.driver_end = Some(at(driver_off, *time)),
            AmdumpLine::EstimatesDone { time } => {
                night.estimates_end = Some(at(planner_off, *time))
            }
            AmdumpLine::PlannerFailed {
                host,
                disk,
                message,
            } => plan_fail.push(PlannerFailure {
                host: host.clone(),
                disk: disk.clone(),
                message: message.clone(),
            }),
            _ => {}
        }
    }
    if let Some(n) = night.inparallel {
        for i in 0..n.min(u32::from(u16::MAX)) as u16 {
            pids.entry(DumperId(i)).or_insert(None);
        }
    }
    let dumper_procs: Vec<&Process> = procs.iter().filter(|p| p.prog == "dumper").collect();
    if pids.is_empty() && !dumper_procs.is_empty() {
        // No amdump log: dumpers are forked in index order, so their start clocks give the index.
        night.notes.push(
            "no amdump log: dumper numbers assumed from the order the dumper debug logs started".into(),
        );
        let mut by_start: Vec<&&Process> = dumper_procs.iter().collect();
        by_start.sort_by_key(|p| (p.start, p.pid));
        for (i, p) in by_start.iter().enumerate() {
            pids.insert(DumperId(i as u16), p.pid);
        }
    }
    night.dumpers = pids
        .iter()
        .map(|(&id, pid)| RealDumper {
            id,
            socket: pid
                .and_then(|pid| dumper_procs.iter().find(|p| p.pid == Some(pid)))
                .map(|p| socket(p))
                .unwrap_or(RealBind {
                    pid: *pid,
                    ..RealBind::default()
                }),
        })
        .collect();
    if !dumper_procs.is_empty() && night.dumpers.iter().all(|d| d.socket.port.is_none()) {
        night
            .notes
            .push("dumper debug logs read, but none matched a dumper's pid".into());
    }

    dles_of(night, &traces, plan_fail);
    night.window = window(night);
    Ok(())
}

/// Fills DLEs, their fates and the planner failures from the trace log and the attempts.
fn dles_of(night: &mut RealNight, traces: &[Vec<(usize, TraceLine)>], mut plan_fail: Vec<PlannerFailure>) {
    let mut book = DleBook::default();
    let mut driver_fail: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut trace_attempts: BTreeMap<(String, String), u32> = BTreeMap::new();
    for (_, l) in traces.iter().flatten() {
        match l {
            TraceLine::Disk { host, disk } => {
                book.get(host, disk);
            }
            TraceLine::Estimate {
                host,
                disk,
                level,
                ckb,
            } => {
                let d = book.get(host, disk);
                d.level = d.level.or(*level);
                d.size_kb = d.size_kb.or(*ckb);
            }
            TraceLine::Result {
                kind,
                prog,
                host,
                disk,
                level,
                message,
                kb,
            } => {
                let k = (host.clone(), disk.clone());
                let d = book.get(host, disk);
                match (prog.as_str(), kind) {
                    ("dumper", ResultKind::Success | ResultKind::Strange) => {
                        d.fate = Some(DleFate::Dumped);
                        d.level = *level;
                        if kb.is_some() {
                            d.size_kb = *kb;
                        }
                        *trace_attempts.entry(k).or_default() += 1;
                    }
                    ("dumper", _) => {
                        *trace_attempts.entry(k.clone()).or_default() += 1;
                        if d.fate.is_none() && *kind == ResultKind::Partial {
                            d.fate = Some(DleFate::Failed);
                        }
                        if d.message.is_empty() || d.fate != Some(DleFate::Failed) {
                            d.message.clone_from(message);
                        }
                    }
                    ("driver", ResultKind::Fail) => {
                        driver_fail.insert(k, message.clone());
                    }
                    ("planner", ResultKind::Fail) => {
                        if !plan_fail.iter().any(|f| f.host == *host && f.disk == *disk) {
                            plan_fail.push(PlannerFailure {
                                host: host.clone(),
                                disk: disk.clone(),
                                message: message.clone(),
                            });
                        }
                    }
                    _ => {}
                }
            }
            TraceLine::Notice { kind, prog, text } => {
                night.notices.push(format!("{kind} {prog} {text}"));
            }
            _ => {}
        }
    }
    for a in &night.attempts {
        let d = book.get(&a.host, &a.disk);
        d.attempts += 1;
        d.level = d.level.or(a.level);
        match a.outcome {
            Some(Outcome::Done) => d.fate = Some(DleFate::Dumped),
            Some(_) if d.fate != Some(DleFate::Dumped) => {
                d.fate = Some(DleFate::Failed);
                d.message.clone_from(&a.message);
            }
            _ => {}
        }
    }
    for f in &plan_fail {
        let d = book.get(&f.host, &f.disk);
        if d.fate != Some(DleFate::Dumped) && d.attempts == 0 {
            d.fate = Some(DleFate::NotScheduled);
            d.message.clone_from(&f.message);
        }
    }
    for ((host, disk), msg) in driver_fail {
        let d = book.get(&host, &disk);
        if d.fate != Some(DleFate::Dumped) {
            d.fate = Some(DleFate::Failed);
            d.message = msg;
        }
    }
    if night.attempts.is_empty() {
        // Only the trace log: its dumper lines count the attempts.
        for ((host, disk), n) in trace_attempts {
            book.get(&host, &disk).attempts = n;
        }
    }
    night.planner_failures = plan_fail;
    night.dles = book.dles;
    for d in &mut night.dles {
        if d.fate == Some(DleFate::Dumped) {
            d.message.clear();
        }
    }
}

/// DLEs in the order first met, found by (host, disk).
#[derive(Default)]
struct DleBook {
    dles: Vec<RealDle>,
    index: BTreeMap<(String, String), usize>,
}

impl DleBook {
    fn get(&mut self, host: &str, disk: &str) -> &mut RealDle {
        let key = (host.to_string(), disk.to_string());
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.dles.push(RealDle {
                    host: host.to_string(),
                    disk: disk.to_string(),
                    level: None,
                    size_kb: None,
                    fate: None,
                    attempts: 0,
                    message: String::new(),
                });
                self.index.insert(key, self.dles.len() - 1);
                self.dles.len() - 1
            }
        };
        &mut self.dles[i]
    }
}

/// From amdump's start to the last DLE's fate: the last attempt's result, or the end of the
/// estimates for DLEs the planner dropped; the driver's end when nothing else says.
fn window(night: &RealNight) -> Option<SimTime> {
    let last_attempt = night.attempts.iter().filter_map(|a| a.end).max();
    let unscheduled = night
        .dles
        .iter()
        .any(|d| d.fate == Some(DleFate::NotScheduled));
    let est = night.estimates_end.filter(|_| unscheduled);
    match (last_attempt, est) {
        (Some(a), Some(e)) => Some(a.max(e)),
        (Some(a), None) => Some(a),
        (None, Some(e)) => Some(e),
        (None, None) => night.driver_end,
    }
}
