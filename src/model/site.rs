//! One night at a site: the world's state and the single `match` that moves it.
//!
//! Start of the night (2.4): the driver forks dumper0..dumperN-1, each binding its UDP port in
//! fork order, and the planner binds its own (before or after them, a scenario setting). The
//! planner asks every host for estimates; when the last answer (or timeout) is in, the driver
//! gets the schedule and fills idle dumpers. Every packet crosses the firewall when its ends sit
//! in different zones.

use super::client::{Client, OnReq, Peer, REP_ACK_WAIT, Reply};
use super::driver::{DleInfo, Driver, Order, Pick};
use super::firewall::{Action, Decider, Header, Proto};
use super::outcome::{Cause, DleFate, Outcome};
use super::ports::{BindKind, EPHEMERAL, Port, PortTable, RESERVED_FALLBACK};
use super::protocol::{ACK_WAIT, DUMPER_REP_WAIT, Expiry, ReqId, Request, Requester, Service};
use super::version::Exhausted;
use super::workload::{Night, PortDraws};
use super::{DleId, DumperId, HostId, Node};
use crate::scenario::{PlannerBinding, PortPolicy, Scenario};
use crate::sim::{SimDuration, SimTime, Simulation};
use serde::Serialize;
use super::network::{FlowId, Network};
use super::workload::LOSS;
use crate::sim::rng::{Stream, stream};
use rand::RngExt;
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
    /// The driver fell asleep after a failure.
    DriverSleep,
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
    /// Attempts it ran.
    pub attempts: u32,
    /// Of which ended in failure.
    pub failed_attempts: u32,
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
    /// The event trace, when asked for.
    pub trace: Option<Vec<TraceRecord>>,
}

/// The world of one night.
struct Site<'a> {
    sc: &'a Scenario,
    night: Night,
    sim: Simulation<Event>,
    ports: PortTable,
    dumpers: Vec<DumperState>,
    orders: Vec<Order>,
    planner_port: Option<(Port, BindKind)>,
    planner_holds: bool,
    planner_pending: u32,
    host_estimate_ok: Vec<bool>,
    requests: Vec<Request>,
    clients: Vec<Client>,
    driver: Driver,
    results: VecDeque<u32>,
    lease_waiters: VecDeque<u32>,
    asleep_until: Option<SimTime>,
    gap_wake: Option<SimTime>,
    retries_used: Vec<u32>,
    attempts: Vec<Attempt>,
    dles: Vec<DleState>,
    estimates_end: SimTime,
    dropped: u64,
    replies_sent: u64,
    replies_dropped: u64,
    lost: u64,
    loss: Stream,
    net: Network,
    flows: BTreeMap<FlowId, u32>,
    trace: Option<Vec<TraceRecord>>,
}

/// Runs replication `rep` of the scenario's night; `trace` keeps every event.
pub fn run(sc: &Scenario, rep: u64, trace: bool) -> RunResult {
    let night = Night::draw(sc, rep);
    let n = usize::from(sc.server.inparallel);
    let mut site = Site {
        sc,
        sim: Simulation::with_capacity(256),
        ports: PortTable::default(),
        dumpers: vec![
            DumperState {
                port: None,
                bind: None,
                busy: None,
                lease: None,
                attempts: 0,
                failed_attempts: 0,
            };
            n
        ],
        orders: sc.server.dumporder.clone(),
        planner_port: None,
        planner_holds: false,
        planner_pending: 0,
        host_estimate_ok: vec![true; sc.hosts.len()],
        requests: Vec::with_capacity(sc.dles.len() * 2 + sc.hosts.len()),
        clients: vec![Client::default(); sc.hosts.len()],
        driver: Driver::new(
            sc.hosts.len(),
            sc.server.netusage_kbs,
            sc.server.profile.host_gap,
        ),
        results: VecDeque::new(),
        lease_waiters: VecDeque::new(),
        asleep_until: None,
        gap_wake: None,
        retries_used: vec![0; sc.dles.len()],
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
        net: Network::new(sc.links.iter().map(|l| l.link).collect()),
        flows: BTreeMap::new(),
        trace: trace.then(Vec::new),
        night,
    };
    site.sim.schedule_at(SimTime::ZERO, Event::Start);
    while let Some(ev) = site.sim.next_event() {
        site.handle(ev);
    }
    let window = site
        .dles
        .iter()
        .map(|d| d.decided)
        .max()
        .unwrap_or(SimTime::ZERO)
        .max(site.estimates_end);
    RunResult {
        night: site.night,
        dumpers: site.dumpers,
        planner_port: site.planner_port,
        attempts: site.attempts,
        dles: site.dles,
        estimates_end: site.estimates_end,
        window,
        events: site.sim.processed(),
        dropped_packets: site.dropped,
        replies_sent: site.replies_sent,
        replies_dropped: site.replies_dropped,
        lost_packets: site.lost,
        kb_per_link: site.net.kb_per_link().into_iter().map(|(_, kb)| kb).collect(),
        trace: site.trace,
    }
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
        }
    }

    fn record(&mut self, r: TraceRecord) {
        if let Some(t) = &mut self.trace {
            t.push(r);
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
        }
    }

    // ---- ports -------------------------------------------------------------------------

    /// `dgram_bind`: the range, then the version's answer to a full range (`None`: rescan later).
    /// Under the per-request port policy a dumper's own socket avoids the range altogether.
    fn dgram_bind(&mut self, draws: PortDraws, use_range: bool) -> Option<(Port, BindKind)> {
        let server = &self.sc.server;
        if use_range
            && let Some(r) = server.range
            && let Some(p) = self
                .ports
                .bind_portrange(r, draws.range, |p| server.port_usable(p))
        {
            return Some((p, BindKind::InRange));
        }
        let outside = |p: Port| server.range.is_none_or(|r| !r.contains(p));
        match server.profile.exhausted {
            Exhausted::Rescan { .. } if use_range && server.range.is_some() => None,
            Exhausted::Fallback | Exhausted::Rescan { .. } => Some({
                if let Some(p) = self
                    .ports
                    .bind_portrange(RESERVED_FALLBACK, draws.reserved, outside)
                {
                    (p, BindKind::ReservedFallback)
                } else {
                    let p = self
                        .ports
                        .bind_portrange(EPHEMERAL, draws.ephemeral, |_| true)
                        .expect("28k ephemeral ports cannot all be bound by 64 processes");
                    (p, BindKind::Ephemeral)
                }
            }),
        }
    }

    /// Binds dumper `d`'s port; false when the range is full and the version does not fall back.
    fn bind_dumper(&mut self, d: DumperId) -> bool {
        let use_range = self.sc.server.port_policy == PortPolicy::PerDumper;
        let draws = self.night.dumper_ports[usize::from(d.0)];
        let Some((p, kind)) = self.dgram_bind(draws, use_range) else {
            return false;
        };
        let st = &mut self.dumpers[usize::from(d.0)];
        st.port = Some(p);
        st.bind = Some(kind);
        let mut r = self.blank(TraceKind::Bind);
        r.dumper = Some(d);
        r.src_port = Some(p);
        self.record(r);
        true
    }

    fn bind_planner(&mut self) {
        let Some((p, kind)) = self.dgram_bind(self.night.planner_ports, true) else {
            return;
        };
        self.planner_port = Some((p, kind));
        self.planner_holds = true;
        let mut r = self.blank(TraceKind::Bind);
        r.src_port = Some(p);
        r.note = Some("planner");
        self.record(r);
    }

    // ---- the start of the night ---------------------------------------------------------

    fn start(&mut self) {
        for &p in &self.sc.server.ports_in_use {
            self.ports.bind(p);
        }
        let planner = self.sc.server.planner;
        if planner == PlannerBinding::BeforeDumpers {
            self.bind_planner();
        }
        if self.sc.server.profile.eager_bind {
            for i in 0..self.dumpers.len() {
                // A 2.4 dumper always gets a port: its version falls back.
                self.bind_dumper(DumperId(i as u16));
            }
        }
        match planner {
            PlannerBinding::Unmodelled => {
                let slowest = self
                    .night
                    .host_estimate
                    .iter()
                    .zip(&self.sc.hosts)
                    .map(|(&e, h)| e + h.latency + h.latency)
                    .max()
                    .unwrap_or_default();
                self.sim.schedule_in(slowest, Event::EstimatesDone);
            }
            PlannerBinding::BeforeDumpers | PlannerBinding::AfterDumpers => {
                if planner == PlannerBinding::AfterDumpers {
                    self.bind_planner();
                }
                let Some((port, _)) = self.planner_port else {
                    // No range port for the planner (2.5.2+ with a full range): no estimates.
                    self.host_estimate_ok.fill(false);
                    self.sim.schedule_in(SimDuration::ZERO, Event::EstimatesDone);
                    return;
                };
                for h in 0..self.sc.hosts.len() {
                    let host = HostId(h as u16);
                    let lines = self.sc.hosts[h].dles.len() as u64 * ESTIMATE_LINES_PER_DISK;
                    let wait = self.sc.server.etimeout.times(lines);
                    self.new_request(Requester::Planner, host, Service::Sendsize, port, wait);
                    self.planner_pending += 1;
                }
            }
        }
    }

    fn new_request(
        &mut self,
        owner: Requester,
        host: HostId,
        service: Service,
        port: Port,
        rep_wait: SimDuration,
    ) -> ReqId {
        let id = ReqId(self.requests.len() as u32);
        self.requests.push(Request::new(
            owner,
            host,
            service,
            port,
            self.sim.now(),
            rep_wait,
        ));
        self.send_req(id);
        id
    }

    fn send_req(&mut self, id: ReqId) {
        let r = &self.requests[id.0 as usize];
        let (host, port, service, epoch) = (r.host, r.port, r.service, r.epoch);
        self.send(Packet {
            kind: PacketKind::Req,
            src: Node::Server,
            src_port: port,
            dst: Node::Host(host),
            dst_port: Port(10080),
            req: id,
            body: Body::Service(service),
        });
        self.sim
            .schedule_in(ACK_WAIT, Event::ReqTimer { req: id, epoch });
    }

    // ---- the network --------------------------------------------------------------------

    fn zone_of(&self, n: Node) -> super::ZoneId {
        match n {
            Node::Server | Node::Outside => self.sc.server.zone,
            Node::Host(h) => self.sc.hosts[usize::from(h.0)].zone,
        }
    }

    /// Sends a packet through the firewall and the links; true if it will be delivered.
    fn send(&mut self, p: Packet) -> bool {
        let proto = if p.kind == PacketKind::Syn {
            Proto::Tcp
        } else {
            Proto::Udp
        };
        let v = self.sc.firewall.evaluate(&Header {
            proto,
            src: p.src,
            src_zone: self.zone_of(p.src),
            src_port: p.src_port,
            dst: p.dst,
            dst_zone: self.zone_of(p.dst),
            dst_port: p.dst_port,
        });
        if self.trace.is_some() {
            let mut r = self.blank(TraceKind::Send);
            r.packet = Some(p.kind);
            r.src_port = Some(p.src_port);
            r.dst_port = Some(p.dst_port);
            r.verdict = Some(v.action);
            r.decider = Some(v.by);
            r.host = self.host_of(&p);
            r.dumper = self.dumper_of(p.req);
            self.record(r);
        }
        let from_client = matches!(p.src, Node::Host(_));
        self.replies_sent += u64::from(from_client);
        let host = self.host_of(&p).map(|h| &self.sc.hosts[usize::from(h.0)]);
        let (latency, survival) = host.map_or((self.sc.latency, 1.0), |h| (h.latency, h.survival));
        if v.action.passes() {
            // A lost SYN is resent by TCP within a second or so: only UDP loss matters here.
            if survival < 1.0 && p.kind != PacketKind::Syn && self.loss.random::<f64>() >= survival {
                self.lost += 1;
                let mut r = self.blank(TraceKind::Lost);
                r.packet = Some(p.kind);
                r.src_port = Some(p.src_port);
                r.dst_port = Some(p.dst_port);
                r.host = self.host_of(&p);
                self.record(r);
                return false;
            }
            self.sim.schedule_in(latency, Event::Deliver(p));
            true
        } else {
            self.dropped += 1;
            self.replies_dropped += u64::from(from_client);
            if p.kind != PacketKind::Syn {
                let r = &mut self.requests[p.req.0 as usize];
                if from_client {
                    r.replies_dropped = r.replies_dropped.saturating_add(1);
                } else if p.kind == PacketKind::Req {
                    r.reqs_dropped = r.reqs_dropped.saturating_add(1);
                }
            }
            false
        }
    }

    fn host_of(&self, p: &Packet) -> Option<HostId> {
        match (p.src, p.dst) {
            (Node::Host(h), _) | (_, Node::Host(h)) => Some(h),
            _ => None,
        }
    }

    fn dumper_of(&self, req: ReqId) -> Option<DumperId> {
        match self.requests.get(req.0 as usize)?.owner {
            Requester::Dumper(d) => Some(d),
            Requester::Planner => None,
        }
    }

    fn deliver(&mut self, p: Packet) {
        if self.trace.is_some() {
            let mut r = self.blank(TraceKind::Deliver);
            r.packet = Some(p.kind);
            r.src_port = Some(p.src_port);
            r.dst_port = Some(p.dst_port);
            r.host = self.host_of(&p);
            r.dumper = self.dumper_of(p.req);
            self.record(r);
        }
        match p.dst {
            Node::Host(h) => self.client_receives(h, p),
            Node::Server => self.server_receives(p),
            Node::Outside => {}
        }
    }

    // ---- clients ------------------------------------------------------------------------

    fn client_receives(&mut self, h: HostId, p: Packet) {
        let hi = usize::from(h.0);
        let peer = Peer {
            port: p.src_port,
            req: p.req,
        };
        match (p.kind, p.body) {
            (PacketKind::Req, Body::Service(service)) => {
                match self.clients[hi].on_req(peer, service, self.sc.server.profile.busy) {
                    OnReq::Start(s) => {
                        self.client_send(h, peer, PacketKind::Ack, Body::None);
                        let epoch = self.clients[hi].epoch;
                        let took = match s {
                            Service::Sendbackup => self.sc.workload.sendbackup_startup,
                            Service::Sendsize => {
                                if self.sc.server.profile.partial_estimates {
                                    let parts = &self.night.host_partials[hi];
                                    for &t in &parts[..parts.len().saturating_sub(1)] {
                                        self.sim.schedule_in(
                                            t,
                                            Event::PartialEstimate { host: h, epoch },
                                        );
                                    }
                                }
                                self.night.host_estimate[hi]
                            }
                        };
                        self.sim
                            .schedule_in(took, Event::ServiceDone { host: h, epoch });
                    }
                    OnReq::AckOnly => self.client_send(h, peer, PacketKind::Ack, Body::None),
                    OnReq::Refuse => {
                        self.client_send(h, peer, PacketKind::Ack, Body::None);
                        self.client_reply(h, peer, Reply::NotSecure);
                    }
                    OnReq::ReAck => self.client_send(h, peer, PacketKind::Ack, Body::None),
                    OnReq::ReAckAndReply(reply) => {
                        self.client_send(h, peer, PacketKind::Ack, Body::None);
                        self.client_send(h, peer, PacketKind::Rep, Body::Reply(reply));
                    }
                    OnReq::NakBusy => self.client_send(h, peer, PacketKind::Nak, Body::None),
                    OnReq::Swallow => {
                        let req = &mut self.requests[p.req.0 as usize];
                        req.swallowed = req.swallowed.saturating_add(1);
                        let mut r = self.blank(TraceKind::Swallow);
                        r.host = Some(h);
                        r.src_port = Some(p.src_port);
                        r.dumper = self.dumper_of(p.req);
                        self.record(r);
                    }
                }
            }
            (PacketKind::RepAck, _) => {
                self.clients[hi].on_rep_ack(p.req);
            }
            // The data stream's SYN: the client's sendbackup is listening.
            _ => {}
        }
    }

    fn client_send(&mut self, h: HostId, to: Peer, kind: PacketKind, body: Body) {
        self.send(Packet {
            kind,
            src: Node::Host(h),
            src_port: Port(10080),
            dst: Node::Server,
            dst_port: to.port,
            req: to.req,
            body,
        });
    }

    /// Sends a REP and arms its ACK wait (the caller has moved amandad to `Replying`).
    fn client_reply(&mut self, h: HostId, to: Peer, reply: Reply) {
        self.client_send(h, to, PacketKind::Rep, Body::Reply(reply));
        let epoch = self.clients[usize::from(h.0)].epoch;
        self.sim
            .schedule_in(REP_ACK_WAIT, Event::RepTimer { host: h, epoch });
    }

    fn service_done(&mut self, h: HostId, epoch: u32) {
        let c = &mut self.clients[usize::from(h.0)];
        if c.epoch != epoch {
            return;
        }
        let reply = match c.amandad {
            super::client::Amandad::Serving {
                service: Service::Sendsize,
                ..
            } => Reply::Estimates,
            _ => Reply::Connect,
        };
        if let Some(peer) = c.on_service_done(reply) {
            self.client_reply(h, peer, reply);
        }
    }

    fn partial_estimate(&mut self, h: HostId, epoch: u32) {
        let c = &self.clients[usize::from(h.0)];
        if c.epoch != epoch {
            return;
        }
        if let super::client::Amandad::Serving { peer, .. } = c.amandad {
            self.client_send(h, peer, PacketKind::Prep, Body::None);
        }
    }

    fn rep_timer(&mut self, h: HostId, epoch: u32) {
        let c = &mut self.clients[usize::from(h.0)];
        if c.epoch != epoch {
            return;
        }
        if let Some((peer, reply)) = c.on_rep_timer() {
            self.client_reply(h, peer, reply);
        }
    }

    // ---- the server's requests ----------------------------------------------------------

    fn server_receives(&mut self, p: Packet) {
        let id = p.req;
        let r = &mut self.requests[id.0 as usize];
        if r.port != p.dst_port {
            return;
        }
        match p.kind {
            PacketKind::Ack => {
                if let Some(wait) = r.on_ack() {
                    let epoch = r.epoch;
                    self.sim.schedule_in(wait, Event::ReqTimer { req: id, epoch });
                }
            }
            PacketKind::Prep => {
                if let Some(wait) = r.on_partial() {
                    let epoch = r.epoch;
                    self.sim.schedule_in(wait, Event::ReqTimer { req: id, epoch });
                }
            }
            PacketKind::Nak if r.finish() => {
                let msg = self.sc.server.profile.busy_text().to_string();
                self.request_failed(id, Cause::ClientBusy, msg);
            }
            PacketKind::Rep => {
                if !r.finish() {
                    return;
                }
                let (host, port) = (r.host, r.port);
                self.send(Packet {
                    kind: PacketKind::RepAck,
                    src: Node::Server,
                    src_port: port,
                    dst: Node::Host(host),
                    dst_port: Port(10080),
                    req: id,
                    body: Body::None,
                });
                match p.body {
                    Body::Reply(Reply::NotSecure) => {
                        let msg = format!(
                            "[host {}: port {} not secure]",
                            self.sc.hosts[usize::from(host.0)].name,
                            port
                        );
                        self.request_failed(id, Cause::NotSecure, msg);
                    }
                    _ => self.request_answered(id),
                }
            }
            _ => {}
        }
    }

    fn req_timer(&mut self, id: ReqId, epoch: u32) {
        let now = self.sim.now();
        let r = &mut self.requests[id.0 as usize];
        if r.epoch != epoch {
            return;
        }
        let expiry = r.on_timer(now);
        if self.trace.is_some() {
            let mut t = self.blank(TraceKind::Timeout);
            t.host = Some(self.requests[id.0 as usize].host);
            t.dumper = self.dumper_of(id);
            t.note = Some(match expiry {
                Expiry::Resend => "resend",
                Expiry::NoAck => "no-ack",
                Expiry::NoReply => "no-reply",
            });
            self.record(t);
        }
        match expiry {
            Expiry::Resend => self.send_req(id),
            Expiry::NoAck => {
                let msg = self.sc.server.profile.no_ack_text().to_string();
                let cause = self.requests[id.0 as usize].silence_cause();
                self.request_failed(id, cause, msg);
            }
            Expiry::NoReply => {
                let msg = self.sc.server.profile.no_reply_text().to_string();
                let cause = self.requests[id.0 as usize].silence_cause();
                self.request_failed(id, cause, msg);
            }
        }
    }

    fn request_failed(&mut self, id: ReqId, cause: Cause, msg: String) {
        let r = &self.requests[id.0 as usize];
        match r.owner {
            Requester::Planner => {
                self.host_estimate_ok[usize::from(r.host.0)] = false;
                self.planner_answered();
            }
            Requester::Dumper(d) => {
                self.release_lease(d);
                let a = self.dumpers[usize::from(d.0)].busy.expect("dumper has an attempt");
                let outcome = if cause == Cause::NotSecure {
                    Outcome::Failed
                } else {
                    Outcome::TryAgain
                };
                self.end_attempt(a, outcome, cause, msg);
            }
        }
    }

    fn request_answered(&mut self, id: ReqId) {
        let r = &self.requests[id.0 as usize];
        match r.owner {
            Requester::Planner => self.planner_answered(),
            Requester::Dumper(d) => {
                let host = r.host;
                self.release_lease(d);
                let a = self.dumpers[usize::from(d.0)].busy.expect("dumper has an attempt");
                // CONNECT: the dumper opens its streams from the server to the client.
                let syn = Packet {
                    kind: PacketKind::Syn,
                    src: Node::Server,
                    src_port: Port(EPHEMERAL.low.0 + (a % 20000) as u16),
                    dst: Node::Host(host),
                    dst_port: Port(EPHEMERAL.low.0 + 20000 + (a % 8000) as u16),
                    req: id,
                    body: Body::None,
                };
                if self.send(syn) {
                    let dle = self.attempts[a as usize].dle;
                    let nd = &self.night.dles[dle.0 as usize];
                    let path = self.sc.hosts[usize::from(host.0)].path.clone();
                    let now = self.sim.now();
                    let flow = self.net.add_flow(now, path, nd.rate_kbs, nd.size_kb);
                    self.flows.insert(flow, a);
                    self.schedule_flow_changes();
                } else {
                    self.sim
                        .schedule_in(TCP_CONNECT_TIMEOUT, Event::ConnectTimeout { attempt: a });
                }
            }
        }
    }

    /// Schedules the completion of every flow whose rate the last change moved.
    fn schedule_flow_changes(&mut self) {
        for i in 0..self.net.changed().len() {
            let flow = self.net.changed()[i];
            if let Some(t) = self.net.completion(flow) {
                let epoch = self.net.epoch(flow);
                self.sim.schedule_at(t, Event::FlowDone { flow, epoch });
            }
        }
    }

    fn flow_done(&mut self, flow: FlowId, epoch: u32) {
        if !self.net.is_current(flow, epoch) {
            return;
        }
        let now = self.sim.now();
        self.net.finish(now, flow);
        self.schedule_flow_changes();
        let a = self.flows.remove(&flow).expect("every flow belongs to an attempt");
        self.end_attempt(a, Outcome::Done, Cause::Ok, String::new());
    }

    fn planner_answered(&mut self) {
        self.planner_pending -= 1;
        if self.planner_pending == 0 {
            self.estimates_done();
        }
    }

    // ---- the driver ---------------------------------------------------------------------

    fn estimates_done(&mut self) {
        let now = self.sim.now();
        self.estimates_end = now;
        if let Some((p, _)) = self.planner_port.take() {
            // The planner exits once it has written the schedule.
            self.ports.release(p);
            self.planner_holds = false;
            self.planner_port = Some((p, self.planner_bind_kind(p)));
            self.wake_lease_waiters();
            let mut r = self.blank(TraceKind::Release);
            r.src_port = Some(p);
            r.note = Some("planner");
            self.record(r);
        }
        for (i, d) in self.sc.dles.iter().enumerate() {
            if self.host_estimate_ok[usize::from(d.host.0)] {
                self.driver.runq.push(DleId(i as u32));
            } else {
                let name = &self.sc.hosts[usize::from(d.host.0)].name;
                let st = &mut self.dles[i];
                st.fate = Some(DleFate::NotScheduled);
                st.message = format!("[Estimate timeout from {name}]");
                st.decided = now;
            }
        }
        let r = self.blank(TraceKind::Schedule);
        self.record(r);
        self.dispatch();
    }

    fn planner_bind_kind(&self, p: Port) -> BindKind {
        match self.sc.server.range {
            Some(r) if r.contains(p) => BindKind::InRange,
            _ if p.is_reserved() => BindKind::ReservedFallback,
            _ => BindKind::Ephemeral,
        }
    }

    fn dle_info(&self, d: DleId) -> DleInfo {
        let sd = &self.sc.dles[d.0 as usize];
        let nd = &self.night.dles[d.0 as usize];
        DleInfo {
            host: sd.host,
            spindle: sd.spindle,
            size_kb: nd.size_kb,
            rate_kbs: nd.rate_kbs,
        }
    }

    /// `start_some_dumps`: fill idle dumpers, lowest index first.
    fn dispatch(&mut self) {
        if self.asleep_until.is_some() || self.driver.runq.is_empty() {
            return;
        }
        let now = self.sim.now();
        for i in 0..self.dumpers.len() {
            if self.dumpers[i].busy.is_some() {
                continue;
            }
            let order = Order::for_dumper(&self.orders, i);
            let pick = self.driver.pick(
                now,
                order,
                |d| self.dle_info(d),
                |h| self.sc.hosts[usize::from(h.0)].maxdumps,
            );
            match pick {
                Pick::Take(pos) => {
                    let dle = self.driver.runq[pos];
                    let info = self.dle_info(dle);
                    self.driver.start(pos, info, now);
                    self.start_attempt(DumperId(i as u16), dle);
                    if self.driver.runq.is_empty() {
                        return;
                    }
                }
                Pick::WaitUntil(t) => {
                    if self.gap_wake.is_none_or(|w| t < w || w <= now) {
                        self.gap_wake = Some(t);
                        self.sim.schedule_at(t, Event::DriverWake);
                    }
                    return;
                }
                Pick::Blocked => return,
            }
        }
    }

    fn start_attempt(&mut self, d: DumperId, dle: DleId) {
        let now = self.sim.now();
        let a = self.attempts.len() as u32;
        let port = self.dumpers[usize::from(d.0)].port;
        self.attempts.push(Attempt {
            dle,
            dumper: d,
            port,
            port_wait: SimDuration::ZERO,
            start: now,
            end: now,
            outcome: None,
            cause: Cause::Ok,
            message: String::new(),
        });
        let st = &mut self.dumpers[usize::from(d.0)];
        st.busy = Some(a);
        st.attempts += 1;
        self.dles[dle.0 as usize].attempts += 1;
        let mut r = self.blank(TraceKind::AttemptStart);
        r.dumper = Some(d);
        r.dle = Some(dle);
        r.host = Some(self.sc.dles[dle.0 as usize].host);
        r.src_port = port;
        self.record(r);
        if port.is_none() && !self.bind_dumper(d) {
            self.port_rescan_later(a, 0);
        } else if self.needs_lease(dle) {
            self.take_lease_or_wait(a);
        } else {
            self.send_dump_request(a);
        }
    }

    /// Whether this DLE's request must leave from a leased range port.
    fn needs_lease(&self, dle: DleId) -> bool {
        self.sc.server.port_policy == PortPolicy::PerRequestFirewalled
            && self.sc.firewalled(self.sc.dles[dle.0 as usize].host)
    }

    /// Binds a range port for attempt `a`'s request, or queues it until one is released.
    fn take_lease_or_wait(&mut self, a: u32) {
        let d = self.attempts[a as usize].dumper;
        let range = self.sc.server.range.expect("validated: the policy needs a range");
        // A fresh (pid + time) offset per request.
        let offset = self.night.dumper_ports[usize::from(d.0)].range.wrapping_add(a);
        let server = &self.sc.server;
        match self
            .ports
            .bind_portrange(range, offset, |p| server.port_usable(p))
        {
            Some(p) => {
                self.dumpers[usize::from(d.0)].lease = Some(p);
                let now = self.sim.now();
                let at = &mut self.attempts[a as usize];
                at.port_wait = now.since(at.start);
                let mut r = self.blank(TraceKind::Bind);
                r.dumper = Some(d);
                r.src_port = Some(p);
                r.note = Some("lease");
                self.record(r);
                self.send_dump_request(a);
            }
            None if self.lease_can_come() => {
                let mut r = self.blank(TraceKind::PortWait);
                r.dumper = Some(d);
                self.record(r);
                self.lease_waiters.push_back(a);
            }
            None => {
                // Nobody holds a range port that could be released: waiting would be forever.
                let host = self.sc.dles[self.attempts[a as usize].dle.0 as usize].host;
                let name = &self.sc.hosts[usize::from(host.0)].name;
                let msg = self.sc.server.profile.no_port_text(name);
                self.end_attempt(a, Outcome::TryAgain, Cause::NoPort, msg);
            }
        }
    }

    /// Whether some range port is held by a process that will release it (a lease or the planner).
    fn lease_can_come(&self) -> bool {
        let range = self.sc.server.range.expect("the lease policy has a range");
        self.dumpers.iter().any(|d| d.lease.is_some())
            || (self.planner_holds && self.planner_port.is_some_and(|(p, _)| range.contains(p)))
    }

    /// Hands released range ports to waiting requests, in arrival order.
    fn wake_lease_waiters(&mut self) {
        let waiting = self.lease_waiters.len();
        for _ in 0..waiting {
            let Some(next) = self.lease_waiters.pop_front() else {
                break;
            };
            self.take_lease_or_wait(next);
        }
    }

    /// The request of dumper `d` is over: its leased port goes to the first waiter.
    fn release_lease(&mut self, d: DumperId) {
        let Some(p) = self.dumpers[usize::from(d.0)].lease.take() else {
            return;
        };
        self.ports.release(p);
        let mut r = self.blank(TraceKind::Release);
        r.dumper = Some(d);
        r.src_port = Some(p);
        r.note = Some("lease");
        self.record(r);
        self.wake_lease_waiters();
    }

    /// The dumper holds a port: its REQ for sendbackup goes out.
    fn send_dump_request(&mut self, a: u32) {
        let at = &mut self.attempts[a as usize];
        let ds = &self.dumpers[usize::from(at.dumper.0)];
        let port = ds.lease.or(ds.port).expect("bound before the request");
        at.port = Some(port);
        let (d, dle) = (at.dumper, at.dle);
        let host = self.sc.dles[dle.0 as usize].host;
        self.new_request(
            Requester::Dumper(d),
            host,
            Service::Sendbackup,
            port,
            DUMPER_REP_WAIT,
        );
    }

    /// 2.5.2+: no range port is free; sleep and scan again, holding the DLE.
    fn port_rescan_later(&mut self, a: u32, rescans: u32) {
        let Exhausted::Rescan { interval, .. } = self.sc.server.profile.exhausted else {
            unreachable!("only a rescanning version leaves a dumper without a port");
        };
        let mut r = self.blank(TraceKind::PortWait);
        r.dumper = Some(self.attempts[a as usize].dumper);
        self.record(r);
        self.sim
            .schedule_in(interval, Event::PortRescan { attempt: a, rescans: rescans + 1 });
    }

    fn port_rescan(&mut self, a: u32, rescans: u32) {
        let Exhausted::Rescan { limit, .. } = self.sc.server.profile.exhausted else {
            unreachable!("only a rescanning version leaves a dumper without a port");
        };
        let now = self.sim.now();
        let at = &mut self.attempts[a as usize];
        at.port_wait = now.since(at.start);
        let d = at.dumper;
        if self.bind_dumper(d) {
            self.send_dump_request(a);
        } else if rescans >= limit {
            let host = self.sc.dles[self.attempts[a as usize].dle.0 as usize].host;
            let msg = self
                .sc
                .server
                .profile
                .no_port_text(&self.sc.hosts[usize::from(host.0)].name);
            self.end_attempt(a, Outcome::TryAgain, Cause::NoPort, msg);
        } else {
            self.port_rescan_later(a, rescans);
        }
    }

    /// The dumper reports; the driver reads the result when it is awake.
    fn end_attempt(&mut self, a: u32, outcome: Outcome, cause: Cause, message: String) {
        let now = self.sim.now();
        let at = &mut self.attempts[a as usize];
        at.end = now;
        at.outcome = Some(outcome);
        at.cause = cause;
        at.message = message;
        let (dumper, dle, port) = (at.dumper, at.dle, at.port);
        let mut r = self.blank(TraceKind::AttemptEnd);
        r.dumper = Some(dumper);
        r.dle = Some(dle);
        r.host = Some(self.sc.dles[dle.0 as usize].host);
        r.src_port = port;
        r.note = Some(match outcome {
            Outcome::Done => "done",
            Outcome::TryAgain => "try-again",
            Outcome::Failed => "failed",
        });
        self.record(r);
        self.results.push_back(a);
        self.process_results();
    }

    /// Reads dumper results until one sends the driver to sleep, then fills idle dumpers.
    fn process_results(&mut self) {
        while self.asleep_until.is_none() {
            let Some(a) = self.results.pop_front() else {
                break;
            };
            let now = self.sim.now();
            let at = &self.attempts[a as usize];
            let (dle, dumper, outcome) = (at.dle, at.dumper, at.outcome.expect("ended"));
            let info = self.dle_info(dle);
            self.driver.finish(info);
            let ds = &mut self.dumpers[usize::from(dumper.0)];
            ds.busy = None;
            let di = dle.0 as usize;
            if outcome == Outcome::Done {
                self.dles[di].fate = Some(DleFate::Dumped);
                self.dles[di].decided = now;
                continue;
            }
            ds.failed_attempts += 1;
            let retry = outcome == Outcome::TryAgain
                && self.retries_used[di] < self.sc.server.profile.retries;
            if retry {
                self.retries_used[di] += 1;
                self.driver.runq.push(dle);
            } else {
                let st = &mut self.dles[di];
                st.fate = Some(DleFate::Failed);
                st.decided = now;
                st.message = if outcome == Outcome::TryAgain {
                    let host = &self.sc.hosts[usize::from(info.host.0)].name;
                    self.sc.server.profile.gave_up_text(host)
                } else {
                    self.attempts[a as usize].message.clone()
                };
            }
            let sleep = self.sc.server.profile.failure_sleep;
            if sleep > SimDuration::ZERO {
                let until = now + sleep;
                self.asleep_until = Some(until);
                self.sim.schedule_at(until, Event::DriverWake);
                let mut r = self.blank(TraceKind::DriverSleep);
                r.dumper = Some(dumper);
                self.record(r);
            }
        }
        self.dispatch();
    }

    fn driver_wake(&mut self) {
        let now = self.sim.now();
        match self.asleep_until {
            Some(t) if t <= now => {
                self.asleep_until = None;
                self.dispatch();
                self.process_results();
            }
            Some(_) => {}
            None => {
                if self.gap_wake.is_some_and(|w| w <= now) {
                    self.gap_wake = None;
                }
                self.dispatch();
            }
        }
    }
}
