//! One DLE's attempts as the rungs of a sequence diagram (`portsim ladder`).

use super::*;

/// One DLE's attempts drawn as sequence diagrams (`portsim ladder`).
#[derive(Clone, Debug)]
pub struct Ladder {
    /// The chart's title.
    pub title: String,
    /// `host:disk`.
    pub dle: String,
    /// The client host.
    pub host: String,
    /// Its zone.
    pub zone: String,
    /// What became of the DLE, in Amanda's words where it failed.
    pub fate: String,
    /// One column per attempt.
    pub columns: Vec<LadderColumn>,
}

/// One attempt's packets.
#[derive(Clone, Debug)]
pub struct LadderColumn {
    /// 1, 2, ...
    pub attempt: u32,
    /// The dumper.
    pub dumper: u16,
    /// Its port.
    pub port: Option<u16>,
    /// Inside the range.
    pub in_range: bool,
    /// Start.
    pub start: SimTime,
    /// The dumper's result.
    pub outcome: Option<Outcome>,
    /// Amanda's text.
    pub message: String,
    /// Events in time order.
    pub rungs: Vec<Rung>,
}

/// Which lifeline a timer runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The dumper's.
    Dumper,
    /// The client's amandad.
    Client,
}

/// One thing drawn in a ladder column.
#[derive(Clone, Debug)]
pub enum Rung {
    /// The driver starts the attempt.
    Start(SimTime),
    /// A packet: from the dumper (to the client) or from the client.
    Packet {
        /// When it was sent.
        t: SimTime,
        /// Its kind.
        kind: PacketKind,
        /// Sent by the server side.
        from_server: bool,
        /// The firewall let it through (and no link lost it).
        passed: bool,
        /// The rule or state entry that decided it.
        rule: String,
        /// It belongs to this attempt's request (false: another peer of the same client).
        own: bool,
        /// For another peer's packet: whose it is.
        note: String,
    },
    /// A timer span.
    Timer {
        /// Armed.
        from: SimTime,
        /// Fired or stopped.
        to: SimTime,
        /// Whose.
        side: Side,
        /// What it waited for and how it ended.
        label: String,
    },
    /// The client ignored a REQ.
    Swallow(SimTime),
    /// The dumper reported.
    End(SimTime, Outcome),
}

impl Rung {
    /// When it happens (a timer: when it is armed).
    pub fn t(&self) -> SimTime {
        match self {
            Rung::Start(t) | Rung::Swallow(t) | Rung::End(t, _) => *t,
            Rung::Packet { t, .. } => *t,
            Rung::Timer { from, .. } => *from,
        }
    }
}

/// A ladder column's timers being built: the dumper's armed wait and amandad's last REP.
#[derive(Default)]
struct Timers {
    armed: Option<(SimTime, &'static str)>,
    rep_sent: Option<SimTime>,
}

impl Timers {
    /// The dumper's armed wait ends at `t` (`how`); the span, if one was armed.
    fn stop(&mut self, t: SimTime, how: &str) -> Option<Rung> {
        let (from, what) = self.armed.take()?;
        Some(Rung::Timer {
            from,
            to: t,
            side: Side::Dumper,
            label: format!("{what}{how}"),
        })
    }
}

impl Night<'_> {
    /// The ladder of DLE `d`: one column per attempt.
    pub fn ladder(&self, d: DleId, rep: u64) -> Ladder {
        let sd = &self.sc.dles[d.0 as usize];
        let host = &self.sc.hosts[usize::from(sd.host.0)];
        let st = &self.run.dles[d.0 as usize];
        let columns = self
            .attempts_of(d)
            .iter()
            .enumerate()
            .map(|(k, &a)| self.column(a, k as u32 + 1))
            .collect();
        let dle = self.dle_name(d);
        let fate = match st.fate {
            Some(DleFate::Dumped) => "dumped".to_string(),
            Some(DleFate::Failed) => format!("not dumped: {}", st.message),
            Some(DleFate::NotScheduled) => format!("never scheduled: {}", st.message),
            None => "unfinished".into(),
        };
        Ladder {
            title: format!("{dle} on night {rep}: {fate}"),
            dle,
            host: host.name.clone(),
            zone: self.sc.zones[usize::from(host.zone.0)].clone(),
            fate,
            columns,
        }
    }

    /// Attempt `a`'s column: its request's packets and timers, and the other packets its client
    /// sent meanwhile, from its start to its request's last packet.
    fn column(&self, a: usize, nth: u32) -> LadderColumn {
        let at = &self.run.attempts[a];
        let host = self.sc.dles[at.dle.0 as usize].host;
        let own = |e: &Ev| at.req.is_some_and(|r| self.owns(a, r, e));
        let last_own = self
            .ev
            .iter()
            .filter(|e| own(e))
            .map(|e| e.t)
            .max()
            .unwrap_or(at.end)
            .max(at.end);
        let mut rungs = vec![Rung::Start(at.start)];
        let mut timers = Timers::default();
        for e in self
            .ev
            .iter()
            .filter(|e| e.t >= at.start && e.t <= last_own)
        {
            let mine = own(e);
            let client_pkt = e.kind == TraceKind::Send
                && e.host == Some(host)
                && e.src_port == Some(AMANDA_PORT);
            match e.kind {
                TraceKind::Send if mine || client_pkt => {
                    self.packet_rungs(e, a, mine, &mut timers, &mut rungs);
                }
                TraceKind::Deliver
                    if mine
                        && e.packet == Some(PacketKind::Ack)
                        && e.src_port == Some(AMANDA_PORT) =>
                {
                    rungs.extend(timers.stop(e.t, ": ACK came"));
                    timers.armed = Some((e.t, "REP wait"));
                }
                TraceKind::Deliver if mine && e.packet == Some(PacketKind::Rep) => {
                    rungs.extend(timers.stop(e.t, ": REP came"));
                }
                TraceKind::Timeout if mine => {
                    let how = match e.note {
                        Some("resend") => " expired: resend",
                        _ => " expired: give up",
                    };
                    rungs.extend(timers.stop(e.t, how));
                }
                TraceKind::Swallow if mine => rungs.push(Rung::Swallow(e.t)),
                _ => {}
            }
        }
        if let Some(o) = at.outcome {
            rungs.push(Rung::End(at.end, o));
        }
        rungs.sort_by_key(Rung::t);
        LadderColumn {
            attempt: nth,
            dumper: at.dumper.0,
            port: at.port.map(|p| p.0),
            in_range: self.in_range(at.port),
            start: at.start,
            outcome: at.outcome,
            message: at.message.clone(),
            rungs,
        }
    }

    /// A packet's rung (and the timers it starts or restarts) in attempt `a`'s column.
    fn packet_rungs(
        &self,
        e: &Ev,
        a: usize,
        mine: bool,
        timers: &mut Timers,
        rungs: &mut Vec<Rung>,
    ) {
        let kind = e.packet.unwrap_or(PacketKind::Req);
        let lost = self
            .ev
            .iter()
            .any(|x| x.kind == TraceKind::Lost && x.req == e.req && x.t == e.t);
        if mine && kind == PacketKind::Req {
            timers.armed = Some((e.t, "ACK wait"));
        }
        // amandad's REP timer: armed by the REP its service sends and by each resend it
        // triggers; a REP sent with an ACK answers a duplicate REQ and arms nothing.
        let echo = self.ev.iter().any(|x| {
            x.kind == TraceKind::Send
                && x.req == e.req
                && x.t == e.t
                && x.packet == Some(PacketKind::Ack)
        });
        if mine && kind == PacketKind::Rep && !echo {
            if let Some(prev) = timers.rep_sent {
                rungs.push(Rung::Timer {
                    from: prev,
                    to: e.t,
                    side: Side::Client,
                    label: "no ACK of the REP: resend".into(),
                });
            }
            timers.rep_sent = Some(e.t);
        }
        rungs.push(Rung::Packet {
            t: e.t,
            kind,
            from_server: e.src_port != Some(AMANDA_PORT),
            passed: e.verdict.is_some_and(|v| v.passes()) && !lost,
            rule: self.rule_of(e),
            own: mine,
            note: if mine {
                String::new()
            } else {
                self.whose(e, a)
            },
        });
    }

    /// Whose packet `e` is, for a packet of another request in attempt `a`'s column.
    fn whose(&self, e: &Ev, a: usize) -> String {
        let d = self.run.attempts[a].dle;
        let who = e.dumper.map_or("the planner".into(), |x| x.to_string());
        let what = self
            .waiting_at(e)
            .or_else(|| e.req.and_then(|r| self.attempt_of_req(r)))
            .map(|x| {
                let other = &self.run.attempts[x];
                let n = self
                    .attempts_of(other.dle)
                    .iter()
                    .position(|&y| y == x)
                    .map_or(0, |p| p + 1);
                if other.dle == d {
                    format!(" (attempt {n})")
                } else {
                    format!(" ({} attempt {n})", self.dle_name(other.dle))
                }
            })
            .unwrap_or_default();
        let port = e.dst_port.map_or("-".into(), |p| p.0.to_string());
        format!("to {who}:{port}{what}")
    }
}
