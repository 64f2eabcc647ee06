//! The firewall as a pf.conf subset: macros, one table per zone, `set timeout` / `set limit` for
//! pf's state table, a default rule, then the scenario's rules with `quick` so that the first
//! match wins as in the model (pf alone is last-match). pf keeps state on `pass` by default, so
//! a stateless scenario says `no state` on every pass rule.

use super::fw::{self, Hook, LRule, Lowered, Peer, Placement};
use super::{Addressing, EmitError, FwDialect, FwText};
use crate::model::firewall::{Action, Proto, ProtoMatch};
use crate::model::ports::PortRange;
use crate::model::stateful::PfMultiple;
use crate::scenario::Scenario;
use std::fmt::Write;
use std::net::Ipv4Addr;

/// Renders the lowered firewall as pf.conf lines.
pub fn render(sc: &Scenario, low: &Lowered, addr: &Addressing) -> Result<FwText, EmitError> {
    let mut o = String::new();
    for line in fw::header(sc, low, addr, FwDialect::Pf) {
        let _ = writeln!(o, "# {line}");
    }
    let _ = writeln!(o, "server = \"{}\"", low.server);
    for (name, nets) in &low.zones {
        let list: Vec<String> = nets.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            o,
            "table <{}> const {{ {} }}",
            fw::set_name(name),
            list.join(" ")
        );
    }
    let stateful = low.state.is_some();
    if let Some(st) = low.state {
        let s = |d: crate::sim::SimDuration, f: &str| fw::secs(d.as_secs_f64(), f, "pf");
        let _ = writeln!(
            o,
            "set timeout {{ udp.first {}, udp.single {}, udp.multiple {}, tcp.established {} }}",
            s(st.first, "firewall.state.first_s")?,
            s(st.one_way, "firewall.state.one_way_s")?,
            s(st.two_way, "firewall.state.two_way_s")?,
            s(st.tcp, "firewall.state.tcp_s")?
        );
        if let Some(m) = st.max_entries {
            let _ = writeln!(o, "set limit states {m}");
        }
        if st.pf_multiple == PfMultiple::RoundTrip {
            o.push_str("# firewall.state.pf_multiple round-trip: how pf's code moves states to udp.multiple, not a setting\n");
        }
    }
    if low.placement == Placement::Server {
        o.push_str("set skip on lo\n");
    }
    let keep = if stateful { "keep state" } else { "no state" };
    o.push_str(match low.policy {
        Action::Accept => "pass all",
        Action::Drop => "block drop all",
        Action::Reject => "block return all",
    });
    if low.policy == Action::Accept {
        let _ = write!(o, " {keep}");
    }
    o.push_str(" label \"default (firewall.default)\"\n");
    if low.placement == Placement::Server {
        let t = peer(&low.inside, low.server);
        let _ = writeln!(
            o,
            "pass in quick from {t} to any no state label \"same zone: the model never filters it\""
        );
        let _ = writeln!(
            o,
            "pass out quick from any to {t} no state label \"same zone: the model never filters it\""
        );
    }
    let _ = writeln!(
        o,
        "pass quick proto tcp all flags A/A no state label \"{}\"",
        fw::TCP_NOTE
    );
    for r in &low.rules {
        let _ = writeln!(o, "{}", rule(r, low, stateful));
    }
    Ok(FwText {
        ruleset: o,
        ..FwText::default()
    })
}

/// A zone's table, `$server` for the server's address, or the address.
fn peer(p: &Peer, server: Ipv4Addr) -> String {
    match p {
        Peer::Zone(name, _) => format!("<{}>", fw::set_name(name)),
        Peer::Addr(a) if *a == server => "$server".into(),
        Peer::Addr(a) => a.to_string(),
    }
}

fn ports(r: PortRange) -> String {
    if r.low == r.high {
        r.low.to_string()
    } else {
        format!("{}:{}", r.low, r.high)
    }
}

fn rule(r: &LRule, low: &Lowered, stateful: bool) -> String {
    let placement = low.placement;
    let peer = |p: &Peer| peer(p, low.server);
    let mut m = vec![
        match r.action {
            Action::Accept => "pass",
            Action::Drop => "block drop",
            Action::Reject => "block return",
        }
        .to_string(),
    ];
    if placement == Placement::Server {
        m.push(if r.hook == Hook::Output { "out" } else { "in" }.into());
    }
    m.push("quick".into());
    let has_ports = r.sport.is_some() || r.dport.is_some();
    match r.proto {
        ProtoMatch::Only(Proto::Udp) => m.push("proto udp".into()),
        ProtoMatch::Only(Proto::Tcp) => m.push("proto tcp".into()),
        ProtoMatch::Any if has_ports => m.push("proto { tcp udp }".into()),
        ProtoMatch::Any => {}
    }
    m.push(format!(
        "from {}",
        r.src.as_ref().map_or("any".into(), &peer)
    ));
    if let Some(p) = r.sport {
        m.push(format!("port {}", ports(p)));
    }
    m.push(format!("to {}", r.dst.as_ref().map_or("any".into(), &peer)));
    if let Some(p) = r.dport {
        m.push(format!("port {}", ports(p)));
    }
    if r.action == Action::Accept {
        // The state table is the inside's: only what the server's zone sends opens a state.
        m.push(
            if stateful && r.from_inside {
                "keep state"
            } else {
                "no state"
            }
            .into(),
        );
    }
    m.push(format!("label \"{}\"", fw::clean_comment(&r.comment, 63)));
    m.join(" ")
}
