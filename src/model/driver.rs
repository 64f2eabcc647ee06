//! Amanda's driver: which idle dumper gets which DLE, and when (`driver.c`, `start_some_dumps`).
//!
//! Idle dumpers are filled lowest index first; each scans the whole run queue and takes the
//! eligible DLE its `dumporder` letter prefers (ties: earliest in the queue). A DLE is eligible
//! when its host runs fewer than `maxdumps` dumps, no dump of its spindle runs, its host started
//! nothing in the last host gap, and its estimated rate fits in the free `netusage` (the first
//! dump always fits). A failed DLE goes once more to the queue's tail.

use super::runq::{Entry, RunQueue};
use super::{DleId, HostId};
use crate::sim::{SimDuration, SimTime};
use serde::Serialize;

/// What a `dumporder` letter sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SortKey {
    /// `t`/`T`: estimated dump time.
    Time,
    /// `s`/`S`: estimated size.
    Size,
    /// `b`/`B`: estimated bandwidth.
    Bandwidth,
}

/// One dumper's preference: a key and whether the largest comes first (upper-case letter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Order {
    /// What is compared.
    pub key: SortKey,
    /// Upper case: largest first.
    pub largest_first: bool,
}

impl Order {
    /// Parses one `dumporder` letter.
    pub fn from_letter(c: char) -> Option<Order> {
        let key = match c.to_ascii_lowercase() {
            't' => SortKey::Time,
            's' => SortKey::Size,
            'b' => SortKey::Bandwidth,
            _ => return None,
        };
        Some(Order {
            key,
            largest_first: c.is_ascii_uppercase(),
        })
    }

    /// The order of dumper `i`: its letter, or `T` past the string's end.
    pub fn for_dumper(orders: &[Order], i: usize) -> Order {
        orders.get(i).copied().unwrap_or(Order {
            key: SortKey::Time,
            largest_first: true,
        })
    }
}

/// What the driver knows of a DLE when it schedules it.
#[derive(Clone, Copy, Debug)]
pub struct DleInfo {
    /// Its host.
    pub host: HostId,
    /// Spindle number, -1 for none.
    pub spindle: i32,
    /// Estimated size, KB.
    pub size_kb: f64,
    /// Estimated rate, KB/s.
    pub rate_kbs: f64,
    /// It may not start before this (a retried DLE's `start_t`).
    pub not_before: SimTime,
}

impl DleInfo {
    /// The value a `dumporder` letter sorts by: the one place that says what the driver ranks.
    /// It must not change while the DLE is queued (the run queue is indexed by it).
    pub fn key(&self, k: SortKey) -> f64 {
        match k {
            SortKey::Time => self.size_kb / self.rate_kbs,
            SortKey::Size => self.size_kb,
            SortKey::Bandwidth => self.rate_kbs,
        }
    }
}

/// The driver's bookkeeping.
#[derive(Clone, Debug)]
pub struct Driver {
    /// DLEs waiting for a dumper, in queue order, indexed per `dumporder` letter.
    runq: RunQueue,
    /// Dumps running per host.
    host_running: Vec<u32>,
    /// Dumps running in all.
    running: u32,
    /// Last dump start per host.
    host_last_start: Vec<Option<SimTime>>,
    /// Spindles busy, as (host, spindle).
    spindles: Vec<(HostId, i32)>,
    /// Estimated KB/s of the dumps running.
    net_in_use: f64,
    /// Planned bandwidth limit, KB/s.
    netusage: f64,
    /// The lowest estimated rate of any DLE queued tonight, KB/s: a bound below every queued
    /// rate, so that a pick with less free `netusage` than this ends at once.
    min_rate_queued: f64,
    /// Minimum time between two dump starts on one host.
    host_gap: SimDuration,
}

/// Why the queue's best candidate could not start now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Take this DLE.
    Take(DleId),
    /// Nothing can start until this time (a host gap ends).
    WaitUntil(SimTime),
    /// Nothing can start until a dump ends.
    Blocked,
}

impl Driver {
    /// A driver with an empty queue for `hosts` hosts, whose dumpers use the letters `orders`.
    pub fn new(hosts: usize, netusage: f64, host_gap: SimDuration, orders: &[Order]) -> Self {
        Driver {
            runq: RunQueue::new(hosts, orders),
            host_running: vec![0; hosts],
            running: 0,
            host_last_start: vec![None; hosts],
            spindles: Vec::new(),
            net_in_use: 0.0,
            netusage,
            min_rate_queued: f64::INFINITY,
            host_gap,
        }
    }

    /// DLEs waiting.
    pub fn queued(&self) -> usize {
        self.runq.len()
    }

    /// Whether no DLE waits.
    pub fn is_empty(&self) -> bool {
        self.runq.is_empty()
    }

    /// Appends `dle` (described by `info`) to the queue's tail.
    pub fn push(&mut self, dle: DleId, info: DleInfo) {
        self.min_rate_queued = self.min_rate_queued.min(info.rate_kbs);
        self.runq.push(dle, info.host, |o| info.key(o.key));
    }

    /// When host `h` may start a dump again, if that is after `now`.
    fn gap_end(&self, h: HostId, now: SimTime) -> Option<SimTime> {
        self.host_last_start[usize::from(h.0)]
            .map(|last| last + self.host_gap)
            .filter(|&t| t > now)
    }

    /// Whether `i` passes the tests that do not depend on time: its spindle and `netusage`.
    fn fits(&self, i: &DleInfo) -> bool {
        if i.spindle >= 0 && self.spindles.contains(&(i.host, i.spindle)) {
            return false;
        }
        !(self.net_in_use > 0.0 && i.rate_kbs > self.netusage - self.net_in_use)
    }

    /// The DLE a dumper with `order` should take now, given each DLE's info and host `maxdumps`:
    /// the eligible one `order` ranks first, ties to the earliest in the queue.
    ///
    /// Hosts are visited by their best DLE; a host at `maxdumps` or in its gap is passed over
    /// whole, and the walk stops at the first host whose best cannot beat the DLE found.
    pub fn pick(
        &self,
        now: SimTime,
        order: Order,
        info: impl Fn(DleId) -> DleInfo,
        maxdumps: impl Fn(HostId) -> u32,
    ) -> Pick {
        if self.net_in_use > 0.0 && self.min_rate_queued > self.netusage - self.net_in_use {
            // No queued DLE fits the free bandwidth: none is eligible, none gives a wake-up.
            return Pick::Blocked;
        }
        let ix = self.runq.by(order);
        let mut best: Option<Entry> = None;
        let mut wake: Option<SimTime> = None;
        let mut soonest = |t: SimTime| wake = Some(wake.map_or(t, |w: SimTime| w.min(t)));
        // Whether some host was passed over for its gap: only then can the second walk below
        // find a wake-up time (without one, it would visit every head for nothing).
        let mut gap_seen = false;
        for head in ix.heads() {
            if best.is_some_and(|b| *head >= b) {
                break;
            }
            let h = head.host;
            if self.host_running[usize::from(h.0)] >= maxdumps(h) {
                continue;
            }
            if self.gap_end(h, now).is_some() {
                gap_seen = true;
                continue;
            }
            for e in ix.of_host(h) {
                if best.is_some_and(|b| *e >= b) {
                    break;
                }
                let i = info(e.dle);
                if !self.fits(&i) {
                    continue;
                }
                if i.not_before > now {
                    soonest(i.not_before);
                    continue;
                }
                best = Some(*e);
                break;
            }
        }
        if let Some(b) = best {
            return Pick::Take(b.dle);
        }
        if !gap_seen {
            return wake.map_or(Pick::Blocked, Pick::WaitUntil);
        }
        // Nothing eligible: the hosts in their gap say when to look again.
        for head in ix.heads() {
            let h = head.host;
            if self.host_running[usize::from(h.0)] >= maxdumps(h) {
                continue;
            }
            let Some(free_at) = self.gap_end(h, now) else {
                continue;
            };
            for e in ix.of_host(h) {
                let i = info(e.dle);
                if self.fits(&i) {
                    soonest(if i.not_before > now {
                        i.not_before
                    } else {
                        free_at
                    });
                }
            }
        }
        match wake {
            Some(t) => Pick::WaitUntil(t),
            None => Pick::Blocked,
        }
    }

    /// Takes `dle` out of the queue and books its host, spindle and bandwidth.
    pub fn start(&mut self, dle: DleId, info: DleInfo, now: SimTime) {
        self.runq.remove(dle, info.host, |o| info.key(o.key));
        let h = usize::from(info.host.0);
        self.host_running[h] += 1;
        self.running += 1;
        self.host_last_start[h] = Some(now);
        if info.spindle >= 0 {
            self.spindles.push((info.host, info.spindle));
        }
        self.net_in_use += info.rate_kbs;
    }

    /// A dump of `info` ended, however it ended.
    pub fn finish(&mut self, info: DleInfo) {
        let h = usize::from(info.host.0);
        self.host_running[h] -= 1;
        self.running -= 1;
        if let Some(i) = self
            .spindles
            .iter()
            .position(|&s| s == (info.host, info.spindle))
        {
            self.spindles.swap_remove(i);
        }
        self.net_in_use = (self.net_in_use - info.rate_kbs).max(0.0);
        if self.running == 0 {
            // Avoids float dust keeping the "interface busy" test true forever.
            self.net_in_use = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(d: DleId) -> DleInfo {
        // DLE n: host n % 2, size 100 * (n + 1), rate 10.
        DleInfo {
            host: HostId((d.0 % 2) as u16),
            spindle: -1,
            size_kb: 100.0 * f64::from(d.0 + 1),
            rate_kbs: 10.0,
            not_before: SimTime::ZERO,
        }
    }

    const ORDERS: [Order; 2] = [
        Order {
            key: SortKey::Time,
            largest_first: false,
        },
        Order {
            key: SortKey::Time,
            largest_first: true,
        },
    ];

    fn driver() -> Driver {
        let mut d = Driver::new(2, 1e9, SimDuration::from_secs(15), &ORDERS);
        for n in 0..4 {
            d.push(DleId(n), info(DleId(n)));
        }
        d
    }

    #[test]
    fn letters_pick_shortest_or_longest() {
        let d = driver();
        let t = Order::from_letter('t').unwrap();
        let big_t = Order::for_dumper(&[t], 5);
        assert_eq!(d.pick(SimTime::ZERO, t, info, |_| 1), Pick::Take(DleId(0)));
        assert_eq!(
            d.pick(SimTime::ZERO, big_t, info, |_| 1),
            Pick::Take(DleId(3))
        );
    }

    #[test]
    fn maxdumps_and_host_gap_hold_a_host_back() {
        let mut d = driver();
        let t = Order::from_letter('t').unwrap();
        d.start(DleId(0), info(DleId(0)), SimTime::ZERO); // host 0 busy
        assert_eq!(d.pick(SimTime::ZERO, t, info, |_| 1), Pick::Take(DleId(1)));
        d.finish(info(DleId(0)));
        d.start(DleId(1), info(DleId(1)), SimTime::ZERO);
        d.finish(info(DleId(1)));
        // Both hosts started a dump at 0: nothing may start before 15 s.
        assert_eq!(
            d.pick(SimTime(1), t, info, |_| 2),
            Pick::WaitUntil(SimTime::ZERO + SimDuration::from_secs(15))
        );
    }

    #[test]
    fn netusage_lets_the_first_dump_through_only() {
        let mut d = Driver::new(2, 15.0, SimDuration::ZERO, &ORDERS);
        for n in 0..4 {
            d.push(DleId(n), info(DleId(n)));
        }
        let t = Order::from_letter('t').unwrap();
        assert_eq!(d.pick(SimTime::ZERO, t, info, |_| 1), Pick::Take(DleId(0)));
        d.start(DleId(0), info(DleId(0)), SimTime::ZERO);
        assert_eq!(d.pick(SimTime::ZERO, t, info, |_| 1), Pick::Blocked);
    }
}
