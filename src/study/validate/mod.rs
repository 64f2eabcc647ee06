//! `portsim validate`: real Amanda nights beside M simulated nights of the same scenario.
//!
//! Each measure ([`measure::Measure`]) is computed the same way from both. The simulated values
//! over M nights make a distribution (mean, quartiles, the central 95% range); each real night's
//! value is placed in it: its mid-rank percentile, and whether it lies inside the 95% range.
//! When it does not, [`mechanism`] names why, from what the real night's logs show (a process
//! the model does not simulate, machine load, ...), or says plainly that no known mechanism
//! explains it.

pub mod lab;
pub mod measure;

use crate::amanda::log::RealNight;
use crate::model::site;
use crate::scenario::Scenario;
use measure::{Measure, NightValues};
use serde::Serialize;

/// One real night and where it came from.
#[derive(Clone, Debug)]
pub struct RealRun {
    /// The run directory.
    pub dir: String,
    /// Its night, as read from Amanda's logs.
    pub night: RealNight,
    /// Whether the run's own rendered scenario (`config/scenario.json`) is the one validated:
    /// `Some(false)` when it differs, `None` when the run has none (a recipe run).
    pub same_scenario: Option<bool>,
}

/// The simulated distribution of one measure.
#[derive(Clone, Debug, Serialize)]
pub struct Dist {
    /// Nights that had a value.
    pub n: usize,
    /// Mean.
    pub mean: Option<f64>,
    /// 2.5th percentile (nearest rank).
    pub p2_5: Option<f64>,
    /// 25th.
    pub p25: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 75th.
    pub p75: Option<f64>,
    /// 97.5th.
    pub p97_5: Option<f64>,
    /// Smallest.
    pub min: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
    /// For categorical measures: each value and its share of nights.
    pub shares: Vec<(f64, f64)>,
    /// The sorted values (for placing real ones).
    #[serde(skip)]
    pub sorted: Vec<f64>,
}

impl Dist {
    /// The distribution of `values` (`None`s left out).
    pub fn of(values: impl Iterator<Item = Option<f64>>, categorical: bool) -> Dist {
        let mut v: Vec<f64> = values.flatten().collect();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let q = |p: f64| -> Option<f64> {
            if n == 0 {
                return None;
            }
            // Nearest rank: the smallest value with at least p of the nights at or below it.
            let k = ((p * n as f64).ceil() as usize).clamp(1, n);
            Some(v[k - 1])
        };
        let mut shares: Vec<(f64, f64)> = Vec::new();
        if categorical {
            for &x in &v {
                match shares.last_mut() {
                    Some((y, c)) if *y == x => *c += 1.0,
                    _ => shares.push((x, 1.0)),
                }
            }
            for s in &mut shares {
                s.1 /= n as f64;
            }
        }
        Dist {
            n,
            mean: (n > 0).then(|| v.iter().sum::<f64>() / n as f64),
            p2_5: q(0.025),
            p25: q(0.25),
            p50: q(0.5),
            p75: q(0.75),
            p97_5: q(0.975),
            min: v.first().copied(),
            max: v.last().copied(),
            shares,
            sorted: v,
        }
    }

    /// Mid-rank percentile of `x`: the share of nights below it plus half of those equal.
    pub fn percentile(&self, x: f64) -> Option<f64> {
        if self.sorted.is_empty() {
            return None;
        }
        let below = self.sorted.iter().filter(|&&y| y < x).count() as f64;
        let equal = self.sorted.iter().filter(|&&y| y == x).count() as f64;
        Some(100.0 * (below + equal / 2.0) / self.sorted.len() as f64)
    }

    /// Whether `x` lies in the central 95% range (for categories: whether any night had it).
    pub fn inside(&self, x: f64, categorical: bool) -> Option<bool> {
        if categorical {
            return (!self.sorted.is_empty()).then(|| self.sorted.contains(&x));
        }
        Some(x >= self.p2_5? - 1e-9 && x <= self.p97_5? + 1e-9)
    }
}

/// A real value placed in the simulated distribution.
#[derive(Clone, Debug, Serialize)]
pub struct Placement {
    /// The run directory.
    pub run: String,
    /// The real value (none: the real night has no such value).
    pub value: Option<f64>,
    /// Its mid-rank percentile among the simulated nights.
    pub percentile: Option<f64>,
    /// Inside the simulated 95% range (none: nothing to compare).
    pub inside: Option<bool>,
    /// When outside: the mechanism that explains the difference.
    pub why: Option<String>,
}

/// One measure, both sides.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The measure.
    pub measure: Measure,
    /// Its label.
    pub label: &'static str,
    /// The simulated distribution.
    pub sim: Dist,
    /// Each real night, placed.
    pub real: Vec<Placement>,
}

/// A validation: a scenario, its real nights and its simulated ones.
#[derive(Clone, Debug, Serialize)]
pub struct Validation {
    /// Scenario name.
    pub scenario: String,
    /// Amanda version of the profile simulated.
    pub version: String,
    /// Seed of the simulated nights.
    pub seed: u64,
    /// Simulated nights.
    pub nights: usize,
    /// The real runs, in the order given.
    pub runs: Vec<RunInfo>,
    /// One row per measure.
    pub rows: Vec<Row>,
    /// How to reproduce it.
    pub command: String,
}

/// What the report says about one real run.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    /// Directory.
    pub dir: String,
    /// Whether its rendered scenario is the one validated (none: unknown, a recipe run).
    pub same_scenario: Option<bool>,
    /// amdump's exit code.
    pub exit: Option<i32>,
    /// WARNING/ERROR/FATAL lines of its trace log.
    pub notices: Vec<String>,
    /// `already running, acking req` lines in its amandad logs.
    pub already_running: u32,
}

/// Simulates `nights` nights of `sc` and places every real night among them.
pub fn validate(sc: &Scenario, reals: &[RealRun], nights: usize, command: String) -> Validation {
    let sims: Vec<NightValues> = (0..nights as u64)
        .map(|r| measure::of_sim(&site::run(sc, r, false)))
        .collect();
    let real_values: Vec<NightValues> = reals.iter().map(|r| measure::of_real(&r.night)).collect();
    let rows = Measure::ALL
        .iter()
        .map(|&m| {
            let sim = Dist::of(sims.iter().map(|v| v.get(m)), m.categorical());
            let real = reals
                .iter()
                .zip(&real_values)
                .map(|(run, v)| {
                    let value = v.get(m);
                    let inside = value.and_then(|x| sim.inside(x, m.categorical()));
                    Placement {
                        run: run.dir.clone(),
                        value,
                        percentile: value.and_then(|x| sim.percentile(x)),
                        inside,
                        why: (inside == Some(false))
                            .then(|| mechanism(m, value.unwrap_or_default(), &sim, run)),
                    }
                })
                .collect();
            Row {
                measure: m,
                label: m.label(),
                sim,
                real,
            }
        })
        .collect();
    Validation {
        scenario: sc.name.clone(),
        version: format!("{:?}", sc.server.profile.version),
        seed: sc.seed,
        nights,
        runs: reals
            .iter()
            .map(|r| RunInfo {
                dir: r.dir.clone(),
                same_scenario: r.same_scenario,
                exit: r.night.exit_status,
                notices: r.night.notices.clone(),
                already_running: r.night.client.already_running,
            })
            .collect(),
        rows,
        command,
    }
}

/// Seconds between the first and the last `Can't bind a socket` failure of a real night.
fn no_port_spread(n: &RealNight) -> f64 {
    let ends: Vec<f64> = n
        .attempts
        .iter()
        .filter(|a| a.message.contains("Can't bind a socket"))
        .filter_map(|a| a.end.map(|e| e.as_secs_f64()))
        .collect();
    let lo = ends.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ends.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if ends.len() > 1 { hi - lo } else { 0.0 }
}

/// Why a real value lies outside the simulated 95% range, from what its night's logs show.
///
/// Each mechanism is checked against the run before it is named; the last resort says that
/// the difference is unexplained, so that it is investigated rather than excused.
pub fn mechanism(m: Measure, x: f64, sim: &Dist, run: &RealRun) -> String {
    let n = &run.night;
    let above = sim.p97_5.is_some_and(|p| x > p);
    let fatal = n.notices.iter().find(|t| t.starts_with("FATAL"));
    let slow_start = n
        .attempts
        .first()
        .zip(n.estimates_end)
        .map(|(a, e)| a.start.as_secs_f64() - e.as_secs_f64())
        .filter(|d| *d > 6.0);
    if n.exit_status.is_none() && n.driver_end.is_none() {
        return "the run did not finish: no driver FINISH and no amdump exit in its logs (the lab's run timeout killed amdump), so the night was cut short".into();
    }
    let est_end = n.estimates_end.map(|e| e.as_secs_f64());
    let first = n.attempts.first().map(|a| a.start.as_secs_f64());
    match m {
        Measure::FirstDispatch
            if slow_start.is_none()
                && first
                    .zip(est_end)
                    .is_some_and(|(f, e)| (1.5..=6.0).contains(&(f - e))) =>
        {
            let (f, e) = first.zip(est_end).unwrap_or_default();
            return format!(
                "start-up: the real estimate phase ended at {e:.2} s (planner start-up, and sendsize running tar on every DLE, which the scenario's `estimate_s` leaves out) and the driver's own start-up after it took {:.2} s; portsim uses 4.4 s for the latter, the lab's quiet runs took 2.0-4.5 s (taper start-up varies from run to run)",
                f - e
            );
        }
        Measure::FailAfter
            if no_port_spread(n) > 0.0 && (x - sim.p50.unwrap_or_default()).abs() < 5.0 =>
        {
            return format!(
                "the rescan period: portsim's dumper gives up after 50 scans of 15.8 s and 10 s of bind tries ({:.1} s); the real scans are 15 s of sleep plus a scan whose length varies with load ({x:.1} s here)",
                sim.p50.unwrap_or_default()
            );
        }
        Measure::RescuedRetry | Measure::Window if no_port_spread(n) > 5.0 => {
            return format!(
                "the real dumpers without a port gave up {:.1} s apart (each runs out of descriptors after its own count of scans), so their DLEs' retries ran one at a time; portsim's give up within a second and their retries share the link",
                no_port_spread(n)
            );
        }
        Measure::RescuedRetry
            if above && (x - sim.p97_5.unwrap_or_default() - 10.0).abs() < 1.5 =>
        {
            return "one REP resend period (10 s) more: the rescue waits for the other dump's MESG expectation to die and then for the client's next REP resend, which the real expectation missed by a few seconds".into();
        }
        Measure::FailAfter if above && sim.p97_5.is_some_and(|p| x - p < 2.0) => {
            return format!(
                "measured from the driver's send-cmd: the real dumper starts, binds and sends its REQ {:.2} s after the command (its own debug log gives 30.0 s from REQ to `timeout waiting for ACK`); portsim sends the REQ at the dispatch",
                x - sim.p97_5.unwrap_or_default()
            );
        }
        Measure::DispatchSpread
            if above
                && slow_start.is_none()
                && n.dumpers.len() > 1
                && x / (n.dumpers.len() as f64 - 1.0) < 0.2 =>
        {
            return format!(
                "the real driver writes its dump commands one after another ({:.0} ms per dumper here); portsim dispatches every idle dumper in one instant",
                1000.0 * x / (n.dumpers.len() as f64 - 1.0)
            );
        }
        Measure::Window
            if above
                && slow_start.is_none()
                && n.planner
                    .as_ref()
                    .and_then(|p| p.bound_at)
                    .is_some_and(|t| {
                        x - sim.p97_5.unwrap_or_default() <= t.as_secs_f64() + 2.0
                    }) =>
        {
            let t = n
                .planner
                .as_ref()
                .and_then(|p| p.bound_at)
                .map_or(0.0, |t| t.as_secs_f64());
            return format!(
                "start-up: the real planner bound its socket and sent its first REQ {t:.2} s after amdump started (amdump forks planner and driver, each reads the configuration) and the driver ends after the planner; portsim's planner asks at time 0. The difference, {:.2} s, is that start-up",
                x - sim.p97_5.unwrap_or_default()
            );
        }
        Measure::ExitCode => {
            let code = x as i32;
            if code & 1 == 1
                && let Some(f) = fatal
            {
                let share = sim
                    .shares
                    .iter()
                    .find(|s| s.0 as i32 == code & !1)
                    .map_or(0.0, |s| s.1);
                return format!(
                    "bit 1 comes from a process portsim does not simulate: `{f}` (Report.pm sets 1 for every FATAL/ERROR line); without it the code is {}, which the model gives in {:.0}% of nights",
                    code & !1,
                    100.0 * share
                );
            }
            if code == 124 {
                return "killed by the lab's run timeout (124 is timeout(1)'s code, not amdump's)"
                    .into();
            }
        }
        Measure::FirstDispatch | Measure::Window | Measure::DispatchSpread
            if above && slow_start.is_some() =>
        {
            return format!(
                "machine load: the real driver sent its first dump {:.1} s after the schedule \
                 (4.4 s on a quiet machine, portsim's figure); taper and chunker start-up are \
                 CPU-bound and the lab shared 2 cores with builds",
                slow_start.unwrap_or_default()
            );
        }
        Measure::RetryDelay if above => {
            return "the retry's delay is the chunker round trip (ABORT, a new chunker, \
                    SHM-WRITE), not a timer: 0.2-0.9 s on a quiet machine (portsim: 0.2-0.9 s), \
                    seconds under load; the later of several simultaneous retries wait for \
                    their chunkers one after another"
                .into();
        }
        _ => {}
    }
    if slow_start.is_some() && above {
        return format!(
            "machine load (the first dump left {:.1} s after the schedule instead of 4.4 s): \
             every process start-up in the night is slower than the model's quiet-machine \
             figures",
            slow_start.unwrap_or_default()
        );
    }
    if let (Some(lo), Some(hi), Some(p)) = (sim.min, sim.max, sim.percentile(x))
        && (lo..=hi).contains(&x)
        && !m.categorical()
    {
        return format!(
            "chance: the value lies within the simulated nights' extremes (percentile {p:.1}); about 1 real value in 20 falls outside a 95% range by chance"
        );
    }
    if run.same_scenario == Some(false) {
        return "the run's rendered scenario differs from the one validated".into();
    }
    "no mechanism known to portsim explains it: a disagreement to investigate".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_in_a_distribution() {
        let d = Dist::of((1..=40).map(|i| Some(f64::from(i))), false);
        assert_eq!(d.n, 40);
        assert_eq!(d.p2_5, Some(1.0));
        assert_eq!(d.p97_5, Some(39.0));
        assert_eq!(d.p50, Some(20.0));
        assert_eq!(d.percentile(20.0), Some(48.75));
        assert_eq!(d.inside(39.0, false), Some(true));
        assert_eq!(d.inside(40.0, false), Some(false));
        let c = Dist::of([Some(4.0), Some(5.0), Some(4.0), None].into_iter(), true);
        assert_eq!(c.shares, vec![(4.0, 2.0 / 3.0), (5.0, 1.0 / 3.0)]);
        assert_eq!(c.inside(1.0, true), Some(false));
        assert_eq!(c.inside(5.0, true), Some(true));
    }
}
