//! Joining the parsed files into one night: processes by pid, clocks to one origin.
//!
//! Time zero is amdump's start: its debug log's first line, else the amdump log's `start at`,
//! else the earliest process start. Driver and planner times count from their own starts, found
//! in their debug logs (taken as time zero, with a note, when those logs are missing).

use super::amdump::AmdumpLine;
use super::debug::{DebugEvent, DebugLine};
use super::fates::{dles_of, window};
use super::lex::{self, Clock};
use super::trace::TraceLine;
use super::{LogError, Parsed, PlannerFailure, RealAttempt, RealBind, RealDumper, RealNight};
use crate::model::DumperId;
use crate::model::measures::AMANDA_PORT;
use crate::model::ports::{BindKind, Port, PortRange};
use crate::sim::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// A debug log reduced to what the night needs.
#[derive(Default)]
struct Process {
    prog: String,
    pid: Option<u32>,
    start: Option<Clock>,
    version: Option<String>,
    bind: RealBind,
    bound_clock: Option<Clock>,
    exit: Option<i32>,
    already_running: u32,
    dup_requests: u32,
}

fn process_of(
    prog: Option<String>,
    lines: &[(usize, DebugLine)],
    range: &mut Option<PortRange>,
) -> Process {
    let mut p = Process {
        prog: prog.unwrap_or_default(),
        ..Process::default()
    };
    // Ports `bind_portrange` reported taking: a bind to one of them is in the range.
    let mut from_range: Vec<Port> = Vec::new();
    // auth "bsdtcp": the reserved port the last TCP connect tried from.
    let mut tcp_tried: Option<Port> = None;
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
                p.bind.bind = Some(bind_kind(*port, *range, from_range.contains(port)));
            }
            DebugEvent::RangeBusy { low, high } => {
                p.bind.busy_scans += 1;
                if low <= high {
                    *range = Some(PortRange::new(*low, *high));
                }
            }
            DebugEvent::RangeMiss { low, high } if low <= high => {
                *range = Some(PortRange::new(*low, *high));
            }
            DebugEvent::RangePortTaken(port) => from_range.push(*port),
            DebugEvent::TcpPortTried(port) => tcp_tried = Some(*port),
            // bsdtcp: the connection to amandad is the process's socket to the client, and
            // leaves from the last reserved port tried (the earlier ones were in use).
            DebugEvent::TcpConnected(dst) if *dst == AMANDA_PORT && p.bind.port.is_none() => {
                if let Some(port) = tcp_tried {
                    p.bind.port = Some(port);
                    p.bound_clock = at;
                    p.bind.bind = Some(bind_kind(port, *range, false));
                }
            }
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

/// How a port was got: in the range if the range (or the range scan) says so.
fn bind_kind(port: Port, range: Option<PortRange>, scanned: bool) -> BindKind {
    if scanned || range.is_some_and(|r| r.contains(port)) {
        BindKind::InRange
    } else if port.is_reserved() {
        BindKind::ReservedFallback
    } else {
        BindKind::Ephemeral
    }
}

/// Seconds-since-origin conversions.
struct Clocks {
    origin: Option<Clock>,
    driver: f64,
    planner: f64,
}

impl Clocks {
    fn of(procs: &[Process], amdump: &[(usize, AmdumpLine)]) -> Clocks {
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
        let offset = |prog: &str| match (
            origin,
            procs.iter().find(|p| p.prog == prog).and_then(|p| p.start),
        ) {
            (Some(o), Some(s)) => lex::seconds_between(o, s).max(0.0),
            _ => 0.0,
        };
        Clocks {
            origin,
            driver: offset("driver"),
            planner: offset("planner"),
        }
    }

    fn since(&self, c: Option<Clock>) -> Option<SimTime> {
        let s = lex::seconds_between(self.origin?, c?);
        Some(SimTime::ZERO + SimDuration::from_secs_f64(s))
    }

    fn driver(&self, t: f64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(self.driver + t)
    }

    fn planner(&self, t: f64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(self.planner + t)
    }
}

/// Builds the night from every parsed file.
pub(super) fn assemble(night: &mut RealNight, parsed: Vec<Parsed>) -> Result<(), LogError> {
    let mut traces = Vec::new();
    let mut amdumps = Vec::new();
    let mut range = None;
    let mut procs = Vec::new();
    for p in parsed {
        match p {
            Parsed::Trace(t) => traces.push(t),
            Parsed::Amdump(a) => amdumps.push(a),
            Parsed::Debug { prog, lines } => procs.push(process_of(prog, &lines, &mut range)),
        }
    }
    if amdumps.len() > 1 {
        return Err(LogError::Mixed(
            "more than one amdump log: give the logs of one night".into(),
        ));
    }
    night.datestamp = datestamp(&traces)?;
    night.range_seen = range;
    let amdump = amdumps.pop().unwrap_or_default();
    let clocks = Clocks::of(&procs, &amdump);
    night.origin = clocks
        .origin
        .map(|c| c.format("%Y-%m-%d %H:%M:%S%.6f").to_string());
    if !amdump.is_empty() && !procs.iter().any(|p| p.prog == "driver") {
        night
            .notes
            .push("no driver debug log: driver times taken as seconds since amdump's start".into());
    }
    processes(night, &procs, &amdump, &clocks);
    let (pids, plan_fail) = driver(night, &amdump, &clocks);
    dumpers(night, &procs, pids, &clocks);
    dles_of(night, &traces, plan_fail);
    night.window = window(night);
    Ok(())
}

/// The one datestamp of the trace logs' `START` lines.
fn datestamp(traces: &[Vec<(usize, TraceLine)>]) -> Result<Option<String>, LogError> {
    let mut dates: Vec<&String> = traces
        .iter()
        .flatten()
        .filter_map(|(_, l)| match l {
            TraceLine::Start { date, .. } => Some(date),
            _ => None,
        })
        .collect();
    dates.sort();
    dates.dedup();
    if dates.len() > 1 {
        let shown: Vec<&str> = dates.iter().map(|d| d.as_str()).collect();
        return Err(LogError::Mixed(format!(
            "trace logs of more than one night (datestamps {}): give the logs of one night",
            shown.join(", ")
        )));
    }
    Ok(dates.pop().cloned())
}

/// Version, exit status, the planner's socket and the client's notes.
fn processes(
    night: &mut RealNight,
    procs: &[Process],
    amdump: &[(usize, AmdumpLine)],
    clocks: &Clocks,
) {
    night.version = procs.iter().find_map(|p| p.version.clone()).or_else(|| {
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
    night.planner = procs
        .iter()
        .find(|p| p.prog == "planner")
        .map(|p| socket(p, night.range_seen, clocks));
}

/// A process's socket in night time, its bind kind judged against every file's range.
fn socket(p: &Process, range: Option<PortRange>, clocks: &Clocks) -> RealBind {
    RealBind {
        bound_at: clocks.since(p.bound_clock),
        bind: p.bind.port.map(|port| match p.bind.bind {
            Some(BindKind::InRange) => BindKind::InRange,
            _ => bind_kind(port, range, false),
        }),
        ..p.bind.clone()
    }
}

/// Dumper pids and attempts from the driver's lines; returns the pids and the planner failures.
fn driver(
    night: &mut RealNight,
    amdump: &[(usize, AmdumpLine)],
    clocks: &Clocks,
) -> (BTreeMap<DumperId, Option<u32>>, Vec<PlannerFailure>) {
    let mut pids: BTreeMap<DumperId, Option<u32>> = BTreeMap::new();
    let mut open: BTreeMap<DumperId, usize> = BTreeMap::new();
    let mut plan_fail = Vec::new();
    for (n, l) in amdump {
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
                    start: clocks.driver(*time),
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
            } => match open.remove(dumper) {
                Some(i) => {
                    let a = &mut night.attempts[i];
                    a.end = Some(clocks.driver(*time));
                    a.outcome = Some(*outcome);
                    a.message.clone_from(message);
                    if let Some(h) = handle.as_ref().filter(|h| **h != a.handle) {
                        let note = format!(
                            "amdump log line {n}: {dumper}'s result names {h} but it ran {}",
                            a.handle
                        );
                        night.notes.push(note);
                    }
                }
                None => night.notes.push(format!(
                    "amdump log line {n}: a result from {dumper}, which had no dump"
                )),
            },
            AmdumpLine::DriverFinished { time } => night.driver_end = Some(clocks.driver(*time)),
            AmdumpLine::EstimatesDone { time } => night.estimates_end = Some(clocks.planner(*time)),
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
    // Dumpers the driver started but never named again still count.
    for i in 0..night.inparallel.unwrap_or(0).min(u32::from(u16::MAX)) as u16 {
        pids.entry(DumperId(i)).or_insert(None);
    }
    (pids, plan_fail)
}

/// Every dumper with its socket, matched to its debug log by pid.
fn dumpers(
    night: &mut RealNight,
    procs: &[Process],
    mut pids: BTreeMap<DumperId, Option<u32>>,
    clocks: &Clocks,
) {
    let dumper_procs: Vec<&Process> = procs.iter().filter(|p| p.prog == "dumper").collect();
    if pids.is_empty() && !dumper_procs.is_empty() {
        // No amdump log: dumpers are forked in index order, so their start clocks give the index.
        night.notes.push(
            "no amdump log: dumper numbers assumed from the order the dumper debug logs started"
                .into(),
        );
        let mut by_start = dumper_procs.clone();
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
                .map(|p| socket(p, night.range_seen, clocks))
                .unwrap_or(RealBind {
                    pid: *pid,
                    ..RealBind::default()
                }),
        })
        .collect();
    let matched = |p: &&Process| pids.values().any(|pid| pid.is_some() && *pid == p.pid);
    if !dumper_procs.is_empty() && !dumper_procs.iter().any(matched) {
        night
            .notes
            .push("dumper debug logs were read, but none matched a dumper's pid".into());
    }
}
