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
                self.record(TraceEvent::Bind {
                    owner: Owner::Amcheck,
                    port: p,
                });
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
                let phase = planner::unmodelled_phase(self.sc, &self.night);
                self.sim.schedule_in(phase, Event::EstimatesDone);
            }
            PlannerBinding::BeforeDumpers | PlannerBinding::AfterDumpers => {
                if planner == PlannerBinding::AfterDumpers {
                    self.bind_planner();
                }
                let Some((port, _)) = self.planner.port() else {
                    // No range port for the planner (2.5.2+ with a full range): no estimates.
                    self.planner.no_port();
                    self.sim
                        .schedule_in(SimDuration::ZERO, Event::EstimatesDone);
                    return;
                };
                for h in 0..self.sc.hosts.len() {
                    let host = HostId(h as u16);
                    let wait = planner::estimate_wait(self.sc, host);
                    self.new_request(Requester::Planner, host, Service::Sendsize, port, wait);
                    self.planner.asked();
                }
            }
        }
    }

    pub(super) fn estimates_done(&mut self) {
        let now = self.sim.now();
        self.estimates_end = now;
        // The planner exits once it has written the schedule.
        if let Some(p) = self.planner.exit(self.sc.server.range) {
            self.ports.release(p);
            self.wake_lease_waiters();
            self.record(TraceEvent::Release {
                owner: Owner::Planner,
                port: p,
            });
        }
        // The queue is built in one go (as pushing each in turn would).
        let planner = &self.planner;
        self.driver.push_all(
            (0..self.sc.dles.len() as u32)
                .filter(|&i| planner.scheduled(self.sc.dles[i as usize].host))
                .map(DleId),
        );
        for (i, d) in self.sc.dles.iter().enumerate() {
            if !self.planner.scheduled(d.host) {
                let name = &self.sc.hosts[usize::from(d.host.0)].name;
                let st = &mut self.dles[i];
                st.fate = Some(DleFate::NotScheduled);
                st.message = match self.planner.failure(d.host) {
                    Some(msg) => msg.to_string(),
                    None => self.sc.server.profile.estimate_failed_text(name, false),
                };
                st.decided = now;
            }
        }
        self.record(TraceEvent::Schedule);
        let startup = self.sc.server.profile.driver_startup;
        if startup > SimDuration::ZERO {
            // The driver is not ready to dispatch yet (3.x taper start-up): as a sleep.
            let wake = self.driver.sleep_until(now + startup);
            self.carry_out(wake);
            return;
        }
        self.dispatch();
    }

    /// `start_some_dumps`: fill idle dumpers, lowest index first, as the driver decides. A
    /// start may end at once (no port): the driver sees each start's effects before the next.
    pub(super) fn dispatch(&mut self) {
        if !self.driver.may_fill() {
            return;
        }
        let now = self.sim.now();
        for i in 0..self.dumpers.len() {
            let ds = &self.dumpers[i];
            let slot = Slot {
                busy: ds.busy.is_some(),
                rest_until: ds.rest_until,
            };
            let (action, then) = self.driver.fill(now, i, slot);
            if let Some(a) = action {
                self.carry_out(a);
            }
            if then == Then::Stop {
                return;
            }
        }
    }

    /// Carries out one of the driver's decisions.
    fn carry_out(&mut self, action: driver::Action) {
        let now = self.sim.now();
        match action {
            driver::Action::Start { dumper, dle } => self.start_attempt(dumper, dle),
            driver::Action::WakeAt(t) => self.sim.schedule_at(t, Event::DriverWake),
            driver::Action::Dumped(dle) => {
                let st = &mut self.dles[dle.0 as usize];
                st.fate = Some(DleFate::Dumped);
                st.decided = now;
            }
            driver::Action::Retry(_) => {}
            driver::Action::GiveUp { .. } => unreachable!("a result's give-up goes to give_up"),
            driver::Action::Sleep { dumper, until } => {
                self.sim.schedule_at(until, Event::DriverWake);
                self.record(TraceEvent::DriverSleep { dumper });
            }
            driver::Action::Rest { dumper, until } => {
                self.dumpers[usize::from(dumper.0)].rest_until = until;
                self.record(TraceEvent::DumperRest { dumper });
            }
        }
    }

    /// Attempt `a`'s DLE failed for good: Amanda's message is the give-up text, or the
    /// attempt's own if it did not ask to try again.
    fn give_up(&mut self, a: u32, dle: DleId, retries_exhausted: bool) {
        let di = dle.0 as usize;
        let message = if retries_exhausted {
            let host = self.sc.dles[di].host;
            let name = &self.sc.hosts[usize::from(host.0)].name;
            self.sc.server.profile.gave_up_text(name)
        } else {
            self.attempts[a as usize].message.clone()
        };
        let st = &mut self.dles[di];
        st.fate = Some(DleFate::Failed);
        st.decided = self.sim.now();
        st.message = message;
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
        self.record(TraceEvent::AttemptStart {
            dumper: d,
            dle,
            host: self.sc.dles[dle.0 as usize].host,
            port,
        });
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
        self.record(TraceEvent::AttemptEnd {
            dumper,
            dle,
            host: self.sc.dles[dle.0 as usize].host,
            port,
            outcome,
        });
        self.results.push_back(a);
        if self.reads_at_select() {
            // The 2.4 driver's select() returns every result ready at this instant: it is read
            // after the other events of this microsecond (the kernel runs them first).
            if self.driver.awake() && !self.select_pending {
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
    /// queue's tail, and any sleep or rest the failure costs.
    fn read_result(&mut self, a: u32) {
        let at = &self.attempts[a as usize];
        let (dle, dumper, outcome) = (at.dle, at.dumper, at.outcome.expect("ended"));
        let ds = &mut self.dumpers[usize::from(dumper.0)];
        ds.busy = None;
        if outcome != Outcome::Done {
            ds.failed_attempts += 1;
        }
        for action in self.driver.result(self.sim.now(), dle, dumper, outcome) {
            match action {
                driver::Action::GiveUp {
                    dle,
                    retries_exhausted,
                } => self.give_up(a, dle, retries_exhausted),
                other => self.carry_out(other),
            }
        }
    }

    /// The event-driven drivers (2.5+): each result is read as it comes, then idle dumpers
    /// are filled.
    fn process_results(&mut self) {
        while self.driver.awake() {
            let Some(a) = self.results.pop_front() else {
                break;
            };
            self.read_result(a);
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
        // Sorted where they lie and moved over: no vector per `select()`.
        let attempts = &self.attempts;
        self.results
            .make_contiguous()
            .sort_by_key(|&a| attempts[a as usize].dumper);
        self.selected.append(&mut self.results);
    }

    /// 2.4 (`driver.c` main loop, `amanda245` lines 377-406): reads the results `select()`
    /// returned one by one; each failure calls `sleep(15)` (`handle_dumper_result`, lines 1213
    /// and 1236) and the rest wait for the wake. Only when all are read does `start_some_dumps`
    /// run; results that came during the sleeps are read at the next `select()`, at once.
    fn read_selected(&mut self) {
        loop {
            while let Some(a) = self.selected.pop_front() {
                self.read_result(a);
                if !self.driver.awake() {
                    return;
                }
            }
            self.dispatch();
            if self.results.is_empty() {
                return;
            }
            self.take_ready();
        }
    }

    pub(super) fn driver_wake(&mut self) {
        match self.driver.wake(self.sim.now()) {
            Woke::FromSleep if self.reads_at_select() => self.read_selected(),
            Woke::FromSleep => {
                // 3.x's start-up is over.
                self.dispatch();
                self.process_results();
            }
            Woke::StillAsleep => {}
            Woke::Fill if self.select_pending => self.select(),
            Woke::Fill => self.dispatch(),
        }
    }
}
