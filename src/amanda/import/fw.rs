//! The firewall as the three dialects describe it (chains, addresses, ports, states), and its
//! mapping to the scenario's zone-to-zone rules.
//!
//! The scenario's filter is one ordered list, first match wins, between zones; so one chain is
//! taken (FORWARD when it filters anything, else INPUT, where every packet is for the server),
//! jumps to user chains are inlined, address lists and port lists become one rule per
//! combination, networks become zones, and `ESTABLISHED`/`keep state` become `firewall.state`.

use super::source::{Loc, Warning};
use super::zones::{Cidr, Zones};
use crate::scenario::schema::{
    ActionFile, FirewallFile, PortsFile, ProtoFile, RuleFile, StateFile,
};
use std::net::Ipv4Addr;

/// A terminal verdict, or a jump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Let it through.
    Accept,
    /// Discard silently.
    Drop,
    /// Discard with an ICMP error.
    Reject,
    /// Continue in a user chain (`-j CHAIN`, `jump`, `goto`).
    Jump(String),
    /// Leave a user chain.
    Return,
}

/// The transport protocol matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum L4 {
    /// Any.
    Any,
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// Something the model does not carry (icmp, esp, ...).
    Other(String),
}

impl L4 {
    /// The protocol of a list of names (`udp`, `tcp`, both, or others), as nft sets and pf
    /// `proto { ... }` lists give them.
    pub fn from_names(names: &[String]) -> L4 {
        match names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["udp"] => L4::Udp,
            ["tcp"] => L4::Tcp,
            ["udp", "tcp"] | ["tcp", "udp"] => L4::Any,
            _ => L4::Other(names.join(",")),
        }
    }
}

/// One rule, in dialect-neutral form; empty lists mean "any".
#[derive(Clone, Debug)]
pub struct FwRule {
    /// Where it is written.
    pub loc: Loc,
    /// Its comment, when it has one.
    pub name: Option<String>,
    /// What a match gets.
    pub verdict: Verdict,
    /// Protocol.
    pub proto: L4,
    /// Source networks (any of them).
    pub src: Vec<Cidr>,
    /// Destination networks.
    pub dst: Vec<Cidr>,
    /// Input interface.
    pub iif: Option<String>,
    /// Output interface.
    pub oif: Option<String>,
    /// Source port ranges.
    pub sport: Vec<(u16, u16)>,
    /// Destination port ranges.
    pub dport: Vec<(u16, u16)>,
    /// Connection states matched, lower case (`established`, `related`, `new`, `invalid`).
    pub states: Option<Vec<String>>,
    /// pf: a pass rule that creates state (the default for `pass`; `no state` turns it off).
    pub keep_state: bool,
    /// Why the rule cannot be mapped (negations, IPv6, unknown matches); empty when it can.
    pub unmappable: Vec<String>,
}

impl FwRule {
    /// A rule that matches everything and accepts, at `loc`.
    pub fn new(loc: Loc) -> FwRule {
        FwRule {
            loc,
            name: None,
            verdict: Verdict::Accept,
            proto: L4::Any,
            src: Vec::new(),
            dst: Vec::new(),
            iif: None,
            oif: None,
            sport: Vec::new(),
            dport: Vec::new(),
            states: None,
            keep_state: false,
            unmappable: Vec::new(),
        }
    }

    fn unconditional(&self) -> bool {
        self.proto == L4::Any
            && self.src.is_empty()
            && self.dst.is_empty()
            && self.iif.is_none()
            && self.oif.is_none()
            && self.sport.is_empty()
            && self.dport.is_empty()
            && self.states.is_none()
            && self.unmappable.is_empty()
    }
}

/// Where a chain sits in the packet's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// Packets for the firewall host itself.
    Input,
    /// Packets routed through it.
    Forward,
    /// Packets it sends.
    Output,
}

/// A chain: base chains have a hook and a policy; user chains are reached by jumps.
#[derive(Clone, Debug)]
pub struct Chain {
    /// Its name.
    pub name: String,
    /// Its hook, for base chains of the filter table.
    pub hook: Option<Hook>,
    /// Policy of a base chain.
    pub policy: Option<Verdict>,
    /// Rules in order.
    pub rules: Vec<FwRule>,
    /// Where it is declared.
    pub loc: Loc,
}

/// A ruleset, dialect-neutral.
#[derive(Clone, Debug, Default)]
pub struct Ruleset {
    /// `iptables`, `nft` or `pf`.
    pub dialect: String,
    /// The filter chains.
    pub chains: Vec<Chain>,
    /// The conntrack `amanda` helper is attached (`-j CT --helper amanda`, `ct helper set`).
    pub helper: Option<Loc>,
    /// pf `set timeout` values: (name, seconds, where).
    pub timeouts: Vec<(String, f64, Loc)>,
    /// pf's last-match order was already turned into first-match order.
    pub notes: Vec<String>,
    /// Things the parser skipped, with where.
    pub warnings: Vec<Warning>,
}

/// A guessed or derived value for `provenance`.
#[derive(Clone, Debug)]
pub struct Note {
    /// JSON path in the scenario.
    pub path: String,
    /// The value chosen.
    pub value: serde_json::Value,
    /// Why.
    pub why: String,
}

/// The scenario's firewall, with what the mapping had to guess or leave out.
#[derive(Clone, Debug)]
pub struct Mapped {
    /// The firewall.
    pub firewall: FirewallFile,
    /// Guesses.
    pub notes: Vec<Note>,
    /// What could not be mapped.
    pub warnings: Vec<Warning>,
}

/// What the mapping knows of the site.
pub struct Site<'a> {
    /// Zones and name resolution.
    pub zones: &'a Zones,
    /// The server's zone.
    pub server_zone: &'a str,
    /// The server's address, when known.
    pub server_addr: Option<u32>,
    /// Client hosts and their addresses, when known.
    pub clients: &'a [(String, Option<u32>)],
    /// Every zone name, in order.
    pub zone_names: &'a [String],
}

/// One side of a rule, resolved.
enum Side {
    Any,
    Names(Vec<String>),
}

impl Site<'_> {
    /// Scenario names for a network: "server", a host, a zone, several zones, or "any".
    fn names_of(&self, c: &Cidr, notes: &mut Vec<Note>, loc: &Loc) -> Result<Vec<String>, String> {
        if c.len == 32 {
            if self.server_addr == Some(c.addr) {
                return Ok(vec!["server".into()]);
            }
            if let Some((h, _)) = self.clients.iter().find(|(_, ip)| *ip == Some(c.addr)) {
                return Ok(vec![h.clone()]);
            }
        }
        if let Some((zone, net)) = self.zones.zone_of_ip(c.addr).filter(|(_, n)| n.covers(c)) {
            if c.len == 32 && zone == self.server_zone && self.server_addr.is_none() {
                notes.push(Note {
                    path: "firewall.rules".into(),
                    value: serde_json::Value::String("server".into()),
                    why: format!(
                        "{}: {} is a single address in the server's zone and no client's: taken for the server (give --server to say so)",
                        loc.file_line(),
                        Ipv4Addr::from(c.addr)
                    ),
                });
                return Ok(vec!["server".into()]);
            }
            if *c != net {
                notes.push(Note {
                    path: "firewall.rules".into(),
                    value: serde_json::Value::String(zone.clone()),
                    why: format!(
                        "{}: {c} is part of zone {zone} ({net}); the rule is applied to the whole zone",
                        loc.file_line()
                    ),
                });
            }
            return Ok(vec![zone]);
        }
        let nets = self.zones.networks();
        let inside: Vec<String> = nets
            .iter()
            .filter(|(_, n)| c.covers(n))
            .map(|(z, _)| z.clone())
            .collect();
        if c.len == 0 || (!inside.is_empty() && inside.len() == self.zone_names.len()) {
            return Ok(vec!["any".into()]);
        }
        if !inside.is_empty() {
            let mut z = inside;
            z.dedup();
            return Ok(z);
        }
        Err(format!(
            "{c} lies in no zone: add --zone NAME={c} (or a wider network)"
        ))
    }

    fn side(
        &self,
        nets: &[Cidr],
        iface: &Option<String>,
        notes: &mut Vec<Note>,
        loc: &Loc,
    ) -> Result<Side, String> {
        if !nets.is_empty() {
            let mut names = Vec::new();
            for c in nets {
                for n in self.names_of(c, notes, loc)? {
                    if n == "any" {
                        return Ok(Side::Any);
                    }
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
            return Ok(Side::Names(names));
        }
        match iface {
            None => Ok(Side::Any),
            Some(i) => self
                .zones
                .zone_of_iface(i)
                .map(|z| Side::Names(vec![z]))
                .ok_or_else(|| format!("interface {i} belongs to no zone: add --zone NAME=if:{i}")),
        }
    }
}

fn action(v: &Verdict) -> Option<ActionFile> {
    match v {
        Verdict::Accept => Some(ActionFile::Accept),
        Verdict::Drop => Some(ActionFile::Drop),
        Verdict::Reject => Some(ActionFile::Reject),
        _ => None,
    }
}

fn ports(r: &[(u16, u16)]) -> Vec<Option<PortsFile>> {
    if r.is_empty() {
        return vec![None];
    }
    r.iter()
        .map(|&(lo, hi)| {
            Some(if lo == hi {
                PortsFile::One(u32::from(lo))
            } else {
                PortsFile::Range([u32::from(lo), u32::from(hi)])
            })
        })
        .collect()
}

/// Merges a jump's conditions into a rule of the chain it jumps to; `None` when both constrain
/// the same field differently (the scenario cannot express the intersection).
fn merge(jump: &FwRule, r: &FwRule) -> Option<FwRule> {
    fn one<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Option<Vec<T>> {
        match (a.is_empty(), b.is_empty()) {
            (true, _) => Some(b.to_vec()),
            (_, true) => Some(a.to_vec()),
            _ if a == b => Some(a.to_vec()),
            _ => None,
        }
    }
    fn opt<T: Clone + PartialEq>(a: &Option<T>, b: &Option<T>) -> Option<Option<T>> {
        match (a, b) {
            (None, x) | (x, None) => Some(x.clone()),
            (Some(x), Some(y)) if x == y => Some(Some(x.clone())),
            _ => None,
        }
    }
    let proto = match (&jump.proto, &r.proto) {
        (L4::Any, p) | (p, L4::Any) => p.clone(),
        (a, b) if a == b => a.clone(),
        _ => return None,
    };
    let mut m = r.clone();
    m.proto = proto;
    m.src = one(&jump.src, &r.src)?;
    m.dst = one(&jump.dst, &r.dst)?;
    m.sport = one(&jump.sport, &r.sport)?;
    m.dport = one(&jump.dport, &r.dport)?;
    m.iif = opt(&jump.iif, &r.iif)?;
    m.oif = opt(&jump.oif, &r.oif)?;
    m.states = opt(&jump.states, &r.states)?;
    m.unmappable.extend(jump.unmappable.iter().cloned());
    Some(m)
}

impl Ruleset {
    /// Flattens a chain: jumps to user chains are replaced by that chain's rules.
    fn flatten(&self, chain: &Chain, depth: usize, warnings: &mut Vec<Warning>) -> Vec<FwRule> {
        let mut out = Vec::new();
        for r in &chain.rules {
            match &r.verdict {
                Verdict::Jump(target) => {
                    let Some(sub) = self.chains.iter().find(|c| &c.name == target) else {
                        warnings.push(Warning {
                            loc: r.loc.clone(),
                            msg: format!(
                                "jump to chain {target}, which is not in the ruleset; rule skipped"
                            ),
                        });
                        continue;
                    };
                    if depth > 8 {
                        warnings.push(Warning {
                            loc: r.loc.clone(),
                            msg: "jumps nest more than 8 deep; rule skipped".into(),
                        });
                        continue;
                    }
                    for s in self.flatten(sub, depth + 1, warnings) {
                        if s.verdict == Verdict::Return {
                            if s.unconditional() {
                                break;
                            }
                            warnings.push(Warning {
                                loc: s.loc.clone(),
                                msg: "a conditional RETURN cannot be expressed as first-match rules; ignored".into(),
                            });
                            continue;
                        }
                        match merge(r, &s) {
                            Some(m) => out.push(m),
                            None => warnings.push(Warning {
                                loc: s.loc.clone(),
                                msg: format!(
                                    "reached through the jump at {}, whose conditions conflict with this rule's; skipped",
                                    r.loc.file_line()
                                ),
                            }),
                        }
                    }
                }
                _ => out.push(r.clone()),
            }
        }
        out
    }

    /// Maps the ruleset onto the site's zones.
    pub fn map(&self, site: &Site) -> Mapped {
        let mut warnings = self.warnings.clone();
        let mut notes = Vec::new();
        let base = |h: Hook| {
            self.chains
                .iter()
                .filter(move |c| c.hook == Some(h))
                .collect::<Vec<_>>()
        };
        let filters = |c: &&Chain| {
            !c.rules.is_empty() || c.policy.as_ref().is_some_and(|p| *p != Verdict::Accept)
        };
        let forward: Vec<&Chain> = base(Hook::Forward).into_iter().filter(filters).collect();
        let input: Vec<&Chain> = base(Hook::Input).into_iter().filter(filters).collect();
        let (chosen, hook) = match (forward.first(), input.first()) {
            (Some(c), _) => (Some(*c), Hook::Forward),
            (None, Some(c)) => (Some(*c), Hook::Input),
            _ => (None, Hook::Forward),
        };
        let extra_input = if hook == Hook::Input {
            &input[1..]
        } else {
            &[][..]
        };
        for extra in forward.iter().skip(1).chain(extra_input) {
            warnings.push(Warning {
                loc: extra.loc.clone(),
                msg: format!(
                    "chain {} also filters; the scenario holds one filter, so only {} is mapped",
                    extra.name,
                    chosen.map_or("none", |c| c.name.as_str())
                ),
            });
        }
        if hook == Hook::Forward {
            for c in &input {
                warnings.push(Warning {
                    loc: c.loc.clone(),
                    msg: format!(
                        "chain {} filters packets for the firewall itself; the model's filter sits between zones, so it is not mapped",
                        c.name
                    ),
                });
            }
        }
        for c in base(Hook::Output).into_iter().filter(filters) {
            warnings.push(Warning {
                loc: c.loc.clone(),
                msg: format!(
                    "chain {} filters what the firewall sends; not modelled",
                    c.name
                ),
            });
        }
        let Some(chain) = chosen else {
            notes.push(Note {
                path: "firewall.default".into(),
                value: serde_json::json!("accept"),
                why: format!(
                    "the {} ruleset filters nothing in INPUT or FORWARD",
                    self.dialect
                ),
            });
            return Mapped {
                firewall: FirewallFile {
                    default: ActionFile::Accept,
                    rules: Vec::new(),
                    state: None,
                },
                notes,
                warnings,
            };
        };
        notes.push(Note {
            path: "firewall".into(),
            value: serde_json::Value::String(chain.name.clone()),
            why: format!(
                "{}: chain {} is the filter between zones{}",
                chain.loc.file_line(),
                chain.name,
                if hook == Hook::Input {
                    " (INPUT: every packet is for the server)"
                } else {
                    ""
                }
            ),
        });
        let mut default = chain
            .policy
            .as_ref()
            .and_then(action)
            .unwrap_or(ActionFile::Accept);
        let mut rules = Vec::new();
        let mut state: Option<StateFile> = None;
        let mut flat = self.flatten(chain, 0, &mut warnings);
        // A final rule with no condition is the effective policy.
        if let Some(last) = flat.last()
            && last.unconditional()
            && let Some(a) = action(&last.verdict)
        {
            notes.push(Note {
                path: "firewall.default".into(),
                value: serde_json::to_value(a).unwrap_or_default(),
                why: format!(
                    "{}: the last rule matches everything: it is the policy",
                    last.loc.file_line()
                ),
            });
            default = a;
            flat.pop();
        }
        for r in &flat {
            let skip = |warnings: &mut Vec<Warning>, why: String| {
                warnings.push(Warning {
                    loc: r.loc.clone(),
                    msg: format!("{why}; rule skipped"),
                })
            };
            if !r.unmappable.is_empty() {
                skip(&mut warnings, r.unmappable.join("; "));
                continue;
            }
            let proto = match &r.proto {
                L4::Any => ProtoFile::Any,
                L4::Udp => ProtoFile::Udp,
                L4::Tcp => ProtoFile::Tcp,
                L4::Other(p) => {
                    skip(
                        &mut warnings,
                        format!("protocol {p}: the model carries only UDP and TCP"),
                    );
                    continue;
                }
            };
            let Some(act) = action(&r.verdict) else {
                skip(&mut warnings, "RETURN outside a user chain".into());
                continue;
            };
            if let Some(states) = &r.states {
                let replies = states.iter().all(|s| s == "established" || s == "related");
                if replies && act == ActionFile::Accept {
                    if proto == ProtoFile::Tcp {
                        notes.push(Note {
                            path: "firewall.state".into(),
                            value: serde_json::Value::Null,
                            why: format!(
                                "{}: the state rule is TCP-only: UDP replies get no state; the model never filters TCP replies (its data connections go from server to client)",
                                r.loc.file_line()
                            ),
                        });
                    } else if state.is_none() {
                        let kind = if self.helper.is_some() {
                            "conntrack+helper"
                        } else {
                            "conntrack"
                        };
                        notes.push(Note {
                            path: "firewall.state.kind".into(),
                            value: serde_json::Value::String(kind.into()),
                            why: format!(
                                "{}: ESTABLISHED replies accepted: Linux conntrack assumed with a kernel 5.0 or later{}; its addresses and interfaces are not kept (the model's state admits replies of any flow the server's zone opened)",
                                r.loc.file_line(),
                                if self.helper.is_some() { " and the amanda helper attached" } else { "" }
                            ),
                        });
                        state = Some(state_file(kind));
                    }
                    continue;
                }
                if states.iter().all(|s| s == "invalid") {
                    notes.push(Note {
                        path: "firewall.rules".into(),
                        value: serde_json::Value::Null,
                        why: format!(
                            "{}: a rule for INVALID packets: the model sends none; left out",
                            r.loc.file_line()
                        ),
                    });
                    continue;
                }
                warnings.push(Warning {
                    loc: r.loc.clone(),
                    msg: format!(
                        "state {} cannot be expressed: mapped as a stateless rule, which also matches packets of established flows",
                        states.join(",")
                    ),
                });
            }
            let from = match site.side(&r.src, &r.iif, &mut notes, &r.loc) {
                Ok(s) => s,
                Err(e) => {
                    skip(&mut warnings, e);
                    continue;
                }
            };
            let to = if hook == Hook::Input {
                Side::Names(vec!["server".into()])
            } else {
                match site.side(&r.dst, &r.oif, &mut notes, &r.loc) {
                    Ok(s) => s,
                    Err(e) => {
                        skip(&mut warnings, e);
                        continue;
                    }
                }
            };
            if r.keep_state
                && act == ActionFile::Accept
                && proto != ProtoFile::Tcp
                && state.is_none()
            {
                let from_server = match &from {
                    Side::Any => true,
                    Side::Names(n) => n.iter().any(|n| n == "server" || n == site.server_zone),
                };
                if from_server {
                    let mut s = state_file("pf");
                    for (name, secs, loc) in &self.timeouts {
                        let slot = match name.as_str() {
                            "udp.first" => &mut s.first_s,
                            "udp.single" => &mut s.one_way_s,
                            "udp.multiple" => &mut s.two_way_s,
                            "tcp.established" => &mut s.tcp_s,
                            _ => continue,
                        };
                        *slot = Some(*secs);
                        notes.push(Note {
                            path: "firewall.state".into(),
                            value: serde_json::json!(secs),
                            why: format!("{}: set timeout {name}", loc.file_line()),
                        });
                    }
                    notes.push(Note {
                        path: "firewall.state.kind".into(),
                        value: serde_json::Value::String("pf".into()),
                        why: format!(
                            "{}: a pass rule from the server's side keeps state (pf's default): replies of those flows pass",
                            r.loc.file_line()
                        ),
                    });
                    state = Some(s);
                }
            }
            let names = |s: &Side| match s {
                Side::Any => vec!["any".to_string()],
                Side::Names(n) => n.clone(),
            };
            let (froms, tos) = (names(&from), names(&to));
            let (sps, dps) = (ports(&r.sport), ports(&r.dport));
            let count = froms.len() * tos.len() * sps.len() * dps.len();
            let base_name = r.name.clone().unwrap_or_else(|| r.loc.file_line());
            let mut k = 0;
            for f in &froms {
                for t in &tos {
                    for sp in &sps {
                        for dp in &dps {
                            k += 1;
                            rules.push(RuleFile {
                                name: Some(if count > 1 {
                                    format!("{base_name}#{k}")
                                } else {
                                    base_name.clone()
                                }),
                                action: act,
                                proto,
                                from: f.clone(),
                                to: t.clone(),
                                src_ports: *sp,
                                dst_ports: *dp,
                            });
                        }
                    }
                }
            }
        }
        Mapped {
            firewall: FirewallFile {
                default,
                rules,
                state,
            },
            notes,
            warnings,
        }
    }
}

fn state_file(kind: &str) -> StateFile {
    StateFile {
        kind: kind.into(),
        first_s: None,
        one_way_s: None,
        two_way_s: None,
        tcp_s: None,
        master_timeout_s: None,
        expect_timeout_s: None,
        max_entries: None,
        pf_multiple: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::source::SourceText;
    use super::super::zones::{Zones, parse_zone_flag};
    use super::super::{iptables, pf};
    use super::*;

    fn map(rs: &Ruleset) -> Mapped {
        let zones = Zones {
            flags: [
                "DMZ=192.0.2.0/24",
                "LAN=10.1.0.0/24",
                "LAB=10.2.0.0/24",
                "DMZ=if:eth1",
            ]
            .iter()
            .map(|z| parse_zone_flag(z).unwrap())
            .collect(),
            hosts: Vec::new(),
        };
        let clients = vec![(
            "www1".to_string(),
            Some(u32::from(Ipv4Addr::new(192, 0, 2, 10))),
        )];
        let names: Vec<String> = ["LAN", "DMZ", "LAB"].map(String::from).to_vec();
        rs.map(&Site {
            zones: &zones,
            server_zone: "LAN",
            server_addr: Some(u32::from(Ipv4Addr::new(10, 1, 0, 5))),
            clients: &clients,
            zone_names: &names,
        })
    }

    fn ipt(body: &str) -> Mapped {
        let text = format!("*filter\n:FORWARD DROP [0:0]\n:DMZIN - [0:0]\n{body}COMMIT\n");
        map(&iptables::parse(&SourceText::inline("fw", &text)).unwrap())
    }

    #[test]
    fn jumps_are_inlined_with_the_jumps_conditions() {
        let m = ipt(
            "-A FORWARD -i eth1 -j DMZIN\n-A DMZIN -p udp --dport 850:859 -j ACCEPT\n-A DMZIN -j RETURN\n-A DMZIN -p tcp -j ACCEPT\n",
        );
        assert_eq!(m.firewall.rules.len(), 1, "{:?}", m.firewall.rules);
        let r = &m.firewall.rules[0];
        assert_eq!(
            (r.from.as_str(), r.to.as_str(), r.proto),
            ("DMZ", "any", ProtoFile::Udp)
        );
        let m = ipt("-A FORWARD -p tcp -j DMZIN\n-A DMZIN -p udp -j ACCEPT\n");
        assert!(m.firewall.rules.is_empty());
        assert!(m.warnings[0].msg.contains("conflict"), "{:?}", m.warnings);
    }

    #[test]
    fn networks_become_server_hosts_zones_or_any() {
        let m = ipt(
            "-A FORWARD -s 10.0.0.0/8 -d 10.1.0.5/32 -j ACCEPT\n-A FORWARD -s 192.0.2.10 -j ACCEPT\n-A FORWARD -s 0.0.0.0/0 -d 192.0.2.128/25 -j DROP\n-A FORWARD -s 172.16.0.0/12 -j ACCEPT\n",
        );
        let pairs: Vec<(&str, &str)> = m
            .firewall
            .rules
            .iter()
            .map(|r| (r.from.as_str(), r.to.as_str()))
            .collect();
        // 10/8 holds LAN and LAB but not DMZ: one rule each.
        assert_eq!(
            pairs,
            [
                ("LAN", "server"),
                ("LAB", "server"),
                ("www1", "any"),
                ("any", "DMZ")
            ]
        );
        assert!(
            m.notes
                .iter()
                .any(|n| n.why.contains("192.0.2.128/25 is part of zone DMZ"))
        );
        assert!(
            m.warnings
                .iter()
                .any(|w| w.msg.contains("172.16.0.0/12 lies in no zone"))
        );
    }

    #[test]
    fn state_rules_by_protocol_and_helper() {
        let m = ipt("-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n");
        assert_eq!(m.firewall.state.as_ref().unwrap().kind, "conntrack");
        let m = ipt("-A FORWARD -p tcp -m state --state ESTABLISHED -j ACCEPT\n");
        assert!(m.firewall.state.is_none());
        let text = "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p udp --dport 10080 -j CT --helper amanda\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n-A FORWARD -m state --state ESTABLISHED -j ACCEPT\nCOMMIT\n";
        let m = map(&iptables::parse(&SourceText::inline("fw", text)).unwrap());
        assert_eq!(m.firewall.state.as_ref().unwrap().kind, "conntrack+helper");
        let m = ipt("-A FORWARD -m state --state NEW -s 10.1.0.0/24 -j ACCEPT\n");
        assert_eq!(m.firewall.rules.len(), 1);
        assert!(m.warnings[0].msg.contains("state new cannot be expressed"));
    }

    #[test]
    fn pf_keep_state_from_the_server_side_is_a_pf_state_table() {
        let text = "set timeout { udp.first 60, udp.single 30, udp.multiple 60 }\nblock all\npass from 10.1.0.0/24 to 192.0.2.0/24\n";
        let m = map(&pf::parse(&SourceText::inline("pf.conf", text)).unwrap());
        let s = m.firewall.state.as_ref().unwrap();
        assert_eq!(
            (s.kind.as_str(), s.first_s, s.one_way_s, s.two_way_s),
            ("pf", Some(60.0), Some(30.0), Some(60.0))
        );
        assert_eq!(
            m.firewall.default,
            ActionFile::Drop,
            "the trailing block all is the policy"
        );
        assert_eq!(m.firewall.rules.len(), 1);
        let text = "block all\npass from 192.0.2.0/24 to 10.1.0.0/24\n";
        let m = map(&pf::parse(&SourceText::inline("pf.conf", text)).unwrap());
        assert!(
            m.firewall.state.is_none(),
            "state of flows the DMZ opens is not the server's"
        );
    }
}
