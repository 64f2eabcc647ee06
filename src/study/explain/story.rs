//! One DLE's story: its steps in trace order and the facts behind each attempt's result.

use super::*;

/// Steps told so far, each with the index of the trace record it comes from (for the order).
type Told = Vec<(usize, Step)>;

/// What one request's packets say about its attempt's result.
#[derive(Default)]
struct RequestFacts {
    replies_dropped: u32,
    dropped_by: Vec<String>,
    accepted_by: Vec<String>,
    busy: Option<Peer>,
}

impl Night<'_> {
    /// The story of DLE `d`.
    pub fn story(&self, d: DleId) -> DleStory {
        let sd = &self.sc.dles[d.0 as usize];
        let st = &self.run.dles[d.0 as usize];
        let mut steps: Told = Vec::new();
        self.schedule_step(&mut steps);
        if st.fate == Some(DleFate::NotScheduled) {
            self.planner_steps(sd.host, &mut steps);
            steps.push((
                usize::MAX,
                Step::NotScheduled {
                    at: At(st.decided),
                    message: st.message.clone(),
                },
            ));
        }
        let attempts = self.attempts_of(d);
        let mut told_ports: Vec<u16> = Vec::new();
        let causes = attempts
            .iter()
            .enumerate()
            .map(|(k, &a)| {
                let last = k + 1 == attempts.len();
                self.attempt_story(a, k as u32 + 1, last, &mut told_ports, &mut steps)
            })
            .collect();
        // Trace order; steps told at the same record keep the order they were pushed in.
        steps.sort_by_key(|(i, _)| *i);
        let host = &self.sc.hosts[usize::from(sd.host.0)];
        DleStory {
            dle: self.dle_name(d),
            host: host.name.clone(),
            zone: self.sc.zones[usize::from(host.zone.0)].clone(),
            firewalled: self.sc.firewalled(sd.host),
            fate: st.fate,
            message: st.message.clone(),
            steps: steps.into_iter().map(|(_, s)| s).collect(),
            cause: causes,
            remedies: Vec::new(),
        }
    }

    fn schedule_step(&self, steps: &mut Told) {
        let Some(i) = self.ev.iter().position(|e| e.kind == TraceKind::Schedule) else {
            return;
        };
        let scheduled = self
            .run
            .dles
            .iter()
            .filter(|x| x.fate != Some(DleFate::NotScheduled))
            .count();
        steps.push((
            i,
            Step::Schedule {
                at: At(self.ev[i].t),
                scheduled,
            },
        ));
    }

    /// The planner's request to `host`: its packets and timers (told as attempt 0).
    fn planner_steps(&self, host: HostId, steps: &mut Told) {
        for (i, e) in self.ev.iter().enumerate() {
            if e.dumper.is_some() || e.req.is_none() || e.host != Some(host) {
                continue;
            }
            match e.kind {
                TraceKind::Send => {
                    let server = e.src_port != Some(AMANDA_PORT);
                    steps.push((i, self.packet_step(e, 0, server, 0, false)));
                }
                TraceKind::Timeout => steps.push((
                    i,
                    Step::Timer {
                        at: At(e.t),
                        attempt: 0,
                        expiry: e.note.unwrap_or("timeout"),
                        waited_s: 0.0,
                        reqs: 0,
                    },
                )),
                _ => {}
            }
        }
    }

    /// A packet step of record `e`; `resend` counts earlier packets of its kind and request.
    fn packet_step(
        &self,
        e: &Ev,
        attempt: u32,
        server: bool,
        resend: u32,
        after_end: bool,
    ) -> Step {
        let lost = self
            .ev
            .iter()
            .any(|x| x.kind == TraceKind::Lost && x.req == e.req && x.t == e.t && e.req.is_some());
        Step::Packet {
            at: At(e.t),
            attempt,
            packet: e.packet.unwrap_or(PacketKind::Req),
            from: self.endpoint(e.host, e.src_port, server),
            to: self.endpoint(e.host, e.dst_port, !server),
            verdict: e.verdict.unwrap_or(Action::Accept),
            rule: self.rule_of(e),
            resend,
            lost,
            after_end,
        }
    }

    /// The name of what decided record `e`'s verdict.
    pub(super) fn rule_of(&self, e: &Ev) -> String {
        e.decider
            .map_or_else(String::new, |x| self.sc.firewall.describe(x))
    }

    /// Attempt `a` (the `nth` of its DLE): its dumper's port, the dispatch, its packets and end.
    fn attempt_story(
        &self,
        a: usize,
        nth: u32,
        last: bool,
        told_ports: &mut Vec<u16>,
        steps: &mut Told,
    ) -> AttemptCause {
        let at = &self.run.attempts[a];
        let idx = self.start_index(a).unwrap_or(0);
        if !told_ports.contains(&at.dumper.0) {
            told_ports.push(at.dumper.0);
            let mut fact = self.port_fact(at.dumper.0);
            if let Some(p) = at.port
                && Some(p.0) != fact.port
            {
                fact.leases.push(p.0);
            }
            steps.push((idx, Step::Port(fact)));
        }
        steps.push((idx, self.dispatch(a, nth)));
        steps.extend(self.port_wait_step(a, idx));
        let facts = self.request_steps(a, nth, steps);
        self.end_steps(a, nth, last, steps);
        AttemptCause {
            attempt: nth,
            dumper: at.dumper.0,
            port: at.port.map(|p| p.0),
            in_range: self.in_range(at.port),
            outcome: at.outcome,
            cause: at.cause,
            replies_dropped: facts.replies_dropped,
            dropped_by: facts.dropped_by,
            accepted_by: facts.accepted_by,
            busy_with: facts.busy,
        }
    }

    /// The dumper's wait for a range port, told once with how often it looked.
    fn port_wait_step(&self, a: usize, idx: usize) -> Option<(usize, Step)> {
        let at = &self.run.attempts[a];
        let mine = |i: usize| self.ev[i].dumper == Some(at.dumper);
        let waits: Vec<usize> = (idx..self.ev.len())
            .take_while(|&i| i == idx || !(self.ev[i].kind == TraceKind::AttemptEnd && mine(i)))
            .filter(|&i| self.ev[i].kind == TraceKind::PortWait && mine(i))
            .collect();
        let &first = waits.first()?;
        Some((
            first,
            Step::PortWait {
                at: At(self.ev[first].t),
                dumper: at.dumper.0,
                tries: waits.len() as u32,
                until: At(at.start + at.port_wait),
            },
        ))
    }

    /// Every packet, swallowed REQ and timer of attempt `a`'s request.
    fn request_steps(&self, a: usize, nth: u32, steps: &mut Told) -> RequestFacts {
        let at = &self.run.attempts[a];
        let host = self.sc.dles[at.dle.0 as usize].host;
        let mut f = RequestFacts::default();
        let Some(req) = at.req else {
            return f;
        };
        let mut sent: Vec<(PacketKind, u32)> = Vec::new();
        let mut last_req_or_ack = at.start;
        for (i, e) in self.ev.iter().enumerate() {
            if !self.owns(a, req, e) {
                continue;
            }
            match e.kind {
                TraceKind::Send => {
                    let kind = e.packet.unwrap_or(PacketKind::Req);
                    let n = bump(&mut sent, kind);
                    let server = e.src_port != Some(AMANDA_PORT);
                    if !server {
                        f.count(e.verdict.is_some_and(|v| v.passes()), self.rule_of(e));
                    }
                    if kind == PacketKind::Req {
                        last_req_or_ack = e.t;
                    }
                    if kind == PacketKind::Nak {
                        let b = self.busy_with(e.host.unwrap_or(host), req, i);
                        f.busy = f.busy.or(b.clone());
                        let nak = Step::Nak {
                            at: At(e.t),
                            attempt: nth,
                            busy_with: b,
                        };
                        steps.push((i, nak));
                    }
                    let late = at.outcome.is_some() && e.t > at.end;
                    steps.push((i, self.packet_step(e, nth, server, n, late)));
                }
                TraceKind::Deliver
                    if e.packet == Some(PacketKind::Ack) && e.src_port == Some(AMANDA_PORT) =>
                {
                    last_req_or_ack = e.t;
                }
                TraceKind::Swallow => {
                    let b = self.busy_with(e.host.unwrap_or(host), req, i);
                    f.busy = f.busy.or(b.clone());
                    let port = e.src_port.map_or(0, |p| p.0);
                    let step = Step::Swallowed {
                        at: At(e.t),
                        attempt: nth,
                        port,
                        busy_with: b,
                    };
                    steps.push((i, step));
                }
                TraceKind::Timeout => {
                    let step = Step::Timer {
                        at: At(e.t),
                        attempt: nth,
                        expiry: e.note.unwrap_or("timeout"),
                        waited_s: e.t.since(last_req_or_ack).as_secs_f64(),
                        reqs: count(&sent, PacketKind::Req),
                    };
                    steps.push((i, step));
                }
                _ => {}
            }
        }
        f
    }

    /// The dumper's report, and for a failure the driver's pause and the retry or giving up.
    fn end_steps(&self, a: usize, nth: u32, last: bool, steps: &mut Told) {
        let at = &self.run.attempts[a];
        let end_idx = self.ev.iter().position(|e| {
            e.kind == TraceKind::AttemptEnd
                && e.dumper == Some(at.dumper)
                && e.dle == Some(at.dle)
                && e.t == at.end
        });
        let (Some(o), Some(ei)) = (at.outcome, end_idx) else {
            return;
        };
        let end = Step::AttemptEnd {
            at: At(at.end),
            attempt: nth,
            dumper: at.dumper.0,
            outcome: o,
            cause: at.cause,
            message: at.message.clone(),
            took_s: at.end.since(at.start).as_secs_f64(),
        };
        steps.push((ei, end));
        if o == Outcome::Done {
            return;
        }
        // The driver reads the result: at once, or when it wakes.
        let sleep = self.ev[ei..].iter().position(|e| {
            matches!(e.kind, TraceKind::DriverSleep | TraceKind::DumperRest)
                && e.dumper == Some(at.dumper)
        });
        let read_at = sleep.map_or(at.end, |s| self.ev[ei + s].t);
        if let Some(s) = sleep {
            let e = &self.ev[ei + s];
            let until = At(e.t + self.pause());
            let step = if e.kind == TraceKind::DriverSleep {
                Step::DriverSleep { at: At(e.t), until }
            } else {
                Step::DumperRest {
                    at: At(e.t),
                    dumper: at.dumper.0,
                    until,
                }
            };
            steps.push((ei + s, step));
        }
        let pos = ei + sleep.unwrap_or(0);
        let st = &self.run.dles[at.dle.0 as usize];
        if !last {
            let retries = self.sc.server.profile.retries;
            let requeue = matches!(
                self.sc.server.profile.failure_pause,
                FailurePause::Requeue(_)
            );
            let retry = self.run.attempts[a + 1..].iter().find(|b| b.dle == at.dle);
            let step = Step::Requeued {
                at: At(read_at),
                retries,
                retry_sent_after_s: retry
                    .filter(|_| requeue)
                    .map(|b| b.start.since(read_at).as_secs_f64()),
            };
            steps.push((pos, step));
        } else if st.fate == Some(DleFate::Failed) {
            let step = Step::GaveUp {
                at: At(st.decided),
                message: st.message.clone(),
            };
            steps.push((pos, step));
        }
    }
}

impl RequestFacts {
    /// A client packet of the request, let through or dropped by `rule`.
    fn count(&mut self, passed: bool, rule: String) {
        if !passed {
            self.replies_dropped += 1;
            if !self.dropped_by.contains(&rule) {
                self.dropped_by.push(rule);
            }
        } else if !self.accepted_by.contains(&rule) {
            self.accepted_by.push(rule);
        }
    }
}

/// Counts one more packet of `kind`; returns how many were sent before it.
fn bump(sent: &mut Vec<(PacketKind, u32)>, kind: PacketKind) -> u32 {
    match sent.iter_mut().find(|(k, _)| *k == kind) {
        Some((_, n)) => {
            *n += 1;
            *n - 1
        }
        None => {
            sent.push((kind, 1));
            0
        }
    }
}

/// Packets of `kind` sent so far.
fn count(sent: &[(PacketKind, u32)], kind: PacketKind) -> u32 {
    sent.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n)
}
