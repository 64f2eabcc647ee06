//! The night's trace: one record per event, an enum of event kinds each carrying exactly its
//! fields, and `--trace`, one JSON object per line and per record, names resolved.

use crate::model::config::SiteConfig;
use crate::model::firewall::{Action, Decider};
use crate::model::outcome::Outcome;
use crate::model::packet::PacketKind;
use crate::model::ports::Port;
use crate::model::protocol::{Expiry, ReqId};
use crate::model::{DleId, DumperId, HostId};
use serde::Serialize;
use std::fmt::Write;

/// The kind of a trace line: its `"kind"` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraceKind {
    /// A process bound a UDP port.
    Bind,
    /// A process released its port.
    Release,
    /// A packet was sent (with the firewall's verdict).
    Send,
    /// A packet arrived.
    Deliver,
    /// A client ignored a REQ (busy replying to another peer).
    Swallow,
    /// A request's timer fired.
    Timeout,
    /// The estimate phase ended.
    Schedule,
    /// A dump attempt started.
    AttemptStart,
    /// A dump attempt ended.
    AttemptEnd,
    /// The driver fell asleep after a failure (2.4).
    DriverSleep,
    /// A failed dumper rests before it takes new work (2.5+).
    DumperRest,
    /// A dumper found no free range port and will scan again.
    PortWait,
    /// A packet was lost on a link.
    Lost,
}

/// Who binds or releases a server port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A dumper, its own port for the night.
    Dumper(DumperId),
    /// A dumper, a range port leased for one request (per-request port policy).
    Lease(DumperId),
    /// The planner.
    Planner,
    /// amcheck, run before amdump.
    Amcheck,
}

/// A packet as the trace sees it on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wire {
    /// Its kind.
    pub packet: PacketKind,
    /// Sender's port.
    pub src_port: Port,
    /// Receiver's port.
    pub dst_port: Port,
    /// The client at one end, if any.
    pub host: Option<HostId>,
    /// The request it belongs to (in memory only, not a `--trace` field).
    pub req: ReqId,
}

/// Why a client swallowed a REQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Swallowed {
    /// Busy replying to another peer (2.x amandad): request `0` gets nothing.
    Busy(ReqId),
    /// The service already runs (3.x amandad): the REQ is acked, not started again.
    AlreadyRunning,
}

/// What happened, with exactly the fields of its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    /// `owner` bound `port`.
    Bind {
        /// Who.
        owner: Owner,
        /// The port.
        port: Port,
    },
    /// `owner` released `port`.
    Release {
        /// Who.
        owner: Owner,
        /// The port.
        port: Port,
    },
    /// A packet was sent and the filter judged it.
    Send {
        /// The packet.
        wire: Wire,
        /// The dumper whose request it belongs to, if any.
        dumper: Option<DumperId>,
        /// The filter's action.
        verdict: Action,
        /// What decided it.
        decider: Decider,
    },
    /// A packet arrived.
    Deliver {
        /// The packet.
        wire: Wire,
        /// The dumper whose request it belongs to, if any.
        dumper: Option<DumperId>,
    },
    /// A packet was lost on a link.
    Lost {
        /// The packet.
        wire: Wire,
    },
    /// A client ignored a REQ.
    Swallow {
        /// The client.
        host: HostId,
        /// The REQ's source port.
        src_port: Port,
        /// The dumper whose request it was, if any.
        dumper: Option<DumperId>,
        /// Why.
        why: Swallowed,
    },
    /// A request's timer fired.
    Timeout {
        /// The client asked.
        host: HostId,
        /// The dumper whose request it is, if any.
        dumper: Option<DumperId>,
        /// The request.
        req: ReqId,
        /// What the timer asks.
        expiry: Expiry,
    },
    /// The estimate phase ended: the driver has its schedule.
    Schedule,
    /// A dump attempt started.
    AttemptStart {
        /// Its dumper.
        dumper: DumperId,
        /// Its DLE.
        dle: DleId,
        /// The DLE's host.
        host: HostId,
        /// The dumper's port, if it has one.
        port: Option<Port>,
    },
    /// A dump attempt ended.
    AttemptEnd {
        /// Its dumper.
        dumper: DumperId,
        /// Its DLE.
        dle: DleId,
        /// The DLE's host.
        host: HostId,
        /// The dumper's port, if it had one.
        port: Option<Port>,
        /// Its result.
        outcome: Outcome,
    },
    /// The driver fell asleep after `dumper` failed (2.4).
    DriverSleep {
        /// The dumper that failed.
        dumper: DumperId,
    },
    /// A failed dumper rests before it takes new work (2.5+).
    DumperRest {
        /// The dumper.
        dumper: DumperId,
    },
    /// A dumper found no free range port and will scan again.
    PortWait {
        /// The dumper.
        dumper: DumperId,
    },
}

/// One line of `--trace`: when and what.
#[derive(Clone, Debug)]
pub struct TraceRecord {
    /// Simulated time, microseconds.
    pub t_us: u64,
    /// What happened.
    pub event: TraceEvent,
}

/// A record flattened: every field a line can carry, `None` where its kind has none. This is
/// what `--trace` writes, and the view searches across kinds read (explain).
#[derive(Clone, Copy, Debug, Default)]
pub struct Fields {
    /// The dumper involved, if any.
    pub dumper: Option<DumperId>,
    /// The host involved, if any.
    pub host: Option<HostId>,
    /// Packet kind, for sends, deliveries and losses.
    pub packet: Option<PacketKind>,
    /// Sender's port (or the bound port).
    pub src_port: Option<Port>,
    /// Receiver's port.
    pub dst_port: Option<Port>,
    /// The firewall's verdict on a send.
    pub verdict: Option<Action>,
    /// What decided the verdict.
    pub decider: Option<Decider>,
    /// A DLE, for attempts.
    pub dle: Option<DleId>,
    /// The owner of a bound port, a timer's expiry, an outcome, a swallow's reason.
    pub note: Option<&'static str>,
    /// The request a packet, timer or swallow belongs to (not written to `--trace`).
    pub req: Option<ReqId>,
}

impl Owner {
    fn fields(self, port: Port) -> Fields {
        let (dumper, note) = match self {
            Owner::Dumper(d) => (Some(d), None),
            Owner::Lease(d) => (Some(d), Some("lease")),
            Owner::Planner => (None, Some("planner")),
            Owner::Amcheck => (None, Some("amcheck")),
        };
        Fields {
            dumper,
            src_port: Some(port),
            note,
            ..Fields::default()
        }
    }
}

impl Wire {
    fn fields(self, dumper: Option<DumperId>) -> Fields {
        Fields {
            dumper,
            host: self.host,
            packet: Some(self.packet),
            src_port: Some(self.src_port),
            dst_port: Some(self.dst_port),
            req: Some(self.req),
            ..Fields::default()
        }
    }
}

/// The fields of an attempt's start and end.
fn attempt(dumper: DumperId, dle: DleId, host: HostId, port: Option<Port>) -> Fields {
    Fields {
        dumper: Some(dumper),
        host: Some(host),
        dle: Some(dle),
        src_port: port,
        ..Fields::default()
    }
}

/// The trace's word for what a request's timer asks.
fn expiry_note(e: Expiry) -> &'static str {
    match e {
        Expiry::Resend => "resend",
        Expiry::NoAck => "no-ack",
        Expiry::NoReply => "no-reply",
    }
}

/// The trace's word for an attempt's result.
fn outcome_note(o: Outcome) -> &'static str {
    match o {
        Outcome::Done => "done",
        Outcome::TryAgain => "try-again",
        Outcome::Failed => "failed",
    }
}

impl TraceEvent {
    /// The kind, as `--trace` names it.
    pub fn kind(&self) -> TraceKind {
        match self {
            TraceEvent::Bind { .. } => TraceKind::Bind,
            TraceEvent::Release { .. } => TraceKind::Release,
            TraceEvent::Send { .. } => TraceKind::Send,
            TraceEvent::Deliver { .. } => TraceKind::Deliver,
            TraceEvent::Lost { .. } => TraceKind::Lost,
            TraceEvent::Swallow { .. } => TraceKind::Swallow,
            TraceEvent::Timeout { .. } => TraceKind::Timeout,
            TraceEvent::Schedule => TraceKind::Schedule,
            TraceEvent::AttemptStart { .. } => TraceKind::AttemptStart,
            TraceEvent::AttemptEnd { .. } => TraceKind::AttemptEnd,
            TraceEvent::DriverSleep { .. } => TraceKind::DriverSleep,
            TraceEvent::DumperRest { .. } => TraceKind::DumperRest,
            TraceEvent::PortWait { .. } => TraceKind::PortWait,
        }
    }

    /// The event flattened into the fields a trace line can carry.
    pub fn fields(&self) -> Fields {
        let only_dumper = |d: DumperId| Fields {
            dumper: Some(d),
            ..Fields::default()
        };
        match *self {
            TraceEvent::Bind { owner, port } | TraceEvent::Release { owner, port } => {
                owner.fields(port)
            }
            TraceEvent::Send {
                wire,
                dumper,
                verdict,
                decider,
            } => Fields {
                verdict: Some(verdict),
                decider: Some(decider),
                ..wire.fields(dumper)
            },
            TraceEvent::Deliver { wire, dumper } => wire.fields(dumper),
            TraceEvent::Lost { wire } => wire.fields(None),
            TraceEvent::Swallow {
                host,
                src_port,
                dumper,
                why,
            } => {
                let (req, note) = match why {
                    Swallowed::Busy(req) => (Some(req), None),
                    Swallowed::AlreadyRunning => (None, Some("already running, acking req")),
                };
                Fields {
                    dumper,
                    host: Some(host),
                    src_port: Some(src_port),
                    req,
                    note,
                    ..Fields::default()
                }
            }
            TraceEvent::Timeout {
                host,
                dumper,
                req,
                expiry,
            } => Fields {
                dumper,
                host: Some(host),
                req: Some(req),
                note: Some(expiry_note(expiry)),
                ..Fields::default()
            },
            TraceEvent::Schedule => Fields::default(),
            TraceEvent::AttemptStart {
                dumper,
                dle,
                host,
                port,
            } => attempt(dumper, dle, host, port),
            TraceEvent::AttemptEnd {
                dumper,
                dle,
                host,
                port,
                outcome,
            } => Fields {
                note: Some(outcome_note(outcome)),
                ..attempt(dumper, dle, host, port)
            },
            TraceEvent::DriverSleep { dumper }
            | TraceEvent::DumperRest { dumper }
            | TraceEvent::PortWait { dumper } => only_dumper(dumper),
        }
    }
}

impl TraceRecord {
    /// The record's kind.
    pub fn kind(&self) -> TraceKind {
        self.event.kind()
    }
}

#[derive(Serialize)]
struct Line<'a> {
    t_us: u64,
    kind: TraceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    packet: Option<PacketKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dumper: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disk: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_port: Option<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dst_port: Option<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

/// Renders the trace as JSON lines.
pub fn render(sc: &SiteConfig, records: &[TraceRecord]) -> String {
    let mut out = String::with_capacity(records.len() * 120);
    for r in records {
        push_line(sc, r, &mut out);
    }
    out
}

/// Appends record `r` as one JSON line to `out`: the bytes [`render`] writes for it.
pub fn push_line(sc: &SiteConfig, r: &TraceRecord, out: &mut String) {
    let f = r.event.fields();
    let line = Line {
        t_us: r.t_us,
        kind: r.kind(),
        packet: f.packet,
        dumper: f.dumper.map(|d| d.0),
        host: f.host.map(|h| sc.hosts[usize::from(h.0)].name.as_str()),
        disk: f.dle.map(|d| sc.dles[d.0 as usize].disk.as_str()),
        src_port: f.src_port,
        dst_port: f.dst_port,
        verdict: f.verdict,
        rule: f.decider.map(|d: Decider| sc.firewall.describe(d)),
        note: f.note,
    };
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string(&line).expect("trace line serialises")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_flattens_to_its_own_fields() {
        let d = DumperId(3);
        let lease = TraceEvent::Bind {
            owner: Owner::Lease(d),
            port: Port(851),
        };
        let f = lease.fields();
        assert_eq!(
            (f.dumper, f.src_port, f.note),
            (Some(d), Some(Port(851)), Some("lease"))
        );
        let own = TraceEvent::Bind {
            owner: Owner::Dumper(d),
            port: Port(851),
        }
        .fields();
        assert_eq!(own.note, None);
        let end = TraceEvent::AttemptEnd {
            dumper: d,
            dle: DleId(7),
            host: HostId(1),
            port: None,
            outcome: Outcome::TryAgain,
        };
        assert_eq!(end.kind(), TraceKind::AttemptEnd);
        let f = end.fields();
        assert_eq!(
            (f.dle, f.note, f.src_port),
            (Some(DleId(7)), Some("try-again"), None)
        );
        let f = TraceEvent::Swallow {
            host: HostId(0),
            src_port: Port(10080),
            dumper: None,
            why: Swallowed::AlreadyRunning,
        }
        .fields();
        assert_eq!((f.req, f.note), (None, Some("already running, acking req")));
    }
}
