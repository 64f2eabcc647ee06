//! The table itself: entries, expectations, timers and the packets that touch them.

use super::*;

const PF_NO_TRAFFIC: u8 = 0;
const PF_SINGLE: u8 = 1;
const PF_MULTIPLE: u8 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    Orig,
    Reply,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ExpectKey {
    orig: Node,
    resp: Node,
    port: Port,
}

#[derive(Clone, Debug)]
struct Flow {
    key: FlowKey,
    seen_reply: bool,
    /// pf peer states, `[originator, responder]`.
    peers: [u8; 2],
    helper: bool,
    /// Live expectations of this master, oldest first.
    expecting: Vec<EntryId>,
}

#[derive(Clone, Copy, Debug)]
struct Expect {
    key: ExpectKey,
    master: EntryId,
}

#[derive(Clone, Debug)]
enum What {
    Flow(Flow),
    Expect(Expect),
}

#[derive(Clone, Debug)]
struct Entry {
    created: SimTime,
    deadline: SimTime,
    end: Option<(SimTime, EndCause)>,
    what: What,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Expectations,
    All,
}

impl Which {
    fn wants(self, w: &What) -> bool {
        matches!(
            (self, w),
            (Which::All, _) | (Which::Expectations, What::Expect(_))
        )
    }
}

/// The state table of one stateful firewall.
#[derive(Clone, Debug)]
pub struct StateTable {
    cfg: StateConfig,
    /// Every entry and expectation ever made, by id.
    entries: Vec<Entry>,
    /// The latest entry of each flow, live or not (so a miss can tell expired from never).
    flows: BTreeMap<FlowKey, EntryId>,
    /// Live expectations.
    expects: BTreeMap<ExpectKey, EntryId>,
    /// Entries and expectations not yet retired, by deadline.
    timers: BTreeSet<(SimTime, EntryId)>,
    live_flows: usize,
    now: SimTime,
    done_flow_us: u64,
    done_expect_us: u64,
    counters: StateCounters,
}

impl StateTable {
    /// An empty table; fails if the settings do not hold together.
    pub fn new(cfg: StateConfig) -> Result<StateTable, StateConfigError> {
        cfg.validate()?;
        Ok(StateTable {
            cfg,
            entries: Vec::new(),
            flows: BTreeMap::new(),
            expects: BTreeMap::new(),
            timers: BTreeSet::new(),
            live_flows: 0,
            now: SimTime::ZERO,
            done_flow_us: 0,
            done_expect_us: 0,
            counters: StateCounters::default(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &StateConfig {
        &self.cfg
    }

    /// Event counts so far.
    pub fn counters(&self) -> StateCounters {
        self.counters
    }

    /// Retires every entry whose deadline is strictly before `now`; every other call does this first.
    pub fn advance(&mut self, now: SimTime) {
        debug_assert!(
            now >= self.now,
            "state table time went back: {now} < {}",
            self.now
        );
        self.now = self.now.max(now);
        while let Some(&(deadline, id)) = self.timers.first() {
            if deadline >= now {
                break;
            }
            self.finish(id, deadline, EndCause::Expired);
        }
    }

    /// An outbound packet of flow `key` at `now`: refreshes its live entry or creates one.
    pub fn outbound(&mut self, key: FlowKey, now: SimTime) -> Result<Outbound, TableFull> {
        self.advance(now);
        if let Some(&id) = self.flows.get(&key)
            && self.entries[id.index()].end.is_none()
        {
            self.touch(id, Dir::Orig, now);
            return Ok(Outbound::Established(id));
        }
        if let Some(max) = self.cfg.max_entries
            && self.live_flows >= max
        {
            self.counters.table_full_drops += 1;
            return Err(TableFull { max });
        }
        let expected = if key.proto == Proto::Tcp {
            self.expects
                .get(&ExpectKey {
                    orig: key.orig.0,
                    resp: key.resp.0,
                    port: key.resp.1,
                })
                .copied()
        } else {
            None
        };
        if let Some(x) = expected {
            self.finish(x, now, EndCause::Consumed);
        }
        let helper = key.proto == Proto::Udp
            && self.cfg.kind.is_conntrack()
            && self.cfg.helper.is_some_and(|h| key.resp.1 == h.port);
        let timeout = match key.proto {
            Proto::Tcp => self.cfg.tcp,
            Proto::Udp => self.cfg.first,
        };
        let id = self.push(Entry {
            created: now,
            deadline: now + timeout,
            end: None,
            what: What::Flow(Flow {
                key,
                seen_reply: false,
                peers: [PF_SINGLE, PF_NO_TRAFFIC],
                helper,
                expecting: Vec::new(),
            }),
        });
        self.flows.insert(key, id);
        self.live_flows += 1;
        self.counters.created += 1;
        Ok(match expected {
            Some(expectation) => {
                self.counters.related += 1;
                Outbound::Related {
                    entry: id,
                    expectation,
                }
            }
            None => Outbound::New(id),
        })
    }

    /// An inbound packet with header `h` at `now`: accepted only as the reply of a live entry.
    pub fn inbound(&mut self, h: &Header, now: SimTime) -> Inbound {
        self.inbound_connect(h, now, &[])
    }

    /// As [`inbound`](Self::inbound), for a reply whose `CONNECT` line the helper read as `connect`.
    pub fn inbound_connect(&mut self, h: &Header, now: SimTime, connect: &[Port]) -> Inbound {
        self.advance(now);
        let Some(&id) = self.flows.get(&FlowKey::reply_of(h)) else {
            self.counters.unmatched_drops += 1;
            return Inbound::NoEntry;
        };
        if self.entries[id.index()].end.is_some() {
            self.counters.expired_drops += 1;
            return Inbound::Expired(id);
        }
        self.touch(id, Dir::Reply, now);
        let helper = matches!(&self.entries[id.index()].what, What::Flow(f) if f.helper);
        if helper
            && !connect.is_empty()
            && let Some(holder) = self.expect(id, connect, now)
        {
            self.counters.helper_drops += 1;
            return Inbound::HelperClash { entry: id, holder };
        }
        self.counters.accepted += 1;
        Inbound::Accept(id)
    }

    /// Ends entry `id` at `now` (a TCP connection closed); its expectations end with it.
    pub fn close(&mut self, id: EntryId, now: SimTime) {
        self.advance(now);
        if self
            .entries
            .get(id.index())
            .is_some_and(|e| e.end.is_none())
        {
            self.finish(id, now, EndCause::Closed);
        }
    }

    /// Live flow entries at `now` (what a table limit counts).
    pub fn live_entries(&mut self, now: SimTime) -> usize {
        self.advance(now);
        self.live_flows
    }

    /// Live helper expectations at `now`.
    pub fn live_expectations(&mut self, now: SimTime) -> usize {
        self.advance(now);
        self.expects.len()
    }

    /// When entry `id` ends if nothing else happens (or ended); `None` for an unknown id.
    pub fn deadline(&self, id: EntryId) -> Option<SimTime> {
        let e = self.entries.get(id.index())?;
        Some(match e.end {
            Some((t, _)) => t,
            None => self.projected_end(e),
        })
    }

    /// When and why entry `id` ended, if it had by `at`.
    pub fn ended(&self, id: EntryId, at: SimTime) -> Option<(SimTime, EndCause)> {
        let e = self.entries.get(id.index())?;
        if e.end.is_some() {
            return e.end;
        }
        let end = self.projected_end(e);
        let cause = if end < e.deadline {
            EndCause::MasterGone
        } else {
            EndCause::Expired
        };
        (end < at).then_some((end, cause))
    }

    /// A short description for traces, hosts named `server`, `host3`, `outside`.
    pub fn describe(&self, id: EntryId) -> String {
        self.describe_with(id, default_name)
    }

    /// A short description for traces, e.g. `conntrack udp 850->www1:10080`, hosts named by `name`.
    pub fn describe_with(&self, id: EntryId, name: impl Fn(Node) -> String) -> String {
        let Some(e) = self.entries.get(id.index()) else {
            return format!("unknown state entry {id}");
        };
        match &e.what {
            What::Flow(f) => {
                let (on, op) = f.key.orig;
                let (rn, rp) = f.key.resp;
                let from = if on == Node::Server {
                    op.to_string()
                } else {
                    format!("{}:{op}", name(on))
                };
                format!(
                    "{} {} {from}->{}:{rp}",
                    self.cfg.kind,
                    proto_name(f.key.proto),
                    name(rn)
                )
            }
            What::Expect(x) => {
                let from = if x.key.orig == Node::Server {
                    "*".to_string()
                } else {
                    format!("{}:*", name(x.key.orig))
                };
                format!(
                    "amanda expect tcp {from}->{}:{}",
                    name(x.key.resp),
                    x.key.port
                )
            }
        }
    }

    /// Pinhole-seconds up to `until`: each entry's and expectation's open time, summed, exactly.
    ///
    /// An entry counts from its creation to its end (expiry at its deadline, close, use) or to
    /// `until`. Expectations are included, though they admit server-to-client connections, not
    /// inbound packets; [`expectation_seconds`](Self::expectation_seconds) is their share.
    /// For `until` at or after the last call, entries still open are assumed to see no more
    /// packets; for an earlier `until` the answer comes from the recorded history.
    pub fn pinhole_seconds(&self, until: SimTime) -> f64 {
        self.open_us(until, Which::All) as f64 / 1e6
    }

    /// Each flow entry's key and how long it was open up to `until`, in creation order: the
    /// per-(port, peer) breakdown of [`pinhole_seconds`](Self::pinhole_seconds) without expectations.
    pub fn flow_open_times(&self, until: SimTime) -> Vec<(FlowKey, SimDuration)> {
        self.entries
            .iter()
            .filter_map(|e| match &e.what {
                What::Flow(f) => {
                    let end = e.end.map_or_else(|| self.projected_end(e), |(t, _)| t);
                    Some((f.key, end.min(until).since(e.created)))
                }
                What::Expect(_) => None,
            })
            .collect()
    }

    /// The helper expectations' share of [`pinhole_seconds`](Self::pinhole_seconds).
    pub fn expectation_seconds(&self, until: SimTime) -> f64 {
        self.open_us(until, Which::Expectations) as f64 / 1e6
    }

    fn open_us(&self, until: SimTime, which: Which) -> u64 {
        let open = |e: &Entry| {
            let end = match e.end {
                Some((t, _)) => t,
                None => self.projected_end(e),
            };
            end.min(until).since(e.created).0
        };
        if until >= self.now {
            // Retired entries all ended by `self.now`: their sums are final.
            let done = match which {
                Which::Expectations => self.done_expect_us,
                Which::All => self.done_flow_us + self.done_expect_us,
            };
            let open_now: u64 = self
                .timers
                .iter()
                .map(|&(_, id)| &self.entries[id.index()])
                .filter(|e| which.wants(&e.what))
                .map(open)
                .sum();
            done + open_now
        } else {
            self.entries
                .iter()
                .filter(|e| which.wants(&e.what))
                .map(open)
                .sum()
        }
    }

    /// The end of an entry not yet retired: its deadline, or its master's if that comes first.
    fn projected_end(&self, e: &Entry) -> SimTime {
        match &e.what {
            What::Flow(_) => e.deadline,
            What::Expect(x) => {
                let m = &self.entries[x.master.index()];
                match m.end {
                    Some((t, _)) => t.min(e.deadline),
                    None => m.deadline.min(e.deadline),
                }
            }
        }
    }

    fn push(&mut self, e: Entry) -> EntryId {
        let id = EntryId(u32::try_from(self.entries.len()).expect("fewer than 2^32 state entries"));
        self.timers.insert((e.deadline, id));
        self.entries.push(e);
        id
    }

    fn set_deadline(&mut self, id: EntryId, deadline: SimTime) {
        let e = &mut self.entries[id.index()];
        self.timers.remove(&(e.deadline, id));
        e.deadline = deadline;
        self.timers.insert((deadline, id));
    }

    /// A packet of live flow `id` in direction `dir`: the kind's refresh rule.
    fn touch(&mut self, id: EntryId, dir: Dir, now: SimTime) {
        let cfg = self.cfg;
        let e = &mut self.entries[id.index()];
        let created = e.created;
        let What::Flow(f) = &mut e.what else {
            return;
        };
        // pf's peer states, as pf_test_state_udp updates them.
        let (src, dst) = match dir {
            Dir::Orig => (0, 1),
            Dir::Reply => (1, 0),
        };
        if f.peers[src] < PF_SINGLE {
            f.peers[src] = PF_SINGLE;
        }
        if f.peers[dst] == PF_SINGLE {
            f.peers[dst] = PF_MULTIPLE;
        }
        let timeout = if f.key.proto == Proto::Tcp {
            cfg.tcp
        } else if cfg.kind.is_conntrack() {
            // SEEN_REPLY is read before this packet sets it: the first reply gets `one_way`.
            let stream = f.seen_reply && cfg.stream_after.is_none_or(|s| now > created + s);
            if stream { cfg.two_way } else { cfg.one_way }
        } else {
            let multiple = match (cfg.kind, cfg.pf_multiple) {
                (StateKind::Pf, PfMultiple::RoundTrip) => f.peers == [PF_MULTIPLE; 2],
                _ => f.seen_reply || dir == Dir::Reply,
            };
            if multiple { cfg.two_way } else { cfg.one_way }
        };
        let mut deadline = now + timeout;
        if dir == Dir::Reply {
            f.seen_reply = true;
            // amanda_help runs after the UDP handler and sets its own timeout.
            if f.helper
                && let Some(h) = cfg.helper
            {
                deadline = now + h.master_timeout;
            }
        }
        self.set_deadline(id, deadline);
    }

    /// The helper adds expectations for `ports`; returns another master's blocking one, if any.
    fn expect(&mut self, master: EntryId, ports: &[Port], now: SimTime) -> Option<EntryId> {
        let helper = self.cfg.helper?;
        let What::Flow(m) = &self.entries[master.index()].what else {
            return None;
        };
        let (orig, resp) = (m.key.orig.0, m.key.resp.0);
        let mut clash = None;
        for &port in ports {
            let key = ExpectKey { orig, resp, port };
            if let Some(&other) = self.expects.get(&key) {
                let same = matches!(&self.entries[other.index()].what,
                    What::Expect(x) if x.master == master);
                if same {
                    self.finish(other, now, EndCause::Replaced);
                } else {
                    clash.get_or_insert(other);
                    continue;
                }
            }
            while let What::Flow(m) = &self.entries[master.index()].what
                && m.expecting.len() >= helper.max_expected
            {
                let oldest = m.expecting[0];
                self.finish(oldest, now, EndCause::Evicted);
            }
            let id = self.push(Entry {
                created: now,
                deadline: now + helper.expect_timeout,
                end: None,
                what: What::Expect(Expect { key, master }),
            });
            self.expects.insert(key, id);
            if let What::Flow(m) = &mut self.entries[master.index()].what {
                m.expecting.push(id);
            }
            self.counters.expectations += 1;
        }
        clash
    }

    /// Retires `id` at `at`; a master's expectations go with it.
    fn finish(&mut self, id: EntryId, at: SimTime, cause: EndCause) {
        let e = &mut self.entries[id.index()];
        if e.end.is_some() {
            return;
        }
        self.timers.remove(&(e.deadline, id));
        e.end = Some((at, cause));
        let open = at.since(e.created).0;
        match &mut e.what {
            What::Flow(f) => {
                let kids = std::mem::take(&mut f.expecting);
                self.live_flows -= 1;
                self.done_flow_us += open;
                for k in kids {
                    self.finish(k, at, EndCause::MasterGone);
                }
            }
            What::Expect(x) => {
                let (key, master) = (x.key, x.master);
                self.done_expect_us += open;
                if self.expects.get(&key) == Some(&id) {
                    self.expects.remove(&key);
                }
                if let What::Flow(m) = &mut self.entries[master.index()].what {
                    m.expecting.retain(|&k| k != id);
                }
            }
        }
    }
}

fn default_name(n: Node) -> String {
    match n {
        Node::Server => "server".into(),
        Node::Host(h) => format!("host{}", h.0),
        Node::Outside => "outside".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HostId, ZoneId};

    const LAN: ZoneId = ZoneId(0);
    const DMZ: ZoneId = ZoneId(1);
    const WWW1: Node = Node::Host(HostId(1));

    fn t(s: f64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(s)
    }

    fn table(cfg: StateConfig) -> StateTable {
        StateTable::new(cfg).expect("valid config")
    }

    /// The request flow from server port `sport` to www1's amandad.
    fn req(sport: u16) -> FlowKey {
        FlowKey {
            proto: Proto::Udp,
            orig: (Node::Server, Port(sport)),
            resp: (WWW1, Port(10080)),
        }
    }

    /// A packet from www1 `src` to server `dst`.
    fn from_www1(proto: Proto, src: u16, dst: u16) -> Header {
        Header {
            proto,
            src: WWW1,
            src_zone: DMZ,
            src_port: Port(src),
            dst: Node::Server,
            dst_zone: LAN,
            dst_port: Port(dst),
        }
    }

    /// A UDP reply from amandad to server port `sport`.
    fn reply(sport: u16) -> Header {
        from_www1(Proto::Udp, 10080, sport)
    }

    /// A TCP connection from server port `sport` to www1 port `dport`.
    fn data(sport: u16, dport: u16) -> FlowKey {
        FlowKey {
            proto: Proto::Tcp,
            orig: (Node::Server, Port(sport)),
            resp: (WWW1, Port(dport)),
        }
    }

    fn open(tb: &mut StateTable, key: FlowKey, at: f64) -> EntryId {
        match tb.outbound(key, t(at)).expect("room in the table") {
            Outbound::New(id) => id,
            other => panic!("expected a new entry, got {other:?}"),
        }
    }

    /// Request at 0 s, ACK at 0.2 s, REP at `d`: MODEL.md section 4's test vector.
    fn check_vector(cfg: StateConfig, d: f64, accept: bool) {
        let mut tb = table(cfg);
        let id = open(&mut tb, req(850), 0.0);
        assert_eq!(
            tb.inbound(&reply(850), t(0.2)),
            Inbound::Accept(id),
            "ACK at 0.2 s"
        );
        let want = if accept {
            Inbound::Accept(id)
        } else {
            Inbound::Expired(id)
        };
        assert_eq!(tb.inbound(&reply(850), t(d)), want, "REP at {d} s");
    }

    // MODEL.md section 4, the 16 test vectors.

    #[test]
    fn vector_conntrack_d20_accepts() {
        check_vector(StateConfig::conntrack(), 20.0, true);
    }

    #[test]
    fn vector_conntrack_d45_drops() {
        check_vector(StateConfig::conntrack(), 45.0, false);
    }

    #[test]
    fn vector_conntrack_d200_drops() {
        check_vector(StateConfig::conntrack(), 200.0, false);
    }

    #[test]
    fn vector_conntrack_d400_drops() {
        check_vector(StateConfig::conntrack(), 400.0, false);
    }

    #[test]
    fn vector_helper_d20_accepts() {
        check_vector(StateConfig::conntrack_amanda_helper(), 20.0, true);
    }

    #[test]
    fn vector_helper_d45_accepts() {
        check_vector(StateConfig::conntrack_amanda_helper(), 45.0, true);
    }

    #[test]
    fn vector_helper_d200_accepts() {
        check_vector(StateConfig::conntrack_amanda_helper(), 200.0, true);
    }

    #[test]
    fn vector_helper_d400_drops() {
        check_vector(StateConfig::conntrack_amanda_helper(), 400.0, false);
    }

    #[test]
    fn vector_reflexive_d20_accepts() {
        check_vector(StateConfig::reflexive(), 20.0, true);
    }

    #[test]
    fn vector_reflexive_d45_accepts() {
        check_vector(StateConfig::reflexive(), 45.0, true);
    }

    #[test]
    fn vector_reflexive_d200_accepts() {
        check_vector(StateConfig::reflexive(), 200.0, true);
    }

    #[test]
    fn vector_reflexive_d400_drops() {
        check_vector(StateConfig::reflexive(), 400.0, false);
    }

    #[test]
    fn vector_pf_d20_accepts() {
        check_vector(StateConfig::pf(), 20.0, true);
    }

    #[test]
    fn vector_pf_d45_accepts() {
        check_vector(StateConfig::pf(), 45.0, true);
    }

    #[test]
    fn vector_pf_d200_drops() {
        check_vector(StateConfig::pf(), 200.0, false);
    }

    #[test]
    fn vector_pf_d400_drops() {
        check_vector(StateConfig::pf(), 400.0, false);
    }

    // Conntrack before 5.0, and the 2 s rule.

    #[test]
    fn pre50_d45_drops() {
        check_vector(StateConfig::conntrack_pre50(), 45.0, false);
    }

    #[test]
    fn pre50_a_packet_after_the_reply_extends_to_180s() {
        let mut tb = table(StateConfig::conntrack_pre50());
        let id = open(&mut tb, req(850), 0.0);
        assert!(tb.inbound(&reply(850), t(0.2)).passes());
        assert_eq!(tb.deadline(id), Some(t(30.2)), "the first reply gets 30 s");
        assert!(tb.inbound(&reply(850), t(1.0)).passes());
        assert_eq!(tb.deadline(id), Some(t(181.0)), "no 2 s rule before 5.0");
        assert_eq!(tb.inbound(&reply(850), t(180.0)), Inbound::Accept(id));
    }

    #[test]
    fn two_second_rule_a_packet_at_3s_extends_to_120s() {
        let mut tb = table(StateConfig::conntrack());
        let id = open(&mut tb, req(850), 0.0);
        assert!(tb.inbound(&reply(850), t(0.2)).passes());
        assert!(tb.inbound(&reply(850), t(3.0)).passes());
        assert_eq!(tb.deadline(id), Some(t(123.0)));
        assert_eq!(tb.inbound(&reply(850), t(122.0)), Inbound::Accept(id));
    }

    #[test]
    fn two_second_rule_a_packet_at_1s_extends_only_to_30s() {
        let mut tb = table(StateConfig::conntrack());
        let id = open(&mut tb, req(850), 0.0);
        assert!(tb.inbound(&reply(850), t(0.2)).passes());
        assert!(tb.inbound(&reply(850), t(1.0)).passes());
        assert_eq!(tb.deadline(id), Some(t(31.0)));
        assert_eq!(tb.inbound(&reply(850), t(32.0)), Inbound::Expired(id));
    }

    #[test]
    fn the_first_reply_refreshes_with_30s_even_after_2s() {
        let mut tb = table(StateConfig::conntrack());
        let id = open(&mut tb, req(850), 0.0);
        assert!(tb.inbound(&reply(850), t(2.5)).passes());
        assert_eq!(
            tb.deadline(id),
            Some(t(32.5)),
            "SEEN_REPLY is set after the refresh"
        );
        // The server's next packet is a stream packet.
        assert_eq!(tb.outbound(req(850), t(3.0)), Ok(Outbound::Established(id)));
        assert_eq!(tb.deadline(id), Some(t(123.0)));
    }

    #[test]
    fn a_packet_exactly_at_the_deadline_passes_one_microsecond_later_not() {
        let mut tb = table(StateConfig::conntrack());
        let a = open(&mut tb, req(850), 0.0);
        let b = open(&mut tb, req(851), 0.0);
        assert_eq!(tb.deadline(a), Some(t(30.0)));
        assert_eq!(tb.inbound(&reply(850), t(30.0)), Inbound::Accept(a));
        let late = SimTime(t(30.0).0 + 1);
        assert_eq!(tb.inbound(&reply(851), late), Inbound::Expired(b));
        assert_eq!(tb.ended(b, late), Some((t(30.0), EndCause::Expired)));
    }

    // pf.

    #[test]
    fn pf_a_resend_without_reply_shortens_to_udp_single() {
        let mut tb = table(StateConfig::pf());
        let id = open(&mut tb, req(850), 0.0);
        assert_eq!(tb.deadline(id), Some(t(60.0)), "udp.first");
        assert_eq!(
            tb.outbound(req(850), t(10.0)),
            Ok(Outbound::Established(id))
        );
        assert_eq!(tb.deadline(id), Some(t(40.0)), "udp.single");
        assert_eq!(tb.inbound(&reply(850), t(45.0)), Inbound::Expired(id));
    }

    #[test]
    fn pf_round_trip_needs_a_third_packet_for_udp_multiple() {
        let cfg = StateConfig {
            pf_multiple: PfMultiple::RoundTrip,
            ..StateConfig::pf()
        };
        check_vector(cfg, 45.0, false);
        let mut tb = table(cfg);
        let id = open(&mut tb, req(850), 0.0);
        assert!(tb.inbound(&reply(850), t(0.2)).passes());
        assert_eq!(
            tb.deadline(id),
            Some(t(30.2)),
            "MULTIPLE:SINGLE is udp.single"
        );
        assert!(tb.outbound(req(850), t(1.0)).is_ok());
        assert_eq!(
            tb.deadline(id),
            Some(t(61.0)),
            "MULTIPLE:MULTIPLE is udp.multiple"
        );
    }

    // Table limit.

    #[test]
    fn a_full_table_drops_new_flows_and_counts_only_live_entries() {
        let mut tb = table(StateConfig {
            max_entries: Some(2),
            ..StateConfig::conntrack()
        });
        let a = open(&mut tb, req(850), 0.0);
        let _b = open(&mut tb, req(851), 1.0);
        assert_eq!(tb.outbound(req(852), t(2.0)), Err(TableFull { max: 2 }));
        assert_eq!(tb.inbound(&reply(852), t(2.5)), Inbound::NoEntry);
        assert_eq!(
            tb.outbound(req(850), t(3.0)),
            Ok(Outbound::Established(a)),
            "a known flow still passes"
        );
        // 851 expires at 31 s, 850 lives to 33 s: one free slot.
        assert_eq!(tb.live_entries(t(31.5)), 1);
        let c = open(&mut tb, req(852), 31.5);
        assert_eq!(tb.inbound(&reply(852), t(32.0)), Inbound::Accept(c));
        assert_eq!(tb.counters().table_full_drops, 1);
    }

    // The amanda helper's expectations.

    /// Request at 0, ACK at 0.2, REP naming `ports` at 10 s; returns the master entry.
    fn helper_with_rep(ports: &[u16]) -> (StateTable, EntryId) {
        let mut tb = table(StateConfig::conntrack_amanda_helper());
        let id = open(&mut tb, req(850), 0.0);
        assert!(tb.inbound(&reply(850), t(0.2)).passes());
        let ports: Vec<Port> = ports.iter().copied().map(Port).collect();
        assert_eq!(
            tb.inbound_connect(&reply(850), t(10.0), &ports),
            Inbound::Accept(id)
        );
        assert_eq!(tb.deadline(id), Some(t(310.0)), "master_timeout");
        (tb, id)
    }

    #[test]
    fn helper_expectations_are_accepted_within_180s_and_consumed_once() {
        let (mut tb, _) = helper_with_rep(&[50001, 50002, 50003]);
        assert_eq!(tb.live_expectations(t(10.0)), 3);
        let first = tb.outbound(data(40001, 50001), t(100.0)).unwrap();
        assert!(matches!(first, Outbound::Related { .. }), "{first:?}");
        assert_eq!(
            tb.outbound(data(40002, 50001), t(101.0)),
            Ok(Outbound::New(EntryId(5))),
            "an expectation is used once"
        );
        let edge = tb.outbound(data(40003, 50002), t(190.0)).unwrap();
        assert!(
            matches!(edge, Outbound::Related { .. }),
            "valid through 180 s: {edge:?}"
        );
        let late = tb
            .outbound(data(40004, 50003), SimTime(t(190.0).0 + 1))
            .unwrap();
        assert!(
            matches!(late, Outbound::New(_)),
            "expired after 180 s: {late:?}"
        );
        assert_eq!(tb.counters().related, 2);
    }

    #[test]
    fn helper_keeps_at_most_3_expectations_evicting_the_oldest() {
        let (mut tb, id) = helper_with_rep(&[50001, 50002, 50003]);
        let ports = [Port(50004)];
        assert_eq!(
            tb.inbound_connect(&reply(850), t(20.0), &ports),
            Inbound::Accept(id)
        );
        assert_eq!(tb.live_expectations(t(20.0)), 3);
        // Expectations were numbered 1, 2, 3 after the master 0.
        assert_eq!(
            tb.ended(EntryId(1), t(20.0)),
            Some((t(20.0), EndCause::Evicted))
        );
        assert!(matches!(
            tb.outbound(data(40001, 50001), t(21.0)),
            Ok(Outbound::New(_))
        ));
        assert!(matches!(
            tb.outbound(data(40002, 50004), t(21.0)),
            Ok(Outbound::Related { .. })
        ));
    }

    #[test]
    fn helper_drops_a_reply_whose_port_another_master_expects() {
        let mut tb = table(StateConfig::conntrack_amanda_helper());
        let a = open(&mut tb, req(850), 0.0);
        let b = open(&mut tb, req(851), 0.0);
        assert!(tb.inbound(&reply(850), t(0.2)).passes());
        assert!(tb.inbound(&reply(851), t(0.2)).passes());
        let port = [Port(50001)];
        assert_eq!(
            tb.inbound_connect(&reply(850), t(10.0), &port),
            Inbound::Accept(a)
        );
        let holder = EntryId(2);
        assert_eq!(
            tb.inbound_connect(&reply(851), t(11.0), &port),
            Inbound::HelperClash { entry: b, holder }
        );
        assert_eq!(
            tb.deadline(b),
            Some(t(311.0)),
            "refreshed before the helper dropped it"
        );
        assert_eq!(tb.counters().helper_drops, 1);
        assert_eq!(tb.describe(holder), "amanda expect tcp *->host1:50001");
    }

    #[test]
    fn helper_expectations_die_with_their_master() {
        let (mut tb, id) = helper_with_rep(&[50001]);
        // The server ACKs the REP: a stream packet, 120 s, replacing the helper's 300 s.
        assert_eq!(
            tb.outbound(req(850), t(10.01)),
            Ok(Outbound::Established(id))
        );
        assert_eq!(tb.deadline(id), Some(t(130.01)));
        let exp = EntryId(1);
        assert_eq!(
            tb.ended(exp, t(150.0)),
            Some((t(130.01), EndCause::MasterGone))
        );
        assert!(matches!(
            tb.outbound(data(40001, 50001), t(150.0)),
            Ok(Outbound::New(_))
        ));
        assert_eq!(
            tb.ended(exp, t(150.0)),
            Some((t(130.01), EndCause::MasterGone))
        );
        assert_eq!(tb.expectation_seconds(t(150.0)), 120.01);
    }

    // Exposure and counters.

    #[test]
    fn pinhole_seconds_on_a_hand_computed_case() {
        let mut tb = table(StateConfig::conntrack());
        let a = open(&mut tb, req(850), 0.0); // no reply: open 0..30
        let b = open(&mut tb, req(851), 10.0);
        assert!(tb.inbound(&reply(851), t(10.5)).passes()); // open 10..40.5
        assert_eq!(tb.pinhole_seconds(t(35.0)), 30.0 + 25.0);
        assert_eq!(tb.pinhole_seconds(t(100.0)), 30.0 + 30.5);
        // Retire both, then ask again, later and earlier than the last call.
        assert_eq!(tb.inbound(&reply(850), t(50.0)), Inbound::Expired(a));
        assert_eq!(tb.ended(b, t(50.0)), Some((t(40.5), EndCause::Expired)));
        assert_eq!(tb.pinhole_seconds(t(100.0)), 60.5);
        assert_eq!(tb.pinhole_seconds(t(35.0)), 55.0);
        assert_eq!(tb.pinhole_seconds(t(5.0)), 5.0);
        assert_eq!(tb.expectation_seconds(t(100.0)), 0.0);
    }

    #[test]
    fn expired_and_never_existing_entries_are_counted_apart() {
        let mut tb = table(StateConfig::conntrack());
        let id = open(&mut tb, req(850), 0.0);
        assert_eq!(tb.inbound(&reply(850), t(40.0)), Inbound::Expired(id));
        assert_eq!(tb.inbound(&reply(852), t(41.0)), Inbound::NoEntry);
        assert_eq!(
            tb.inbound(&from_www1(Proto::Tcp, 10080, 850), t(42.0)),
            Inbound::NoEntry
        );
        let c = tb.counters();
        assert_eq!((c.expired_drops, c.unmatched_drops, c.accepted), (1, 2, 0));
        // A new request reopens the flow with a fresh entry.
        let again = open(&mut tb, req(850), 43.0);
        assert_ne!(again, id);
        assert_eq!(tb.inbound(&reply(850), t(44.0)), Inbound::Accept(again));
    }

    #[test]
    fn a_closed_connection_admits_nothing_more() {
        let mut tb = table(StateConfig::conntrack());
        let id = open(&mut tb, data(40000, 50001), 0.0);
        let back = from_www1(Proto::Tcp, 50001, 40000);
        assert_eq!(tb.inbound(&back, t(3.0)), Inbound::Accept(id));
        tb.close(id, t(5.0));
        assert_eq!(tb.inbound(&back, t(6.0)), Inbound::Expired(id));
        assert_eq!(tb.ended(id, t(6.0)), Some((t(5.0), EndCause::Closed)));
        assert_eq!(tb.pinhole_seconds(t(100.0)), 5.0);
    }

    #[test]
    fn descriptions_name_kind_protocol_and_ends() {
        let mut tb = table(StateConfig::conntrack());
        let id = open(&mut tb, req(850), 0.0);
        let names = |n: Node| match n {
            WWW1 => "www1".to_string(),
            _ => "?".to_string(),
        };
        assert_eq!(tb.describe_with(id, names), "conntrack udp 850->www1:10080");
        assert_eq!(tb.describe(id), "conntrack udp 850->host1:10080");
        assert_eq!(tb.describe(EntryId(9)), "unknown state entry #9");
    }

    #[test]
    fn parse_connect_reads_like_amanda_help() {
        let p = |s: &str| {
            parse_connect(s)
                .into_iter()
                .map(|p| p.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            p("OPTIONS features=ff;\nCONNECT DATA 50001 MESG 50002 INDEX 50003\n"),
            [50001, 50002, 50003]
        );
        assert_eq!(
            p("CONNECT INDEX 7 DATA 9\n"),
            [9, 7],
            "DATA, MESG, INDEX order"
        );
        assert_eq!(
            p("CONNECT DATA 123456 MESG 8\n"),
            [12345, 8],
            "5 characters a port"
        );
        assert_eq!(p("CONNECT DATA 70000\n"), [4464], "cut to 16 bits");
        assert_eq!(
            p("CONNECT DATA 0 MESG 8\n"),
            Vec::<u16>::new(),
            "port 0 stops"
        );
        assert_eq!(
            p("CONNECT DATA 50001"),
            Vec::<u16>::new(),
            "no newline, no ports"
        );
    }

    #[test]
    fn config_validation_names_the_field() {
        let no_helper = StateConfig {
            helper: None,
            ..StateConfig::conntrack_amanda_helper()
        };
        assert_eq!(StateTable::new(no_helper).unwrap_err().field, "helper");
        let pf_helper = StateConfig {
            helper: Some(AmandaHelper::default()),
            ..StateConfig::pf()
        };
        assert_eq!(pf_helper.validate().unwrap_err().field, "helper");
        let empty = StateConfig {
            max_entries: Some(0),
            ..StateConfig::reflexive()
        };
        assert_eq!(empty.validate().unwrap_err().field, "max_entries");
        for k in StateKind::ALL {
            assert_eq!(StateConfig::for_kind(k).validate(), Ok(()));
            assert_eq!(StateKind::from_name(k.name()), Some(k));
        }
    }
}
