//! The event queue: pending events ordered by (time, insertion sequence).
//!
//! A night keeps few events pending (20-30 in the incident), and a new one is nearly always due
//! before most of them: timers wait longer than packets travel. So the queue is two parts. A
//! vector sorted latest first takes a new event when it belongs among the last
//! [`NEAR_SCAN`] entries: a pop takes its last entry, a push walks back a few entries and
//! shifts them. Any other event goes to a binary heap. A pop takes the earlier of the vector's
//! last entry and the heap's top: which part an event sits in never changes the order, the
//! earliest (time, seq) first.
//!
//! Entries are small because both parts move them: the sequence number is 32 bits
//! (renumbered before it could wrap), which with the site's 20-byte events makes 32-byte
//! entries, and 16-byte ones for small kernels' events.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// How far back from its end the sorted vector is searched for a new event's place: one due
/// after more pending events than this goes to the heap. (On the incident, 8 beat 4 and 16.)
const NEAR_SCAN: usize = 8;

/// One scheduled event with the key that orders it.
struct Entry<E> {
    time: SimTime,
    seq: u32,
    event: E,
}

impl<E> Entry<E> {
    /// (time, seq) as one number: a single branch-free comparison orders two entries.
    fn rank(&self) -> u128 {
        (u128::from(self.time.0) << 64) | u128::from(self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.rank() == other.rank()
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed, so that the max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.rank().cmp(&self.rank())
    }
}

/// A priority queue of events; equal times pop in insertion order (FIFO).
pub struct EventQueue<E> {
    /// Pending entries, latest (time, seq) first: the earliest is last.
    near: Vec<Entry<E>>,
    /// The other pending entries.
    heap: BinaryHeap<Entry<E>>,
    /// The sequence number of the next push. Before it would reach `u32::MAX` the pending
    /// entries are renumbered from 0 ([`renumber`](Self::renumber)), so a run may push any number
    /// of events (a 100k-DLE night pushes about a million).
    next_seq: u32,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `n` events in each part before it first grows.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            near: Vec::with_capacity(n),
            heap: BinaryHeap::with_capacity(n),
            next_seq: 0,
        }
    }

    /// Adds an event; it pops after every pending event of the same or an earlier time.
    pub fn push(&mut self, time: SimTime, event: E) {
        if self.next_seq == u32::MAX {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry { time, seq, event };
        // Every pending entry has a smaller seq: in the vector the new one goes before (nearer
        // the end than) exactly those due at or before its time, if they are few.
        let v = &mut self.near;
        let sooner = v
            .iter()
            .rev()
            .take(NEAR_SCAN + 1)
            .take_while(|e| e.time <= time)
            .count();
        if sooner > NEAR_SCAN {
            self.heap.push(entry);
        } else {
            v.insert(v.len() - sooner, entry);
        }
    }

    /// Gives the pending entries the sequence numbers `0..n` in (time, seq) order: their order
    /// is kept, and later pushes still sort after every one of the same time.
    #[cold]
    fn renumber(&mut self) {
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        entries.append(&mut self.near);
        entries.sort_unstable_by_key(Entry::rank);
        let n = u32::try_from(entries.len()).expect("fewer than 2^32 pending events");
        for (e, seq) in entries.iter_mut().zip(0..n) {
            e.seq = seq;
        }
        // All in the vector, latest first.
        entries.reverse();
        self.near = entries;
        self.next_seq = n;
    }

    /// Removes the earliest event (ties: the one pushed first).
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let e = match (self.near.last(), self.heap.peek()) {
            (Some(n), Some(h)) if (h.time, h.seq) < (n.time, n.seq) => self.heap.pop(),
            (Some(_), _) => self.near.pop(),
            (None, _) => self.heap.pop(),
        }?;
        Some((e.time, e.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        let near = self.near.last().map(|e| e.time);
        let heap = self.heap.peek().map(|e| e.time);
        match (near, heap) {
            (Some(n), Some(h)) => Some(n.min(h)),
            (n, h) => n.or(h),
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.near.len() + self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.near.is_empty() && self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;

    /// Pushes and pops `ops` events on `q` and on a `BinaryHeap` of `(time, push count)`, checks
    /// that both pop the same order, and returns the most entries `q`'s vector and heap held.
    /// Operation `id` pops when `pops(id, x)` says so (`x` a random word), and otherwise pushes
    /// an event due `due(x)` after the last pop (many equal times with a small spread).
    fn matches_a_plain_heap(
        mut q: EventQueue<u64>,
        ops: u64,
        pops: impl Fn(u64, u64) -> bool,
        due: impl Fn(u64, u64) -> u64,
    ) -> (usize, usize) {
        // xorshift64: the test's own reproducible numbers.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut plain: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
        let mut now = 0;
        let mut most = (0, 0);
        for id in 0..ops {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if pops(id, x) {
                let expected = plain.pop().map(|Reverse((t, id))| (SimTime(t), id));
                let got = q.pop();
                assert_eq!(got, expected, "pop after {id} operations");
                if let Some((t, _)) = got {
                    now = t.0;
                }
            } else {
                let t = now + due(id, x);
                q.push(SimTime(t), id);
                plain.push(Reverse((t, id)));
            }
            assert_eq!(q.len(), plain.len());
            assert_eq!(q.peek_time().map(|t| t.0), plain.peek().map(|r| r.0.0));
            most = (most.0.max(q.near.len()), most.1.max(q.heap.len()));
        }
        while let Some(Reverse((t, id))) = plain.pop() {
            assert_eq!(q.pop(), Some((SimTime(t), id)));
        }
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
        most
    }

    /// Two pushes for a pop: the queue grows to thousands.
    fn growing(_: u64, x: u64) -> bool {
        x.is_multiple_of(3)
    }

    #[test]
    fn pops_like_a_plain_heap_of_time_and_push_order() {
        for spread in [1, 4, 1000] {
            let (near, heap) =
                matches_a_plain_heap(EventQueue::new(), 20_000, growing, |_, x| (x >> 8) % spread);
            // Random times: both parts hold events.
            assert!(
                near > NEAR_SCAN && heap > 1000,
                "vector {near}, heap {heap}"
            );
        }
    }

    #[test]
    fn events_due_ever_sooner_stay_in_the_vector_and_ever_later_go_to_the_heap() {
        // 2000 pushes, then 2000 pops.
        let then_pops = |id: u64, _| id >= 2_000;
        // Each push due before every pending event: it goes at the vector's end.
        let sooner = |id: u64, _| 1_000_000 - id;
        let (near, heap) = matches_a_plain_heap(EventQueue::new(), 4_000, then_pops, sooner);
        assert_eq!((near, heap), (2_000, 0));
        // Each push due after every pending event: past NEAR_SCAN entries, to the heap.
        let later = |id: u64, _| id * 10;
        let (near, heap) = matches_a_plain_heap(EventQueue::new(), 4_000, then_pops, later);
        assert_eq!((near, heap), (NEAR_SCAN + 1, 2_000 - NEAR_SCAN - 1));
    }

    #[test]
    fn sequence_numbers_renumber_before_they_wrap() {
        // Every third operation pops: the wrap comes after 1000 pushes, with about 500 pending
        // in both parts. Every second: after 100 pushes, with few pending.
        for (spread, pops, headroom) in [(1, 3, 1000), (4, 3, 1000), (1000, 3, 1000), (4, 2, 100)] {
            let mut q = EventQueue::new();
            q.next_seq = u32::MAX - headroom;
            let due = move |_, x: u64| (x >> 8) % spread;
            matches_a_plain_heap(q, 5_000, move |_, x| x.is_multiple_of(pops), due);
        }
    }
}
