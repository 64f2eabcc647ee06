//! `portsim explain`: what happened to a DLE in one night, step by step, and why.
//!
//! Every fact comes from the night's trace and result: ports from the bind records, the driver's
//! choice from the attempt records around it, each packet with the rule or state entry that
//! decided it, the timers that fired, Amanda's messages. The remedies are judged by running the
//! same night again with each remedy's transform (as `compare` applies it), never by prose.
//!
//! The trace is read through [`Ev`], a flat view of one record, so that a change of the
//! trace's in-memory form touches only [`events`].

use crate::model::firewall::{Action, Decider};
use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::model::ports::{BindKind, Port};
use crate::model::protocol::ReqId;
use crate::model::site::{self, PacketKind, RunResult, TraceKind, TraceRecord};
use crate::model::version::FailurePause;
use crate::model::{DleId, DumperId, HostId};
use crate::scenario::{InputError, Scenario, Source};
use crate::sim::{SimDuration, SimTime};
use crate::study::compare::{self, remedy::RemedyKind};
use serde::Serialize;

/// The schema name of `explain --format json`.
pub const EXPLAIN_SCHEMA: &str = "portsim.explain/1";

/// Which part of the night to explain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// One DLE, as `HOST:DISK`.
    Dle(String),
    /// One dumper and the DLEs that failed on it.
    Dumper(u16),
    /// Every DLE not dumped tonight.
    Failed,
}

/// A moment of the night: microseconds and the `hh:mm:ss.mmm` clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct At(pub SimTime);

impl Serialize for At {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

/// The whole explanation.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// Always [`EXPLAIN_SCHEMA`].
    pub schema: &'static str,
    /// portsim's version.
    pub portsim: &'static str,
    /// The scenario's name.
    pub scenario: String,
    /// Its seed.
    pub seed: u64,
    /// The night.
    pub replication: u64,
    /// The Amanda version profile.
    pub amanda: String,
    /// `udpportrange`, if any, as `low-high`.
    pub udpportrange: Option<String>,
    /// Dumpers.
    pub inparallel: u16,
    /// What was asked: `--dle www2:/`, `--dumper 10`, `--failed`.
    pub asked: String,
    /// With `--dumper`: that dumper's port and attempts.
    pub dumper: Option<DumperStory>,
    /// One story per DLE explained, in disklist order.
    pub dles: Vec<DleStory>,
}

/// How a server process got its UDP port.
#[derive(Clone, Debug, Serialize)]
pub struct PortFact {
    /// The dumper.
    pub dumper: u16,
    /// When it bound (None: it never bound).
    pub at: Option<At>,
    /// The port.
    pub port: Option<u16>,
    /// In the range, the 512-1023 fallback, or a kernel port.
    pub bind: Option<BindKind>,
    /// Inside `udpportrange`.
    pub in_range: bool,
    /// Range ports taken when it bound, with who held them (for a bind outside the range).
    pub range_held_by: Vec<Holder>,
    /// Range ports the version skips because the services database names them.
    pub skipped_services: Vec<Holder>,
    /// Range ports still free when it bound in the range, itself included.
    pub free_in_range: u32,
    /// The range port leased per request (reserve-for-firewalled), if any, for the attempts told.
    pub leases: Vec<u16>,
}

/// A port and what holds or names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// The port.
    pub port: u16,
    /// `dumper3`, `planner`, `amcheck`, a process of `ports_in_use`, or a services name.
    pub by: String,
}

/// `--dumper N`: the dumper's port and everything it ran.
#[derive(Clone, Debug, Serialize)]
pub struct DumperStory {
    /// Its port.
    pub port: PortFact,
    /// Its attempts in start order.
    pub attempts: Vec<AttemptLine>,
}

/// One attempt in a list.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptLine {
    /// `host:disk`.
    pub dle: String,
    /// Start.
    pub start: At,
    /// End.
    pub end: At,
    /// The dumper's result (None: unfinished).
    pub outcome: Option<Outcome>,
    /// The model's cause.
    pub cause: Cause,
    /// Amanda's text.
    pub message: String,
}

/// One DLE's night.
#[derive(Clone, Debug, Serialize)]
pub struct DleStory {
    /// `host:disk`.
    pub dle: String,
    /// Its host.
    pub host: String,
    /// Its host's zone.
    pub zone: String,
    /// Its packets cross the firewall.
    pub firewalled: bool,
    /// What became of it.
    pub fate: Option<DleFate>,
    /// The driver's or dumper's message when it was not dumped.
    pub message: String,
    /// What happened, in order.
    pub steps: Vec<Step>,
    /// Why, as facts: one entry per attempt.
    pub cause: Vec<AttemptCause>,
    /// The same night under each remedy.
    pub remedies: Vec<RemedyRun>,
}

/// Why the driver started an attempt when it did.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Trigger {
    /// The estimate phase ended: the driver got the schedule.
    Schedule,
    /// The driver woke from the 15 s sleep it began after a failure (2.4).
    DriverWoke {
        /// When it fell asleep.
        slept_at: At,
        /// The dumper whose failure put it to sleep.
        after: u16,
    },
    /// A dumper's result was read: its dumper became idle.
    ResultRead {
        /// The dumper that reported.
        dumper: u16,
    },
    /// The host's start gap (15 s since its last dump started) ran out.
    HostGap {
        /// When the host's previous dump started.
        previous: At,
    },
    /// The retried DLE's 15 s hold (2.5+) ran out.
    RetryHold {
        /// When it was set.
        since: At,
    },
    /// None of the above: the driver looked again at this time.
    Other,
}

/// A step of the story.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// The estimate phase ended.
    Schedule {
        /// When.
        at: At,
        /// DLEs the planner scheduled.
        scheduled: usize,
    },
    /// The planner could not get this host's estimates.
    NotScheduled {
        /// When.
        at: At,
        /// Amanda's text.
        message: String,
    },
    /// The driver gave the DLE to a dumper.
    Dispatch {
        /// When.
        at: At,
        /// 1 for the first attempt, 2 for the retry.
        attempt: u32,
        /// The dumper.
        dumper: u16,
        /// Its port at that moment.
        port: Option<u16>,
        /// Inside the range.
        in_range: bool,
        /// What made the driver look.
        trigger: Trigger,
        /// The dumper's `dumporder` letter.
        order: char,
        /// Lower-numbered dumpers running a dump (or holding an unread result) at that moment.
        lower_busy: Vec<u16>,
        /// Lower-numbered dumpers that took another DLE at the same instant.
        lower_took_other: Vec<u16>,
        /// Lower-numbered dumpers idle but left without this DLE.
        lower_idle: Vec<u16>,
    },
    /// How a dumper involved got its port (told once per dumper).
    Port(PortFact),
    /// A packet of one of the DLE's requests, with the firewall's verdict.
    Packet {
        /// When it was sent.
        at: At,
        /// The attempt whose request it belongs to.
        attempt: u32,
        /// Its kind.
        packet: PacketKind,
        /// `server:839` or `www2:10080`.
        from: String,
        /// Its destination, likewise.
        to: String,
        /// accept, drop or reject.
        verdict: Action,
        /// The rule's name, `default`, `same-zone` or a state entry.
        rule: String,
        /// Earlier packets of the same kind in this request (0: the first).
        resend: u32,
        /// Lost on a link after the firewall let it through.
        lost: bool,
        /// Sent after the attempt had ended (a client still resending).
        after_end: bool,
    },
    /// The client's amandad ignored a REQ: it was still resending a REP to another peer.
    Swallowed {
        /// When.
        at: At,
        /// The attempt.
        attempt: u32,
        /// The REQ's source port.
        port: u16,
        /// Whom amandad was answering.
        busy_with: Option<Peer>,
    },
    /// The client NAKed a REQ: its service was running for another peer.
    Nak {
        /// When.
        at: At,
        /// The attempt.
        attempt: u32,
        /// Whom amandad was serving.
        busy_with: Option<Peer>,
    },
    /// A request timer of the dumper expired.
    Timer {
        /// When.
        at: At,
        /// The attempt.
        attempt: u32,
        /// `resend`, `no-ack` or `no-reply`.
        expiry: &'static str,
        /// How long it had waited.
        waited_s: f64,
    },
    /// The dumper found no free range port and waited (2.5.2+ rescans, or a lease wait).
    PortWait {
        /// When it first found none.
        at: At,
        /// The dumper.
        dumper: u16,
        /// Times it found none.
        tries: u32,
        /// When the wait ended (a port, or giving up).
        until: At,
    },
    /// The dumper reported to the driver.
    AttemptEnd {
        /// When.
        at: At,
        /// The attempt.
        attempt: u32,
        /// The dumper.
        dumper: u16,
        /// DONE, TRY-AGAIN or FAILED.
        outcome: Outcome,
        /// The model's cause.
        cause: Cause,
        /// Amanda's text.
        message: String,
        /// Seconds from start to end.
        took_s: f64,
    },
    /// The 2.4 driver read the failure and slept (no dispatch at all).
    DriverSleep {
        /// When.
        at: At,
        /// Until.
        until: At,
    },
    /// The failed dumper rests before new work (2.5+).
    DumperRest {
        /// When.
        at: At,
        /// The dumper.
        dumper: u16,
        /// Until.
        until: At,
    },
    /// The driver put the DLE back in its run queue.
    Requeued {
        /// When.
        at: At,
        /// Retries the version allows.
        retries: u32,
    },
    /// The driver gave the DLE up for tonight.
    GaveUp {
        /// When.
        at: At,
        /// Amanda's text.
        message: String,
    },
}

/// The other side of a busy client: a request of another process.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Peer {
    /// The dumper (None: the planner).
    pub dumper: Option<u16>,
    /// Its port.
    pub port: u16,
    /// The DLE it was for, if a dumper's.
    pub dle: Option<String>,
    /// Which attempt of that DLE.
    pub attempt: Option<u32>,
    /// Whether the firewall dropped any client packet of that request.
    pub replies_dropped: bool,
    /// The rule that dropped them.
    pub dropped_by: Option<String>,
}

/// The facts behind one attempt's result.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptCause {
    /// 1, 2, ...
    pub attempt: u32,
    /// The dumper.
    pub dumper: u16,
    /// Its port.
    pub port: Option<u16>,
    /// Inside the range.
    pub in_range: bool,
    /// The result.
    pub outcome: Option<Outcome>,
    /// The model's cause.
    pub cause: Cause,
    /// Client packets of this attempt the firewall dropped, and by which rules.
    pub replies_dropped: u32,
    /// The rules that dropped them, in first-drop order.
    pub dropped_by: Vec<String>,
    /// The rules (or `same-zone`) that let the client's packets through, in first-use order.
    pub accepted_by: Vec<String>,
    /// REQs the client ignored or refused while busy with another peer.
    pub busy_with: Option<Peer>,
}

/// The same night with one remedy applied.
#[derive(Clone, Debug, Serialize)]
pub struct RemedyRun {
    /// The remedy.
    pub remedy: &'static str,
    /// Its parameters.
    pub params: serde_json::Value,
    /// Why it could not be applied to this scenario, if so.
    pub not_applicable: Option<String>,
    /// The DLE's fate that night.
    pub fate: Option<DleFate>,
    /// Its attempts.
    pub attempts: u32,
    /// Of which failed.
    pub failed_attempts: u32,
    /// The dumper and port of its last attempt.
    pub dumper: Option<u16>,
    /// That dumper's port.
    pub port: Option<u16>,
    /// When it was dumped.
    pub done_at: Option<At>,
    /// DLEs lost that night, all told.
    pub night_lost: usize,
    /// Dumped at the first attempt (what "prevented" means).
    pub clean: bool,
}

/// A flat view of one trace record.
#[derive(Clone, Copy, Debug)]
struct Ev {
    t: SimTime,
    kind: TraceKind,
    dumper: Option<DumperId>,
    host: Option<HostId>,
    dle: Option<DleId>,
    packet: Option<PacketKind>,
    src_port: Option<Port>,
    dst_port: Option<Port>,
    verdict: Option<Action>,
    decider: Option<Decider>,
    note: Option<&'static str>,
    req: Option<ReqId>,
}

fn events(records: &[TraceRecord]) -> Vec<Ev> {
    records
        .iter()
        .map(|r| Ev {
            t: SimTime(r.t_us),
            kind: r.kind,
            dumper: r.dumper,
            host: r.host,
            dle: r.dle,
            packet: r.packet,
            src_port: r.src_port,
            dst_port: r.dst_port,
            verdict: r.verdict,
            decider: r.decider,
            note: r.note,
            req: r.req,
        })
        .collect()
}

/// The night as explain reads it: the scenario, the run and its trace.
pub struct Night<'a> {
    sc: &'a Scenario,
    run: RunResult,
    ev: Vec<Ev>,
}

impl<'a> Night<'a> {
    /// Runs night `rep` of `sc` with its trace.
    pub fn run(sc: &'a Scenario, rep: u64) -> Night<'a> {
        let run = site::run(sc, rep, true);
        let ev = events(run.trace.as_deref().unwrap_or_default());
        Night { sc, run, ev }
    }

    /// The run's result.
    pub fn result(&self) -> &RunResult {
        &self.run
    }

    fn dle_name(&self, d: DleId) -> String {
        let dle = &self.sc.dles[d.0 as usize];
        format!(
            "{}:{}",
            self.sc.hosts[usize::from(dle.host.0)].name,
            dle.disk
        )
    }

    fn host_name(&self, h: HostId) -> &str {
        &self.sc.hosts[usize::from(h.0)].name
    }

    fn in_range(&self, p: Option<Port>) -> bool {
        matches!((self.sc.server.range, p), (Some(r), Some(p)) if r.contains(p))
    }

    /// Attempts of `d`, as indices into the run's attempts, in start order.
    pub fn attempts_of(&self, d: DleId) -> Vec<usize> {
        (0..self.run.attempts.len())
            .filter(|&a| self.run.attempts[a].dle == d)
            .collect()
    }

    /// The attempt whose request is `req`.
    fn attempt_of_req(&self, req: ReqId) -> Option<usize> {
        self.run.attempts.iter().position(|a| a.req == Some(req))
    }

    /// How dumper `d` got its port.
    pub fn port_fact(&self, d: u16) -> PortFact {
        let server = &self.sc.server;
        let at = self.ev.iter().position(|e| {
            e.kind == TraceKind::Bind && e.dumper == Some(DumperId(d)) && e.note.is_none()
        });
        let state = &self.run.dumpers[usize::from(d)];
        let port = at.and_then(|i| self.ev[i].src_port).or(state.port);
        let mut held: Vec<Holder> = Vec::new();
        if let Some(range) = server.range {
            for (p, by) in self
                .sc
                .file
                .server
                .ports_in_use
                .iter()
                .map(|u| (u.port, &u.by))
            {
                if let Ok(p) = u16::try_from(p)
                    && range.contains(Port(p))
                {
                    held.push(Holder {
                        port: p,
                        by: if by.is_empty() {
                            "another process".into()
                        } else {
                            by.clone()
                        },
                    });
                }
            }
            for e in &self.ev[..at.unwrap_or(self.ev.len())] {
                let Some(p) = e.src_port.filter(|p| range.contains(*p)) else {
                    continue;
                };
                match e.kind {
                    TraceKind::Bind => held.push(Holder {
                        port: p.0,
                        by: match (e.dumper, e.note) {
                            (Some(x), _) => x.to_string(),
                            (None, Some(n)) => n.to_string(),
                            (None, None) => "another process".into(),
                        },
                    }),
                    TraceKind::Release => held.retain(|h| h.port != p.0),
                    _ => {}
                }
            }
        }
        held.sort_by_key(|h| h.port);
        let skipped: Vec<Holder> = server
            .range
            .map(|r| {
                server
                    .services
                    .iter()
                    .filter(|(p, _)| r.contains(*p) && !server.port_usable(*p))
                    .map(|(p, n)| Holder {
                        port: p.0,
                        by: n.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let usable = server.usable_range_ports();
        let in_range = self.in_range(port);
        PortFact {
            dumper: d,
            at: at.map(|i| At(self.ev[i].t)),
            port: port.map(|p| p.0),
            bind: state.bind,
            in_range,
            free_in_range: usable.saturating_sub(held.len() as u32),
            range_held_by: held,
            skipped_services: skipped,
            leases: Vec::new(),
        }
    }

    /// Index of the trace record that starts attempt `a`.
    fn start_index(&self, a: usize) -> Option<usize> {
        let at = &self.run.attempts[a];
        let nth = self.run.attempts[..a]
            .iter()
            .filter(|b| b.dumper == at.dumper && b.start == at.start)
            .count();
        self.ev
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.kind == TraceKind::AttemptStart && e.dumper == Some(at.dumper) && e.t == at.start
            })
            .nth(nth)
            .map(|(i, _)| i)
    }

    /// Why the driver started attempt `a` when it did, and on that dumper.
    fn dispatch(&self, a: usize, nth: u32) -> Step {
        let at = &self.run.attempts[a];
        let t = at.start;
        let idx = self.start_index(a).unwrap_or(0);
        let host = self.sc.dles[at.dle.0 as usize].host;
        let pause = match self.sc.server.profile.failure_pause {
            FailurePause::Driver(p) | FailurePause::DumperAndDle(p) => p,
        };
        let trigger =
            if t == self.run.estimates_end {
                Trigger::Schedule
            } else if let Some(s) = self.ev[..idx].iter().rev().find(|e| {
                e.kind == TraceKind::DriverSleep && e.t + pause == t && e.dumper.is_some()
            }) {
                Trigger::DriverWoke {
                    slept_at: At(s.t),
                    after: s.dumper.map_or(0, |d| d.0),
                }
            } else if let Some(e) = self.ev[..idx]
                .iter()
                .rev()
                .find(|e| e.kind == TraceKind::AttemptEnd && e.t == t)
            {
                Trigger::ResultRead {
                    dumper: e.dumper.map_or(0, |d| d.0),
                }
            } else if let Some(prev) = self.ev[..idx].iter().rev().find(|e| {
                e.kind == TraceKind::AttemptStart
                    && e.host == Some(host)
                    && e.t + self.sc.server.profile.host_gap == t
            }) {
                Trigger::HostGap {
                    previous: At(prev.t),
                }
            } else if let Some(prev) = self.ev[..idx].iter().rev().find(|e| {
                e.kind == TraceKind::AttemptEnd && e.dle == Some(at.dle) && e.t + pause == t
            }) {
                Trigger::RetryHold { since: At(prev.t) }
            } else {
                Trigger::Other
            };
        // Which lower dumpers were busy at this record: started and not yet read by the driver.
        let mut lower_busy = Vec::new();
        let mut lower_took_other = Vec::new();
        let mut lower_idle = Vec::new();
        for j in 0..at.dumper.0 {
            let dj = DumperId(j);
            let last_start = self.ev[..idx]
                .iter()
                .rposition(|e| e.kind == TraceKind::AttemptStart && e.dumper == Some(dj));
            let running = last_start.is_some_and(|s| {
                let Some(k) = self.ev[s..idx]
                    .iter()
                    .position(|e| e.kind == TraceKind::AttemptEnd && e.dumper == Some(dj))
                else {
                    return true;
                };
                // Ended while the 2.4 driver slept: the result waits, unread, until it wakes
                // (and the driver dispatches before it reads the queued results).
                let (ei, end) = (s + k, self.ev[s + k].t);
                let asleep = self.ev[..ei].iter().any(|e| {
                    e.kind == TraceKind::DriverSleep && end < e.t + pause && e.t + pause >= t
                });
                let read = self.ev[ei..idx].iter().any(|e| {
                    matches!(e.kind, TraceKind::DriverSleep | TraceKind::DumperRest)
                        && e.dumper == Some(dj)
                });
                matches!(
                    self.sc.server.profile.failure_pause,
                    FailurePause::Driver(_)
                ) && asleep
                    && !read
            });
            let same_instant = last_start.is_some_and(|s| self.ev[s].t == t);
            if same_instant {
                lower_took_other.push(j);
            } else if running {
                lower_busy.push(j);
            } else {
                lower_idle.push(j);
            }
        }
        let order = self
            .sc
            .file
            .server
            .dumporder
            .chars()
            .nth(usize::from(at.dumper.0))
            .unwrap_or('T');
        Step::Dispatch {
            at: At(t),
            attempt: nth,
            dumper: at.dumper.0,
            port: at.port.map(|p| p.0),
            in_range: self.in_range(at.port),
            trigger,
            order,
            lower_busy,
            lower_took_other,
            lower_idle,
        }
    }

    /// Whom the client `h` was answering just before record `idx`: the last peer it sent a
    /// packet to, other than `req`.
    fn busy_with(&self, h: HostId, req: ReqId, idx: usize) -> Option<Peer> {
        let e = self.ev[..idx].iter().rev().find(|e| {
            e.kind == TraceKind::Send
                && e.host == Some(h)
                && e.src_port == Some(Port(10080))
                && e.req.is_some_and(|r| r != req)
        })?;
        let other = e.req?;
        let dropped = self.ev.iter().find(|x| {
            x.kind == TraceKind::Send
                && x.req == Some(other)
                && x.src_port == Some(Port(10080))
                && x.verdict.is_some_and(|v| !v.passes())
        });
        Some(Peer {
            dumper: e.dumper.map(|d| d.0),
            port: e.dst_port.map_or(0, |p| p.0),
            dle: self
                .attempt_of_req(other)
                .map(|a| self.dle_name(self.run.attempts[a].dle)),
            attempt: self.attempt_of_req(other).and_then(|a| {
                let dle = self.run.attempts[a].dle;
                self.attempts_of(dle)
                    .iter()
                    .position(|&x| x == a)
                    .map(|k| k as u32 + 1)
            }),
            replies_dropped: dropped.is_some(),
            dropped_by: dropped.and_then(|x| x.decider.map(|d| self.sc.firewall.describe(d))),
        })
    }

    fn endpoint(&self, host: Option<HostId>, port: Option<Port>, server: bool) -> String {
        let p = port.map_or("-".into(), |p| p.0.to_string());
        if server {
            format!("server:{p}")
        } else {
            format!("{}:{p}", host.map_or("?", |h| self.host_name(h)))
        }
    }

    /// The story of DLE `d`.
    pub fn story(&self, d: DleId) -> DleStory {
        let sd = &self.sc.dles[d.0 as usize];
        let st = &self.run.dles[d.0 as usize];
        let mut steps = Vec::new();
        let sched = self.ev.iter().find(|e| e.kind == TraceKind::Schedule);
        if let Some(s) = sched {
            steps.push((
                self.ev
                    .iter()
                    .position(|e| e.kind == TraceKind::Schedule)
                    .unwrap_or(0),
                Step::Schedule {
                    at: At(s.t),
                    scheduled: self
                        .run
                        .dles
                        .iter()
                        .filter(|x| x.fate != Some(DleFate::NotScheduled))
                        .count(),
                },
            ));
        }
        if st.fate == Some(DleFate::NotScheduled) {
            // The planner's request to this host: its packets and timers (attempt 0).
            for (i, e) in self.ev.iter().enumerate() {
                let planner = e.dumper.is_none() && e.req.is_some() && e.host == Some(sd.host);
                if !planner {
                    continue;
                }
                match e.kind {
                    TraceKind::Send => {
                        let server = e.src_port != Some(Port(10080));
                        steps.push((
                            i,
                            Step::Packet {
                                at: At(e.t),
                                attempt: 0,
                                packet: e.packet.unwrap_or(PacketKind::Req),
                                from: self.endpoint(e.host, e.src_port, server),
                                to: self.endpoint(e.host, e.dst_port, !server),
                                verdict: e.verdict.unwrap_or(Action::Accept),
                                rule: e
                                    .decider
                                    .map_or_else(String::new, |x| self.sc.firewall.describe(x)),
                                resend: 0,
                                lost: false,
                                after_end: false,
                            },
                        ));
                    }
                    TraceKind::Timeout => steps.push((
                        i,
                        Step::Timer {
                            at: At(e.t),
                            attempt: 0,
                            expiry: e.note.unwrap_or("timeout"),
                            waited_s: 0.0,
                        },
                    )),
                    _ => {}
                }
            }
            steps.push((
                usize::MAX,
                Step::NotScheduled {
                    at: At(st.decided),
                    message: st.message.clone(),
                },
            ));
        }
        let attempts = self.attempts_of(d);
        let mut told_ports: Vec<u16> = Vec::new();
        let mut causes = Vec::new();
        let pause = match self.sc.server.profile.failure_pause {
            FailurePause::Driver(p) | FailurePause::DumperAndDle(p) => p,
        };
        for (k, &a) in attempts.iter().enumerate() {
            let nth = k as u32 + 1;
            let at = &self.run.attempts[a];
            let idx = self.start_index(a).unwrap_or(0);
            if !told_ports.contains(&at.dumper.0) {
                told_ports.push(at.dumper.0);
                let mut fact = self.port_fact(at.dumper.0);
                if let Some(p) = at.port
                    && Some(p.0) != fact.port
                {
                    fact.leases.push(p.0);
                }
                steps.push((idx, Step::Port(fact)));
            }
            steps.push((idx, self.dispatch(a, nth)));
            let waits: Vec<usize> = (idx..self.ev.len())
                .take_while(|&i| {
                    i == idx
                        || !(self.ev[i].kind == TraceKind::AttemptEnd
                            && self.ev[i].dumper == Some(at.dumper))
                })
                .filter(|&i| {
                    self.ev[i].kind == TraceKind::PortWait && self.ev[i].dumper == Some(at.dumper)
                })
                .collect();
            if let Some(&first) = waits.first() {
                steps.push((
                    first,
                    Step::PortWait {
                        at: At(self.ev[first].t),
                        dumper: at.dumper.0,
                        tries: waits.len() as u32,
                        until: At(at.start + at.port_wait),
                    },
                ));
            }
            let mut replies_dropped = 0u32;
            let mut dropped_by: Vec<String> = Vec::new();
            let mut accepted_by: Vec<String> = Vec::new();
            let mut busy: Option<Peer> = None;
            if let Some(req) = at.req {
                let mut sent: Vec<(PacketKind, u32)> = Vec::new();
                let mut last_req_or_ack = at.start;
                for (i, e) in self.ev.iter().enumerate() {
                    if e.req != Some(req) {
                        continue;
                    }
                    match e.kind {
                        TraceKind::Send => {
                            let kind = e.packet.unwrap_or(PacketKind::Req);
                            let n = match sent.iter_mut().find(|(k, _)| *k == kind) {
                                Some((_, n)) => {
                                    *n += 1;
                                    *n - 1
                                }
                                None => {
                                    sent.push((kind, 1));
                                    0
                                }
                            };
                            let server = e.src_port != Some(Port(10080))
                                && e.dumper.is_some()
                                && kind != PacketKind::Ack
                                && kind != PacketKind::Rep
                                && kind != PacketKind::Nak;
                            let lost = self.ev.get(i + 1).is_some_and(|x| {
                                x.kind == TraceKind::Lost && x.req == Some(req) && x.t == e.t
                            });
                            let verdict = e.verdict.unwrap_or(Action::Accept);
                            let rule = e
                                .decider
                                .map_or_else(String::new, |dd| self.sc.firewall.describe(dd));
                            if !server && !verdict.passes() {
                                replies_dropped += 1;
                                if !dropped_by.contains(&rule) {
                                    dropped_by.push(rule.clone());
                                }
                            } else if !server && !accepted_by.contains(&rule) {
                                accepted_by.push(rule.clone());
                            }
                            if kind == PacketKind::Req {
                                last_req_or_ack = e.t;
                            }
                            if kind == PacketKind::Nak {
                                let b = self.busy_with(e.host.unwrap_or(sd.host), req, i);
                                busy = busy.or(b.clone());
                                steps.push((
                                    i,
                                    Step::Nak {
                                        at: At(e.t),
                                        attempt: nth,
                                        busy_with: b,
                                    },
                                ));
                            }
                            steps.push((
                                i,
                                Step::Packet {
                                    at: At(e.t),
                                    attempt: nth,
                                    packet: kind,
                                    from: self.endpoint(e.host, e.src_port, server),
                                    to: self.endpoint(e.host, e.dst_port, !server),
                                    verdict,
                                    rule,
                                    resend: n,
                                    lost,
                                    after_end: at.outcome.is_some() && e.t > at.end,
                                },
                            ));
                        }
                        TraceKind::Deliver
                            if e.packet == Some(PacketKind::Ack)
                                && e.src_port == Some(Port(10080)) =>
                        {
                            last_req_or_ack = e.t;
                        }
                        TraceKind::Swallow => {
                            let b = self.busy_with(e.host.unwrap_or(sd.host), req, i);
                            busy = busy.or(b.clone());
                            steps.push((
                                i,
                                Step::Swallowed {
                                    at: At(e.t),
                                    attempt: nth,
                                    port: e.src_port.map_or(0, |p| p.0),
                                    busy_with: b,
                                },
                            ));
                        }
                        TraceKind::Timeout => steps.push((
                            i,
                            Step::Timer {
                                at: At(e.t),
                                attempt: nth,
                                expiry: e.note.unwrap_or("timeout"),
                                waited_s: e.t.since(last_req_or_ack).as_secs_f64(),
                            },
                        )),
                        _ => {}
                    }
                }
            }
            let end_idx = self.ev.iter().position(|e| {
                e.kind == TraceKind::AttemptEnd
                    && e.dumper == Some(at.dumper)
                    && e.dle == Some(d)
                    && e.t == at.end
            });
            if let (Some(o), Some(ei)) = (at.outcome, end_idx) {
                steps.push((
                    ei,
                    Step::AttemptEnd {
                        at: At(at.end),
                        attempt: nth,
                        dumper: at.dumper.0,
                        outcome: o,
                        cause: at.cause,
                        message: at.message.clone(),
                        took_s: at.end.since(at.start).as_secs_f64(),
                    },
                ));
                if o != Outcome::Done {
                    // The driver reads the result: at once, or when it wakes.
                    let sleep = self.ev[ei..].iter().position(|e| {
                        matches!(e.kind, TraceKind::DriverSleep | TraceKind::DumperRest)
                            && e.dumper == Some(at.dumper)
                    });
                    let read_at = sleep.map_or(at.end, |s| self.ev[ei + s].t);
                    if let Some(s) = sleep {
                        let e = &self.ev[ei + s];
                        let until = At(e.t + pause);
                        steps.push((
                            ei + s,
                            if e.kind == TraceKind::DriverSleep {
                                Step::DriverSleep { at: At(e.t), until }
                            } else {
                                Step::DumperRest {
                                    at: At(e.t),
                                    dumper: at.dumper.0,
                                    until,
                                }
                            },
                        ));
                    }
                    let pos = ei + sleep.unwrap_or(0);
                    if k + 1 < attempts.len() {
                        steps.push((
                            pos,
                            Step::Requeued {
                                at: At(read_at),
                                retries: self.sc.server.profile.retries,
                            },
                        ));
                    } else if st.fate == Some(DleFate::Failed) {
                        steps.push((
                            pos,
                            Step::GaveUp {
                                at: At(st.decided),
                                message: st.message.clone(),
                            },
                        ));
                    }
                }
            }
            causes.push(AttemptCause {
                attempt: nth,
                dumper: at.dumper.0,
                port: at.port.map(|p| p.0),
                in_range: self.in_range(at.port),
                outcome: at.outcome,
                cause: at.cause,
                replies_dropped,
                dropped_by,
                accepted_by,
                busy_with: busy,
            });
        }
        // Trace order; steps told at the same record keep the order they were pushed in.
        steps.sort_by_key(|(i, _)| *i);
        let host = &self.sc.hosts[usize::from(sd.host.0)];
        DleStory {
            dle: self.dle_name(d),
            host: host.name.clone(),
            zone: self.sc.zones[usize::from(host.zone.0)].clone(),
            firewalled: self.sc.firewalled(sd.host),
            fate: st.fate,
            message: st.message.clone(),
            steps: steps.into_iter().map(|(_, s)| s).collect(),
            cause: causes,
            remedies: Vec::new(),
        }
    }
}

/// Finds a DLE by `HOST:DISK`; the error lists what exists.
pub fn find_dle(sc: &Scenario, spec: &str) -> Result<DleId, InputError> {
    let bad = |msg: String| InputError::Set {
        arg: format!("--dle {spec}"),
        msg,
    };
    let Some((host, disk)) = spec.split_once(':') else {
        return Err(bad("write HOST:DISK, e.g. www2:/".into()));
    };
    let Some(h) = sc.hosts.iter().position(|x| x.name == host) else {
        let names: Vec<&str> = sc.hosts.iter().map(|x| x.name.as_str()).collect();
        return Err(bad(format!(
            "no host {host:?}; the hosts are {}",
            names.join(", ")
        )));
    };
    let range = sc.hosts[h].dles.clone();
    match range.clone().find(|&i| sc.dles[i].disk == disk) {
        Some(i) => Ok(DleId(i as u32)),
        None => {
            let disks: Vec<&str> = range.map(|i| sc.dles[i].disk.as_str()).collect();
            Err(bad(format!(
                "{host} has no disk {disk:?}; its disks are {}",
                disks.join(", ")
            )))
        }
    }
}

/// Explains night `rep` of `sc` (read from `source` with `sets`) for `sel`.
pub fn explain(
    source: &Source,
    sets: &[String],
    sc: &Scenario,
    rep: u64,
    sel: &Selector,
) -> Result<Explanation, InputError> {
    let night = Night::run(sc, rep);
    let (asked, dles, dumper) = match sel {
        Selector::Dle(spec) => (format!("--dle {spec}"), vec![find_dle(sc, spec)?], None),
        Selector::Failed => (
            "--failed".to_string(),
            (0..sc.dles.len())
                .filter(|&i| night.run.dles[i].fate != Some(DleFate::Dumped))
                .map(|i| DleId(i as u32))
                .collect(),
            None,
        ),
        Selector::Dumper(n) => {
            if usize::from(*n) >= night.run.dumpers.len() {
                return Err(InputError::Set {
                    arg: format!("--dumper {n}"),
                    msg: format!(
                        "this server has dumpers 0-{}",
                        night.run.dumpers.len().saturating_sub(1)
                    ),
                });
            }
            let mine: Vec<&site::Attempt> = night
                .run
                .attempts
                .iter()
                .filter(|a| a.dumper.0 == *n)
                .collect();
            let mut failed: Vec<DleId> = mine
                .iter()
                .filter(|a| a.outcome != Some(Outcome::Done))
                .map(|a| a.dle)
                .collect();
            failed.sort();
            failed.dedup();
            let story = DumperStory {
                port: night.port_fact(*n),
                attempts: mine
                    .iter()
                    .map(|a| AttemptLine {
                        dle: night.dle_name(a.dle),
                        start: At(a.start),
                        end: At(a.end),
                        outcome: a.outcome,
                        cause: a.cause,
                        message: a.message.clone(),
                    })
                    .collect(),
            };
            (format!("--dumper {n}"), failed, Some(story))
        }
    };
    let mut stories: Vec<DleStory> = dles.iter().map(|&d| night.story(d)).collect();
    if !stories.is_empty() {
        let runs = remedy_nights(source, sets, sc, rep);
        for s in &mut stories {
            let d = find_dle(sc, &s.dle).expect("the story's own DLE");
            s.remedies = runs
                .iter()
                .map(|(kind, params, r)| remedy_run(*kind, params, r.as_ref(), d))
                .collect();
        }
    }
    Ok(Explanation {
        schema: EXPLAIN_SCHEMA,
        portsim: env!("CARGO_PKG_VERSION"),
        scenario: sc.name.clone(),
        seed: sc.seed,
        replication: rep,
        amanda: serde_json::to_value(sc.server.profile.version)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        udpportrange: sc.server.range.map(|r| format!("{}-{}", r.low.0, r.high.0)),
        inparallel: sc.server.inparallel,
        asked,
        dumper,
        dles: stories,
    })
}

type RemedyNight = (RemedyKind, serde_json::Value, Result<RunResult, String>);

/// Night `rep` again under each remedy, transformed exactly as `compare` does.
fn remedy_nights(source: &Source, sets: &[String], sc: &Scenario, rep: u64) -> Vec<RemedyNight> {
    let tree = crate::scenario::read(source);
    RemedyKind::ALL
        .iter()
        .map(|&kind| {
            let built = tree.as_ref().map_err(|e| e.to_string()).and_then(|tree| {
                compare::variants(source, tree, sets, sc.clone(), &[kind], &[])
                    .map_err(|e| e.to_string())
            });
            match built {
                Ok(mut vs) => {
                    let v = vs.pop().expect("the remedy's variant");
                    let params = v
                        .remedy
                        .as_ref()
                        .map_or(serde_json::Value::Null, |r| r.params.clone());
                    (kind, params, Ok(site::run(&v.sc, rep, false)))
                }
                Err(e) => (kind, serde_json::Value::Null, Err(e)),
            }
        })
        .collect()
}

fn remedy_run(
    kind: RemedyKind,
    params: &serde_json::Value,
    r: Result<&RunResult, &String>,
    d: DleId,
) -> RemedyRun {
    let mut out = RemedyRun {
        remedy: kind.name(),
        params: params.clone(),
        not_applicable: None,
        fate: None,
        attempts: 0,
        failed_attempts: 0,
        dumper: None,
        port: None,
        done_at: None,
        night_lost: 0,
        clean: false,
    };
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            out.not_applicable = Some(e.clone());
            return out;
        }
    };
    let mine: Vec<&site::Attempt> = r.attempts.iter().filter(|a| a.dle == d).collect();
    let st = &r.dles[d.0 as usize];
    out.fate = st.fate;
    out.attempts = mine.len() as u32;
    out.failed_attempts = mine
        .iter()
        .filter(|a| a.outcome != Some(Outcome::Done))
        .count() as u32;
    out.dumper = mine.last().map(|a| a.dumper.0);
    out.port = mine.last().and_then(|a| a.port).map(|p| p.0);
    out.done_at = (st.fate == Some(DleFate::Dumped)).then_some(At(st.decided));
    out.night_lost = r
        .dles
        .iter()
        .filter(|x| x.fate != Some(DleFate::Dumped))
        .count();
    out.clean = st.fate == Some(DleFate::Dumped) && out.failed_attempts == 0;
    out
}

/// Seconds as a duration (for texts that add a pause to a time).
pub fn secs(d: SimDuration) -> f64 {
    d.as_secs_f64()
}

/// One DLE's attempts drawn as sequence diagrams (`portsim ladder`).
#[derive(Clone, Debug)]
pub struct Ladder {
    /// The chart's title.
    pub title: String,
    /// `host:disk`.
    pub dle: String,
    /// The client host.
    pub host: String,
    /// Its zone.
    pub zone: String,
    /// What became of the DLE, in Amanda's words where it failed.
    pub fate: String,
    /// One column per attempt.
    pub columns: Vec<LadderColumn>,
}

/// One attempt's packets.
#[derive(Clone, Debug)]
pub struct LadderColumn {
    /// 1, 2, ...
    pub attempt: u32,
    /// The dumper.
    pub dumper: u16,
    /// Its port.
    pub port: Option<u16>,
    /// Inside the range.
    pub in_range: bool,
    /// Start.
    pub start: SimTime,
    /// The dumper's result.
    pub outcome: Option<Outcome>,
    /// Amanda's text.
    pub message: String,
    /// Events in time order.
    pub rungs: Vec<Rung>,
}

/// Which lifeline a timer runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The dumper's.
    Dumper,
    /// The client's amandad.
    Client,
}

/// One thing drawn in a ladder column.
#[derive(Clone, Debug)]
pub enum Rung {
    /// The driver starts the attempt.
    Start(SimTime),
    /// A packet: from the dumper (to the client) or from the client.
    Packet {
        /// When it was sent.
        t: SimTime,
        /// Its kind.
        kind: PacketKind,
        /// Sent by the server side.
        from_server: bool,
        /// The firewall let it through (and no link lost it).
        passed: bool,
        /// The rule or state entry that decided it.
        rule: String,
        /// It belongs to this attempt's request (false: another peer of the same client).
        own: bool,
        /// For another peer's packet: whose it is.
        note: String,
    },
    /// A timer span.
    Timer {
        /// Armed.
        from: SimTime,
        /// Fired or stopped.
        to: SimTime,
        /// Whose.
        side: Side,
        /// What it waited for and how it ended.
        label: String,
    },
    /// The client ignored a REQ.
    Swallow(SimTime),
    /// The dumper reported.
    End(SimTime, Outcome),
}

impl Rung {
    /// When it happens (a timer: when it is armed).
    pub fn t(&self) -> SimTime {
        match self {
            Rung::Start(t) | Rung::Swallow(t) | Rung::End(t, _) => *t,
            Rung::Packet { t, .. } => *t,
            Rung::Timer { from, .. } => *from,
        }
    }
}

impl Night<'_> {
    /// The ladder of DLE `d`: one column per attempt.
    pub fn ladder(&self, d: DleId, rep: u64) -> Ladder {
        let sd = &self.sc.dles[d.0 as usize];
        let host = &self.sc.hosts[usize::from(sd.host.0)];
        let st = &self.run.dles[d.0 as usize];
        let mut columns = Vec::new();
        for (k, &a) in self.attempts_of(d).iter().enumerate() {
            let at = &self.run.attempts[a];
            let mut rungs = vec![Rung::Start(at.start)];
            let own = |e: &Ev| at.req.is_some() && e.req == at.req;
            let last_own = self
                .ev
                .iter()
                .filter(|e| own(e))
                .map(|e| e.t)
                .max()
                .unwrap_or(at.end)
                .max(at.end);
            let mut armed: Option<(SimTime, &'static str)> = None;
            let mut rep_sent: Option<SimTime> = None;
            for e in &self.ev {
                if e.t < at.start || e.t > last_own {
                    continue;
                }
                let mine = own(e);
                let client_pkt = e.kind == TraceKind::Send
                    && e.host == Some(sd.host)
                    && e.src_port == Some(Port(10080));
                match e.kind {
                    TraceKind::Send if mine || client_pkt => {
                        let kind = e.packet.unwrap_or(PacketKind::Req);
                        let from_server = !client_pkt;
                        let lost = self
                            .ev
                            .iter()
                            .any(|x| x.kind == TraceKind::Lost && x.req == e.req && x.t == e.t);
                        let note = if mine {
                            String::new()
                        } else {
                            let who = e.dumper.map_or("the planner".into(), |x| x.to_string());
                            let what = e
                                .req
                                .and_then(|r| self.attempt_of_req(r))
                                .map(|x| {
                                    let other = &self.run.attempts[x];
                                    let n = self
                                        .attempts_of(other.dle)
                                        .iter()
                                        .position(|&y| y == x)
                                        .map_or(0, |p| p + 1);
                                    if other.dle == d {
                                        format!(" (attempt {n})")
                                    } else {
                                        format!(" ({} attempt {n})", self.dle_name(other.dle))
                                    }
                                })
                                .unwrap_or_default();
                            format!(
                                "to {who}:{}{what}",
                                e.dst_port.map_or("-".into(), |p| p.0.to_string())
                            )
                        };
                        if mine && kind == PacketKind::Req {
                            armed = Some((e.t, "ACK wait"));
                        }
                        // amandad's REP timer: armed by the REP its service sends and by each
                        // resend it triggers; a REP sent with an ACK answers a duplicate REQ.
                        let echo = self.ev.iter().any(|x| {
                            x.kind == TraceKind::Send
                                && x.req == e.req
                                && x.t == e.t
                                && x.packet == Some(PacketKind::Ack)
                        });
                        if mine && kind == PacketKind::Rep && !echo {
                            if let Some(prev) = rep_sent {
                                rungs.push(Rung::Timer {
                                    from: prev,
                                    to: e.t,
                                    side: Side::Client,
                                    label: "no ACK of the REP: resend".into(),
                                });
                            }
                            rep_sent = Some(e.t);
                        }
                        rungs.push(Rung::Packet {
                            t: e.t,
                            kind,
                            from_server,
                            passed: e.verdict.is_some_and(|v| v.passes()) && !lost,
                            rule: e
                                .decider
                                .map_or_else(String::new, |x| self.sc.firewall.describe(x)),
                            own: mine,
                            note,
                        });
                    }
                    TraceKind::Deliver
                        if mine
                            && e.packet == Some(PacketKind::Ack)
                            && e.src_port == Some(Port(10080)) =>
                    {
                        if let Some((from, what)) = armed.take() {
                            rungs.push(Rung::Timer {
                                from,
                                to: e.t,
                                side: Side::Dumper,
                                label: format!("{what}: ACK came"),
                            });
                        }
                        armed = Some((e.t, "REP wait"));
                    }
                    TraceKind::Deliver if mine && e.packet == Some(PacketKind::Rep) => {
                        if let Some((from, what)) = armed.take() {
                            rungs.push(Rung::Timer {
                                from,
                                to: e.t,
                                side: Side::Dumper,
                                label: format!("{what}: REP came"),
                            });
                        }
                    }
                    TraceKind::Timeout if mine => {
                        if let Some((from, what)) = armed.take() {
                            let how = match e.note {
                                Some("resend") => "expired: resend",
                                _ => "expired: give up",
                            };
                            rungs.push(Rung::Timer {
                                from,
                                to: e.t,
                                side: Side::Dumper,
                                label: format!("{what} {how}"),
                            });
                        }
                    }
                    TraceKind::Swallow if mine => rungs.push(Rung::Swallow(e.t)),
                    _ => {}
                }
            }
            if let Some(o) = at.outcome {
                rungs.push(Rung::End(at.end, o));
            }
            rungs.sort_by_key(Rung::t);
            columns.push(LadderColumn {
                attempt: k as u32 + 1,
                dumper: at.dumper.0,
                port: at.port.map(|p| p.0),
                in_range: self.in_range(at.port),
                start: at.start,
                outcome: at.outcome,
                message: at.message.clone(),
                rungs,
            });
        }
        let dle = self.dle_name(d);
        let fate = match st.fate {
            Some(DleFate::Dumped) => "dumped".to_string(),
            Some(DleFate::Failed) => format!("not dumped: {}", st.message),
            Some(DleFate::NotScheduled) => format!("never scheduled: {}", st.message),
            None => "unfinished".into(),
        };
        Ladder {
            title: format!("{dle} on night {rep}: {fate}"),
            dle,
            host: host.name.clone(),
            zone: self.sc.zones[usize::from(host.zone.0)].clone(),
            fate,
            columns,
        }
    }
}
