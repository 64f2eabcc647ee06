//! `portsim.run/1`: the machine-readable form of one run.
//!
//! Field order is fixed by the structs; lists are in dumper, attempt-start and disklist order.

use crate::model::measures::{Measures, Summary, secs};
use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::model::ports::{BindKind, Port};
use crate::model::site::RunResult;
use crate::scenario::Scenario;
use serde::Serialize;

/// The schema name written at the top of every run report.
pub const RUN_SCHEMA: &str = "portsim.run/1";

/// A whole run, ready to print.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// Always [`RUN_SCHEMA`].
    pub schema: &'static str,
    /// portsim's version.
    pub portsim: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Replication number (0 for `run`).
    pub replication: u64,
    /// Amanda version profile.
    pub amanda: String,
    /// The range, as "low-high", or null.
    pub udpportrange: Option<String>,
    /// Totals.
    pub summary: Summary,
    /// The planner's port, when modelled.
    pub planner: Option<DumperRow>,
    /// amcheck's port, when one overlaps the night.
    pub amcheck: Option<DumperRow>,
    /// One row per dumper.
    pub dumpers: Vec<DumperRow>,
    /// One row per attempt, in start order.
    pub attempts: Vec<AttemptRow>,
    /// One row per DLE, in disklist order.
    pub dles: Vec<DleRow>,
    /// What the firewall exposed, and what it cost legitimate traffic (MODEL.md section 5).
    pub exposure: Exposure,
    /// Seconds each (server port, client) pair was open through a state entry, by port.
    pub pinholes: Vec<PinholeRow>,
    /// Data each network link carried.
    pub links: Vec<LinkRow>,
}

/// Exposure measures of one night.
#[derive(Debug, Serialize)]
pub struct Exposure {
    /// Server UDP ports one unsolicited packet from an untrusted zone can reach.
    pub reachable_ports: u32,
    /// Whether some of them need source port 10080, a field the sender chooses.
    pub rests_on_source_port: bool,
    /// (port, peer) pairs open to inbound packets, summed over the night, in port-hours.
    pub pinhole_port_hours: f64,
    /// Packets clients sent to the server (ACK, NAK, REP, PREP).
    pub replies_sent: u64,
    /// Of which the firewall dropped.
    pub replies_dropped: u64,
    /// Packets lost on links.
    pub lost_packets: u64,
}

/// One state-table pinhole.
#[derive(Debug, Serialize)]
pub struct PinholeRow {
    /// Server port.
    pub port: Port,
    /// Client host.
    pub host: String,
    /// Seconds open.
    pub seconds: f64,
}

/// One link's traffic.
#[derive(Debug, Serialize)]
pub struct LinkRow {
    /// Link name.
    pub name: String,
    /// GB carried.
    pub gb: f64,
}

/// A dumper (or the planner) and its port.
#[derive(Debug, Serialize)]
pub struct DumperRow {
    /// Index.
    pub id: u16,
    /// Bound port.
    pub port: Option<Port>,
    /// Whether the port is in `udpportrange`.
    pub in_range: bool,
    /// How it got the port.
    pub bind: Option<BindKind>,
    /// Attempts it ran.
    pub attempts: u32,
    /// Of which failed.
    pub failed_attempts: u32,
}

/// One dump attempt.
#[derive(Debug, Serialize)]
pub struct AttemptRow {
    /// Host name.
    pub host: String,
    /// Disk name.
    pub disk: String,
    /// Dumper index.
    pub dumper: u16,
    /// Dumper's port (null if it never got one).
    pub port: Option<Port>,
    /// Whether the host sits behind the firewall.
    pub firewalled: bool,
    /// Seconds it waited for a range port (2.5.2+).
    pub port_wait_s: f64,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
    /// DONE, TRY-AGAIN or FAILED.
    pub outcome: Option<Outcome>,
    /// Why.
    pub cause: Cause,
    /// Amanda's text.
    pub message: String,
}

/// One DLE's night.
#[derive(Debug, Serialize)]
pub struct DleRow {
    /// Host name.
    pub host: String,
    /// Disk name.
    pub disk: String,
    /// Whether the host sits behind the firewall.
    pub firewalled: bool,
    /// Dump level tonight.
    pub level: u8,
    /// Size tonight, MB.
    pub size_mb: f64,
    /// What became of it.
    pub fate: Option<DleFate>,
    /// Attempts.
    pub attempts: u32,
    /// Why it was not dumped.
    pub message: String,
}

impl RunReport {
    /// Builds the report of `r`, replication `rep` of `sc`.
    pub fn new(sc: &Scenario, r: &RunResult, rep: u64) -> RunReport {
        let in_range = |p: Option<Port>| match (p, sc.server.range) {
            (Some(p), Some(range)) => range.contains(p),
            _ => false,
        };
        let dumpers = r
            .dumpers
            .iter()
            .enumerate()
            .map(|(i, d)| DumperRow {
                id: i as u16,
                port: d.port,
                in_range: in_range(d.port),
                bind: d.bind,
                attempts: d.attempts,
                failed_attempts: d.failed_attempts,
            })
            .collect();
        let attempts: Vec<AttemptRow> = r
            .attempts
            .iter()
            .map(|a| {
                let dle = &sc.dles[a.dle.0 as usize];
                AttemptRow {
                    host: sc.hosts[usize::from(dle.host.0)].name.clone(),
                    disk: dle.disk.clone(),
                    dumper: a.dumper.0,
                    port: a.port,
                    firewalled: sc.firewalled(dle.host),
                    port_wait_s: a.port_wait.as_secs_f64(),
                    start_s: secs(a.start),
                    end_s: secs(a.end),
                    outcome: a.outcome,
                    cause: a.cause,
                    message: a.message.clone(),
                }
            })
            .collect();
        let dles: Vec<DleRow> = r
            .dles
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let dle = &sc.dles[i];
                let nd = &r.night.dles[i];
                DleRow {
                    host: sc.hosts[usize::from(dle.host.0)].name.clone(),
                    disk: dle.disk.clone(),
                    firewalled: sc.firewalled(dle.host),
                    level: nd.level,
                    size_mb: (nd.size_kb / 1024.0 * 10.0).round() / 10.0,
                    fate: st.fate,
                    attempts: st.attempts,
                    message: st.message.clone(),
                }
            })
            .collect();
        let summary = Summary::of(sc, r);
        let exp = sc.static_exposure();
        let m = Measures::of(r, exp);
        let exposure = Exposure {
            reachable_ports: exp.reachable,
            rests_on_source_port: exp.rests_on_source_port,
            pinhole_port_hours: (m.pinhole_port_hours * 1000.0).round() / 1000.0,
            replies_sent: r.replies_sent,
            replies_dropped: r.replies_dropped,
            lost_packets: r.lost_packets,
        };
        let pinholes = r
            .pinholes
            .iter()
            .map(|&(port, h, s)| PinholeRow {
                port,
                host: sc.hosts[usize::from(h.0)].name.clone(),
                seconds: (s * 1000.0).round() / 1000.0,
            })
            .collect();
        let links = sc
            .links
            .iter()
            .zip(&r.kb_per_link)
            .map(|(l, kb)| LinkRow {
                name: l.name.clone(),
                gb: (kb / 1024.0 / 1024.0 * 1000.0).round() / 1000.0,
            })
            .collect();
        // A server process other than a dumper: its port and whether it is in the range.
        let process_row = |p: Port, kind: BindKind| DumperRow {
            id: 0,
            port: Some(p),
            in_range: in_range(Some(p)),
            bind: Some(kind),
            attempts: 0,
            failed_attempts: 0,
        };
        RunReport {
            schema: RUN_SCHEMA,
            portsim: env!("CARGO_PKG_VERSION"),
            scenario: sc.name.clone(),
            seed: sc.seed,
            replication: rep,
            amanda: sc.file.server.version.clone(),
            udpportrange: sc.server.range.map(|r| r.to_string()),
            summary,
            planner: r.planner_port.map(|(p, kind)| process_row(p, kind)),
            amcheck: r.amcheck_port.map(|(p, kind)| process_row(p, kind)),
            dumpers,
            attempts,
            dles,
            exposure,
            pinholes,
            links,
        }
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serialises");
        s.push('\n');
        s
    }
}
