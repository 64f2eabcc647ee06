//! The run report for people: dumpers and their ports, the failed dumps, a summary.

use super::json::RunReport;
use crate::model::outcome::Outcome;
use crate::sim::{SimDuration, SimTime};
use std::fmt::Write;

fn clock(s: f64) -> String {
    (SimTime::ZERO + SimDuration::from_secs_f64(s)).to_string()
}

/// Renders a run report as aligned text.
pub fn render(r: &RunReport) -> String {
    let mut o = String::new();
    header(&mut o, r);
    dumpers(&mut o, r);
    failed(&mut o, r);
    lost(&mut o, r);
    summary(&mut o, r);
    o
}

/// The scenario line, the version and range, and the processes outside the dumpers.
fn header(o: &mut String, r: &RunReport) {
    let range = r.udpportrange.as_deref().unwrap_or("none");
    let _ = writeln!(
        o,
        "portsim {}: scenario {}, seed {}, replication {}",
        r.portsim, r.scenario, r.seed, r.replication
    );
    let _ = writeln!(
        o,
        "Amanda {}, udpportrange {}, inparallel {}",
        r.amanda,
        range,
        r.dumpers.len()
    );
    if let Some(p) = &r.amcheck {
        let _ = writeln!(
            o,
            "amcheck port {} ({}), held all night",
            p.port.map_or("-".into(), |p| p.to_string()),
            placement(p.in_range, r.udpportrange.is_some())
        );
    }
    if let Some(p) = &r.planner {
        let _ = writeln!(
            o,
            "planner port {} ({})",
            p.port.map_or("-".into(), |p| p.to_string()),
            placement(p.in_range, r.udpportrange.is_some())
        );
    }
}

/// Where a planner's or amcheck's port lies. Without a range (bsdtcp, or a 2.x built without
/// `--with-udpportrange`) no port is "outside" one.
fn placement(in_range: bool, has_range: bool) -> &'static str {
    match (has_range, in_range) {
        (false, _) => "no udpportrange",
        (true, true) => "in range",
        (true, false) => "OUTSIDE the range",
    }
}

/// Every dumper with its port.
fn dumpers(o: &mut String, r: &RunReport) {
    let _ = writeln!(o, "\nDumpers");
    let _ = writeln!(
        o,
        "  {:<9} {:>5}  {:<9} {:>8} {:>7}",
        "dumper", "port", "in range", "attempts", "failed"
    );
    for d in &r.dumpers {
        let _ = writeln!(
            o,
            "  {:<9} {:>5}  {:<9} {:>8} {:>7}",
            format!("dumper{}", d.id),
            d.port.map_or("-".into(), |p| p.to_string()),
            match (r.udpportrange.is_some(), d.in_range) {
                (false, _) => "-",
                (true, true) => "yes",
                (true, false) => "NO",
            },
            d.attempts,
            d.failed_attempts
        );
    }
}

/// Every failed attempt.
fn failed(o: &mut String, r: &RunReport) {
    let failed: Vec<_> = r
        .attempts
        .iter()
        .filter(|a| a.outcome != Some(Outcome::Done))
        .collect();
    let _ = writeln!(o, "\nFailed attempts ({})", failed.len());
    if failed.is_empty() {
        let _ = writeln!(o, "  none");
    } else {
        let hw = failed
            .iter()
            .map(|a| a.host.len() + a.disk.len() + 1)
            .max()
            .unwrap_or(4)
            .max(9);
        let _ = writeln!(
            o,
            "  {:<12} {:<hw$} {:<9} {:>5}  {:<10} {:<14} message",
            "start", "host:disk", "dumper", "port", "result", "cause (model)"
        );
        for a in failed {
            let cause = serde_json::to_value(a.cause).expect("cause serialises");
            let _ = writeln!(
                o,
                "  {:<12} {:<hw$} {:<9} {:>5}  {:<10} {:<14} {}",
                clock(a.start_s),
                format!("{}:{}", a.host, a.disk),
                format!("dumper{}", a.dumper),
                a.port.map_or("-".into(), |p| p.to_string()),
                match a.outcome {
                    Some(Outcome::Failed) => "FAILED",
                    _ => "TRY-AGAIN",
                },
                cause.as_str().unwrap_or("?"),
                a.message
            );
        }
    }
}

/// The DLEs not dumped tonight.
fn lost(o: &mut String, r: &RunReport) {
    let lost: Vec<_> = r
        .dles
        .iter()
        .filter(|d| d.fate != Some(crate::model::outcome::DleFate::Dumped))
        .collect();
    if !lost.is_empty() {
        let _ = writeln!(o, "\nDLEs not dumped ({})", lost.len());
        for d in lost {
            let _ = writeln!(
                o,
                "  {}:{} ({}) {}",
                d.host,
                d.disk,
                if d.firewalled {
                    "firewalled"
                } else {
                    "not firewalled"
                },
                d.message
            );
        }
    }
}

/// The totals and the exposure.
fn summary(o: &mut String, r: &RunReport) {
    let s = &r.summary;
    let _ = writeln!(o, "\nSummary");
    let _ = writeln!(
        o,
        "  DLEs {}, dumped {}, failed {} ({} firewalled), attempts {}, failed attempts {}",
        s.dles, s.dumped, s.failed, s.failed_firewalled, s.attempts, s.failed_attempts
    );
    let _ = writeln!(
        o,
        "  estimates {}, backup window {}, packets dropped by the firewall {}",
        clock(s.estimates_s),
        clock(s.window_s),
        s.dropped_packets
    );
    let e = &r.exposure;
    let _ = writeln!(
        o,
        "  exposure: {} server UDP ports reachable unsolicited{}, {:.1} pinhole port-hours; {} of {} client replies dropped",
        e.reachable_ports,
        if e.rests_on_source_port {
            " (with source port 10080, which the sender chooses)"
        } else {
            ""
        },
        e.pinhole_port_hours,
        e.replies_dropped,
        e.replies_sent
    );
    for l in &r.links {
        let _ = writeln!(o, "  link {}: {:.2} GB", l.name, l.gb);
    }
}
