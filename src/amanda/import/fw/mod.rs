//! The firewall as the three dialects describe it (chains, addresses, ports, states), and its
//! mapping to the scenario's zone-to-zone rules.
//!
//! The scenario's filter is one ordered list, first match wins, between zones; so one chain is
//! taken (FORWARD when it filters anything, else INPUT, where every packet is for the server),
//! jumps to user chains are inlined, address lists and port lists become one rule per
//! combination, networks become zones, and `ESTABLISHED`/`keep state` become `firewall.state`.

mod flatten;
mod map;
mod site;

use super::source::{Loc, Warning};
use super::zones::Cidr;
use crate::scenario::schema::FirewallFile;
pub use site::Site;

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

    /// It matches every packet.
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

#[cfg(test)]
mod tests {
    use super::super::source::SourceText;
    use super::super::zones::{Zones, parse_zone_flag};
    use super::super::{iptables, pf};
    use super::*;
    use crate::scenario::schema::{ActionFile, ProtoFile};
    use std::net::Ipv4Addr;

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
