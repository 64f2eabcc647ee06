//! Kernel overhead: an M/M/20 queue run on `portsim::sim::Simulation` against the same model on
//! a bare `BinaryHeap<Reverse<(time, seq, event)>>`, same draws, same event count.
//!
//! `cargo bench --bench kernel`. Seven repetitions of each, interleaved (the one that goes first
//! alternates); the table shows medians. Both loops must end in the very same state, checked
//! with `assert!`, so the comparison is between identical work.

use portsim::sim::rng::{Purpose, Stream, stream};
use portsim::sim::{SimDuration, Simulation};
use rand::RngExt;
use rand_distr::Exp;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Instant;

/// Servers.
const SERVERS: u32 = 20;
/// Service rate of one server, per second.
const MU: f64 = 1.0;
/// Arrival rate, per second: utilisation LAMBDA / (SERVERS * MU) = 0.9.
const LAMBDA: f64 = 0.9 * SERVERS as f64 * MU;
/// Events processed per run.
const EVENTS: u64 = 1_000_000;
/// Repetitions of each variant.
const REPS: usize = 7;
const SEED: u64 = 20021105;
const TARGET_RATIO: f64 = 0.8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrival,
    Departure,
}

/// The queue's state, and what a run ends with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Model {
    busy: u32,
    waiting: u64,
    arrived: u64,
    completed: u64,
    /// Integral of the number waiting over time, customer-microseconds.
    wait_area: u64,
    last_t: u64,
    final_t: u64,
    processed: u64,
    pending: usize,
}

impl Model {
    fn advance(&mut self, now: u64) {
        self.wait_area += self.waiting * (now - self.last_t);
        self.last_t = now;
    }
}

/// The random draws, identical for both loops.
struct Draws {
    rng: Stream,
    arrival: Exp<f64>,
    service: Exp<f64>,
}

impl Draws {
    fn new() -> Self {
        Draws {
            rng: stream(SEED, 0, Purpose(1)),
            arrival: Exp::new(LAMBDA).expect("positive rate"),
            service: Exp::new(MU).expect("positive rate"),
        }
    }
    #[inline]
    fn interarrival(&mut self) -> u64 {
        SimDuration::from_secs_f64(self.rng.sample(self.arrival)).0
    }
    #[inline]
    fn service(&mut self) -> u64 {
        SimDuration::from_secs_f64(self.rng.sample(self.service)).0
    }
}

fn run_kernel() -> Model {
    let mut d = Draws::new();
    let mut m = Model::default();
    let mut sim: Simulation<Ev> = Simulation::with_capacity(64);
    sim.schedule_in(SimDuration(d.interarrival()), Ev::Arrival);
    while sim.processed() < EVENTS {
        let Some(ev) = sim.next_event() else { break };
        m.advance(sim.now().0);
        match ev {
            Ev::Arrival => {
                m.arrived += 1;
                sim.schedule_in(SimDuration(d.interarrival()), Ev::Arrival);
                if m.busy < SERVERS {
                    m.busy += 1;
                    sim.schedule_in(SimDuration(d.service()), Ev::Departure);
                } else {
                    m.waiting += 1;
                }
            }
            Ev::Departure => {
                m.completed += 1;
                if m.waiting > 0 {
                    m.waiting -= 1;
                    sim.schedule_in(SimDuration(d.service()), Ev::Departure);
                } else {
                    m.busy -= 1;
                }
            }
        }
    }
    m.final_t = sim.now().0;
    m.processed = sim.processed();
    m.pending = sim.pending();
    m
}

fn run_bare() -> Model {
    let mut d = Draws::new();
    let mut m = Model::default();
    let mut heap: BinaryHeap<Reverse<(u64, u64, Ev)>> = BinaryHeap::with_capacity(64);
    let mut seq: u64 = 0;
    let mut now: u64 = 0;
    let mut processed: u64 = 0;
    heap.push(Reverse((now + d.interarrival(), seq, Ev::Arrival)));
    seq += 1;
    while processed < EVENTS {
        let Some(Reverse((t, _, ev))) = heap.pop() else {
            break;
        };
        now = t;
        processed += 1;
        m.advance(now);
        match ev {
            Ev::Arrival => {
                m.arrived += 1;
                heap.push(Reverse((now + d.interarrival(), seq, Ev::Arrival)));
                seq += 1;
                if m.busy < SERVERS {
                    m.busy += 1;
                    heap.push(Reverse((now + d.service(), seq, Ev::Departure)));
                    seq += 1;
                } else {
                    m.waiting += 1;
                }
            }
            Ev::Departure => {
                m.completed += 1;
                if m.waiting > 0 {
                    m.waiting -= 1;
                    heap.push(Reverse((now + d.service(), seq, Ev::Departure)));
                    seq += 1;
                } else {
                    m.busy -= 1;
                }
            }
        }
    }
    m.final_t = now;
    m.processed = processed;
    m.pending = heap.len();
    m
}

/// Runs `f` once and returns its result and events per second.
fn timed(f: fn() -> Model) -> (Model, f64) {
    let t0 = Instant::now();
    let m = black_box(f());
    let secs = t0.elapsed().as_secs_f64();
    (m, m.processed as f64 / secs)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn main() {
    // Warm-up, and the fairness check: both loops do the identical model.
    let k = run_kernel();
    let b = run_bare();
    assert!(
        k == b,
        "kernel and bare heap diverged:\n kernel {k:?}\n bare   {b:?}"
    );
    assert!(
        k.processed == EVENTS,
        "the queue ran dry after {} events",
        k.processed
    );

    let mut kernel = Vec::with_capacity(REPS);
    let mut bare = Vec::with_capacity(REPS);
    for rep in 0..REPS {
        let order = if rep % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_kernel in order {
            let (m, rate) = timed(if is_kernel { run_kernel } else { run_bare });
            assert!(m == k, "repetition {rep} ended in another state: {m:?}");
            if is_kernel {
                kernel.push(rate);
            } else {
                bare.push(rate);
            }
        }
    }

    let (mk, mb) = (median(&kernel), median(&bare));
    let ratio = mk / mb;
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    println!(
        "M/M/{SERVERS} queue, rho = {:.2}, {EVENTS} events per run, {REPS} interleaved runs each",
        LAMBDA / (f64::from(SERVERS) * MU)
    );
    println!(
        "final state (both): t = {:.1} s, {} arrived, {} completed, {} waiting, {} pending events",
        k.final_t as f64 / 1e6,
        k.arrived,
        k.completed,
        k.waiting,
        k.pending
    );
    println!();
    println!(
        "{:<10} {:>13} {:>13} {:>13} {:>9}",
        "loop", "median ev/s", "min ev/s", "max ev/s", "ns/event"
    );
    for (name, v, m) in [("kernel", &kernel, mk), ("bare heap", &bare, mb)] {
        println!(
            "{:<10} {:>13.0} {:>13.0} {:>13.0} {:>9.1}",
            name,
            m,
            min(v),
            max(v),
            1e9 / m
        );
    }
    println!();
    println!(
        "ratio kernel/bare (medians): {ratio:.3}  (target >= {TARGET_RATIO}: {})",
        if ratio >= TARGET_RATIO {
            "met"
        } else {
            "NOT MET"
        }
    );
}
