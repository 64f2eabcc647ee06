//! Amanda's driver: which idle dumper gets which DLE, and when (`driver.c`, `start_some_dumps`).
//!
//! Idle dumpers are filled lowest index first; each scans the whole run queue and takes the
//! eligible DLE its `dumporder` letter prefers (ties: earliest in the queue). A DLE is eligible
//! when its host runs fewer than `maxdumps` dumps, no dump of its spindle runs, its host started
//! nothing in the last host gap, and its estimated rate fits in the free `netusage` (the first
//! dump always fits). A failed DLE goes once more to the queue's tail.

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
    fn key(&self, k: SortKey) -> f64 {
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
    /// DLEs waiting for a dumper, in queue order.
    pub runq: Vec<DleId>,
    /// Dumps running per host.
    host_running: Vec<u32>,
    /// Last dump start per host.
    host_last_start: Vec<Option<SimTime>>,
    /// Spindles busy, as (host, spindle).
    spindles: Vec<(HostId, i32)>,
    /// Estimated KB/s of the dumps running.
    net_in_use: f64,
    /// Planned bandwidth limit, KB/s.
    netusage: f64,
    /// Minimum time between two dump starts on one host.
    host_gap: SimDuration,
}

/// Why the queue's best candidate could not start now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Take the DLE at this position of the run queue.
    Take(usize),
    /// Nothing can start until this time (a host gap ends).
    WaitUntil(SimTime),
    /// Nothing can start until a dump ends.
    Blocked,
}

impl Driver {
    /// A driver with an empty queue for `hosts` hosts.
    pub fn new(hosts: usize, netusage: f64, host_gap: SimDuration) -> Self {
        Driver {
            runq: Vec::new(),
            host_running: vec![0; hosts],
            host_last_start: vec![None; hosts],
            spindles: Vec::new(),
            net_in_use: 0.0,
            netusage,
            host_gap,
        }
    }

    /// The DLE a dumper with `order` should take now, given each DLE's info and host `maxdumps`.
    pub fn pick(
        &self,
        now: SimTime,
        order: Order,
        info: impl Fn(DleId) -> DleInfo,
        maxdumps: impl Fn(HostId) -> u32,
    ) -> Pick {
        let mut best: Option<(usize, f64)> = None;
        let mut wake: Option<SimTime> = None;
        for (pos, &d) in self.runq.iter().enumerate() {
            let i = info(d);
            let h = usize::from(i.host.0);
            if self.host_running[h] >= maxdumps(i.host) {
                continue;
            }
            if i.spindle >= 0 && self.spindles.contains(&(i.host, i.spindle)) {
                continue;
            }
            if self.net_in_use > 0.0 && i.rate_kbs > self.netusage - self.net_in_use {
                continue;
            }
            if i.not_before > now {
                wake = Some(wake.map_or(i.not_before, |w| w.min(i.not_before)));
                continue;
            }
            if let Some(last) = self.host_last_start[h] {
                let free_at = last + self.host_gap;
                if free_at > now {
                    wake = Some(wake.map_or(free_at, |w| w.min(free_at)));
                    continue;
                }
            }
            let k = i.key(order.key);
            let better = match best {
                None => true,
                Some((_, bk)) if order.largest_first => k > bk,
                Some((_, bk)) => k < bk,
            };
            if better {
                best = Some((pos, k));
            }
        }
        match (best, wake) {
            (Some((pos, _)), _) => Pick::Take(pos),
            (None, Some(t)) => Pick::WaitUntil(t),
            (None, None) => Pick::Blocked,
        }
    }

    /// Removes the DLE at `pos` from the queue and books its host, spindle and bandwidth.
    pub fn start(&mut self, pos: usize, info: DleInfo, now: SimTime) -> DleId {
        let d = self.runq.remove(pos);
        let h = usize::from(info.host.0);
        self.host_running[h] += 1;
        self.host_last_start[h] = Some(now);
        if info.spindle >= 0 {
            self.spindles.push((info.host, info.spindle));
        }
        self.net_in_use += info.rate_kbs;
        d
    }

    /// A dump of `info` ended, however it ended.
    pub fn finish(&mut self, info: DleInfo) {
        let h = usize::from(info.host.0);
        self.host_running[h] -= 1;
        if let Some(i) = self
            .spindles
            .iter()
            .position(|&s| s == (info.host, info.spindle))
        {
            self.spindles.swap_remove(i);
        }
        self.net_in_use = (self.net_in_use - info.rate_kbs).max(0.0);
        if self.host_running.iter().all(|&n| n == 0) {
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

    fn driver() -> Driver {
        let mut d = Driver::new(2, 1e9, SimDuration::from_secs(15));
        d.runq = (0..4).map(DleId).collect();
        d
    }

    #[test]
    fn letters_pick_shortest_or_longest() {
        let d = driver();
        let t = Order::from_letter('t').unwrap();
        let big_t = Order::for_dumper(&[t], 5);
        assert_eq!(d.pick(SimTime::ZERO, t, info, |_| 1), Pick::Take(0));
        assert_eq!(d.pick(SimTime::ZERO, big_t, info, |_| 1), Pick::Take(3));
    }

    #[test]
    fn maxdumps_and_host_gap_hold_a_host_back() {
        let mut d = driver();
        let t = Order::from_letter('t').unwrap();
        d.start(0, info(DleId(0)), SimTime::ZERO); // host 0 busy
        assert_eq!(d.pick(SimTime::ZERO, t, info, |_| 1), Pick::Take(0)); // DLE 1, host 1
        d.finish(info(DleId(0)));
        d.start(0, info(DleId(1)), SimTime::ZERO);
        d.finish(info(DleId(1)));
        // Both hosts started a dump at 0: nothing may start before 15 s.
        assert_eq!(
            d.pick(SimTime(1), t, info, |_| 2),
            Pick::WaitUntil(SimTime::ZERO + SimDuration::from_secs(15))
        );
    }

    #[test]
    fn netusage_lets_the_first_dump_through_only() {
        let mut d = Driver::new(2, 15.0, SimDuration::ZERO);
        d.runq = (0..4).map(DleId).collect();
        let t = Order::from_letter('t').unwrap();
        assert_eq!(d.pick(SimTime::ZERO, t, info, |_| 1), Pick::Take(0));
        d.start(0, info(DleId(0)), SimTime::ZERO);
        assert_eq!(d.pick(SimTime::ZERO, t, info, |_| 1), Pick::Blocked);
    }
}
