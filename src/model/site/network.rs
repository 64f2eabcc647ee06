//! Packets through the firewall and the links (latency, loss), and dumps as network flows.

use super::*;
use rand::Rng;

/// The most a packet's one-way latency varies (queueing in the hosts and switches).
pub const PACKET_JITTER_MAX: SimDuration = SimDuration(100);

/// Per-packet latency jitter: without it, a packet and a timer due at the same microsecond
/// would be ordered by the kernel's scheduling order alone; with it they fall as in a network.
/// A packet never overtakes an earlier one between the same two nodes (FIFO per path).
pub(super) struct Jitter {
    rng: Stream,
    /// Per host, its path to the server: nearly every packet travels one, so a send reads this
    /// one entry instead of the host's configuration.
    server_paths: Vec<ServerPath>,
    /// The last arrival on any other path.
    last: BTreeMap<(Node, Node), SimTime>,
}

/// The path between the server and one host, as a packet on it needs it.
#[derive(Clone, Copy)]
struct ServerPath {
    /// The last arrival from the server, then the last arrival at it.
    last: [SimTime; 2],
    /// The host's one-way latency.
    latency: SimDuration,
    /// The chance a packet survives the path.
    survival: f64,
    /// The host sits in the server's zone: its packets never reach the filter.
    same_zone: bool,
}

/// A packet's leg between the server and a host: the host, and 0 from the server or 1 to it.
#[derive(Clone, Copy)]
struct Leg(HostId, usize);

impl Leg {
    /// `p`'s leg, if it travels between the server and a host.
    #[inline]
    fn of(p: &Packet) -> Option<Leg> {
        match (p.src, p.dst) {
            (Node::Server, Node::Host(h)) => Some(Leg(h, 0)),
            (Node::Host(h), Node::Server) => Some(Leg(h, 1)),
            _ => None,
        }
    }
}

impl Jitter {
    /// Replication `rep`'s draws, from their own stream (in send order), on `sc`'s paths.
    pub(super) fn new(sc: &SiteConfig, rep: u64) -> Jitter {
        Jitter {
            rng: stream(sc.seed, rep, crate::model::workload::PACKET_JITTER),
            server_paths: sc
                .hosts
                .iter()
                .map(|h| ServerPath {
                    last: [SimTime::ZERO; 2],
                    latency: h.latency,
                    survival: h.survival,
                    same_zone: h.zone == sc.server.zone,
                })
                .collect(),
            last: BTreeMap::new(),
        }
    }

    /// When a packet sent at `now` on a path whose last arrival is `last` arrives: `latency`
    /// plus a uniform 0-100 us, but never before the last packet on the same path (same-time
    /// arrivals keep their send order: the kernel runs them as scheduled).
    #[inline]
    fn arrival(
        rng: &mut Stream,
        last: &mut SimTime,
        now: SimTime,
        latency: SimDuration,
    ) -> SimTime {
        let extra = SimDuration(jitter_draw(rng));
        *last = (*last).max(now + latency + extra);
        *last
    }
}

/// `rng.random_range(0..=PACKET_JITTER_MAX.0)`, the same words to the same value (rand 0.10's
/// `sample_single_inclusive` for u64: a widening multiply, and a second word only when the first
/// falls in the biased zone), without the generic range call that cost as much as the draw.
#[inline]
fn jitter_draw(rng: &mut Stream) -> u64 {
    const RANGE: u64 = PACKET_JITTER_MAX.0 + 1;
    let wide = u128::from(rng.next_u64()) * u128::from(RANGE);
    let (mut hi, lo) = ((wide >> 64) as u64, wide as u64);
    if lo > RANGE.wrapping_neg() {
        let next_hi = ((u128::from(rng.next_u64()) * u128::from(RANGE)) >> 64) as u64;
        hi += u64::from(lo.checked_add(next_hi).is_none());
    }
    hi
}

impl Site<'_> {
    pub(super) fn zone_of(&self, n: Node) -> crate::model::ZoneId {
        match n {
            Node::Server | Node::Outside => self.sc.server.zone,
            Node::Host(h) => self.sc.hosts[usize::from(h.0)].zone,
        }
    }

    /// Sends a packet through the firewall and the links; true if it will be delivered.
    pub(super) fn send(&mut self, p: Packet) -> bool {
        let leg = Leg::of(&p);
        let path = leg.map(|Leg(h, _)| self.jitter.server_paths[usize::from(h.0)]);
        let (v, entry) = match path {
            // Both ends in one zone: the filter never sees it (what `verdict_of` would find).
            Some(path) if path.same_zone => (
                Verdict {
                    action: Action::Accept,
                    by: Decider::SameZone,
                },
                None,
            ),
            _ => self.verdict_of(&p),
        };
        if p.kind == PacketKind::Syn
            && let Some(a) = self.attempt_of(p.req)
        {
            self.attempt_conn[a as usize] = entry;
        }
        if self.trace.is_some() {
            self.trace_send(&p, v);
        }
        let from_client = matches!(p.src, Node::Host(_));
        self.replies_sent += u64::from(from_client);
        let (latency, survival) = match path {
            Some(path) => (path.latency, path.survival),
            None => self.host_of(&p).map_or((self.sc.latency, 1.0), |h| {
                let h = &self.sc.hosts[usize::from(h.0)];
                (h.latency, h.survival)
            }),
        };
        if v.action.passes() {
            // A lost SYN is resent by TCP within a second or so: only UDP loss matters here.
            if survival < 1.0 && p.kind != PacketKind::Syn && self.loss.random::<f64>() >= survival
            {
                self.lost += 1;
                self.record(TraceEvent::Lost {
                    wire: self.wire(&p),
                });
                return false;
            }
            let now = self.sim.now();
            let jitter = &mut self.jitter;
            let last = match leg {
                Some(Leg(h, way)) => &mut jitter.server_paths[usize::from(h.0)].last[way],
                None => jitter.last.entry((p.src, p.dst)).or_insert(SimTime::ZERO),
            };
            let at = Jitter::arrival(&mut jitter.rng, last, now, latency);
            self.sim.schedule_at(at, Event::Deliver(p));
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

    /// Records the sending of `p` and its verdict `v`; out of line, away from the untraced path.
    #[cold]
    #[inline(never)]
    fn trace_send(&mut self, p: &Packet, v: Verdict) {
        self.record(TraceEvent::Send {
            wire: self.wire(p),
            dumper: self.dumper_of(p.req),
            verdict: v.action,
            decider: v.by,
        });
    }

    /// The filter's verdict on `p` and the state entry it made or refreshed. bsdtcp: Amanda's
    /// messages ride one TCP connection that the server opens to the client's amandad
    /// (10080/tcp); the filter judges its SYN (the server's messages stand for it), and the
    /// client's replies travel on the established connection.
    fn verdict_of(&mut self, p: &Packet) -> (Verdict, Option<EntryId>) {
        let tcp_auth =
            self.sc.server.auth == crate::model::config::Auth::Bsdtcp && p.kind != PacketKind::Syn;
        let proto = if p.kind == PacketKind::Syn || tcp_auth {
            Proto::Tcp
        } else {
            Proto::Udp
        };
        let header = Header {
            proto,
            src: p.src,
            src_zone: self.zone_of(p.src),
            src_port: p.src_port,
            dst: p.dst,
            dst_zone: self.zone_of(p.dst),
            dst_port: p.dst_port,
        };
        if tcp_auth && matches!(p.src, Node::Host(_)) {
            let by = if header.src_zone == header.dst_zone {
                Decider::SameZone
            } else {
                Decider::Connection
            };
            let action = Action::Accept;
            return (Verdict { action, by }, None);
        }
        self.filter(p, &header)
    }

    /// The firewall's verdict: the state table first (replies of flows the server's zone opened),
    /// then the rules; an accepted outbound packet creates or refreshes its flow's entry, which
    /// is returned too.
    fn filter(&mut self, p: &Packet, h: &Header) -> (Verdict, Option<EntryId>) {
        let v = self.sc.firewall.evaluate(h);
        if v.by == Decider::SameZone || self.state.is_none() {
            return (v, None);
        }
        let now = self.sim.now();
        let connect = match p.body {
            Body::Reply(Reply::Connect) => self.attempt_of(p.req).map(|a| self.helper_reads(a)),
            _ => None,
        };
        let connect = connect.as_ref().map(|(ports, n)| &ports[..*n]);
        let Some(table) = self.state.as_mut() else {
            return (v, None);
        };
        if h.src_zone == self.sc.server.zone {
            if !v.action.passes() {
                return (v, None);
            }
            return match table.outbound(FlowKey::of_outbound(h), now) {
                Ok(o) => (v, Some(o.entry())),
                Err(_) => (
                    Verdict {
                        action: Action::Drop,
                        by: Decider::StateFull,
                    },
                    None,
                ),
            };
        }
        let verdict = match table.inbound_connect(h, now, connect.unwrap_or(&[])) {
            Inbound::Accept(e) => Verdict {
                action: Action::Accept,
                by: Decider::State(e.0),
            },
            Inbound::HelperClash { holder, .. } => Verdict {
                action: Action::Drop,
                by: Decider::HelperClash(holder.0),
            },
            Inbound::Expired(_) | Inbound::NoEntry => v,
        };
        (verdict, None)
    }

    /// The dump attempt a dumper's request belongs to.
    pub(super) fn attempt_of(&self, req: ReqId) -> Option<u32> {
        match self.requests.get(req.0 as usize)?.owner {
            Requester::Dumper(d) => self.dumpers[usize::from(d.0)].busy,
            Requester::Planner => None,
        }
    }

    pub(super) fn host_of(&self, p: &Packet) -> Option<HostId> {
        match (p.src, p.dst) {
            (Node::Host(h), _) | (_, Node::Host(h)) => Some(h),
            _ => None,
        }
    }

    /// Packet `p` as the trace records it.
    fn wire(&self, p: &Packet) -> Wire {
        Wire {
            packet: p.kind,
            src_port: p.src_port,
            dst_port: p.dst_port,
            host: self.host_of(p),
            req: p.req,
        }
    }

    pub(super) fn dumper_of(&self, req: ReqId) -> Option<DumperId> {
        match self.requests.get(req.0 as usize)?.owner {
            Requester::Dumper(d) => Some(d),
            Requester::Planner => None,
        }
    }

    pub(super) fn deliver(&mut self, p: Packet) {
        if self.trace.is_some() {
            self.record(TraceEvent::Deliver {
                wire: self.wire(&p),
                dumper: self.dumper_of(p.req),
            });
        }
        match p.dst {
            Node::Host(h) => self.client_receives(h, p),
            Node::Server => self.server_receives(p),
            Node::Outside => {}
        }
    }

    /// Schedules the completion of every flow whose rate the last change moved.
    pub(super) fn schedule_flow_changes(&mut self) {
        for (flow, t, epoch) in self.net.changed_completions() {
            self.sim.schedule_at(t, Event::FlowDone { flow, epoch });
        }
    }

    pub(super) fn flow_done(&mut self, flow: FlowId, epoch: u32) {
        let now = self.sim.now();
        if self.net.finish_current(now, flow, epoch).is_none() {
            return;
        }
        self.schedule_flow_changes();
        let a = self.flows[flow.0 as usize]
            .take()
            .expect("every flow belongs to an attempt");
        self.close_data_connection(a);
        self.end_attempt(a, Outcome::Done, Cause::Ok, String::new());
    }
}

/// The client's DATA, MESG and INDEX ports for attempt `a`, as its CONNECT reply names them.
pub(super) fn data_ports(a: u32) -> [Port; 3] {
    let base = 40000 + (a * 3) % 24000;
    [
        Port(base as u16),
        Port(base as u16 + 1),
        Port(base as u16 + 2),
    ]
}

/// The MESG "port" the amanda helper reads in a 3.x CONNECT line. 3.x sends stream handles,
/// not ports (`CONNECT DATA 50017 MESG 499999 INDEX -1 STATE 499998` in the lab); the helper
/// copies at most 5 characters (`nf_conntrack_amanda.c`, `amanda_help`:
/// `char pbuf[sizeof("65535")]`), so every dump's MESG reads as 49999, and stops at `INDEX -1`.
pub const TRUNCATED_MESG: Port = Port(49999);

impl Site<'_> {
    /// The ports the amanda helper reads in attempt `a`'s CONNECT reply, and how many.
    fn helper_reads(&self, a: u32) -> ([Port; 3], usize) {
        let ports = data_ports(a);
        if self.sc.server.profile.mesg_handles {
            ([ports[0], TRUNCATED_MESG, TRUNCATED_MESG], 2)
        } else {
            (ports, 3)
        }
    }

    /// The dump's TCP connection ends: its state entry, if any, closes with it.
    pub(super) fn close_data_connection(&mut self, a: u32) {
        if let (Some(e), Some(table)) = (self.attempt_conn[a as usize].take(), self.state.as_mut())
        {
            table.close(e, self.sim.now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_draw_is_random_range() {
        let mut a = stream(7, 3, crate::model::workload::PACKET_JITTER);
        let mut b = a.clone();
        for _ in 0..100_000 {
            assert_eq!(jitter_draw(&mut a), b.random_range(0..=PACKET_JITTER_MAX.0));
        }
    }
}
