//! The measures `validate` puts side by side, each computed the same way from a simulated night
//! ([`RunResult`]) and from a real one ([`RealNight`]).
//!
//! Times are seconds since amdump's start (the simulator's time zero). A measure that a night
//! does not have (no retry, hence no retry delay) is `None` for that night and leaves it out of
//! that measure's distribution.

use crate::amanda::log::{RealAttempt, RealNight};
use crate::model::DumperId;
use crate::model::measures::median;
use crate::model::outcome::{DleFate, Outcome};
use crate::model::site::RunResult;
use serde::Serialize;

/// One measure of a night.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// Dumpers that bound a UDP port.
    DumpersBound,
    /// Seconds from amdump's start to the first dump's dispatch.
    FirstDispatch,
    /// Seconds from the first to the last dumper's first dispatch.
    DispatchSpread,
    /// Dumpers that ran attempts and failed every one.
    BadDumpers,
    /// Attempts that failed.
    FailedAttempts,
    /// Median seconds from a failed attempt's dispatch to its failure.
    FailAfter,
    /// Median seconds from a failure to the dispatch of the same DLE's retry.
    RetryDelay,
    /// Share of retries dispatched to the dumper that had just failed the DLE.
    RetrySameDumper,
    /// Median seconds of a retry that dumped its DLE (dispatch to DONE).
    RescuedRetry,
    /// DLEs not dumped.
    LostDles,
    /// 1 when the planner failed for some host (its DLEs never scheduled), else 0.
    PlannerFailed,
    /// amdump's exit code (a bit mask: 1 error, 4 a DLE failed).
    ExitCode,
    /// Seconds from amdump's start to the last DLE's fate.
    Window,
}

impl Measure {
    /// Every measure, in report order.
    pub const ALL: [Measure; 13] = [
        Measure::DumpersBound,
        Measure::FirstDispatch,
        Measure::DispatchSpread,
        Measure::BadDumpers,
        Measure::FailedAttempts,
        Measure::FailAfter,
        Measure::RetryDelay,
        Measure::RetrySameDumper,
        Measure::RescuedRetry,
        Measure::LostDles,
        Measure::PlannerFailed,
        Measure::ExitCode,
        Measure::Window,
    ];

    /// The name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            Measure::DumpersBound => "dumpers-bound",
            Measure::FirstDispatch => "first-dispatch",
            Measure::DispatchSpread => "dispatch-spread",
            Measure::BadDumpers => "bad-dumpers",
            Measure::FailedAttempts => "failed-attempts",
            Measure::FailAfter => "fail-after",
            Measure::RetryDelay => "retry-delay",
            Measure::RetrySameDumper => "retry-same-dumper",
            Measure::RescuedRetry => "rescued-retry",
            Measure::LostDles => "lost-dles",
            Measure::PlannerFailed => "planner-failed",
            Measure::ExitCode => "exit-code",
            Measure::Window => "window",
        }
    }

    /// What it is, for people.
    pub fn label(self) -> &'static str {
        match self {
            Measure::DumpersBound => "dumpers bound",
            Measure::FirstDispatch => "first dispatch (s)",
            Measure::DispatchSpread => "dispatch spread (s)",
            Measure::BadDumpers => "bad dumpers",
            Measure::FailedAttempts => "failed attempts",
            Measure::FailAfter => "failure after REQ (s)",
            Measure::RetryDelay => "retry delay (s)",
            Measure::RetrySameDumper => "retries on the failed dumper",
            Measure::RescuedRetry => "rescued retry (s)",
            Measure::LostDles => "lost DLEs",
            Measure::PlannerFailed => "planner failed",
            Measure::ExitCode => "amdump exit code",
            Measure::Window => "window (s)",
        }
    }

    /// Whether values are categories (compared for equality, not placed on a scale).
    pub fn categorical(self) -> bool {
        self == Measure::ExitCode
    }
}

/// One night's values, by measure (in [`Measure::ALL`] order).
#[derive(Clone, Debug, PartialEq)]
pub struct NightValues(pub [Option<f64>; 13]);

impl NightValues {
    /// The value of `m`.
    pub fn get(&self, m: Measure) -> Option<f64> {
        let i = Measure::ALL.iter().position(|&x| x == m).expect("listed");
        self.0[i]
    }
}

/// One attempt, as both sides know it.
#[derive(Clone, Copy, Debug)]
struct Att {
    dle: usize,
    dumper: DumperId,
    start: f64,
    end: Option<f64>,
    outcome: Option<Outcome>,
}

/// The measures both sides share, from attempts, DLE fates and the rest.
struct Common {
    attempts: Vec<Att>,
    dumpers_bound: usize,
    dle_fates: Vec<Option<DleFate>>,
    planner_failed: bool,
    exit: Option<i32>,
    window: Option<f64>,
}

impl Common {
    fn values(&self) -> NightValues {
        let a = &self.attempts;
        let failed = |x: &Att| matches!(x.outcome, Some(Outcome::TryAgain | Outcome::Failed));
        // First dispatch of each dumper.
        let mut firsts: Vec<(DumperId, f64)> = Vec::new();
        for x in a {
            if !firsts.iter().any(|(d, _)| *d == x.dumper) {
                firsts.push((x.dumper, x.start));
            }
        }
        let first = firsts.iter().map(|f| f.1).fold(f64::INFINITY, f64::min);
        let last = firsts.iter().map(|f| f.1).fold(f64::NEG_INFINITY, f64::max);
        let bad = firsts
            .iter()
            .filter(|(d, _)| a.iter().filter(|x| x.dumper == *d).all(failed))
            .count();
        let fail_after: Vec<f64> = a
            .iter()
            .filter(|x| failed(x))
            .filter_map(|x| x.end.map(|e| e - x.start))
            .collect();
        let (mut delays, mut same, mut rescued) = (Vec::new(), Vec::new(), Vec::new());
        for (i, x) in a.iter().enumerate() {
            let Some(prev) = a[..i].iter().rev().find(|p| p.dle == x.dle) else {
                continue;
            };
            if let Some(e) = prev.end {
                delays.push(x.start - e);
            }
            same.push(if prev.dumper == x.dumper { 1.0 } else { 0.0 });
            if x.outcome == Some(Outcome::Done)
                && let Some(e) = x.end
            {
                rescued.push(e - x.start);
            }
        }
        let lost = self
            .dle_fates
            .iter()
            .filter(|f| **f != Some(DleFate::Dumped))
            .count();
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        NightValues([
            Some(self.dumpers_bound as f64),
            (!firsts.is_empty()).then_some(first),
            (!firsts.is_empty()).then_some(last - first),
            Some(bad as f64),
            Some(a.iter().filter(|x| failed(x)).count() as f64),
            median(fail_after),
            median(delays),
            mean(&same),
            median(rescued),
            Some(lost as f64),
            Some(if self.planner_failed { 1.0 } else { 0.0 }),
            self.exit.map(f64::from),
            self.window,
        ])
    }
}

/// A simulated night's values.
pub fn of_sim(r: &RunResult) -> NightValues {
    let attempts = r
        .attempts
        .iter()
        .map(|x| Att {
            dle: x.dle.0 as usize,
            dumper: x.dumper,
            start: x.start.as_secs_f64(),
            end: x.outcome.map(|_| x.end.as_secs_f64()),
            outcome: x.outcome,
        })
        .collect();
    Common {
        attempts,
        dumpers_bound: r.dumpers.iter().filter(|d| d.port.is_some()).count(),
        dle_fates: r.dles.iter().map(|d| d.fate).collect(),
        planner_failed: r.dles.iter().any(|d| d.fate == Some(DleFate::NotScheduled)),
        exit: Some(r.amdump_exit()),
        window: Some(r.window.as_secs_f64()),
    }
    .values()
}

/// A real night's values.
pub fn of_real(n: &RealNight) -> NightValues {
    let dle_of = |x: &RealAttempt| {
        n.dles
            .iter()
            .position(|d| d.host == x.host && d.disk == x.disk)
            .unwrap_or(usize::MAX)
    };
    let attempts = n
        .attempts
        .iter()
        .map(|x| Att {
            dle: dle_of(x),
            dumper: x.dumper,
            start: x.start.as_secs_f64(),
            end: x.end.map(|e| e.as_secs_f64()),
            outcome: x.outcome,
        })
        .collect();
    Common {
        attempts,
        dumpers_bound: n.dumpers.iter().filter(|d| d.socket.port.is_some()).count(),
        dle_fates: n.dles.iter().map(|d| d.fate).collect(),
        planner_failed: !n.planner_failures.is_empty(),
        exit: n.exit_status,
        window: n.window.map(|w| w.as_secs_f64()),
    }
    .values()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn retries_are_measured_from_the_failure() {
        let att = |dle, d, start, end, o| Att {
            dle,
            dumper: DumperId(d),
            start,
            end: Some(end),
            outcome: Some(o),
        };
        let c = Common {
            attempts: vec![
                att(0, 0, 5.0, 35.0, Outcome::TryAgain),
                att(1, 1, 5.0, 10.0, Outcome::Done),
                att(0, 1, 35.5, 100.0, Outcome::Done),
            ],
            dumpers_bound: 2,
            dle_fates: vec![Some(DleFate::Dumped), Some(DleFate::Dumped)],
            planner_failed: false,
            exit: Some(0),
            window: Some(100.0),
        };
        let v = c.values();
        assert_eq!(v.get(Measure::FailedAttempts), Some(1.0));
        assert_eq!(v.get(Measure::FailAfter), Some(30.0));
        assert_eq!(v.get(Measure::RetryDelay), Some(0.5));
        assert_eq!(v.get(Measure::RetrySameDumper), Some(0.0));
        assert_eq!(v.get(Measure::RescuedRetry), Some(64.5));
        assert_eq!(v.get(Measure::BadDumpers), Some(1.0));
        assert_eq!(v.get(Measure::LostDles), Some(0.0));
    }
}
