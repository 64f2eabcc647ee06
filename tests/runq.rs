//! The indexed run queue picks what Amanda's list scan picks (`driver.c`, `start_some_dumps`).
//!
//! A reference driver keeps the queue as a plain list and scans it whole for every pick, as the
//! model did before the index; random sequences of queue joins, picks, starts, dump ends and
//! clock moves, on few hosts with spindles, `maxdumps`, a host gap, `netusage`, `not_before` and
//! many equal keys, must give the same `Pick` from both at every step, for every letter.

use portsim::model::driver::{DleInfo, Driver, Order, Pick, Policy};
use portsim::model::outcome::Outcome;
use portsim::model::version::FailurePause;
use portsim::model::{DleId, DumperId, HostId};
use portsim::sim::{SimDuration, SimTime};
use proptest::prelude::*;

const HOSTS: usize = 4;
const GAP: SimDuration = SimDuration::from_secs(15);
const NETUSAGE: f64 = 25.0;
const HOLD: SimDuration = SimDuration::from_secs(10);

/// The list-scanning driver, as it was.
#[derive(Default)]
struct Reference {
    runq: Vec<DleId>,
    host_running: [u32; HOSTS],
    last_start: [Option<SimTime>; HOSTS],
    spindles: Vec<(HostId, i32)>,
    net_in_use: f64,
}

impl Reference {
    fn pick(&self, now: SimTime, order: Order, info: &[DleInfo], maxdumps: &[u32]) -> Pick {
        let mut best: Option<(DleId, f64)> = None;
        let mut wake: Option<SimTime> = None;
        for &d in &self.runq {
            let i = info[d.0 as usize];
            let h = usize::from(i.host.0);
            if self.host_running[h] >= maxdumps[h]
                || (i.spindle >= 0 && self.spindles.contains(&(i.host, i.spindle)))
                || (self.net_in_use > 0.0 && i.rate_kbs > NETUSAGE - self.net_in_use)
            {
                continue;
            }
            let free_at = self.last_start[h].map(|l| l + GAP).filter(|&t| t > now);
            let until = if i.not_before > now {
                Some(i.not_before)
            } else {
                free_at
            };
            if let Some(t) = until {
                wake = Some(wake.map_or(t, |w| w.min(t)));
                continue;
            }
            let k = i.key(order.key);
            let better = match best {
                None => true,
                Some((_, bk)) if order.largest_first => k > bk,
                Some((_, bk)) => k < bk,
            };
            if better {
                best = Some((d, k));
            }
        }
        match (best, wake) {
            (Some((d, _)), _) => Pick::Take(d),
            (None, Some(t)) => Pick::WaitUntil(t),
            (None, None) => Pick::Blocked,
        }
    }
}

/// One step of a random driver history.
#[derive(Clone, Debug)]
enum Step {
    /// A dumper with this letter (index into LETTERS) picks and starts what it gets.
    Pick(usize),
    /// The running dump with this index (mod running) ends; retried if `retry`.
    End(usize, bool),
    /// The clock moves this many seconds.
    Wait(u64),
}

const LETTERS: [char; 6] = ['t', 'T', 's', 'S', 'b', 'B'];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..LETTERS.len()).prop_map(Step::Pick),
        2 => (0usize..8, any::<bool>()).prop_map(|(i, r)| Step::End(i, r)),
        1 => (0u64..20).prop_map(Step::Wait),
    ]
}

fn dle() -> impl Strategy<Value = (u16, i32, u8, u8, u64)> {
    // Host, spindle, size and rate from small sets (many ties), not_before in seconds.
    (0..HOSTS as u16, -1i32..2, 1u8..4, 1u8..4, 0u64..30)
}

proptest! {
    #[test]
    fn indexed_pick_is_the_list_scan(
        dles in prop::collection::vec(dle(), 1..40),
        maxdumps in prop::collection::vec(1u32..3, HOSTS),
        steps in prop::collection::vec(step(), 1..120),
    ) {
        let mut info: Vec<DleInfo> = dles
            .iter()
            .map(|&(h, spindle, size, rate, nb)| DleInfo {
                host: HostId(h),
                spindle,
                size_kb: f64::from(size) * 10.0,
                rate_kbs: f64::from(rate) * 5.0,
                not_before: SimTime::ZERO + SimDuration::from_secs(nb),
            })
            .collect();
        let orders: Vec<Order> = LETTERS.iter().map(|&c| Order::from_letter(c).unwrap()).collect();
        // Every retry allowed; a retried DLE waits 10 s (2.5+), as `result` sets it.
        let policy = Policy { retries: u32::MAX, pause: FailurePause::DumperAndDle(HOLD) };
        let mut drv = Driver::new(maxdumps.clone(), NETUSAGE, GAP, &orders, info.clone(), policy);
        let mut reference = Reference::default();
        for i in 0..info.len() {
            drv.push(DleId(i as u32));
            reference.runq.push(DleId(i as u32));
        }
        let mut now = SimTime::ZERO;
        let mut running: Vec<DleId> = Vec::new();
        for s in steps {
            match s {
                Step::Pick(l) => {
                    let o = orders[l];
                    let want = reference.pick(now, o, &info, &maxdumps);
                    let got = drv.pick(now, o);
                    prop_assert_eq!(got, want, "letter {} at {:?}", LETTERS[l], now);
                    if let Pick::Take(d) = got {
                        let i = info[d.0 as usize];
                        drv.start(d, now);
                        let pos = reference.runq.iter().position(|&q| q == d).unwrap();
                        reference.runq.remove(pos);
                        let h = usize::from(i.host.0);
                        reference.host_running[h] += 1;
                        reference.last_start[h] = Some(now);
                        if i.spindle >= 0 {
                            reference.spindles.push((i.host, i.spindle));
                        }
                        reference.net_in_use += i.rate_kbs;
                        running.push(d);
                    }
                }
                Step::End(k, retry) if !running.is_empty() => {
                    let d = running.remove(k % running.len());
                    let i = info[d.0 as usize];
                    let outcome = if retry { Outcome::TryAgain } else { Outcome::Done };
                    drv.result(now, d, DumperId(0), outcome);
                    let h = usize::from(i.host.0);
                    reference.host_running[h] -= 1;
                    if let Some(p) = reference.spindles.iter().position(|&s| s == (i.host, i.spindle)) {
                        reference.spindles.swap_remove(p);
                    }
                    reference.net_in_use = (reference.net_in_use - i.rate_kbs).max(0.0);
                    if reference.host_running.iter().all(|&n| n == 0) {
                        reference.net_in_use = 0.0;
                    }
                    if retry {
                        reference.runq.push(d);
                        // A retried DLE may wait (2.5+): set after it joined, as the driver does.
                        info[d.0 as usize].not_before = now + HOLD;
                        prop_assert_eq!(drv.info(d).not_before, now + HOLD);
                    }
                }
                Step::End(..) => {}
                Step::Wait(s) => now += SimDuration::from_secs(s),
            }
            prop_assert_eq!(drv.queued(), reference.runq.len());
        }
    }
}
