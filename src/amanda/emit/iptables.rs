//! The firewall as an `iptables-save` file (`iptables-restore` reads it): the filter table with
//! the scenario's default as the chain policy, `-m conntrack --ctstate` for the stateful kinds, and
//! for the amanda helper a `raw`-table `CT --helper amanda` rule (Linux 4.7+ attaches helpers only
//! explicitly). Zones are written out as their networks, one rule per combination.

use super::fw::{self, Hook, LRule, Lowered, Peer, Placement};
use super::{Addressing, EmitError, FwDialect, FwText};
use crate::model::firewall::{Action, Proto, ProtoMatch};
use crate::model::ports::PortRange;
use crate::scenario::Scenario;
use std::fmt::Write;

/// The comment match's limit, in bytes.
const COMMENT_MAX: usize = 255;

/// Renders the lowered firewall as an `iptables-save` file.
pub fn render(sc: &Scenario, low: &Lowered, addr: &Addressing) -> Result<FwText, EmitError> {
    let (sysctl, modprobe) = match low.state {
        Some(st) if st.kind.is_conntrack() => fw::conntrack_extras(&st, "iptables")?,
        _ => Default::default(),
    };
    let mut o = String::new();
    for line in fw::header(sc, low, addr, FwDialect::Iptables) {
        let _ = writeln!(o, "# {line}");
    }
    if let Some(h) = low.helper {
        let chain = match low.placement {
            Placement::Router => "PREROUTING",
            Placement::Server => "OUTPUT",
        };
        let _ = write!(
            o,
            "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A {chain} -s {}/32 -p udp -m udp --dport {} -m comment --comment \"attach nf_conntrack_amanda to the server's requests (firewall.state.kind)\" -j CT --helper amanda\nCOMMIT\n",
            low.server, h.port
        );
    }
    o.push_str("*filter\n");
    let policy = match low.policy {
        Action::Accept => "ACCEPT",
        _ => "DROP",
    };
    for hook in [Hook::Input, Hook::Forward, Hook::Output] {
        let p = if low.hooks.contains(&hook) {
            policy
        } else {
            "ACCEPT"
        };
        let _ = writeln!(o, ":{} {p} [0:0]", hook.chain());
    }
    for &hook in &low.hooks {
        chain(&mut o, low, hook);
    }
    o.push_str("COMMIT\n");
    Ok(FwText {
        ruleset: o,
        sysctl,
        modprobe,
    })
}

/// One hook's rules: loopback and same zone (server placement), TCP after the SYN, the state
/// table, the scenario's rules, then the default.
fn chain(o: &mut String, low: &Lowered, hook: Hook) {
    let chain = hook.chain();
    if low.placement == Placement::Server {
        let (iface, dir) = match hook {
            Hook::Output => ("-o", "-d"),
            _ => ("-i", "-s"),
        };
        let _ = writeln!(o, "-A {chain} {iface} lo -j ACCEPT");
        if let Some(nets) = nets(&low.inside) {
            let _ = writeln!(
                o,
                "-A {chain} {dir} {nets} -m comment --comment \"same zone: the model never filters it\" -j ACCEPT"
            );
        }
    }
    let _ = writeln!(
        o,
        "-A {chain} -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m comment --comment \"{}\" -j ACCEPT",
        fw::TCP_NOTE
    );
    if let Some(st) = low.state
        && hook != Hook::Output
    {
        let _ = writeln!(
            o,
            "-A {chain} -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment \"state table (firewall.state.kind {})\" -j ACCEPT",
            st.kind.name()
        );
    }
    for r in low.rules.iter().filter(|r| r.hook == hook) {
        rule(o, chain, r);
    }
    // The policy, once more as a rule: its counters show what fell through (and a policy
    // cannot reject).
    let _ = writeln!(
        o,
        "-A {chain} -m comment --comment \"default (firewall.default {})\" -j {}",
        match low.policy {
            Action::Accept => "accept",
            Action::Drop => "drop",
            Action::Reject => "reject",
        },
        target(low.policy)
    );
}

/// The comma-separated networks of a peer, or None for a zone with no address.
fn nets(p: &Peer) -> Option<String> {
    match p {
        Peer::Zone(_, nets) if nets.is_empty() => None,
        Peer::Zone(_, nets) => Some(
            nets.iter()
                .map(|c| format!("{}/{}", c.addr, c.len))
                .collect::<Vec<_>>()
                .join(","),
        ),
        Peer::Addr(a) => Some(format!("{a}/32")),
    }
}

fn target(a: Action) -> &'static str {
    match a {
        Action::Accept => "ACCEPT",
        Action::Drop => "DROP",
        Action::Reject => "REJECT",
    }
}

fn ports(r: PortRange) -> String {
    if r.low == r.high {
        r.low.to_string()
    } else {
        format!("{}:{}", r.low, r.high)
    }
}

fn rule(o: &mut String, chain: &str, r: &LRule) {
    let comment = fw::clean_comment(&r.comment, COMMENT_MAX);
    let mut addrs = String::new();
    for (flag, side) in [("-s", &r.src), ("-d", &r.dst)] {
        if let Some(p) = side {
            let Some(n) = nets(p) else {
                let _ = writeln!(o, "# left out: {comment}: its zone has no address");
                return;
            };
            let _ = write!(addrs, " {flag} {n}");
        }
    }
    let has_ports = r.sport.is_some() || r.dport.is_some();
    // iptables matches ports only under one protocol: "any" with ports is a rule per protocol.
    let protos: Vec<Option<&str>> = match r.proto {
        ProtoMatch::Only(Proto::Udp) => vec![Some("udp")],
        ProtoMatch::Only(Proto::Tcp) => vec![Some("tcp")],
        ProtoMatch::Any if has_ports => vec![Some("udp"), Some("tcp")],
        ProtoMatch::Any => vec![None],
    };
    let target = target(r.action);
    for p in protos {
        let mut line = format!("-A {chain}{addrs}");
        if let Some(p) = p {
            let _ = write!(line, " -p {p}");
            if has_ports {
                let _ = write!(line, " -m {p}");
            }
        }
        if let Some(s) = r.sport {
            let _ = write!(line, " --sport {}", ports(s));
        }
        if let Some(d) = r.dport {
            let _ = write!(line, " --dport {}", ports(d));
        }
        let _ = writeln!(o, "{line} -m comment --comment \"{comment}\" -j {target}");
    }
}
