//! How a night scales with the site (issue 12, "a night in O(N log N)"), as ratios against a
//! bare `BinaryHeap` loop timed in the same run.
//!
//! `cargo bench --bench scale`. Measures, each once, in one go:
//! - one night of generated sites of 10k, 40k (fastest of 7) and 100k DLEs (once),
//!   `inparallel 63`, each in a child
//!   process that reports its wall time and peak resident memory (`VmHWM`, reset through
//!   `/proc/self/clear_refs` once the scenario is loaded: the night's peak, and the load's);
//!   targets: 100k in < 3 s and < 150 MB, 40k < 5x the time of 10k;
//! - one untraced night of the built-in incident, median of 400; target < 80 us;
//! - a 26 x 20-point sweep of the incident (`inparallel` 5..30 x range width 5..24), 30 nights per
//!   point, each point loaded and validated once, on 2 threads; target < 30 s. `portsim sweep`
//!   is not on main yet: this is the loop it runs, over the study API.
//!
//! Large sites are generated here from a function (10 disks per host, 90% of hosts on the LAN,
//! 10% in the DMZ behind the incident's firewall), deterministic: same bytes every run.

use portsim::model::measures::Measures;
use portsim::model::site::run;
use portsim::scenario::{Source, load, load_value, read};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

const CHILD: &str = "PORTSIM_SCALE_CHILD";
const SIZES: [usize; 3] = [10_000, 40_000, 100_000];
const DISKS_PER_HOST: usize = 10;
const INCIDENT_NIGHTS: u64 = 400;
const SWEEP_NIGHTS: u64 = 30;

/// A site of `dles` DLEs, `inparallel 63` with 63 range ports, the incident's firewall.
fn site(dles: usize) -> Value {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut draw = move |lo: f64, hi: f64| {
        // xorshift64: the bench's own reproducible numbers.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        lo + (hi - lo) * (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let hosts: Vec<Value> = (0..dles.div_ceil(DISKS_PER_HOST))
        .map(|h| {
            let n = DISKS_PER_HOST.min(dles - h * DISKS_PER_HOST);
            let disks: Vec<Value> = (0..n)
                .map(|d| {
                    json!({
                        "name": format!("/d{d}"),
                        "full_gb": (draw(0.5, 50.0) * 10.0).round() / 10.0,
                        "rate_mb_s": draw(2.0, 40.0).round(),
                        "estimate_s": draw(5.0, 60.0).round(),
                    })
                })
                .collect();
            let zone = if h % 10 == 9 { "DMZ" } else { "LAN" };
            json!({"name": format!("h{h:05}"), "zone": zone, "disks": disks})
        })
        .collect();
    json!({
        "name": format!("generated-{dles}"),
        "seed": 20021105,
        "server": {
            "version": "2.4", "zone": "LAN", "inparallel": 63, "udpportrange": [850, 912],
            "dumporder": "ttt", "netusage": 10_000_000, "planner": "unmodelled"
        },
        "zones": ["LAN", "DMZ"],
        "firewall": {"default": "drop", "rules": [
            {"name": "amanda-replies", "action": "accept", "proto": "udp", "from": "DMZ",
             "to": "server", "src_ports": 10080, "dst_ports": [850, 912]},
            {"name": "lan-to-dmz", "action": "accept", "proto": "any", "from": "LAN", "to": "DMZ"}
        ]},
        "hosts": hosts,
    })
}

unsafe extern "C" {
    /// glibc: returns free memory at the top of the heap and in its arenas to the system.
    fn malloc_trim(pad: usize) -> i32;
}

/// This process's peak resident memory, KB (Linux).
fn peak_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// In the child: build, load and run one night of a `dles` site; print what it took.
fn child(dles: usize) {
    let t0 = Instant::now();
    let tree = site(dles);
    let source = Source::File(format!("generated-{dles}.json").into());
    let sc = load_value(&source, tree, &[]).expect("the generated site is valid");
    let load_s = t0.elapsed().as_secs_f64();
    let load_kb = peak_kb();
    // Hands the freed parse tree back to the system, then resets VmHWM to the current RSS
    // (Linux): what follows is the night's peak with the scenario loaded.
    // SAFETY: glibc's malloc_trim only releases free heap memory.
    unsafe { malloc_trim(0) };
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t1 = Instant::now();
    let r = run(&sc, 0, false);
    let run_s = t1.elapsed().as_secs_f64();
    let dumped = r
        .dles
        .iter()
        .filter(|d| d.fate == Some(portsim::model::outcome::DleFate::Dumped))
        .count();
    println!(
        "{load_s} {run_s} {} {} {dumped} {} {load_kb}",
        peak_kb(),
        r.events,
        r.window.as_secs_f64()
    );
}

/// Seconds per operation of a bare `BinaryHeap<Reverse<(u64, u64)>>`: push and pop of a
/// steady queue of 64 pending items, the size a night's event queue keeps.
fn heap_baseline() -> f64 {
    const OPS: u64 = 4_000_000;
    let mut heap = BinaryHeap::with_capacity(128);
    let mut x: u64 = 1;
    for i in 0..64 {
        heap.push(Reverse((i, i)));
    }
    let t0 = Instant::now();
    for i in 0..OPS {
        let Reverse((t, _)) = heap.pop().expect("never empty");
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        heap.push(Reverse((t + (x >> 40), i)));
    }
    black_box(&heap);
    t0.elapsed().as_secs_f64() / OPS as f64
}

struct Night {
    dles: usize,
    load_s: f64,
    run_s: f64,
    peak_mb: f64,
    load_peak_mb: f64,
    events: u64,
    dumped: usize,
    window_days: f64,
}

fn night_in_child(dles: usize) -> Night {
    let exe = std::env::current_exe().expect("the bench binary");
    let out = Command::new(exe)
        .env(CHILD, dles.to_string())
        .output()
        .expect("the child runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let f: Vec<f64> = text
        .split_whitespace()
        .map(|w| w.parse().expect("a number"))
        .collect();
    Night {
        dles,
        load_s: f[0],
        run_s: f[1],
        peak_mb: f[2] / 1024.0,
        events: f[3] as u64,
        dumped: f[4] as usize,
        window_days: f[5] / 86400.0,
        load_peak_mb: f[6] / 1024.0,
    }
}

fn incident_median() -> (f64, u64) {
    let sc = load(&Source::Builtin, &[]).expect("the built-in incident loads");
    for rep in 0..20 {
        black_box(run(&sc, rep, false));
    }
    let mut s: Vec<f64> = Vec::new();
    let mut events = 0;
    for rep in 0..INCIDENT_NIGHTS {
        let t0 = Instant::now();
        let r = black_box(run(black_box(&sc), rep, false));
        s.push(t0.elapsed().as_secs_f64());
        events = r.events;
    }
    s.sort_by(f64::total_cmp);
    (s[s.len() / 2], events)
}

/// The sweep's loop: every point loaded once, then every (point, night) on 2 threads.
fn sweep() -> (f64, usize, f64) {
    let source = Source::Builtin;
    let tree = read(&source).expect("built-in");
    let t0 = Instant::now();
    let mut points = Vec::new();
    for inparallel in 5..=30 {
        for width in 5..=24u32 {
            let sets = [
                format!("server.inparallel={inparallel}"),
                format!("server.udpportrange=[850,{}]", 850 + width - 1),
            ];
            let sc = load_value(&source, tree.clone(), &sets).expect("a valid point");
            let exposure = sc.static_exposure();
            points.push((sc, exposure));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let lost: f64 = pool.install(|| {
        (0..points.len() as u64 * SWEEP_NIGHTS)
            .into_par_iter()
            .map(|k| {
                let (sc, exposure) = &points[(k / SWEEP_NIGHTS) as usize];
                Measures::of(&run(sc, k % SWEEP_NIGHTS, false), *exposure).failed_dles
            })
            .sum()
    });
    (t0.elapsed().as_secs_f64(), points.len(), lost)
}

fn main() {
    if let Ok(n) = std::env::var(CHILD) {
        child(n.parse().expect("a DLE count"));
        return;
    }
    let base = heap_baseline();
    // The smaller sites are quick: the fastest of seven, the least disturbed by a shared machine
    // (a 10k night takes 20-40 ms, so one stall of another tenant's moves the 40k / 10k ratio
    // by 2x; with three tries it read 3.8x-8.7x in five runs of one build).
    let nights: Vec<Night> = SIZES
        .iter()
        .map(|&n| {
            let tries = if n < 100_000 { 7 } else { 1 };
            (0..tries)
                .map(|_| night_in_child(n))
                .min_by(|a, b| a.run_s.total_cmp(&b.run_s))
                .expect("at least one")
        })
        .collect();
    let (incident, incident_events) = incident_median();
    let (sweep_s, points, lost) = sweep();
    let base_after = heap_baseline();
    let unit = (base + base_after) / 2.0;

    println!(
        "baseline: bare BinaryHeap pop+push, {:.1} ns/op (before {:.1}, after {:.1})",
        unit * 1e9,
        base * 1e9,
        base_after * 1e9
    );
    println!();
    println!(
        "{:>8} {:>8} {:>8} {:>10} {:>9} {:>9} {:>10} {:>9} {:>8}",
        "DLEs", "load s", "night s", "night/op", "load MB", "night MB", "events", "dumped", "days"
    );
    for n in &nights {
        println!(
            "{:>8} {:>8.3} {:>8.3} {:>10.3e} {:>9.1} {:>9.1} {:>10} {:>9} {:>8.1}",
            n.dles,
            n.load_s,
            n.run_s,
            n.run_s / unit,
            n.load_peak_mb,
            n.peak_mb,
            n.events,
            n.dumped,
            n.window_days
        );
    }
    let (n10, n40, n100) = (&nights[0], &nights[1], &nights[2]);
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    println!();
    println!(
        "100k DLEs: night {:.2} s (= {:.3e} heap ops; target < 3 s: {}), night's peak RSS {:.0} MB, scenario loaded (target < 150: {}); loading peaked at {:.0} MB",
        n100.run_s,
        n100.run_s / unit,
        verdict(n100.run_s < 3.0),
        n100.peak_mb,
        verdict(n100.peak_mb < 150.0),
        n100.load_peak_mb
    );
    println!(
        "40k / 10k night time: {:.2}x (4x the DLEs; target < 5x: {})",
        n40.run_s / n10.run_s,
        verdict(n40.run_s / n10.run_s < 5.0)
    );
    println!(
        "incident night, median of {INCIDENT_NIGHTS}: {:.1} us = {:.0} heap ops, {incident_events} events (target < 80 us: {})",
        incident * 1e6,
        incident / unit,
        verdict(incident < 80e-6)
    );
    println!(
        "sweep {points} points x {SWEEP_NIGHTS} nights, 2 threads: {sweep_s:.2} s = {:.3e} heap ops, {:.0} DLEs lost in all (target < 30 s: {})",
        sweep_s / unit,
        lost,
        verdict(sweep_s < 30.0)
    );
}
