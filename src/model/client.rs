//! A client's `amandad`, started by inetd with `wait`: one request at a time.
//!
//! While its service runs, a REQ from another peer is NAKed ("amandad busy") and a duplicate
//! from the same peer is ACKed again. Once the service answers, amandad sends the REP and waits
//! 10 s for its ACK, resending up to 5 times; in that window a REQ from another peer is
//! swallowed (no ACK, no NAK), so a blocked reply keeps the client deaf for about a minute.
//! A REQ from a port >= 1024 is answered with an ERROR REP ("port N not secure").

use super::ports::Port;
use super::protocol::{ReqId, Service};
use super::version::BusyPolicy;
use crate::sim::SimDuration;

/// Wait for the server's ACK of a REP.
pub const REP_ACK_WAIT: SimDuration = SimDuration::from_secs(10);
/// REP resends before amandad gives up and exits.
pub const REP_RESENDS: u8 = 5;

/// The server socket and request a client is serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Server port the REQ came from (replies go there).
    pub port: Port,
    /// The request's handle.
    pub req: ReqId,
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
        /// Resends so far.
        resends: u8,
    },
}

/// What amandad does with an incoming REQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnReq {
    /// ACK it and start the service.
    Start(Service),
    /// ACK it and answer at once with an ERROR REP.
    Refuse,
    /// A duplicate while serving: ACK again.
    ReAck,
    /// A duplicate while replying: ACK again and resend the REP.
    ReAckAndReply(Reply),
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
    /// A REQ for `service` arrives from `peer`; `busy` is the version's answer to a second peer.
    pub fn on_req(&mut self, peer: Peer, service: Service, busy: BusyPolicy) -> OnReq {
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
                        resends: 0,
                    };
                    OnReq::Refuse
                }
            }
            Amandad::Serving { peer: p, .. } if p == peer => OnReq::ReAck,
            Amandad::Serving { .. } => match busy {
                BusyPolicy::Nak => OnReq::NakBusy,
                BusyPolicy::AckWithoutReply => OnReq::AckOnly,
            },
            Amandad::Replying { peer: p, reply, .. } if p == peer => OnReq::ReAckAndReply(reply),
            Amandad::Replying { .. } => OnReq::Swallow,
        }
    }

    /// The service answered: the REP goes out now.
    pub fn on_service_done(&mut self, reply: Reply) -> Option<Peer> {
        match self.amandad {
            Amandad::Serving { peer, .. } => {
                self.amandad = Amandad::Replying {
                    peer,
                    reply,
                    resends: 0,
                };
                Some(peer)
            }
            _ => None,
        }
    }

    /// The server ACKed the REP of `req`: amandad exits.
    pub fn on_rep_ack(&mut self, req: ReqId) -> bool {
        match self.amandad {
            Amandad::Replying { peer, .. } if peer.req == req => {
                self.amandad = Amandad::Idle;
                true
            }
            _ => false,
        }
    }

    /// The REP's ACK wait expired: the REP to resend, or `None` when amandad gives up.
    pub fn on_rep_timer(&mut self) -> Option<(Peer, Reply)> {
        match &mut self.amandad {
            Amandad::Replying {
                peer,
                reply,
                resends,
            } if *resends < REP_RESENDS => {
                *resends += 1;
                Some((*peer, *reply))
            }
            _ => {
                self.amandad = Amandad::Idle;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            c.on_req(a, Service::Sendbackup, BusyPolicy::Nak),
            OnReq::Start(Service::Sendbackup)
        );
        assert_eq!(
            c.on_req(a, Service::Sendbackup, BusyPolicy::Nak),
            OnReq::ReAck
        );
        assert_eq!(
            c.on_req(peer(851, 2), Service::Sendbackup, BusyPolicy::Nak),
            OnReq::NakBusy
        );
        assert_eq!(
            c.on_req(
                peer(851, 2),
                Service::Sendbackup,
                BusyPolicy::AckWithoutReply
            ),
            OnReq::AckOnly
        );
        assert_eq!(c.on_service_done(Reply::Connect), Some(a));
        assert_eq!(
            c.on_req(peer(851, 2), Service::Sendbackup, BusyPolicy::Nak),
            OnReq::Swallow
        );
        assert_eq!(
            c.on_req(a, Service::Sendbackup, BusyPolicy::Nak),
            OnReq::ReAckAndReply(Reply::Connect)
        );
        assert!(c.on_rep_ack(ReqId(1)));
        assert_eq!(c.amandad, Amandad::Idle);
    }

    #[test]
    fn unreserved_port_is_refused() {
        let mut c = Client::default();
        assert_eq!(
            c.on_req(peer(40000, 1), Service::Sendbackup, BusyPolicy::Nak),
            OnReq::Refuse
        );
    }

    #[test]
    fn a_lost_rep_is_resent_five_times() {
        let mut c = Client::default();
        c.on_req(peer(700, 1), Service::Sendbackup, BusyPolicy::Nak);
        c.on_service_done(Reply::Connect);
        for _ in 0..REP_RESENDS {
            assert!(c.on_rep_timer().is_some());
        }
        assert_eq!(c.on_rep_timer(), None);
        assert_eq!(c.amandad, Amandad::Idle);
    }
}
