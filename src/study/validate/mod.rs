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
mod why;

pub use why::mechanism;

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
        version: serde_json::to_value(sc.server.profile.version)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
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
