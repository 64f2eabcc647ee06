//! A client's `amandad`, started by inetd with `wait`: one request at a time.
//!
//! While its service runs, a REQ from another peer is NAKed ("amandad busy") and a duplicate
//! from the same peer is ACKed again. Once the service answers, amandad sends the REP and waits
//! 10 s for its ACK, 5 sends in all; in that window a REQ from another peer is swallowed (no
//! ACK, no NAK), so a blocked reply keeps the client deaf for about a minute. In 2.4 every
//! packet that is not the ACK (a retried REQ, another peer's REQ) sends the REP again and
//! restarts the 10 s wait without using a try, so a peer that keeps asking keeps amandad alive
//! ([`RepWaitRestart`]). A REQ from a port >= 1024 is answered with an ERROR REP ("port N not
//! secure"). Which packets come from "the same peer" is the version's [`PeerIdentity`]: 2.4
//! compares the sender's address and port only, so a retry from the same dumper is the peer
//! already served (re-ACKed, its REQ resending the first request's REP), never a busy answer.
//!
//! Amanda 3.x's amandad ([`Services`]) is different: one amandad serves every REQ at once, one
//! service per request, and a REQ for a service already running with the same arguments (a
//! retry of the same DLE from another dumper) is ACKed with no REP ("already running, acking
//! req"): the retrying dumper waits out its REP wait and resends, and only a resend after the
//! first service is gone starts the dump (3.5.1 `amandad.c`, `protocol_accept`).

use super::ports::Port;
use super::protocol::{ReqId, Service};
use super::version::{BusyPolicy, PeerIdentity, RepWaitRestart};
use crate::sim::SimDuration;

/// Wait for the server's ACK of a REP.
pub const REP_ACK_WAIT: SimDuration = SimDuration::from_secs(10);

/// The server socket and request a client is serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Server port the REQ came from (replies go there).
    pub port: Port,
    /// The request's handle.
    pub req: ReqId,
}

impl Peer {
    /// Whether a packet from `other` comes from this peer, as amandad tells them apart (every
    /// packet comes from the one server, so the address always matches).
    pub fn is(self, other: Peer, identity: PeerIdentity) -> bool {
        match identity {
            PeerIdentity::Socket => self.port == other.port,
            PeerIdentity::Request => self == other,
        }
    }
}

/// The body of a REP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// sendbackup's `CONNECT DATA d MESG m INDEX i`.
    Connect,
    /// sendsize's estimates.
    Estimates,
    /// `ERROR [host H: port N not secure]`.
    NotSecure,
}

/// What amandad is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amandad {
    /// Not running: inetd will start it for the next REQ.
    Idle,
    /// Its service runs for `peer`.
    Serving {
        /// Who asked.
        peer: Peer,
        /// What runs.
        service: Service,
    },
    /// The REP is out; waiting for its ACK.
    Replying {
        /// Who asked.
        peer: Peer,
        /// The reply being resent.
        reply: Reply,
        /// REP sends whose wait expired, the one waiting included.
        sends: u8,
    },
}

/// What amandad does with an incoming REQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnReq {
    /// ACK it and start the service.
    Start(Service),
    /// ACK it and answer at once with an ERROR REP.
    Refuse,
    /// A duplicate while serving: ACK again, with the handle of the request being served
    /// (2.4.5 `sendack(&in_msg, ...)`: another request's handle when a retry came from the
    /// same port).
    ReAck(Peer),
    /// A duplicate while replying: resend the REP and restart its wait
    /// ([`Client::restart_rep_wait`]).
    Resend,
    /// Another peer's REQ while replying: ignore it, but resend the REP to the requesting peer
    /// and restart the wait (2.4: it was not the ACK).
    SwallowAndResend,
    /// Busy with another peer: NAK.
    NakBusy,
    /// Busy with another peer: ACK, but no REP until amandad exits (3.5.1).
    AckOnly,
    /// Waiting for another peer's ACK: nothing at all.
    Swallow,
}

/// One client host's amandad.
#[derive(Clone, Debug)]
pub struct Client {
    /// Its state.
    pub amandad: Amandad,
    /// Session generation: timer events of an earlier session are stale.
    pub epoch: u32,
}

impl Default for Client {
    fn default() -> Self {
        Client {
            amandad: Amandad::Idle,
            epoch: 0,
        }
    }
}

impl Client {
    /// A REQ for `service` arrives from `peer`; `busy` is the version's answer to a second peer
    /// while the service runs, `restart` what a REQ does to the wait for the REP's ACK, `id`
    /// what makes it the same peer.
    pub fn on_req(
        &mut self,
        peer: Peer,
        service: Service,
        busy: BusyPolicy,
        restart: RepWaitRestart,
        id: PeerIdentity,
    ) -> OnReq {
        match self.amandad {
            Amandad::Idle => {
                self.epoch += 1;
                if peer.port.is_reserved() {
                    self.amandad = Amandad::Serving { peer, service };
                    OnReq::Start(service)
                } else {
                    self.amandad = Amandad::Replying {
                        peer,
                        reply: Reply::NotSecure,
                        sends: 1,
                    };
                    OnReq::Refuse
                }
            }
            Amandad::Serving { peer: p, .. } if p.is(peer, id) => OnReq::ReAck(p),
            Amandad::Serving { .. } => match busy {
                BusyPolicy::Nak => OnReq::NakBusy,
                BusyPolicy::AckWithoutReply => OnReq::AckOnly,
            },
            Amandad::Replying { peer: p, .. } => match (restart, p.is(peer, id)) {
                (RepWaitRestart::AnyPacket | RepWaitRestart::DuplicateReq, true) => OnReq::Resend,
                (RepWaitRestart::AnyPacket, false) => OnReq::SwallowAndResend,
                // 2.5.0's s_ackwait NAKs whatever is not the ACK.
                (RepWaitRestart::Never, true) => OnReq::NakBusy,
                (_, false) => OnReq::Swallow,
            },
        }
    }

    /// A packet that is not the awaited ACK arrived while amandad waits for one, and the
    /// version restarts the wait: the REP to send again (to the requesting peer), with the
    /// pending timer made stale. The try is not counted.
    pub fn restart_rep_wait(&mut self) -> Option<(Peer, Reply)> {
        match self.amandad {
            Amandad::Replying { peer, reply, .. } => {
                self.epoch += 1;
                Some((peer, reply))
            }
            _ => None,
        }
    }

    /// The service answered: the REP goes out now.
    pub fn on_service_done(&mut self, reply: Reply) -> Option<Peer> {
        match self.amandad {
            Amandad::Serving { peer, .. } => {
                self.amandad = Amandad::Replying {
                    peer,
                    reply,
                    sends: 1,
                };
                Some(peer)
            }
            _ => None,
        }
    }

    /// An ACK came from `from`: if it is the peer's (by `id`), amandad exits.
    pub fn on_rep_ack(&mut self, from: Peer, id: PeerIdentity) -> bool {
        match self.amandad {
            Amandad::Replying { peer, .. } if peer.is(from, id) => {
                self.amandad = Amandad::Idle;
                true
            }
            _ => false,
        }
    }

    /// The REP's ACK wait expired: the REP to resend, or `None` when `rep_sends` REPs have
    /// each waited in vain and amandad gives up.
    pub fn on_rep_timer(&mut self, rep_sends: u8) -> Option<(Peer, Reply)> {
        match &mut self.amandad {
            Amandad::Replying { peer, reply, sends } if *sends < rep_sends => {
                *sends += 1;
                Some((*peer, *reply))
            }
            _ => {
                self.amandad = Amandad::Idle;
                None
            }
        }
    }
}

/// What a 3.x service is asked to do, as amandad compares them: the service and its
/// arguments (for sendbackup, the DLE; the planner's sendsize, one per host).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceKey {
    /// The service.
    pub service: Service,
    /// The DLE a sendbackup is for (index into the site's DLEs), none for sendsize.
    pub dle: Option<u32>,
}

/// Where one 3.x service stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceState {
    /// Running (`s_repwait`).
    Serving,
    /// Its REP is out, waiting for the ACK (`s_ackwait`).
    Replying {
        /// The reply being resent.
        reply: Reply,
        /// REP sends so far.
        sends: u8,
        /// Timer generation: a REP timer with another value is stale.
        generation: u32,
    },
}

/// One `active_service` of a 3.x amandad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Active {
    /// Its id (unique per client for the night; carried by its timer events).
    pub id: u32,
    /// Who asked.
    pub peer: Peer,
    /// What runs.
    pub key: ServiceKey,
    /// Where it stands.
    pub state: ServiceState,
}

/// What a 3.x amandad does with an incoming REQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnReq3 {
    /// ACK it and start service `id`.
    Start(u32),
    /// ACK it and answer at once with an ERROR REP.
    Refuse,
    /// A duplicate while the service runs: ACK again.
    ReAck,
    /// A duplicate while the REP waits for its ACK: resend the REP of service `id` and wait
    /// another 10 s without using a try (`s_ackwait`: "received dup P_REQ packet, resending REP").
    ResendRep(u32, Reply),
    /// The same service and arguments already run for another request: ACK, no REP.
    AlreadyRunning,
}

/// A 3.x client's amandad: every active service.
#[derive(Clone, Debug, Default)]
pub struct Services {
    /// Services running or replying.
    pub active: Vec<Active>,
    next_id: u32,
}

impl Services {
    /// A REQ for `key` from `peer` arrives.
    pub fn on_req(&mut self, peer: Peer, key: ServiceKey) -> OnReq3 {
        if let Some(a) = self.active.iter().find(|a| a.peer == peer) {
            return match a.state {
                ServiceState::Serving => OnReq3::ReAck,
                ServiceState::Replying { reply, .. } => OnReq3::ResendRep(a.id, reply),
            };
        }
        if !peer.port.is_reserved() {
            return OnReq3::Refuse;
        }
        if self.active.iter().any(|a| a.key == key) {
            return OnReq3::AlreadyRunning;
        }
        self.next_id += 1;
        let id = self.next_id;
        self.active.push(Active {
            id,
            peer,
            key,
            state: ServiceState::Serving,
        });
        OnReq3::Start(id)
    }

    /// Service `id` has its answer: its REP goes out now. Returns the peer and the timer
    /// generation to arm.
    pub fn on_service_done(&mut self, id: u32, reply: Reply) -> Option<(Peer, u32)> {
        let a = self.active.iter_mut().find(|a| a.id == id)?;
        if a.state != ServiceState::Serving {
            return None;
        }
        a.state = ServiceState::Replying {
            reply,
            sends: 1,
            generation: 0,
        };
        Some((a.peer, 0))
    }

    /// A duplicate REQ made service `id` resend its REP: the new timer generation.
    pub fn on_dup_resend(&mut self, id: u32) -> Option<(Peer, u32)> {
        let a = self.active.iter_mut().find(|a| a.id == id)?;
        match &mut a.state {
            ServiceState::Replying { generation, .. } => {
                *generation += 1;
                Some((a.peer, *generation))
            }
            ServiceState::Serving => None,
        }
    }

    /// The server ACKed the REP of `req`: the service is over.
    pub fn on_rep_ack(&mut self, req: ReqId) -> bool {
        let before = self.active.len();
        self.active
            .retain(|a| !(a.peer.req == req && matches!(a.state, ServiceState::Replying { .. })));
        self.active.len() != before
    }

    /// Service `id`'s REP wait (generation `g`) expired: the REP to resend and the new
    /// generation, or `None` (stale timer, or `rep_sends` used: the service ends).
    pub fn on_rep_timer(&mut self, id: u32, g: u32, rep_sends: u8) -> Option<(Peer, Reply, u32)> {
        let i = self.active.iter().position(|a| a.id == id)?;
        let a = &mut self.active[i];
        let ServiceState::Replying {
            reply,
            sends,
            generation,
        } = &mut a.state
        else {
            return None;
        };
        if *generation != g {
            return None;
        }
        if *sends < rep_sends {
            *sends += 1;
            *generation += 1;
            Some((a.peer, *reply, *generation))
        } else {
            // "timeout waiting for ACK for our REP": A_FINISH, service_delete.
            self.active.remove(i);
            None
        }
    }

    /// The key of service `id`, while it exists.
    pub fn key(&self, id: u32) -> Option<ServiceKey> {
        self.active.iter().find(|a| a.id == id).map(|a| a.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: RepWaitRestart = RepWaitRestart::AnyPacket;
    const ID: PeerIdentity = PeerIdentity::Socket;

    fn peer(port: u16, req: u32) -> Peer {
        Peer {
            port: Port(port),
            req: ReqId(req),
        }
    }

    #[test]
    fn one_at_a_time() {
        let mut c = Client::default();
        let a = peer(850, 1);
        assert_eq!(
            c.on_req(a, Service::Sendbackup, BusyPolicy::Nak, R, ID),
            OnReq::Start(Service::Sendbackup)
        );
        assert_eq!(
            c.on_req(a, Service::Sendbackup, BusyPolicy::Nak, R, ID),
            OnReq::ReAck(a)
        );
        assert_eq!(
            c.on_req(peer(851, 2), Service::Sendbackup, BusyPolicy::Nak, R, ID),
            OnReq::NakBusy
        );
        assert_eq!(
            c.on_req(
                peer(851, 2),
                Service::Sendbackup,
                BusyPolicy::AckWithoutReply,
                R,
                ID
            ),
            OnReq::AckOnly
        );
        assert_eq!(c.on_service_done(Reply::Connect), Some(a));
        assert_eq!(
            c.on_req(peer(851, 2), Service::Sendbackup, BusyPolicy::Nak, R, ID),
            OnReq::SwallowAndResend
        );
        assert_eq!(
            c.on_req(a, Service::Sendbackup, BusyPolicy::Nak, R, ID),
            OnReq::Resend
        );
        assert!(c.on_rep_ack(a, ID));
        assert_eq!(c.amandad, Amandad::Idle);
    }

    #[test]
    fn three_x_serves_many_and_acks_a_running_dle_without_rep() {
        let mut s = Services::default();
        let key = |d| ServiceKey {
            service: Service::Sendbackup,
            dle: Some(d),
        };
        let (a, b, c) = (peer(850, 1), peer(841, 2), peer(842, 3));
        assert_eq!(s.on_req(a, key(0)), OnReq3::Start(1));
        // Another DLE from another dumper: served at once, no NAK.
        assert_eq!(s.on_req(b, key(1)), OnReq3::Start(2));
        // The retry of DLE 0 from another dumper while its first service runs.
        assert_eq!(s.on_req(c, key(0)), OnReq3::AlreadyRunning);
        assert_eq!(s.on_req(a, key(0)), OnReq3::ReAck);
        assert_eq!(s.on_service_done(1, Reply::Connect), Some((a, 0)));
        assert_eq!(s.on_req(a, key(0)), OnReq3::ResendRep(1, Reply::Connect));
        assert_eq!(s.on_dup_resend(1), Some((a, 1)));
        // Stale generation 0 is ignored; four more sends, then the service ends.
        assert_eq!(s.on_rep_timer(1, 0, 5), None);
        let mut g = 1;
        for _ in 0..4 {
            let (_, _, ng) = s.on_rep_timer(1, g, 5).expect("a resend");
            g = ng;
        }
        assert_eq!(s.on_rep_timer(1, g, 5), None);
        assert_eq!(s.key(1), None);
        // Gone: the retry's resend now starts a new service.
        assert_eq!(s.on_req(c, key(0)), OnReq3::Start(3));
    }

    #[test]
    fn unreserved_port_is_refused() {
        let mut c = Client::default();
        assert_eq!(
            c.on_req(peer(40000, 1), Service::Sendbackup, BusyPolicy::Nak, R, ID),
            OnReq::Refuse
        );
    }

    #[test]
    fn a_lost_rep_is_sent_five_times() {
        let mut c = Client::default();
        c.on_req(peer(700, 1), Service::Sendbackup, BusyPolicy::Nak, R, ID);
        c.on_service_done(Reply::Connect);
        // The first REP, then 4 resends: the fifth wait's expiry ends amandad.
        for _ in 1..5 {
            assert!(c.on_rep_timer(5).is_some());
        }
        assert_eq!(c.on_rep_timer(5), None);
        assert_eq!(c.amandad, Amandad::Idle);
    }

    #[test]
    fn a_2_4_amandad_restarts_its_wait_on_any_packet_but_the_ack() {
        let mut c = Client::default();
        let (a, b) = (peer(850, 1), peer(851, 2));
        c.on_req(a, Service::Sendbackup, BusyPolicy::Nak, R, ID);
        c.on_service_done(Reply::Connect);
        let epoch = c.epoch;
        assert_eq!(
            c.on_req(a, Service::Sendbackup, BusyPolicy::Nak, R, ID),
            OnReq::Resend
        );
        assert_eq!(
            c.on_req(b, Service::Sendbackup, BusyPolicy::Nak, R, ID),
            OnReq::SwallowAndResend
        );
        assert_eq!(c.restart_rep_wait(), Some((a, Reply::Connect)));
        assert_ne!(c.epoch, epoch, "the pending timer is stale");
        // Restarts use no try: five expiries still follow.
        for _ in 1..5 {
            assert!(c.on_rep_timer(5).is_some());
        }
        assert_eq!(c.on_rep_timer(5), None);
        // 2.5.1+: only the same peer's REQ restarts; 2.5.0 NAKs it.
        let mut c = Client::default();
        c.on_req(a, Service::Sendbackup, BusyPolicy::Nak, R, ID);
        c.on_service_done(Reply::Connect);
        let dup = RepWaitRestart::DuplicateReq;
        assert_eq!(
            c.on_req(b, Service::Sendbackup, BusyPolicy::Nak, dup, ID),
            OnReq::Swallow
        );
        assert_eq!(
            c.on_req(a, Service::Sendbackup, BusyPolicy::Nak, dup, ID),
            OnReq::Resend
        );
        let never = RepWaitRestart::Never;
        assert_eq!(
            c.on_req(a, Service::Sendbackup, BusyPolicy::Nak, never, ID),
            OnReq::NakBusy
        );
    }

    #[test]
    fn a_2_4_amandad_takes_a_retry_from_the_same_port_for_the_same_peer() {
        let sock = PeerIdentity::Socket;
        let (first, retry, other) = (peer(1000, 1), peer(1000, 7), peer(851, 8));
        let mut c = Client::default();
        c.on_req(first, Service::Sendbackup, BusyPolicy::Nak, R, sock);
        // While the service runs: re-ACKed with the first request's handle, never NAKed.
        assert_eq!(
            c.on_req(retry, Service::Sendbackup, BusyPolicy::Nak, R, sock),
            OnReq::ReAck(first)
        );
        assert_eq!(
            c.on_req(other, Service::Sendbackup, BusyPolicy::Nak, R, sock),
            OnReq::NakBusy
        );
        c.on_service_done(Reply::Connect);
        // During the REP wait: the retry resends the first REP (to the same port), not swallowed.
        assert_eq!(
            c.on_req(retry, Service::Sendbackup, BusyPolicy::Nak, R, sock),
            OnReq::Resend
        );
        assert_eq!(c.restart_rep_wait(), Some((first, Reply::Connect)));
        assert_eq!(
            c.on_req(other, Service::Sendbackup, BusyPolicy::Nak, R, sock),
            OnReq::SwallowAndResend
        );
        // Another port's ACK does not end the wait; an ACK from the port does, whatever its
        // handle.
        assert!(!c.on_rep_ack(other, sock));
        assert!(c.on_rep_ack(retry, sock));
        assert_eq!(c.amandad, Amandad::Idle);
    }

    #[test]
    fn a_2_5_amandad_tells_a_retry_by_its_handle() {
        let req = PeerIdentity::Request;
        let dup = RepWaitRestart::DuplicateReq;
        let (first, retry) = (peer(1000, 1), peer(1000, 7));
        let mut c = Client::default();
        c.on_req(first, Service::Sendbackup, BusyPolicy::Nak, dup, req);
        assert_eq!(
            c.on_req(retry, Service::Sendbackup, BusyPolicy::Nak, dup, req),
            OnReq::NakBusy
        );
        c.on_service_done(Reply::Connect);
        assert_eq!(
            c.on_req(retry, Service::Sendbackup, BusyPolicy::Nak, dup, req),
            OnReq::Swallow
        );
        assert!(!c.on_rep_ack(retry, req));
        assert!(c.on_rep_ack(first, req));
    }
}
