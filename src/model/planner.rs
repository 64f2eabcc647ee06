//! The planner: its port, its estimate requests (one sendsize per host) and what it learns.
//!
//! `Site` sends the requests and carries the answers here; the planner keeps count and tells
//! when the schedule can be written and which hosts it holds.

use crate::model::HostId;
use crate::model::config::SiteConfig;
use crate::model::ports::{BindKind, Port, PortRange};
use crate::model::workload::Night;
use crate::sim::SimDuration;

/// Estimate lines the planner asks per disk (level 0 and the next level).
pub const ESTIMATE_LINES_PER_DISK: u64 = 2;

/// The planner's state over the estimate phase.
#[derive(Clone, Debug)]
pub struct Planner {
    /// Its port and how it got it, once bound; after it exits, the port it had.
    port: Option<(Port, BindKind)>,
    /// Whether it still holds the port (it exits when the schedule is written).
    holds: bool,
    /// Estimate requests not yet answered or failed.
    pending: u32,
    /// Per host: whether its estimates came back.
    host_ok: Vec<bool>,
    /// Per host: why its estimates failed (Amanda's text), empty if none was given.
    host_msg: Vec<String>,
}

impl Planner {
    /// A planner for `hosts` hosts, with no port yet.
    pub fn new(hosts: usize) -> Planner {
        Planner {
            port: None,
            holds: false,
            pending: 0,
            host_ok: vec![true; hosts],
            // Made, not cloned: an empty `String` costs nothing to make.
            host_msg: std::iter::repeat_with(String::new).take(hosts).collect(),
        }
    }

    /// It bound `port`.
    pub fn bound(&mut self, port: Port, kind: BindKind) {
        self.port = Some((port, kind));
        self.holds = true;
    }

    /// Its port and how it got it, if it bound one.
    pub fn port(&self) -> Option<(Port, BindKind)> {
        self.port
    }

    /// Whether it holds a port of `range` that it will release when it exits.
    pub fn holds_in(&self, range: PortRange) -> bool {
        self.holds && self.port.is_some_and(|(p, _)| range.contains(p))
    }

    /// It found no port (2.5.2+ with a full range): no host's estimates can come back.
    pub fn no_port(&mut self) {
        self.host_ok.fill(false);
    }

    /// One more estimate request went out.
    pub fn asked(&mut self) {
        self.pending += 1;
    }

    /// One request was answered or failed; true when it was the last.
    pub fn answered(&mut self) -> bool {
        self.pending -= 1;
        self.pending == 0
    }

    /// Host `h`'s estimates failed with Amanda's `msg`.
    pub fn failed(&mut self, h: HostId, msg: String) {
        self.host_ok[usize::from(h.0)] = false;
        self.host_msg[usize::from(h.0)] = msg;
    }

    /// Whether host `h`'s DLEs are scheduled.
    pub fn scheduled(&self, h: HostId) -> bool {
        self.host_ok[usize::from(h.0)]
    }

    /// Why host `h`'s estimates failed, if a reason was given.
    pub fn failure(&self, h: HostId) -> Option<&str> {
        Some(self.host_msg[usize::from(h.0)].as_str()).filter(|m| !m.is_empty())
    }

    /// The schedule is written and the planner exits: the port it releases, if it held one,
    /// reclassified against `range` (what it is recorded as at the end of the night).
    pub fn exit(&mut self, range: Option<PortRange>) -> Option<Port> {
        let (p, _) = self.port.take()?;
        self.holds = false;
        self.port = Some((p, bind_kind(range, p)));
        Some(p)
    }
}

/// How a port the planner held counts against the configured `range`.
fn bind_kind(range: Option<PortRange>, p: Port) -> BindKind {
    match range {
        Some(r) if r.contains(p) => BindKind::InRange,
        _ if p.is_reserved() => BindKind::ReservedFallback,
        _ => BindKind::Ephemeral,
    }
}

/// How long the planner waits for host `h`'s estimates.
pub fn estimate_wait(sc: &SiteConfig, h: HostId) -> SimDuration {
    if sc.server.etimeout_per_host {
        // 3.5.1 planner.c, getsize: a negative etimeout is the host's whole wait
        // (`timeout = - conf_etimeout`), not per estimate line.
        return sc.server.etimeout;
    }
    // 3.5.1 planner.c, getsize: `timeout = total_estimates * etimeout`, one estimate per level
    // asked; a DLE due for a full dump every night (dumpcycle 1) asks level 0 alone. (Older
    // profiles keep two lines per disk, as their committed results assume.)
    let per_disk = if sc.server.profile.planner_3x && sc.workload.dumpcycle == 1 {
        1
    } else {
        ESTIMATE_LINES_PER_DISK
    };
    let lines = sc.hosts[usize::from(h.0)].dles.len() as u64 * per_disk;
    sc.server.etimeout.times(lines)
}

/// The estimate phase when the planner is not modelled at the packet level: the slowest host's
/// estimate plus a round trip.
pub fn unmodelled_phase(sc: &SiteConfig, night: &Night) -> SimDuration {
    night
        .host_estimate
        .iter()
        .zip(&sc.hosts)
        .map(|(&e, h)| e + h.latency + h.latency)
        .max()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_answer_ends_the_phase_and_exit_releases_the_port() {
        let mut p = Planner::new(2);
        p.bound(Port(855), BindKind::InRange);
        p.asked();
        p.asked();
        let range = PortRange {
            low: Port(850),
            high: Port(859),
        };
        assert!(p.holds_in(range));
        p.failed(HostId(1), "timeout".into());
        assert!(!p.answered());
        assert!(p.answered());
        assert!(p.scheduled(HostId(0)) && !p.scheduled(HostId(1)));
        assert_eq!(p.failure(HostId(0)), None);
        assert_eq!(p.failure(HostId(1)), Some("timeout"));
        assert_eq!(p.exit(None), Some(Port(855)));
        assert!(!p.holds_in(range));
        assert_eq!(p.port(), Some((Port(855), BindKind::ReservedFallback)));
    }
}
