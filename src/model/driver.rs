//! Amanda's driver: which idle dumper gets which DLE, and when (`driver.c`, `start_some_dumps`).
//!
//! Idle dumpers are filled lowest index first; each scans the whole run queue and takes the
//! eligible DLE its `dumporder` letter prefers (ties: earliest in the queue). A DLE is eligible
//! when its host runs fewer than `maxdumps` dumps, no dump of its spindle runs, its host started
//! nothing in the last host gap, and its estimated rate fits in the free `netusage` (the first
//! dump always fits). A failed DLE goes once more to the queue's tail.
//!
//! The driver decides and `Site` carries out: filling idle dumpers ([`Driver::fill`]), reading
//! a dumper's result ([`Driver::result`]: dumped, retried or given up, and the pause after a
//! failure) and waking ([`Driver::wake`]) return [`Action`]s; none touches the network.

use super::outcome::Outcome;
use super::runq::{Entry, RunQueue};
use super::version::FailurePause;
use super::{DleId, DumperId, HostId};
use crate::sim::{SimDuration, SimTime};
use serde::Serialize;
use std::ops::Deref;

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
    /// Minimum time between two dump starts on one host.
    host_gap: SimDuration,
    /// Each dumper's `dumporder` letter.
    orders: Vec<Order>,
    /// Each DLE as the driver knows it (its `not_before` moves when it is retried).
    dles: Vec<DleInfo>,
    /// Each host's `maxdumps`.
    maxdumps: Vec<u32>,
    /// Retries and the pause after a failure.
    policy: Policy,
    /// Retries used per DLE.
    retries_used: Vec<u32>,
    /// Asleep until then (2.4's failure sleep, or start-up).
    asleep_until: Option<SimTime>,
    /// The pending wake-up for a host gap or a dumper's rest, if any.
    gap_wake: Option<SimTime>,
}

/// How the driver treats a failed dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// How often a DLE that asked to try again is retried.
    pub retries: u32,
    /// The pause after a failure.
    pub pause: FailurePause,
}

/// A dumper as the driver sees it when it fills idle dumpers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// It runs an attempt or waits to report one.
    pub busy: bool,
    /// It takes no new work before this.
    pub rest_until: SimTime,
}

/// What the driver asks the site to carry out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start `dle` on `dumper` (the driver has booked it).
    Start {
        /// The idle dumper.
        dumper: DumperId,
        /// The DLE.
        dle: DleId,
    },
    /// Wake the driver at this time (a host gap or a dumper's rest ends).
    WakeAt(SimTime),
    /// The DLE is dumped.
    Dumped(DleId),
    /// The DLE's attempt failed and it is queued again.
    Retry(DleId),
    /// The DLE failed for good; `retries_exhausted` if it asked to try again once too often.
    GiveUp {
        /// The DLE.
        dle: DleId,
        /// It asked to try again, but its retries are used up.
        retries_exhausted: bool,
    },
    /// 2.4: the driver sleeps until `until` after `dumper` failed (wake it then).
    Sleep {
        /// The dumper that failed.
        dumper: DumperId,
        /// The end of the sleep.
        until: SimTime,
    },
    /// 2.5+: `dumper` rests until `until` after it failed.
    Rest {
        /// The dumper that failed.
        dumper: DumperId,
        /// The end of its rest.
        until: SimTime,
    },
}

/// What [`Driver::result`] asks for: the DLE's fate, then the pause after a failure, if any
/// (a fixed pair, not a `Vec`: a night reads many results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actions {
    items: [Action; 2],
    len: usize,
}

impl Actions {
    /// Just `a`.
    fn one(a: Action) -> Self {
        Actions {
            items: [a; 2],
            len: 1,
        }
    }

    /// Adds `a` after the first.
    fn push(&mut self, a: Action) {
        debug_assert!(self.len == 1, "a result asks for two actions at most");
        self.items[1] = a;
        self.len = 2;
    }
}

impl Deref for Actions {
    type Target = [Action];

    fn deref(&self) -> &[Action] {
        &self.items[..self.len]
    }
}

impl IntoIterator for Actions {
    type Item = Action;
    type IntoIter = std::iter::Take<std::array::IntoIter<Action, 2>>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter().take(self.len)
    }
}

/// Whether filling idle dumpers goes on with the next dumper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// On to the next dumper.
    Next,
    /// Stop: nothing more can start now.
    Stop,
}

/// What a wake-up found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Woke {
    /// The sleep is over: the site reads the results that queued up and fills idle dumpers
    /// (2.4 reads them all first; after 3.x's start-up it fills first).
    FromSleep,
    /// Still asleep (a wake-up for a gap during the sleep): nothing to do.
    StillAsleep,
    /// Awake: fill idle dumpers (a host gap or a rest ended).
    Fill,
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
    /// A driver with an empty queue for the hosts' `maxdumps`, whose dumpers use the letters
    /// `orders`, knowing the DLEs `dles`.
    pub fn new(
        maxdumps: Vec<u32>,
        netusage: f64,
        host_gap: SimDuration,
        orders: &[Order],
        dles: Vec<DleInfo>,
        policy: Policy,
    ) -> Self {
        let hosts = maxdumps.len();
        let dle_hosts: Vec<HostId> = dles.iter().map(|i| i.host).collect();
        let mut runq = RunQueue::new(hosts, &dle_hosts, orders);
        for (h, &m) in maxdumps.iter().enumerate() {
            if m == 0 {
                // Never below `maxdumps`: never picked.
                runq.hold(HostId(h as u16), true);
            }
        }
        Driver {
            runq,
            host_running: vec![0; hosts],
            running: 0,
            host_last_start: vec![None; hosts],
            spindles: Vec::new(),
            net_in_use: 0.0,
            netusage,
            host_gap,
            orders: orders.to_vec(),
            retries_used: vec![0; dles.len()],
            dles,
            maxdumps,
            policy,
            asleep_until: None,
            gap_wake: None,
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

    /// Appends `dle` to the queue's tail.
    pub fn push(&mut self, dle: DleId) {
        let info = self.dles[dle.0 as usize];
        self.runq
            .push(dle, info.host, info.rate_kbs, |o| info.key(o.key));
    }

    /// Appends `dles` to the queue's tail in turn, as `push` one by one would (the queue is
    /// built once, at the end).
    pub fn push_all(&mut self, dles: impl IntoIterator<Item = DleId>) {
        let infos = &self.dles;
        self.runq.push_all(
            dles.into_iter().map(|d| {
                let info = &infos[d.0 as usize];
                (d, info.host, info.rate_kbs)
            }),
            |d, o| infos[d.0 as usize].key(o.key),
        );
    }

    /// What the driver knows of `dle`.
    pub fn info(&self, dle: DleId) -> DleInfo {
        self.dles[dle.0 as usize]
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

    /// The highest estimated rate that fits the free `netusage` (any while nothing runs).
    fn max_rate(&self) -> f64 {
        let free = self.netusage - self.net_in_use;
        // A NaN fails no `fits` test: it bounds nothing.
        if self.net_in_use > 0.0 && !free.is_nan() {
            free
        } else {
            f64::INFINITY
        }
    }

    /// The DLE a dumper with `order` should take now: the eligible one `order` ranks first,
    /// ties to the earliest in the queue.
    ///
    /// Hosts are visited by their best DLE; a host at `maxdumps` or in its gap is passed over
    /// whole, and the walk stops at the first host whose best cannot beat the DLE found.
    pub fn pick(&self, now: SimTime, order: Order) -> Pick {
        let info = |d: DleId| &self.dles[d.0 as usize];
        // The walks pass over every host none of whose DLEs fits the free bandwidth: it has
        // none eligible and gives no wake-up.
        let max_rate = self.max_rate();
        let mut best: Option<Entry> = None;
        let mut wake: Option<SimTime> = None;
        // Whether some host was passed over for its gap: only then can the second walk below
        // find a wake-up time (without one, it would visit every head for nothing).
        let mut gap_seen = false;
        // Hosts at `maxdumps` are held out of the walks.
        self.runq.walk(order, max_rate, |h, list| {
            debug_assert!(self.host_running[usize::from(h.0)] < self.maxdumps[usize::from(h.0)]);
            if self.gap_end(h, now).is_some() {
                gap_seen = true;
                return None;
            }
            for e in list {
                if best.is_some_and(|b| *e >= b) {
                    break;
                }
                let i = info(e.dle());
                if !self.fits(i) {
                    continue;
                }
                if i.not_before > now {
                    wake = Some(wake.map_or(i.not_before, |w| w.min(i.not_before)));
                    continue;
                }
                best = Some(*e);
                return best;
            }
            None
        });
        if let Some(b) = best {
            return Pick::Take(b.dle());
        }
        if !gap_seen {
            return wake.map_or(Pick::Blocked, Pick::WaitUntil);
        }
        // Nothing eligible: the hosts in their gap say when to look again.
        self.runq.walk(order, max_rate, |h, list| {
            let free_at = self.gap_end(h, now)?;
            for e in list {
                let i = info(e.dle());
                if self.fits(i) {
                    let t = if i.not_before > now {
                        i.not_before
                    } else {
                        free_at
                    };
                    wake = Some(wake.map_or(t, |w| w.min(t)));
                }
            }
            None
        });
        match wake {
            Some(t) => Pick::WaitUntil(t),
            None => Pick::Blocked,
        }
    }

    /// Takes `dle` out of the queue and books its host, spindle and bandwidth.
    pub fn start(&mut self, dle: DleId, now: SimTime) {
        let info = self.dles[dle.0 as usize];
        let h = usize::from(info.host.0);
        if self.host_running[h] + 1 >= self.maxdumps[h] {
            // Held first: taking its head out then changes no tree.
            self.runq.hold(info.host, true);
        }
        self.runq.remove(dle, info.host, |o| info.key(o.key));
        self.host_running[h] += 1;
        self.running += 1;
        self.host_last_start[h] = Some(now);
        if info.spindle >= 0 {
            self.spindles.push((info.host, info.spindle));
        }
        self.net_in_use += info.rate_kbs;
    }

    /// A dump of `dle` ended, however it ended.
    pub fn finish(&mut self, dle: DleId) {
        let info = self.dles[dle.0 as usize];
        let h = usize::from(info.host.0);
        self.host_running[h] -= 1;
        if self.host_running[h] < self.maxdumps[h] {
            self.runq.hold(info.host, false);
        }
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

/// The driver's decisions: each returns what the site must carry out.
impl Driver {
    /// Whether the driver is awake (not in 2.4's failure sleep or its start-up).
    pub fn awake(&self) -> bool {
        self.asleep_until.is_none()
    }

    /// Whether filling idle dumpers can start anything: awake, with DLEs waiting.
    pub fn may_fill(&self) -> bool {
        self.awake() && !self.is_empty()
    }

    /// The driver is not ready before `until` (3.x start-up): as a sleep. Wake it then.
    pub fn sleep_until(&mut self, until: SimTime) -> Action {
        self.asleep_until = Some(until);
        Action::WakeAt(until)
    }

    /// Makes sure the driver looks again at `t`: a wake-up unless an earlier one is pending.
    fn wake_at(&mut self, now: SimTime, t: SimTime) -> Option<Action> {
        if self.gap_wake.is_none_or(|w| t < w || w <= now) {
            self.gap_wake = Some(t);
            return Some(Action::WakeAt(t));
        }
        None
    }

    /// `start_some_dumps`, for dumper `i` in `slot` (dumpers are filled lowest index first):
    /// what to carry out, if anything, and whether to go on with the next dumper.
    pub fn fill(&mut self, now: SimTime, i: usize, slot: Slot) -> (Option<Action>, Then) {
        if self.is_empty() {
            return (None, Then::Stop);
        }
        if slot.busy {
            return (None, Then::Next);
        }
        if slot.rest_until > now {
            return (self.wake_at(now, slot.rest_until), Then::Next);
        }
        match self.pick(now, Order::for_dumper(&self.orders, i)) {
            Pick::Take(dle) => {
                self.start(dle, now);
                let dumper = DumperId(i as u16);
                (Some(Action::Start { dumper, dle }), Then::Next)
            }
            Pick::WaitUntil(t) => (self.wake_at(now, t), Then::Stop),
            Pick::Blocked => (None, Then::Stop),
        }
    }

    /// `handle_dumper_result`: `dumper` reports `outcome` for `dle` at `now`. The DLE's fate
    /// (dumped, queued again, given up), then the pause after a failure, if any.
    pub fn result(
        &mut self,
        now: SimTime,
        dle: DleId,
        dumper: DumperId,
        outcome: Outcome,
    ) -> Actions {
        self.finish(dle);
        if outcome == Outcome::Done {
            return Actions::one(Action::Dumped(dle));
        }
        let di = dle.0 as usize;
        let retry = outcome == Outcome::TryAgain && self.retries_used[di] < self.policy.retries;
        let mut actions = Actions::one(if retry {
            self.retries_used[di] += 1;
            self.push(dle);
            Action::Retry(dle)
        } else {
            Action::GiveUp {
                dle,
                retries_exhausted: outcome == Outcome::TryAgain,
            }
        });
        match self.policy.pause {
            FailurePause::Driver(pause) => {
                let until = now + pause;
                self.asleep_until = Some(until);
                actions.push(Action::Sleep { dumper, until });
            }
            // 3.5.1 driver.c, dumper_chunker_result: `enqueue_sched(&runq, sp)` and on to
            // `start_some_dumps`, with no sleep and no rest.
            FailurePause::Requeue(_) => {}
            FailurePause::DumperAndDle(pause) => {
                let until = now + pause;
                if retry {
                    self.dles[di].not_before = until;
                }
                actions.push(Action::Rest { dumper, until });
            }
        }
        actions
    }

    /// A wake-up at `now`: what the driver does next.
    pub fn wake(&mut self, now: SimTime) -> Woke {
        match self.asleep_until {
            Some(t) if t <= now => {
                self.asleep_until = None;
                Woke::FromSleep
            }
            Some(_) => Woke::StillAsleep,
            None => {
                if self.gap_wake.is_some_and(|w| w <= now) {
                    self.gap_wake = None;
                }
                Woke::Fill
            }
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

    const PAUSE: SimDuration = SimDuration::from_secs(15);

    /// Two hosts with `maxdumps`, DLEs 0-3 queued, dumpers `t` and `T`.
    fn driver_with(maxdumps: u32, netusage: f64, gap: SimDuration, pause: FailurePause) -> Driver {
        let dles = (0..4).map(|n| info(DleId(n))).collect();
        let policy = Policy { retries: 1, pause };
        let mut d = Driver::new(vec![maxdumps; 2], netusage, gap, &ORDERS, dles, policy);
        for n in 0..4 {
            d.push(DleId(n));
        }
        d
    }

    fn driver(maxdumps: u32) -> Driver {
        driver_with(maxdumps, 1e9, PAUSE, FailurePause::Driver(PAUSE))
    }

    const IDLE: Slot = Slot {
        busy: false,
        rest_until: SimTime::ZERO,
    };

    #[test]
    fn letters_pick_shortest_or_longest() {
        let d = driver(1);
        let t = Order::from_letter('t').unwrap();
        let big_t = Order::for_dumper(&[t], 5);
        assert_eq!(d.pick(SimTime::ZERO, t), Pick::Take(DleId(0)));
        assert_eq!(d.pick(SimTime::ZERO, big_t), Pick::Take(DleId(3)));
    }

    #[test]
    fn maxdumps_and_host_gap_hold_a_host_back() {
        let mut d = driver(1);
        let t = Order::from_letter('t').unwrap();
        d.start(DleId(0), SimTime::ZERO); // host 0 busy
        assert_eq!(d.pick(SimTime::ZERO, t), Pick::Take(DleId(1)));
        d.finish(DleId(0));
        d.start(DleId(1), SimTime::ZERO);
        d.finish(DleId(1));
        // Both hosts started a dump at 0: nothing may start before 15 s.
        let mut d2 = driver(2);
        d2.start(DleId(0), SimTime::ZERO);
        d2.start(DleId(1), SimTime::ZERO);
        d2.finish(DleId(0));
        d2.finish(DleId(1));
        assert_eq!(
            d2.pick(SimTime(1), t),
            Pick::WaitUntil(SimTime::ZERO + PAUSE)
        );
    }

    #[test]
    fn netusage_lets_the_first_dump_through_only() {
        let mut d = driver_with(1, 15.0, SimDuration::ZERO, FailurePause::Requeue(PAUSE));
        let t = Order::from_letter('t').unwrap();
        assert_eq!(d.pick(SimTime::ZERO, t), Pick::Take(DleId(0)));
        d.start(DleId(0), SimTime::ZERO);
        assert_eq!(d.pick(SimTime::ZERO, t), Pick::Blocked);
    }

    #[test]
    fn fill_starts_idle_dumpers_in_order_and_waits_for_the_gap() {
        let mut d = driver(1);
        let now = SimTime::ZERO;
        let start = |dumper, dle| Some(Action::Start { dumper, dle });
        // Dumper 0 (`t`) takes the shortest, dumper 1 (`T`) the longest of the other host.
        assert_eq!(
            d.fill(now, 0, IDLE),
            (start(DumperId(0), DleId(0)), Then::Next)
        );
        assert_eq!(
            d.fill(now, 1, IDLE),
            (start(DumperId(1), DleId(3)), Then::Next)
        );
        // Both hosts run a dump (maxdumps 1): a third dumper finds nothing.
        assert_eq!(d.fill(now, 2, IDLE), (None, Then::Stop));
        let busy = Slot { busy: true, ..IDLE };
        assert_eq!(d.fill(now, 0, busy), (None, Then::Next));
        // A resting dumper asks for one wake-up at the end of its rest, not two.
        let resting = Slot {
            rest_until: SimTime::ZERO + PAUSE,
            ..IDLE
        };
        assert_eq!(
            d.fill(now, 2, resting),
            (Some(Action::WakeAt(SimTime::ZERO + PAUSE)), Then::Next)
        );
        assert_eq!(d.fill(now, 2, resting), (None, Then::Next));
        // Once both dumps end, the host gap holds everything back until 15 s.
        d.finish(DleId(0));
        d.finish(DleId(3));
        let t1 = SimTime(1);
        assert_eq!(
            d.fill(t1, 2, IDLE),
            (None, Then::Stop),
            "a wake-up at 15 s is pending"
        );
    }

    #[test]
    fn a_2_4_failure_retries_once_and_puts_the_driver_to_sleep() {
        let mut d = driver(1);
        let now = SimTime::ZERO;
        let _ = d.fill(now, 0, IDLE);
        let until = now + PAUSE;
        let got = d.result(now, DleId(0), DumperId(0), Outcome::TryAgain);
        assert_eq!(
            *got,
            [
                Action::Retry(DleId(0)),
                Action::Sleep {
                    dumper: DumperId(0),
                    until
                }
            ]
        );
        assert!(!d.awake() && !d.may_fill());
        assert_eq!(d.wake(SimTime(1)), Woke::StillAsleep);
        assert_eq!(d.wake(until), Woke::FromSleep);
        assert!(d.awake());
        // The retry is queued again; its second failure gives up (retries 1).
        assert_eq!(
            d.fill(until, 0, IDLE),
            (
                Some(Action::Start {
                    dumper: DumperId(0),
                    dle: DleId(0)
                }),
                Then::Next
            )
        );
        let got = d.result(until, DleId(0), DumperId(0), Outcome::TryAgain);
        assert_eq!(
            got[0],
            Action::GiveUp {
                dle: DleId(0),
                retries_exhausted: true
            }
        );
        assert_eq!(d.wake(until + PAUSE), Woke::FromSleep);
        let _ = d.fill(until + PAUSE, 0, IDLE);
        let got = d.result(until + PAUSE, DleId(1), DumperId(0), Outcome::Done);
        assert_eq!(*got, [Action::Dumped(DleId(1))]);
    }

    #[test]
    fn a_2_5_failure_rests_the_dumper_and_holds_the_retry_back() {
        let mut d = driver_with(1, 1e9, SimDuration::ZERO, FailurePause::DumperAndDle(PAUSE));
        let now = SimTime::ZERO;
        let _ = d.fill(now, 0, IDLE);
        let until = now + PAUSE;
        let got = d.result(now, DleId(0), DumperId(0), Outcome::TryAgain);
        assert_eq!(
            *got,
            [
                Action::Retry(DleId(0)),
                Action::Rest {
                    dumper: DumperId(0),
                    until
                }
            ]
        );
        assert!(d.awake());
        assert_eq!(d.info(DleId(0)).not_before, until);
        // The shortest DLE is the held-back retry: a `t` dumper passes over it to the next.
        let (act, _) = d.fill(SimTime(1), 0, IDLE);
        let dumper = DumperId(0);
        assert_eq!(
            act,
            Some(Action::Start {
                dumper,
                dle: DleId(1)
            })
        );
        // A failure that does not ask to try again gives up at once, with the attempt's text.
        let got = d.result(SimTime(2), DleId(1), dumper, Outcome::Failed);
        let give_up = Action::GiveUp {
            dle: DleId(1),
            retries_exhausted: false,
        };
        assert_eq!(got[0], give_up);
    }
}
