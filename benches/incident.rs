//! Wall time of one night of the built-in incident, without and with the trace.
//!
//! `cargo bench --bench incident`. Replications 0..200 are run once each, untraced, then again
//! traced; the table shows the median and 95th percentile of one run and the events per second
//! over all of them. Targets: one untraced run under 20 ms in release (issue 1); its median
//! under 80 us (issue 12: 50x an independent Python model's 250 nights/s on one core; the
//! ratio to a bare heap is in `cargo bench --bench scale`).

use portsim::model::site::run;
use portsim::scenario::{Source, load};
use std::hint::black_box;
use std::time::Instant;

const REPS: u64 = 200;
const TARGET_MS: f64 = 20.0;
const TARGET_MEDIAN_US: f64 = 80.0;

struct Stats {
    median_ms: f64,
    p95_ms: f64,
    max_ms: f64,
    events_per_run: f64,
    events_per_s: f64,
}

fn measure(sc: &portsim::scenario::Scenario, trace: bool) -> Stats {
    let mut ms = Vec::with_capacity(REPS as usize);
    let mut events = 0u64;
    let mut total = 0.0;
    for rep in 0..REPS {
        let t0 = Instant::now();
        let r = black_box(run(black_box(sc), rep, trace));
        let dt = t0.elapsed().as_secs_f64();
        assert!(r.trace.is_some() == trace);
        events += r.events;
        total += dt;
        ms.push(dt * 1e3);
        drop(r);
    }
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    Stats {
        median_ms: ms[ms.len() / 2],
        p95_ms: pct(0.95),
        max_ms: ms[ms.len() - 1],
        events_per_run: events as f64 / REPS as f64,
        events_per_s: events as f64 / total,
    }
}

fn main() {
    let sc = load(&Source::Builtin, &[]).expect("the built-in incident loads");
    // Warm-up.
    for rep in 0..5 {
        black_box(run(&sc, rep, false));
    }
    let plain = measure(&sc, false);
    let traced = measure(&sc, true);

    println!(
        "built-in incident ({}): {} hosts, {} DLEs, inparallel {}; {REPS} replications each",
        sc.name,
        sc.hosts.len(),
        sc.dles.len(),
        sc.server.inparallel
    );
    println!();
    println!(
        "{:<8} {:>10} {:>10} {:>10} {:>11} {:>12}",
        "trace", "median ms", "p95 ms", "max ms", "events/run", "events/s"
    );
    for (name, s) in [("off", &plain), ("on", &traced)] {
        println!(
            "{:<8} {:>10.3} {:>10.3} {:>10.3} {:>11.0} {:>12.0}",
            name, s.median_ms, s.p95_ms, s.max_ms, s.events_per_run, s.events_per_s
        );
    }
    println!();
    println!(
        "one untraced run: median {:.3} ms, p95 {:.3} ms (target < {TARGET_MS} ms: {})",
        plain.median_ms,
        plain.p95_ms,
        if plain.p95_ms < TARGET_MS {
            "met"
        } else {
            "NOT MET"
        }
    );
    println!(
        "median {:.1} us = {:.0} nights/s on one core (target < {TARGET_MEDIAN_US} us: {})",
        plain.median_ms * 1e3,
        1e3 / plain.median_ms,
        if plain.median_ms * 1e3 < TARGET_MEDIAN_US {
            "met"
        } else {
            "NOT MET"
        }
    );
}
