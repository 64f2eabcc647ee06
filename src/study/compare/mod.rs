//! `portsim compare`: the baseline and each remedy over R replications on common random numbers.
//!
//! Replication r of every variant draws the same night (same streams, see [`crate::sim::rng`]),
//! so paired differences against the baseline measure the remedy, not the noise. Replications
//! run in parallel and are collected in replication order: the results do not depend on `--jobs`.

pub mod remedy;
pub mod stats;

use crate::amanda::emit::apply::{self, ApplyLines, Dialect};
use crate::model::measures::{MEASURE_NAMES, Measures, StaticExposure};
use crate::model::outcome::Outcome;
use crate::model::ports::PortRange;
use crate::model::site::{self, RunResult};
use crate::scenario::load::{SetArg, with_sets};
use crate::scenario::{InputError, Scenario, Source, load_value};
use rayon::prelude::*;
use remedy::{Price, Remedy, RemedyKind, RemedySpec};
use serde::Serialize;
use stats::Interval;

/// The schema name of `compare --format json`.
pub const COMPARE_SCHEMA: &str = "portsim.compare/1";

/// The baseline or one remedy, ready to run.
pub struct Variant {
    /// "baseline" or the remedy's name.
    pub name: String,
    /// The remedy, None for the baseline.
    pub remedy: Option<Remedy>,
    /// The transformed, validated scenario.
    pub sc: Scenario,
    /// Its firewall's static exposure.
    pub exposure: StaticExposure,
}

/// Builds the baseline and the chosen remedies of `sc` (read from `source` as `tree`).
pub fn variants(
    source: &Source,
    tree: &serde_json::Value,
    sets: &[String],
    base: Scenario,
    kinds: &[RemedyKind],
    remedy_sets: &[SetArg],
) -> Result<Vec<Variant>, InputError> {
    let specs: Vec<RemedySpec> = kinds
        .iter()
        .map(|&kind| RemedySpec {
            kind,
            params: Vec::new(),
        })
        .collect();
    variants_of(source, tree, sets, base, &specs, remedy_sets)
}

/// A remedy left out of a comparison because it does not apply to the scenario.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Skipped {
    /// The remedy's name.
    pub name: String,
    /// Why it does not apply.
    pub reason: String,
}

/// As [`variants`], for remedy instances that may carry their own parameters. A remedy that
/// does not apply is an error: a check that reads it cannot be judged.
pub fn variants_of(
    source: &Source,
    tree: &serde_json::Value,
    sets: &[String],
    base: Scenario,
    specs: &[RemedySpec],
    remedy_sets: &[SetArg],
) -> Result<Vec<Variant>, InputError> {
    build(source, tree, sets, base, specs, remedy_sets, false).map(|(v, _)| v)
}

/// As [`variants_of`], but a remedy that does not apply with its default parameters is left
/// out and listed with the reason, so that the others are still compared. A remedy given
/// parameters by the user (`--remedy-set`, `NAME:KEY=VALUE`) that fails is still an error.
pub fn variants_skipping(
    source: &Source,
    tree: &serde_json::Value,
    sets: &[String],
    base: Scenario,
    specs: &[RemedySpec],
    remedy_sets: &[SetArg],
) -> Result<(Vec<Variant>, Vec<Skipped>), InputError> {
    build(source, tree, sets, base, specs, remedy_sets, true)
}

fn build(
    source: &Source,
    tree: &serde_json::Value,
    sets: &[String],
    base: Scenario,
    specs: &[RemedySpec],
    remedy_sets: &[SetArg],
    skip: bool,
) -> Result<(Vec<Variant>, Vec<Skipped>), InputError> {
    let mut out = Vec::with_capacity(specs.len() + 1);
    let mut skipped = Vec::new();
    // Overrides first, so the remedy transforms the scenario the user asked for.
    let overridden = with_sets(tree.clone(), sets)?;
    for spec in specs {
        let kind = spec.kind;
        let overrides: Vec<SetArg> = remedy_sets.iter().chain(&spec.params).cloned().collect();
        let remedy = Remedy::with_overrides(kind, &base, &overrides);
        let mut v = overridden.clone();
        let built = kind
            .apply(&mut v, &base, &remedy.params)
            .and_then(|()| load_value(source, v, &[]).map_err(|e| e.to_string()));
        let sc = match built {
            Ok(sc) => sc,
            Err(reason) if skip && !overrides.iter().any(|s| s.path[0] == kind.name()) => {
                skipped.push(Skipped {
                    name: spec.label(),
                    reason,
                });
                continue;
            }
            Err(msg) => {
                let given: Vec<String> = overrides
                    .iter()
                    .filter(|s| s.path[0] == kind.name())
                    .map(|s| s.raw.clone())
                    .collect();
                let what = if given.is_empty() {
                    format!("remedy {}", spec.label())
                } else {
                    format!("remedy {} with {}", spec.label(), given.join(", "))
                };
                return Err(InputError::Transform { what, msg });
            }
        };
        out.push(Variant {
            name: spec.label(),
            exposure: sc.static_exposure(),
            remedy: Some(remedy),
            sc,
        });
    }
    out.insert(
        0,
        Variant {
            name: "baseline".into(),
            remedy: None,
            exposure: base.static_exposure(),
            sc: base,
        },
    );
    Ok((out, skipped))
}

/// What one replication of one variant yields.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The measures.
    pub measures: Measures,
    /// Failed attempts per dumper index.
    pub failed_by_dumper: Vec<u32>,
}

/// How to run a comparison.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Replications per variant.
    pub replications: usize,
    /// Worker threads.
    pub jobs: usize,
    /// Confidence of the intervals (0.95).
    pub confidence: f64,
    /// Show a progress bar.
    pub progress: bool,
}

/// Runs every variant for every replication; `cells[r][v]`.
pub fn run_all(variants: &[Variant], opt: Options) -> Vec<Vec<Cell>> {
    let bar = if opt.progress {
        indicatif::ProgressBar::new(opt.replications as u64).with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} replications {pos}/{len} [{bar:40}] {elapsed} (eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opt.jobs.max(1))
        .build()
        .expect("thread pool");
    let cells = pool.install(|| {
        (0..opt.replications as u64)
            .into_par_iter()
            .map(|rep| {
                let row = variants
                    .iter()
                    .map(|v| {
                        let r = site::run(&v.sc, rep, false);
                        let mut failed_by_dumper = vec![0u32; r.dumpers.len()];
                        for a in &r.attempts {
                            if a.outcome != Some(Outcome::Done) {
                                failed_by_dumper[usize::from(a.dumper.0)] += 1;
                            }
                        }
                        Cell {
                            measures: Measures::of(&r, v.exposure),
                            failed_by_dumper,
                        }
                    })
                    .collect();
                bar.inc(1);
                row
            })
            .collect()
    });
    bar.finish_and_clear();
    cells
}

/// One measure of one variant, summarised.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct MeasureStats {
    /// Measure name.
    pub measure: &'static str,
    /// Mean, sd and interval over replications.
    #[serde(flatten)]
    pub stats: Interval,
    /// Paired difference against the baseline (Bonferroni-adjusted interval), None for the baseline.
    pub vs_baseline: Option<Interval>,
    /// One value per replication, in replication order.
    pub values: Vec<f64>,
}

/// One variant's results.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct VariantReport {
    /// "baseline" or the remedy's name.
    pub name: String,
    /// What the remedy does.
    pub summary: String,
    /// Its parameters.
    pub params: serde_json::Value,
    /// Its operational price, None for the baseline.
    pub price: Option<Price>,
    /// Every measure.
    pub measures: Vec<MeasureStats>,
    /// Share of all failed attempts that each dumper index ran (sums to 1 when any failed).
    pub failure_share_by_dumper: Vec<f64>,
    /// What `portsim apply` changes at the site for this remedy (absent for the baseline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply: Option<ApplyLines>,
}

/// A whole comparison.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    /// Always [`COMPARE_SCHEMA`].
    pub schema: &'static str,
    /// portsim's version.
    pub portsim: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// The seed that reproduces every number.
    pub seed: u64,
    /// Replications per variant.
    pub replications: usize,
    /// Confidence of each interval.
    pub confidence: f64,
    /// Confidence of each paired interval after Bonferroni over the remedies.
    pub paired_confidence: f64,
    /// Baseline first, then the remedies.
    pub variants: Vec<VariantReport>,
    /// What this scenario does not test, read from its settings.
    pub notes: Vec<String>,
    /// The command that reproduces these numbers.
    pub command: String,
    /// Remedies left out because they do not apply here, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

/// Gives each remedy of `c` (summarised from `variants`) the lines `portsim apply` changes at
/// the site for it, in `dialect`: the remedied scenario's files against the baseline's.
pub fn attach_apply(c: &mut Comparison, variants: &[Variant], dialect: Dialect) {
    let before = &variants[0].sc;
    for (r, v) in c.variants.iter_mut().zip(variants).skip(1) {
        r.apply = Some(apply::lines(before, &v.sc, dialect));
    }
}

/// Summarises the cells of [`run_all`].
pub fn summarise(variants: &[Variant], cells: &[Vec<Cell>], confidence: f64) -> Comparison {
    let remedies = variants.len().saturating_sub(1).max(1);
    let paired_confidence = 1.0 - (1.0 - confidence) / remedies as f64;
    let column = |v: usize, m: usize| -> Vec<f64> {
        cells
            .iter()
            .map(|row| row[v].measures.values()[m])
            .collect()
    };
    let reports = variants
        .iter()
        .enumerate()
        .map(|(vi, var)| {
            let measures = MEASURE_NAMES
                .iter()
                .enumerate()
                .map(|(mi, &name)| {
                    let values = column(vi, mi);
                    MeasureStats {
                        measure: name,
                        stats: Interval::of(&values, confidence),
                        vs_baseline: (vi > 0)
                            .then(|| Interval::paired(&column(0, mi), &values, paired_confidence)),
                        values,
                    }
                })
                .collect();
            VariantReport {
                name: var.name.clone(),
                summary: var.remedy.as_ref().map_or_else(
                    || "the scenario as written".into(),
                    |r| r.kind.summary().into(),
                ),
                params: var
                    .remedy
                    .as_ref()
                    .map_or(serde_json::Value::Null, |r| r.params.clone()),
                price: var.remedy.as_ref().map(|r| r.kind.price(&variants[0].sc)),
                measures,
                failure_share_by_dumper: failure_share(cells, vi),
                apply: None,
            }
        })
        .collect();
    Comparison {
        schema: COMPARE_SCHEMA,
        portsim: env!("CARGO_PKG_VERSION"),
        scenario: variants[0].sc.name.clone(),
        seed: variants[0].sc.seed,
        replications: cells.len(),
        confidence,
        paired_confidence,
        variants: reports,
        notes: notes(&variants[0].sc),
        command: format!(
            "portsim compare --seed {} --replications {}",
            variants[0].sc.seed,
            cells.len()
        ),
        skipped: Vec::new(),
    }
}

/// Each dumper's share of variant `vi`'s failed attempts over every replication.
fn failure_share(cells: &[Vec<Cell>], vi: usize) -> Vec<f64> {
    let dumpers = cells
        .iter()
        .map(|row| row[vi].failed_by_dumper.len())
        .max()
        .unwrap_or(0);
    let mut by_dumper = vec![0u64; dumpers];
    for row in cells {
        for (i, n) in row[vi].failed_by_dumper.iter().enumerate() {
            by_dumper[i] += u64::from(*n);
        }
    }
    let total: u64 = by_dumper.iter().sum();
    by_dumper
        .iter()
        .map(|&n| {
            if total == 0 {
                0.0
            } else {
                n as f64 / total as f64
            }
        })
        .collect()
}

/// Caveats a reader needs to weigh the numbers, drawn from the scenario's own settings.
fn notes(sc: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    if sc.server.planner == crate::model::config::PlannerBinding::Unmodelled {
        out.push(
            "The planner is not modelled here (server.planner = unmodelled): estimate replies never meet the firewall, so a stateful firewall's timeouts against long silent estimates are not tested by this scenario; scenarios/slow-estimates.json tests them.".into(),
        );
    }
    if sc.links.is_empty() {
        out.push(
            "No network links: dumps run at their disks' rates, so the window does not feel a shared link.".into(),
        );
    }
    out
}

impl Comparison {
    /// The statistics of `measure` for variant `name`.
    pub fn get(&self, name: &str, measure: &str) -> Option<&MeasureStats> {
        self.variants
            .iter()
            .find(|v| v.name == name)?
            .measures
            .iter()
            .find(|m| m.measure == measure)
    }
}

/// The nights a report draws as timelines: replication 0 of the baseline and of one remedy.
pub struct Showcase {
    /// The baseline's night (with its trace) and scenario.
    pub baseline: Option<(RunResult, Scenario)>,
    /// The remedy drawn beside it: its index in [`Comparison::variants`], its night (with its
    /// trace) and its scenario.
    pub other: Option<(usize, RunResult, Scenario)>,
    /// The baseline's `udpportrange`.
    pub range: Option<PortRange>,
}

impl Showcase {
    /// Runs the nights of `c` to draw: the remedy named `timeline`, else [`pick_timeline`]'s.
    pub fn of(variants: &[Variant], c: &Comparison, timeline: Option<&str>) -> Showcase {
        let find = |name: &str| variants.iter().find(|v| v.name == name);
        let base = c.variants.first().and_then(|b| find(&b.name));
        // The timeline draws the driver's sleeps, which only the trace holds.
        let other = pick_timeline(c, timeline).and_then(|i| {
            find(&c.variants[i].name).map(|v| (i, site::run(&v.sc, 0, true), v.sc.clone()))
        });
        Showcase {
            baseline: base.map(|v| (site::run(&v.sc, 0, true), v.sc.clone())),
            other,
            range: base.and_then(|v| v.sc.server.range),
        }
    }
}

/// The mean of `measure` in `v`; 0 when absent or not finite.
fn mean_of(v: &VariantReport, measure: &str) -> f64 {
    v.measures
        .iter()
        .find(|m| m.measure == measure)
        .map(|m| m.stats.mean)
        .filter(|m| m.is_finite())
        .unwrap_or(0.0)
}

/// The remedy drawn beside the baseline: the one named, else the fewest lost DLEs (failed or
/// never scheduled: a remedy that loses estimates must not look clean), then the fewest failed
/// attempts, then the fewest reachable ports, then the first.
pub fn pick_timeline(c: &Comparison, timeline: Option<&str>) -> Option<usize> {
    if let Some(i) = timeline.and_then(|n| c.variants.iter().position(|v| v.name == n)) {
        return Some(i);
    }
    (1..c.variants.len()).min_by(|&a, &b| {
        let (va, vb) = (&c.variants[a], &c.variants[b]);
        let by = |m: &str| mean_of(va, m).total_cmp(&mean_of(vb, m));
        by("failed_dles")
            .then(by("failed_attempts"))
            .then(by("reachable_ports"))
    })
}
