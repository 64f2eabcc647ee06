//! One night as explain reads it: the run, its trace as flat records, and the port facts.

use super::*;

/// A flat view of one trace record (its [`crate::model::trace::Fields`]): explain searches
/// across kinds.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ev {
    pub(super) t: SimTime,
    pub(super) kind: TraceKind,
    pub(super) dumper: Option<DumperId>,
    pub(super) host: Option<HostId>,
    pub(super) dle: Option<DleId>,
    pub(super) packet: Option<PacketKind>,
    pub(super) src_port: Option<Port>,
    pub(super) dst_port: Option<Port>,
    pub(super) verdict: Option<Action>,
    pub(super) decider: Option<Decider>,
    pub(super) note: Option<&'static str>,
    pub(super) req: Option<ReqId>,
}

pub(super) fn events(records: &[TraceRecord]) -> Vec<Ev> {
    records
        .iter()
        .map(|r| {
            let f = r.event.fields();
            Ev {
                t: SimTime(r.t_us),
                kind: r.kind(),
                dumper: f.dumper,
                host: f.host,
                dle: f.dle,
                packet: f.packet,
                src_port: f.src_port,
                dst_port: f.dst_port,
                verdict: f.verdict,
                decider: f.decider,
                note: f.note,
                req: f.req,
            }
        })
        .collect()
}

/// The night as explain reads it: the scenario, the run and its trace.
pub struct Night<'a> {
    pub(super) sc: &'a Scenario,
    pub(super) run: RunResult,
    pub(super) ev: Vec<Ev>,
}

impl<'a> Night<'a> {
    /// The 15 s pause after a failure (the driver's sleep, or a dumper's and a retry's hold).
    pub(super) fn pause(&self) -> SimDuration {
        match self.sc.server.profile.failure_pause {
            FailurePause::Driver(p) | FailurePause::DumperAndDle(p) | FailurePause::Requeue(p) => p,
        }
    }

    /// Runs night `rep` of `sc` with its trace.
    pub fn run(sc: &'a Scenario, rep: u64) -> Night<'a> {
        let run = site::run(sc, rep, true);
        let ev = events(run.trace.as_deref().unwrap_or_default());
        Night { sc, run, ev }
    }

    /// The run's result.
    pub fn result(&self) -> &RunResult {
        &self.run
    }

    pub(super) fn dle_name(&self, d: DleId) -> String {
        let dle = &self.sc.dles[d.0 as usize];
        format!(
            "{}:{}",
            self.sc.hosts[usize::from(dle.host.0)].name,
            dle.disk
        )
    }

    pub(super) fn host_name(&self, h: HostId) -> &str {
        &self.sc.hosts[usize::from(h.0)].name
    }

    pub(super) fn in_range(&self, p: Option<Port>) -> bool {
        matches!((self.sc.server.range, p), (Some(r), Some(p)) if r.contains(p))
    }

    /// Attempts of `d`, as indices into the run's attempts, in start order.
    pub fn attempts_of(&self, d: DleId) -> Vec<usize> {
        (0..self.run.attempts.len())
            .filter(|&a| self.run.attempts[a].dle == d)
            .collect()
    }

    /// The attempt whose request is `req`.
    pub(super) fn attempt_of_req(&self, req: ReqId) -> Option<usize> {
        self.run.attempts.iter().position(|a| a.req == Some(req))
    }

    /// How dumper `d` got its port.
    pub fn port_fact(&self, d: u16) -> PortFact {
        let server = &self.sc.server;
        let at = self.ev.iter().position(|e| {
            e.kind == TraceKind::Bind && e.dumper == Some(DumperId(d)) && e.note.is_none()
        });
        let state = &self.run.dumpers[usize::from(d)];
        let port = at.and_then(|i| self.ev[i].src_port).or(state.port);
        let mut held: Vec<Holder> = Vec::new();
        if let Some(range) = server.range {
            for (p, by) in self
                .sc
                .file
                .server
                .ports_in_use
                .iter()
                .map(|u| (u.port, &u.by))
            {
                if let Ok(p) = u16::try_from(p)
                    && range.contains(Port(p))
                {
                    held.push(Holder {
                        port: p,
                        by: if by.is_empty() {
                            "another process".into()
                        } else {
                            by.clone()
                        },
                    });
                }
            }
            for e in &self.ev[..at.unwrap_or(self.ev.len())] {
                let Some(p) = e.src_port.filter(|p| range.contains(*p)) else {
                    continue;
                };
                match e.kind {
                    TraceKind::Bind => held.push(Holder {
                        port: p.0,
                        by: match (e.dumper, e.note) {
                            (Some(x), _) => x.to_string(),
                            (None, Some(n)) => n.to_string(),
                            (None, None) => "another process".into(),
                        },
                    }),
                    TraceKind::Release => held.retain(|h| h.port != p.0),
                    _ => {}
                }
            }
        }
        held.sort_by_key(|h| h.port);
        let skipped: Vec<Holder> = server
            .range
            .map(|r| {
                server
                    .services
                    .iter()
                    .filter(|(p, _)| r.contains(*p) && !server.port_usable(*p))
                    .map(|(p, n)| Holder {
                        port: p.0,
                        by: n.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let usable = server.usable_range_ports();
        let in_range = self.in_range(port);
        PortFact {
            dumper: d,
            at: at.map(|i| At(self.ev[i].t)),
            port: port.map(|p| p.0),
            bind: state.bind,
            in_range,
            free_in_range: usable.saturating_sub(held.len() as u32),
            range_held_by: held,
            skipped_services: skipped,
            leases: Vec::new(),
        }
    }

    /// Index of the trace record that starts attempt `a`: the driver's dispatch. Attempts and
    /// their records come in the same order, so it is the k-th record of the attempt's dumper
    /// and DLE, k counting the earlier attempts of both. (Matching on the start time would miss
    /// every delayed attempt: 3.x's request leaves after the dispatch record, see
    /// [`Night::sent_late`].)
    pub(super) fn start_index(&self, a: usize) -> Option<usize> {
        let at = &self.run.attempts[a];
        let nth = self.run.attempts[..a]
            .iter()
            .filter(|b| b.dumper == at.dumper && b.dle == at.dle)
            .count();
        self.ev
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.kind == TraceKind::AttemptStart
                    && e.dumper == Some(at.dumper)
                    && e.dle == Some(at.dle)
            })
            .nth(nth)
            .map(|(i, _)| i)
    }

    /// When attempt `a`'s request left, if later than its dispatch (record `idx`): 3.x's
    /// driver writes its commands one by one and each dumper process must run, and a requeued
    /// DLE's request waits for a new chunker.
    pub(super) fn sent_late(&self, a: usize, idx: usize) -> Option<At> {
        let start = self.run.attempts[a].start;
        (self.ev.get(idx).is_some_and(|e| e.t < start)).then_some(At(start))
    }

    /// Whether record `e` belongs to attempt `a` (its request `req`): by its request, but see
    /// [`Night::waiting_at`].
    pub(super) fn owns(&self, a: usize, req: ReqId, e: &Ev) -> bool {
        self.waiting_at(e).map_or(e.req == Some(req), |w| w == a)
    }

    /// The attempt a client's packet `e` went to when the version's amandad answers a port,
    /// not a handle (2.4, `PeerIdentity::Socket`): what it sends to a port while another
    /// attempt waits there (a retry from the same dumper) belongs to that attempt, whatever
    /// request's handle it carries. None for other records, versions, or no attempt for the
    /// same host waiting.
    pub(super) fn waiting_at(&self, e: &Ev) -> Option<usize> {
        let to_server = e.kind == TraceKind::Send && e.src_port == Some(Port(10080));
        if !to_server || self.sc.server.profile.peer_identity != PeerIdentity::Socket {
            return None;
        }
        self.run.attempts.iter().position(|x| {
            x.req.is_some()
                && x.port == e.dst_port
                && e.host == Some(self.sc.dles[x.dle.0 as usize].host)
                && x.start <= e.t
                && (x.outcome.is_none() || e.t <= x.end)
        })
    }

    /// Whom the client `h` was answering just before record `idx`: the last peer it sent a
    /// packet to, other than `req`.
    pub(super) fn busy_with(&self, h: HostId, req: ReqId, idx: usize) -> Option<Peer> {
        let e = self.ev[..idx].iter().rev().find(|e| {
            e.kind == TraceKind::Send
                && e.host == Some(h)
                && e.src_port == Some(Port(10080))
                && e.req.is_some_and(|r| r != req)
        })?;
        let other = e.req?;
        let dropped = self.ev.iter().find(|x| {
            x.kind == TraceKind::Send
                && x.req == Some(other)
                && x.src_port == Some(Port(10080))
                && x.verdict.is_some_and(|v| !v.passes())
        });
        Some(Peer {
            dumper: e.dumper.map(|d| d.0),
            port: e.dst_port.map_or(0, |p| p.0),
            dle: self
                .attempt_of_req(other)
                .map(|a| self.dle_name(self.run.attempts[a].dle)),
            attempt: self.attempt_of_req(other).and_then(|a| {
                let dle = self.run.attempts[a].dle;
                self.attempts_of(dle)
                    .iter()
                    .position(|&x| x == a)
                    .map(|k| k as u32 + 1)
            }),
            replies_dropped: dropped.is_some(),
            dropped_by: dropped.and_then(|x| x.decider.map(|d| self.sc.firewall.describe(d))),
        })
    }

    pub(super) fn endpoint(
        &self,
        host: Option<HostId>,
        port: Option<Port>,
        server: bool,
    ) -> String {
        let p = port.map_or("-".into(), |p| p.0.to_string());
        if server {
            format!("server:{p}")
        } else {
            format!("{}:{p}", host.map_or("?", |h| self.host_name(h)))
        }
    }
}
