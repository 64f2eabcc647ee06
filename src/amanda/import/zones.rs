//! Zones from the command line: `--zone NAME=CIDR`, `--zone NAME=*.glob` (host names) and
//! `--zone NAME=if:IFACE` (firewall interfaces), with host names resolved through a hosts file
//! in /etc/hosts format (`--hosts FILE`).

use super::source::{ImportError, Loc, SourceText};
use std::net::Ipv4Addr;

/// An IPv4 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// Network address (host bits cleared).
    pub addr: u32,
    /// Prefix length, 0-32.
    pub len: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/24` or a bare address (a /32).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, len) = match s.split_once('/') {
            Some((a, l)) => (a, l.parse::<u8>().ok().filter(|l| *l <= 32)?),
            None => (s, 32),
        };
        let ip: Ipv4Addr = a.parse().ok()?;
        Some(Cidr::new(u32::from(ip), len))
    }

    /// The network of `addr` with `len` prefix bits.
    pub fn new(addr: u32, len: u8) -> Cidr {
        Cidr {
            addr: addr & Self::mask(len),
            len,
        }
    }

    fn mask(len: u8) -> u32 {
        if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len))
        }
    }

    /// Whether `ip` lies in it.
    pub fn contains(&self, ip: u32) -> bool {
        ip & Self::mask(self.len) == self.addr
    }

    /// Whether all of `other` lies in it.
    pub fn covers(&self, other: &Cidr) -> bool {
        other.len >= self.len && self.contains(other.addr)
    }

    /// Whether the two share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.covers(other) || other.covers(self)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.len)
    }
}

/// What a `--zone` value selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneSpec {
    /// Addresses in a network.
    Net(Cidr),
    /// Host names matching a shell glob (`*`, `?`), case-insensitive.
    Glob(String),
    /// Packets entering or leaving the firewall on this interface.
    Iface(String),
}

/// One `--zone` flag.
#[derive(Clone, Debug)]
pub struct ZoneFlag {
    /// The zone's name.
    pub zone: String,
    /// What it selects.
    pub spec: ZoneSpec,
}

/// Parses `NAME=CIDR`, `NAME=GLOB` or `NAME=if:IFACE`.
pub fn parse_zone_flag(raw: &str) -> Result<ZoneFlag, ImportError> {
    let err = |msg: &str| ImportError::Flag {
        flag: format!("--zone {raw}"),
        msg: msg.to_string(),
    };
    let Some((zone, spec)) = raw.split_once('=') else {
        return Err(err(
            "write NAME=CIDR, NAME=*.domain or NAME=if:IFACE, e.g. --zone DMZ=192.0.2.0/24",
        ));
    };
    let zone = zone.trim();
    if zone.is_empty() || zone.eq_ignore_ascii_case("server") || zone.eq_ignore_ascii_case("any") {
        return Err(err(
            "name the zone (not `server` or `any`, which rules use for themselves)",
        ));
    }
    let spec = spec.trim();
    let spec = if let Some(i) = spec.strip_prefix("if:") {
        if i.is_empty() {
            return Err(err("if: needs an interface name, e.g. if:eth1"));
        }
        ZoneSpec::Iface(i.to_string())
    } else if spec.contains('*') || spec.contains('?') {
        ZoneSpec::Glob(spec.to_ascii_lowercase())
    } else if let Some(c) = Cidr::parse(spec) {
        ZoneSpec::Net(c)
    } else {
        return Err(err(&format!(
            "`{spec}` is neither a network (192.0.2.0/24), a name pattern (*.dmz.example.com) nor if:IFACE"
        )));
    };
    Ok(ZoneFlag {
        zone: zone.to_string(),
        spec,
    })
}

/// A hosts-file line.
#[derive(Clone, Debug)]
pub struct HostsEntry {
    /// The address.
    pub ip: u32,
    /// Canonical name and aliases, lower case.
    pub names: Vec<String>,
    /// Where.
    pub loc: Loc,
}

/// Reads /etc/hosts format: `ADDRESS NAME [ALIAS...]`, `#` comments; IPv6 lines are skipped.
pub fn parse_hosts(src: &SourceText) -> Result<Vec<HostsEntry>, ImportError> {
    let mut out = Vec::new();
    for (i, raw) in src.text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(addr) = fields.next() else { continue };
        let col = raw.find(addr).map_or(1, |b| raw[..b].chars().count() + 1);
        if addr.contains(':') {
            continue;
        }
        let Ok(ip) = addr.parse::<Ipv4Addr>() else {
            return Err(src.syntax(
                i + 1,
                col,
                format!(
                    "`{addr}` is not an IPv4 address: a hosts line reads ADDRESS NAME [ALIAS...]"
                ),
            ));
        };
        let names: Vec<String> = fields.map(str::to_ascii_lowercase).collect();
        if names.is_empty() {
            return Err(src.syntax(
                i + 1,
                col + addr.chars().count(),
                "a host name is expected after the address",
            ));
        }
        out.push(HostsEntry {
            ip: u32::from(ip),
            names,
            loc: src.loc(i + 1, col),
        });
    }
    Ok(out)
}

/// Shell-glob match of `*` and `?`, case-insensitive.
pub fn glob_match(pat: &str, name: &str) -> bool {
    let p: Vec<char> = pat.to_ascii_lowercase().chars().collect();
    let n: Vec<char> = name.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The zones and name resolution an import works with.
#[derive(Clone, Debug, Default)]
pub struct Zones {
    /// The `--zone` flags, in order.
    pub flags: Vec<ZoneFlag>,
    /// The hosts file's entries.
    pub hosts: Vec<HostsEntry>,
}

/// How a host's zone was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// Its name matched `--zone NAME=GLOB`.
    Glob(String),
    /// Its address lies in `--zone NAME=CIDR`.
    Net(Ipv4Addr, Cidr),
}

impl Zones {
    /// The address of a host name: the hosts file (name or alias; a short name also matches a
    /// hosts name's first label), or the name itself when it is an address.
    pub fn address(&self, name: &str) -> Option<(u32, Option<Loc>)> {
        if let Ok(ip) = name.parse::<Ipv4Addr>() {
            return Some((u32::from(ip), None));
        }
        let lower = name.to_ascii_lowercase();
        let exact = self.hosts.iter().find(|h| h.names.contains(&lower));
        let short = || {
            self.hosts.iter().find(|h| {
                !lower.contains('.')
                    && h.names
                        .iter()
                        .any(|n| n.split('.').next() == Some(lower.as_str()))
            })
        };
        exact.or_else(short).map(|h| (h.ip, Some(h.loc.clone())))
    }

    /// The zone a host lies in: globs first (in flag order), then the narrowest network that
    /// holds its address.
    pub fn zone_of(&self, name: &str) -> Option<(String, Found)> {
        for f in &self.flags {
            if let ZoneSpec::Glob(g) = &f.spec
                && glob_match(g, name)
            {
                return Some((f.zone.clone(), Found::Glob(g.clone())));
            }
        }
        let (ip, _) = self.address(name)?;
        self.zone_of_ip(ip)
            .map(|(z, c)| (z, Found::Net(Ipv4Addr::from(ip), c)))
    }

    /// The zone whose narrowest network holds `ip`.
    pub fn zone_of_ip(&self, ip: u32) -> Option<(String, Cidr)> {
        self.flags
            .iter()
            .filter_map(|f| match f.spec {
                ZoneSpec::Net(c) if c.contains(ip) => Some((f.zone.clone(), c)),
                _ => None,
            })
            .max_by_key(|(_, c)| c.len)
    }

    /// The zone of a firewall interface.
    pub fn zone_of_iface(&self, iface: &str) -> Option<String> {
        self.flags.iter().find_map(|f| match &f.spec {
            ZoneSpec::Iface(i) if i == iface => Some(f.zone.clone()),
            ZoneSpec::Iface(i) if i.ends_with('+') && iface.starts_with(&i[..i.len() - 1]) => {
                Some(f.zone.clone())
            }
            _ => None,
        })
    }

    /// Zone networks: (zone, network), in flag order.
    pub fn networks(&self) -> Vec<(String, Cidr)> {
        self.flags
            .iter()
            .filter_map(|f| match f.spec {
                ZoneSpec::Net(c) => Some((f.zone.clone(), c)),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_arithmetic() {
        let lan = Cidr::parse("10.1.0.0/24").unwrap();
        assert!(lan.contains(u32::from(Ipv4Addr::new(10, 1, 0, 5))));
        assert!(!lan.contains(u32::from(Ipv4Addr::new(10, 1, 1, 5))));
        assert!(Cidr::parse("10.0.0.0/8").unwrap().covers(&lan));
        assert!(!lan.covers(&Cidr::parse("10.0.0.0/8").unwrap()));
        assert_eq!(Cidr::parse("10.1.0.77/24").unwrap(), lan);
        assert!(Cidr::parse("10.1.0.0/33").is_none());
    }

    #[test]
    fn zone_flags() {
        assert_eq!(
            parse_zone_flag("DMZ=*.dmz.example.com").unwrap().spec,
            ZoneSpec::Glob("*.dmz.example.com".into())
        );
        assert_eq!(
            parse_zone_flag("DMZ=if:eth1").unwrap().spec,
            ZoneSpec::Iface("eth1".into())
        );
        assert!(parse_zone_flag("DMZ").is_err());
        assert!(parse_zone_flag("server=10.0.0.0/8").is_err());
        assert!(parse_zone_flag("DMZ=www1").is_err());
    }

    #[test]
    fn hosts_file_and_globs_resolve_names() {
        let src = SourceText::inline(
            "hosts",
            "# comment\n127.0.0.1 localhost\n::1 ip6-localhost\n192.0.2.10 www1.dmz.example.com www1 # web\n10.1.0.20 db1.example.com\n",
        );
        let z = Zones {
            flags: vec![
                parse_zone_flag("DMZ=192.0.2.0/24").unwrap(),
                parse_zone_flag("LAN=10.1.0.0/16").unwrap(),
                parse_zone_flag("LAB=*.lab.example.com").unwrap(),
            ],
            hosts: parse_hosts(&src).unwrap(),
        };
        assert_eq!(z.zone_of("www1").unwrap().0, "DMZ");
        assert_eq!(z.zone_of("db1").unwrap().0, "LAN");
        assert_eq!(z.zone_of("x.lab.example.com").unwrap().0, "LAB");
        assert_eq!(z.zone_of("10.1.3.3").unwrap().0, "LAN");
        assert!(z.zone_of("nowhere").is_none());
        let e = parse_hosts(&SourceText::inline("hosts", "10.0.0.300 x\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("hosts:1:1: `10.0.0.300` is not an IPv4 address"),
            "{e}"
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("*.dmz.example.com", "WWW1.dmz.example.com"));
        assert!(glob_match("ws??", "ws01"));
        assert!(!glob_match("ws??", "ws1"));
        assert!(glob_match("*", ""));
    }
}
