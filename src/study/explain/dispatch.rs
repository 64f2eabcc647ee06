//! Why the driver started an attempt when it did, and on that dumper.

use super::*;

/// What the lower-numbered dumpers were doing when the driver filled a dumper.
#[derive(Default)]
struct Lower {
    busy: Vec<u16>,
    took_other: Vec<u16>,
    idle: Vec<u16>,
}

impl Night<'_> {
    /// Why the driver started attempt `a` when it did, and on that dumper.
    pub(super) fn dispatch(&self, a: usize, nth: u32) -> Step {
        let at = &self.run.attempts[a];
        let idx = self.start_index(a).unwrap_or(0);
        let lower = self.lower_dumpers(a, idx);
        let sent = self.sent_late(a, idx);
        let order = self
            .sc
            .file
            .server
            .dumporder
            .chars()
            .nth(usize::from(at.dumper.0))
            .unwrap_or('T');
        Step::Dispatch {
            at: At(self.ev.get(idx).map_or(at.start, |e| e.t)),
            sent,
            attempt: nth,
            dumper: at.dumper.0,
            port: at.port.map(|p| p.0),
            in_range: self.in_range(at.port),
            trigger: self.trigger(a, nth, idx),
            order,
            lower_busy: lower.busy,
            lower_took_other: lower.took_other,
            lower_idle: lower.idle,
        }
    }

    /// What made the driver look at the time attempt `a` (the `nth` of its DLE) was dispatched
    /// (record `idx`).
    fn trigger(&self, a: usize, nth: u32, idx: usize) -> Trigger {
        let at = &self.run.attempts[a];
        let t = self.ev.get(idx).map_or(at.start, |e| e.t);
        let pause = self.pause();
        let host = self.sc.dles[at.dle.0 as usize].host;
        let before = || self.ev[..idx].iter().rev();
        // 3.x starts its taper and chunkers first (`driver_startup`, 0 for 2.x).
        if t == self.run.estimates_end + self.sc.server.profile.driver_startup {
            return Trigger::Schedule;
        }
        // 3.x: the failure's result puts the DLE back in the run queue and the driver fills
        // idle dumpers at that very instant (driver.c, dumper_chunker_result).
        if nth > 1
            && matches!(
                self.sc.server.profile.failure_pause,
                FailurePause::Requeue(_)
            )
            && let Some(e) = before()
                .find(|e| e.kind == TraceKind::AttemptEnd && e.dle == Some(at.dle) && e.t == t)
        {
            return Trigger::Requeued {
                failed_on: e.dumper.map_or(0, |d| d.0),
            };
        }
        if let Some(s) = before()
            .find(|e| e.kind == TraceKind::DriverSleep && e.t + pause == t && e.dumper.is_some())
        {
            return Trigger::DriverWoke {
                slept_at: At(s.t),
                after: s.dumper.map_or(0, |d| d.0),
            };
        }
        if let Some(e) = before().find(|e| e.kind == TraceKind::AttemptEnd && e.t == t) {
            return Trigger::ResultRead {
                dumper: e.dumper.map_or(0, |d| d.0),
            };
        }
        let gap = self.sc.server.profile.host_gap;
        // No gap (3.4 on): a dump of the same host started at this instant is no reason.
        if let Some(prev) = before()
            .filter(|_| gap > SimDuration::ZERO)
            .find(|e| e.kind == TraceKind::AttemptStart && e.host == Some(host) && e.t + gap == t)
        {
            return Trigger::HostGap {
                previous: At(prev.t),
            };
        }
        if let Some(prev) = before()
            .find(|e| e.kind == TraceKind::AttemptEnd && e.dle == Some(at.dle) && e.t + pause == t)
        {
            return Trigger::RetryHold { since: At(prev.t) };
        }
        Trigger::Other
    }

    /// The dumpers below attempt `a`'s at its start record `idx`: running (or holding a result
    /// the driver has not read), started at this very instant, or idle.
    fn lower_dumpers(&self, a: usize, idx: usize) -> Lower {
        let at = &self.run.attempts[a];
        // The dispatch instant (3.x's request may leave later).
        let now = self.ev.get(idx).map_or(at.start, |e| e.t);
        let mut out = Lower::default();
        for j in 0..at.dumper.0 {
            let dj = DumperId(j);
            let last_start = self.ev[..idx]
                .iter()
                .rposition(|e| e.kind == TraceKind::AttemptStart && e.dumper == Some(dj));
            if last_start.is_some_and(|s| self.ev[s].t == now) {
                out.took_other.push(j);
            } else if last_start.is_some_and(|s| self.holds(dj, s, idx, now)) {
                out.busy.push(j);
            } else {
                out.idle.push(j);
            }
        }
        out
    }

    /// Whether dumper `dj`, which started an attempt at record `s`, is still held at record
    /// `idx` (time `t`): its attempt runs, or it ended while the 2.4 driver slept and the
    /// result waits, unread, until the driver wakes (it dispatches before reading them).
    fn holds(&self, dj: DumperId, s: usize, idx: usize, t: SimTime) -> bool {
        let Some(k) = self.ev[s..idx]
            .iter()
            .position(|e| e.kind == TraceKind::AttemptEnd && e.dumper == Some(dj))
        else {
            return true;
        };
        if !matches!(
            self.sc.server.profile.failure_pause,
            FailurePause::Driver(_)
        ) {
            return false;
        }
        let pause = self.pause();
        let (ei, end) = (s + k, self.ev[s + k].t);
        let asleep = self.ev[..ei]
            .iter()
            .any(|e| e.kind == TraceKind::DriverSleep && end < e.t + pause && e.t + pause >= t);
        let read = self.ev[ei..idx].iter().any(|e| {
            matches!(e.kind, TraceKind::DriverSleep | TraceKind::DumperRest) && e.dumper == Some(dj)
        });
        asleep && !read
    }
}
