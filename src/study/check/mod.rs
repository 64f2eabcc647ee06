//! `portsim check`: scenarios that state what must stay true, judged over replications, for CI.
//!
//! A scenario's `expect` block ([`crate::scenario::expect`]) holds bounds on measures of its nights, each with
//! its replications, its judge (every night, or the 95% interval of the mean) and why the model
//! implies it, plus an optional pinned fingerprint of one night's trace ([`fingerprint`]).
//! [`plan`] validates the block against the scenario; [`measure`] reads one night's value;
//! [`judge`] gives verdicts; [`results`] holds them for the report layer to print. Library files may
//! build on another file ([`crate::scenario::base`]); `--bless` rewrites pins ([`bless`]); hidden faults
//! ([`fault`]) break the model on purpose to show the checks notice.
//!
//! A check reads the nights of the scenario as written (`run`) or of the scenario with a
//! `compare` remedy applied ([`plan::Source`]); each such variant is one [`Variant`]. Nights run
//! in parallel, one job per (scenario, variant, replication); results are collected in that
//! order, so the output is the same bytes for any `--jobs`.

pub mod bless;
pub mod fault;
pub mod fingerprint;
pub mod judge;
pub mod measure;
pub mod plan;
pub mod results;

use crate::model::measures::StaticExposure;
use crate::model::ports::PortRange;
use crate::model::site;
use crate::scenario::{InputError, Scenario, Source, load_value, read};
use fault::Fault;
use measure::Night;
use plan::{Measure, Plan, Source as ValueSource};
use rayon::prelude::*;
use results::{Blessed, ExpectationResult, ScenarioResult, Spec};
use std::path::{Path, PathBuf};

/// One simulated variant of a scenario: as written, or with a remedy applied.
pub struct Variant {
    /// The remedy, as an index into its plan's remedies; None for the scenario as written.
    pub remedy: Option<usize>,
    /// What runs (after any injected fault).
    pub sc: Scenario,
    /// `udpportrange` as this variant configures it (before any fault).
    pub range: Option<PortRange>,
    /// The firewall's static exposure, when a `measures.*` check needs it.
    pub exposure: Option<StaticExposure>,
}

/// A scenario file with its validated expectations.
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// The scenario as written first, then one variant per remedy its checks read.
    pub variants: Vec<Variant>,
    /// Its expectations.
    pub plan: Plan,
}

impl Loaded {
    /// The scenario as written.
    pub fn sc(&self) -> &Scenario {
        &self.variants[0].sc
    }

    fn variant_of(&self, remedy: usize) -> usize {
        self.variants
            .iter()
            .position(|v| v.remedy == Some(remedy))
            .expect("a variant per remedy read")
    }

    /// Whether check `e` reads the nights of variant `v`.
    fn reads(&self, e: &plan::Expectation, v: usize) -> bool {
        (v == 0 && e.source.reads_scenario())
            || e.source.remedy().is_some_and(|k| self.variant_of(k) == v)
    }
}

/// The scenario files under `paths`: files as given, directories searched for `*.json`, sorted,
/// leaving out hidden directories and caches (a `CACHEDIR.TAG` inside, as in cargo's `target/`).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| InputError::Read {
            file: p.display().to_string(),
            source: e,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|p| seen.insert(p.clone()));
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let read_err = |e| InputError::Read {
        file: dir.display().to_string(),
        source: e,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.is_dir() {
            // Hidden directories (.git) and caches (cargo's target/, tagged per the Cache
            // Directory Tagging spec) hold no scenarios of the user's.
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden && !path.join("CACHEDIR.TAG").exists() {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether a JSON file found in a directory is not a scenario at all: not an object, or one
/// with none of a scenario's keys, like the `report.json` that `compare` writes. Such files are
/// skipped; a file named on the command line is always read as a scenario.
pub fn not_a_scenario(path: &Path) -> bool {
    let Ok(text) = crate::scenario::text::read_file(path, "") else {
        return false;
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(map)) => {
            map.get("schema").is_some_and(|s| s.is_string())
                || !["server", "hosts", "base"]
                    .iter()
                    .any(|k| map.contains_key(*k))
        }
        Ok(_) => true,
        // Broken JSON may be a scenario being edited: reading it reports where.
        Err(_) => false,
    }
}

/// Loads and validates `files`; returns those with an `expect` block, and the others' names.
/// Files not in `named` (found in a directory) that are [`not_a_scenario`] are skipped too.
pub fn load_all(
    files: &[PathBuf],
    named: &[PathBuf],
    fault: Option<Fault>,
) -> Result<(Vec<Loaded>, Vec<String>), InputError> {
    let mut loaded = Vec::new();
    let mut skipped = Vec::new();
    for path in files {
        let source = Source::File(path.clone());
        if !named.contains(path) && not_a_scenario(path) {
            skipped.push(format!("{} (not a scenario)", source.label()));
            continue;
        }
        let tree = read(&source)?;
        let sc = load_value(&source, tree.clone(), &[])?;
        let Some(expect) = sc.file.expect.clone() else {
            skipped.push(source.label());
            continue;
        };
        let plan = plan::plan(&expect, &sc, &source.label())?;
        let built =
            crate::study::compare::variants_of(&source, &tree, &[], sc, &plan.remedies, &[])
                .map_err(|e| {
                    let at = plan
                        .checks
                        .iter()
                        .position(|c| c.source.remedy().is_some())
                        .unwrap_or(0);
                    InputError::Invalid {
                        origin: source.label(),
                        path: format!("expect.checks[{at}].source"),
                        msg: match e {
                            InputError::Set { arg, msg } => {
                                format!("cannot apply it here: {arg}: {msg}")
                            }
                            other => format!("cannot apply it here: {other}"),
                        },
                    }
                })?;
        let variants = built
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                // Variant 0 is the scenario as written, variant i + 1 the plan's remedy i.
                let remedy = i.checked_sub(1);
                let mut sc = v.sc;
                let range = sc.server.range;
                if let Some(f) = fault {
                    f.apply(&mut sc);
                }
                let exposure = plan
                    .checks
                    .iter()
                    .any(|e| matches!(e.measure, Measure::Night(_)))
                    .then(|| sc.static_exposure());
                Variant {
                    remedy,
                    sc,
                    range,
                    exposure,
                }
            })
            .collect();
        loaded.push(Loaded {
            path: path.clone(),
            variants,
            plan,
        });
    }
    Ok((loaded, skipped))
}

/// One night to simulate.
#[derive(Clone, Copy, Debug)]
struct Job {
    scenario: usize,
    variant: usize,
    rep: u64,
    trace: bool,
}

/// What one night yields: the measure of each check that reads it, and the trace's hash if kept.
struct NightOut {
    values: Vec<Option<f64>>,
    hash: Option<String>,
    seconds: f64,
}

fn jobs_of(loaded: &[Loaded]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (i, l) in loaded.iter().enumerate() {
        for v in 0..l.variants.len() {
            let nights = l
                .plan
                .checks
                .iter()
                .filter(|e| l.reads(e, v))
                .map(|e| e.replications)
                .max()
                .unwrap_or(0);
            // Only the scenario as written has a pinned trace.
            let pin = l
                .plan
                .pin
                .as_ref()
                .map(|p| p.replication)
                .filter(|_| v == 0);
            let job = |rep, trace| Job {
                scenario: i,
                variant: v,
                rep,
                trace,
            };
            jobs.extend((0..nights).map(|rep| job(rep, pin == Some(rep))));
            if let Some(p) = pin.filter(|&p| p >= nights) {
                jobs.push(job(p, true));
            }
        }
    }
    jobs
}

fn run_job(l: &Loaded, job: Job) -> NightOut {
    let started = std::time::Instant::now();
    let var = &l.variants[job.variant];
    // A fingerprinted night hashes its trace as it goes instead of keeping it.
    let (result, hash) = if job.trace {
        let (r, h) = fingerprint::run_hashed(&var.sc, job.rep, &mut |_| {});
        (r, Some(h))
    } else {
        (site::run(&var.sc, job.rep, false), None)
    };
    let night = Night::new(&var.sc, var.range, &result, var.exposure);
    let values = l
        .plan
        .checks
        .iter()
        .map(|e| (job.rep < e.replications && l.reads(e, job.variant)).then(|| night.value(e)))
        .collect();
    NightOut {
        values,
        hash,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Simulates every night the expectations need, on `threads` threads, and judges them.
pub fn evaluate(loaded: &[Loaded], threads: usize) -> Vec<ScenarioResult> {
    let jobs = jobs_of(loaded);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("thread pool");
    let outs: Vec<NightOut> = pool.install(|| {
        jobs.par_iter()
            .map(|&j| run_job(&loaded[j.scenario], j))
            .collect()
    });
    loaded
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mine: Vec<(&Job, &NightOut)> = jobs
                .iter()
                .zip(&outs)
                .filter(|(j, _)| j.scenario == i)
                .collect();
            judge_scenario(l, &mine)
        })
        .collect()
}

/// Judges one scenario's expectations from its nights (`mine`, in job order).
fn judge_scenario(l: &Loaded, mine: &[(&Job, &NightOut)]) -> ScenarioResult {
    // Check k's values on variant v, replication 0 first.
    let column = |k: usize, v: usize, n: u64| -> Vec<f64> {
        mine.iter()
            .filter(|(j, _)| j.variant == v && j.rep < n)
            .map(|(_, o)| o.values[k].expect("the night covers the check"))
            .collect()
    };
    let mut expectations: Vec<ExpectationResult> = l
        .plan
        .checks
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let n = e.replications;
            let values = match e.source {
                ValueSource::Run => column(k, 0, n),
                ValueSource::Remedy {
                    spec,
                    versus_baseline,
                } => {
                    let with = column(k, l.variant_of(spec), n);
                    if versus_baseline {
                        // Common random numbers: night r of both is the same night.
                        let without = column(k, 0, n);
                        with.iter().zip(&without).map(|(a, b)| a - b).collect()
                    } else {
                        with
                    }
                }
            };
            ExpectationResult {
                seconds: mine
                    .iter()
                    .filter(|(_, o)| o.values[k].is_some())
                    .map(|(_, o)| o.seconds / o.values.iter().flatten().count() as f64)
                    .sum(),
                name: e.name.clone(),
                spec: Spec::Bound(Box::new(e.file.clone())),
                judged: judge::judge(
                    e.judge,
                    &e.source.label(&e.measure.name(), &l.plan.remedies),
                    values,
                    &e.bounds,
                ),
            }
        })
        .collect();
    expectations.extend(pinned(l, mine));
    let sc = l.sc();
    ScenarioResult {
        file: l.path.display().to_string(),
        scenario: sc.name.clone(),
        seed: sc.seed,
        description: sc.description.clone(),
        expectations,
    }
}

/// The pinned fingerprint's verdict, when the scenario pins one.
fn pinned(l: &Loaded, mine: &[(&Job, &NightOut)]) -> Option<ExpectationResult> {
    let pin = l.plan.pin.as_ref()?;
    let hash = mine
        .iter()
        .find_map(|(j, o)| {
            (j.variant == 0 && j.rep == pin.replication)
                .then(|| o.hash.clone())
                .flatten()
        })
        .expect("the pinned night was run with its trace");
    let file = l
        .sc()
        .file
        .expect
        .as_ref()
        .and_then(|x| x.fingerprint.clone());
    Some(ExpectationResult {
        seconds: mine
            .iter()
            .find(|(j, _)| j.variant == 0 && j.rep == pin.replication)
            .map_or(0.0, |(_, o)| o.seconds),
        name: "fingerprint".into(),
        spec: Spec::Fingerprint(file.expect("a pin comes from the file")),
        judged: judge::fingerprint(pin.replication, hash, pin.sha256.clone()),
    })
}

/// Rewrites the pins that differ from what was measured; marks them blessed in `results`.
pub fn bless_all(results: &mut [ScenarioResult]) -> Result<Vec<Blessed>, bless::BlessError> {
    let mut blessed = Vec::new();
    for s in results.iter_mut() {
        for e in s.expectations.iter_mut() {
            let judge::Measured::Fingerprint {
                replication,
                sha256,
                pinned,
            } = e.judged.measured.clone()
            else {
                continue;
            };
            if pinned.as_deref() == Some(sha256.as_str()) {
                continue;
            }
            let file = PathBuf::from(&s.file);
            let old = bless::bless_file(&file, &sha256)?;
            blessed.push(Blessed {
                file: s.file.clone(),
                old,
                new: sha256.clone(),
            });
            e.judged = judge::fingerprint(replication, sha256.clone(), Some(sha256.clone()));
            e.judged.message = format!("blessed: the pin of night {replication} is now {sha256}");
        }
    }
    Ok(blessed)
}
