//! The event queue: a 4-ary min-heap of small keys ordered by (time, insertion sequence), the
//! events themselves in a slab beside it.
//!
//! Why not `BinaryHeap<(time, seq, event)>`: most events are scheduled a little after now
//! (packets, short waits) and climb most of the heap; with a 4-ary heap a climb has half the
//! levels, and with 24-byte keys each level moves a third of the bytes. The order is the same
//! total order on (time, seq), so any correct heap pops the same sequence.

use super::time::SimTime;

/// Where one scheduled event sits in the order, and which slot holds it.
#[derive(Clone, Copy)]
struct Key {
    time: SimTime,
    seq: u64,
    slot: u32,
}

impl Key {
    /// True if `self` runs before `other`.
    fn before(&self, other: &Key) -> bool {
        (self.time, self.seq) < (other.time, other.seq)
    }
}

/// Children per heap node.
const ARITY: usize = 4;

/// A priority queue of events; equal times pop in insertion order (FIFO).
pub struct EventQueue<E> {
    /// The keys, a 4-ary min-heap: node `i`'s children are `4i + 1 ..= 4i + 4`.
    heap: Vec<Key>,
    /// The pending events by slot; `None` in a free slot.
    slots: Vec<Option<E>>,
    /// Slots free for reuse.
    free: Vec<u32>,
    next_seq: u64,
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

    /// An empty queue with room for `n` events.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: Vec::with_capacity(n),
            slots: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
            next_seq: 0,
        }
    }

    /// Adds an event; its sequence number is the count of events pushed before it.
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(event);
                s
            }
            None => {
                self.slots.push(Some(event));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 pending events")
            }
        };
        let key = Key { time, seq, slot };
        let mut i = self.heap.len();
        self.heap.push(key);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if !key.before(&self.heap[parent]) {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = key;
    }

    /// Removes the earliest event (ties: the one pushed first).
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let top = if self.heap.is_empty() {
            last
        } else {
            let top = self.heap[0];
            self.sift_down(last);
            top
        };
        let event = self.slots[top.slot as usize]
            .take()
            .expect("a queued key's slot holds its event");
        self.free.push(top.slot);
        Some((top.time, event))
    }

    /// Puts `key` in the root's place and lets it sink to where it belongs.
    fn sift_down(&mut self, key: Key) {
        let n = self.heap.len();
        let mut i = 0;
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let mut best = first;
            for c in first + 1..(first + ARITY).min(n) {
                if self.heap[c].before(&self.heap[best]) {
                    best = c;
                }
            }
            if !self.heap[best].before(&key) {
                break;
            }
            self.heap[i] = self.heap[best];
            i = best;
        }
        self.heap[i] = key;
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|k| k.time)
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

    #[test]
    fn pops_in_time_then_push_order_like_a_sort() {
        // xorshift: many equal times, pushes interleaved with pops.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut q = EventQueue::new();
        let mut model: Vec<(SimTime, u64)> = Vec::new();
        let mut popped = Vec::new();
        let mut expected = Vec::new();
        for id in 0..5000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let t = SimTime(x % 64);
            q.push(t, id);
            model.push((t, id));
            if x.is_multiple_of(3) {
                model.sort();
                expected.push(model.remove(0));
                popped.push(q.pop().expect("not empty"));
            }
        }
        model.sort();
        expected.extend(model);
        popped.extend(std::iter::from_fn(|| q.pop()));
        assert_eq!(popped, expected);
        assert!(q.is_empty());
    }
}
