//! The clients' side: amandad's answers to REQs, its services, and its REP resends.

use super::*;

impl Site<'_> {
    pub(super) fn client_receives(&mut self, h: HostId, p: Packet) {
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
                        r.req = Some(p.req);
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

    pub(super) fn client_send(&mut self, h: HostId, to: Peer, kind: PacketKind, body: Body) {
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
        if let Some((peer, reply)) = c.on_rep_timer() {
            self.client_reply(h, peer, reply);
        }
    }
}
