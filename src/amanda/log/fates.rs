//! What became of each DLE: the trace log's verdicts, the driver's attempts, the planner's failures.
//!
//! Precedence: a DONE attempt or a `SUCCESS`/`STRANGE dumper` line makes a DLE dumped; else the
//! driver's `FAIL driver` (`[too many dumper retry: ...]`) makes it failed with that text; a DLE
//! the planner failed and no dumper tried is not scheduled; a DLE with only failed attempts is
//! failed with the last attempt's text. A DLE none of these name has no known fate.

use super::trace::{ResultKind, TraceLine};
use super::{PlannerFailure, RealDle, RealNight};
use crate::model::outcome::{DleFate, Outcome};
use crate::sim::SimTime;
use std::collections::BTreeMap;

/// Fills DLEs, their fates and the planner failures from the trace log and the attempts.
pub(super) fn dles_of(
    night: &mut RealNight,
    traces: &[Vec<(usize, TraceLine)>],
    mut plan_fail: Vec<PlannerFailure>,
) {
    let mut book = DleBook::default();
    let verdicts = TraceVerdicts::read(night, &mut book, traces, &mut plan_fail);
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
    for ((host, disk), msg) in verdicts.driver_fail {
        let d = book.get(&host, &disk);
        if d.fate != Some(DleFate::Dumped) {
            d.fate = Some(DleFate::Failed);
            d.message = msg;
        }
    }
    if night.attempts.is_empty() {
        // Only the trace log: its dumper lines count the attempts.
        for ((host, disk), n) in verdicts.attempts {
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

/// What the trace log says beyond the DLE book: the driver's final failures and, per DLE, the
/// dumper's attempt lines.
#[derive(Default)]
struct TraceVerdicts {
    driver_fail: BTreeMap<(String, String), String>,
    attempts: BTreeMap<(String, String), u32>,
}

impl TraceVerdicts {
    /// Reads every trace line into the book, the planner failures and the verdicts.
    fn read(
        night: &mut RealNight,
        book: &mut DleBook,
        traces: &[Vec<(usize, TraceLine)>],
        plan_fail: &mut Vec<PlannerFailure>,
    ) -> TraceVerdicts {
        let mut v = TraceVerdicts::default();
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
                            *v.attempts.entry(k).or_default() += 1;
                        }
                        ("dumper", _) => {
                            *v.attempts.entry(k.clone()).or_default() += 1;
                            if d.fate.is_none() && *kind == ResultKind::Partial {
                                d.fate = Some(DleFate::Failed);
                            }
                            if d.message.is_empty() || d.fate != Some(DleFate::Failed) {
                                d.message.clone_from(message);
                            }
                        }
                        ("driver", ResultKind::Fail) => {
                            v.driver_fail.insert(k, message.clone());
                        }
                        ("planner", ResultKind::Fail)
                            if !plan_fail.iter().any(|f| f.host == *host && f.disk == *disk) =>
                        {
                            plan_fail.push(PlannerFailure {
                                host: host.clone(),
                                disk: disk.clone(),
                                message: message.clone(),
                            });
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
        v
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
pub(super) fn window(night: &RealNight) -> Option<SimTime> {
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
