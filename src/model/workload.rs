//! One night's work drawn from the disklist: levels, sizes, rates, estimate times, port offsets.
//!
//! Every draw comes from its own stream (see [`crate::sim::rng`]) in a fixed order: DLEs in
//! disklist order, dumpers in fork order. Each DLE always takes the same number of draws, so a
//! remedy that changes `inparallel` or the firewall sees the very same night.

use crate::model::config::{Host, SiteConfig};
use crate::sim::SimDuration;
use crate::sim::rng::{Purpose, stream};
use rand::RngExt;
use rand_distr::StandardNormal;

/// Stream of full-or-incremental choices and incremental fractions.
pub const LEVELS: Purpose = Purpose(1);
/// Stream of disk-rate factors.
pub const RATES: Purpose = Purpose(2);
/// Stream of estimate-duration factors.
pub const ESTIMATES: Purpose = Purpose(3);
/// Stream of the dumpers' `(pid + time)` offsets into the port range.
pub const DUMPER_PORTS: Purpose = Purpose(4);
/// Stream of the planner's offsets.
pub const PLANNER_PORTS: Purpose = Purpose(5);
/// Stream of offsets into the fallback ranges.
pub const FALLBACK_PORTS: Purpose = Purpose(6);
/// Stream of packet-loss draws on links (drawn in event order).
pub const LOSS: Purpose = Purpose(7);
/// Stream of amcheck's port offsets.
pub const AMCHECK_PORTS: Purpose = Purpose(8);
/// Stream: how long each 3.x dumper takes from the driver's command to its REQ.
pub const PROCESS_STARTS: Purpose = Purpose(9);
/// Stream of per-packet latency jitter (drawn in send order).
pub const PACKET_JITTER: Purpose = Purpose(10);
/// Stream of each DLE's rates on the three nights before (the planner's history).
pub const RATE_HISTORY: Purpose = Purpose(11);
/// Nights of rate history the planner averages (`AVG_COUNT` in 2.4.5 `infofile.h`).
const HISTORY_NIGHTS: usize = 3;
/// Stream of the disks that `host_templates` make at load: drawn once per scenario, from
/// replication 0's stream of this purpose (the site is the same every night); each template and
/// quantity starts at its own word, so templates never share draws.
pub const HOST_TEMPLATES: Purpose = Purpose(12);

/// A distribution a value is drawn from: the night's own two (a uniform `[low, high]`, as the
/// incremental fraction; a log-normal with mean `mean` and spread `sigma`, as disk rates and
/// estimate times), and a fixed value, which draws nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spread {
    /// Always this value; takes no draw.
    Fixed(f64),
    /// Uniform in `[low, high]` (inclusive); one draw.
    Uniform(f64, f64),
    /// `mean` times a mean-one log-normal factor of spread `sigma` ([`factor`]).
    LogNormal {
        /// The mean.
        mean: f64,
        /// The log-normal sigma (`workload.jitter` for rates and estimates).
        sigma: f64,
    },
}

impl Spread {
    /// One value from `rng`; the caller has checked `low <= high`, both finite.
    #[inline]
    pub fn draw(self, rng: &mut crate::sim::rng::Stream) -> f64 {
        match self {
            Spread::Fixed(x) => x,
            Spread::Uniform(low, high) => rng.random_range(low..=high),
            Spread::LogNormal { mean, sigma } => mean * factor(rng, sigma),
        }
    }
}

/// One DLE's work tonight.
#[derive(Clone, Debug)]
pub struct NightDle {
    /// Dump level: 0 full, 1 incremental.
    pub level: u8,
    /// Size of tonight's dump, KB.
    pub size_kb: f64,
    /// Rate the client delivers it, KB/s.
    pub rate_kbs: f64,
    /// The rate the planner expects from the DLE's history, KB/s: what the driver ranks and
    /// books against `netusage` (tonight's rate is known only once the dump ran).
    pub est_rate_kbs: f64,
    /// Time sendsize takes to estimate it.
    pub estimate: SimDuration,
}

impl NightDle {
    /// Time the dump takes at the client's rate.
    pub fn dump_time(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.size_kb / self.rate_kbs)
    }
}

/// Offsets a process feeds `bind_portrange`: into the range, then into 512-1023, then ephemeral.
#[derive(Clone, Copy, Debug, Default)]
pub struct PortDraws {
    /// Offset into `udpportrange`.
    pub range: u32,
    /// Offset into 512-1023.
    pub reserved: u32,
    /// Offset into the kernel's ephemeral range.
    pub ephemeral: u32,
}

/// Everything random about one night.
#[derive(Clone, Debug)]
pub struct Night {
    /// Per DLE, in disklist order.
    pub dles: Vec<NightDle>,
    /// Per host: how long sendsize takes for all its disks.
    pub host_estimate: Vec<SimDuration>,
    /// Per DLE slot: when each of its host's estimates is done, in order within the host's
    /// range of DLEs (the last is `host_estimate`); read it with [`Night::host_partials`].
    partials: Vec<SimDuration>,
    /// Per dumper, in fork order.
    pub dumper_ports: Vec<PortDraws>,
    /// The planner's.
    pub planner_ports: PortDraws,
    /// amcheck's, when one overlaps the night.
    pub amcheck_ports: PortDraws,
}

/// A mean-one log-normal factor with spread `sigma`.
#[inline]
pub fn factor(rng: &mut crate::sim::rng::Stream, sigma: f64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    (sigma * z - sigma * sigma / 2.0).exp()
}

/// 2.4.5 `server-src/infofile.c` `perf_average` (lines 523-545): the last nights' rates,
/// most recent first, weighted 3, 2, 1. The planner's `est_time` is the estimated size over it
/// (`planner.c` line 2687) and the driver's `est_kps` is size over that time (`driver.c`
/// lines 1658-1675): the driver never sees tonight's rate.
fn perf_average(rates: &[f64; HISTORY_NIGHTS]) -> f64 {
    let weights = (1..=HISTORY_NIGHTS).rev().map(|w| w as f64);
    let (sum, n) = rates
        .iter()
        .zip(weights)
        .fold((0.0, 0.0), |(s, n), (r, w)| (s + r * w, n + w));
    sum / n
}

/// Per host, how long sendsize takes for all its disks, and per DLE slot when each of its
/// host's estimates is done (see [`Night::host_partials`]).
fn host_estimates(sc: &SiteConfig, dles: &[NightDle]) -> (Vec<SimDuration>, Vec<SimDuration>) {
    // sendsize estimates a host's disks `maxdumps` at a time; the REP waits for the last.
    // Hosts' DLE ranges are disjoint, so each host's partials fill its own slots of one
    // vector, and one scratch of lanes serves every host: no allocation per host.
    let mut partials = vec![SimDuration::ZERO; dles.len()];
    let mut lanes = Vec::new();
    let host_estimate = sc
        .hosts
        .iter()
        .map(|h| {
            lanes.clear();
            lanes.resize(h.maxdumps.max(1) as usize, SimDuration::ZERO);
            let done = &mut partials[h.dles.clone()];
            for (slot, d) in done.iter_mut().zip(&dles[h.dles.clone()]) {
                let lane = lanes.iter_mut().min().expect("at least one lane");
                *lane = *lane + d.estimate;
                *slot = *lane;
            }
            done.sort();
            done.last().copied().unwrap_or_default()
        })
        .collect();
    (host_estimate, partials)
}

fn port_draws(
    rng: &mut crate::sim::rng::Stream,
    fallback: &mut crate::sim::rng::Stream,
) -> PortDraws {
    PortDraws {
        range: rng.random_range(0..65536),
        reserved: fallback.random_range(0..65536),
        ephemeral: fallback.random_range(0..65536),
    }
}

impl Night {
    /// When each of `host`'s disk estimates is done, in order (the last is its `host_estimate`).
    pub fn host_partials(&self, host: &Host) -> &[SimDuration] {
        &self.partials[host.dles.clone()]
    }

    /// Draws replication `rep` of the scenario's night.
    pub fn draw(sc: &SiteConfig, rep: u64) -> Night {
        let seed = sc.seed;
        let w = &sc.workload;
        let (mut lv, mut rt, mut es) = (
            stream(seed, rep, LEVELS),
            stream(seed, rep, RATES),
            stream(seed, rep, ESTIMATES),
        );
        let mut hist = stream(seed, rep, RATE_HISTORY);
        let dles: Vec<NightDle> = sc
            .dles
            .iter()
            .map(|d| {
                let full = lv.random_range(0..w.dumpcycle) == 0;
                let (low, high) = w.incremental_fraction;
                let frac = Spread::Uniform(low, high).draw(&mut lv);
                let sigma = w.jitter;
                let rate = Spread::LogNormal {
                    mean: d.rate_kbs,
                    sigma,
                }
                .draw(&mut rt);
                let est = Spread::LogNormal {
                    mean: d.estimate.as_secs_f64(),
                    sigma,
                }
                .draw(&mut es);
                let past: [f64; HISTORY_NIGHTS] =
                    std::array::from_fn(|_| d.rate_kbs * factor(&mut hist, w.jitter));
                NightDle {
                    level: if full { 0 } else { 1 },
                    size_kb: if full { d.full_kb } else { d.full_kb * frac },
                    rate_kbs: rate,
                    est_rate_kbs: perf_average(&past),
                    estimate: SimDuration::from_secs_f64(est),
                }
            })
            .collect();
        let (host_estimate, partials) = host_estimates(sc, &dles);
        let mut dp = stream(seed, rep, DUMPER_PORTS);
        let mut fb = stream(seed, rep, FALLBACK_PORTS);
        let dumper_ports = (0..sc.server.inparallel)
            .map(|_| port_draws(&mut dp, &mut fb))
            .collect();
        let mut pp = stream(seed, rep, PLANNER_PORTS);
        let mut pfb = pp.clone();
        pfb.set_word_pos(1 << 40);
        let planner_ports = port_draws(&mut pp, &mut pfb);
        let mut ap = stream(seed, rep, AMCHECK_PORTS);
        let mut afb = ap.clone();
        afb.set_word_pos(1 << 40);
        let amcheck_ports = port_draws(&mut ap, &mut afb);
        Night {
            dles,
            host_estimate,
            partials,
            dumper_ports,
            planner_ports,
            amcheck_ports,
        }
    }
}
