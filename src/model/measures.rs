//! The measures a night is judged by: what failed, how long it took, and what the firewall
//! exposed (MODEL.md section 5). The one place that counts a night: [`Summary`] (`run`'s totals)
//! and [`Measures`] (`compare`'s) both count through the functions here; `check` reads both.

use super::firewall::{Firewall, Header, Proto};
use super::outcome::{DleFate, Outcome};
use super::ports::Port;
use super::site::RunResult;
use super::{Node, ZoneId};
use crate::model::config::SiteConfig;
use crate::sim::SimTime;
use serde::Serialize;

/// The source port Amanda clients answer from.
pub const AMANDA_PORT: Port = Port(10080);
/// A source port no legitimate client uses, to tell a sender-chosen field from an open hole.
const OTHER_SOURCE: Port = Port(40000);

/// The median (the mean of the middle two for an even count); none for no values.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// One night's numbers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Measures {
    /// DLEs not dumped.
    pub failed_dles: f64,
    /// Attempts that did not end in DONE.
    pub failed_attempts: f64,
    /// Backup window, hours.
    pub window_h: f64,
    /// Data dumped, GB.
    pub dumped_gb: f64,
    /// Attempts that waited for a range port.
    pub waited_for_port: f64,
    /// Server UDP ports one unsolicited packet from an untrusted zone can reach.
    pub reachable_ports: f64,
    /// 1 when some of those ports are reachable only with source port 10080: a field the sender chooses.
    pub rests_on_source_port: f64,
    /// Sum over the window of (server port, peer) pairs open to inbound packets, in port-hours:
    /// each static hole times the hosts of its zone for the whole window, plus every state entry
    /// (and helper expectation) for its lifetime.
    pub pinhole_port_hours: f64,
    /// Share of legitimate client replies the firewall dropped.
    pub reply_drop_chance: f64,
}

/// Names of the measures, in [`Measures::values`] order.
pub const MEASURE_NAMES: [&str; 9] = [
    "failed_dles",
    "failed_attempts",
    "window_h",
    "dumped_gb",
    "waited_for_port",
    "reachable_ports",
    "rests_on_source_port",
    "pinhole_port_hours",
    "reply_drop_chance",
];

/// Static exposure of a rule set: for each untrusted zone, the server ports reachable.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StaticExposure {
    /// Ports reachable from any untrusted zone with some source port.
    pub reachable: u32,
    /// Whether a source port of 10080 opens more than an arbitrary one does.
    pub rests_on_source_port: bool,
    /// Sum over untrusted zones of reachable ports x hosts in the zone.
    pub port_peers: u64,
}

/// Counts server UDP ports reachable from each zone other than the server's.
pub fn static_exposure(sc: &SiteConfig) -> StaticExposure {
    let fw: &Firewall = &sc.firewall;
    let server_zone = sc.server.zone;
    let mut out = StaticExposure::default();
    for z in 0..sc.zones.len() {
        let zone = ZoneId(z as u8);
        if zone == server_zone {
            continue;
        }
        let mut with_amanda = 0u32;
        let mut reachable = 0u32;
        for p in 0..=u16::MAX {
            let open = |src| {
                fw.evaluate(&Header {
                    proto: Proto::Udp,
                    src: Node::Outside,
                    src_zone: zone,
                    src_port: src,
                    dst: Node::Server,
                    dst_zone: server_zone,
                    dst_port: Port(p),
                })
                .action
                .passes()
            };
            let (a, o) = (open(AMANDA_PORT), open(OTHER_SOURCE));
            with_amanda += u32::from(a && !o);
            reachable += u32::from(a || o);
        }
        let peers = sc.hosts.iter().filter(|h| h.zone == zone).count() as u64;
        out.reachable = out.reachable.max(reachable);
        out.rests_on_source_port |= with_amanda > 0;
        out.port_peers += u64::from(reachable) * peers;
    }
    out
}

/// Totals of a night, as `run` reports them (times to the millisecond).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// DLEs in the disklist.
    pub dles: usize,
    /// Dumped tonight.
    pub dumped: usize,
    /// Not dumped tonight (failed, or never scheduled).
    pub failed: usize,
    /// Of the failed, those whose estimate failed.
    pub not_scheduled: usize,
    /// Dump attempts.
    pub attempts: usize,
    /// Attempts that did not end in DONE.
    pub failed_attempts: usize,
    /// Failed DLEs on firewalled hosts.
    pub failed_firewalled: usize,
    /// Attempts that waited for a range port.
    pub waited_for_port: usize,
    /// Seconds from amdump's start to the last DLE's fate.
    pub window_s: f64,
    /// Seconds of the estimate phase.
    pub estimates_s: f64,
    /// Packets the firewall dropped.
    pub dropped_packets: u64,
    /// Events simulated.
    pub events: u64,
}

/// Seconds from amdump's start, to the millisecond: plenty for people, and short JSON.
pub fn secs(t: SimTime) -> f64 {
    (t.0 / 1000) as f64 / 1000.0
}

/// DLEs not dumped tonight.
fn failed_dles(r: &RunResult) -> impl Iterator<Item = usize> + '_ {
    (0..r.dles.len()).filter(|&i| r.dles[i].fate != Some(DleFate::Dumped))
}

/// Attempts that did not end in DONE.
fn failed_attempts(r: &RunResult) -> usize {
    r.attempts
        .iter()
        .filter(|a| a.outcome != Some(Outcome::Done))
        .count()
}

/// Attempts that waited for a range port.
fn waited_for_port(r: &RunResult) -> usize {
    r.attempts.iter().filter(|a| a.port_wait.0 > 0).count()
}

impl Summary {
    /// The totals of `r`, a night of `cfg`.
    pub fn of(cfg: &SiteConfig, r: &RunResult) -> Summary {
        let failed: Vec<usize> = failed_dles(r).collect();
        Summary {
            dles: r.dles.len(),
            dumped: r.dles.len() - failed.len(),
            failed: failed.len(),
            not_scheduled: failed
                .iter()
                .filter(|&&i| r.dles[i].fate == Some(DleFate::NotScheduled))
                .count(),
            attempts: r.attempts.len(),
            failed_attempts: failed_attempts(r),
            failed_firewalled: failed
                .iter()
                .filter(|&&i| cfg.firewalled(cfg.dles[i].host))
                .count(),
            waited_for_port: waited_for_port(r),
            window_s: secs(r.window),
            estimates_s: secs(r.estimates_end),
            dropped_packets: r.dropped_packets,
            events: r.events,
        }
    }
}

impl Measures {
    /// The measures of one night; `exposure` is [`static_exposure`] of the same scenario.
    pub fn of(r: &RunResult, exposure: StaticExposure) -> Measures {
        let failed = failed_dles(r).count();
        let dumped_kb: f64 = r
            .dles
            .iter()
            .zip(&r.night.dles)
            .filter(|(d, _)| d.fate == Some(DleFate::Dumped))
            .map(|(_, n)| n.size_kb)
            .sum();
        let window_h = r.window.as_secs_f64() / 3600.0;
        Measures {
            failed_dles: failed as f64,
            failed_attempts: failed_attempts(r) as f64,
            window_h,
            dumped_gb: dumped_kb / 1024.0 / 1024.0,
            waited_for_port: waited_for_port(r) as f64,
            reachable_ports: f64::from(exposure.reachable),
            rests_on_source_port: f64::from(u8::from(exposure.rests_on_source_port)),
            // Static holes are open all night; state entries for their lifetime.
            pinhole_port_hours: exposure.port_peers as f64 * window_h + r.state_pinhole_s / 3600.0,
            reply_drop_chance: if r.replies_sent == 0 {
                0.0
            } else {
                r.replies_dropped as f64 / r.replies_sent as f64
            },
        }
    }

    /// The values in [`MEASURE_NAMES`] order.
    pub fn values(&self) -> [f64; 9] {
        [
            self.failed_dles,
            self.failed_attempts,
            self.window_h,
            self.dumped_gb,
            self.waited_for_port,
            self.reachable_ports,
            self.rests_on_source_port,
            self.pinhole_port_hours,
            self.reply_drop_chance,
        ]
    }
}
