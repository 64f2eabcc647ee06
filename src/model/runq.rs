//! The driver's run queue, indexed per `dumporder` letter so that a pick costs O(log N).
//!
//! Amanda's queue is a list scanned in full for every idle dumper; only its order matters: a
//! DLE's place is its `seq`, given when it joins the tail. For each letter the queue keeps,
//! per host, that host's DLEs ordered by (key, seq) — best first, ties to the earliest in the
//! queue — and a tournament tree over the hosts' heads. A walk down the tree that prunes every
//! subtree whose best head cannot beat the DLE found visits the hosts that can hold the list
//! scan's pick, each skipped (in its gap) with one test. A host the driver holds (at
//! `maxdumps`) has no head in the trees, so picks never visit it. A tree of the same shape
//! keeps the lowest estimated rate queued below each node, so that a walk also passes over
//! every subtree none of whose DLEs fits the free `netusage`.

use super::driver::Order;
use super::{DleId, HostId};
use std::cmp::Ordering;

/// One queued DLE as a letter ranks it (smaller is better), or in the heads tree a host's head.
/// Entries compare by (key, seq) alone: each queued DLE has its own `seq`.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The sort key, mapped so that the preferred value is the smallest.
    key: u64,
    /// Place in the queue: earlier joins have smaller numbers.
    seq: u32,
    /// The DLE in a host's list; the host in the heads tree.
    id: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.key, self.seq) == (other.key, other.seq)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.key, self.seq).cmp(&(other.key, other.seq))
    }
}

/// Ranks after every queued DLE: an empty host, or a subtree with no head.
const NONE: Entry = Entry {
    key: u64::MAX,
    seq: u32::MAX,
    id: u32::MAX,
};

impl Entry {
    /// The DLE (in a host's list).
    pub fn dle(&self) -> DleId {
        DleId(self.id)
    }
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
    /// Every host's queued DLEs in rank order, host after host: host `h` owns
    /// `lists[start[h]..start[h + 1]]` (room for all its DLEs), of which the first `len[h]`
    /// are queued. One allocation, and a host's DLEs side by side.
    lists: Vec<Entry>,
    /// Where each host's room begins; one more at the end.
    start: Vec<u32>,
    /// DLEs queued per host.
    len: Vec<u32>,
    /// Tournament tree over the hosts' heads: node 1 is the root, node `n` has children `2n`
    /// and `2n + 1`, host `h`'s leaf is `leaves + h`; a node holds the best head below it, with
    /// the host as `id`.
    tree: Vec<Entry>,
    /// The first leaf (a power of two).
    leaves: usize,
}

impl Index {
    /// Host `h`'s queued DLEs, best first.
    pub fn of_host(&self, h: HostId) -> &[Entry] {
        let h = usize::from(h.0);
        let from = self.start[h] as usize;
        &self.lists[from..from + self.len[h] as usize]
    }

    /// Inserts `e` into host `h`'s list, keeping it in rank order.
    fn insert(&mut self, h: usize, e: Entry) {
        let from = self.start[h] as usize;
        let n = self.len[h] as usize;
        debug_assert!(
            from + n < self.start[h + 1] as usize,
            "more DLEs than the host has"
        );
        let list = &mut self.lists[from..=from + n];
        let at = list[..n].partition_point(|x| *x < e);
        list.copy_within(at..n, at + 1);
        list[at] = e;
        self.len[h] += 1;
    }

    /// Takes `e` out of host `h`'s list; whether it was the head.
    fn take(&mut self, h: usize, e: Entry) -> bool {
        let from = self.start[h] as usize;
        let n = self.len[h] as usize;
        let list = &mut self.lists[from..from + n];
        let at = list.partition_point(|x| *x < e);
        debug_assert!(
            list.get(at) == Some(&e),
            "removing a DLE that is not queued"
        );
        list.copy_within(at + 1.., at);
        self.len[h] -= 1;
        at == 0
    }

    /// Host `h`'s leaf: its head, or none if it is empty or `held`.
    fn leaf(&self, h: usize, held: bool) -> Entry {
        if held || self.len[h] == 0 {
            return NONE;
        }
        let head = self.lists[self.start[h] as usize];
        Entry {
            id: h as u32,
            ..head
        }
    }

    /// Sets host `h`'s leaf anew and carries the change up as far as it goes.
    fn refresh(&mut self, h: usize, held: bool) {
        let leaf = self.leaf(h, held);
        set_leaf(&mut self.tree, self.leaves + h, leaf, Entry::min);
    }

    /// Builds every leaf and node anew.
    fn rebuild(&mut self, held: &[bool]) {
        for (h, &held) in held.iter().enumerate() {
            self.tree[self.leaves + h] = self.leaf(h, held);
        }
        build_nodes(&mut self.tree, self.leaves, Entry::min);
    }

    /// Walks as [`RunQueue::walk`] says, `rates` being the queue's lowest rates per node.
    fn walk(
        &self,
        rates: &[f64],
        max_rate: f64,
        mut visit: impl FnMut(HostId, &[Entry]) -> Option<Entry>,
    ) {
        let mut bound = NONE;
        // Depth-first: each level leaves at most one sibling on the stack (hosts are u16).
        let mut stack = [0u32; 24];
        let mut sp = 0;
        if self.tree[1] < bound && rates[1] <= max_rate {
            stack[0] = 1;
            sp = 1;
        }
        while sp > 0 {
            sp -= 1;
            let n = stack[sp] as usize;
            if self.tree[n] >= bound {
                continue;
            }
            if n >= self.leaves {
                let h = HostId((n - self.leaves) as u16);
                if let Some(b) = visit(h, self.of_host(h)) {
                    debug_assert!(b < bound, "a visit returns better DLEs only");
                    bound = b;
                }
                continue;
            }
            let (l, r) = (2 * n, 2 * n + 1);
            let (first, second) = if self.tree[l] <= self.tree[r] {
                (l, r)
            } else {
                (r, l)
            };
            if self.tree[second] < bound && rates[second] <= max_rate {
                stack[sp] = second as u32;
                sp += 1;
            }
            if rates[first] <= max_rate {
                stack[sp] = first as u32;
                sp += 1;
            }
        }
    }
}

/// Sets leaf `n` of the tournament tree `t` (node 1 the root, node `n`'s children `2n` and
/// `2n + 1`) to `v` and carries the change up as far as it goes; `better` gives a node from its
/// two children.
fn set_leaf<T: Copy + PartialEq>(t: &mut [T], mut n: usize, mut v: T, better: fn(T, T) -> T) {
    if t[n] == v {
        return;
    }
    t[n] = v;
    while n > 1 {
        // Node `n` holds `v` now: its parent holds the better of it and its sibling.
        v = better(v, t[n ^ 1]);
        n /= 2;
        if t[n] == v {
            return;
        }
        t[n] = v;
    }
}

/// Builds every node of the tournament tree `t` below the first leaf `leaves` from its
/// children, leaves up; `better` as for [`set_leaf`].
fn build_nodes<T: Copy>(t: &mut [T], leaves: usize, better: fn(T, T) -> T) {
    for n in (1..leaves).rev() {
        t[n] = better(t[2 * n], t[2 * n + 1]);
    }
}

/// DLEs waiting for a dumper, in queue order and indexed by each letter in use.
#[derive(Clone, Debug)]
pub struct RunQueue {
    indexes: Vec<Index>,
    /// Per DLE: its place while queued.
    seq_of: Vec<Option<u32>>,
    /// Per host: held back (at `maxdumps`): no head in the trees.
    held: Vec<bool>,
    /// Per DLE: its estimated rate, KB/s (a NaN, which fits any free bandwidth, as -inf).
    rate_of: Vec<f64>,
    /// Per host: the lowest rate it has queued (+inf for none), held or not: a hold or a
    /// release sets the host's leaf without reading its DLEs' rates (on a large site they are
    /// cache misses).
    host_min: Vec<f64>,
    /// Min tree over the hosts, shaped as the letters' trees: each node holds the lowest rate
    /// queued on the hosts below it that are not held (+inf for none).
    rates: Vec<f64>,
    next_seq: u32,
    len: usize,
}

impl RunQueue {
    /// An empty queue for `hosts` hosts and the DLEs whose hosts are `dle_hosts`, indexed for
    /// each of `orders` (duplicates ignored).
    pub fn new(hosts: usize, dle_hosts: &[HostId], orders: &[Order]) -> Self {
        let mut start = vec![0u32; hosts + 1];
        for h in dle_hosts {
            start[usize::from(h.0) + 1] += 1;
        }
        for h in 0..hosts {
            start[h + 1] += start[h];
        }
        let leaves = hosts.next_power_of_two();
        let mut indexes: Vec<Index> = Vec::new();
        for &order in orders {
            if indexes.iter().all(|i| i.order != order) {
                indexes.push(Index {
                    order,
                    lists: vec![NONE; dle_hosts.len()],
                    start: start.clone(),
                    len: vec![0; hosts],
                    tree: vec![NONE; 2 * leaves],
                    leaves,
                });
            }
        }
        RunQueue {
            indexes,
            seq_of: vec![None; dle_hosts.len()],
            held: vec![false; hosts],
            rate_of: vec![f64::INFINITY; dle_hosts.len()],
            host_min: vec![f64::INFINITY; hosts],
            rates: vec![f64::INFINITY; 2 * leaves],
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

    /// For the letter `order`: visits the hosts not held with DLEs queued, some of which
    /// have an estimated rate of at most `max_rate`, whose head ranks before every DLE `visit`
    /// has returned so far (best subtrees first); `visit` gets the host and its DLEs, best
    /// first, and returns a DLE that ranks before all it returned before, if it found one.
    /// A visit that never returns one visits every such host.
    ///
    /// # Panics
    /// If the queue was not built for `order`.
    pub fn walk(
        &self,
        order: Order,
        max_rate: f64,
        visit: impl FnMut(HostId, &[Entry]) -> Option<Entry>,
    ) {
        self.indexes
            .iter()
            .find(|i| i.order == order)
            .unwrap_or_else(|| panic!("run queue not indexed for {order:?}"))
            .walk(&self.rates, max_rate, visit);
    }

    /// Host `h`'s leaf in the rates tree: the lowest rate it has queued, +inf if it is held.
    fn rate_leaf(&self, h: usize) -> f64 {
        if self.held[h] {
            f64::INFINITY
        } else {
            self.host_min[h]
        }
    }

    /// The lowest rate host `h` has queued, read from its DLEs (+inf for none).
    fn scan_host_min(&self, h: usize) -> f64 {
        self.indexes.first().map_or(f64::INFINITY, |ix| {
            ix.of_host(HostId(h as u16))
                .iter()
                .fold(f64::INFINITY, |m, e| m.min(self.rate_of[e.id as usize]))
        })
    }

    /// Sets host `h`'s leaf in the rates tree anew.
    fn refresh_rate(&mut self, h: usize) {
        let leaf = self.rate_leaf(h);
        let leaves = self.rates.len() / 2;
        set_leaf(&mut self.rates, leaves + h, leaf, f64::min);
    }

    /// Gives `dle` the next place and puts it in its host's list of each letter (not the trees).
    fn enqueue(&mut self, dle: DleId, host: HostId, rate: f64, value: impl Fn(Order) -> f64) {
        let d = dle.0 as usize;
        assert!(self.seq_of[d].is_none(), "{dle:?} is queued twice");
        let rate = if rate.is_nan() {
            f64::NEG_INFINITY
        } else {
            rate
        };
        self.rate_of[d] = rate;
        let h = usize::from(host.0);
        self.host_min[h] = self.host_min[h].min(rate);
        let seq = self.next_seq;
        self.next_seq = seq.checked_add(1).expect("fewer than 2^32 joins a night");
        self.seq_of[d] = Some(seq);
        self.len += 1;
        for ix in &mut self.indexes {
            let key = rank(value(ix.order), ix.order.largest_first);
            ix.insert(
                h,
                Entry {
                    key,
                    seq,
                    id: dle.0,
                },
            );
        }
    }

    /// Appends `dle` of `host`, of estimated `rate` (KB/s), at the tail; `value` gives its
    /// sort value for an order.
    pub fn push(&mut self, dle: DleId, host: HostId, rate: f64, value: impl Fn(Order) -> f64) {
        self.enqueue(dle, host, rate, value);
        let h = usize::from(host.0);
        for ix in &mut self.indexes {
            ix.refresh(h, self.held[h]);
        }
        self.refresh_rate(h);
    }

    /// Appends `dles` (with their hosts and estimated rates) at the tail in turn, as `push`
    /// one by one would; `value` gives a DLE's sort value for an order. The trees are built
    /// once, at the end.
    pub fn push_all(
        &mut self,
        dles: impl IntoIterator<Item = (DleId, HostId, f64)>,
        value: impl Fn(DleId, Order) -> f64,
    ) {
        for (dle, host, rate) in dles {
            self.enqueue(dle, host, rate, |o| value(dle, o));
        }
        for ix in &mut self.indexes {
            ix.rebuild(&self.held);
        }
        let leaves = self.rates.len() / 2;
        for h in 0..self.held.len() {
            self.rates[leaves + h] = self.rate_leaf(h);
        }
        build_nodes(&mut self.rates, leaves, f64::min);
    }

    /// Takes `dle` of `host` out of the queue; `value` must give what it gave at `push`.
    pub fn remove(&mut self, dle: DleId, host: HostId, value: impl Fn(Order) -> f64) {
        let seq = self.seq_of[dle.0 as usize]
            .take()
            .unwrap_or_else(|| panic!("{dle:?} is not queued"));
        self.len -= 1;
        let h = usize::from(host.0);
        for ix in &mut self.indexes {
            let key = rank(value(ix.order), ix.order.largest_first);
            if ix.take(
                h,
                Entry {
                    key,
                    seq,
                    id: dle.0,
                },
            ) {
                ix.refresh(h, self.held[h]);
            }
        }
        // Only the lowest rate's leaving can raise the host's minimum.
        if self.rate_of[dle.0 as usize] <= self.host_min[h] {
            self.host_min[h] = self.scan_host_min(h);
            if !self.held[h] {
                self.refresh_rate(h);
            }
        }
    }

    /// Holds host `h` back from picks (it runs `maxdumps` dumps), or lets it be picked again.
    pub fn hold(&mut self, h: HostId, held: bool) {
        let h = usize::from(h.0);
        if self.held[h] != held {
            self.held[h] = held;
            for ix in &mut self.indexes {
                ix.refresh(h, held);
            }
            self.refresh_rate(h);
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
