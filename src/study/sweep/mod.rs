//! `portsim sweep`: one or two settings varied over a grid, every point run for the same nights.
//!
//! A varied setting is any scenario path that `--set` takes (`server.inparallel`,
//! `server.udpportrange.1`, `network.links.0.capacity_mb_s`), several paths tied to one value
//! (`server.udpportrange.1,firewall.rules.0.dst_ports.1`), or a parameter of the `--remedy`
//! applied at every point (`stateful-firewall.two_way_s`). Night r of every point draws the same
//! streams (common random numbers), so neighbouring points differ by the setting, not the noise,
//! and each point's paired difference against the scenario's own point is reported. A value that
//! makes the scenario invalid is a point of its own, reported with the validation message.

mod findings;
mod grid;
mod vary;

pub use findings::knee;
pub use grid::{PointConfig, check_paths, own_value, points};
pub use vary::{VARY_SYNTAX, Vary};

use super::nights::{self, NightMeasures};
use crate::model::measures::MEASURE_NAMES;
use crate::scenario::Scenario;
use crate::study::compare::remedy::RemedySpec;
use crate::study::compare::stats::Interval;
use serde::Serialize;
use serde_json::Value;

/// The schema name of `sweep --format json`.
pub const SWEEP_SCHEMA: &str = "portsim.sweep/1";

/// Most points on one axis: a sweep is for a curve, not a table of everything.
pub const MAX_AXIS_POINTS: usize = 1000;

/// The extra measure a sweep reports when the scenario has links.
pub const LINK_BUSY: &str = "link_busy_h";

/// How to run a sweep.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Nights per point.
    pub replications: usize,
    /// Worker threads.
    pub jobs: usize,
    /// Confidence of the intervals (0.95).
    pub confidence: f64,
    /// Show a progress bar.
    pub progress: bool,
}

/// A varied setting in the results.
#[derive(Clone, Debug, Serialize)]
pub struct Axis {
    /// Its paths, comma-separated.
    pub setting: String,
    /// Its values, in order.
    pub values: Vec<Value>,
    /// The scenario's own value, when it is a number.
    pub own: Option<f64>,
    /// Where the own value sits among `values`, when it is one of them.
    pub own_index: Option<usize>,
}

/// One measure at one point.
#[derive(Clone, Debug, Serialize)]
pub struct PointMeasure {
    /// Measure name (compare's, plus `link_busy_h` with links).
    pub measure: &'static str,
    /// Mean, sd and interval over the nights.
    #[serde(flatten)]
    pub stats: Interval,
    /// Paired difference, this point minus the scenario's own point, night by night.
    pub vs_own: Option<Interval>,
    /// One value per night, in night order.
    pub values: Vec<f64>,
}

/// One point's results.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// The value of each varied setting, in axis order.
    pub at: Vec<Value>,
    /// Why the scenario is invalid at this point; None when it ran.
    pub invalid: Option<String>,
    /// Nights in which a DLE was lost.
    pub nights_with_loss: Option<usize>,
    /// Every measure (empty when invalid).
    pub measures: Vec<PointMeasure>,
}

impl Point {
    /// The statistics of `measure`, when the point ran.
    pub fn get(&self, measure: &str) -> Option<&PointMeasure> {
        self.measures.iter().find(|m| m.measure == measure)
    }
}

/// A whole sweep.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    /// Always [`SWEEP_SCHEMA`].
    pub schema: &'static str,
    /// portsim's version.
    pub portsim: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// The seed that reproduces every number.
    pub seed: u64,
    /// Nights per point (the same nights at every point).
    pub replications: usize,
    /// Confidence of each interval (pointwise).
    pub confidence: f64,
    /// The remedy applied at every point, if any.
    pub remedy: Option<String>,
    /// The varied settings: one or two.
    pub axes: Vec<Axis>,
    /// Every point, axis 0 outer.
    pub points: Vec<Point>,
    /// The index of the scenario's own point, when the grid holds it.
    pub own_point: Option<usize>,
    /// Sentences drawn from the numbers.
    pub findings: Vec<String>,
    /// The command that reproduces these numbers.
    pub command: String,
}

/// Runs every valid point for the same nights and summarises them.
pub fn run(
    sc: &Scenario,
    varies: &[Vary],
    remedy: Option<&RemedySpec>,
    configs: &[PointConfig],
    opt: Options,
) -> Sweep {
    let valid: Vec<&Scenario> = configs
        .iter()
        .filter_map(|c| c.scenario.as_ref().ok())
        .collect();
    let reps = opt.replications as u64;
    let bar = nights::progress(valid.len() as u64 * reps, "nights", opt.progress);
    let mut results = nights::run(&valid, 0..reps, opt.jobs, &bar).into_iter();
    bar.finish_and_clear();
    let axes: Vec<Axis> = varies
        .iter()
        .map(|v| {
            let own = own_value(sc, v, remedy);
            let own_index = own.and_then(|o| {
                v.values.iter().position(|x| {
                    x.as_f64()
                        .is_some_and(|x| (x - o).abs() <= 1e-9 * o.abs().max(1.0))
                })
            });
            Axis {
                setting: v.label(),
                values: v.values.clone(),
                own,
                own_index,
            }
        })
        .collect();
    let own_point = axes.iter().try_fold(0usize, |acc, a| {
        a.own_index.map(|i| acc * a.values.len() + i)
    });
    let nights: Vec<Option<Vec<NightMeasures>>> = configs
        .iter()
        .map(|c| {
            c.scenario
                .as_ref()
                .ok()
                .map(|_| results.next().expect("one result per valid point"))
        })
        .collect();
    let own_nights = own_point.and_then(|i| nights[i].as_ref());
    let with_links = !sc.links.is_empty();
    let points = configs
        .iter()
        .zip(&nights)
        .map(|(c, n)| {
            summarise_point(
                c,
                n.as_deref(),
                own_nights.map(Vec::as_slice),
                with_links,
                opt.confidence,
            )
        })
        .collect();
    let mut s = Sweep {
        schema: SWEEP_SCHEMA,
        portsim: env!("CARGO_PKG_VERSION"),
        scenario: sc.name.clone(),
        seed: sc.seed,
        replications: opt.replications,
        confidence: opt.confidence,
        remedy: remedy.map(RemedySpec::label),
        axes,
        points,
        own_point,
        findings: Vec::new(),
        command: String::new(),
    };
    s.findings = findings::findings(&s);
    s
}

fn summarise_point(
    c: &PointConfig,
    nights: Option<&[NightMeasures]>,
    own: Option<&[NightMeasures]>,
    with_links: bool,
    confidence: f64,
) -> Point {
    let Some(nights) = nights else {
        return Point {
            at: c.at.clone(),
            invalid: c.scenario.as_ref().err().cloned(),
            nights_with_loss: None,
            measures: Vec::new(),
        };
    };
    let column = |ns: &[NightMeasures], m: usize| -> Vec<f64> {
        ns.iter()
            .map(|n| {
                if m < MEASURE_NAMES.len() {
                    n.measures.values()[m]
                } else {
                    n.link_busy_h.unwrap_or(0.0)
                }
            })
            .collect()
    };
    let names = MEASURE_NAMES
        .iter()
        .copied()
        .chain(with_links.then_some(LINK_BUSY));
    let measures = names
        .enumerate()
        .map(|(m, name)| {
            let values = column(nights, m);
            PointMeasure {
                measure: name,
                stats: Interval::of(&values, confidence),
                vs_own: own.map(|o| Interval::paired(&column(o, m), &values, confidence)),
                values,
            }
        })
        .collect();
    Point {
        at: c.at.clone(),
        invalid: None,
        nights_with_loss: Some(nights.iter().filter(|n| n.lost()).count()),
        measures,
    }
}

/// A value as reports print it.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
