//! What a night came to: its attempts, dumpers and DLEs, and the night's totals.

use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::model::ports::{BindKind, Port};
use crate::model::protocol::ReqId;
use crate::model::trace::TraceRecord;
use crate::model::workload::Night;
use crate::model::{DleId, DumperId, HostId};
use crate::sim::{SimDuration, SimTime};

/// A dump attempt: one DLE on one dumper.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// The DLE.
    pub dle: DleId,
    /// The dumper that ran it.
    pub dumper: DumperId,
    /// The dumper's port (None if it never got one).
    pub port: Option<Port>,
    /// How long it waited for a range port (2.5.2+).
    pub port_wait: SimDuration,
    /// When the driver started it.
    pub start: SimTime,
    /// When the dumper reported.
    pub end: SimTime,
    /// Its result.
    pub outcome: Option<Outcome>,
    /// Why.
    pub cause: Cause,
    /// Amanda's text, empty for a success.
    pub message: String,
    /// Its sendbackup request, once the dumper sent one.
    pub req: Option<ReqId>,
}

/// What a dumper ended up as.
#[derive(Clone, Debug, Default)]
pub struct DumperState {
    /// Its bound port (None until it binds).
    pub port: Option<Port>,
    /// How it got the port.
    pub bind: Option<BindKind>,
    /// Attempt running or waiting to be reported, if any.
    pub busy: Option<u32>,
    /// It takes no new work before this (the 2.5+ pause after a failure).
    pub rest_until: SimTime,
    /// Attempts it ran.
    pub attempts: u32,
    /// Of which ended in failure.
    pub failed_attempts: u32,
    /// It gave up rescanning for want of descriptors (3.5.1): it can never bind again.
    pub out_of_descriptors: bool,
}

/// What became of a DLE.
#[derive(Clone, Debug)]
pub struct DleState {
    /// Its fate, once decided.
    pub fate: Option<DleFate>,
    /// Attempts made.
    pub attempts: u32,
    /// Why it was not dumped.
    pub message: String,
    /// When its fate was decided.
    pub decided: SimTime,
}

/// The result of one night.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The night's random draws.
    pub night: Night,
    /// Dumpers in fork order.
    pub dumpers: Vec<DumperState>,
    /// The planner's port, if it bound one.
    pub planner_port: Option<(Port, BindKind)>,
    /// amcheck's port, held all night, if one ran.
    pub amcheck_port: Option<(Port, BindKind)>,
    /// Attempts in start order.
    pub attempts: Vec<Attempt>,
    /// DLEs in disklist order.
    pub dles: Vec<DleState>,
    /// When the driver got the schedule.
    pub estimates_end: SimTime,
    /// When the last DLE's fate was decided: the backup window.
    pub window: SimTime,
    /// Events processed.
    pub events: u64,
    /// Packets the firewall dropped or rejected.
    pub dropped_packets: u64,
    /// Packets clients sent to the server (ACK, NAK, REP, PREP): legitimate replies.
    pub replies_sent: u64,
    /// Of which the firewall dropped.
    pub replies_dropped: u64,
    /// Packets lost on links.
    pub lost_packets: u64,
    /// KB each link carried, in link order.
    pub kb_per_link: Vec<f64>,
    /// Seconds state entries were open to inbound packets, summed (stateful firewalls).
    pub state_pinhole_s: f64,
    /// Seconds each (server port, client host) pair was open through a state entry.
    pub pinholes: Vec<(Port, HostId, f64)>,
    /// The event trace, when asked for with [`crate::model::site::run`] (a streamed trace is not kept).
    pub trace: Option<Vec<TraceRecord>>,
}
