//! Server UDP ports and Amanda's `dgram_bind` / `bind_portrange`.
//!
//! `bind_portrange(low, high)` tries `low + (pid + time) % n` first, then upward with wrap,
//! skipping every port already bound. 2.4-2.5.1 then fall back, silently, to 512-1023 the same
//! way and at last to a kernel-chosen port >= 1024. The `(pid + time)` offset is a draw from the
//! port stream (deterministic by design; the real one depends on the process id and the clock).

use crate::model::DumperId;
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt;

/// A UDP or TCP port number.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Port(pub u16);

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Port {
    /// Ports below 1024 need root and pass amandad's security check.
    pub fn is_reserved(self) -> bool {
        self.0 < 1024
    }
}

/// An inclusive range of ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PortRange {
    /// First port.
    pub low: Port,
    /// Last port (inclusive).
    pub high: Port,
}

impl PortRange {
    /// Every port.
    pub const ANY: PortRange = PortRange {
        low: Port(0),
        high: Port(u16::MAX),
    };

    /// The range `low..=high`; the caller has checked `low <= high`.
    pub fn new(low: u16, high: u16) -> Self {
        debug_assert!(low <= high);
        PortRange {
            low: Port(low),
            high: Port(high),
        }
    }

    /// Whether `p` lies inside.
    pub fn contains(&self, p: Port) -> bool {
        self.low <= p && p <= self.high
    }

    /// Number of ports in the range.
    pub fn len(&self) -> u32 {
        u32::from(self.high.0) - u32::from(self.low.0) + 1
    }

    /// Never true: a range holds at least one port.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The ports in order.
    pub fn iter(&self) -> impl Iterator<Item = Port> {
        (self.low.0..=self.high.0).map(Port)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high {
            write!(f, "{}", self.low)
        } else {
            write!(f, "{}-{}", self.low, self.high)
        }
    }
}

/// The reserved ports 2.4-2.5.1 fall back to.
pub const RESERVED_FALLBACK: PortRange = PortRange {
    low: Port(512),
    high: Port(1023),
};

/// Where the kernel picks a port for `bind(port 0)` (Linux `ip_local_port_range`).
pub const EPHEMERAL: PortRange = PortRange {
    low: Port(32768),
    high: Port(60999),
};

/// How a socket got its port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BindKind {
    /// Inside `udpportrange`.
    InRange,
    /// The silent fallback to 512-1023.
    ReservedFallback,
    /// A kernel-chosen port >= 1024.
    Ephemeral,
}

/// Which server UDP ports are bound, by anyone: a bit per port, in words added as bound ports
/// need them (a night that binds only reserved ports zeroes 16 words, not all 1024).
#[derive(Clone, Debug)]
pub struct PortTable {
    bound: Vec<u64>,
}

impl Default for PortTable {
    fn default() -> Self {
        PortTable {
            // Room for the reserved ports (0-1023).
            bound: Vec::with_capacity(1024 / 64),
        }
    }
}

impl PortTable {
    /// Whether `p` is bound.
    pub fn is_bound(&self, p: Port) -> bool {
        self.bound
            .get(usize::from(p.0) / 64)
            .is_some_and(|w| w & (1 << (p.0 % 64)) != 0)
    }

    /// Marks `p` bound; returns false if it already was.
    pub fn bind(&mut self, p: Port) -> bool {
        let i = usize::from(p.0) / 64;
        if i >= self.bound.len() {
            self.bound.resize(i + 1, 0);
        }
        let bit = 1 << (p.0 % 64);
        let word = &mut self.bound[i];
        let was = *word & bit != 0;
        *word |= bit;
        !was
    }

    /// Frees `p`.
    pub fn release(&mut self, p: Port) {
        if let Some(w) = self.bound.get_mut(usize::from(p.0) / 64) {
            *w &= !(1 << (p.0 % 64));
        }
    }

    /// `bind_portrange`: the first free port from `range.low + offset % n` upward, wrapping.
    /// `usable` says whether a port may be tried at all (2.5.0+ skips services-named ports).
    pub fn bind_portrange(
        &mut self,
        range: PortRange,
        offset: u32,
        usable: impl Fn(Port) -> bool,
    ) -> Option<Port> {
        let n = range.len();
        // From `low + offset % n` upward, back to `low` past the top: no division per port.
        let mut k = offset % n;
        for _ in 0..n {
            let p = Port((u32::from(range.low.0) + k) as u16);
            if usable(p) && self.bind(p) {
                return Some(p);
            }
            k += 1;
            if k == n {
                k = 0;
            }
        }
        None
    }
}

/// Range ports leased for one request each (the per-request port policy), and the requests
/// (by attempt) waiting for one to be released, in arrival order.
#[derive(Clone, Debug)]
pub struct Leases {
    held: Vec<Option<Port>>,
    waiters: VecDeque<u32>,
}

impl Leases {
    /// No lease for any of `dumpers` dumpers, nobody waiting.
    pub fn new(dumpers: usize) -> Leases {
        Leases {
            held: vec![None; dumpers],
            waiters: VecDeque::new(),
        }
    }

    /// Binds a port of `range` in `table` for dumper `d`'s request (`bind_portrange` from
    /// `offset`, only `usable` ports): the port, or None if every one is taken.
    pub fn take(
        &mut self,
        table: &mut PortTable,
        d: DumperId,
        range: PortRange,
        offset: u32,
        usable: impl Fn(Port) -> bool,
    ) -> Option<Port> {
        let p = table.bind_portrange(range, offset, usable)?;
        self.held[usize::from(d.0)] = Some(p);
        Some(p)
    }

    /// Dumper `d`'s leased port, if it holds one.
    pub fn of(&self, d: DumperId) -> Option<Port> {
        self.held[usize::from(d.0)]
    }

    /// Whether some dumper holds a lease (and so will release a range port).
    pub fn any_held(&self) -> bool {
        self.held.iter().any(Option::is_some)
    }

    /// Dumper `d`'s request is over: frees its leased port in `table`, if it held one.
    pub fn release(&mut self, table: &mut PortTable, d: DumperId) -> Option<Port> {
        let p = self.held[usize::from(d.0)].take()?;
        table.release(p);
        Some(p)
    }

    /// Attempt `a` waits for a released port.
    pub fn wait(&mut self, a: u32) {
        self.waiters.push_back(a);
    }

    /// How many attempts wait.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// The attempt that has waited longest, taken off the queue.
    pub fn next_waiter(&mut self) -> Option<u32> {
        self.waiters.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_binds_until_released_and_waiters_queue_in_order() {
        let mut t = PortTable::default();
        let mut l = Leases::new(2);
        let r = PortRange::new(850, 850);
        assert_eq!(l.take(&mut t, DumperId(0), r, 0, |_| true), Some(Port(850)));
        assert!(l.any_held() && t.is_bound(Port(850)));
        assert_eq!(l.take(&mut t, DumperId(1), r, 0, |_| true), None);
        l.wait(7);
        l.wait(3);
        assert_eq!(l.release(&mut t, DumperId(0)), Some(Port(850)));
        assert!(!l.any_held() && !t.is_bound(Port(850)));
        assert_eq!(l.release(&mut t, DumperId(0)), None);
        assert_eq!(l.waiting(), 2);
        assert_eq!(
            (l.next_waiter(), l.next_waiter(), l.next_waiter()),
            (Some(7), Some(3), None)
        );
    }

    #[test]
    fn starts_at_offset_and_wraps() {
        let mut t = PortTable::default();
        let r = PortRange::new(850, 859);
        assert_eq!(t.bind_portrange(r, 8, |_| true), Some(Port(858)));
        assert_eq!(t.bind_portrange(r, 8, |_| true), Some(Port(859)));
        assert_eq!(t.bind_portrange(r, 8, |_| true), Some(Port(850)));
    }

    #[test]
    fn skips_bound_and_unusable_ports_and_runs_out() {
        let mut t = PortTable::default();
        let r = PortRange::new(850, 852);
        t.bind(Port(850));
        assert_eq!(t.bind_portrange(r, 0, |p| p != Port(851)), Some(Port(852)));
        assert_eq!(t.bind_portrange(r, 0, |p| p != Port(851)), None);
        t.release(Port(850));
        assert_eq!(t.bind_portrange(r, 2, |_| true), Some(Port(850)));
    }
}
