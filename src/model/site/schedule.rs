//! The night's course: start-up, the estimate phase, the driver filling dumpers, results.

use super::*;

/// How long a 3.5.1 dumper out of descriptors takes to report `Can't bind a socket`: three
/// `security_seterror` tries 5 s apart (lab run `full`: the retry failed 10 s after dispatch).
pub(super) const NO_SOCKET_DELAY: SimDuration = SimDuration::from_secs(10);

impl Site<'_> {
    pub(super) fn start(&mut self) {
        for &p in &self.sc.server.ports_in_use {
            self.ports.bind(p);
        }
        if self.sc.server.amcheck {
            self.amcheck_port = self.dgram_bind(self.night.amcheck_ports, true);
            if let Some((p, _)) = self.amcheck_port {
                let mut r = self.blank(TraceKind::Bind);
                r.src_port = Some(p);
                r.note = Some("amcheck");
                self.record(r);
            }
        }
        let planner = self.sc.server.planner;
        if planner == PlannerBinding::BeforeDumpers {
            self.bind_planner();
        }
        if self.sc.server.profile.eager_bind {
            for i in 0..self.dumpers.len() {
                // A 2.4 dumper always gets a port: its version falls back.
                self.bind_dumper(DumperId(i as u16));
            }
        }
        match planner {
            PlannerBinding::Unmodelled => {
                let slowest = self
                    .night
                    .host_estimate
                    .iter()
                    .zip(&self.sc.hosts)
                    .map(|(&e, h)| e + h.latency + h.latency)
                    .max()
                    .unwrap_or_default();
                self.sim.schedule_in(slowest, Event::EstimatesDone);
            }
            PlannerBinding::BeforeDumpers | PlannerBinding::AfterDumpers => {
                if planner == PlannerBinding::AfterDumpers {
                    self.bind_planner();
                }
                let Some((port, _)) = self.planner_port else {
                    // No range port for the planner (2.5.2+ with a full range): no estimates.
                    self.host_estimate_ok.fill(false);
                    self.sim
                        .schedule_in(SimDuration::ZERO, Event::EstimatesDone);
                    return;
                };
                for h in 0..self.sc.hosts.len() {
                    let host = HostId(h as u16);
                    let wait = if self.sc.server.etimeout_per_host {
                        // 3.5.1 planner.c, getsize: a negative etimeout is the host's whole
                        // wait (`timeout = - conf_etimeout`), not per estimate line.
                        self.sc.server.etimeout
                    } else {
                        // 3.5.1 planner.c, getsize: `timeout = total_estimates * etimeout`,
                        // one estimate per level asked; a DLE due for a full dump every night
                        // (dumpcycle 1) asks level 0 alone. (Older profiles keep two lines per
                        // disk, as their committed results assume.)
                        let per_disk = if self.sc.server.profile.planner_3x
                            && self.sc.workload.dumpcycle == 1
                        {
                            1
                        } else {
                            ESTIMATE_LINES_PER_DISK
                        };
                        let lines = self.sc.hosts[h].dles.len() as u64 * per_disk;
                        self.sc.server.etimeout.times(lines)
                    };
                    self.new_request(Requester::Planner, host, Service::Sendsize, port, wait);
                    self.planner_pending += 1;
                }
            }
        }
    }

    pub(super) fn estimates_done(&mut self) {
        let now = self.sim.now();
        self.estimates_end = now;
        if let Some((p, _)) = self.planner_port.take() {
            // The planner exits once it has written the schedule.
            self.ports.release(p);
            self.planner_holds = false;
            self.planner_port = Some((p, self.planner_bind_kind(p)));
            self.wake_lease_waiters();
            let mut r = self.blank(TraceKind::Release);
            r.src_port = Some(p);
            r.note = Some("planner");
            self.record(r);
        }
        for (i, d) in self.sc.dles.iter().enumerate() {
            if self.host_estimate_ok[usize::from(d.host.0)] {
                let dle = DleId(i as u32);
                self.driver.push(dle, self.dle_info(dle));
            } else {
                let name = &self.sc.hosts[usize::from(d.host.0)].name;
                let st = &mut self.dles[i];
                st.fate = Some(DleFate::NotScheduled);
                st.message = if self.host_estimate_msg[usize::from(d.host.0)].is_empty() {
                    self.sc.server.profile.estimate_failed_text(name, false)
                } else {
                    self.host_estimate_msg[usize::from(d.host.0)].clone()
                };
                st.decided = now;
            }
        }
        let r = self.blank(TraceKind::Schedule);
        self.record(r);
        let startup = self.sc.server.profile.driver_startup;
        if startup > SimDuration::ZERO {
            // The driver is not ready to dispatch yet (3.x taper start-up): as a sleep.
            let until = now + startup;
            self.asleep_until = Some(until);
            self.sim.schedule_at(until, Event::DriverWake);
            return;
        }
        self.dispatch();
    }

    pub(super) fn dle_info(&self, d: DleId) -> DleInfo {
        let sd = &self.sc.dles[d.0 as usize];
        let nd = &self.night.dles[d.0 as usize];
        DleInfo {
            host: sd.host,
            spindle: sd.spindle,
            size_kb: nd.size_kb,
            // The planner's estimate, not tonight's rate (`dumporder` and `netusage` use it).
            rate_kbs: nd.est_rate_kbs,
            not_before: self.not_before[d.0 as usize],
        }
    }

    /// `start_some_dumps`: fill idle dumpers, lowest index first.
    pub(super) fn dispatch(&mut self) {
        if self.asleep_until.is_some() || self.driver.is_empty() {
            return;
        }
        let now = self.sim.now();
        for i in 0..self.dumpers.len() {
            if self.dumpers[i].busy.is_some() {
                continue;
            }
            let rest = self.dumpers[i].rest_until;
            if rest > now {
                self.wake_at(rest);
                continue;
            }
            let order = Order::for_dumper(&self.orders, i);
            let pick = self.driver.pick(
                now,
                order,
                |d| self.dle_info(d),
                |h| self.sc.hosts[usize::from(h.0)].maxdumps,
            );
            match pick {
                Pick::Take(dle) => {
                    let info = self.dle_info(dle);
                    self.driver.start(dle, info, now);
                    self.start_attempt(DumperId(i as u16), dle);
                    if self.driver.is_empty() {
                        return;
                    }
                }
                Pick::WaitUntil(t) => {
                    self.wake_at(t);
                    return;
                }
                Pick::Blocked => return,
            }
        }
    }

    /// Makes sure the driver looks again at `t` (one pending wake-up, the earliest, suffices).
    fn wake_at(&mut self, t: SimTime) {
        let now = self.sim.now();
        if self.gap_wake.is_none_or(|w| t < w || w <= now) {
            self.gap_wake = Some(t);
            self.sim.schedule_at(t, Event::DriverWake);
        }
    }

    pub(super) fn start_attempt(&mut self, d: DumperId, dle: DleId) {
        let now = self.sim.now();
        let a = self.attempts.len() as u32;
        let port = self.dumpers[usize::from(d.0)].port;
        self.attempt_conn.push(None);
        self.attempts.push(Attempt {
            dle,
            dumper: d,
            port,
            port_wait: SimDuration::ZERO,
            start: now,
            end: now,
            outcome: None,
            cause: Cause::Ok,
            message: String::new(),
            req: None,
        });
        let st = &mut self.dumpers[usize::from(d.0)];
        st.busy = Some(a);
        st.attempts += 1;
        self.dles[dle.0 as usize].attempts += 1;
        let mut r = self.blank(TraceKind::AttemptStart);
        r.dumper = Some(d);
        r.dle = Some(dle);
        r.host = Some(self.sc.dles[dle.0 as usize].host);
        r.src_port = port;
        self.record(r);
        let profile = &self.sc.server.profile;
        let mut delay = SimDuration::ZERO;
        if let FailurePause::Requeue(d) = profile.failure_pause
            && self.dles[dle.0 as usize].attempts > 1
        {
            // 3.x: the retry was handed out at once; its REQ waits for the new chunker.
            let spread = crate::model::version::REQUEUE_SPREAD_3_5.0;
            delay = d + SimDuration(self.starts.random_range(0..=spread));
        } else if profile.command_jitter > SimDuration::ZERO {
            let j = self.starts.random_range(0..=profile.command_jitter.0);
            delay = SimDuration(j);
        }
        if delay > SimDuration::ZERO {
            self.sim.schedule_in(delay, Event::AttemptGo { attempt: a });
            return;
        }
        self.attempt_go(a);
    }

    /// The attempt's dumper binds if it must, then sends its REQ.
    pub(super) fn attempt_go(&mut self, a: u32) {
        let now = self.sim.now();
        let (d, dle, port) = {
            let at = &mut self.attempts[a as usize];
            // A delayed retry starts when its `send-cmd` goes out, as the driver logs it.
            at.start = now;
            (at.dumper, at.dle, at.port)
        };
        if port.is_none() && self.dumpers[usize::from(d.0)].out_of_descriptors {
            // 3.5.1 (lab run `full`): a dumper whose rescans leaked every descriptor fails its
            // next request after 3 bind tries 5 s apart, with no rescans.
            self.sim
                .schedule_in(NO_SOCKET_DELAY, Event::NoSocket { attempt: a });
        } else if port.is_none() && !self.bind_dumper(d) {
            self.port_rescan_later(a, 0);
        } else if self.needs_lease(dle) {
            self.take_lease_or_wait(a);
        } else {
            self.send_dump_request(a);
        }
    }

    /// The dumper reports; the driver reads the result when it is awake.
    pub(super) fn end_attempt(&mut self, a: u32, outcome: Outcome, cause: Cause, message: String) {
        let now = self.sim.now();
        let at = &mut self.attempts[a as usize];
        at.end = now;
        at.outcome = Some(outcome);
        at.cause = cause;
        at.message = message;
        let (dumper, dle, port) = (at.dumper, at.dle, at.port);
        let mut r = self.blank(TraceKind::AttemptEnd);
        r.dumper = Some(dumper);
        r.dle = Some(dle);
        r.host = Some(self.sc.dles[dle.0 as usize].host);
        r.src_port = port;
        r.note = Some(match outcome {
            Outcome::Done => "done",
            Outcome::TryAgain => "try-again",
            Outcome::Failed => "failed",
        });
        self.record(r);
        self.results.push_back(a);
        if self.reads_at_select() {
            // The 2.4 driver's select() returns every result ready at this instant: it is read
            // after the other events of this microsecond (the kernel runs them first).
            if self.asleep_until.is_none() && !self.select_pending {
                self.select_pending = true;
                self.sim.schedule_in(SimDuration::ZERO, Event::DriverWake);
            }
            return;
        }
        self.process_results();
    }

    /// Whether the driver is 2.4's `select()` loop rather than an event-driven one.
    fn reads_at_select(&self) -> bool {
        matches!(
            self.sc.server.profile.failure_pause,
            FailurePause::Driver(_)
        )
    }

    /// Reads one dumper result: the driver's books, then the DLE's fate or its place at the
    /// queue's tail. `Some(retried)` for a failure.
    fn read_result(&mut self, a: u32) -> Option<bool> {
        let now = self.sim.now();
        let at = &self.attempts[a as usize];
        let (dle, dumper, outcome) = (at.dle, at.dumper, at.outcome.expect("ended"));
        let info = self.dle_info(dle);
        self.driver.finish(info);
        let ds = &mut self.dumpers[usize::from(dumper.0)];
        ds.busy = None;
        let di = dle.0 as usize;
        if outcome == Outcome::Done {
            self.dles[di].fate = Some(DleFate::Dumped);
            self.dles[di].decided = now;
            return None;
        }
        ds.failed_attempts += 1;
        let retry =
            outcome == Outcome::TryAgain && self.retries_used[di] < self.sc.server.profile.retries;
        if retry {
            self.retries_used[di] += 1;
            self.driver.push(dle, info);
        } else {
            let st = &mut self.dles[di];
            st.fate = Some(DleFate::Failed);
            st.decided = now;
            st.message = if outcome == Outcome::TryAgain {
                let host = &self.sc.hosts[usize::from(info.host.0)].name;
                self.sc.server.profile.gave_up_text(host)
            } else {
                self.attempts[a as usize].message.clone()
            };
        }
        Some(retry)
    }

    /// The event-driven drivers (2.5+): each result is read as it comes, then idle dumpers
    /// are filled.
    pub(super) fn process_results(&mut self) {
        while self.asleep_until.is_none() {
            let Some(a) = self.results.pop_front() else {
                break;
            };
            let Some(retry) = self.read_result(a) else {
                continue;
            };
            let now = self.sim.now();
            match self.sc.server.profile.failure_pause {
                FailurePause::Driver(_) => unreachable!("2.4 reads its results at select()"),
                // 3.5.1 driver.c, dumper_chunker_result: `enqueue_sched(&runq, sp)` and on to
                // `start_some_dumps` below, with no sleep and no rest.
                FailurePause::Requeue(_) => {}
                FailurePause::DumperAndDle(pause) => {
                    let (dumper, dle) = {
                        let at = &self.attempts[a as usize];
                        (at.dumper, at.dle)
                    };
                    let until = now + pause;
                    self.dumpers[usize::from(dumper.0)].rest_until = until;
                    if retry {
                        self.not_before[dle.0 as usize] = until;
                    }
                    let mut r = self.blank(TraceKind::DumperRest);
                    r.dumper = Some(dumper);
                    self.record(r);
                }
            }
        }
        self.dispatch();
    }

    /// 2.4's `select()` returned: every result ready now is read, then idle dumpers are filled.
    fn select(&mut self) {
        self.select_pending = false;
        self.take_ready();
        self.read_selected();
    }

    /// Moves the results ready now behind the ones being read, in file-descriptor order (the
    /// dumpers' pipes were opened in fork order; `driver.c` walks `fd` upward).
    fn take_ready(&mut self) {
        let mut ready: Vec<u32> = self.results.drain(..).collect();
        ready.sort_by_key(|&a| self.attempts[a as usize].dumper);
        self.selected.extend(ready);
    }

    /// 2.4 (`driver.c` main loop, `amanda245` lines 377-406): reads the results `select()`
    /// returned one by one; each failure calls `sleep(15)` (`handle_dumper_result`, lines 1213
    /// and 1236) and the rest wait for the wake. Only when all are read does `start_some_dumps`
    /// run; results that came during the sleeps are read at the next `select()`, at once.
    fn read_selected(&mut self) {
        loop {
            while let Some(a) = self.selected.pop_front() {
                if self.read_result(a).is_none() {
                    continue;
                }
                let FailurePause::Driver(pause) = self.sc.server.profile.failure_pause else {
                    unreachable!("only the 2.4 driver reads at select()");
                };
                let until = self.sim.now() + pause;
                self.asleep_until = Some(until);
                self.sim.schedule_at(until, Event::DriverWake);
                let mut r = self.blank(TraceKind::DriverSleep);
                r.dumper = Some(self.attempts[a as usize].dumper);
                self.record(r);
                return;
            }
            self.dispatch();
            if self.results.is_empty() {
                return;
            }
            self.take_ready();
        }
    }

    pub(super) fn driver_wake(&mut self) {
        let now = self.sim.now();
        match self.asleep_until {
            Some(t) if t <= now => {
                self.asleep_until = None;
                if self.reads_at_select() {
                    self.read_selected();
                } else {
                    // 3.x's start-up is over.
                    self.dispatch();
                    self.process_results();
                }
            }
            Some(_) => {}
            None => {
                if self.gap_wake.is_some_and(|w| w <= now) {
                    self.gap_wake = None;
                }
                if self.select_pending {
                    self.select();
                } else {
                    self.dispatch();
                }
            }
        }
    }
}
