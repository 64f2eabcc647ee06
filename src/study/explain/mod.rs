//! `portsim explain`: what happened to a DLE in one night, step by step, and why.
//!
//! Every fact comes from the night's trace and result: ports from the bind records, the driver's
//! choice from the attempt records around it, each packet with the rule or state entry that
//! decided it, the timers that fired, Amanda's messages. The remedies are judged by running the
//! same night again with each remedy's transform (as `compare` applies it), never by prose.
//!
//! The trace is read through `Ev`, a flat view of one record, so that a change of the
//! trace's in-memory form touches only `events`.

mod dispatch;
mod facts;
mod ladder;
mod night;
mod remedies;
mod story;

pub use facts::*;
pub use ladder::{Ladder, LadderColumn, Rung, Side};
use night::Ev;
pub use night::Night;

use crate::model::firewall::{Action, Decider};
use crate::model::measures::AMANDA_PORT;
use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::model::ports::{BindKind, Port};
use crate::model::protocol::ReqId;
use crate::model::site::{self, PacketKind, RunResult, TraceKind, TraceRecord};
use crate::model::version::{FailurePause, PeerIdentity};
use crate::model::{DleId, DumperId, HostId};
use crate::scenario::{InputError, Scenario, Source};
use crate::sim::{SimDuration, SimTime};
use crate::study::compare::{self, remedy::RemedyKind};
use serde::Serialize;

/// The schema name of `explain --format json`.
pub const EXPLAIN_SCHEMA: &str = "portsim.explain/1";

/// Which part of the night to explain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// One DLE, as `HOST:DISK`.
    Dle(String),
    /// One dumper and the DLEs that failed on it.
    Dumper(u16),
    /// Every DLE not dumped tonight.
    Failed,
}

/// A moment of the night: microseconds and the `hh:mm:ss.mmm` clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct At(pub SimTime);

impl Serialize for At {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

/// The whole explanation.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// Always [`EXPLAIN_SCHEMA`].
    pub schema: &'static str,
    /// portsim's version.
    pub portsim: &'static str,
    /// The scenario's name.
    pub scenario: String,
    /// Its seed.
    pub seed: u64,
    /// The night.
    pub replication: u64,
    /// The Amanda version profile.
    pub amanda: String,
    /// `udpportrange`, if any, as `low-high`.
    pub udpportrange: Option<String>,
    /// Dumpers.
    pub inparallel: u16,
    /// What was asked: `--dle www2:/`, `--dumper 10`, `--failed`.
    pub asked: String,
    /// With `--dumper`: that dumper's port and attempts.
    pub dumper: Option<DumperStory>,
    /// One story per DLE explained, in disklist order.
    pub dles: Vec<DleStory>,
}

/// Finds a DLE by `HOST:DISK`; the error lists what exists.
pub fn find_dle(sc: &Scenario, spec: &str) -> Result<DleId, InputError> {
    let bad = |msg: String| InputError::Set {
        arg: format!("--dle {spec}"),
        msg,
    };
    let Some((host, disk)) = spec.split_once(':') else {
        return Err(bad("write HOST:DISK, e.g. www2:/".into()));
    };
    let Some(h) = sc.hosts.iter().position(|x| x.name == host) else {
        let names: Vec<&str> = sc.hosts.iter().map(|x| x.name.as_str()).collect();
        return Err(bad(format!(
            "no host {host:?}; the hosts are {}",
            names.join(", ")
        )));
    };
    let range = sc.hosts[h].dles.clone();
    match range.clone().find(|&i| sc.dles[i].disk == disk) {
        Some(i) => Ok(DleId(i as u32)),
        None => {
            let disks: Vec<&str> = range.map(|i| sc.dles[i].disk.as_str()).collect();
            Err(bad(format!(
                "{host} has no disk {disk:?}; its disks are {}",
                disks.join(", ")
            )))
        }
    }
}

/// Explains night `rep` of `sc` (read from `source` with `sets`) for `sel`.
pub fn explain(
    source: &Source,
    sets: &[String],
    sc: &Scenario,
    rep: u64,
    sel: &Selector,
) -> Result<Explanation, InputError> {
    let night = Night::run(sc, rep);
    let (asked, dles, dumper) = match sel {
        Selector::Dle(spec) => (format!("--dle {spec}"), vec![find_dle(sc, spec)?], None),
        Selector::Failed => (
            "--failed".to_string(),
            (0..sc.dles.len())
                .filter(|&i| night.run.dles[i].fate != Some(DleFate::Dumped))
                .map(|i| DleId(i as u32))
                .collect(),
            None,
        ),
        Selector::Dumper(n) => {
            let (failed, story) = dumper_story(&night, *n)?;
            (format!("--dumper {n}"), failed, Some(story))
        }
    };
    let mut stories: Vec<DleStory> = dles.iter().map(|&d| night.story(d)).collect();
    if !stories.is_empty() {
        let runs = remedies::remedy_nights(source, sets, sc, rep);
        for s in &mut stories {
            let d = find_dle(sc, &s.dle).expect("the story's own DLE");
            s.remedies = runs
                .iter()
                .map(|(kind, params, r)| remedies::remedy_run(*kind, params, r.as_ref(), d))
                .collect();
        }
    }
    Ok(Explanation {
        schema: EXPLAIN_SCHEMA,
        portsim: env!("CARGO_PKG_VERSION"),
        scenario: sc.name.clone(),
        seed: sc.seed,
        replication: rep,
        amanda: serde_json::to_value(sc.server.profile.version)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        udpportrange: sc.server.range.map(|r| format!("{}-{}", r.low.0, r.high.0)),
        inparallel: sc.server.inparallel,
        asked,
        dumper,
        dles: stories,
    })
}

/// `--dumper N`: its port, its attempts, and the DLEs whose attempts on it failed.
fn dumper_story(night: &Night, n: u16) -> Result<(Vec<DleId>, DumperStory), InputError> {
    let dumpers = night.run.dumpers.len();
    if usize::from(n) >= dumpers {
        return Err(InputError::Set {
            arg: format!("--dumper {n}"),
            msg: format!("this server has dumpers 0-{}", dumpers.saturating_sub(1)),
        });
    }
    let mine: Vec<&site::Attempt> = night
        .run
        .attempts
        .iter()
        .filter(|a| a.dumper.0 == n)
        .collect();
    let mut failed: Vec<DleId> = mine
        .iter()
        .filter(|a| a.outcome != Some(Outcome::Done))
        .map(|a| a.dle)
        .collect();
    failed.sort();
    failed.dedup();
    let attempts = mine
        .iter()
        .map(|a| AttemptLine {
            dle: night.dle_name(a.dle),
            start: At(a.start),
            end: At(a.end),
            outcome: a.outcome,
            cause: a.cause,
            message: a.message.clone(),
        })
        .collect();
    let port = night.port_fact(n);
    Ok((failed, DumperStory { port, attempts }))
}
