//! `portsim explain` for people (numbered steps in plain sentences) and for programs (JSON,
//! schema `portsim.explain/1`, each step with its facts and its sentence).
//!
//! Every sentence is built from the facts of [`crate::study::explain`]; nothing here decides.

use crate::model::firewall::Action;
use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::model::ports::BindKind;
use crate::model::site::PacketKind;
use crate::study::explain::{
    AttemptCause, DleStory, Explanation, Peer, PortFact, RemedyRun, Step, Trigger,
};
use std::fmt::Write;

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

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Done => "DONE",
        Outcome::TryAgain => "TRY-AGAIN",
        Outcome::Failed => "FAILED",
    }
}

fn cause_word(c: Cause) -> &'static str {
    match c {
        Cause::Ok => "ok",
        Cause::ReplyDropped => "reply-dropped",
        Cause::RequestDropped => "request-dropped",
        Cause::ClientBusy => "client-busy",
        Cause::NoAnswer => "no-answer",
        Cause::NotSecure => "not-secure",
        Cause::DataConnect => "data-connect",
        Cause::NoPort => "no-port",
    }
}

fn packet_word(p: PacketKind) -> &'static str {
    match p {
        PacketKind::Req => "REQ",
        PacketKind::Ack => "ACK",
        PacketKind::Nak => "NAK",
        PacketKind::Rep => "REP",
        PacketKind::Prep => "PREP",
        PacketKind::RepAck => "ACK of the REP",
        PacketKind::Syn => "SYN (data connection)",
    }
}

/// `dumpers 0-9` or `dumpers 0, 2, 5`.
fn dumper_list(ds: &[u16]) -> String {
    let contiguous = ds.windows(2).all(|w| w[1] == w[0] + 1);
    match ds {
        [] => "no dumper".into(),
        [one] => format!("dumper{one}"),
        [first, .., last] if contiguous => format!("dumpers {first}-{last}"),
        _ => {
            let v: Vec<String> = ds.iter().map(u16::to_string).collect();
            format!("dumpers {}", v.join(", "))
        }
    }
}

fn range_of(e: &Explanation) -> String {
    e.udpportrange.clone().unwrap_or_else(|| "the range".into())
}

/// How a dumper got its port, in one or two sentences.
pub fn port_sentence(p: &PortFact, e: &Explanation) -> String {
    let range = range_of(e);
    let Some(port) = p.port else {
        return format!(
            "dumper{} never held a port: no port of {range} came free for it.",
            p.dumper
        );
    };
    let when =
        p.at.map_or("at its first request".into(), |t| format!("at {}", t.0));
    let mut s = match p.bind {
        Some(BindKind::InRange) => format!(
            "dumper{} bound port {port} {when}, inside {range} ({} of the range's usable ports were still free, this one included).",
            p.dumper, p.free_in_range
        ),
        Some(kind) => {
            let held: Vec<String> = p
                .range_held_by
                .iter()
                .map(|h| format!("{} {}", h.port, h.by))
                .collect();
            let fallback = if kind == BindKind::ReservedFallback {
                "fell back silently to 512-1023"
            } else {
                "fell back silently to a kernel-chosen port"
            };
            if e.udpportrange.is_none() {
                format!(
                    "dumper{} bound port {port} {when} (no udpportrange).",
                    p.dumper
                )
            } else {
                format!(
                    "dumper{} bound port {port} {when}, OUTSIDE {range}: the range was full ({}), so dgram_bind {fallback}.",
                    p.dumper,
                    if held.is_empty() {
                        "every usable port held".to_string()
                    } else {
                        held.join(", ")
                    }
                )
            }
        }
        None => format!("dumper{} holds port {port}.", p.dumper),
    };
    if !p.skipped_services.is_empty() {
        let named: Vec<String> = p
            .skipped_services
            .iter()
            .map(|h| format!("{} ({})", h.port, h.by))
            .collect();
        let _ = write!(
            s,
            " This version skips range ports the services database names for something other than amanda: {}.",
            named.join(", ")
        );
    }
    if !p.leases.is_empty() {
        let l: Vec<String> = p.leases.iter().map(u16::to_string).collect();
        let _ = write!(
            s,
            " Its requests to this host leave from a range port leased per request: {}.",
            l.join(", ")
        );
    }
    s
}

fn peer_text(p: &Peer) -> String {
    let who = match p.dumper {
        Some(d) => format!("dumper{d}"),
        None => "the planner".into(),
    };
    let what = p
        .dle
        .as_ref()
        .map_or(String::new(), |d| format!(" for {d}"));
    let what = match (&p.dle, p.attempt) {
        (Some(d), Some(n)) => format!(" for {d} (its attempt {n})"),
        _ => what,
    };
    let dropped = match (&p.dropped_by, p.replies_dropped) {
        (Some(r), true) => format!(
            ", whose replies {} drops, so no ACK ever comes",
            rule_text(r)
        ),
        _ => String::new(),
    };
    format!("{who} (port {}){what}{dropped}", p.port)
}

/// A step's time (None for facts told without one) and its sentence.
pub fn step_sentence(st: &Step, e: &Explanation) -> (Option<String>, String) {
    let t = |a: &crate::study::explain::At| Some(a.0.to_string());
    match st {
        Step::Schedule { at, scheduled } => (
            t(at),
            format!("The estimate phase ends: the driver gets the schedule ({scheduled} DLEs)."),
        ),
        Step::NotScheduled { at, message } => (
            t(at),
            format!(
                "The planner got no estimate from this host, so it never scheduled the DLE: {message}."
            ),
        ),
        Step::Port(p) => (None, format!("Port: {}", port_sentence(p, e))),
        Step::Dispatch {
            at,
            attempt,
            dumper,
            port,
            in_range,
            trigger,
            order,
            lower_busy,
            lower_took_other,
            lower_idle,
        } => {
            let now = match trigger {
                Trigger::Schedule => "the schedule just arrived".to_string(),
                Trigger::DriverWoke { slept_at, after } => format!(
                    "the driver woke from the 15 s sleep it began at {} after dumper{after}'s failure",
                    slept_at.0
                ),
                Trigger::ResultRead { dumper } => {
                    format!("the driver read dumper{dumper}'s result")
                }
                Trigger::HostGap { previous } => format!(
                    "the host's start gap ran out (its previous dump started at {})",
                    previous.0
                ),
                Trigger::RetryHold { since } => {
                    format!("the retry's 15 s hold, set at {}, ran out", since.0)
                }
                Trigger::Other => "the driver looked again".to_string(),
            };
            let mut why = Vec::new();
            if !lower_took_other.is_empty() {
                let what = if lower_took_other.len() == 1 {
                    "took another DLE"
                } else {
                    "took other DLEs"
                };
                why.push(format!(
                    "{} {what} at this instant",
                    dumper_list(lower_took_other)
                ));
            }
            if !lower_busy.is_empty() {
                let verb = if lower_busy.len() == 1 { "was" } else { "were" };
                why.push(format!("{} {verb} busy", dumper_list(lower_busy)));
            }
            let lowest = if lower_idle.is_empty() {
                format!("dumper{dumper} was the lowest idle dumper")
            } else {
                format!(
                    "{} idle but did not take it (not eligible there, or resting)",
                    dumper_list(lower_idle)
                )
            };
            why.push(lowest);
            let letter = if order.is_ascii_uppercase() {
                "largest"
            } else {
                "smallest"
            };
            let key = match order.to_ascii_lowercase() {
                's' => "estimated size",
                'b' => "estimated bandwidth",
                _ => "estimated dump time",
            };
            let place = match port {
                Some(p) if *in_range => format!("port {p}, in range"),
                Some(p) => format!("port {p}, OUTSIDE the range"),
                None => "no port yet".into(),
            };
            (
                t(at),
                format!(
                    "Attempt {attempt}: the driver gives the DLE to dumper{dumper} ({place}). Now, because {now}. This dumper, because the driver fills idle dumpers lowest first: {}. Its dumporder letter {order} takes the eligible DLE with the {letter} {key}.",
                    why.join("; ")
                ),
            )
        }
        Step::Packet {
            at,
            packet,
            from,
            to,
            verdict,
            rule,
            resend,
            lost,
            after_end,
            ..
        } => {
            let what = if *resend > 0 {
                format!("{} (copy {})", packet_word(*packet), resend + 1)
            } else {
                packet_word(*packet).to_string()
            };
            let fate = match verdict {
                Action::Accept if rule == "same-zone" => "same zone, no filter".to_string(),
                Action::Accept => format!("accepted by {}", rule_text(rule)),
                Action::Drop => format!("DROPPED by {}", rule_text(rule)),
                Action::Reject => format!("REJECTED by {}", rule_text(rule)),
            };
            let lost = if *lost { "; then lost on a link" } else { "" };
            let late = if *after_end {
                " (the attempt is over; amandad keeps resending its REP)"
            } else {
                ""
            };
            (t(at), format!("{what} {from} -> {to}: {fate}{lost}.{late}"))
        }
        Step::Swallowed {
            at,
            port,
            busy_with,
            ..
        } => (
            t(at),
            format!(
                "The client's amandad ignores the REQ from port {port} (no ACK, no NAK): it is still waiting for the ACK of a REP it sent to {}.",
                busy_with.as_ref().map_or("another peer".into(), peer_text)
            ),
        ),
        Step::Nak { at, busy_with, .. } => (
            t(at),
            format!(
                "The client's amandad is busy serving {}: it NAKs.",
                busy_with.as_ref().map_or("another peer".into(), peer_text)
            ),
        ),
        Step::Timer {
            at,
            attempt: 0,
            expiry,
            ..
        } => (
            t(at),
            format!("The planner's request timer fires ({expiry})."),
        ),
        Step::Timer {
            at,
            expiry,
            waited_s,
            ..
        } => (
            t(at),
            match *expiry {
                "resend" => format!(
                    "No answer after {waited_s:.0} s: the dumper's timer fires and it resends the REQ."
                ),
                "no-ack" => format!(
                    "No ACK after {waited_s:.0} s and 3 REQs: the dumper gives the request up."
                ),
                "no-reply" => format!(
                    "ACKed, but no REP {waited_s:.0} s later: the dumper gives the request up."
                ),
                other => format!("The request's timer fires ({other})."),
            },
        ),
        Step::AttemptEnd {
            at,
            attempt,
            dumper,
            outcome,
            cause,
            message,
            took_s,
        } => (
            t(at),
            if *outcome == Outcome::Done {
                format!("Attempt {attempt} ends: dumper{dumper} reports DONE after {took_s:.1} s.")
            } else {
                format!(
                    "Attempt {attempt} ends: dumper{dumper} reports {} {message}; the model's cause: {} ({}).",
                    outcome_word(*outcome),
                    cause_word(*cause),
                    cause_gloss(*cause)
                )
            },
        ),
        Step::PortWait {
            at,
            dumper,
            tries,
            until,
        } => (
            t(at),
            format!(
                "dumper{dumper} finds no free port in {}: it waits, looking {tries} time{} in all, until {}.",
                range_of(e),
                if *tries == 1 { "" } else { "s" },
                until.0
            ),
        ),
        Step::DriverSleep { at, until } => (
            t(at),
            format!(
                "The driver reads the failure and sleeps 15 s, until {}: no dumper gets new work meanwhile.",
                until.0
            ),
        ),
        Step::DumperRest { at, dumper, until } => (
            t(at),
            format!(
                "dumper{dumper} rests 15 s, until {}, before new work.",
                until.0
            ),
        ),
        Step::Requeued { at, retries } => (
            t(at),
            format!(
                "The DLE goes back to the driver's run queue (this version retries a DLE {}).",
                if *retries == 1 {
                    "once".to_string()
                } else {
                    format!("{retries} times")
                }
            ),
        ),
        Step::GaveUp { at, message } => (
            t(at),
            format!("No retry left: the driver gives the DLE up for tonight: {message}."),
        ),
    }
}

fn rule_text(rule: &str) -> String {
    match rule {
        "default" => "the default policy".into(),
        "same-zone" => "the shared zone (no filter between)".into(),
        r if r.starts_with("state ") => format!("state entry {}", &r[6..]),
        r => format!("rule {r}"),
    }
}

fn cause_gloss(c: Cause) -> &'static str {
    match c {
        Cause::Ok => "it worked",
        Cause::ReplyDropped => "the firewall dropped the client's answers to the dumper's port",
        Cause::RequestDropped => "the firewall dropped the REQ on its way out",
        Cause::ClientBusy => "amandad was busy with another peer",
        Cause::NoAnswer => "nothing answered and nothing was dropped",
        Cause::NotSecure => "the client refused an unreserved source port",
        Cause::DataConnect => "the data connection could not be opened",
        Cause::NoPort => "no range port came free",
    }
}

fn attempt_reason(c: &AttemptCause, e: &Explanation) -> String {
    let range = range_of(e);
    let place = match c.port {
        Some(p) if c.in_range => format!("dumper{} (port {p}, inside {range})", c.dumper),
        Some(p) => format!("dumper{} (port {p}, outside {range})", c.dumper),
        None => format!("dumper{} (no port)", c.dumper),
    };
    let rules = c
        .dropped_by
        .iter()
        .map(|r| rule_text(r))
        .collect::<Vec<_>>()
        .join(" and ");
    match c.outcome {
        Some(Outcome::Done) if !c.accepted_by.is_empty() => format!(
            "attempt {} on {place} was dumped: {} let the client's answers through",
            c.attempt,
            c.accepted_by
                .iter()
                .map(|r| rule_text(r))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        Some(Outcome::Done) => format!("attempt {} on {place} was dumped", c.attempt),
        None => format!("attempt {} on {place} was still running", c.attempt),
        Some(_) => {
            let why = match c.cause {
                Cause::ReplyDropped => format!(
                    "{} dropped {} answer{} the client sent to that port",
                    rules,
                    c.replies_dropped,
                    if c.replies_dropped == 1 { "" } else { "s" }
                ),
                Cause::ClientBusy => format!(
                    "the client's amandad was still busy with {}",
                    c.busy_with
                        .as_ref()
                        .map_or("another peer".into(), peer_text)
                ),
                other => cause_gloss(other).to_string(),
            };
            format!("attempt {} on {place} failed because {why}", c.attempt)
        }
    }
}

/// The cause in one sentence.
pub fn cause_sentence(s: &DleStory, e: &Explanation) -> String {
    let parts: Vec<String> = s.cause.iter().map(|c| attempt_reason(c, e)).collect();
    let head = match s.fate {
        Some(DleFate::Dumped) if s.cause.len() > 1 => format!("{} was dumped on a retry", s.dle),
        Some(DleFate::Dumped) => format!("{} was dumped at its first attempt", s.dle),
        Some(DleFate::Failed) => format!("{} was lost", s.dle),
        Some(DleFate::NotScheduled) => {
            return format!(
                "{} was never scheduled: its host's estimates did not reach the planner ({}).",
                s.dle, s.message
            );
        }
        None => format!("{} was not finished", s.dle),
    };
    if parts.is_empty() {
        return format!("{head}.");
    }
    format!("{head}: {}.", parts.join("; "))
}

fn remedy_sentence(r: &RemedyRun, s: &DleStory) -> String {
    if let Some(why) = &r.not_applicable {
        return format!("does not apply here: {why}");
    }
    let night = format!(
        "{} DLE{} lost that night",
        r.night_lost,
        if r.night_lost == 1 { "" } else { "s" }
    );
    let place = match (r.dumper, r.port) {
        (Some(d), Some(p)) => format!("dumper{d}, port {p}"),
        (Some(d), None) => format!("dumper{d}, no port"),
        _ => "no dumper".into(),
    };
    let was_clean = s.fate == Some(DleFate::Dumped) && s.cause.len() == 1;
    let verdict = if r.clean {
        if was_clean {
            "still clean"
        } else {
            "PREVENTED"
        }
    } else if r.fate == Some(DleFate::Dumped) {
        "dumped, but only on a retry"
    } else {
        "NOT prevented"
    };
    match r.fate {
        Some(DleFate::Dumped) => format!(
            "{verdict}: dumped at {} after {} attempt{} ({place}); {night}",
            r.done_at.map_or("?".into(), |t| t.0.to_string()),
            r.attempts,
            if r.attempts == 1 { "" } else { "s" }
        ),
        Some(DleFate::Failed) => format!(
            "{verdict}: lost again after {} attempts ({place}); {night}",
            r.attempts
        ),
        Some(DleFate::NotScheduled) => format!("{verdict}: never scheduled; {night}"),
        None => format!("{verdict}: unfinished; {night}"),
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
