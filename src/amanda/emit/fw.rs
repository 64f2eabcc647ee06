//! The scenario's firewall lowered to hooks, peers and ports, shared by the three dialects.
//!
//! The model's filter sits between zones: rules are directional, first match wins, same-zone
//! packets never reach it, and a state table (when there is one) passes the replies of flows the
//! server's zone opened before any rule. [`Placement`] says where the real filter runs:
//! - `Router`: a box between the zones, one forward hook: the scenario's rules as they are.
//! - `Server`: on the Amanda server itself (the lab): an input hook for what is sent to the
//!   server and an output hook for what it sends; same-zone traffic is accepted first, as the
//!   model never filters it, and rules that cannot touch the server's own packets are left out.

use super::addr::Cidr;
use super::{Addressing, EmitError, FwDialect};
use crate::model::firewall::{Action, AddrMatch, ProtoMatch};
use crate::model::ports::PortRange;
use crate::model::stateful::{AmandaHelper, StateConfig, StateKind};
use crate::scenario::Scenario;
use serde::Serialize;
use std::net::Ipv4Addr;

/// Why every dialect passes TCP segments other than a bare SYN: the model filters a TCP
/// connection by its SYN only (a dump's data connections), so its other packets must pass.
pub const TCP_NOTE: &str = "TCP after the SYN: the model filters a connection by its SYN only";

/// Where the real filter runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// On a router between the zones (forward hook).
    Router,
    /// On the Amanda server (input and output hooks).
    Server,
}

/// A netfilter-style hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// Packets to the filtering machine.
    Input,
    /// Packets from it.
    Output,
    /// Packets it routes.
    Forward,
}

impl Hook {
    /// The nft hook name.
    pub fn nft(self) -> &'static str {
        match self {
            Hook::Input => "input",
            Hook::Output => "output",
            Hook::Forward => "forward",
        }
    }

    /// The iptables chain.
    pub fn chain(self) -> &'static str {
        match self {
            Hook::Input => "INPUT",
            Hook::Output => "OUTPUT",
            Hook::Forward => "FORWARD",
        }
    }
}

/// One side of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// A zone, by its name (a set in nft, a table in pf, its CIDRs in iptables).
    Zone(String, Vec<Cidr>),
    /// One address (the server, a host).
    Addr(Ipv4Addr),
}

/// One lowered rule.
#[derive(Clone, Debug)]
pub struct LRule {
    /// Which hook it sits in.
    pub hook: Hook,
    /// Comment naming the scenario rule.
    pub comment: String,
    /// Verdict.
    pub action: Action,
    /// Protocols.
    pub proto: ProtoMatch,
    /// Source (None: any).
    pub src: Option<Peer>,
    /// Destination (None: any).
    pub dst: Option<Peer>,
    /// Source ports (None: any).
    pub sport: Option<PortRange>,
    /// Destination ports (None: any).
    pub dport: Option<PortRange>,
    /// The server's zone sends it: a stateful pf rule keeps state for it.
    pub from_inside: bool,
}

/// The firewall, lowered.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// Where it runs.
    pub placement: Placement,
    /// The hooks used, in order.
    pub hooks: Vec<Hook>,
    /// The default verdict of every hook.
    pub policy: Action,
    /// Rules in order (first match wins).
    pub rules: Vec<LRule>,
    /// The state table, when stateful.
    pub state: Option<StateConfig>,
    /// The amanda helper, when attached.
    pub helper: Option<AmandaHelper>,
    /// The server's zone (accepted first on a server placement).
    pub inside: Peer,
    /// The server's address.
    pub server: Ipv4Addr,
    /// Rules left out, with why, for comments.
    pub skipped: Vec<String>,
    /// Every zone with its networks, in scenario order (for sets and tables).
    pub zones: Vec<(String, Vec<Cidr>)>,
}

/// Lowers `sc`'s firewall for `dialect`; refuses state kinds the dialect does not have.
pub fn lower(
    sc: &Scenario,
    addr: &Addressing,
    placement: Placement,
    dialect: FwDialect,
) -> Result<Lowered, EmitError> {
    check_state(sc, dialect)?;
    check_zone_names(sc, dialect)?;
    let server_zone = usize::from(sc.server.zone.0);
    let peer = |m| peer(sc, addr, m);
    let touches_server = |m| touches_server(sc, m);
    let ports = |r: PortRange| (r != PortRange::ANY).then_some(r);
    let mut rules = Vec::new();
    let mut skipped = Vec::new();
    for r in &sc.firewall.rules {
        // The rule's name (an unnamed rule is "rule N"): the same rule keeps its comment when a
        // remedy removes another before it, so diffs show only what changed.
        let comment = r.name.clone();
        let base = |hook, src, dst| LRule {
            hook,
            comment: comment.clone(),
            action: r.action,
            proto: r.proto,
            src,
            dst,
            sport: ports(r.src_ports),
            dport: ports(r.dst_ports),
            from_inside: inside(sc, r.from),
        };
        match placement {
            Placement::Router => rules.push(base(Hook::Forward, peer(r.from), peer(r.to))),
            Placement::Server => {
                let mut placed = false;
                if touches_server(r.to) && r.from != AddrMatch::Server {
                    rules.push(base(Hook::Input, peer(r.from), None));
                    placed = true;
                }
                if touches_server(r.from) && r.to != AddrMatch::Server {
                    rules.push(base(Hook::Output, None, peer(r.to)));
                    placed = true;
                }
                if !placed {
                    skipped.push(format!(
                        "{comment}: never sees the server's own packets on a server placement"
                    ));
                }
            }
        }
    }
    let hooks = match placement {
        Placement::Router => vec![Hook::Forward],
        Placement::Server => vec![Hook::Input, Hook::Output],
    };
    Ok(Lowered {
        placement,
        hooks,
        policy: sc.firewall.default,
        rules,
        state: sc.state,
        helper: sc.state.and_then(|s| s.helper),
        inside: zone(sc, addr, server_zone),
        server: addr.server,
        skipped,
        zones: sc
            .zones
            .iter()
            .cloned()
            .zip(addr.zones.iter().cloned())
            .collect(),
    })
}

/// Zone `z` as a peer: its name and networks.
fn zone(sc: &Scenario, addr: &Addressing, z: usize) -> Peer {
    Peer::Zone(sc.zones[z].clone(), addr.zones[z].clone())
}

/// A rule side as a peer; None for "any".
fn peer(sc: &Scenario, addr: &Addressing, m: AddrMatch) -> Option<Peer> {
    match m {
        AddrMatch::Any => None,
        AddrMatch::Zone(z) => Some(zone(sc, addr, usize::from(z.0))),
        AddrMatch::Host(h) => Some(Peer::Addr(addr.hosts[usize::from(h.0)])),
        AddrMatch::Server => Some(Peer::Addr(addr.server)),
    }
}

/// Whether a rule side can stand for the server itself.
fn touches_server(sc: &Scenario, m: AddrMatch) -> bool {
    match m {
        AddrMatch::Any | AddrMatch::Server => true,
        AddrMatch::Zone(z) => z == sc.server.zone,
        AddrMatch::Host(_) => false,
    }
}

/// Whether a rule side lies in the server's zone (the state table's inside).
fn inside(sc: &Scenario, m: AddrMatch) -> bool {
    match m {
        AddrMatch::Server => true,
        AddrMatch::Zone(z) => z == sc.server.zone,
        AddrMatch::Host(h) => sc.hosts[usize::from(h.0)].zone == sc.server.zone,
        AddrMatch::Any => false,
    }
}

/// Zone names become set and table names: two that clean to one name would merge.
fn check_zone_names(sc: &Scenario, dialect: FwDialect) -> Result<(), EmitError> {
    for (i, a) in sc.zones.iter().enumerate() {
        if let Some(b) = sc.zones[..i].iter().find(|b| set_name(b) == set_name(a)) {
            return Err(EmitError::unsupported(
                &format!("zones[{i}]"),
                dialect.name(),
                format!(
                    "zones {b:?} and {a:?} both become the set name {}: rename one (letters, digits)",
                    set_name(a)
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a state kind the dialect has no equivalent for.
fn check_state(sc: &Scenario, dialect: FwDialect) -> Result<(), EmitError> {
    let Some(st) = sc.state else {
        return Ok(());
    };
    let field = "firewall.state.kind";
    let name = dialect.name();
    match (st.kind, dialect) {
        (StateKind::Reflexive, _) => Err(EmitError::unsupported(
            field,
            name,
            "\"reflexive\" is a Cisco IOS reflexive ACL (every packet refreshes a 300 s entry); render it with `ip reflexive-list`, or choose kind conntrack or pf",
        )),
        (StateKind::Pf, FwDialect::Nft | FwDialect::Iptables) => Err(EmitError::unsupported(
            field,
            name,
            "\"pf\" keep state has pf's udp.first/single/multiple timeouts, which Linux conntrack does not have; choose kind conntrack, or dialect pf",
        )),
        (k, FwDialect::Pf) if k.is_conntrack() => Err(EmitError::unsupported(
            field,
            name,
            format!(
                "{:?} is Linux connection tracking; pf keeps its own state with other timeouts: choose kind pf, or dialect nft/iptables",
                k.name()
            ),
        )),
        _ => Ok(()),
    }
}

/// Conntrack settings that live outside the ruleset: `sysctl.conf` and `modprobe.d` lines.
/// Refuses what neither can set.
pub fn conntrack_extras(st: &StateConfig, target: &str) -> Result<(String, String), EmitError> {
    let defaults = StateConfig::for_kind(st.kind);
    let mut sysctl = String::new();
    let mut modprobe = String::new();
    if st.first != st.one_way {
        return Err(EmitError::unsupported(
            "firewall.state.first_s",
            target,
            format!(
                "conntrack has one timeout for unreplied UDP flows (nf_conntrack_udp_timeout); first_s ({} s) must equal one_way_s ({} s)",
                st.first.as_secs_f64(),
                st.one_way.as_secs_f64()
            ),
        ));
    }
    let mut line = |key: &str, v: u64| sysctl.push_str(&format!("net.netfilter.{key} = {v}\n"));
    if st.one_way != defaults.one_way {
        line(
            "nf_conntrack_udp_timeout",
            secs(st.one_way.as_secs_f64(), "firewall.state.one_way_s", target)?,
        );
    }
    if st.two_way != defaults.two_way {
        line(
            "nf_conntrack_udp_timeout_stream",
            secs(st.two_way.as_secs_f64(), "firewall.state.two_way_s", target)?,
        );
    }
    if st.tcp != defaults.tcp {
        line(
            "nf_conntrack_tcp_timeout_established",
            secs(st.tcp.as_secs_f64(), "firewall.state.tcp_s", target)?,
        );
    }
    if let Some(m) = st.max_entries {
        line("nf_conntrack_max", m as u64);
    }
    if let (Some(h), Some(d)) = (st.helper, defaults.helper) {
        if h.expect_timeout != d.expect_timeout {
            return Err(EmitError::unsupported(
                "firewall.state.expect_timeout_s",
                target,
                "nf_conntrack_amanda's expectation lifetime (180 s) is compiled into the module; no parameter sets it",
            ));
        }
        if h.master_timeout != d.master_timeout {
            modprobe.push_str(&format!(
                "options nf_conntrack_amanda master_timeout={}\n",
                secs(
                    h.master_timeout.as_secs_f64(),
                    "firewall.state.master_timeout_s",
                    target
                )?
            ));
        }
    }
    Ok((sysctl, modprobe))
}

/// Whole seconds, or an error naming the field.
pub fn secs(s: f64, field: &str, target: &str) -> Result<u64, EmitError> {
    if s.fract() != 0.0 {
        return Err(EmitError::unsupported(
            field,
            target,
            format!("{s} s: the setting takes whole seconds; round it"),
        ));
    }
    Ok(s as u64)
}

/// Header lines every dialect prints as comments: what, where, and which addresses are placeholders.
pub fn header(sc: &Scenario, low: &Lowered, addr: &Addressing, dialect: FwDialect) -> Vec<String> {
    let mut h = vec![format!(
        "portsim: the firewall of scenario {:?} for {}, {} placement",
        sc.name,
        dialect.name(),
        match low.placement {
            Placement::Router => "router (a filter between the zones: forward hook)",
            Placement::Server => "server (on the Amanda server: input and output hooks)",
        }
    )];
    match low.state {
        Some(st) => h.push(format!(
            "stateful ({}): replies of flows the server's zone opened pass before the rules",
            st.kind.name()
        )),
        None => h.push("stateless: every packet meets the rules, first match wins".into()),
    }
    if low
        .state
        .is_some_and(|s| s.kind == StateKind::ConntrackPre50)
    {
        h.push("conntrack-pre5.0 is the kernel's behaviour (180 s stream timeout, no 2 s rule), not a ruleset setting".into());
    }
    h.extend(addr.placeholders.iter().cloned());
    h.extend(low.skipped.iter().map(|s| format!("left out: {s}")));
    // Names come from the scenario: no line break may end a comment early.
    h.iter().map(|l| clean_comment(l, 1000)).collect()
}

/// A rule comment without characters the dialects would choke on, at most `max` bytes.
pub fn clean_comment(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '\''
            } else {
                c
            }
        })
        .collect();
    while out.len() > max {
        out.pop();
    }
    out
}

/// A name usable as an nft set or pf table name: `zone_` and the zone's name, other characters as `_`.
pub fn set_name(zone: &str) -> String {
    let clean: String = zone
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("zone_{clean}")
}
