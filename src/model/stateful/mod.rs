//! Stateful filtering: a per-flow state table that lets in the replies of flows the inside opened.
//!
//! The firewall's inside is the Amanda server's zone. An outbound packet creates or refreshes the
//! entry of its flow; an inbound packet passes the table only if it is the reply direction of a
//! live entry, and then refreshes it too. Five kinds are modelled (MODEL.md section 4):
//!
//! - `Conntrack`: Linux `nf_conntrack_udp_packet` (5.0 and later). Every packet sets the deadline
//!   to now + `nf_conntrack_udp_timeout` (30 s), except that a packet of a flow that has already
//!   seen a reply and is more than 2 s old (`time_after(jiffies, ct->proto.udp.stream_ts)`) sets
//!   now + `nf_conntrack_udp_timeout_stream` (120 s). `IPS_SEEN_REPLY` is set by
//!   `nf_conntrack_in` after the protocol handler ran, so the first reply itself refreshes with 30 s.
//! - `ConntrackPre50`: kernels before 5.0: no 2 s rule, stream timeout 180 s.
//! - `ConntrackAmandaHelper`: conntrack plus `nf_conntrack_amanda`. Its `amanda_help` returns at
//!   once for the original direction, so only client packets (the reply direction) of the master
//!   UDP flow to port 10080 are refreshed to `master_timeout` (300 s, module parameter), after the
//!   UDP handler's own refresh. A reply carrying `CONNECT DATA d MESG m INDEX i` makes the helper
//!   add up to 3 TCP expectations for connections from the server to the client on those ports
//!   (`amanda_exp_policy`: `max_expected` 3, `timeout` 180 s); `nf_ct_expect_related` evicts the
//!   master's oldest expectation beyond 3, replaces one of the same master and tuple, and fails for
//!   one held by another master, and then the helper drops the reply (`NF_DROP`). The first matching
//!   connection consumes an expectation (RELATED); expectations die with their master
//!   (`nf_ct_remove_expectations`).
//! - `Reflexive`: Cisco reflexive ACLs: an entry expires after `ip reflexive-list timeout` (300 s)
//!   without packets; every packet refreshes it.
//! - `Pf`: pf `keep state` for UDP: `udp.first` (60 s) after the first packet, `udp.single` (30 s)
//!   while traffic was seen one way only, `udp.multiple` (60 s) once both hosts have sent, as
//!   pf.conf(5) words it and MODEL.md's test vectors assume. pf's code (`pf_test_state_udp`) is
//!   stricter: a peer turns MULTIPLE only when the other one sends after it, so request + reply
//!   leaves `MULTIPLE:SINGLE` and `udp.single`; [`PfMultiple::RoundTrip`] selects that.
//!
//! A full table (`nf_conntrack_max`, pf `set limit states`) refuses new flows; only live entries
//! count. [`StateTable::pinhole_seconds`] is MODEL.md section 5's pinhole-seconds, exactly.
//!
//! # Ordering contract
//! 1. Calls come in non-decreasing simulated time (checked in debug builds).
//! 2. Every call first retires the entries whose deadline is strictly before its `now`, in
//!    deadline order: an entry is open on `[created, deadline]`, so a packet arriving exactly at
//!    the deadline still passes. (The kernel's `nf_ct_is_expired` already expires at the deadline,
//!    one jiffy apart; with microsecond time the difference is one microsecond.)
//! 3. Entry ids are handed out in creation order, from 0; all maps are ordered, so the same calls
//!    give the same ids, verdicts and measures.
//!
//! # Simplifications
//! - No `early_drop`: a full conntrack table drops the new flow instead of evicting an
//!   unassured entry from the same hash bucket.
//! - TCP has one idle timeout per kind (conntrack `tcp_timeout_established`, pf
//!   `tcp.established`, the reflexive timeout) and no handshake or FIN states; [`StateTable::close`]
//!   ends an entry at once (no `TIME_WAIT`).
//! - Only outbound packets create entries; an inbound packet that a static rule accepts does not.
//! - Expectations come only from the amanda helper; the global `nf_ct_expect_max`, NAT
//!   (`nf_nat_amanda`) and expectations for inbound connections are not modelled.
//! - A [`Node`] stands for an address (all of `Node::Outside` is one); one table serves every
//!   zone pair of the firewall; pf's one-second clock is not imitated.

use super::Node;
use super::firewall::{Header, Proto};
use super::ports::Port;
use crate::sim::{SimDuration, SimTime};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

mod connect;
mod table;

pub use connect::parse_connect;
pub use table::StateTable;

/// Which stateful filter the table imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateKind {
    /// Linux conntrack, 5.0 and later: 30 s, 120 s once replied and older than 2 s.
    Conntrack,
    /// Linux conntrack before 5.0: 30 s, 180 s once replied.
    ConntrackPre50,
    /// Linux conntrack with the `amanda` helper attached to UDP port 10080.
    ConntrackAmandaHelper,
    /// Cisco reflexive ACL: 300 s idle.
    Reflexive,
    /// pf `keep state`: `udp.first`, `udp.single`, `udp.multiple`.
    Pf,
}

impl StateKind {
    /// Every kind, in declaration order.
    pub const ALL: [StateKind; 5] = [
        StateKind::Conntrack,
        StateKind::ConntrackPre50,
        StateKind::ConntrackAmandaHelper,
        StateKind::Reflexive,
        StateKind::Pf,
    ];

    /// The name a scenario uses (`conntrack`, `conntrack-pre5.0`, `conntrack+helper`, ...).
    pub fn name(self) -> &'static str {
        match self {
            StateKind::Conntrack => "conntrack",
            StateKind::ConntrackPre50 => "conntrack-pre5.0",
            StateKind::ConntrackAmandaHelper => "conntrack+helper",
            StateKind::Reflexive => "reflexive",
            StateKind::Pf => "pf",
        }
    }

    /// The kind a scenario name stands for.
    pub fn from_name(name: &str) -> Option<StateKind> {
        StateKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether this is one of the Linux conntrack kinds.
    pub fn is_conntrack(self) -> bool {
        matches!(
            self,
            StateKind::Conntrack | StateKind::ConntrackPre50 | StateKind::ConntrackAmandaHelper
        )
    }
}

impl fmt::Display for StateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// When pf moves a UDP state to `udp.multiple`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PfMultiple {
    /// pf.conf(5): once both hosts have sent a packet (what MODEL.md's test vectors assume).
    BothSent,
    /// `pf_test_state_udp`: once each peer has sent and been answered (request, reply, request).
    RoundTrip,
}

/// The `nf_conntrack_amanda` helper's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmandaHelper {
    /// UDP port of the flows the helper is attached to (10080, `amanda` in services).
    pub port: Port,
    /// Module parameter `master_timeout`: a client packet of the master flow sets now + this.
    pub master_timeout: SimDuration,
    /// `amanda_exp_policy.timeout`: how long an expectation waits for its connection.
    pub expect_timeout: SimDuration,
    /// `amanda_exp_policy.max_expected`: live expectations per master; the oldest goes beyond.
    pub max_expected: usize,
}

impl Default for AmandaHelper {
    /// The kernel's defaults: port 10080, 300 s, 180 s, 3.
    fn default() -> Self {
        AmandaHelper {
            port: Port(10080),
            master_timeout: SimDuration::from_secs(300),
            expect_timeout: SimDuration::from_secs(180),
            max_expected: 3,
        }
    }
}

/// The table's timeouts and limits; one constructor per kind gives the vendor defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateConfig {
    /// Which filter's refresh rules apply.
    pub kind: StateKind,
    /// UDP deadline after the packet that creates the entry (conntrack 30 s, pf `udp.first` 60 s).
    pub first: SimDuration,
    /// UDP deadline after later packets before the flow counts as two-way (30 s, `udp.single`).
    pub one_way: SimDuration,
    /// UDP deadline once two-way (conntrack stream 120 s or 180 s, pf `udp.multiple` 60 s).
    pub two_way: SimDuration,
    /// Conntrack 5.0+: `two_way` applies only to entries older than this (2 s); `None`: no rule.
    pub stream_after: Option<SimDuration>,
    /// TCP idle timeout (conntrack established 5 days, pf `tcp.established` 1 day).
    pub tcp: SimDuration,
    /// The amanda helper, for the conntrack kinds only.
    pub helper: Option<AmandaHelper>,
    /// pf only: when a UDP state becomes `udp.multiple`.
    pub pf_multiple: PfMultiple,
    /// Most live flow entries (`nf_conntrack_max`, pf `set limit states`); `None`: no limit.
    pub max_entries: Option<usize>,
}

impl StateConfig {
    /// Linux conntrack 5.0+: `nf_conntrack_udp_timeout` 30 s, `_stream` 120 s after 2 s.
    pub fn conntrack() -> Self {
        StateConfig {
            kind: StateKind::Conntrack,
            first: SimDuration::from_secs(30),
            one_way: SimDuration::from_secs(30),
            two_way: SimDuration::from_secs(120),
            stream_after: Some(SimDuration::from_secs(2)),
            tcp: SimDuration::from_secs(432_000),
            helper: None,
            pf_multiple: PfMultiple::BothSent,
            max_entries: None,
        }
    }

    /// Linux conntrack before 5.0: 30 s, 180 s once a reply was seen, no 2 s rule.
    pub fn conntrack_pre50() -> Self {
        StateConfig {
            kind: StateKind::ConntrackPre50,
            two_way: SimDuration::from_secs(180),
            stream_after: None,
            ..StateConfig::conntrack()
        }
    }

    /// Linux conntrack 5.0+ with the amanda helper (`master_timeout` 300 s, expectations 180 s).
    pub fn conntrack_amanda_helper() -> Self {
        StateConfig {
            kind: StateKind::ConntrackAmandaHelper,
            helper: Some(AmandaHelper::default()),
            ..StateConfig::conntrack()
        }
    }

    /// Cisco reflexive ACL: `ip reflexive-list timeout` 300 s for every packet.
    pub fn reflexive() -> Self {
        let idle = SimDuration::from_secs(300);
        StateConfig {
            kind: StateKind::Reflexive,
            first: idle,
            one_way: idle,
            two_way: idle,
            stream_after: None,
            tcp: idle,
            helper: None,
            pf_multiple: PfMultiple::BothSent,
            max_entries: None,
        }
    }

    /// pf: `udp.first` 60 s, `udp.single` 30 s, `udp.multiple` 60 s, `tcp.established` 1 day.
    pub fn pf() -> Self {
        StateConfig {
            kind: StateKind::Pf,
            first: SimDuration::from_secs(60),
            one_way: SimDuration::from_secs(30),
            two_way: SimDuration::from_secs(60),
            stream_after: None,
            tcp: SimDuration::from_secs(86_400),
            helper: None,
            pf_multiple: PfMultiple::BothSent,
            max_entries: None,
        }
    }

    /// The defaults for `kind`.
    pub fn for_kind(kind: StateKind) -> Self {
        match kind {
            StateKind::Conntrack => StateConfig::conntrack(),
            StateKind::ConntrackPre50 => StateConfig::conntrack_pre50(),
            StateKind::ConntrackAmandaHelper => StateConfig::conntrack_amanda_helper(),
            StateKind::Reflexive => StateConfig::reflexive(),
            StateKind::Pf => StateConfig::pf(),
        }
    }

    /// Checks the settings fit together; the error names the field and the fix.
    pub fn validate(&self) -> Result<(), StateConfigError> {
        let err = |field: &'static str, problem: &str| {
            Err(StateConfigError {
                field,
                problem: problem.to_string(),
            })
        };
        for (field, d) in [
            ("first", self.first),
            ("one_way", self.one_way),
            ("two_way", self.two_way),
            ("tcp", self.tcp),
        ] {
            if d == SimDuration::ZERO {
                return err(field, "a timeout of 0 s: set it to 1 s or more");
            }
        }
        match (self.kind, self.helper) {
            (StateKind::ConntrackAmandaHelper, None) => {
                return err(
                    "helper",
                    "kind conntrack+helper needs the helper's settings",
                );
            }
            (k, Some(_)) if !k.is_conntrack() => {
                return err(
                    "helper",
                    "the amanda helper is a conntrack helper: remove it or use a conntrack kind",
                );
            }
            (_, Some(h)) if h.max_expected == 0 => {
                return err("helper.max_expected", "0 expectations: set it to 1 or more");
            }
            _ => {}
        }
        if self.max_entries == Some(0) {
            return err(
                "max_entries",
                "a table of 0 entries: set it to 1 or more, or leave it out for no limit",
            );
        }
        Ok(())
    }
}

/// A [`StateConfig`] that does not hold together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("state.{field}: {problem}")]
pub struct StateConfigError {
    /// The offending field.
    pub field: &'static str,
    /// What is wrong and how to fix it.
    pub problem: String,
}

/// A flow in its originator's direction: protocol, opener `(node, port)`, responder `(node, port)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowKey {
    /// Protocol.
    pub proto: Proto,
    /// The side that sent the first packet (inside the firewall).
    pub orig: (Node, Port),
    /// The side it was sent to.
    pub resp: (Node, Port),
}

impl FlowKey {
    /// The flow an outbound packet belongs to: its sender opened it.
    pub fn of_outbound(h: &Header) -> FlowKey {
        FlowKey {
            proto: h.proto,
            orig: (h.src, h.src_port),
            resp: (h.dst, h.dst_port),
        }
    }

    /// The flow an inbound packet would be a reply of: its receiver opened it.
    pub fn reply_of(h: &Header) -> FlowKey {
        FlowKey {
            proto: h.proto,
            orig: (h.dst, h.dst_port),
            resp: (h.src, h.src_port),
        }
    }

    fn rank(&self) -> (u8, (Node, Port), (Node, Port)) {
        (proto_rank(self.proto), self.orig, self.resp)
    }
}

impl PartialOrd for FlowKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FlowKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

fn proto_rank(p: Proto) -> u8 {
    match p {
        Proto::Udp => 0,
        Proto::Tcp => 1,
    }
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Udp => "udp",
        Proto::Tcp => "tcp",
    }
}

/// A state entry or helper expectation, numbered in creation order from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(pub u32);

impl EntryId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What the table did with an outbound packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outbound {
    /// A new entry for a new flow.
    New(EntryId),
    /// A new entry for a connection a helper expected (conntrack RELATED); the expectation is used up.
    Related {
        /// The new entry.
        entry: EntryId,
        /// The expectation it consumed.
        expectation: EntryId,
    },
    /// The flow's live entry, refreshed.
    Established(EntryId),
}

impl Outbound {
    /// The flow's entry.
    pub fn entry(self) -> EntryId {
        match self {
            Outbound::New(e) | Outbound::Established(e) | Outbound::Related { entry: e, .. } => e,
        }
    }
}

/// An outbound packet of a new flow met a full table and must be dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("state table full ({max} live entries): new flow dropped")]
pub struct TableFull {
    /// The limit that was reached.
    pub max: usize,
}

/// What the table says about an inbound packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inbound {
    /// The reply direction of this live entry: accept (the entry was refreshed).
    Accept(EntryId),
    /// The flow had this entry, but it expired (or was closed) before the packet: no state match.
    Expired(EntryId),
    /// The flow never had an entry: no state match.
    NoEntry,
    /// The entry matched, but the amanda helper drops the reply: another master holds an expectation it needs.
    HelperClash {
        /// The matched (and refreshed) master entry.
        entry: EntryId,
        /// The other master's expectation that blocked it.
        holder: EntryId,
    },
}

impl Inbound {
    /// Whether the table lets the packet through.
    pub fn passes(self) -> bool {
        matches!(self, Inbound::Accept(_))
    }

    /// The entry that decided, for the verdict's "decided by".
    pub fn decider(self) -> Option<EntryId> {
        match self {
            Inbound::Accept(e) | Inbound::Expired(e) | Inbound::HelperClash { entry: e, .. } => {
                Some(e)
            }
            Inbound::NoEntry => None,
        }
    }
}

/// Why an entry stopped being open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndCause {
    /// Its deadline passed.
    Expired,
    /// The caller closed it ([`StateTable::close`]).
    Closed,
    /// An expectation that a connection used up.
    Consumed,
    /// An expectation evicted by a newer one of the same master (`max_expected`).
    Evicted,
    /// An expectation replaced by the same master expecting the same connection again.
    Replaced,
    /// An expectation whose master entry ended.
    MasterGone,
}

/// Event counts since the table was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateCounters {
    /// Flow entries created by outbound packets.
    pub created: u64,
    /// Of those, created from a helper expectation (RELATED).
    pub related: u64,
    /// Helper expectations created.
    pub expectations: u64,
    /// Inbound packets accepted by a live entry.
    pub accepted: u64,
    /// Inbound packets whose flow's entry had expired or been closed.
    pub expired_drops: u64,
    /// Inbound packets whose flow never had an entry.
    pub unmatched_drops: u64,
    /// Inbound replies the amanda helper dropped for an expectation clash.
    pub helper_drops: u64,
    /// Outbound packets of new flows refused by a full table.
    pub table_full_drops: u64,
}
