//! One night at a site: the glue. `Site` holds the pieces (ports and leases, the planner, the
//! driver, clients, requests, the network, the state table) and the single `match` that moves
//! them; the pieces decide, `Site` carries out (the driver's [`crate::model::driver::Action`]s,
//! the planner's count, the clients' answers) and records the trace.
//!
//! Start of the night (2.4): the driver forks dumper0..dumperN-1, each binding its UDP port in
//! fork order, and the planner binds its own (before or after them, a scenario setting). The
//! planner asks every host for estimates; when the last answer (or timeout) is in, the driver
//! gets the schedule and fills idle dumpers. Every packet crosses the firewall when its ends sit
//! in different zones.

mod clients;
mod event;
mod exit;
mod network;
mod ports;
mod requests;
mod schedule;

use crate::model::client::{
    Client, OnReq, OnReq3, Peer, REP_ACK_WAIT, Reply, ServiceKey, Services,
};
use crate::model::config::{PlannerBinding, PortPolicy, SiteConfig};
use crate::model::driver::{self, DleInfo, Driver, Order, Policy, Slot, Then, Woke};
use crate::model::firewall::{Action, Decider, Header, Proto, Verdict};
use crate::model::network::{FlowId, Network};
use crate::model::outcome::{Cause, DleFate, Outcome};
pub use crate::model::packet::{Body, Packet, PacketKind};
use crate::model::planner::{self, Planner};
use crate::model::ports::{BindKind, EPHEMERAL, Leases, Port, PortTable, RESERVED_FALLBACK};
use crate::model::protocol::{
    ACK_WAIT, DUMPER_REP_WAIT, Expiry, ReqId, Request, Requester, Service,
};
pub use crate::model::result::{Attempt, DleState, DumperState, RunResult};
use crate::model::stateful::{EntryId, FlowKey, Inbound, StateTable};
pub use crate::model::trace::{Owner, Swallowed, TraceEvent, TraceKind, TraceRecord, Wire};
use crate::model::version::{AmandadModel, Exhausted, FailurePause, Version};
use crate::model::workload::{LOSS, PROCESS_STARTS};
use crate::model::workload::{Night, PortDraws};
use crate::model::{DleId, DumperId, HostId, Node};
use crate::sim::rng::{Stream, stream};
use crate::sim::{SimDuration, SimTime, Simulation};
pub use event::Event;
use rand::RngExt;
use std::collections::{BTreeMap, VecDeque};

/// How long the server's TCP connect tries before giving up (Linux, 6 SYN retries).
pub const TCP_CONNECT_TIMEOUT: SimDuration = SimDuration::from_secs(127);

/// The world of one night.
struct Site<'a> {
    sc: &'a SiteConfig,
    night: Night,
    sim: Simulation<Event>,
    ports: PortTable,
    dumpers: Vec<DumperState>,
    planner: Planner,
    amcheck_port: Option<(Port, BindKind)>,
    requests: Vec<Request>,
    clients: Vec<Client>,
    services: Vec<Services>,
    driver: Driver,
    results: VecDeque<u32>,
    /// 2.4: results `select()` returned, being read one by one.
    selected: VecDeque<u32>,
    /// 2.4: a `select()` is due at this instant (a result came while the driver was awake).
    select_pending: bool,
    leases: Leases,
    attempts: Vec<Attempt>,
    dles: Vec<DleState>,
    estimates_end: SimTime,
    dropped: u64,
    replies_sent: u64,
    replies_dropped: u64,
    lost: u64,
    loss: Stream,
    starts: Stream,
    jitter: network::Jitter,
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
            dumpers: vec![DumperState::default(); n],
            planner: Planner::new(sc.hosts.len()),
            amcheck_port: None,
            requests: Vec::with_capacity(sc.dles.len() * 2 + sc.hosts.len()),
            clients: vec![Client::default(); sc.hosts.len()],
            // Made, not cloned: an empty `Vec` costs nothing to make.
            services: std::iter::repeat_with(Services::default)
                .take(sc.hosts.len())
                .collect(),
            driver: new_driver(sc, &night),
            // A dumper has at most one result outstanding.
            results: VecDeque::with_capacity(n),
            selected: VecDeque::with_capacity(n),
            select_pending: false,
            leases: Leases::new(n),
            attempts: Vec::with_capacity(sc.dles.len() * 2),
            // Made, not cloned: an empty `String` costs nothing to make.
            dles: std::iter::repeat_with(|| DleState {
                fate: None,
                attempts: 0,
                message: String::new(),
                decided: SimTime::ZERO,
            })
            .take(sc.dles.len())
            .collect(),
            estimates_end: SimTime::ZERO,
            dropped: 0,
            replies_sent: 0,
            replies_dropped: 0,
            lost: 0,
            loss: stream(sc.seed, rep, LOSS),
            starts: stream(sc.seed, rep, PROCESS_STARTS),
            jitter: network::Jitter::new(sc, rep),
            net: Network::new(sc.links.iter().map(|l| l.link).collect()),
            // About one flow per DLE: one dump each, besides retries.
            flows: Vec::with_capacity(sc.dles.len()),
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
            planner_port: self.planner.port(),
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

/// The driver of the night: the site's hosts, dumpers and DLEs as it sees them.
fn new_driver(sc: &SiteConfig, night: &Night) -> Driver {
    let n = usize::from(sc.server.inparallel);
    let dles = sc
        .dles
        .iter()
        .zip(&night.dles)
        .map(|(sd, nd)| DleInfo {
            host: sd.host,
            spindle: sd.spindle,
            size_kb: nd.size_kb,
            // The planner's estimate, not tonight's rate (`dumporder` and `netusage` use it).
            rate_kbs: nd.est_rate_kbs,
            not_before: SimTime::ZERO,
        })
        .collect();
    Driver::new(
        sc.hosts.iter().map(|h| h.maxdumps).collect(),
        sc.server.netusage_kbs,
        sc.server.profile.host_gap,
        &(0..n)
            .map(|i| Order::for_dumper(&sc.server.dumporder, i))
            .collect::<Vec<_>>(),
        dles,
        Policy {
            retries: sc.server.profile.retries,
            pause: sc.server.profile.failure_pause,
        },
    )
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

    /// Hands `event`, stamped with the time, to the trace sink, if any.
    fn record(&mut self, event: TraceEvent) {
        if let Some(sink) = &mut self.trace {
            sink(TraceRecord {
                t_us: self.sim.now().0,
                event,
            });
        }
    }
}
