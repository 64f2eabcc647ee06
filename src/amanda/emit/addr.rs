//! Addresses for a scenario's zones, hosts and server, which the scenario itself never holds.
//!
//! A zone becomes a named set of CIDRs (nft set, pf table, inline in iptables); the server and a
//! host named in a rule become single addresses. Without `--zone`/`--host`/`--server-addr`,
//! placeholders come from 198.18.0.0/15 (RFC 2544, never routed): zone `z` is `198.18.z.0/24`,
//! the server `.1` of its zone, hosts `.2` upward in scenario order. Placeholders are listed so
//! that a report can say which addresses are not the site's own.

use super::EmitError;
use crate::scenario::Scenario;
use std::net::Ipv4Addr;

/// An IPv4 network, `addr/len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// Network address (host bits cleared).
    pub addr: Ipv4Addr,
    /// Prefix length, 0-32.
    pub len: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/len` or a bare address (a /32).
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (a, len) = match s.split_once('/') {
            Some((a, l)) => (
                a,
                l.parse::<u8>()
                    .ok()
                    .filter(|&l| l <= 32)
                    .ok_or_else(|| format!("{l:?} is not a prefix length 0-32"))?,
            ),
            None => (s, 32),
        };
        let addr: Ipv4Addr = a.trim().parse().map_err(|_| {
            if a.contains(':') {
                format!("{a:?}: IPv6 is not rendered yet; give an IPv4 network")
            } else {
                format!("{a:?} is not an IPv4 address")
            }
        })?;
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        Ok(Cidr {
            addr: Ipv4Addr::from(u32::from(addr) & mask),
            len,
        })
    }

    /// The `n`th address inside, if it fits.
    pub fn nth(&self, n: u32) -> Option<Ipv4Addr> {
        let size = 1u64 << (32 - u32::from(self.len));
        (u64::from(n) < size).then(|| Ipv4Addr::from(u32::from(self.addr) + n))
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.len == 32 {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.len)
        }
    }
}

/// Where every zone, host and the server sit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addressing {
    /// Networks of each zone, by `ZoneId`.
    pub zones: Vec<Vec<Cidr>>,
    /// The server's address.
    pub server: Ipv4Addr,
    /// Each host's address, by `HostId`.
    pub hosts: Vec<Ipv4Addr>,
    /// Which of these are placeholders, in words, for a report header.
    pub placeholders: Vec<String>,
}

/// Address overrides as typed on the command line.
#[derive(Clone, Debug, Default)]
pub struct AddrArgs {
    /// `NAME=CIDR[,CIDR...]`, one per zone.
    pub zones: Vec<String>,
    /// `NAME=ADDR`, one per host.
    pub hosts: Vec<String>,
    /// The server's address.
    pub server: Option<String>,
}

impl Addressing {
    /// Placeholders for `sc`, then the overrides in `args`.
    pub fn new(sc: &Scenario, args: &AddrArgs) -> Result<Addressing, EmitError> {
        let mut placeholders = Vec::new();
        let zones = zones(sc, &args.zones, &mut placeholders)?;
        let server = match &args.server {
            Some(s) => s.parse().map_err(|_| EmitError::Address {
                arg: format!("--server-addr {s}"),
                msg: "not an IPv4 address".into(),
            })?,
            None => {
                let a = nth_in(&zones[usize::from(sc.server.zone.0)], 1).ok_or_else(|| {
                    EmitError::Address {
                        arg: "--server-addr".into(),
                        msg: "the server's zone is too small for a placeholder: give --server-addr"
                            .into(),
                    }
                })?;
                placeholders.push(format!("server = {a} (placeholder: --server-addr ADDR)"));
                a
            }
        };
        let given = given_hosts(sc, &args.hosts)?;
        let mut next = vec![2u32; zones.len()];
        let mut hosts = Vec::with_capacity(sc.hosts.len());
        for (h, given) in sc.hosts.iter().zip(&given) {
            let z = usize::from(h.zone.0);
            let a = match given {
                Some(a) => *a,
                None => {
                    let a = nth_in(&zones[z], next[z]).ok_or_else(|| EmitError::Address {
                        arg: format!("--host {}", h.name),
                        msg: format!(
                            "zone {} has no room left for a placeholder address: give --host {}=ADDR",
                            sc.zones[z], h.name
                        ),
                    })?;
                    next[z] += 1;
                    a
                }
            };
            hosts.push(a);
        }
        if given.iter().any(Option::is_none) {
            placeholders.push(
                "hosts: placeholder addresses in their zones (--host NAME=ADDR), used only by rules that name a host".into(),
            );
        }
        Ok(Addressing {
            zones,
            server,
            hosts,
            placeholders,
        })
    }

    /// The lab's addressing: every machine on one network `net`, the server `.1`, hosts `.2`
    /// upward in scenario order; each zone is the set of its machines' /32s.
    pub fn lab(sc: &Scenario, net: Cidr) -> Result<Addressing, EmitError> {
        let too_small = || {
            EmitError::unsupported(
                "hosts",
                "the lab",
                format!(
                    "{} hosts and the server do not fit in {net}: give a larger --net",
                    sc.hosts.len()
                ),
            )
        };
        let server = net.nth(1).ok_or_else(too_small)?;
        let mut zones = vec![Vec::new(); sc.zones.len()];
        zones[usize::from(sc.server.zone.0)].push(Cidr {
            addr: server,
            len: 32,
        });
        let mut hosts = Vec::new();
        for (i, h) in sc.hosts.iter().enumerate() {
            // The last address of the network is its broadcast address.
            let a = net
                .nth(i as u32 + 2)
                .filter(|a| Some(*a) != net.nth((1u32 << (32 - u32::from(net.len))) - 1))
                .ok_or_else(too_small)?;
            zones[usize::from(h.zone.0)].push(Cidr { addr: a, len: 32 });
            hosts.push(a);
        }
        Ok(Addressing {
            zones,
            server,
            hosts,
            placeholders: Vec::new(),
        })
    }
}

/// Each zone's networks: from `--zone NAME=CIDR,...`, else a placeholder /24 (noted).
fn zones(
    sc: &Scenario,
    args: &[String],
    placeholders: &mut Vec<String>,
) -> Result<Vec<Vec<Cidr>>, EmitError> {
    let mut zones: Vec<Option<Vec<Cidr>>> = vec![None; sc.zones.len()];
    for z in args {
        let arg = format!("--zone {z}");
        let (name, nets) = z.split_once('=').ok_or_else(|| EmitError::Address {
            arg: arg.clone(),
            msg: "write NAME=CIDR[,CIDR...], e.g. --zone DMZ=192.0.2.0/24".into(),
        })?;
        let i = sc
            .zones
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| EmitError::Address {
                arg: arg.clone(),
                msg: format!("no zone {name:?}; the zones are {}", sc.zones.join(", ")),
            })?;
        let nets = nets
            .split(',')
            .map(Cidr::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|msg| EmitError::Address {
                arg: arg.clone(),
                msg,
            })?;
        zones[i] = Some(nets);
    }
    Ok(zones
        .into_iter()
        .enumerate()
        .map(|(i, z)| {
            z.unwrap_or_else(|| {
                let c = Cidr {
                    addr: Ipv4Addr::new(198, 18, i as u8, 0),
                    len: 24,
                };
                let name = &sc.zones[i];
                placeholders.push(format!(
                    "zone {name} = {c} (placeholder: --zone {name}=CIDR)"
                ));
                vec![c]
            })
        })
        .collect())
}

/// The hosts' addresses given by `--host NAME=ADDR`, by `HostId`.
fn given_hosts(sc: &Scenario, args: &[String]) -> Result<Vec<Option<Ipv4Addr>>, EmitError> {
    let mut given: Vec<Option<Ipv4Addr>> = vec![None; sc.hosts.len()];
    for h in args {
        let arg = format!("--host {h}");
        let (name, a) = h.split_once('=').ok_or_else(|| EmitError::Address {
            arg: arg.clone(),
            msg: "write NAME=ADDR, e.g. --host www1=192.0.2.10".into(),
        })?;
        let i = sc
            .hosts
            .iter()
            .position(|x| x.name == name)
            .ok_or_else(|| EmitError::Address {
                arg: arg.clone(),
                msg: format!("no host {name:?} in the scenario"),
            })?;
        given[i] = Some(a.parse().map_err(|_| EmitError::Address {
            arg,
            msg: format!("{a:?} is not an IPv4 address"),
        })?);
    }
    Ok(given)
}

fn nth_in(nets: &[Cidr], n: u32) -> Option<Ipv4Addr> {
    nets.first().and_then(|c| c.nth(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parses_and_clears_host_bits() {
        let c = Cidr::parse("192.0.2.77/24").unwrap();
        assert_eq!(c.to_string(), "192.0.2.0/24");
        assert_eq!(c.nth(5), Some(Ipv4Addr::new(192, 0, 2, 5)));
        assert_eq!(c.nth(256), None);
        assert_eq!(Cidr::parse("10.0.0.1").unwrap().to_string(), "10.0.0.1");
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("2001:db8::/32").is_err());
    }
}
