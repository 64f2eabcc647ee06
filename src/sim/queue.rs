//! The event queue: a binary heap ordered by (time, insertion sequence).
//!
//! The heap moves its entries at every level of a push or pop, so they are kept small: the
//! sequence number is 32 bits (renumbered before it could wrap), which with the site's 20-byte
//! events makes 32-byte entries, and 16-byte ones for small kernels' events.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// An empty queue with room for `n` events.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
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
        self.heap.push(Entry { time, seq, event });
    }

    /// Gives the pending entries the sequence numbers `0..n` in (time, seq) order: their order
    /// is kept, and later pushes still sort after every one of the same time.
    #[cold]
    fn renumber(&mut self) {
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        entries.sort_unstable_by_key(Entry::rank);
        let n = u32::try_from(entries.len()).expect("fewer than 2^32 pending events");
        for (e, seq) in entries.iter_mut().zip(0..n) {
            e.seq = seq;
        }
        self.heap = BinaryHeap::from(entries);
        self.next_seq = n;
    }

    /// Removes the earliest event (ties: the one pushed first).
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;

    /// Pushes and pops `ops` random events (times in `now..now + spread`, so many equal ones with
    /// a small spread) on `q` and on a `BinaryHeap` of `(time, push count)`, and checks that both
    /// pop the same order.
    fn matches_a_plain_heap(mut q: EventQueue<u64>, ops: u64, spread: u64) {
        // xorshift64: the test's own reproducible numbers.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut plain: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
        let mut now = 0;
        for id in 0..ops {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Two pushes for a pop; times at or after the last pop, as in a simulation.
            if x.is_multiple_of(3) {
                let expected = plain.pop().map(|Reverse((t, id))| (SimTime(t), id));
                let got = q.pop();
                assert_eq!(got, expected, "pop after {id} operations");
                if let Some((t, _)) = got {
                    now = t.0;
                }
            } else {
                let t = now + (x >> 8) % spread;
                q.push(SimTime(t), id);
                plain.push(Reverse((t, id)));
            }
            assert_eq!(q.len(), plain.len());
            assert_eq!(q.peek_time().map(|t| t.0), plain.peek().map(|r| r.0.0));
        }
        while let Some(Reverse((t, id))) = plain.pop() {
            assert_eq!(q.pop(), Some((SimTime(t), id)));
        }
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn pops_like_a_plain_heap_of_time_and_push_order() {
        for spread in [1, 4, 1000] {
            matches_a_plain_heap(EventQueue::new(), 20_000, spread);
        }
    }

    #[test]
    fn sequence_numbers_renumber_before_they_wrap() {
        for spread in [1, 4, 1000] {
            let mut q = EventQueue::new();
            q.next_seq = u32::MAX - 100;
            matches_a_plain_heap(q, 5_000, spread);
        }
    }
}
