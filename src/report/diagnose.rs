//! `portsim diagnose`: does a night's failure pattern carry the port-range signature?
//!
//! The signature (MODEL.md sections 1-2): dumps fail with `[request timeout]` (2.4) or
//! `timeout waiting for ACK` (2.5+), only on some dumpers, the same dumpers all night; those
//! dumpers' ports lie outside the firewall's hole while the working dumpers' ports lie inside;
//! only hosts behind the filter fail. Its planner form: the planner's port lies outside the hole
//! and every estimate of the filtered hosts fails with the same text.
//!
//! The judgement reads a `portsim.run/1` report, so a real night ([`super::real::RealReport`])
//! and a simulated one are judged by the same code. The hole comes from a scenario when one is
//! given; without one, it is inferred as the ports of the dumpers that worked.

use super::json::RunReport;
use crate::model::Node;
use crate::model::firewall::{Header, Proto};
use crate::model::outcome::{DleFate, Outcome};
use crate::model::ports::Port;
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;

/// The schema name of `diagnose --format json`.
pub const DIAGNOSE_SCHEMA: &str = "portsim.diagnose/1";

/// How well a night matches the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every test of the signature holds.
    Signature,
    /// The planner's port lies outside the hole: every estimate of filtered hosts failed.
    PlannerSignature,
    /// Some failures look like it, some tests fail (see `checks`).
    Partial,
    /// There are failures, but none has the signature's text.
    NotThis,
    /// Nothing failed.
    Clean,
}

/// One test of the signature and its outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// What is tested.
    pub test: String,
    /// Holds (true), fails (false), or cannot be told without a scenario (null).
    pub holds: Option<bool>,
    /// The evidence, in words.
    pub evidence: String,
}

/// A dumper (or the planner) and what happened on it.
#[derive(Clone, Debug, Serialize)]
pub struct PortRow {
    /// `dumperN` or `planner`.
    pub process: String,
    /// Its port.
    pub port: Option<Port>,
    /// Whether the port is in the hole for the hosts it served (null: unknown).
    pub in_hole: Option<bool>,
    /// Attempts (estimates for the planner) that failed with the signature's text.
    pub timeouts: u32,
    /// Attempts that ended DONE.
    pub done: u32,
}

/// What `diagnose` prints: the real night's diagnosis and, with a scenario, the simulated one.
#[derive(Clone, Debug, Serialize)]
pub struct DiagnoseReport {
    /// Always [`DIAGNOSE_SCHEMA`].
    pub schema: &'static str,
    /// The night read from the logs.
    pub real: Diagnosis,
    /// The scenario's first night (replication 0), judged the same way.
    pub simulated: Option<Diagnosis>,
    /// Verdicts over the scenario's first `nights` nights: (verdict, count), most common first.
    pub simulated_verdicts: Vec<(Verdict, usize)>,
}

/// The diagnosis of one night.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnosis {
    /// The night's name.
    pub night: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The tests.
    pub checks: Vec<Check>,
    /// Dumpers whose every attempt failed with the signature's text.
    pub bad: Vec<PortRow>,
    /// Dumpers with at least one DONE.
    pub good: Vec<PortRow>,
    /// The planner, when its estimates failed with the signature's text.
    pub planner: Option<PortRow>,
    /// Hosts with a failed attempt or estimate.
    pub failing_hosts: Vec<String>,
    /// DLEs not dumped.
    pub lost: usize,
    /// Other mechanisms the failures point to.
    pub hints: Vec<String>,
    /// Where the hole came from: `scenario NAME` or `inferred from the working dumpers`.
    pub hole_from: String,
}

/// Whether Amanda's text is the signature's: no ACK came.
pub fn is_ack_timeout(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("timeout waiting for ack") || m.contains("[request timeout]")
}

/// The scenario's verdict for a reply from `host` (source port 10080) to `port`.
/// The scenario's host named `host`, else of the same first label (`client` for `client.sim`).
fn host_index(sc: &Scenario, host: &str) -> Option<usize> {
    let short = |n: &str| n.split('.').next().unwrap_or(n).to_string();
    sc.hosts
        .iter()
        .position(|h| h.name == host)
        .or_else(|| sc.hosts.iter().position(|h| short(&h.name) == short(host)))
}

fn scenario_hole(sc: &Scenario, host: &str, port: Port) -> Option<bool> {
    let h = host_index(sc, host)?;
    let hdr = Header {
        proto: Proto::Udp,
        src: Node::Host(crate::model::HostId(h as u16)),
        src_zone: sc.hosts[h].zone,
        src_port: Port(10080),
        dst: Node::Server,
        dst_zone: sc.server.zone,
        dst_port: port,
    };
    Some(sc.firewall.evaluate(&hdr).action.passes())
}

fn list(ports: impl IntoIterator<Item = Port>) -> String {
    let v: Vec<String> = ports.into_iter().map(|p| p.to_string()).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(" ")
    }
}

/// Judges the night `r` (named `r.scenario`) against the signature; `sc` gives the hole.
pub fn diagnose(r: &RunReport, sc: Option<&Scenario>) -> Diagnosis {
    let timeouts: Vec<_> = r
        .attempts
        .iter()
        .filter(|a| a.outcome != Some(Outcome::Done) && is_ack_timeout(&a.message))
        .collect();
    let failed_attempts = r
        .attempts
        .iter()
        .filter(|a| a.outcome != Some(Outcome::Done))
        .count();
    let (bad, good) = dumper_rows(r, sc);
    let planner = planner_row(r, sc);
    let mut failing_hosts: Vec<String> = timeouts
        .iter()
        .map(|a| a.host.clone())
        .chain(
            r.dles
                .iter()
                .filter(|d| d.fate == Some(DleFate::NotScheduled))
                .map(|d| d.host.clone()),
        )
        .collect();
    failing_hosts.sort();
    failing_hosts.dedup();
    let lost = r
        .dles
        .iter()
        .filter(|d| d.fate != Some(DleFate::Dumped))
        .count();
    let filtered: Vec<Option<bool>> = failing_hosts
        .iter()
        .map(|h| {
            let sc = sc?;
            let h = host_index(sc, h)?;
            Some(sc.firewalled(crate::model::HostId(h as u16)))
        })
        .collect();
    let planner_form = planner.as_ref().filter(|p| match p.in_hole {
        Some(h) => !h,
        None => p.timeouts > 0,
    });
    let checks = match planner_form {
        Some(p) if failed_attempts == 0 => planner_checks(p, r, &filtered),
        _ => checks(r, &filtered, &timeouts, failed_attempts, &bad, &good),
    };
    let hints = hints(r);
    let verdict = if planner_form.is_some() && failed_attempts == 0 {
        if checks.iter().all(|c| c.holds != Some(false)) {
            Verdict::PlannerSignature
        } else {
            Verdict::Partial
        }
    } else if failed_attempts == 0 && lost == 0 {
        Verdict::Clean
    } else if timeouts.is_empty() {
        Verdict::NotThis
    } else if checks.iter().all(|c| c.holds != Some(false)) {
        Verdict::Signature
    } else {
        Verdict::Partial
    };
    Diagnosis {
        night: r.scenario.clone(),
        verdict,
        checks,
        bad,
        good,
        planner,
        failing_hosts,
        lost,
        hints,
        hole_from: match sc {
            Some(sc) => format!("scenario {}", sc.name),
            None => "inferred from the ports of the dumpers that worked".into(),
        },
    }
}

/// The dumpers that never worked and timed out (bad) and those that worked (good), each with
/// whether its port is in the hole of the hosts it served: the scenario's rules, else the ports
/// of the working dumpers.
fn dumper_rows(r: &RunReport, sc: Option<&Scenario>) -> (Vec<PortRow>, Vec<PortRow>) {
    let row = |id: u16| {
        let mine = r.attempts.iter().filter(|a| a.dumper == id);
        let port = r.dumpers.iter().find(|d| d.id == id).and_then(|d| d.port);
        PortRow {
            process: format!("dumper{id}"),
            port,
            in_hole: None,
            timeouts: mine
                .clone()
                .filter(|a| a.outcome != Some(Outcome::Done) && is_ack_timeout(&a.message))
                .count() as u32,
            done: mine.filter(|a| a.outcome == Some(Outcome::Done)).count() as u32,
        }
    };
    let rows: Vec<PortRow> = r.dumpers.iter().map(|d| row(d.id)).collect();
    let good_ports: BTreeSet<Port> = rows
        .iter()
        .filter(|d| d.done > 0)
        .filter_map(|d| d.port)
        .collect();
    // The hole for the hosts a dumper served: the scenario's rules, else the working ports.
    let hosts_of = |id: u16| -> BTreeSet<&str> {
        r.attempts
            .iter()
            .filter(|a| a.dumper == id)
            .map(|a| a.host.as_str())
            .collect()
    };
    let judge = |port: Option<Port>, hosts: &BTreeSet<&str>| -> Option<bool> {
        let p = port?;
        match sc {
            Some(sc) => {
                let v: Vec<bool> = hosts
                    .iter()
                    .filter_map(|h| scenario_hole(sc, h, p))
                    .collect();
                (!v.is_empty()).then(|| v.iter().all(|&x| x))
            }
            None => Some(good_ports.contains(&p)),
        }
    };
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for (d, mut row) in r.dumpers.iter().zip(rows) {
        row.in_hole = judge(row.port, &hosts_of(d.id));
        if row.done > 0 {
            good.push(row);
        } else if row.timeouts > 0 {
            bad.push(row);
        }
    }
    (bad, good)
}

/// Other mechanisms the failures point to: an exhausted range, replies lost after the ACK.
fn hints(r: &RunReport) -> Vec<String> {
    let mut hints = Vec::new();
    let unbound: Vec<String> = r
        .dumpers
        .iter()
        .filter(|d| d.port.is_none() && r.attempts.iter().any(|a| a.dumper == d.id))
        .map(|d| format!("dumper{}", d.id))
        .collect();
    if !unbound.is_empty() {
        hints.push(format!(
            "{} ran dumps without ever binding a port: the range ran out (more dumpers than usable ports)",
            unbound.join(" ")
        ));
    }
    if r.attempts
        .iter()
        .any(|a| a.message.to_ascii_lowercase().contains("waiting for rep"))
        || r.dles
            .iter()
            .any(|d| d.message.contains("estimate timeout"))
    {
        hints.push(
            "replies timed out after the ACK (`waiting for REP`, `estimate timeout`): a stateful filter's timeout or the amanda helper, not the port range".into(),
        );
    }
    hints
}

/// The planner's row when estimates failed: how many with the signature's text, and whether
/// its port is in the hole of the hosts whose estimates failed.
fn planner_row(r: &RunReport, sc: Option<&Scenario>) -> Option<PortRow> {
    let failed: Vec<_> = r
        .dles
        .iter()
        .filter(|d| d.fate == Some(DleFate::NotScheduled))
        .collect();
    if failed.is_empty() {
        return None;
    }
    let port = r.planner.as_ref().and_then(|p| p.port);
    let in_hole = match (port, sc) {
        (Some(p), Some(sc)) => {
            let v: Vec<bool> = failed
                .iter()
                .filter_map(|d| scenario_hole(sc, &d.host, p))
                .collect();
            (!v.is_empty()).then(|| v.iter().all(|&x| x))
        }
        _ => None,
    };
    Some(PortRow {
        process: "planner".into(),
        port,
        in_hole,
        timeouts: failed.iter().filter(|d| is_ack_timeout(&d.message)).count() as u32,
        done: 0,
    })
}

/// The planner form's tests: every estimate failed with no ACK, from a port outside the hole.
fn planner_checks(p: &PortRow, r: &RunReport, filtered: &[Option<bool>]) -> Vec<Check> {
    let failed = r
        .dles
        .iter()
        .filter(|d| d.fate == Some(DleFate::NotScheduled))
        .count();
    vec![
        Check {
            test: "estimates failed with no ACK (`timeout waiting for ACK`)".into(),
            holds: Some(p.timeouts as usize == failed),
            evidence: format!("{} of {failed} failed estimates", p.timeouts),
        },
        Check {
            test: "the planner's port lies outside the firewall's hole".into(),
            holds: p.in_hole.map(|h| !h),
            evidence: format!(
                "planner port {}",
                p.port.map_or("unknown".into(), |p| p.to_string())
            ),
        },
        filtered_check(filtered, r),
    ]
}

/// Whether every failing host sits behind the filter (`None`: a host the scenario does not know,
/// or no scenario).
fn filtered_check(judged: &[Option<bool>], r: &RunReport) -> Check {
    let hosts: BTreeSet<&str> = r.dles.iter().map(|d| d.host.as_str()).collect();
    Check {
        test: "only hosts behind the filter fail".into(),
        holds: if judged.iter().any(Option::is_none) {
            None
        } else {
            Some(judged.iter().all(|j| *j == Some(true)))
        },
        evidence: format!("{} failing of {} hosts", judged.len(), hosts.len()),
    }
}

fn checks(
    r: &RunReport,
    filtered: &[Option<bool>],
    timeouts: &[&super::json::AttemptRow],
    failed_attempts: usize,
    bad: &[PortRow],
    good: &[PortRow],
) -> Vec<Check> {
    let mut out = Vec::new();
    out.push(Check {
        test: "failures say no ACK came (`[request timeout]` / `timeout waiting for ACK`)".into(),
        holds: Some(!timeouts.is_empty() && timeouts.len() == failed_attempts),
        evidence: format!("{} of {} failed attempts", timeouts.len(), failed_attempts),
    });
    let mixed: Vec<String> = good
        .iter()
        .filter(|d| d.timeouts > 0)
        .map(|d| d.process.clone())
        .collect();
    out.push(Check {
        test: "only some dumpers fail, and they fail every time".into(),
        holds: Some(!bad.is_empty() && !good.is_empty() && mixed.is_empty()),
        evidence: format!(
            "{} dumpers never worked ({}), {} worked{}",
            bad.len(),
            bad.iter()
                .map(|d| d.process.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            good.len(),
            if mixed.is_empty() {
                String::new()
            } else {
                format!("; {} both worked and timed out", mixed.join(" "))
            }
        ),
    });
    let bad_ports: Vec<Port> = bad.iter().filter_map(|d| d.port).collect();
    let good_ports: Vec<Port> = good.iter().filter_map(|d| d.port).collect();
    let outside = bad.iter().all(|d| d.in_hole == Some(false));
    let inside = good.iter().all(|d| d.in_hole != Some(false));
    out.push(Check {
        test: "the failing dumpers' ports lie outside the firewall's hole, the working ones inside"
            .into(),
        holds: Some(!bad.is_empty() && outside && inside),
        evidence: format!(
            "failing dumpers hold {}; working dumpers hold {}",
            list(bad_ports),
            list(good_ports)
        ),
    });
    out.push(filtered_check(filtered, r));
    out
}

impl DiagnoseReport {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("diagnosis serialises");
        s.push('\n');
        s
    }

    /// Both diagnoses for people.
    pub fn to_text(&self) -> String {
        let mut o = self.real.to_text();
        if let Some(sim) = &self.simulated {
            let _ = writeln!(o, "\nThe scenario, simulated (replication 0):");
            o.push_str(&sim.to_text());
            let counts: Vec<String> = self
                .simulated_verdicts
                .iter()
                .map(|(v, n)| {
                    format!(
                        "{} {n}",
                        serde_json::to_value(v)
                            .expect("verdict")
                            .as_str()
                            .unwrap_or("?")
                    )
                })
                .collect();
            let total: usize = self.simulated_verdicts.iter().map(|(_, n)| n).sum();
            let _ = writeln!(o, "  over {total} simulated nights: {}", counts.join(", "));
        }
        o
    }
}

impl Diagnosis {
    /// The diagnosis for people.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let says = match self.verdict {
            Verdict::Signature => "carries the port-range signature",
            Verdict::PlannerSignature => {
                "carries the planner's form of the signature: its port is outside the hole"
            }
            Verdict::Partial => "carries part of the port-range signature",
            Verdict::NotThis => "has failures, but not the port-range signature",
            Verdict::Clean => "has no failures",
        };
        let _ = writeln!(o, "{}: {says}", self.night);
        let _ = writeln!(o, "  hole: {}", self.hole_from);
        if let Some(p) = self
            .planner
            .as_ref()
            .filter(|p| p.timeouts > 0 || p.in_hole == Some(false))
        {
            let _ = writeln!(
                o,
                "  planner on port {} ({}): {} estimates failed with no ACK",
                p.port.map_or("-".into(), |p| p.to_string()),
                hole_word(p.in_hole),
                p.timeouts
            );
        }
        for d in &self.bad {
            let _ = writeln!(
                o,
                "  {} on port {} ({}): {} attempt{}, none got an ACK",
                d.process,
                d.port.map_or("-".into(), |p| p.to_string()),
                hole_word(d.in_hole),
                d.timeouts,
                if d.timeouts == 1 { "" } else { "s" }
            );
        }
        if !self.good.is_empty() {
            let ports: Vec<String> = self
                .good
                .iter()
                .filter_map(|d| d.port.map(|p| p.to_string()))
                .collect();
            let _ = writeln!(
                o,
                "  {} dumpers worked, on ports {}",
                self.good.len(),
                ports.join(" ")
            );
        }
        for c in &self.checks {
            let mark = match c.holds {
                Some(true) => "yes",
                Some(false) => "NO ",
                None => " ? ",
            };
            let _ = writeln!(o, "  [{mark}] {}: {}", c.test, c.evidence);
        }
        let _ = writeln!(
            o,
            "  DLEs not dumped: {}; failing hosts: {}",
            self.lost,
            if self.failing_hosts.is_empty() {
                "none".into()
            } else {
                self.failing_hosts.join(" ")
            }
        );
        for h in &self.hints {
            let _ = writeln!(o, "  hint: {h}");
        }
        o
    }
}

fn hole_word(h: Option<bool>) -> &'static str {
    match h {
        Some(true) => "inside the hole",
        Some(false) => "OUTSIDE the hole",
        None => "hole unknown",
    }
}
