//! `portsim explain` for people (numbered steps in plain sentences) and for programs (JSON,
//! schema `portsim.explain/1`, each step with its facts and its sentence).
//!
//! Every sentence is built from the facts of [`crate::study::explain`]; nothing here decides.

mod causes;
mod steps;
mod words;

pub use causes::cause_sentence;
pub use steps::step_sentence;
pub use words::port_sentence;

use crate::model::firewall::Action;
use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::model::ports::BindKind;
use crate::model::site::PacketKind;
use crate::study::explain::{
    At, AttemptCause, DleStory, Explanation, Peer, PortFact, RemedyRun, Step, Trigger,
};
use causes::remedy_sentence;
use std::fmt::Write;
use words::*;

/// The explanation as text.
pub fn text(e: &Explanation) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "portsim {}: explain {}, scenario {}, seed {}, replication {}",
        e.portsim, e.asked, e.scenario, e.seed, e.replication
    );
    let _ = writeln!(
        o,
        "Amanda {}, udpportrange {}, inparallel {}",
        e.amanda,
        e.udpportrange.as_deref().unwrap_or("none"),
        e.inparallel
    );
    if let Some(d) = &e.dumper {
        let _ = writeln!(o, "\ndumper{}", d.port.dumper);
        let _ = writeln!(o, "  {}", port_sentence(&d.port, e));
        let _ = writeln!(o, "  Attempts ({}):", d.attempts.len());
        for a in &d.attempts {
            let line = format!(
                "    {}-{}  {:<18} {:<10} {}",
                a.start.0,
                a.end.0,
                a.dle,
                a.outcome.map_or("unfinished", outcome_word),
                if a.message.is_empty() {
                    String::new()
                } else {
                    format!("{} ({})", a.message, cause_word(a.cause))
                }
            );
            let _ = writeln!(o, "{}", line.trim_end());
        }
    }
    if e.dles.is_empty() {
        let _ = writeln!(
            o,
            "\nEvery DLE {} was dumped tonight: nothing failed to explain.",
            if e.dumper.is_some() {
                "this dumper ran"
            } else {
                "of the night"
            }
        );
    }
    for s in &e.dles {
        story(&mut o, s, e);
    }
    o
}

fn story(o: &mut String, s: &DleStory, e: &Explanation) {
    let fate = match s.fate {
        Some(DleFate::Dumped) => "dumped".to_string(),
        Some(DleFate::Failed) => format!("NOT dumped tonight: {}", s.message),
        Some(DleFate::NotScheduled) => format!("never scheduled: {}", s.message),
        None => "undecided when the night ended".to_string(),
    };
    let _ = writeln!(
        o,
        "\n{} (zone {}, {}): {}",
        s.dle,
        s.zone,
        if s.firewalled {
            "its packets cross the firewall"
        } else {
            "same zone as the server: the firewall never sees its packets"
        },
        fate
    );
    let _ = writeln!(o, "\nWhat happened");
    for st in &s.steps {
        let (at, text) = step_sentence(st, e);
        match at {
            Some(t) => {
                let _ = writeln!(o, "  {t}  {text}");
            }
            None => {
                let _ = writeln!(o, "  {:12}  {text}", "");
            }
        }
    }
    let _ = writeln!(o, "\nCause\n  {}", cause_sentence(s, e));
    if !s.remedies.is_empty() {
        let _ = writeln!(
            o,
            "\nRemedies: replication {} again under each remedy, transformed as `compare` does",
            e.replication
        );
        for r in &s.remedies {
            let _ = writeln!(o, "  {:<23} {}", r.remedy, remedy_sentence(r, s));
        }
    }
}

/// The explanation as JSON (schema `portsim.explain/1`): the facts, plus each step's `text`,
/// each DLE's `sentence` and each remedy's `verdict` as the text form words them.
pub fn json(e: &Explanation) -> String {
    let mut v = serde_json::to_value(e).expect("explanation serialises");
    for (i, s) in e.dles.iter().enumerate() {
        let sv = &mut v["dles"][i];
        sv["sentence"] = cause_sentence(s, e).into();
        for (j, st) in s.steps.iter().enumerate() {
            sv["steps"][j]["text"] = step_sentence(st, e).1.into();
        }
        for (j, r) in s.remedies.iter().enumerate() {
            sv["remedies"][j]["text"] = remedy_sentence(r, s).into();
        }
    }
    let mut out = serde_json::to_string_pretty(&v).expect("JSON value serialises");
    out.push('\n');
    out
}
