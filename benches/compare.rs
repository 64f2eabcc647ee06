//! Wall time of `compare` on the built-in incident: 6 variants (the baseline and the five
//! remedies) x 1000 replications, with 1 worker thread and with 2, and the speed-up.
//!
//! `cargo bench --bench compare`. Targets: under 2 s wall on 2 cores; 2 jobs >= 1.8x of 1 job.
//! Each configuration runs 3 times; the table shows the fastest (the least disturbed by a
//! shared machine) and the median. The results of every run are checked to be identical.

use portsim::scenario::{Source, load_value, read};
use portsim::study::compare::remedy::RemedyKind;
use portsim::study::compare::{self, Options};
use std::time::Instant;

const REPLICATIONS: usize = 1000;
const ROUNDS: usize = 3;

fn main() {
    let source = Source::Builtin;
    let tree = read(&source).expect("built-in scenario");
    let base = load_value(&source, tree.clone(), &[]).expect("valid");
    let variants = compare::variants(&source, &tree, &[], base, &RemedyKind::ALL, &[])
        .expect("every remedy applies to the incident");
    let mut reference: Option<String> = None;
    let mut times = |jobs: usize| -> Vec<f64> {
        (0..ROUNDS)
            .map(|_| {
                let opt = Options {
                    replications: REPLICATIONS,
                    jobs,
                    confidence: 0.95,
                    progress: false,
                };
                let t0 = Instant::now();
                let cells = compare::run_all(&variants, opt);
                let c = compare::summarise(&variants, &cells, 0.95);
                let dt = t0.elapsed().as_secs_f64();
                let json = portsim::report::compare::json(&c);
                match &reference {
                    None => reference = Some(json),
                    Some(r) => assert_eq!(r, &json, "results must not depend on --jobs"),
                }
                dt
            })
            .collect()
    };
    let mut one = times(1);
    let mut two = times(2);
    one.sort_by(f64::total_cmp);
    two.sort_by(f64::total_cmp);
    let runs = variants.len() * REPLICATIONS;
    println!(
        "compare on the built-in incident: {} variants x {REPLICATIONS} replications = {runs} nights",
        variants.len()
    );
    println!(
        "{:>6} {:>10} {:>10} {:>14}",
        "jobs", "best s", "median s", "nights/s (best)"
    );
    for (jobs, t) in [(1, &one), (2, &two)] {
        println!(
            "{jobs:>6} {:>10.3} {:>10.3} {:>14.0}",
            t[0],
            t[ROUNDS / 2],
            runs as f64 / t[0]
        );
    }
    println!(
        "speed-up 2 jobs / 1 job: {:.2}x (best), {:.2}x (median); target >= 1.8x; 2-job wall target < 2 s",
        one[0] / two[0],
        one[ROUNDS / 2] / two[ROUNDS / 2]
    );
}
