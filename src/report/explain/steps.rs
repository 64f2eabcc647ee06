//! One sentence per step of a story.

use super::*;

/// A step's time (None for facts told without one) and its sentence.
pub fn step_sentence(st: &Step, e: &Explanation) -> (Option<String>, String) {
    (time_of(st).map(|a| a.0.to_string()), text_of(st, e))
}

fn time_of(st: &Step) -> Option<At> {
    Some(match st {
        Step::Port(_) => return None,
        Step::Schedule { at, .. }
        | Step::NotScheduled { at, .. }
        | Step::Dispatch { at, .. }
        | Step::Packet { at, .. }
        | Step::Swallowed { at, .. }
        | Step::Nak { at, .. }
        | Step::Timer { at, .. }
        | Step::PortWait { at, .. }
        | Step::AttemptEnd { at, .. }
        | Step::DriverSleep { at, .. }
        | Step::DumperRest { at, .. }
        | Step::Requeued { at, .. }
        | Step::GaveUp { at, .. } => *at,
    })
}

fn text_of(st: &Step, e: &Explanation) -> String {
    match st {
        Step::Schedule { scheduled, .. } => {
            format!("The estimate phase ends: the driver gets the schedule ({scheduled} DLEs).")
        }
        Step::NotScheduled { message, .. } => format!(
            "The planner got no estimate from this host, so it never scheduled the DLE: {message}."
        ),
        Step::Port(p) => format!("Port: {}", port_sentence(p, e)),
        Step::Dispatch { at, trigger, .. } => dispatch_sentence(st, trigger_text(trigger, *at, e)),
        Step::Packet { .. } => packet_sentence(st),
        Step::Swallowed {
            port, busy_with, ..
        } => format!(
            "The client's amandad ignores the REQ from port {port} (no ACK, no NAK): it is still waiting for the ACK of a REP it sent to {}.",
            busy_with.as_ref().map_or("another peer".into(), peer_text)
        ),
        Step::Nak { busy_with, .. } => format!(
            "The client's amandad is busy serving {}: it NAKs.",
            busy_with.as_ref().map_or("another peer".into(), peer_text)
        ),
        Step::Timer {
            attempt,
            expiry,
            waited_s,
            reqs,
            ..
        } => timer_sentence(*attempt, expiry, *waited_s, *reqs),
        Step::AttemptEnd { .. } => end_sentence(st),
        Step::PortWait {
            dumper,
            tries,
            until,
            ..
        } => format!(
            "dumper{dumper} finds no free port in {}: it waits, looking {tries} time{} in all, until {}.",
            range_of(e),
            if *tries == 1 { "" } else { "s" },
            until.0
        ),
        Step::DriverSleep { at, until } => format!(
            "The driver reads the failure and sleeps {}, until {}: no dumper gets new work meanwhile.",
            span(*at, *until),
            until.0
        ),
        Step::DumperRest { at, dumper, until } => format!(
            "dumper{dumper} rests {}, until {}, before new work.",
            span(*at, *until),
            until.0
        ),
        Step::Requeued {
            retries,
            retry_sent_after_s,
            ..
        } => {
            let times = if *retries == 1 {
                "once".to_string()
            } else {
                format!("{retries} times")
            };
            match retry_sent_after_s {
                Some(s) => format!(
                    "The driver puts the DLE back at the tail of its run queue at once and fills its idle dumpers again: Amanda 3.x does not sleep or rest a dumper after a failure, so the lowest idle dumper, often the one that just failed, takes it; the retry's request leaves {s:.1} s later, once a new chunker is up (this version retries a DLE {times})."
                ),
                None => format!(
                    "The DLE goes back to the driver's run queue (this version retries a DLE {times})."
                ),
            }
        }
        Step::GaveUp { message, .. } => {
            format!("No retry left: the driver gives the DLE up for tonight: {message}.")
        }
    }
}

/// `15 s`: the time from `a` to `b`.
fn span(a: At, b: At) -> String {
    format!("{:.0} s", b.0.since(a.0).as_secs_f64())
}

/// Why the driver looked at time `now`.
fn trigger_text(trigger: &Trigger, now: At, e: &Explanation) -> String {
    match trigger {
        // 3.x's driver starts its taper and chunkers between the schedule and the first dump.
        Trigger::Schedule if e.amanda.starts_with('3') => {
            "the schedule had arrived and the driver's taper and chunkers were up".to_string()
        }
        Trigger::Schedule => "the schedule just arrived".to_string(),
        Trigger::DriverWoke { slept_at, after } => format!(
            "the driver woke from the {} sleep it began at {} after dumper{after}'s failure",
            span(*slept_at, now),
            slept_at.0
        ),
        Trigger::ResultRead { dumper } => format!("the driver read dumper{dumper}'s result"),
        Trigger::HostGap { previous } => format!(
            "the host's start gap ran out (its previous dump started at {})",
            previous.0
        ),
        Trigger::RetryHold { since } => {
            format!(
                "the retry's {} hold, set at {}, ran out",
                span(*since, now),
                since.0
            )
        }
        Trigger::Requeued { failed_on } => format!(
            "the driver just read dumper{failed_on}'s failure of this DLE and requeued it (3.x: no pause)"
        ),
        Trigger::Other => "the driver looked again".to_string(),
    }
}

fn dispatch_sentence(st: &Step, now: String) -> String {
    let Step::Dispatch {
        at,
        sent,
        attempt,
        dumper,
        port,
        in_range,
        order,
        lower_busy,
        lower_took_other,
        lower_idle,
        ..
    } = st
    else {
        return String::new();
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
    why.push(if lower_idle.is_empty() {
        format!("dumper{dumper} was the lowest idle dumper")
    } else {
        format!(
            "{} idle but did not take it (not eligible there, or resting)",
            dumper_list(lower_idle)
        )
    });
    let end = if order.is_ascii_uppercase() {
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
    let leaves = sent.map_or(String::new(), |t| {
        format!(
            " Its request leaves at {} ({:.2} s after the dispatch: the dumper reads the driver's command in its turn{}).",
            t.0,
            t.0.since(at.0).as_secs_f64(),
            if *attempt > 1 {
                ", and a retry waits for a new chunker"
            } else {
                ""
            }
        )
    });
    format!(
        "Attempt {attempt}: the driver gives the DLE to dumper{dumper} ({place}). Now, because {}. This dumper, because the driver fills idle dumpers lowest first: {}. Its dumporder letter {order} takes the eligible DLE with the {end} {key}.{leaves}",
        now,
        why.join("; ")
    )
}

fn packet_sentence(st: &Step) -> String {
    let Step::Packet {
        packet,
        from,
        to,
        verdict,
        rule,
        resend,
        lost,
        after_end,
        ..
    } = st
    else {
        return String::new();
    };
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
    format!("{what} {from} -> {to}: {fate}{lost}.{late}")
}

fn timer_sentence(attempt: u32, expiry: &str, waited_s: f64, reqs: u32) -> String {
    if attempt == 0 {
        return format!("The planner's request timer fires ({expiry}).");
    }
    match expiry {
        "resend" => format!(
            "No answer after {waited_s:.0} s: the dumper's timer fires and it resends the REQ."
        ),
        "no-ack" => {
            format!(
                "No ACK after {waited_s:.0} s and {reqs} REQs: the dumper gives the request up."
            )
        }
        "no-reply" => {
            format!("ACKed, but no REP {waited_s:.0} s later: the dumper gives the request up.")
        }
        other => format!("The request's timer fires ({other})."),
    }
}

fn end_sentence(st: &Step) -> String {
    let Step::AttemptEnd {
        attempt,
        dumper,
        outcome,
        cause,
        message,
        took_s,
        ..
    } = st
    else {
        return String::new();
    };
    if *outcome == Outcome::Done {
        return format!("Attempt {attempt} ends: dumper{dumper} reports DONE after {took_s:.1} s.");
    }
    format!(
        "Attempt {attempt} ends: dumper{dumper} reports {} {message}; the model's cause: {} ({}).",
        outcome_word(*outcome),
        cause_word(*cause),
        cause_gloss(*cause)
    )
}
