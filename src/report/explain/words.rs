//! The small words and phrases of an explanation: outcomes, causes, rules, dumpers, ports.

use super::*;

pub(super) fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Done => "DONE",
        Outcome::TryAgain => "TRY-AGAIN",
        Outcome::Failed => "FAILED",
    }
}

pub(super) fn cause_word(c: Cause) -> &'static str {
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

pub(super) fn packet_word(p: PacketKind) -> &'static str {
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
pub(super) fn dumper_list(ds: &[u16]) -> String {
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

pub(super) fn range_of(e: &Explanation) -> String {
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

pub(super) fn peer_text(p: &Peer) -> String {
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

pub(super) fn rule_text(rule: &str) -> String {
    match rule {
        "default" => "the default policy".into(),
        "same-zone" => "the shared zone (no filter between)".into(),
        r if r.starts_with("state ") => format!("state entry {}", &r[6..]),
        r => format!("rule {r}"),
    }
}

pub(super) fn cause_gloss(c: Cause) -> &'static str {
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
