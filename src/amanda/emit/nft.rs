//! The firewall as an nft ruleset (`nft -f`): one `table inet portsim`, a set per zone, a chain
//! per hook with the scenario's default as its policy, and a comment on every rule naming the
//! scenario rule. Loading it replaces only that table.

use super::fw::{self, Hook, LRule, Lowered, Peer, Placement};
use super::{Addressing, EmitError, FwDialect, FwText};
use crate::model::firewall::{Action, Proto, ProtoMatch};
use crate::model::ports::PortRange;
use crate::scenario::Scenario;
use std::fmt::Write;

/// nft's limit on a rule comment, in bytes.
const COMMENT_MAX: usize = 127;

/// Renders the lowered firewall as an nft ruleset.
pub fn render(sc: &Scenario, low: &Lowered, addr: &Addressing) -> Result<FwText, EmitError> {
    let (sysctl, modprobe) = match low.state {
        Some(st) if st.kind.is_conntrack() => fw::conntrack_extras(&st, "nft")?,
        _ => Default::default(),
    };
    let mut o = String::from("#!/usr/sbin/nft -f\n");
    for line in fw::header(sc, low, addr, FwDialect::Nft) {
        let _ = writeln!(o, "# {line}");
    }
    // Declare, then delete, so that the load replaces our table whether or not it existed.
    o.push_str("table inet portsim\ndelete table inet portsim\n\ntable inet portsim {\n");
    for (name, nets) in &low.zones {
        let _ = writeln!(o, "    set {} {{", fw::set_name(name));
        o.push_str("        type ipv4_addr\n        flags interval\n");
        if !nets.is_empty() {
            let list: Vec<String> = nets.iter().map(ToString::to_string).collect();
            let _ = writeln!(o, "        elements = {{ {} }}", list.join(", "));
        }
        o.push_str("    }\n");
    }
    if let Some(h) = low.helper {
        o.push_str("\n    ct helper amanda {\n        type \"amanda\" protocol udp\n        l3proto ip\n    }\n");
        let hook = match low.placement {
            Placement::Router => "prerouting",
            Placement::Server => "output",
        };
        let _ = writeln!(
            o,
            "\n    chain amanda_helper {{\n        type filter hook {hook} priority 0; policy accept;\n        ip saddr {} udp dport {} counter ct helper set \"amanda\" comment \"{}\"\n    }}",
            low.server,
            h.port,
            fw::clean_comment(
                "attach nf_conntrack_amanda to the server's requests (firewall.state.kind)",
                COMMENT_MAX
            )
        );
    }
    for &hook in &low.hooks {
        chain(&mut o, low, hook);
    }
    o.push_str("}\n");
    Ok(FwText {
        ruleset: o,
        sysctl,
        modprobe,
    })
}

/// Writes one hook's chain: the scenario's default as policy, the model's implicit accepts,
/// then the scenario's rules.
fn chain(o: &mut String, low: &Lowered, hook: Hook) {
    let policy = if low.policy == Action::Accept {
        "accept"
    } else {
        "drop"
    };
    let _ = writeln!(
        o,
        "\n    chain {} {{\n        type filter hook {} priority 0; policy {policy};",
        hook.nft(),
        hook.nft()
    );
    if low.placement == Placement::Server {
        let (iface, dir) = match hook {
            Hook::Output => ("oif", "daddr"),
            _ => ("iif", "saddr"),
        };
        let _ = writeln!(o, "        {iface} \"lo\" counter accept");
        let _ = writeln!(
            o,
            "        ip {dir} {} counter accept comment \"same zone: the model never filters it\"",
            peer(&low.inside)
        );
    }
    let _ = writeln!(
        o,
        "        tcp flags & (fin | syn | rst | ack) != syn counter accept comment \"{}\"",
        fw::TCP_NOTE
    );
    if let Some(st) = low.state
        && hook != Hook::Output
    {
        let _ = writeln!(
            o,
            "        ct state established,related counter accept comment \"state table (firewall.state.kind {})\"",
            st.kind.name()
        );
    }
    for r in low.rules.iter().filter(|r| r.hook == hook) {
        let _ = writeln!(o, "        {}", rule(r));
    }
    // The policy, once more as a counted rule: counters show what fell through to it.
    let _ = writeln!(
        o,
        "        counter {} comment \"default (firewall.default {})\"",
        verdict(low.policy),
        verdict(low.policy)
    );
    o.push_str("    }\n");
}

fn verdict(a: Action) -> &'static str {
    match a {
        Action::Accept => "accept",
        Action::Drop => "drop",
        Action::Reject => "reject",
    }
}

fn peer(p: &Peer) -> String {
    match p {
        Peer::Zone(name, _) => format!("@{}", fw::set_name(name)),
        Peer::Addr(a) => a.to_string(),
    }
}

fn ports(r: PortRange) -> String {
    if r.low == r.high {
        r.low.to_string()
    } else {
        format!("{}-{}", r.low, r.high)
    }
}

fn rule(r: &LRule) -> String {
    let mut m = Vec::new();
    let has_ports = r.sport.is_some() || r.dport.is_some();
    let l4 = match r.proto {
        ProtoMatch::Only(Proto::Udp) => "udp",
        ProtoMatch::Only(Proto::Tcp) => "tcp",
        ProtoMatch::Any => "th",
    };
    match r.proto {
        ProtoMatch::Only(_) if !has_ports => m.push(format!("meta l4proto {l4}")),
        ProtoMatch::Any if has_ports => m.push("meta l4proto { tcp, udp }".into()),
        _ => {}
    }
    if let Some(p) = &r.src {
        m.push(format!("ip saddr {}", peer(p)));
    }
    if let Some(p) = &r.dst {
        m.push(format!("ip daddr {}", peer(p)));
    }
    if let Some(p) = r.sport {
        m.push(format!("{l4} sport {}", ports(p)));
    }
    if let Some(p) = r.dport {
        m.push(format!("{l4} dport {}", ports(p)));
    }
    m.push("counter".into());
    m.push(verdict(r.action).into());
    m.push(format!(
        "comment \"{}\"",
        fw::clean_comment(&r.comment, COMMENT_MAX)
    ));
    m.join(" ")
}
