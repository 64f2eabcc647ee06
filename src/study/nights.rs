//! Nights of several configurations, run in parallel and collected in a fixed order.
//!
//! Night r of every configuration draws the same random streams (see [`crate::sim::rng`]): a
//! difference between two configurations in night r is the configurations', not the noise's.
//! Jobs are (configuration, night) pairs collected in index order, so results are the same bytes
//! for any number of threads.

use crate::model::measures::Measures;
use crate::model::site;
use crate::scenario::Scenario;
use rayon::prelude::*;

/// What one night of one configuration yields.
#[derive(Clone, Debug)]
pub struct NightMeasures {
    /// compare's measures.
    pub measures: Measures,
    /// Hours the busiest link needs to carry the night's data at its full capacity: a floor under
    /// the window. None without links.
    pub link_busy_h: Option<f64>,
}

impl NightMeasures {
    /// Whether a DLE was lost this night.
    pub fn lost(&self) -> bool {
        self.measures.failed_dles > 0.0
    }
}

/// A progress bar on stderr when `show`, else a hidden one.
pub fn progress(len: u64, what: &str, show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let template =
        format!("{{spinner}} {what} {{pos}}/{{len}} [{{bar:40}}] {{elapsed}} (eta {{eta}})");
    indicatif::ProgressBar::new(len).with_style(
        indicatif::ProgressStyle::with_template(&template)
            .expect("valid template")
            .progress_chars("=> "),
    )
}

/// Whether a progress bar belongs on stderr: a terminal, and not under CI.
pub fn show_progress() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// One night of `sc`.
pub fn night(sc: &Scenario, rep: u64) -> NightMeasures {
    let r = site::run(sc, rep, false);
    let link_busy_h = (!sc.links.is_empty()).then(|| {
        sc.links
            .iter()
            .zip(&r.kb_per_link)
            .map(|(l, kb)| kb / l.link.capacity_kbs / 3600.0)
            .fold(0.0, f64::max)
    });
    NightMeasures {
        measures: Measures::of(&r, sc.static_exposure()),
        link_busy_h,
    }
}

/// Nights `reps` of every configuration: `out[c][r - reps.start]`. `bar` advances once a night.
pub fn run(
    configs: &[&Scenario],
    reps: std::ops::Range<u64>,
    jobs: usize,
    bar: &indicatif::ProgressBar,
) -> Vec<Vec<NightMeasures>> {
    let per = (reps.end - reps.start) as usize;
    if per == 0 || configs.is_empty() {
        return vec![Vec::new(); configs.len()];
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .expect("thread pool");
    let flat: Vec<NightMeasures> = pool.install(|| {
        // The exposure scan is per configuration: once each, before the nights share it.
        configs.par_iter().for_each(|sc| {
            sc.static_exposure();
        });
        (0..configs.len() * per)
            .into_par_iter()
            .map(|i| {
                let m = night(configs[i / per], reps.start + (i % per) as u64);
                bar.inc(1);
                m
            })
            .collect()
    });
    let mut out = Vec::with_capacity(configs.len());
    let mut it = flat.into_iter();
    for _ in configs {
        out.push(it.by_ref().take(per).collect());
    }
    out
}

/// The number of threads `--jobs` asks for, or all cores.
pub fn jobs(asked: Option<usize>) -> usize {
    asked.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
