//! Bounds on a validated scenario's sizes, counts and times, so that no input can make a night
//! panic, allocate without limit, run for ever or saturate the clock: a night is at most
//! [`MAX_NIGHT`] (30 days), and every quantity that could make it longer or bigger is refused
//! at load with its JSON path. Also the values a file may hold that Amanda cannot: port 0,
//! an Amanda 3 release that does not exist.

use super::Scenario;
use super::load::InputError;
use super::schema::PortsFile;
use crate::model::ports::{EPHEMERAL, Port};
use crate::sim::SimDuration;

/// The longest night portsim simulates: far beyond any real backup window (a dumpcycle is days,
/// not months), far below where microsecond time could overflow.
pub const MAX_NIGHT: SimDuration = SimDuration::from_secs(30 * 24 * 3600);

/// Fastest rate a disk, a link or `netusage` may have: a terabyte a second, beyond any
/// backup network, and far from where KB/s arithmetic reaches infinity.
pub const MAX_RATE_KBS: f64 = 1024.0 * 1024.0 * 1024.0;

/// Most `maxdumps` per host: more parallel dumps per client than any disklist holds.
pub const MAX_MAXDUMPS: u32 = 1024;

/// Ephemeral ports that `ports_in_use` must leave free: when the range and 512-1023 are taken,
/// every dumper (at most 63), the planner and amcheck still bind one.
pub const EPHEMERAL_SPARE: u32 = 128;

/// Amanda 3 releases, as `server.version` may name them (all modelled as 2.5.2).
pub const AMANDA_3: &[&str] = &[
    "3", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.0.1", "3.1.1", "3.1.2", "3.1.3", "3.1.4",
    "3.2.1", "3.2.2", "3.2.3", "3.3.0", "3.3.1", "3.3.2", "3.3.3", "3.3.4", "3.3.5", "3.3.6",
    "3.3.7", "3.3.8", "3.3.9", "3.4.1", "3.4.2", "3.4.3", "3.4.4", "3.4.5", "3.5.0", "3.5.1",
    "3.5.2", "3.5.3", "3.5.4",
];

/// Checks `sc` (just validated); `origin_of` names where a JSON path was set.
pub fn check(sc: &Scenario, origin_of: &dyn Fn(&str) -> String) -> Result<(), InputError> {
    let fail = |path: &str, msg: String| {
        Err(InputError::Invalid {
            origin: origin_of(path),
            path: path.into(),
            msg,
        })
    };
    let v = &sc.file.server.version;
    if v.starts_with('3') && !AMANDA_3.contains(&v.as_str()) {
        return fail(
            "server.version",
            format!(
                "{v:?} is not an Amanda 3 release; known: {} (all modelled as 2.5.2)",
                AMANDA_3.join(", ")
            ),
        );
    }
    ports(sc, &fail)?;
    durations(sc, &fail)?;
    for (i, h) in sc.file.hosts.iter().enumerate() {
        if h.maxdumps > MAX_MAXDUMPS {
            return fail(
                &format!("hosts[{i}].maxdumps"),
                format!(
                    "maxdumps {}: at most {MAX_MAXDUMPS} dumps at once on one client",
                    h.maxdumps
                ),
            );
        }
    }
    dles(sc, &fail)
}

type Fail<'a> = dyn Fn(&str, String) -> Result<(), InputError> + 'a;

/// Port 0 is not a port (binding it asks the kernel for any), and `ports_in_use` must leave
/// the ephemeral range room.
fn ports(sc: &Scenario, fail: &Fail) -> Result<(), InputError> {
    let s = &sc.file.server;
    let zero = "port 0 is not a port a socket can be named by (binding 0 asks the kernel for any): give 1 to 65535";
    if s.udpportrange.is_some_and(|r| r.contains(&0)) {
        return fail("server.udpportrange", zero.into());
    }
    for (i, p) in s.ports_in_use.iter().enumerate() {
        if p.port == 0 {
            return fail(&format!("server.ports_in_use[{i}].port"), zero.into());
        }
    }
    for (i, p) in s.services.iter().enumerate() {
        if p.port == 0 {
            return fail(&format!("server.services[{i}].port"), zero.into());
        }
    }
    for (i, r) in sc.file.firewall.rules.iter().enumerate() {
        for (key, ports) in [("src_ports", r.src_ports), ("dst_ports", r.dst_ports)] {
            if let Some(PortsFile::One(0)) = ports {
                let msg = format!("{zero}; a range may start at 0: [0, 1023]");
                return fail(&format!("firewall.rules[{i}].{key}"), msg);
            }
        }
    }
    let mut held: Vec<Port> = sc.server.ports_in_use.clone();
    held.sort();
    held.dedup();
    let in_ephemeral = held.iter().filter(|p| EPHEMERAL.contains(**p)).count() as u32;
    let size = u32::from(EPHEMERAL.high.0 - EPHEMERAL.low.0) + 1;
    if in_ephemeral + EPHEMERAL_SPARE > size {
        return fail(
            "server.ports_in_use",
            format!(
                "{in_ephemeral} of the {size} ephemeral ports {}-{} are held: leave at least {EPHEMERAL_SPARE} free, where every dumper, the planner and amcheck bind when the range and 512-1023 are full",
                EPHEMERAL.low.0, EPHEMERAL.high.0
            ),
        );
    }
    Ok(())
}

/// Timeouts, latencies and rescans: each within a night.
fn durations(sc: &Scenario, fail: &Fail) -> Result<(), InputError> {
    let s = &sc.server;
    let long = |d: SimDuration| d > MAX_NIGHT;
    for (path, d) in [
        ("server.ctimeout", s.ctimeout),
        ("server.etimeout", s.etimeout),
        ("server.dtimeout", s.dtimeout),
        ("network.latency_ms", sc.latency),
    ] {
        if long(d) {
            return fail(path, over(d));
        }
    }
    for (i, l) in sc.links.iter().enumerate() {
        if long(l.link.latency) {
            return fail(
                &format!("network.links[{i}].latency_ms"),
                over(l.link.latency),
            );
        }
        if l.link.capacity_kbs > MAX_RATE_KBS {
            return fail(&format!("network.links[{i}].capacity_mb_s"), too_fast());
        }
    }
    if s.netusage_kbs > MAX_RATE_KBS {
        return fail("server.netusage", too_fast());
    }
    if let Some(n) = sc.file.server.rescan_limit {
        // 2.5.2+ rescans the range every 15 s.
        let most = MAX_NIGHT.0 / SimDuration::from_secs(15).0;
        if u64::from(n) > most {
            return fail(
                "server.rescan_limit",
                format!(
                    "{n} rescans 15 s apart outlast a night of 30 days: at most {most} (Amanda's own is 120)"
                ),
            );
        }
    }
    Ok(())
}

/// A number as a person writes it: `6.4`, `1e15`, `1e-300`.
fn num(x: f64) -> String {
    if x != 0.0 && !(1e-3..1e6).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn too_fast() -> String {
    format!(
        "faster than any network: at most {} MB/s (a terabyte a second)",
        MAX_RATE_KBS / 1024.0
    )
}

fn over(d: SimDuration) -> String {
    format!(
        "{:.0} s is longer than a night can be (30 days, {} s)",
        d.as_secs_f64(),
        MAX_NIGHT.0 / 1_000_000
    )
}

/// Each DLE's estimate, and its full dump at the slowest of its disk, its links and the
/// server's netusage, within a night; the message names the DLE.
fn dles(sc: &Scenario, fail: &Fail) -> Result<(), InputError> {
    for (hi, h) in sc.hosts.iter().enumerate() {
        let path_kbs = h
            .path
            .iter()
            .map(|l| sc.links[usize::from(l.0)].link.capacity_kbs)
            .fold(sc.server.netusage_kbs, f64::min);
        for (di, d) in sc.dles[h.dles.clone()].iter().enumerate() {
            let at = format!("hosts[{hi}].disks[{di}]");
            let who = format!("{}:{}", h.name, d.disk);
            if d.estimate > MAX_NIGHT {
                return fail(
                    &format!("{at}.estimate_s"),
                    format!("{who}: {}", over(d.estimate)),
                );
            }
            if d.rate_kbs > MAX_RATE_KBS {
                return fail(&format!("{at}.rate_mb_s"), format!("{who}: {}", too_fast()));
            }
            let kbs = d.rate_kbs.min(path_kbs);
            let secs = d.full_kb / kbs;
            if !(secs.is_finite() && secs <= MAX_NIGHT.as_secs_f64()) {
                let file = &sc.file.hosts[hi].disks[di];
                return fail(
                    &at,
                    format!(
                        "{who}: a full dump of full_gb {} at {} MB/s (rate_mb_s {}, or a slower link or netusage) takes {} days, longer than a night can be (30 days)",
                        num(file.full_gb),
                        num(kbs / 1024.0),
                        num(file.rate_mb_s),
                        if secs.is_finite() {
                            format!("{:.3e}", secs / 86400.0)
                        } else {
                            "for ever".into()
                        },
                    ),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_night_is_30_days_in_microseconds_far_from_overflow() {
        assert_eq!(super::MAX_NIGHT.0, 2_592_000_000_000);
        assert!(super::MAX_NIGHT.0.checked_mul(1_000_000).is_some());
    }
}
