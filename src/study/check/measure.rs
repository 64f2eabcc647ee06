//! One night's value of a measure: read from `run`'s result, its totals, or `compare`'s measures.

use super::plan::{Count, Expectation, Filter, Measure, PortClass, SummaryField};
use crate::model::measures::{Measures, StaticExposure, Summary};
use crate::model::outcome::{DleFate, Outcome};
use crate::model::ports::{Port, PortRange};
use crate::model::site::{Attempt, RunResult};
use crate::scenario::Scenario;

/// One simulated night, with what every measure reads.
pub struct Night<'a> {
    /// The scenario that ran.
    pub sc: &'a Scenario,
    /// The range as the scenario file configures it (a fault may have hidden it from the model).
    pub range: Option<PortRange>,
    /// The night.
    pub result: &'a RunResult,
    /// `run`'s totals of it.
    pub summary: Summary,
    /// `compare`'s measures of it, when a check asks for them.
    pub measures: Option<[f64; 9]>,
}

impl<'a> Night<'a> {
    /// Wraps a night's result; `exposure` is given when a `measures.*` check needs it.
    pub fn new(
        sc: &'a Scenario,
        range: Option<PortRange>,
        result: &'a RunResult,
        exposure: Option<StaticExposure>,
    ) -> Night<'a> {
        Night {
            sc,
            range,
            result,
            summary: Summary::of(sc, result),
            measures: exposure.map(|x| Measures::of(result, x).values()),
        }
    }

    fn class(&self, p: Option<Port>) -> PortClass {
        match (p, self.range) {
            (None, _) => PortClass::None,
            (Some(p), Some(r)) if r.contains(p) => PortClass::InRange,
            (Some(_), _) => PortClass::OutsideRange,
        }
    }

    fn host_name(&self, h: usize) -> &str {
        &self.sc.hosts[h].name
    }

    fn attempt_matches(&self, a: &Attempt, f: &Filter) -> bool {
        let h = usize::from(self.sc.dles[a.dle.0 as usize].host.0);
        f.host(h)
            && f.dumper(a.dumper.0)
            && f.cause.is_none_or(|c| c == a.cause)
            && f.outcome.is_none_or(|o| a.outcome == Some(o))
            && f.port.is_none_or(|p| p == self.class(a.port))
            && f.message(&a.message, self.host_name(h))
    }

    fn dle_matches(&self, i: usize, f: &Filter) -> bool {
        let st = &self.result.dles[i];
        let h = usize::from(self.sc.dles[i].host.0);
        f.host(h)
            && f.fate.is_none_or(|x| st.fate == Some(x))
            && f.message(&st.message, self.host_name(h))
    }

    /// The value of `e`'s measure tonight.
    pub fn value(&self, e: &Expectation) -> f64 {
        let keep =
            |m: &dyn Fn(&Filter) -> bool| m(&e.filter) && e.except.as_ref().is_none_or(|x| !m(x));
        match e.measure {
            Measure::Summary(f) => summary(&self.summary, f),
            Measure::Night(i) => self.measures.expect("exposure computed for measures.*")[i],
            Measure::Count(c) => {
                let r = self.result;
                match c {
                    Count::Attempts | Count::FailedAttempts => {
                        r.attempts
                            .iter()
                            .filter(|a| c == Count::Attempts || a.outcome != Some(Outcome::Done))
                            .filter(|a| keep(&|f| self.attempt_matches(a, f)))
                            .count() as f64
                    }
                    Count::LostDles | Count::HostsWithLostDles => {
                        let mut hosts = vec![false; self.sc.hosts.len()];
                        let mut n = 0;
                        for (i, st) in r.dles.iter().enumerate() {
                            if st.fate == Some(DleFate::Dumped)
                                || !keep(&|f| self.dle_matches(i, f))
                            {
                                continue;
                            }
                            n += 1;
                            hosts[usize::from(self.sc.dles[i].host.0)] = true;
                        }
                        if c == Count::LostDles {
                            n as f64
                        } else {
                            hosts.iter().filter(|&&x| x).count() as f64
                        }
                    }
                    Count::DumpersInRange | Count::DumpersOutsideRange => {
                        let want = if c == Count::DumpersInRange {
                            PortClass::InRange
                        } else {
                            PortClass::OutsideRange
                        };
                        r.dumpers
                            .iter()
                            .enumerate()
                            .filter(|(i, d)| {
                                self.class(d.port) == want && keep(&|f| f.dumper(*i as u16))
                            })
                            .count() as f64
                    }
                    Count::PlannerInRange => {
                        let p = r.planner_port.map(|(p, _)| p);
                        f64::from(u8::from(self.class(p) == PortClass::InRange))
                    }
                }
            }
        }
    }
}

fn summary(s: &Summary, f: SummaryField) -> f64 {
    match f {
        SummaryField::Dles => s.dles as f64,
        SummaryField::Dumped => s.dumped as f64,
        SummaryField::Failed => s.failed as f64,
        SummaryField::NotScheduled => s.not_scheduled as f64,
        SummaryField::Attempts => s.attempts as f64,
        SummaryField::FailedAttempts => s.failed_attempts as f64,
        SummaryField::FailedFirewalled => s.failed_firewalled as f64,
        SummaryField::WaitedForPort => s.waited_for_port as f64,
        SummaryField::WindowS => s.window_s,
        SummaryField::EstimatesS => s.estimates_s,
        SummaryField::DroppedPackets => s.dropped_packets as f64,
        SummaryField::Events => s.events as f64,
    }
}
