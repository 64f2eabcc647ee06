//! One night at a site: the world's state and the single `match` that moves it.
//!
//! Start of the night (2.4): the driver forks dumper0..dumperN-1, each binding its UDP port in
//! fork order, and the planner binds its own (before or after them, a scenario setting). The
//! planner asks every host for estimates; when the last answer (or timeout) is in, the driver
//! gets the schedule and fills idle dumpers. Every packet crosses the firewall when its ends sit
//! in different zones.

mod clients;
mod exit;
mod network;
mod ports;
mod requests;
mod schedule;

use crate::model::client::{
    Client, OnReq, OnReq3, Peer, REP_ACK_WAIT, Reply, ServiceKey, Services,
};
use crate::model::config::{PlannerBinding, PortPolicy, SiteConfig};
use crate::model::driver::{DleInfo, Driver, Order, Pick};
use crate::model::firewall::{Action, Decider, Header, Proto, Verdict};
use crate::model::network::{FlowId, Network};
use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::model::ports::{BindKind, EPHEMERAL, Port, PortTable, RESERVED_FALLBACK};
use crate::model::protocol::{
    ACK_WAIT, DUMPER_REP_WAIT, Expiry, ReqId, Request, Requester, Service,
};
use crate::model::stateful::{EntryId, FlowKey, Inbound, StateTable};
use crate::model::version::{AmandadModel, Exhausted, FailurePause, Version};
use crate::model::workload::{LOSS, PROCESS_STARTS};
use crate::model::workload::{Night, PortDraws};
use crate::model::{DleId, DumperId, HostId, Node};
use crate::sim::rng::{Stream, stream};
use crate::sim::{SimDuration, SimTime, Simulation};
use rand::RngExt;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// How long the server's TCP connect tries before giving up (Linux, 6 SYN retries).
pub const TCP_CONNECT_TIMEOUT: SimDuration = SimDuration::from_secs(127);
/// Estimate lines the planner asks per disk (level 0 and the next level).
pub const ESTIMATE_LINES_PER_DISK: u64 = 2;

/// The kinds of packet that cross the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PacketKind {
    /// A request from the server.
    Req,
    /// The client's acknowledgement of a REQ.
    Ack,
    /// The client's refusal ("amandad busy").
    Nak,
    /// The client's reply.
    Rep,
    /// A partial reply: one disk's estimate (2.5.1+), not acknowledged.
    Prep,
    /// The server's acknowledgement of a REP.
    RepAck,
    /// A TCP connection attempt from the server to a client's data port.
    Syn,
}

/// A packet in flight.
#[derive(Clone, Copy, Debug)]
pub struct Packet {
    /// Kind.
    pub kind: PacketKind,
    /// Sender.
    pub src: Node,
    /// Sender's port.
    pub src_port: Port,
    /// Receiver.
    pub dst: Node,
    /// Receiver's port.
    pub dst_port: Port,
    /// The request it belongs to.
    pub req: ReqId,
    /// For REQs, the service asked; for REPs, the reply carried.
    pub body: Body,
}

/// What a packet carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Nothing the model needs.
    None,
    /// A REQ's service.
    Service(Service),
    /// A REP's content.
    Reply(Reply),
}

/// Everything that can happen.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// amdump starts: processes bind, the planner asks for estimates.
    Start,
    /// A packet reaches its destination.
    Deliver(Packet),
    /// A request's ACK or REP wait expires.
    ReqTimer {
        /// The request.
        req: ReqId,
        /// Its timer generation when armed.
        epoch: u32,
    },
    /// A client's service has its answer ready.
    ServiceDone {
        /// The client.
        host: HostId,
        /// Its session when the service started.
        epoch: u32,
    },
    /// A client's wait for the ACK of its REP expires.
    RepTimer {
        /// The client.
        host: HostId,
        /// Its session.
        epoch: u32,
    },
    /// The estimate phase ends (planner not modelled at the packet level).
    EstimatesDone,
    /// A dump's data may have all arrived (stale if the flow's epoch moved on).
    FlowDone {
        /// The flow.
        flow: FlowId,
        /// Its epoch when the completion was computed.
        epoch: u32,
    },
    /// A dump's TCP connection attempt gave up.
    ConnectTimeout {
        /// The attempt.
        attempt: u32,
    },
    /// The driver wakes from its failure sleep or a host gap ends.
    DriverWake,
    /// A dumper with no port scans the range again (2.5.2+).
    PortRescan {
        /// The attempt that waits.
        attempt: u32,
        /// Rescans so far, this one included.
        rescans: u32,
    },
    /// One disk's estimate is done: sendsize sends a partial reply (2.5.1+).
    PartialEstimate {
        /// The client.
        host: HostId,
        /// Its session.
        epoch: u32,
    },
    /// A 3.x client's service `id` has its answer ready.
    ServiceReady {
        /// The client.
        host: HostId,
        /// The service.
        id: u32,
    },
    /// A 3.x client's service `id` waited 10 s for the ACK of its REP.
    ServiceRepTimer {
        /// The client.
        host: HostId,
        /// The service.
        id: u32,
        /// Its timer generation when armed.
        generation: u32,
    },
    /// One disk's estimate of a 3.x client's sendsize `id` is done (a PREP).
    ServicePartial {
        /// The client.
        host: HostId,
        /// The service.
        id: u32,
    },
    /// A dumper out of descriptors reports that it cannot bind (3.5.1).
    NoSocket {
        /// The attempt.
        attempt: u32,
    },
    /// A requeued attempt's dumper is ready to send its REQ (3.x: the chunker round trip).
    AttemptGo {
        /// The attempt.
        attempt: u32,
    },
}

/// What a trace line records.
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

/// One line of `--trace`.
#[derive(Clone, Debug)]
pub struct TraceRecord {
    /// Simulated time, microseconds.
    pub t_us: u64,
    /// What happened.
    pub kind: TraceKind,
    /// The dumper involved, if any.
    pub dumper: Option<DumperId>,
    /// The host involved, if any.
    pub host: Option<HostId>,
    /// Packet kind, for sends and deliveries.
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
    /// Outcome or free text.
    pub note: Option<&'static str>,
    /// The request a packet, timer or swallow belongs to. In memory only (not a `--trace`
    /// field): a client's late REP resends and a retry's REQs share a dumper and a host.
    pub req: Option<ReqId>,
}

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
#[derive(Clone, Debug)]
pub struct DumperState {
    /// Its bound port (None until it binds).
    pub port: Option<Port>,
    /// How it got the port.
    pub bind: Option<BindKind>,
    /// Attempt running or waiting to be reported, if any.
    pub busy: Option<u32>,
    /// A range port bound for the current request only (per-request port policy).
    pub lease: Option<Port>,
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
    /// The event trace, when asked for with [`run`] (a streamed trace is not kept).
    pub trace: Option<Vec<TraceRecord>>,
}

/// The world of one night.
struct Site<'a> {
    sc: &'a SiteConfig,
    night: Night,
    sim: Simulation<Event>,
    ports: PortTable,
    dumpers: Vec<DumperState>,
    orders: Vec<Order>,
    planner_port: Option<(Port, BindKind)>,
    amcheck_port: Option<(Port, BindKind)>,
    planner_holds: bool,
    planner_pending: u32,
    host_estimate_ok: Vec<bool>,
    host_estimate_msg: Vec<String>,
    requests: Vec<Request>,
    clients: Vec<Client>,
    services: Vec<Services>,
    driver: Driver,
    results: VecDeque<u32>,
    lease_waiters: VecDeque<u32>,
    asleep_until: Option<SimTime>,
    gap_wake: Option<SimTime>,
    retries_used: Vec<u32>,
    not_before: Vec<SimTime>,
    attempts: Vec<Attempt>,
    dles: Vec<DleState>,
    estimates_end: SimTime,
    dropped: u64,
    replies_sent: u64,
    replies_dropped: u64,
    lost: u64,
    loss: Stream,
    starts: Stream,
    net: Network,
    /// Per flow, by id (the network numbers them 0, 1, ...): its attempt while it runs.
    flows: Vec<Option<u32>>,
    state: Option<StateTable>,
    attempt_conn: Vec<Option<EntryId>>,
    trace: Option<TraceSink<'a>>,
}

/// Where a night's trace goes, record by record, as the events happen.
pub type TraceSink<'a> = &'a mut (dyn FnMut(TraceRecord) + 'a);

/// Runs replication `rep` of the scenario's night; `trace` keeps every event.
pub fn run(sc: &SiteConfig, rep: u64, trace: bool) -> RunResult {
    if !trace {
        return run_with(sc, rep, None);
    }
    let mut kept = Vec::new();
    let mut result = run_with(sc, rep, Some(&mut |r| kept.push(r)));
    result.trace = Some(kept);
    result
}

/// Runs replication `rep`, handing each trace record to `sink` as it happens instead of keeping
/// it: memory follows the pending events, not the night's length.
pub fn run_streaming(sc: &SiteConfig, rep: u64, sink: &mut dyn FnMut(TraceRecord)) -> RunResult {
    run_with(sc, rep, Some(sink))
}

fn run_with<'a>(sc: &'a SiteConfig, rep: u64, trace: Option<TraceSink<'a>>) -> RunResult {
    let mut site = Site::new(sc, rep, trace);
    site.sim.schedule_at(SimTime::ZERO, Event::Start);
    while let Some(ev) = site.sim.next_event() {
        site.handle(ev);
    }
    site.finish()
}

impl<'a> Site<'a> {
    /// The site at amdump's start: replication `rep` of `sc`, tracing into `trace` if any.
    fn new(sc: &'a SiteConfig, rep: u64, trace: Option<TraceSink<'a>>) -> Site<'a> {
        let night = Night::draw(sc, rep);
        let n = usize::from(sc.server.inparallel);
        Site {
            sc,
            sim: Simulation::with_capacity(256),
            ports: PortTable::default(),
            dumpers: vec![
                DumperState {
                    port: None,
                    bind: None,
                    busy: None,
                    lease: None,
                    rest_until: SimTime::ZERO,
                    attempts: 0,
                    failed_attempts: 0,
                    out_of_descriptors: false,
                };
                n
            ],
            orders: sc.server.dumporder.clone(),
            planner_port: None,
            amcheck_port: None,
            planner_holds: false,
            planner_pending: 0,
            host_estimate_ok: vec![true; sc.hosts.len()],
            host_estimate_msg: vec![String::new(); sc.hosts.len()],
            requests: Vec::with_capacity(sc.dles.len() * 2 + sc.hosts.len()),
            clients: vec![Client::default(); sc.hosts.len()],
            services: vec![Services::default(); sc.hosts.len()],
            driver: Driver::new(
                sc.hosts.len(),
                sc.server.netusage_kbs,
                sc.server.profile.host_gap,
                &(0..n)
                    .map(|i| Order::for_dumper(&sc.server.dumporder, i))
                    .collect::<Vec<_>>(),
            ),
            results: VecDeque::new(),
            lease_waiters: VecDeque::new(),
            asleep_until: None,
            gap_wake: None,
            retries_used: vec![0; sc.dles.len()],
            not_before: vec![SimTime::ZERO; sc.dles.len()],
            attempts: Vec::with_capacity(sc.dles.len() * 2),
            dles: vec![
                DleState {
                    fate: None,
                    attempts: 0,
                    message: String::new(),
                    decided: SimTime::ZERO,
                };
                sc.dles.len()
            ],
            estimates_end: SimTime::ZERO,
            dropped: 0,
            replies_sent: 0,
            replies_dropped: 0,
            lost: 0,
            loss: stream(sc.seed, rep, LOSS),
            starts: stream(sc.seed, rep, PROCESS_STARTS),
            net: Network::new(sc.links.iter().map(|l| l.link).collect()),
            flows: Vec::new(),
            state: sc
                .state
                .map(|cfg| StateTable::new(cfg).expect("validated at load")),
            attempt_conn: Vec::with_capacity(sc.dles.len() * 2),
            trace,
            night,
        }
    }

    /// What the night came to, once no event is left.
    fn finish(self) -> RunResult {
        let window = self
            .dles
            .iter()
            .map(|d| d.decided)
            .max()
            .unwrap_or(SimTime::ZERO)
            .max(self.estimates_end);
        RunResult {
            night: self.night,
            dumpers: self.dumpers,
            planner_port: self.planner_port,
            amcheck_port: self.amcheck_port,
            attempts: self.attempts,
            dles: self.dles,
            estimates_end: self.estimates_end,
            window,
            events: self.sim.processed(),
            dropped_packets: self.dropped,
            replies_sent: self.replies_sent,
            replies_dropped: self.replies_dropped,
            lost_packets: self.lost,
            kb_per_link: self
                .net
                .kb_per_link()
                .into_iter()
                .map(|(_, kb)| kb)
                .collect(),
            state_pinhole_s: self
                .state
                .as_ref()
                .map_or(0.0, |t| t.pinhole_seconds(window)),
            pinholes: self
                .state
                .as_ref()
                .map_or_else(Vec::new, |t| pinholes(t, window)),
            trace: None,
        }
    }
}

/// Sums state-entry open time per (server port, client host), in port then host order.
fn pinholes(table: &StateTable, until: SimTime) -> Vec<(Port, HostId, f64)> {
    let mut sums: BTreeMap<(Port, HostId), f64> = BTreeMap::new();
    for (key, open) in table.flow_open_times(until) {
        let pair = match (key.orig, key.resp) {
            ((Node::Server, port), (Node::Host(h), _))
            | ((Node::Host(h), _), (Node::Server, port)) => (port, h),
            _ => continue,
        };
        *sums.entry(pair).or_default() += open.as_secs_f64();
    }
    sums.into_iter().map(|((p, h), s)| (p, h, s)).collect()
}

impl Site<'_> {
    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Start => self.start(),
            Event::Deliver(p) => self.deliver(p),
            Event::ReqTimer { req, epoch } => self.req_timer(req, epoch),
            Event::ServiceDone { host, epoch } => self.service_done(host, epoch),
            Event::RepTimer { host, epoch } => self.rep_timer(host, epoch),
            Event::EstimatesDone => self.estimates_done(),
            Event::FlowDone { flow, epoch } => self.flow_done(flow, epoch),
            Event::ConnectTimeout { attempt } => {
                let msg = "[could not connect to data port: Connection timed out]".to_string();
                self.end_attempt(attempt, Outcome::TryAgain, Cause::DataConnect, msg)
            }
            Event::DriverWake => self.driver_wake(),
            Event::PortRescan { attempt, rescans } => self.port_rescan(attempt, rescans),
            Event::PartialEstimate { host, epoch } => self.partial_estimate(host, epoch),
            Event::ServiceReady { host, id } => self.service3_done(host, id),
            Event::ServiceRepTimer {
                host,
                id,
                generation,
            } => self.service3_rep_timer(host, id, generation),
            Event::ServicePartial { host, id } => self.service3_partial(host, id),
            Event::AttemptGo { attempt } => self.attempt_go(attempt),
            Event::NoSocket { attempt } => self.no_socket(attempt),
        }
    }

    fn record(&mut self, r: TraceRecord) {
        if let Some(sink) = &mut self.trace {
            sink(r);
        }
    }

    fn blank(&self, kind: TraceKind) -> TraceRecord {
        TraceRecord {
            t_us: self.sim.now().0,
            kind,
            dumper: None,
            host: None,
            packet: None,
            src_port: None,
            dst_port: None,
            verdict: None,
            decider: None,
            dle: None,
            note: None,
            req: None,
        }
    }
}
