//! The simulation kernel: time, an event queue and seeded streams. It knows nothing of Amanda.
//!
//! # Ordering guarantees
//! 1. Events run in increasing simulated time.
//! 2. Events scheduled for the same time run in the order they were scheduled (FIFO), whatever
//!    their kind: the queue orders by `(time, seq)`, `seq` a counter bumped on every schedule.
//! 3. An event scheduled for a time already past runs at the current time, after every event
//!    already scheduled for that time (rule 2), so time never goes back.
//! 4. Cancelling is the model's business: a handler that must forget a timer keeps a generation
//!    number and ignores stale events, which keeps the queue free of removals.

pub mod queue;
pub mod rng;
pub mod time;

pub use queue::EventQueue;
pub use time::{SimDuration, SimTime};

/// A clock and the events still to come.
pub struct Simulation<E> {
    now: SimTime,
    queue: EventQueue<E>,
    processed: u64,
}

impl<E> Default for Simulation<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Simulation<E> {
    /// A simulation at time zero with nothing scheduled.
    pub fn new() -> Self {
        Simulation {
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            processed: 0,
        }
    }

    /// A simulation whose queue has room for `n` pending events.
    pub fn with_capacity(n: usize) -> Self {
        Simulation {
            now: SimTime::ZERO,
            queue: EventQueue::with_capacity(n),
            processed: 0,
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at`; a past time is taken as now (rule 3).
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        self.queue.push(at.max(self.now), event);
    }

    /// Schedules `event` after `delay`.
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue.push(self.now + delay, event);
    }

    /// Advances to the next event and returns it, or `None` when nothing is left.
    pub fn next_event(&mut self) -> Option<E> {
        let (t, e) = self.queue.pop()?;
        debug_assert!(t >= self.now, "time went back");
        self.now = t;
        self.processed += 1;
        Some(e)
    }

    /// Like [`next_event`](Self::next_event), but leaves events after `until` in the queue.
    pub fn next_event_until(&mut self, until: SimTime) -> Option<E> {
        match self.queue.peek_time() {
            Some(t) if t <= until => self.next_event(),
            _ => None,
        }
    }

    /// Number of events handed out so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Number of events still pending.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule1_events_run_in_time_order() {
        let mut sim = Simulation::new();
        sim.schedule_at(SimTime(30), 'c');
        sim.schedule_at(SimTime(10), 'a');
        sim.schedule_at(SimTime(20), 'b');
        let order: Vec<char> = std::iter::from_fn(|| sim.next_event()).collect();
        assert_eq!(order, ['a', 'b', 'c']);
    }

    #[test]
    fn rule2_same_time_runs_in_schedule_order() {
        let mut sim = Simulation::new();
        for c in ['x', 'y', 'z', 'a'] {
            sim.schedule_at(SimTime(5), c);
        }
        let order: Vec<char> = std::iter::from_fn(|| sim.next_event()).collect();
        assert_eq!(order, ['x', 'y', 'z', 'a']);
    }

    #[test]
    fn rule3_past_times_run_now_after_what_is_queued() {
        let mut sim = Simulation::new();
        sim.schedule_at(SimTime(10), 1);
        sim.schedule_at(SimTime(10), 2);
        assert_eq!(sim.next_event(), Some(1));
        sim.schedule_at(SimTime(3), 3);
        assert_eq!(sim.next_event(), Some(2));
        assert_eq!(sim.next_event(), Some(3));
        assert_eq!(sim.now(), SimTime(10));
    }

    #[test]
    fn until_leaves_later_events() {
        let mut sim = Simulation::new();
        sim.schedule_at(SimTime(10), 1);
        sim.schedule_at(SimTime(20), 2);
        assert_eq!(sim.next_event_until(SimTime(15)), Some(1));
        assert_eq!(sim.next_event_until(SimTime(15)), None);
        assert_eq!(sim.pending(), 1);
    }
}
