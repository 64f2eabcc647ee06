//! `--trace`: one JSON object per line and per event, names resolved.

use crate::model::config::SiteConfig;
use crate::model::firewall::{Action, Decider};
use crate::model::ports::Port;
use crate::model::site::{PacketKind, TraceKind, TraceRecord};
use serde::Serialize;
use std::fmt::Write;

#[derive(Serialize)]
struct Line<'a> {
    t_us: u64,
    kind: TraceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    packet: Option<PacketKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dumper: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disk: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_port: Option<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dst_port: Option<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

/// Renders the trace as JSON lines.
pub fn render(sc: &SiteConfig, records: &[TraceRecord]) -> String {
    let mut out = String::with_capacity(records.len() * 120);
    for r in records {
        push_line(sc, r, &mut out);
    }
    out
}

/// Appends record `r` as one JSON line to `out`: the bytes [`render`] writes for it.
pub fn push_line(sc: &SiteConfig, r: &TraceRecord, out: &mut String) {
    let line = Line {
        t_us: r.t_us,
        kind: r.kind,
        packet: r.packet,
        dumper: r.dumper.map(|d| d.0),
        host: r.host.map(|h| sc.hosts[usize::from(h.0)].name.as_str()),
        disk: r.dle.map(|d| sc.dles[d.0 as usize].disk.as_str()),
        src_port: r.src_port,
        dst_port: r.dst_port,
        verdict: r.verdict,
        rule: r.decider.map(|d: Decider| sc.firewall.describe(d)),
        note: r.note,
    };
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string(&line).expect("trace line serialises")
    );
}
