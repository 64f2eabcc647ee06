//! The packet filter between zones: ordered rules, first match wins, then a default policy.
//!
//! Like iptables or a Cisco ACL, rules are directional (from, to) and are tried in order; the
//! verdict names the rule that decided it. Packets between two machines of one zone never reach
//! the filter. REJECT is kept apart from DROP in verdicts, though Amanda's unconnected UDP
//! sockets cannot tell them apart.

use super::ports::{Port, PortRange};
use super::{HostId, Node, ZoneId};
use serde::Serialize;

/// What the filter does with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Let it through.
    Accept,
    /// Discard it silently.
    Drop,
    /// Discard it with an ICMP error.
    Reject,
}

impl Action {
    /// Whether the packet reaches its destination.
    pub fn passes(self) -> bool {
        self == Action::Accept
    }
}

/// Transport protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// Datagrams: Amanda's requests and replies.
    Udp,
    /// Streams: a dump's data, message and index connections.
    Tcp,
}

/// Which protocols a rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtoMatch {
    /// Both.
    Any,
    /// Only this one.
    Only(Proto),
}

/// Which machines a rule's side matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrMatch {
    /// Anything.
    Any,
    /// Every machine of a zone.
    Zone(ZoneId),
    /// One client host.
    Host(HostId),
    /// The Amanda server.
    Server,
}

/// One rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Name shown in verdicts.
    pub name: String,
    /// Verdict when it matches.
    pub action: Action,
    /// Protocols matched.
    pub proto: ProtoMatch,
    /// Source machines.
    pub from: AddrMatch,
    /// Destination machines.
    pub to: AddrMatch,
    /// Source ports.
    pub src_ports: PortRange,
    /// Destination ports.
    pub dst_ports: PortRange,
}

/// A packet's header as the filter sees it, with the zones of its ends.
#[derive(Clone, Copy, Debug)]
pub struct Header {
    /// Protocol.
    pub proto: Proto,
    /// Sender.
    pub src: Node,
    /// Sender's zone.
    pub src_zone: ZoneId,
    /// Sender's port.
    pub src_port: Port,
    /// Receiver.
    pub dst: Node,
    /// Receiver's zone.
    pub dst_zone: ZoneId,
    /// Receiver's port.
    pub dst_port: Port,
}

/// What decided a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decider {
    /// Both ends in one zone: the filter never saw it.
    SameZone,
    /// The rule at this index.
    Rule(usize),
    /// No rule matched.
    Default,
    /// The state table: the reply of this live entry.
    State(u32),
    /// The state table is full: a new flow is refused.
    StateFull,
    /// The amanda helper drops a reply whose expectation another master holds.
    HelperClash(u32),
    /// A reply riding the server's established TCP connection (`auth "bsdtcp"`): a filter
    /// that passes TCP after the SYN never judges it.
    Connection,
}

/// The filter's answer for one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// What happened to the packet.
    pub action: Action,
    /// Why.
    pub by: Decider,
}

/// An ordered rule list with a default policy.
#[derive(Clone, Debug)]
pub struct Firewall {
    /// Rules, tried in order.
    pub rules: Vec<Rule>,
    /// Verdict when none matches.
    pub default: Action,
}

impl AddrMatch {
    fn matches(self, node: Node, zone: ZoneId) -> bool {
        match self {
            AddrMatch::Any => true,
            AddrMatch::Zone(z) => z == zone,
            AddrMatch::Host(h) => node == Node::Host(h),
            AddrMatch::Server => node == Node::Server,
        }
    }
}

impl Rule {
    /// Whether this rule applies to the packet.
    pub fn matches(&self, h: &Header) -> bool {
        (match self.proto {
            ProtoMatch::Any => true,
            ProtoMatch::Only(p) => p == h.proto,
        }) && self.from.matches(h.src, h.src_zone)
            && self.to.matches(h.dst, h.dst_zone)
            && self.src_ports.contains(h.src_port)
            && self.dst_ports.contains(h.dst_port)
    }
}

impl Firewall {
    /// The verdict for a packet: same zone passes; otherwise the first matching rule, or the default.
    pub fn evaluate(&self, h: &Header) -> Verdict {
        if h.src_zone == h.dst_zone {
            return Verdict {
                action: Action::Accept,
                by: Decider::SameZone,
            };
        }
        match self.rules.iter().position(|r| r.matches(h)) {
            Some(i) => Verdict {
                action: self.rules[i].action,
                by: Decider::Rule(i),
            },
            None => Verdict {
                action: self.default,
                by: Decider::Default,
            },
        }
    }

    /// A verdict's decider in words: the rule's name, "default" or "same-zone".
    pub fn describe(&self, by: Decider) -> String {
        match by {
            Decider::SameZone => "same-zone".into(),
            Decider::Default => "default".into(),
            Decider::Rule(i) => self.rules[i].name.clone(),
            Decider::State(e) => format!("state #{e}"),
            Decider::StateFull => "state table full".into(),
            Decider::HelperClash(e) => format!("amanda helper: expectation held by #{e}"),
            Decider::Connection => "established TCP connection (bsdtcp)".into(),
        }
    }

    /// Server UDP ports that one packet from `zone` with source port `src_port` may reach.
    pub fn reachable_udp_ports(&self, from: ZoneId, server_zone: ZoneId, src_port: Port) -> u32 {
        (0..=u16::MAX)
            .filter(|&p| {
                self.evaluate(&Header {
                    proto: Proto::Udp,
                    src: Node::Outside,
                    src_zone: from,
                    src_port,
                    dst: Node::Server,
                    dst_zone: server_zone,
                    dst_port: Port(p),
                })
                .action
                .passes()
            })
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAN: ZoneId = ZoneId(0);
    const DMZ: ZoneId = ZoneId(1);

    fn incident() -> Firewall {
        Firewall {
            rules: vec![
                Rule {
                    name: "amanda-replies".into(),
                    action: Action::Accept,
                    proto: ProtoMatch::Only(Proto::Udp),
                    from: AddrMatch::Zone(DMZ),
                    to: AddrMatch::Server,
                    src_ports: PortRange::new(10080, 10080),
                    dst_ports: PortRange::new(850, 859),
                },
                Rule {
                    name: "lan-out".into(),
                    action: Action::Accept,
                    proto: ProtoMatch::Any,
                    from: AddrMatch::Zone(LAN),
                    to: AddrMatch::Zone(DMZ),
                    src_ports: PortRange::ANY,
                    dst_ports: PortRange::ANY,
                },
            ],
            default: Action::Drop,
        }
    }

    fn reply(dst_port: u16) -> Header {
        Header {
            proto: Proto::Udp,
            src: Node::Host(HostId(3)),
            src_zone: DMZ,
            src_port: Port(10080),
            dst: Node::Server,
            dst_zone: LAN,
            dst_port: Port(dst_port),
        }
    }

    #[test]
    fn first_match_wins_and_names_its_rule() {
        let fw = incident();
        let v = fw.evaluate(&reply(855));
        assert_eq!(v.action, Action::Accept);
        assert_eq!(fw.describe(v.by), "amanda-replies");
        let v = fw.evaluate(&reply(860));
        assert_eq!((v.action, v.by), (Action::Drop, Decider::Default));
        assert_eq!(fw.describe(v.by), "default");
    }

    #[test]
    fn same_zone_never_reaches_the_filter() {
        let mut h = reply(40000);
        h.src_zone = LAN;
        assert_eq!(fw_default_drop().evaluate(&h).by, Decider::SameZone);
    }

    fn fw_default_drop() -> Firewall {
        Firewall {
            rules: vec![],
            default: Action::Drop,
        }
    }

    #[test]
    fn outbound_is_allowed_and_a_spoofed_source_port_matters() {
        let fw = incident();
        assert_eq!(fw.reachable_udp_ports(DMZ, LAN, Port(10080)), 10);
        assert_eq!(fw.reachable_udp_ports(DMZ, LAN, Port(53)), 0);
        let out = Header {
            proto: Proto::Tcp,
            src: Node::Server,
            src_zone: LAN,
            src_port: Port(40000),
            dst: Node::Host(HostId(0)),
            dst_zone: DMZ,
            dst_port: Port(50000),
        };
        assert!(fw.evaluate(&out).action.passes());
    }
}
