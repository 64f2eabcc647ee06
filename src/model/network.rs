//! The network between zones: links, and dumps as fluid flows sharing them max-min fairly.
//!
//! Zones (LAN, DMZ, ...) are joined by [`Link`]s with a capacity, a latency and an optional loss
//! probability. A dump is a flow of `size_kb` kilobytes limited by its own cap (the client's disk
//! rate) and by every link it crosses. Concurrent flows share the links max-min fairly
//! (progressive filling, each flow's cap counting as a one-flow constraint), and the allocation is
//! recomputed whenever a flow starts or ends, so a network bottleneck stretches the dump window.
//!
//! Simplifications, on purpose:
//! - A fluid model: a flow runs at its allocated rate from the instant it starts, with no TCP slow
//!   start, no congestion-window dynamics, no per-packet overhead and no retransmissions.
//! - Latency and loss are only stored here. The caller adds [`Network::path_latency`] to the
//!   delivery time of individual packets (UDP requests and replies) and draws losses itself from a
//!   seeded stream; neither changes a flow's rate.
//! - Rates are recomputed only when a flow starts or ends; a flow that has finished its bytes but
//!   not yet been [`finish`](Network::finish)ed keeps its share until then (the caller finishes it
//!   at its completion time, so no simulated time passes).
//!
//! Everything is deterministic: flows and links are kept and visited in id order, and the same
//! sequence of calls gives bit-identical rates. A rate that a recompute reproduces to within one
//! part in 10^12 is kept as it was, so that rounding noise does not bump epochs of flows that the
//! start or end of another flow did not affect.

use super::ZoneId;
use crate::sim::{SimDuration, SimTime};
use serde::Serialize;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, VecDeque};

/// A flow with no more than this many kilobytes left counts as done.
pub const DONE_TOLERANCE_KB: f64 = 1e-6;

/// Relative difference below which a recomputed rate counts as unchanged.
const SAME_RATE_REL: f64 = 1e-12;

/// A link between two zones, by its position in the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LinkId(pub u16);

/// A flow (one dump's data stream), numbered in the order flows were added.
///
/// 32 bits (a night starts far fewer flows) keep the site's events, which may carry one, at 4-byte
/// alignment: 32-byte event queue entries instead of 40.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FlowId(pub u32);

/// A link's fixed properties.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Capacity in KB/s, shared by the flows crossing the link.
    pub capacity_kbs: f64,
    /// One-way latency, added by the caller to each packet's delivery.
    pub latency: SimDuration,
    /// Probability that a packet is lost on this link (0 for none); drawn by the caller.
    pub loss: f64,
}

impl Link {
    /// A lossless link of `capacity_kbs` KB/s and the given one-way latency.
    pub fn new(capacity_kbs: f64, latency: SimDuration) -> Self {
        Link {
            capacity_kbs,
            latency,
            loss: 0.0,
        }
    }

    /// The same link, losing each packet with probability `loss`.
    pub fn with_loss(self, loss: f64) -> Self {
        Link { loss, ..self }
    }
}

/// One flow's state.
#[derive(Clone, Debug)]
struct Flow {
    path: Vec<LinkId>,
    cap_kbs: f64,
    size_kb: f64,
    done_kb: f64,
    rate_kbs: f64,
    epoch: u32,
    /// Up to when `done_kb` is accounted, in a network without links (see [`Network::advance`]).
    since: SimTime,
}

impl Flow {
    fn remaining_kb(&self) -> f64 {
        (self.size_kb - self.done_kb).max(0.0)
    }

    /// KB moved from `since` to `now` at the current rate, no more than what is left.
    fn moved_since(&self, now: SimTime) -> f64 {
        let remaining = self.remaining_kb();
        if self.rate_kbs.is_infinite() {
            remaining
        } else {
            (self.rate_kbs * now.since(self.since).as_secs_f64()).min(remaining)
        }
    }
}

/// Links, the flows crossing them and the KB each link has carried.
#[derive(Clone, Debug, Default)]
pub struct Network {
    links: Vec<Link>,
    carried_kb: Vec<f64>,
    /// In id order: ids only grow, so a new flow goes at the end. A vector, not a map: there
    /// are at most `inparallel` flows, and every change walks them all anyway.
    flows: Vec<(FlowId, Flow)>,
    next_flow: u32,
    accounted_to: SimTime,
    /// Where in `flows` the flows the last recompute moved sit, in id order (every change of
    /// `flows` recomputes, so they stay valid until read).
    changed: Vec<usize>,
}

impl Network {
    /// A network of `links`, numbered `LinkId(0)`, `LinkId(1)`, ... in order, with no flows.
    pub fn new(links: Vec<Link>) -> Self {
        let mut net = Network::default();
        for link in links {
            net.add_link(link);
        }
        net
    }

    /// Adds a link and returns its id (the next in order).
    pub fn add_link(&mut self, link: Link) -> LinkId {
        // Flows accounted lazily (no links so far) are brought up to date: from now on they are
        // accounted at every advance.
        let now = self.accounted_to;
        for (_, flow) in &mut self.flows {
            flow.done_kb += flow.moved_since(now);
            flow.since = now;
        }
        assert!(
            link.capacity_kbs >= 0.0,
            "link capacity must be >= 0 KB/s, got {}",
            link.capacity_kbs
        );
        assert!(
            (0.0..=1.0).contains(&link.loss),
            "link loss must be a probability, got {}",
            link.loss
        );
        let id = LinkId(u16::try_from(self.links.len()).expect("at most 65536 links"));
        self.links.push(link);
        self.carried_kb.push(0.0);
        id
    }

    /// The properties of link `id`.
    pub fn link(&self, id: LinkId) -> &Link {
        &self.links[usize::from(id.0)]
    }

    /// Number of links.
    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// Sum of the latencies of the links of `path`: what the caller adds to a packet's delivery.
    pub fn path_latency(&self, path: &[LinkId]) -> SimDuration {
        path.iter()
            .fold(SimDuration::ZERO, |d, &l| d + self.link(l).latency)
    }

    /// The time up to which transfers have been accounted (the last `advance`).
    pub fn accounted_to(&self) -> SimTime {
        self.accounted_to
    }

    /// Starts a flow of `size_kb` over `path`, capped at `cap_kbs`; rates of all flows are
    /// recomputed, and [`changed`](Self::changed) lists the new flow and every flow it slowed.
    pub fn add_flow(
        &mut self,
        now: SimTime,
        path: Vec<LinkId>,
        cap_kbs: f64,
        size_kb: f64,
    ) -> FlowId {
        assert!(cap_kbs >= 0.0, "flow cap must be >= 0 KB/s, got {cap_kbs}");
        assert!(
            size_kb.is_finite() && size_kb >= 0.0,
            "flow size must be finite and >= 0 KB, got {size_kb}"
        );
        for l in &path {
            assert!(
                usize::from(l.0) < self.links.len(),
                "flow path names unknown link {l:?}"
            );
        }
        self.advance(now);
        let id = FlowId(self.next_flow);
        self.next_flow += 1;
        self.flows.push((
            id,
            Flow {
                path,
                cap_kbs,
                size_kb,
                done_kb: 0.0,
                rate_kbs: f64::NAN,
                epoch: 0,
                since: self.accounted_to,
            },
        ));
        self.recompute();
        id
    }

    /// Ends flow `id` early (a failed dump) and returns the KB it transferred, or `None` if no
    /// such flow; the others' rates are recomputed and [`changed`](Self::changed) lists the sped-up.
    pub fn remove_flow(&mut self, now: SimTime, id: FlowId) -> Option<f64> {
        self.advance(now);
        let i = self.index(id)?;
        Some(self.remove_at(i))
    }

    /// Removes the flow at `i` in [`flows`](Self::flows) and returns the KB it transferred; the
    /// others' rates are recomputed.
    fn remove_at(&mut self, i: usize) -> f64 {
        let done = self.done_kb(&self.flows[i].1);
        self.flows.remove(i);
        self.recompute();
        done
    }

    /// Finishes flow `id` as [`finish`](Self::finish) does if `epoch` is still its epoch (its
    /// completion event is not stale), and returns the KB it transferred; `None` otherwise.
    /// One lookup where [`is_current`](Self::is_current) and then `finish` take two.
    pub fn finish_current(&mut self, now: SimTime, id: FlowId, epoch: u32) -> Option<f64> {
        let i = self.index(id).filter(|&i| self.flows[i].1.epoch == epoch)?;
        Some(self.finish_at(now, i))
    }

    /// Removes the completed flow at `i` in [`flows`](Self::flows) at `now` and returns the KB
    /// it transferred.
    fn finish_at(&mut self, now: SimTime, i: usize) -> f64 {
        self.advance(now);
        debug_assert!(
            self.remaining_kb(&self.flows[i].1) <= DONE_TOLERANCE_KB,
            "finish: flow {:?} is not done",
            self.flows[i].0
        );
        self.remove_at(i)
    }

    /// Removes flow `id`, which has completed, and returns the KB it transferred.
    ///
    /// # Panics
    /// If there is no such flow (the caller must check [`is_current`](Self::is_current) first).
    pub fn finish(&mut self, now: SimTime, id: FlowId) -> f64 {
        let i = self
            .index(id)
            .unwrap_or_else(|| panic!("finish: unknown flow {id:?}"));
        self.finish_at(now, i)
    }

    /// Accounts the KB every flow transferred, and each link carried, from the last call to `now`
    /// (an earlier `now` does nothing).
    ///
    /// Without links a flow's rate is its cap from start to end and nothing else is carried, so
    /// each flow's KB are worked out when asked for, from its start (O(1) here instead of a
    /// walk over every flow at every start and end of a dump).
    pub fn advance(&mut self, now: SimTime) {
        if now <= self.accounted_to {
            return;
        }
        if self.links.is_empty() {
            self.accounted_to = now;
            return;
        }
        let dt = now.since(self.accounted_to).as_secs_f64();
        self.accounted_to = now;
        for (_, flow) in &mut self.flows {
            let remaining = flow.remaining_kb();
            let moved = if flow.rate_kbs.is_infinite() {
                remaining
            } else {
                (flow.rate_kbs * dt).min(remaining)
            };
            if moved > 0.0 {
                flow.done_kb += moved;
                for l in &flow.path {
                    self.carried_kb[usize::from(l.0)] += moved;
                }
            }
        }
    }

    /// When flow `id` will have sent its last KB at current rates, rounded up to the microsecond;
    /// `None` if there is no such flow or its rate is zero.
    pub fn completion(&self, id: FlowId) -> Option<SimTime> {
        self.completion_of(self.flow(id)?)
    }

    /// When `flow` will have sent its last KB at its current rate (see [`completion`](Self::completion)).
    fn completion_of(&self, flow: &Flow) -> Option<SimTime> {
        let remaining = self.remaining_kb(flow);
        if remaining <= DONE_TOLERANCE_KB || flow.rate_kbs.is_infinite() {
            return Some(self.accounted_to);
        }
        if flow.rate_kbs <= 0.0 {
            return None;
        }
        let micros = (remaining / flow.rate_kbs * 1e6).ceil();
        // `as` saturates: an absurdly long transfer ends at the end of time.
        Some(self.accounted_to + SimDuration(micros as u64))
    }

    /// Whether flow `id` has sent all its KB, as of the last accounting.
    pub fn is_done(&self, id: FlowId) -> bool {
        self.flow(id)
            .is_some_and(|f| self.remaining_kb(f) <= DONE_TOLERANCE_KB)
    }

    /// Flow `id`'s rate generation: 1 when added, bumped each time its rate changes; 0 if unknown.
    pub fn epoch(&self, id: FlowId) -> u32 {
        self.flow(id).map_or(0, |f| f.epoch)
    }

    /// Whether a completion event scheduled at `epoch` for flow `id` is still valid.
    pub fn is_current(&self, id: FlowId, epoch: u32) -> bool {
        self.flow(id).is_some_and(|f| f.epoch == epoch)
    }

    /// Flows whose rate changed in the last recompute (including a just-added one), in id order.
    pub fn changed(&self) -> Vec<FlowId> {
        self.changed.iter().map(|&i| self.flows[i].0).collect()
    }

    /// The flows of [`changed`](Self::changed), each with its [`completion`](Self::completion)
    /// and its [`epoch`](Self::epoch), leaving out those that never complete (rate zero): what
    /// the caller schedules, without looking each flow up.
    pub fn changed_completions(&self) -> impl Iterator<Item = (FlowId, SimTime, u32)> + '_ {
        self.changed.iter().filter_map(|&i| {
            let (id, flow) = &self.flows[i];
            self.completion_of(flow).map(|t| (*id, t, flow.epoch))
        })
    }

    /// Flow `id`'s current rate in KB/s (0 if unknown).
    pub fn rate(&self, id: FlowId) -> f64 {
        self.flow(id).map_or(0.0, |f| f.rate_kbs)
    }

    /// KB flow `id` has transferred as of the last accounting (0 if unknown).
    pub fn transferred(&self, id: FlowId) -> f64 {
        self.flow(id).map_or(0.0, |f| self.done_kb(f))
    }

    /// Flows in progress, in id order.
    pub fn flow_ids(&self) -> impl Iterator<Item = FlowId> + '_ {
        self.flows.iter().map(|&(id, _)| id)
    }

    /// Total KB each link has carried as of the last accounting, finished flows included.
    pub fn kb_per_link(&self) -> Vec<(LinkId, f64)> {
        self.carried_kb
            .iter()
            .enumerate()
            .map(|(i, &kb)| (LinkId(i as u16), kb))
            .collect()
    }

    /// Sum of the current rates of the flows crossing link `id`, in KB/s.
    pub fn link_load(&self, id: LinkId) -> f64 {
        self.flows
            .iter()
            .map(|(_, f)| f.rate_kbs * f.path.iter().filter(|&&l| l == id).count() as f64)
            .sum()
    }

    /// Where flow `id` sits in [`flows`](Self::flows), if it is there.
    fn index(&self, id: FlowId) -> Option<usize> {
        self.flows.binary_search_by_key(&id, |&(i, _)| i).ok()
    }

    /// KB `flow` has transferred as of the last accounting.
    fn done_kb(&self, flow: &Flow) -> f64 {
        if self.links.is_empty() {
            flow.done_kb + flow.moved_since(self.accounted_to)
        } else {
            flow.done_kb
        }
    }

    /// KB `flow` has still to send as of the last accounting.
    fn remaining_kb(&self, flow: &Flow) -> f64 {
        (flow.size_kb - self.done_kb(flow)).max(0.0)
    }

    /// Flow `id`'s state, if it is in progress.
    fn flow(&self, id: FlowId) -> Option<&Flow> {
        self.index(id).map(|i| &self.flows[i].1)
    }

    /// Max-min fair rates by progressive filling: repeatedly find the tightest constraint (a
    /// flow's own cap, or a link's residual capacity shared equally by its unfrozen flows), and
    /// freeze the flows it binds at that rate. O((L + F) * L + sum of path lengths).
    fn recompute(&mut self) {
        self.changed.clear();
        if self.links.is_empty() {
            self.own_caps();
            return;
        }
        let n = self.flows.len();
        let flows: Vec<&Flow> = self.flows.iter().map(|(_, f)| f).collect();
        let mut fill = Filling {
            residual: self.links.iter().map(|l| l.capacity_kbs).collect(),
            count: vec![0; self.links.len()],
            rate: vec![None; n],
            left: n,
        };
        let mut on_link: Vec<Vec<usize>> = vec![Vec::new(); self.links.len()];
        for (i, f) in flows.iter().enumerate() {
            for l in &f.path {
                let l = usize::from(l.0);
                fill.count[l] += 1;
                on_link[l].push(i);
            }
        }
        let mut by_cap: Vec<usize> = (0..n).collect();
        by_cap.sort_by(|&a, &b| {
            flows[a]
                .cap_kbs
                .total_cmp(&flows[b].cap_kbs)
                .then(a.cmp(&b))
        });
        let mut next_cap = 0;
        while fill.left > 0 {
            while next_cap < n && fill.rate[by_cap[next_cap]].is_some() {
                next_cap += 1;
            }
            // The water level: the tightest of the lowest unfrozen cap and every link's fair share.
            let mut level = by_cap
                .get(next_cap)
                .map_or(f64::INFINITY, |&i| flows[i].cap_kbs);
            let shares: Vec<Option<f64>> = (0..self.links.len())
                .map(|l| (fill.count[l] > 0).then(|| fill.residual[l] / f64::from(fill.count[l])))
                .collect();
            for &s in shares.iter().flatten() {
                if s < level {
                    level = s;
                }
            }
            let before = fill.left;
            while next_cap < n {
                let i = by_cap[next_cap];
                if fill.rate[i].is_none() {
                    if flows[i].cap_kbs > level {
                        break;
                    }
                    fill.freeze(i, &flows[i].path, flows[i].cap_kbs);
                }
                next_cap += 1;
            }
            for (l, share) in shares.iter().enumerate() {
                if share.is_some_and(|s| s <= level) {
                    for &i in &on_link[l] {
                        if fill.rate[i].is_none() {
                            fill.freeze(i, &flows[i].path, level);
                        }
                    }
                }
            }
            if fill.left == before {
                // Cannot happen (the level is some cap or some share); never loop forever.
                debug_assert!(false, "progressive filling made no progress");
                for (i, f) in flows.iter().enumerate() {
                    if fill.rate[i].is_none() {
                        fill.freeze(i, &f.path, level);
                    }
                }
            }
        }
        self.apply_rates(fill.rate);
    }

    /// Without links every flow runs at its own cap: only a flow just added (rate NaN, the last
    /// in id order) moves, exactly as progressive filling would leave it.
    fn own_caps(&mut self) {
        let last = self.flows.len().wrapping_sub(1);
        if let Some((_, flow)) = self.flows.last_mut()
            && flow.rate_kbs.is_nan()
        {
            flow.rate_kbs = flow.cap_kbs;
            flow.epoch = flow.epoch.wrapping_add(1);
            self.changed.push(last);
        }
    }

    /// Sets the flows' new rates (in flow order); those that moved are marked changed.
    fn apply_rates(&mut self, rates: Vec<Option<f64>>) {
        for (i, ((_, flow), r)) in self.flows.iter_mut().zip(rates).enumerate() {
            let new = r.unwrap_or(0.0);
            let old = flow.rate_kbs;
            let same = old == new || (old - new).abs() <= SAME_RATE_REL * old.abs().max(new.abs());
            if !same {
                flow.rate_kbs = new;
                flow.epoch = flow.epoch.wrapping_add(1);
                self.changed.push(i);
            }
        }
    }
}

/// Progressive filling's working state: what is left of each link, and the rates fixed so far.
struct Filling {
    residual: Vec<f64>,
    count: Vec<u32>,
    rate: Vec<Option<f64>>,
    left: usize,
}

impl Filling {
    /// Fixes flow `i` (crossing `path`) at rate `r` and takes it out of its links.
    fn freeze(&mut self, i: usize, path: &[LinkId], r: f64) {
        self.rate[i] = Some(r);
        self.left -= 1;
        for l in path {
            let l = usize::from(l.0);
            self.count[l] -= 1;
            if r.is_finite() {
                self.residual[l] = (self.residual[l] - r).max(0.0);
            }
        }
    }
}

/// The links from zone `from` to zone `to` over undirected `edges` `(zone_a, zone_b, link)`:
/// empty within one zone, the fewest links otherwise, ties broken by the lowest link ids in
/// order from `from`; `None` if `to` cannot be reached.
pub fn find_path(
    edges: &[(ZoneId, ZoneId, LinkId)],
    from: ZoneId,
    to: ZoneId,
) -> Option<Vec<LinkId>> {
    if from == to {
        return Some(Vec::new());
    }
    let mut adj: BTreeMap<ZoneId, Vec<(LinkId, ZoneId)>> = BTreeMap::new();
    for &(a, b, l) in edges {
        adj.entry(a).or_default().push((l, b));
        adj.entry(b).or_default().push((l, a));
    }
    for v in adj.values_mut() {
        v.sort();
    }
    // Hops to `to`, by breadth-first search from it.
    let mut dist: BTreeMap<ZoneId, usize> = BTreeMap::new();
    dist.insert(to, 0);
    let mut queue = VecDeque::from([to]);
    while let Some(z) = queue.pop_front() {
        let d = dist[&z];
        for &(_, nb) in adj.get(&z).into_iter().flatten() {
            if let Entry::Vacant(e) = dist.entry(nb) {
                e.insert(d + 1);
                queue.push_back(nb);
            }
        }
    }
    let mut here = from;
    let mut d = *dist.get(&from)?;
    let mut path = Vec::with_capacity(d);
    while here != to {
        let &(l, nb) = adj[&here]
            .iter()
            .find(|(_, nb)| dist.get(nb) == Some(&(d - 1)))?;
        path.push(l);
        here = nb;
        d -= 1;
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Purpose, stream};
    use rand::RngExt;

    const INF: f64 = f64::INFINITY;

    fn secs(s: f64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(s)
    }

    fn net(caps: &[f64]) -> Network {
        Network::new(
            caps.iter()
                .map(|&c| Link::new(c, SimDuration::from_millis(1)))
                .collect(),
        )
    }

    fn close(a: f64, b: f64) -> bool {
        a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn one_flow_limited_by_its_cap() {
        let mut n = net(&[10_000.0]);
        let f = n.add_flow(SimTime::ZERO, vec![LinkId(0)], 3_000.0, 6_000.0);
        assert_eq!(n.rate(f), 3_000.0);
        assert_eq!(n.completion(f), Some(secs(2.0)));
        assert_eq!(n.epoch(f), 1);
        assert_eq!(n.changed(), &[f]);
    }

    #[test]
    fn one_flow_limited_by_a_link() {
        let mut n = net(&[10_000.0, 4_000.0]);
        let f = n.add_flow(SimTime::ZERO, vec![LinkId(0), LinkId(1)], 50_000.0, 8_000.0);
        assert_eq!(n.rate(f), 4_000.0);
        assert_eq!(n.completion(f), Some(secs(2.0)));
    }

    #[test]
    fn flow_with_no_links_runs_at_its_cap() {
        let mut n = net(&[]);
        let f = n.add_flow(SimTime::ZERO, vec![], 500.0, 1_000.0);
        assert_eq!(n.rate(f), 500.0);
        assert_eq!(n.completion(f), Some(secs(2.0)));
    }

    #[test]
    fn without_links_transfers_are_worked_out_when_asked() {
        // No walk over the flows at a change: each flow's KB follow from its start and cap.
        let mut n = net(&[]);
        let a = n.add_flow(SimTime::ZERO, vec![], 100.0, 1_000.0);
        let b = n.add_flow(secs(2.0), vec![], 50.0, 100.0);
        assert_eq!(n.transferred(a), 200.0);
        assert_eq!(n.transferred(b), 0.0);
        assert_eq!(n.completion(b), Some(secs(4.0)));
        n.advance(secs(5.0));
        assert_eq!(n.transferred(a), 500.0);
        assert_eq!(n.transferred(b), 100.0, "no more than its size");
        assert!(n.is_done(b) && !n.is_done(a));
        assert_eq!(n.finish(secs(5.0), b), 100.0);
        assert_eq!(n.remove_flow(secs(6.0), a), Some(600.0));
        assert_eq!(n.flow_ids().count(), 0);
    }

    #[test]
    fn a_link_added_later_takes_over_the_accounting() {
        let mut n = net(&[]);
        let a = n.add_flow(SimTime::ZERO, vec![], 100.0, 1_000.0);
        n.advance(secs(3.0));
        let l = n.add_link(Link::new(1_000.0, SimDuration::from_millis(1)));
        assert_eq!(n.transferred(a), 300.0, "settled when the link came");
        n.advance(secs(4.0));
        assert_eq!(n.transferred(a), 400.0);
        assert_eq!(
            n.kb_per_link(),
            vec![(l, 0.0)],
            "the old flow does not cross it"
        );
    }

    #[test]
    fn two_equal_flows_split_a_link() {
        let mut n = net(&[10_000.0]);
        let a = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 1.0);
        let b = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 1.0);
        assert_eq!(n.rate(a), 5_000.0);
        assert_eq!(n.rate(b), 5_000.0);
        assert_eq!(n.changed(), &[a, b]);
        assert_eq!(n.epoch(a), 2);
        assert_eq!(n.epoch(b), 1);
    }

    #[test]
    fn capped_flows_leftover_goes_to_the_other() {
        // 10 MB/s link, caps 2 and 20 MB/s: max-min gives 2 and 8.
        let mut n = net(&[10_000.0]);
        let a = n.add_flow(SimTime::ZERO, vec![LinkId(0)], 2_000.0, 1.0);
        let b = n.add_flow(SimTime::ZERO, vec![LinkId(0)], 20_000.0, 1.0);
        assert_eq!(n.rate(a), 2_000.0);
        assert_eq!(n.rate(b), 8_000.0);
        // Adding b did not change a's rate, so only b is listed and a's epoch stays.
        assert_eq!(n.changed(), &[b]);
        assert_eq!(n.epoch(a), 1);
    }

    #[test]
    fn classic_three_flows_over_two_links() {
        // L0 = 10, L1 = 4. A crosses both, B only L0, C only L1.
        // L1 is the tightest (4/2 = 2 < 10/2 = 5): A = C = 2; B takes L0's rest, 8.
        let mut n = net(&[10.0, 4.0]);
        let a = n.add_flow(SimTime::ZERO, vec![LinkId(0), LinkId(1)], INF, 1.0);
        let b = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 1.0);
        let c = n.add_flow(SimTime::ZERO, vec![LinkId(1)], INF, 1.0);
        assert_eq!((n.rate(a), n.rate(b), n.rate(c)), (2.0, 8.0, 2.0));
        assert_eq!(n.link_load(LinkId(0)), 10.0);
        assert_eq!(n.link_load(LinkId(1)), 4.0);
        // A fourth flow D on L0 capped at 1: D = 1 first (below 10/3 and 2), then L0's share
        // 9/2 > L1's 2, so A = C = 2 still, and B gets 10 - 1 - 2 = 7.
        let d = n.add_flow(SimTime::ZERO, vec![LinkId(0)], 1.0, 1.0);
        assert_eq!(
            (n.rate(a), n.rate(b), n.rate(c), n.rate(d)),
            (2.0, 7.0, 2.0, 1.0)
        );
        assert_eq!(n.changed(), &[b, d]);
    }

    #[test]
    fn completion_recomputed_when_a_second_flow_starts_and_ends() {
        // Link 10 KB/s. A: 100 KB from 0 s, alone -> done at 10 s.
        let mut n = net(&[10.0]);
        let a = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 100.0);
        assert_eq!(n.completion(a), Some(secs(10.0)));
        // B: 30 KB from 2 s. A has 80 KB left; both at 5 KB/s: B done at 2 + 6 = 8 s,
        // A would be done at 2 + 16 = 18 s.
        let b = n.add_flow(secs(2.0), vec![LinkId(0)], INF, 30.0);
        assert_eq!(n.changed(), &[a, b]);
        assert_eq!(n.epoch(a), 2);
        assert_eq!(n.completion(a), Some(secs(18.0)));
        assert_eq!(n.completion(b), Some(secs(8.0)));
        assert!(!n.is_current(a, 1));
        // At 8 s B ends: A has 80 - 30 = 50 KB left at 10 KB/s -> done at 13 s.
        let t = n.completion(b).unwrap();
        assert_eq!(n.finish(t, b), 30.0);
        assert_eq!(n.changed(), &[a]);
        assert_eq!(n.epoch(a), 3);
        assert_eq!(n.transferred(a), 50.0);
        assert_eq!(n.completion(a), Some(secs(13.0)));
        let t = n.completion(a).unwrap();
        assert_eq!(n.finish(t, a), 100.0);
        assert_eq!(n.kb_per_link(), vec![(LinkId(0), 130.0)]);
        assert_eq!(n.flow_ids().count(), 0);
    }

    #[test]
    fn completion_rounds_up_to_the_microsecond() {
        // 1 KB at 3 KB/s: 333 333.33 us -> 333 334 us, never early.
        let mut n = net(&[3.0]);
        let f = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 1.0);
        let t = n.completion(f).unwrap();
        assert_eq!(t, SimTime(333_334));
        n.advance(SimTime(333_333));
        assert!(!n.is_done(f));
        n.advance(t);
        assert!(n.is_done(f));
        assert_eq!(n.completion(f), Some(t));
        // Transfers are clamped at the flow's size: the link carried exactly 1 KB.
        assert_eq!(n.finish(t, f), 1.0);
        assert_eq!(n.kb_per_link(), vec![(LinkId(0), 1.0)]);
    }

    #[test]
    fn removed_flow_returns_partial_transfer_and_frees_the_link() {
        let mut n = net(&[10.0]);
        let a = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 100.0);
        let b = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 100.0);
        assert_eq!(n.remove_flow(secs(4.0), b), Some(20.0));
        assert_eq!(n.remove_flow(secs(4.0), b), None);
        assert_eq!(n.rate(a), 10.0);
        assert_eq!(n.epoch(b), 0);
        assert!(!n.is_current(b, 1));
        assert_eq!(n.completion(a), Some(secs(12.0)));
    }

    #[test]
    fn zero_rate_flow_never_completes() {
        let mut n = net(&[0.0]);
        let f = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 5.0);
        assert_eq!(n.rate(f), 0.0);
        assert_eq!(n.completion(f), None);
    }

    #[test]
    fn bytes_per_link_add_up() {
        // L0 = 10, L1 = 4; A over both (2 KB/s), B over L0 (8), C over L1 (2), for 5 s.
        let mut n = net(&[10.0, 4.0, 7.0]);
        let a = n.add_flow(SimTime::ZERO, vec![LinkId(0), LinkId(1)], INF, 1_000.0);
        let b = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 1_000.0);
        let c = n.add_flow(SimTime::ZERO, vec![LinkId(1)], INF, 1_000.0);
        let t = secs(5.0);
        let ka = n.remove_flow(t, a).unwrap();
        let kb = n.remove_flow(t, b).unwrap();
        let kc = n.remove_flow(t, c).unwrap();
        assert_eq!((ka, kb, kc), (10.0, 40.0, 10.0));
        let per = n.kb_per_link();
        assert_eq!(
            per,
            vec![(LinkId(0), 50.0), (LinkId(1), 20.0), (LinkId(2), 0.0)]
        );
        assert_eq!(per[0].1, ka + kb);
        assert_eq!(per[1].1, ka + kc);
    }

    #[test]
    fn path_latency_sums_links() {
        let n = Network::new(vec![
            Link::new(1.0, SimDuration::from_millis(3)),
            Link::new(1.0, SimDuration::from_millis(7)).with_loss(0.01),
        ]);
        assert_eq!(
            n.path_latency(&[LinkId(0), LinkId(1)]),
            SimDuration::from_millis(10)
        );
        assert_eq!(n.link(LinkId(1)).loss, 0.01);
        assert_eq!(n.path_latency(&[]), SimDuration::ZERO);
    }

    #[test]
    fn path_finding() {
        let (lan, dmz, wan, lab) = (ZoneId(0), ZoneId(1), ZoneId(2), ZoneId(3));
        let edges = [(lan, dmz, LinkId(4)), (dmz, wan, LinkId(2))];
        assert_eq!(find_path(&edges, lan, lan), Some(vec![]));
        assert_eq!(find_path(&edges, lan, dmz), Some(vec![LinkId(4)]));
        assert_eq!(find_path(&edges, dmz, lan), Some(vec![LinkId(4)]));
        assert_eq!(
            find_path(&edges, lan, wan),
            Some(vec![LinkId(4), LinkId(2)])
        );
        assert_eq!(
            find_path(&edges, wan, lan),
            Some(vec![LinkId(2), LinkId(4)])
        );
        assert_eq!(find_path(&edges, lan, lab), None);
        assert_eq!(find_path(&[], lan, dmz), None);
    }

    #[test]
    fn path_finding_prefers_fewest_links_then_lowest_ids() {
        let (a, b, c, d) = (ZoneId(0), ZoneId(1), ZoneId(2), ZoneId(3));
        // a-d direct via link 9, or a-b-d via links 1, 2: the direct one has fewer links.
        let edges = [(a, b, LinkId(1)), (b, d, LinkId(2)), (a, d, LinkId(9))];
        assert_eq!(find_path(&edges, a, d), Some(vec![LinkId(9)]));
        // Two 2-hop paths a-b-d (5, 6) and a-c-d (3, 8), and a parallel a-b link 4:
        // the lowest first link wins, then the lowest next.
        let edges = [
            (a, b, LinkId(5)),
            (b, d, LinkId(6)),
            (a, c, LinkId(3)),
            (c, d, LinkId(8)),
            (a, b, LinkId(4)),
        ];
        assert_eq!(find_path(&edges, a, d), Some(vec![LinkId(3), LinkId(8)]));
        assert_eq!(find_path(&edges, b, a), Some(vec![LinkId(4)]));
    }

    #[test]
    fn unaffected_flow_keeps_its_epoch() {
        let mut n = net(&[10.0, 10.0]);
        let a = n.add_flow(SimTime::ZERO, vec![LinkId(0)], INF, 100.0);
        let b = n.add_flow(secs(1.0), vec![LinkId(1)], INF, 100.0);
        assert_eq!(n.changed(), &[b]);
        assert_eq!(n.epoch(a), 1);
        assert_eq!(n.completion(a), Some(secs(10.0)));
        n.remove_flow(secs(2.0), b);
        assert!(n.changed().is_empty());
        assert!(n.is_current(a, 1));
    }

    /// Checks the max-min conditions on the current allocation.
    fn assert_max_min(n: &Network, paths: &BTreeMap<FlowId, (Vec<LinkId>, f64)>, what: &str) {
        let links = n.link_count();
        let mut load = vec![0.0; links];
        for (&id, (path, _)) in paths {
            let r = n.rate(id);
            assert!(r >= 0.0, "{what}: negative rate");
            for l in path {
                load[usize::from(l.0)] += r;
            }
        }
        let saturated: Vec<bool> = (0..links)
            .map(|l| {
                let c = n.link(LinkId(l as u16)).capacity_kbs;
                assert!(
                    load[l] <= c * (1.0 + 1e-9),
                    "{what}: link {l} over capacity: {} > {c}",
                    load[l]
                );
                load[l] >= c * (1.0 - 1e-9)
            })
            .collect();
        for (&id, (path, cap)) in paths {
            let r = n.rate(id);
            assert!(r <= cap * (1.0 + 1e-9), "{what}: {id:?} above its cap");
            let at_cap = r >= cap * (1.0 - 1e-9);
            let bottlenecked = path.iter().any(|l| {
                let l = usize::from(l.0);
                saturated[l]
                    && paths
                        .iter()
                        .filter(|(_, (p, _))| p.contains(&LinkId(l as u16)))
                        .all(|(&other, _)| n.rate(other) <= r * (1.0 + 1e-9) + 1e-12)
            });
            assert!(
                at_cap || bottlenecked,
                "{what}: {id:?} at {r} is neither capped nor bottlenecked"
            );
        }
    }

    #[test]
    fn random_configurations_are_max_min_fair() {
        let mut rng = stream(20240611, 0, Purpose(0xfe));
        for case in 0..400 {
            let links = rng.random_range(1..=5usize);
            let caps: Vec<f64> = (0..links)
                .map(|_| {
                    // Some round capacities, to provoke exact ties.
                    if rng.random_bool(0.3) {
                        f64::from(rng.random_range(1..=4u32)) * 1_000.0
                    } else {
                        rng.random_range(100.0..20_000.0)
                    }
                })
                .collect();
            let mut n = net(&caps);
            let mut live: BTreeMap<FlowId, (Vec<LinkId>, f64)> = BTreeMap::new();
            let mut now = SimTime::ZERO;
            let steps = rng.random_range(1..=12usize);
            for step in 0..steps {
                now += SimDuration(rng.random_range(0..2_000_000u64));
                if !live.is_empty() && rng.random_bool(0.3) {
                    let k = rng.random_range(0..live.len());
                    let id = *live.keys().nth(k).unwrap();
                    live.remove(&id);
                    assert!(n.remove_flow(now, id).is_some());
                } else {
                    let path: Vec<LinkId> = (0..links)
                        .filter(|_| rng.random_bool(0.5))
                        .map(|l| LinkId(l as u16))
                        .collect();
                    let cap = match rng.random_range(0..4u32) {
                        0 => INF,
                        1 => f64::from(rng.random_range(1..=4u32)) * 500.0,
                        _ => rng.random_range(50.0..15_000.0),
                    };
                    let id = n.add_flow(now, path.clone(), cap, 1e6);
                    live.insert(id, (path, cap));
                }
                assert_max_min(&n, &live, &format!("case {case} step {step}"));
                // Determinism: replaying the current set from scratch gives the same rates
                // to within the keep-unchanged tolerance.
                let mut fresh = net(&caps);
                for (p, c) in live.values() {
                    fresh.add_flow(SimTime::ZERO, p.clone(), *c, 1e6);
                }
                for (id, fid) in live.keys().zip(fresh.flow_ids()) {
                    assert!(
                        close(n.rate(*id), fresh.rate(fid)),
                        "case {case}: replay differs"
                    );
                }
            }
        }
    }

    #[test]
    fn same_inputs_give_bit_identical_rates() {
        let run = || {
            let mut n = net(&[3_333.3, 7_777.7, 1_234.5]);
            let paths = [
                vec![LinkId(0), LinkId(1)],
                vec![LinkId(1), LinkId(2)],
                vec![LinkId(0)],
                vec![LinkId(2), LinkId(0)],
                vec![LinkId(1)],
            ];
            let mut ids = Vec::new();
            for (k, p) in paths.iter().enumerate() {
                ids.push(n.add_flow(secs(k as f64), p.clone(), 900.0 * (k as f64 + 1.0), 1e5));
            }
            n.remove_flow(secs(9.0), ids[1]);
            ids.iter()
                .map(|&i| n.rate(i).to_bits())
                .chain(n.kb_per_link().iter().map(|(_, kb)| kb.to_bits()))
                .collect::<Vec<u64>>()
        };
        assert_eq!(run(), run());
    }
}
