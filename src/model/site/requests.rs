//! The server's requests (dumpers' and the planner's): REQ, ACK, REP and their timers.

use super::*;

impl Site<'_> {
    pub(super) fn new_request(
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

    pub(super) fn send_req(&mut self, id: ReqId) {
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

    pub(super) fn server_receives(&mut self, p: Packet) {
        let id = p.req;
        let r = &mut self.requests[id.0 as usize];
        if r.port != p.dst_port {
            return;
        }
        match p.kind {
            PacketKind::Ack => {
                if let Some(wait) = r.on_ack() {
                    let epoch = r.epoch;
                    self.sim
                        .schedule_in(wait, Event::ReqTimer { req: id, epoch });
                }
            }
            PacketKind::Prep => {
                if let Some(wait) = r.on_partial() {
                    let epoch = r.epoch;
                    self.sim
                        .schedule_in(wait, Event::ReqTimer { req: id, epoch });
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

    pub(super) fn req_timer(&mut self, id: ReqId, epoch: u32) {
        let now = self.sim.now();
        let r = &mut self.requests[id.0 as usize];
        if r.epoch != epoch {
            return;
        }
        let expiry = r.on_timer(now);
        if self.trace.is_some() {
            self.record(TraceEvent::Timeout {
                host: self.requests[id.0 as usize].host,
                dumper: self.dumper_of(id),
                req: id,
                expiry,
            });
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

    pub(super) fn request_failed(&mut self, id: ReqId, cause: Cause, msg: String) {
        let r = &self.requests[id.0 as usize];
        match r.owner {
            Requester::Planner => {
                let (host, no_ack) = (r.host, r.rep_waits == 0);
                let name = &self.sc.hosts[usize::from(host.0)].name;
                let msg = self.sc.server.profile.estimate_failed_text(name, no_ack);
                self.planner.failed(host, msg);
                self.planner_answered();
            }
            Requester::Dumper(d) => {
                self.release_lease(d);
                let a = self.dumpers[usize::from(d.0)]
                    .busy
                    .expect("dumper has an attempt");
                let outcome = if cause == Cause::NotSecure {
                    Outcome::Failed
                } else {
                    Outcome::TryAgain
                };
                self.end_attempt(a, outcome, cause, msg);
            }
        }
    }

    pub(super) fn request_answered(&mut self, id: ReqId) {
        let r = &self.requests[id.0 as usize];
        match r.owner {
            Requester::Planner => self.planner_answered(),
            Requester::Dumper(d) => {
                let host = r.host;
                self.release_lease(d);
                let a = self.dumpers[usize::from(d.0)]
                    .busy
                    .expect("dumper has an attempt");
                // CONNECT: the dumper opens its streams from the server to the client.
                let syn = Packet {
                    kind: PacketKind::Syn,
                    src: Node::Server,
                    src_port: Port(EPHEMERAL.low.0 + (a % 20000) as u16),
                    dst: Node::Host(host),
                    dst_port: network::data_ports(a)[0],
                    req: id,
                    body: Body::None,
                };
                if self.send(syn) {
                    let dle = self.attempts[a as usize].dle;
                    let nd = &self.night.dles[dle.0 as usize];
                    let path = self.sc.hosts[usize::from(host.0)].path.clone();
                    let now = self.sim.now();
                    let flow = self.net.add_flow(now, path, nd.rate_kbs, nd.size_kb);
                    debug_assert_eq!(flow.0 as usize, self.flows.len(), "flow ids count up");
                    self.flows.push(Some(a));
                    self.schedule_flow_changes();
                } else {
                    self.sim
                        .schedule_in(TCP_CONNECT_TIMEOUT, Event::ConnectTimeout { attempt: a });
                }
            }
        }
    }

    pub(super) fn planner_answered(&mut self) {
        if self.planner.answered() {
            self.estimates_done();
        }
    }

    /// The dumper holds a port: its REQ for sendbackup goes out.
    pub(super) fn send_dump_request(&mut self, a: u32) {
        let at = &mut self.attempts[a as usize];
        let own = self.dumpers[usize::from(at.dumper.0)].port;
        let port = self
            .leases
            .of(at.dumper)
            .or(own)
            .expect("bound before the request");
        at.port = Some(port);
        let (d, dle) = (at.dumper, at.dle);
        let host = self.sc.dles[dle.0 as usize].host;
        let req = self.new_request(
            Requester::Dumper(d),
            host,
            Service::Sendbackup,
            port,
            DUMPER_REP_WAIT,
        );
        self.attempts[a as usize].req = Some(req);
    }
}
