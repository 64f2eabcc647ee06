//! The driver's run queue, indexed per `dumporder` letter so that a pick costs O(log N).
//!
//! Amanda's queue is a list scanned in full for every idle dumper; only its order matters: a
//! DLE's place is its `seq`, given when it joins the tail. For each letter the queue keeps,
//! per host, that host's DLEs ordered by (key, seq) — best first, ties to the earliest in the
//! queue — and the set of the hosts' heads in the same order. Walking the heads in order and
//! each host's DLEs from its head visits DLEs in exactly the order the list scan ranks them,
//! and lets a whole host be skipped (at `maxdumps`, in its gap) with one test.

use super::driver::Order;
use super::{DleId, HostId};
use std::collections::BTreeSet;

/// One queued DLE as a letter ranks it: smaller is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The sort key, mapped so that the preferred value is the smallest.
    key: u64,
    /// Place in the queue: earlier joins have smaller numbers.
    seq: u64,
    /// The DLE.
    pub dle: DleId,
    /// Its host.
    pub host: HostId,
}

/// A sort value as a `u64` that orders like the float, ascending; `largest_first` reverses it.
fn rank(v: f64, largest_first: bool) -> u64 {
    debug_assert!(!v.is_nan(), "a dumporder key is never NaN");
    // Adding 0.0 turns -0.0 into 0.0: the list scan's `<` sees them as equal.
    let bits = (v + 0.0).to_bits();
    let up = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    if largest_first { !up } else { up }
}

/// The queue as one letter sees it.
#[derive(Clone, Debug)]
pub struct Index {
    /// The letter.
    pub order: Order,
    /// Per host, its queued DLEs in rank order: a sorted vector, as a host has few DLEs.
    by_host: Vec<Vec<Entry>>,
    /// Every host's first entry, in rank order.
    heads: BTreeSet<Entry>,
}

impl Index {
    fn insert(&mut self, e: Entry) {
        let list = &mut self.by_host[usize::from(e.host.0)];
        match list.first() {
            Some(&first) if first < e => {}
            first => {
                if let Some(old) = first.copied() {
                    self.heads.remove(&old);
                }
                self.heads.insert(e);
            }
        }
        let at = list.partition_point(|x| *x < e);
        list.insert(at, e);
    }

    fn remove(&mut self, e: Entry) {
        let list = &mut self.by_host[usize::from(e.host.0)];
        let at = list.partition_point(|x| *x < e);
        debug_assert!(
            list.get(at) == Some(&e),
            "removing a DLE that is not queued"
        );
        list.remove(at);
        if at == 0 {
            let removed = self.heads.remove(&e);
            debug_assert!(removed, "a host's first DLE is its head");
            if let Some(&next) = list.first() {
                self.heads.insert(next);
            }
        }
    }

    /// Hosts with queued DLEs, by their best DLE, best first.
    pub fn heads(&self) -> impl Iterator<Item = &Entry> {
        self.heads.iter()
    }

    /// Host `h`'s queued DLEs, best first.
    pub fn of_host(&self, h: HostId) -> impl Iterator<Item = &Entry> {
        self.by_host[usize::from(h.0)].iter()
    }
}

/// DLEs waiting for a dumper, in queue order and indexed by each letter in use.
#[derive(Clone, Debug)]
pub struct RunQueue {
    indexes: Vec<Index>,
    /// Per DLE: its place while queued.
    seq_of: Vec<Option<u64>>,
    next_seq: u64,
    len: usize,
}

impl RunQueue {
    /// An empty queue for `hosts` hosts, indexed for each of `orders` (duplicates ignored).
    pub fn new(hosts: usize, orders: &[Order]) -> Self {
        let mut indexes: Vec<Index> = Vec::new();
        for &order in orders {
            if indexes.iter().all(|i| i.order != order) {
                indexes.push(Index {
                    order,
                    by_host: vec![Vec::new(); hosts],
                    heads: BTreeSet::new(),
                });
            }
        }
        RunQueue {
            indexes,
            seq_of: Vec::new(),
            next_seq: 0,
            len: 0,
        }
    }

    /// DLEs queued.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no DLE waits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The index of `order`.
    ///
    /// # Panics
    /// If the queue was not built for `order`.
    pub fn by(&self, order: Order) -> &Index {
        self.indexes
            .iter()
            .find(|i| i.order == order)
            .unwrap_or_else(|| panic!("run queue not indexed for {order:?}"))
    }

    /// Appends `dle` of `host` at the tail; `value` gives its sort value for an order.
    pub fn push(&mut self, dle: DleId, host: HostId, value: impl Fn(Order) -> f64) {
        let d = dle.0 as usize;
        if self.seq_of.len() <= d {
            self.seq_of.resize(d + 1, None);
        }
        assert!(self.seq_of[d].is_none(), "{dle:?} is queued twice");
        let seq = self.next_seq;
        self.next_seq += 1;
        self.seq_of[d] = Some(seq);
        self.len += 1;
        for ix in &mut self.indexes {
            let key = rank(value(ix.order), ix.order.largest_first);
            ix.insert(Entry {
                key,
                seq,
                dle,
                host,
            });
        }
    }

    /// Takes `dle` of `host` out of the queue; `value` must give what it gave at `push`.
    pub fn remove(&mut self, dle: DleId, host: HostId, value: impl Fn(Order) -> f64) {
        let seq = self.seq_of[dle.0 as usize]
            .take()
            .unwrap_or_else(|| panic!("{dle:?} is not queued"));
        self.len -= 1;
        for ix in &mut self.indexes {
            let key = rank(value(ix.order), ix.order.largest_first);
            ix.remove(Entry {
                key,
                seq,
                dle,
                host,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_orders_like_the_float() {
        let xs = [-3.5, -0.0, 0.0, 1e-300, 2.0, 7.25, f64::INFINITY];
        for w in xs.windows(2) {
            assert!(rank(w[0], false) <= rank(w[1], false), "{w:?}");
            assert!(rank(w[0], true) >= rank(w[1], true), "{w:?}");
        }
        assert_eq!(rank(-0.0, false), rank(0.0, false));
    }
}
