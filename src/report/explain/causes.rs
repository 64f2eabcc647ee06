//! The cause in one sentence, and what each remedy did to the DLE.

use super::*;

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

pub(super) fn remedy_sentence(r: &RemedyRun, s: &DleStory) -> String {
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
