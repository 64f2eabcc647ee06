//! The clients' side: amandad's answers to REQs, its services, and its REP resends.

use super::*;
use crate::model::version::{PeerIdentity, RepWaitRestart};

impl Site<'_> {
    pub(super) fn client_receives(&mut self, h: HostId, p: Packet) {
        let hi = usize::from(h.0);
        let peer = Peer {
            port: p.src_port,
            req: p.req,
        };
        let busy = match self.sc.server.profile.amandad {
            AmandadModel::Concurrent => return self.client3_receives(h, p, peer),
            AmandadModel::OneAtATime(busy) => busy,
        };
        let restart = self.sc.server.profile.rep_wait_restart;
        let id = self.sc.server.profile.peer_identity;
        match (p.kind, p.body) {
            (PacketKind::Req, Body::Service(service)) => {
                match self.clients[hi].on_req(peer, service, busy, restart, id) {
                    OnReq::Start(s) => {
                        self.client_send(h, peer, PacketKind::Ack, Body::None);
                        let epoch = self.clients[hi].epoch;
                        let took = match s {
                            Service::Sendbackup => self.sc.workload.sendbackup_startup,
                            Service::Sendsize => {
                                if self.sc.server.profile.partial_estimates {
                                    let parts = self.night.host_partials(&self.sc.hosts[hi]);
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
                    OnReq::ReAck(to) => self.client_send(h, to, PacketKind::Ack, Body::None),
                    OnReq::Resend => self.restart_rep_wait(h),
                    OnReq::NakBusy => self.client_send(h, peer, PacketKind::Nak, Body::None),
                    OnReq::Swallow => self.swallow(h, p),
                    OnReq::SwallowAndResend => {
                        self.swallow(h, p);
                        self.restart_rep_wait(h);
                    }
                }
            }
            (PacketKind::RepAck, _) => self.rep_ack(h, peer, restart, id),
            // The data stream's SYN: the client's sendbackup is listening.
            _ => {}
        }
    }

    /// The server's ACK of a REP reaches amandad: one from its peer ends it; in 2.4 any
    /// other counts as any other packet and restarts the wait.
    fn rep_ack(&mut self, h: HostId, from: Peer, restart: RepWaitRestart, id: PeerIdentity) {
        let hi = usize::from(h.0);
        if !self.clients[hi].on_rep_ack(from, id) && restart == RepWaitRestart::AnyPacket {
            self.restart_rep_wait(h);
        }
    }

    /// amandad ignores REQ `p` while it waits for another peer's ACK.
    fn swallow(&mut self, h: HostId, p: Packet) {
        let req = &mut self.requests[p.req.0 as usize];
        req.swallowed = req.swallowed.saturating_add(1);
        self.record(TraceEvent::Swallow {
            host: h,
            src_port: p.src_port,
            dumper: self.dumper_of(p.req),
            why: Swallowed::Busy(p.req),
        });
    }

    /// A packet other than the awaited ACK restarts the wait: the REP goes out again.
    fn restart_rep_wait(&mut self, h: HostId) {
        if let Some((to, reply)) = self.clients[usize::from(h.0)].restart_rep_wait() {
            self.client_reply(h, to, reply);
        }
    }

    #[inline]
    pub(super) fn client_send(&mut self, h: HostId, to: Peer, kind: PacketKind, body: Body) {
        let passed = self.send(Packet {
            kind,
            src: Node::Host(h),
            src_port: Port(10080),
            dst: Node::Server,
            dst_port: to.port,
            req: to.req,
            body,
        });
        if !passed && self.sc.server.profile.peer_identity == PeerIdentity::Socket {
            self.dropped_at_socket(h, to);
        }
    }

    /// A 2.4 amandad answers a port, not a handle: a reply of host `h` to `to` dropped on its
    /// way also failed the request to `h` now waiting at that port, a retry from the same dumper
    /// that amandad took for the peer it serves (its REQ re-ACKed or resending the first
    /// request's REP). A request of that dumper to another host is not this amandad's peer.
    fn dropped_at_socket(&mut self, h: HostId, to: Peer) {
        let Requester::Dumper(d) = self.requests[to.req.0 as usize].owner else {
            return;
        };
        let now = self.dumpers[usize::from(d.0)]
            .busy
            .and_then(|a| self.attempts[a as usize].req);
        if let Some(r) = now.filter(|&r| r != to.req) {
            let r = &mut self.requests[r.0 as usize];
            if r.port == to.port && r.host == h {
                r.replies_dropped = r.replies_dropped.saturating_add(1);
            }
        }
    }

    /// Sends a REP and arms its ACK wait (the caller has moved amandad to `Replying`).
    pub(super) fn client_reply(&mut self, h: HostId, to: Peer, reply: Reply) {
        self.client_send(h, to, PacketKind::Rep, Body::Reply(reply));
        let epoch = self.clients[usize::from(h.0)].epoch;
        self.sim
            .schedule_in(REP_ACK_WAIT, Event::RepTimer { host: h, epoch });
    }

    pub(super) fn service_done(&mut self, h: HostId, epoch: u32) {
        let c = &mut self.clients[usize::from(h.0)];
        if c.epoch != epoch {
            return;
        }
        let reply = match c.amandad {
            crate::model::client::Amandad::Serving {
                service: Service::Sendsize,
                ..
            } => Reply::Estimates,
            _ => Reply::Connect,
        };
        if let Some(peer) = c.on_service_done(reply) {
            self.client_reply(h, peer, reply);
        }
    }

    pub(super) fn partial_estimate(&mut self, h: HostId, epoch: u32) {
        let c = &self.clients[usize::from(h.0)];
        if c.epoch != epoch {
            return;
        }
        if let crate::model::client::Amandad::Serving { peer, .. } = c.amandad {
            self.client_send(h, peer, PacketKind::Prep, Body::None);
        }
    }

    pub(super) fn rep_timer(&mut self, h: HostId, epoch: u32) {
        let c = &mut self.clients[usize::from(h.0)];
        if c.epoch != epoch {
            return;
        }
        if let Some((peer, reply)) = c.on_rep_timer(self.sc.server.profile.rep_sends) {
            self.client_reply(h, peer, reply);
        }
    }
}

/// The 3.x amandad: many services at once (`amandad.c`, 3.5.1).
impl Site<'_> {
    fn client3_receives(&mut self, h: HostId, p: Packet, peer: Peer) {
        let hi = usize::from(h.0);
        match (p.kind, p.body) {
            (PacketKind::Req, Body::Service(service)) => {
                let key = ServiceKey {
                    service,
                    dle: self.request_dle(p.req).map(|d| d.0),
                };
                match self.services[hi].on_req(peer, key) {
                    OnReq3::Start(id) => {
                        self.client_send(h, peer, PacketKind::Ack, Body::None);
                        let took = match service {
                            Service::Sendbackup => self.sc.workload.sendbackup_startup,
                            Service::Sendsize => {
                                let parts = self.night.host_partials(&self.sc.hosts[hi]);
                                for &t in &parts[..parts.len().saturating_sub(1)] {
                                    self.sim
                                        .schedule_in(t, Event::ServicePartial { host: h, id });
                                }
                                self.night.host_estimate[hi]
                            }
                        };
                        self.sim
                            .schedule_in(took, Event::ServiceReady { host: h, id });
                    }
                    OnReq3::Refuse => {
                        // Not secure: answered at once, no service kept.
                        self.client_send(h, peer, PacketKind::Ack, Body::None);
                        self.client_send(h, peer, PacketKind::Rep, Body::Reply(Reply::NotSecure));
                    }
                    OnReq3::ReAck => self.client_send(h, peer, PacketKind::Ack, Body::None),
                    OnReq3::AlreadyRunning => {
                        self.client_send(h, peer, PacketKind::Ack, Body::None);
                        self.record(TraceEvent::Swallow {
                            host: h,
                            src_port: p.src_port,
                            dumper: self.dumper_of(p.req),
                            why: Swallowed::AlreadyRunning,
                        });
                    }
                    OnReq3::ResendRep(id, reply) => {
                        if let Some((to, generation)) = self.services[hi].on_dup_resend(id) {
                            self.client3_reply(h, to, reply, id, generation);
                        }
                    }
                }
            }
            (PacketKind::RepAck, _) => {
                self.services[hi].on_rep_ack(p.req);
            }
            _ => {}
        }
    }

    /// The DLE a request is for (a dumper's), none for the planner's.
    fn request_dle(&self, id: ReqId) -> Option<DleId> {
        match self.requests[id.0 as usize].owner {
            Requester::Dumper(d) => self.dumpers[usize::from(d.0)]
                .busy
                .map(|a| self.attempts[a as usize].dle),
            Requester::Planner => None,
        }
    }

    fn client3_reply(&mut self, h: HostId, to: Peer, reply: Reply, id: u32, generation: u32) {
        self.client_send(h, to, PacketKind::Rep, Body::Reply(reply));
        self.sim.schedule_in(
            REP_ACK_WAIT,
            Event::ServiceRepTimer {
                host: h,
                id,
                generation,
            },
        );
    }

    pub(super) fn service3_done(&mut self, h: HostId, id: u32) {
        let hi = usize::from(h.0);
        let Some(key) = self.services[hi].key(id) else {
            return;
        };
        let reply = match key.service {
            Service::Sendsize => Reply::Estimates,
            Service::Sendbackup => Reply::Connect,
        };
        if let Some((to, generation)) = self.services[hi].on_service_done(id, reply) {
            self.client3_reply(h, to, reply, id, generation);
        }
    }

    pub(super) fn service3_rep_timer(&mut self, h: HostId, id: u32, generation: u32) {
        let sends = self.sc.server.profile.rep_sends;
        if let Some((to, reply, g)) =
            self.services[usize::from(h.0)].on_rep_timer(id, generation, sends)
        {
            self.client3_reply(h, to, reply, id, g);
        }
    }

    pub(super) fn service3_partial(&mut self, h: HostId, id: u32) {
        let svc = &self.services[usize::from(h.0)];
        if let Some(a) = svc.active.iter().find(|a| a.id == id)
            && a.state == crate::model::client::ServiceState::Serving
        {
            let peer = a.peer;
            self.client_send(h, peer, PacketKind::Prep, Body::None);
        }
    }
}
