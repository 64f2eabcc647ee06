//! Network sides of a rule: addresses and interfaces to "server", a host, zones or "any".

use super::Note;
use crate::amanda::import::source::Loc;
use crate::amanda::import::zones::Cidr;
use crate::amanda::import::zones::Zones;
use std::net::Ipv4Addr;

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
pub(super) enum Side {
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

    /// The scenario names for a rule's networks, or its interface when it has none.
    pub(super) fn side(
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
