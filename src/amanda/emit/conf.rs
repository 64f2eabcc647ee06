//! Amanda's own files from a scenario: `amanda.conf` lines, the 2.x configure flag, the disklist
//! and `/etc/services` lines.
//!
//! Only what a site configures is written; what the scenario says about Amanda's code (version
//! profile details, `rescan_limit`, the planner's binding) or about the night (sizes, rates) is
//! not configuration and has no line. A setting with no amanda.conf form is an error.

use super::{EmitError, is_3x};
use crate::model::config::PortPolicy;
use crate::scenario::Scenario;
use std::collections::BTreeSet;
use std::fmt::Write;

/// The dumptype holding a host's `maxdumps` (Amanda sets `maxdumps` per dumptype; the host's last
/// disklist line decides it).
pub fn dumptype_name(maxdumps: u32) -> String {
    format!("portsim-maxdumps-{maxdumps}")
}

/// The `auth` a scenario's protocol stands for: UDP requests from a range port, as 2.x's `bsd`
/// and 3.x's `bsdudp` do.
pub fn auth(sc: &Scenario) -> &'static str {
    if is_3x(sc) { "bsdudp" } else { "bsd" }
}

/// `amanda.conf` lines: the global settings, then one dumptype per `maxdumps` value, each
/// inheriting `base` (the site's own base dumptype, Amanda's example calls it `global`).
pub fn amanda_conf(sc: &Scenario, base: &str) -> Result<String, EmitError> {
    let s = &sc.server;
    if s.port_policy == PortPolicy::PerRequestFirewalled {
        return Err(EmitError::unsupported(
            "server.reserved_ports",
            "amanda.conf",
            "per-request-firewalled is a patch to Amanda's dumper and protocol code (remedy reserve-for-firewalled); no release has a setting for it",
        ));
    }
    let f = &sc.file.server;
    let netusage = f.netusage;
    if netusage.fract() != 0.0 {
        return Err(EmitError::unsupported(
            "server.netusage",
            "amanda.conf",
            format!("{netusage} KB/s: Amanda takes a whole number of Kbps (KB/s); round it"),
        ));
    }
    let mut o = String::new();
    let _ = writeln!(o, "# portsim: scenario {:?}, Amanda {}", sc.name, f.version);
    let _ = writeln!(o, "inparallel {}", s.inparallel);
    let _ = writeln!(o, "netusage {netusage} kbps");
    let _ = writeln!(o, "dumporder \"{}\"", f.dumporder);
    for (key, v) in [
        ("ctimeout", f.ctimeout),
        ("etimeout", f.etimeout),
        ("dtimeout", f.dtimeout),
    ] {
        let n = super::fw::secs(v, &format!("server.{key}"), "amanda.conf")?;
        let _ = writeln!(o, "{key} {n}");
    }
    if let (true, Some(r)) = (is_3x(sc), s.range) {
        let _ = writeln!(o, "reserved-udp-port {},{}", r.low, r.high);
    }
    let maxdumps: BTreeSet<u32> = sc.hosts.iter().map(|h| h.maxdumps).collect();
    for m in maxdumps {
        let _ = write!(
            o,
            "define dumptype {} {{\n    {base}\n    auth \"{}\"\n    maxdumps {m}\n}}\n",
            dumptype_name(m),
            auth(sc)
        );
    }
    Ok(o)
}

/// The configure flags of a 2.x build (2.x reads the range only at build time); empty for 3.x.
pub fn configure_flags(sc: &Scenario) -> Vec<String> {
    match (is_3x(sc), sc.server.range) {
        (false, Some(r)) => vec![format!("--with-udpportrange={},{}", r.low, r.high)],
        _ => Vec::new(),
    }
}

/// Quotes a disklist word when it needs it (3.x reads quoted names; 2.x names have no spaces).
fn word(s: &str) -> String {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '"' || c == '#') {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s.to_string()
    }
}

/// The disklist: `host disk [device] dumptype [spindle]`, one line per DLE in scenario order.
/// `device` gives a DLE's device path (the lab's data directories), or None for none.
pub fn disklist(sc: &Scenario, device: impl Fn(usize) -> Option<String>) -> String {
    let mut o = String::new();
    for (i, d) in sc.dles.iter().enumerate() {
        let h = &sc.hosts[usize::from(d.host.0)];
        let _ = write!(o, "{} {}", word(&h.name), word(&d.disk));
        if let Some(dev) = device(i) {
            let _ = write!(o, " {}", word(&dev));
        }
        let _ = write!(o, " {}", dumptype_name(h.maxdumps));
        if d.spindle >= 0 {
            let _ = write!(o, " {}", d.spindle);
        }
        o.push('\n');
    }
    o
}

/// `/etc/services` lines for the scenario's entries (`server.services`), port order.
pub fn services(sc: &Scenario) -> String {
    let mut entries: Vec<_> = sc.server.services.clone();
    entries.sort();
    entries
        .iter()
        .map(|(p, name)| format!("{:<15} {}/udp\n", name, p))
        .collect()
}
