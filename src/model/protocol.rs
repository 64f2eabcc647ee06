//! The server side of Amanda's UDP request protocol (`protocol.c`): REQ, ACK, REP and its timers.
//!
//! A REQ unanswered for 10 s is resent, 3 tries in all; an ACKed request waits for its REP
//! (60 s for sendbackup, `etimeout` per estimate line for sendsize) and on expiry starts over
//! with fresh ACK tries, at most 3 REP waits, never past one hour.

use super::outcome::Cause;
use super::ports::Port;
use super::{DumperId, HostId};
use crate::sim::{SimDuration, SimTime};

/// Wait for an ACK before resending the REQ.
pub const ACK_WAIT: SimDuration = SimDuration::from_secs(10);
/// REQs sent before giving up on an ACK.
pub const ACK_TRIES: u8 = 3;
/// REP waits before giving up on a reply.
pub const REP_WAITS: u8 = 3;
/// A dumper's REP wait (sendbackup).
pub const DUMPER_REP_WAIT: SimDuration = SimDuration::from_secs(60);
/// No request lives longer than this.
pub const HARD_LIMIT: SimDuration = SimDuration::from_secs(3600);

/// An index into the run's request table; carried in packets as Amanda's handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReqId(pub u32);

/// The service a request asks amandad to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// A dump.
    Sendbackup,
    /// Estimates for all the host's disks.
    Sendsize,
}

/// The server process that sent a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requester {
    /// A dumper.
    Dumper(DumperId),
    /// The planner.
    Planner,
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// REQ sent, no ACK yet.
    AwaitAck,
    /// ACKed, waiting for the REP.
    AwaitRep,
    /// Answered or given up.
    Done,
}

/// What a request's timer asks of its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Send the REQ again and wait for an ACK.
    Resend,
    /// Give up: no ACK ever came.
    NoAck,
    /// Give up: ACKed, but no REP.
    NoReply,
}

/// One outstanding request.
#[derive(Clone, Debug)]
pub struct Request {
    /// Who sent it.
    pub owner: Requester,
    /// To whom.
    pub host: HostId,
    /// What it asks for.
    pub service: Service,
    /// The server port it leaves from (and where replies must arrive).
    pub port: Port,
    /// First REQ.
    pub started: SimTime,
    /// REQs sent in the current ACK wait.
    pub tries: u8,
    /// REP waits begun.
    pub rep_waits: u8,
    /// Where it stands.
    pub phase: Phase,
    /// Timer generation: a timer event with another value is stale.
    pub epoch: u32,
    /// How long one REP wait lasts.
    pub rep_wait: SimDuration,
    /// Client packets of this request the firewall dropped.
    pub replies_dropped: u16,
    /// REQs of this request the firewall dropped on their way out.
    pub reqs_dropped: u16,
    /// REQs of this request a busy client ignored.
    pub swallowed: u16,
}

impl Request {
    /// A request about to send its first REQ.
    pub fn new(
        owner: Requester,
        host: HostId,
        service: Service,
        port: Port,
        now: SimTime,
        rep_wait: SimDuration,
    ) -> Self {
        Request {
            owner,
            host,
            service,
            port,
            started: now,
            tries: 1,
            rep_waits: 0,
            phase: Phase::AwaitAck,
            epoch: 0,
            rep_wait,
            replies_dropped: 0,
            reqs_dropped: 0,
            swallowed: 0,
        }
    }

    /// The ACK arrived: returns the REP wait to arm, or `None` if it was not awaited.
    pub fn on_ack(&mut self) -> Option<SimDuration> {
        if self.phase != Phase::AwaitAck {
            return None;
        }
        self.phase = Phase::AwaitRep;
        self.rep_waits += 1;
        self.epoch += 1;
        Some(self.rep_wait)
    }

    /// A partial reply arrived: it proves the REQ got through and restarts the REP wait.
    pub fn on_partial(&mut self) -> Option<SimDuration> {
        match self.phase {
            Phase::AwaitAck => self.on_ack(),
            Phase::AwaitRep => {
                self.epoch += 1;
                Some(self.rep_wait)
            }
            Phase::Done => None,
        }
    }

    /// The current timer expired.
    pub fn on_timer(&mut self, now: SimTime) -> Expiry {
        let past_limit = now.since(self.started) >= HARD_LIMIT;
        let verdict = match self.phase {
            Phase::AwaitAck if self.tries < ACK_TRIES && !past_limit => {
                self.tries += 1;
                Expiry::Resend
            }
            Phase::AwaitAck if self.rep_waits == 0 => Expiry::NoAck,
            // A resend after a REP wait that got no ACK still counts as a missing reply.
            Phase::AwaitAck => Expiry::NoReply,
            Phase::AwaitRep if self.rep_waits < REP_WAITS && !past_limit => {
                self.phase = Phase::AwaitAck;
                self.tries = 1;
                Expiry::Resend
            }
            Phase::AwaitRep | Phase::Done => Expiry::NoReply,
        };
        self.epoch += 1;
        if verdict != Expiry::Resend {
            self.phase = Phase::Done;
        }
        verdict
    }

    /// Why the request went unanswered, as far as the model knows.
    pub fn silence_cause(&self) -> Cause {
        if self.replies_dropped > 0 {
            Cause::ReplyDropped
        } else if self.reqs_dropped > 0 {
            Cause::RequestDropped
        } else if self.swallowed > 0 {
            Cause::ClientBusy
        } else {
            Cause::NoAnswer
        }
    }

    /// The REP (or a NAK) arrived: the request is over. Returns false if it already was.
    pub fn finish(&mut self) -> bool {
        if self.phase == Phase::Done {
            return false;
        }
        self.phase = Phase::Done;
        self.epoch += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> Request {
        Request::new(
            Requester::Dumper(DumperId(0)),
            HostId(0),
            Service::Sendbackup,
            Port(850),
            SimTime::ZERO,
            DUMPER_REP_WAIT,
        )
    }

    #[test]
    fn three_reqs_then_no_ack() {
        let mut r = req();
        let t = SimTime::ZERO;
        assert_eq!(r.on_timer(t + ACK_WAIT), Expiry::Resend);
        assert_eq!(r.on_timer(t + ACK_WAIT.times(2)), Expiry::Resend);
        assert_eq!(r.on_timer(t + ACK_WAIT.times(3)), Expiry::NoAck);
        assert_eq!(r.phase, Phase::Done);
    }

    #[test]
    fn three_rep_waits_then_no_reply() {
        let mut r = req();
        for i in 0..3 {
            assert_eq!(r.on_ack(), Some(DUMPER_REP_WAIT));
            let expected = if i < 2 {
                Expiry::Resend
            } else {
                Expiry::NoReply
            };
            assert_eq!(r.on_timer(SimTime::ZERO), expected);
        }
        assert!(!r.finish());
    }

    #[test]
    fn stale_ack_is_ignored() {
        let mut r = req();
        assert!(r.on_ack().is_some());
        assert!(r.on_ack().is_none());
    }
}
