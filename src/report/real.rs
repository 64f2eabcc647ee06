//! A real night, read from Amanda's logs, as the same `portsim.run/1` report `portsim run` prints,
//! so that one tool reads both.
//!
//! Every field of [`RunReport`] keeps its meaning, with these readings for a real night:
//! - `scenario` is the name given to the logs (a run directory's name), `seed` and `replication`
//!   are 0, `amanda` is the version the logs name ("unknown" if none does);
//! - `udpportrange` and each host's `firewalled` come from a scenario when one is given (the lab
//!   writes its configuration from one); otherwise the range is the one the logs name, if any,
//!   and no host is marked firewalled;
//! - `attempts[].cause` is inferred from Amanda's text (and, with a scenario, from whether the
//!   dumper's port is in the firewall's hole for that host): Amanda's logs cannot tell a dropped
//!   reply from a silent client, so `reply-dropped` needs a scenario;
//! - `summary.events` counts the log lines read; `summary.dropped_packets`, `exposure`,
//!   `pinholes` and `links` are not in Amanda's logs and are left zero or empty.
//!
//! One field is added at the top level, `real`: what only a real night has (files read, lines
//! not understood, amdump's exit status, bind times, planner failures, client notes). A reader of
//! simulated runs may ignore it; its absence tells a simulated run.

use super::json::{AttemptRow, DleRow, DumperRow, Exposure, RUN_SCHEMA, RunReport};
use crate::amanda::log::{ClientNotes, LineRef, RealBind, RealNight, SourceFile};
use crate::model::HostId;
use crate::model::Node;
use crate::model::firewall::{Header, Proto};
use crate::model::measures::Summary;
use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::model::ports::{BindKind, Port, PortRange};
use crate::scenario::Scenario;
use crate::sim::SimTime;
use serde::Serialize;

/// The source tag of reports read from logs.
pub const REAL_SOURCE: &str = "amanda-logs";

/// Fields of a simulated run that a real night's logs do not hold.
pub const NOT_OBSERVED: [&str; 5] = [
    "summary.dropped_packets",
    "exposure",
    "pinholes",
    "links",
    "dumpers[].bind before 3.x (no range scan in the log)",
];

/// A real night's report: a `portsim.run/1` report plus its `real` block.
#[derive(Debug, Serialize)]
pub struct RealReport {
    /// The run report, same schema as `portsim run`.
    #[serde(flatten)]
    pub run: RunReport,
    /// What only a real night has.
    pub real: RealBlock,
}

/// The `real` block.
#[derive(Debug, Serialize)]
pub struct RealBlock {
    /// Always [`REAL_SOURCE`].
    pub source: &'static str,
    /// The run's datestamp (trace log `START`).
    pub datestamp: Option<String>,
    /// Wall clock of time zero (amdump's start), as the logs print it (local time).
    pub origin: Option<String>,
    /// amdump's exit status, when its debug log was read.
    pub exit_status: Option<i32>,
    /// `inparallel`, from the driver.
    pub inparallel: Option<u32>,
    /// Whether `udpportrange` and `firewalled` came from a scenario.
    pub scenario: Option<String>,
    /// How `attempts[].cause` was found.
    pub causes: &'static str,
    /// Fields of the run report the logs do not hold.
    pub not_observed: Vec<&'static str>,
    /// Per dumper: process, bind time, range scans.
    pub dumpers: Vec<RealDumperRow>,
    /// The planner's socket.
    pub planner: Option<RealDumperRow>,
    /// Estimate failures.
    pub planner_failures: Vec<PlannerFailureRow>,
    /// Seconds from amdump's start to the end of the estimates.
    pub estimates_end_s: Option<f64>,
    /// Seconds from amdump's start to the driver's end.
    pub driver_end_s: Option<f64>,
    /// What the client's amandad logs say.
    pub client: ClientNotes,
    /// `WARNING`/`ERROR`/`FATAL` lines of the trace log.
    pub notices: Vec<String>,
    /// What the reader had to assume.
    pub notes: Vec<String>,
    /// Files read.
    pub files: Vec<SourceFile>,
    /// Lines not understood, all files.
    pub unrecognized_lines: usize,
    /// The first of them.
    pub unrecognized: Vec<LineRef>,
}

/// A server process's socket as the logs show it.
#[derive(Debug, Serialize)]
pub struct RealDumperRow {
    /// Dumper index (0 for the planner).
    pub id: u16,
    /// Process id.
    pub pid: Option<u32>,
    /// Port.
    pub port: Option<Port>,
    /// Seconds from amdump's start to the bind.
    pub bound_s: Option<f64>,
    /// `all ports between LO and HI busy` scans.
    pub busy_scans: u32,
    /// Whether it gave up binding.
    pub gave_up: bool,
}

/// One estimate failure.
#[derive(Debug, Serialize)]
pub struct PlannerFailureRow {
    /// Host.
    pub host: String,
    /// Disk.
    pub disk: String,
    /// Amanda's text.
    pub message: String,
}

fn secs(t: SimTime) -> f64 {
    (t.0 / 1000) as f64 / 1000.0
}

/// What a scenario adds to a real night: the range, and which hosts sit behind the firewall.
struct Context<'a> {
    sc: Option<&'a Scenario>,
    range: Option<PortRange>,
}

impl Context<'_> {
    /// The scenario's host of that name, else of the same first label (`client` for
    /// `client.sim`: a disklist often names hosts by their full names).
    fn host(&self, name: &str) -> Option<HostId> {
        let sc = self.sc?;
        let short = |n: &str| n.split('.').next().unwrap_or(n).to_string();
        sc.hosts
            .iter()
            .position(|h| h.name == name)
            .or_else(|| sc.hosts.iter().position(|h| short(&h.name) == short(name)))
            .map(|i| HostId(i as u16))
    }

    fn firewalled(&self, name: &str) -> bool {
        match (self.sc, self.host(name)) {
            (Some(sc), Some(h)) => sc.firewalled(h),
            _ => false,
        }
    }

    /// Whether the host's reply (source port 10080) to `port` passes the firewall's rules.
    fn in_hole(&self, name: &str, port: Port) -> Option<bool> {
        let sc = self.sc?;
        let h = self.host(name)?;
        let hdr = Header {
            proto: Proto::Udp,
            src: Node::Host(h),
            src_zone: sc.hosts[usize::from(h.0)].zone,
            src_port: Port(10080),
            dst: Node::Server,
            dst_zone: sc.server.zone,
            dst_port: port,
        };
        Some(sc.firewall.evaluate(&hdr).action.passes())
    }

    fn in_range(&self, s: &RealBind) -> bool {
        match (s.port, self.range) {
            (Some(p), Some(r)) => r.contains(p),
            (Some(_), None) => s.bind == Some(BindKind::InRange),
            _ => false,
        }
    }
}

/// The model's cause for a real attempt, read from Amanda's text.
pub fn infer_cause(outcome: Option<Outcome>, message: &str, in_hole: Option<bool>) -> Cause {
    let m = message.to_ascii_lowercase();
    match outcome {
        Some(Outcome::Done) => Cause::Ok,
        _ if m.contains("waiting for ack") || m.contains("request timeout") => match in_hole {
            Some(false) => Cause::ReplyDropped,
            _ => Cause::NoAnswer,
        },
        _ if m.contains("can't bind")
            || m.contains("ports between")
            || m.contains("unable to bind") =>
        {
            Cause::NoPort
        }
        _ if m.contains("busy") || m.contains("nak") => Cause::ClientBusy,
        _ if m.contains("not secure") => Cause::NotSecure,
        _ if m.contains("data port")
            || m.contains("port open")
            || m.contains("could not connect to data") =>
        {
            Cause::DataConnect
        }
        _ => Cause::NoAnswer,
    }
}

impl RealReport {
    /// The report of `night`, named `name`; `sc` (the scenario the site runs) adds the range,
    /// the firewalled hosts and the hole.
    pub fn new(night: &RealNight, name: &str, sc: Option<&Scenario>) -> RealReport {
        let cx = Context {
            sc,
            range: sc.and_then(|s| s.server.range).or(night.range_seen),
        };
        let attempts = attempt_rows(night, &cx);
        let dumpers: Vec<DumperRow> = night
            .dumpers
            .iter()
            .map(|d| {
                let mine = attempts.iter().filter(|a| a.dumper == d.id.0);
                DumperRow {
                    id: d.id.0,
                    port: d.socket.port,
                    in_range: cx.in_range(&d.socket),
                    bind: d.socket.bind,
                    attempts: mine.clone().count() as u32,
                    failed_attempts: mine.filter(|a| a.outcome != Some(Outcome::Done)).count()
                        as u32,
                }
            })
            .collect();
        let dles: Vec<DleRow> = night
            .dles
            .iter()
            .map(|d| DleRow {
                host: d.host.clone(),
                disk: d.disk.clone(),
                firewalled: cx.firewalled(&d.host),
                level: d.level.unwrap_or(0),
                size_mb: (d.size_kb.unwrap_or(0.0) / 1024.0 * 10.0).round() / 10.0,
                fate: d.fate,
                attempts: d.attempts,
                message: d.message.clone(),
            })
            .collect();
        let summary = summary(night, &attempts, &dles);
        let real = real_block(night, sc);
        let process_row = |s: &RealBind| DumperRow {
            id: 0,
            port: s.port,
            in_range: cx.in_range(s),
            bind: s.bind,
            attempts: 0,
            failed_attempts: 0,
        };
        RealReport {
            run: RunReport {
                schema: RUN_SCHEMA,
                portsim: env!("CARGO_PKG_VERSION"),
                scenario: name.to_string(),
                seed: 0,
                replication: 0,
                amanda: night.version.clone().unwrap_or_else(|| "unknown".into()),
                udpportrange: cx.range.map(|r| r.to_string()),
                summary,
                planner: night.planner.as_ref().map(process_row),
                amcheck: None,
                dumpers,
                attempts,
                dles,
                exposure: Exposure {
                    reachable_ports: 0,
                    rests_on_source_port: false,
                    pinhole_port_hours: 0.0,
                    replies_sent: 0,
                    replies_dropped: 0,
                    lost_packets: 0,
                },
                pinholes: Vec::new(),
                links: Vec::new(),
            },
            real,
        }
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serialises");
        s.push('\n');
        s
    }

    /// The run report's text (as `portsim run` prints it) and what only a real night has.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let r = &self.real;
        let mut o = format!(
            "Amanda logs {} (datestamp {}), read by portsim {}\n",
            self.run.scenario,
            r.datestamp.as_deref().unwrap_or("?"),
            self.run.portsim
        );
        // The run report's first line names a seed and replication, which a real night has not.
        for line in super::text::render(&self.run).lines().skip(1) {
            let _ = writeln!(o, "{line}");
        }
        let _ = writeln!(o, "\nFrom the logs only");
        let _ = writeln!(
            o,
            "  amdump exit status {}, driver ended at {}, estimates ended at {}",
            r.exit_status.map_or("unknown".into(), |c| c.to_string()),
            r.driver_end_s.map_or("-".into(), |s| format!("{s:.1} s")),
            r.estimates_end_s
                .map_or("-".into(), |s| format!("{s:.1} s")),
        );
        let bound: Vec<f64> = r.dumpers.iter().filter_map(|d| d.bound_s).collect();
        if let (Some(lo), Some(hi)) = (
            bound.iter().copied().reduce(f64::min),
            bound.iter().copied().reduce(f64::max),
        ) {
            let _ = writeln!(
                o,
                "  {} of {} dumpers bound a port, between {lo:.2} s and {hi:.2} s",
                bound.len(),
                r.dumpers.len()
            );
        }
        for d in r.dumpers.iter().filter(|d| d.busy_scans > 0 || d.gave_up) {
            let _ = writeln!(
                o,
                "  dumper{}: {} `all ports busy` scans{}",
                d.id,
                d.busy_scans,
                if d.gave_up { ", gave up" } else { "" }
            );
        }
        for f in &r.planner_failures {
            let _ = writeln!(o, "  planner failed {}:{} {}", f.host, f.disk, f.message);
        }
        for n in &r.notices {
            let _ = writeln!(o, "  {n}");
        }
        let c = &r.client;
        if c.amandad_logs > 0 {
            let _ = writeln!(
                o,
                "  client: {} amandad logs, `already running, acking req` x{}, duplicate requests x{}",
                c.amandad_logs, c.already_running, c.dup_requests
            );
        }
        for n in &r.notes {
            let _ = writeln!(o, "  note: {n}");
        }
        let read = r.files.iter().filter(|f| f.duplicate_of.is_none()).count();
        let _ = writeln!(
            o,
            "  {} files read ({} duplicates skipped), {} lines not understood",
            read,
            r.files.len() - read,
            r.unrecognized_lines
        );
        for u in &r.unrecognized {
            let _ = writeln!(o, "    {}:{}: {}", u.path, u.line, u.text);
        }
        o
    }
}

/// One row per attempt, with its dumper's port and the inferred cause.
fn attempt_rows(night: &RealNight, cx: &Context) -> Vec<AttemptRow> {
    let end_fallback = night.window.or(night.driver_end).unwrap_or(SimTime::ZERO);
    night
        .attempts
        .iter()
        .map(|a| {
            let port = night
                .dumpers
                .iter()
                .find(|d| d.id == a.dumper)
                .and_then(|d| d.socket.port);
            AttemptRow {
                host: a.host.clone(),
                disk: a.disk.clone(),
                dumper: a.dumper.0,
                port,
                firewalled: cx.firewalled(&a.host),
                port_wait_s: 0.0,
                start_s: secs(a.start),
                end_s: secs(a.end.unwrap_or(end_fallback)),
                outcome: a.outcome,
                cause: infer_cause(
                    a.outcome,
                    &a.message,
                    port.and_then(|p| cx.in_hole(&a.host, p)),
                ),
                message: if a.outcome.is_none() {
                    "no result: the run ended first".into()
                } else {
                    a.message.clone()
                },
            }
        })
        .collect()
}

/// The `real` block: what only a real night has.
fn real_block(night: &RealNight, sc: Option<&Scenario>) -> RealBlock {
    let row = |id: u16, s: &RealBind| RealDumperRow {
        id,
        pid: s.pid,
        port: s.port,
        bound_s: s.bound_at.map(secs),
        busy_scans: s.busy_scans,
        gave_up: s.gave_up,
    };
    RealBlock {
        source: REAL_SOURCE,
        datestamp: night.datestamp.clone(),
        origin: night.origin.clone(),
        exit_status: night.exit_status,
        inparallel: night.inparallel,
        scenario: sc.map(|s| s.name.clone()),
        causes: "inferred from Amanda's text; reply-dropped only where a scenario puts the port outside the host's hole",
        not_observed: NOT_OBSERVED.to_vec(),
        dumpers: night
            .dumpers
            .iter()
            .map(|d| row(d.id.0, &d.socket))
            .collect(),
        planner: night.planner.as_ref().map(|p| row(0, p)),
        planner_failures: night
            .planner_failures
            .iter()
            .map(|f| PlannerFailureRow {
                host: f.host.clone(),
                disk: f.disk.clone(),
                message: f.message.clone(),
            })
            .collect(),
        estimates_end_s: night.estimates_end.map(secs),
        driver_end_s: night.driver_end.map(secs),
        client: night.client,
        notices: night.notices.clone(),
        notes: night.notes.clone(),
        files: night.sources.clone(),
        unrecognized_lines: night.unrecognized_total,
        unrecognized: night.unrecognized.clone(),
    }
}

fn summary(night: &RealNight, attempts: &[AttemptRow], dles: &[DleRow]) -> Summary {
    let failed: Vec<&DleRow> = dles
        .iter()
        .filter(|d| d.fate != Some(DleFate::Dumped))
        .collect();
    Summary {
        dles: dles.len(),
        dumped: dles.len() - failed.len(),
        failed: failed.len(),
        not_scheduled: failed
            .iter()
            .filter(|d| d.fate == Some(DleFate::NotScheduled))
            .count(),
        attempts: attempts.len(),
        failed_attempts: attempts
            .iter()
            .filter(|a| a.outcome != Some(Outcome::Done))
            .count(),
        failed_firewalled: failed.iter().filter(|d| d.firewalled).count(),
        waited_for_port: night
            .dumpers
            .iter()
            .filter(|d| d.socket.busy_scans > 0)
            .count(),
        window_s: night.window.map_or(0.0, secs),
        estimates_s: night.estimates_end.map_or(0.0, secs),
        dropped_packets: 0,
        events: night
            .sources
            .iter()
            .filter(|f| f.duplicate_of.is_none())
            .map(|f| f.lines as u64)
            .sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_from_amanda_text() {
        let ack = "[request failed: timeout waiting for ACK]";
        assert_eq!(
            infer_cause(Some(Outcome::TryAgain), ack, Some(false)),
            Cause::ReplyDropped
        );
        assert_eq!(
            infer_cause(Some(Outcome::TryAgain), ack, None),
            Cause::NoAnswer
        );
        assert_eq!(
            infer_cause(Some(Outcome::TryAgain), "[request timeout]", Some(true)),
            Cause::NoAnswer
        );
        assert_eq!(
            infer_cause(
                Some(Outcome::TryAgain),
                "[request failed: Can't bind a socket to connect to client.sim]",
                None
            ),
            Cause::NoPort
        );
        assert_eq!(
            infer_cause(Some(Outcome::Done), "[sec 1 kb 2 kps 2]", None),
            Cause::Ok
        );
        assert_eq!(
            infer_cause(Some(Outcome::Failed), "[port 2048 not secure]", None),
            Cause::NotSecure
        );
    }
}
