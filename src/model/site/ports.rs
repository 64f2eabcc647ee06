//! Server ports: `dgram_bind` for dumpers and the planner, 2.5.2's rescans, and the
//! per-request leases of the `reserve-for-firewalled` port policy.

use super::*;

impl Site<'_> {
    /// `dgram_bind`: the range, then the version's answer to a full range (`None`: rescan later).
    /// Under the per-request port policy a dumper's own socket avoids the range altogether.
    pub(super) fn dgram_bind(
        &mut self,
        draws: PortDraws,
        use_range: bool,
    ) -> Option<(Port, BindKind)> {
        let server = &self.sc.server;
        if use_range
            && let Some(r) = server.range
            && let Some(p) = self
                .ports
                .bind_portrange(r, draws.range, |p| server.port_usable(p))
        {
            return Some((p, BindKind::InRange));
        }
        // 2.5.0-2.5.1 `dgram_bind` passes "udp" to the fallback's `bind_portrange` too, which
        // skips a services-named port there as in the range (`amanda250` dgram.c line 95,
        // util.c lines 126-127); the kernel's choice (port 0) asks no database.
        let outside =
            |p: Port| server.range.is_none_or(|r| !r.contains(p)) && server.port_usable(p);
        match server.profile.exhausted {
            Exhausted::Rescan { .. } if use_range && server.range.is_some() => None,
            Exhausted::Fallback | Exhausted::Rescan { .. } => Some({
                if let Some(p) =
                    self.ports
                        .bind_portrange(RESERVED_FALLBACK, draws.reserved, outside)
                {
                    (p, BindKind::ReservedFallback)
                } else {
                    let p = self
                        .ports
                        .bind_portrange(EPHEMERAL, draws.ephemeral, |_| true)
                        .expect("28k ephemeral ports cannot all be bound by 64 processes");
                    (p, BindKind::Ephemeral)
                }
            }),
        }
    }

    /// Binds dumper `d`'s port; false when the range is full and the version does not fall back.
    pub(super) fn bind_dumper(&mut self, d: DumperId) -> bool {
        // bsdtcp binds no UDP socket in reserved-udp-port: its connections come from
        // reserved-tcp-port (default 512-1023), which the model draws as the fallback range.
        let use_range = self.sc.server.port_policy == PortPolicy::PerDumper
            && self.sc.server.auth != crate::model::config::Auth::Bsdtcp;
        let draws = self.night.dumper_ports[usize::from(d.0)];
        let Some((p, kind)) = self.dgram_bind(draws, use_range) else {
            return false;
        };
        let st = &mut self.dumpers[usize::from(d.0)];
        st.port = Some(p);
        st.bind = Some(kind);
        self.record(TraceEvent::Bind {
            owner: Owner::Dumper(d),
            port: p,
        });
        true
    }

    pub(super) fn bind_planner(&mut self) {
        let use_range = self.sc.server.auth != crate::model::config::Auth::Bsdtcp;
        let Some((p, kind)) = self.dgram_bind(self.night.planner_ports, use_range) else {
            return;
        };
        self.planner.bound(p, kind);
        self.record(TraceEvent::Bind {
            owner: Owner::Planner,
            port: p,
        });
    }

    /// Whether this DLE's request must leave from a leased range port.
    pub(super) fn needs_lease(&self, dle: DleId) -> bool {
        self.sc.server.port_policy == PortPolicy::PerRequestFirewalled
            && self.sc.firewalled(self.sc.dles[dle.0 as usize].host)
    }

    /// Binds a range port for attempt `a`'s request, or queues it until one is released.
    pub(super) fn take_lease_or_wait(&mut self, a: u32) {
        let d = self.attempts[a as usize].dumper;
        let range = self
            .sc
            .server
            .range
            .expect("validated: the policy needs a range");
        // A fresh (pid + time) offset per request.
        let offset = self.night.dumper_ports[usize::from(d.0)]
            .range
            .wrapping_add(a);
        let server = &self.sc.server;
        match self
            .leases
            .take(&mut self.ports, d, range, offset, |p| server.port_usable(p))
        {
            Some(p) => {
                let now = self.sim.now();
                let at = &mut self.attempts[a as usize];
                at.port_wait = now.since(at.start);
                self.record(TraceEvent::Bind {
                    owner: Owner::Lease(d),
                    port: p,
                });
                self.send_dump_request(a);
            }
            None if self.lease_can_come() => {
                self.record(TraceEvent::PortWait { dumper: d });
                self.leases.wait(a);
            }
            None => {
                // Nobody holds a range port that could be released: waiting would be forever.
                let host = self.sc.dles[self.attempts[a as usize].dle.0 as usize].host;
                let name = &self.sc.hosts[usize::from(host.0)].name;
                let msg = self.sc.server.profile.no_port_text(name);
                self.end_attempt(a, Outcome::TryAgain, Cause::NoPort, msg);
            }
        }
    }

    /// Whether some range port is held by a process that will release it (a lease or the planner).
    pub(super) fn lease_can_come(&self) -> bool {
        let range = self.sc.server.range.expect("the lease policy has a range");
        self.leases.any_held() || self.planner.holds_in(range)
    }

    /// Hands released range ports to waiting requests, in arrival order.
    pub(super) fn wake_lease_waiters(&mut self) {
        // Only those waiting now: a request that fails to get a port queues again at the back.
        for _ in 0..self.leases.waiting() {
            let Some(next) = self.leases.next_waiter() else {
                break;
            };
            self.take_lease_or_wait(next);
        }
    }

    /// The request of dumper `d` is over: its leased port goes to the first waiter.
    pub(super) fn release_lease(&mut self, d: DumperId) {
        let Some(p) = self.leases.release(&mut self.ports, d) else {
            return;
        };
        self.record(TraceEvent::Release {
            owner: Owner::Lease(d),
            port: p,
        });
        self.wake_lease_waiters();
    }

    /// 2.5.2+: no range port is free; sleep and scan again, holding the DLE.
    pub(super) fn port_rescan_later(&mut self, a: u32, rescans: u32) {
        let Exhausted::Rescan { interval, .. } = self.sc.server.profile.exhausted else {
            unreachable!("only a rescanning version leaves a dumper without a port");
        };
        self.record(TraceEvent::PortWait {
            dumper: self.attempts[a as usize].dumper,
        });
        self.sim.schedule_in(
            interval,
            Event::PortRescan {
                attempt: a,
                rescans: rescans + 1,
            },
        );
    }

    /// The attempt fails: its dumper has no socket (`[request failed: Can't bind a socket ...]`).
    pub(super) fn no_socket(&mut self, a: u32) {
        let host = self.sc.dles[self.attempts[a as usize].dle.0 as usize].host;
        let msg = self
            .sc
            .server
            .profile
            .no_port_text(&self.sc.hosts[usize::from(host.0)].name);
        self.end_attempt(a, Outcome::TryAgain, Cause::NoPort, msg);
    }

    pub(super) fn port_rescan(&mut self, a: u32, rescans: u32) {
        let Exhausted::Rescan { limit, .. } = self.sc.server.profile.exhausted else {
            unreachable!("only a rescanning version leaves a dumper without a port");
        };
        let now = self.sim.now();
        let at = &mut self.attempts[a as usize];
        at.port_wait = now.since(at.start);
        let d = at.dumper;
        if self.bind_dumper(d) {
            self.send_dump_request(a);
        } else if rescans >= limit {
            if self.sc.server.profile.version == Version::V3_5 {
                // Out of descriptors: three bind tries 5 s apart, then the TRY-AGAIN.
                self.dumpers[usize::from(d.0)].out_of_descriptors = true;
                self.sim.schedule_in(
                    super::schedule::NO_SOCKET_DELAY,
                    Event::NoSocket { attempt: a },
                );
            } else {
                self.no_socket(a);
            }
        } else {
            self.port_rescan_later(a, rescans);
        }
    }
}
