//! The event queue: a binary heap ordered by (time, insertion sequence).
//!
//! The heap moves its entries at every level of a push or pop, so they are kept to 16 bytes:
//! the time, a 32-bit sequence number and either the event itself (when it fits, as in
//! small kernels) or the index of a slot beside the heap that holds it (the site's events,
//! which carry a packet). Which layout is used is decided at compile time from the event's size.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One scheduled event's place in the order, and what it carries: the event or its slot.
struct Pending<P> {
    time: SimTime,
    seq: u32,
    payload: P,
}

impl<P> Pending<P> {
    /// (time, seq) as one number: a single comparison orders two entries.
    fn rank(&self) -> u128 {
        (u128::from(self.time.0) << 64) | u128::from(self.seq)
    }
}

impl<P> PartialEq for Pending<P> {
    fn eq(&self, other: &Self) -> bool {
        self.rank() == other.rank()
    }
}
impl<P> Eq for Pending<P> {}
impl<P> PartialOrd for Pending<P> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<P> Ord for Pending<P> {
    // Reversed, so that the max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.rank().cmp(&self.rank())
    }
}

/// Gives the pending entries the sequence numbers `0..n` in their order and returns `n`, the
/// next one: (time, seq) order is kept and later pushes still sort after every entry.
fn renumber<P>(heap: &mut BinaryHeap<Pending<P>>) -> u32 {
    // Ascending in the reversed order: the latest entry first.
    let mut entries = std::mem::take(heap).into_sorted_vec();
    let n = u32::try_from(entries.len()).expect("fewer than 2^32 pending events");
    for (p, seq) in entries.iter_mut().zip((0..n).rev()) {
        p.seq = seq;
    }
    *heap = BinaryHeap::from(entries);
    n
}

/// A priority queue of events; equal times pop in insertion order (FIFO).
pub struct EventQueue<E> {
    /// The events themselves, when an entry with the event is no bigger than one with a slot.
    inline: BinaryHeap<Pending<E>>,
    /// Otherwise: the events' slots in `slots`.
    keys: BinaryHeap<Pending<u32>>,
    /// The events of `keys` by slot; `None` in a free slot.
    slots: Vec<Option<E>>,
    /// Free slots, the last freed on top (still in cache when reused).
    free: Vec<u32>,
    /// The sequence number of the next push. Once it would reach `u32::MAX` the pending entries
    /// are renumbered from 0 (`renumber`): a run may push any number of events.
    next_seq: u32,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// True when events ride in the heap itself (a constant: the other branch compiles away).
    const INLINE: bool = size_of::<Pending<E>>() <= size_of::<Pending<u32>>();

    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `n` events.
    pub fn with_capacity(n: usize) -> Self {
        let (inline, keyed) = if Self::INLINE { (n, 0) } else { (0, n) };
        EventQueue {
            inline: BinaryHeap::with_capacity(inline),
            keys: BinaryHeap::with_capacity(keyed),
            slots: Vec::with_capacity(keyed),
            free: Vec::with_capacity(keyed),
            next_seq: 0,
        }
    }

    /// Adds an event; it pops after every pending event of the same or an earlier time.
    pub fn push(&mut self, time: SimTime, event: E) {
        if self.next_seq == u32::MAX {
            self.next_seq = if Self::INLINE {
                renumber(&mut self.inline)
            } else {
                renumber(&mut self.keys)
            };
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if Self::INLINE {
            self.inline.push(Pending {
                time,
                seq,
                payload: event,
            });
            return;
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 pending events")
            }
        };
        self.keys.push(Pending {
            time,
            seq,
            payload: slot,
        });
    }

    /// Removes the earliest event (ties: the one pushed first).
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if Self::INLINE {
            return self.inline.pop().map(|p| (p.time, p.payload));
        }
        let key = self.keys.pop()?;
        let event = self.slots[key.payload as usize]
            .take()
            .expect("a pending key's slot holds its event");
        self.free.push(key.payload);
        Some((key.time, event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        if Self::INLINE {
            self.inline.peek().map(|p| p.time)
        } else {
            self.keys.peek().map(|p| p.time)
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        if Self::INLINE {
            self.inline.len()
        } else {
            self.keys.len()
        }
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;

    /// Pushes and pops `ops` random events (times in `0..spread`, so many equal ones) on a queue
    /// and on a `BinaryHeap` of `(time, push count)`, and checks that both pop the same order.
    fn matches_a_plain_heap<E: Clone + PartialEq + std::fmt::Debug>(
        mut q: EventQueue<E>,
        make: impl Fn(u64) -> E,
        ops: u64,
        spread: u64,
    ) {
        // xorshift64: the test's own reproducible numbers.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut plain: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
        let mut now = 0;
        for id in 0..ops {
            let r = next();
            // Mostly pushes, a pop in three; times at or after the last pop, like a simulation.
            if r % 3 == 0 {
                let expected = plain.pop().map(|Reverse((t, id))| (SimTime(t), make(id)));
                let got = q.pop();
                assert_eq!(got, expected, "pop after {id} operations");
                if let Some((t, _)) = got {
                    now = t.0;
                }
            } else {
                let t = now + (r >> 8) % spread;
                q.push(SimTime(t), make(id));
                plain.push(Reverse((t, id)));
            }
            assert_eq!(q.len(), plain.len());
            assert_eq!(q.peek_time().map(|t| t.0), plain.peek().map(|r| r.0.0));
        }
        while let Some(Reverse((t, id))) = plain.pop() {
            assert_eq!(q.pop(), Some((SimTime(t), make(id))));
        }
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn small_events_pop_like_a_plain_heap() {
        assert!(EventQueue::<u32>::INLINE);
        for spread in [1, 4, 1000] {
            matches_a_plain_heap(EventQueue::new(), |id| id as u32, 20_000, spread);
        }
    }

    #[test]
    fn large_events_pop_like_a_plain_heap() {
        assert!(!EventQueue::<[u64; 3]>::INLINE);
        for spread in [1, 4, 1000] {
            matches_a_plain_heap(EventQueue::new(), |id| [id, !id, 7], 20_000, spread);
        }
    }

    #[test]
    fn sequence_numbers_renumber_before_they_wrap() {
        let mut small: EventQueue<u32> = EventQueue::new();
        small.next_seq = u32::MAX - 50;
        matches_a_plain_heap(small, |id| id as u32, 5_000, 4);
        let mut large: EventQueue<[u64; 3]> = EventQueue::new();
        large.next_seq = u32::MAX - 50;
        matches_a_plain_heap(large, |id| [id, 0, 0], 5_000, 4);
    }
}
