//! What the real-Amanda lab needs to run a scenario (the contract is
//! `../coord/lab-config-contract.md`): Amanda's files, the server namespace's nft ruleset, the
//! lab's addresses and a `lab.env` the harness sources.
//!
//! The lab is Debian's Amanda 3.5.1 (built with udpportrange 840,860), `auth "bsdudp"` or, when
//! the scenario's `server.auth` says so, `auth "bsdtcp"` (`LAB_AUTH` tells the harness which
//! amandad service each client's inetd runs), nftables on the server namespace's own hooks, every
//! machine on one /24. What it cannot express is refused, naming the field, before anything is
//! written.

use super::addr::Cidr;
use super::{Addressing, EmitError, FwDialect, Placement, conf, firewall, is_3x};
use crate::model::config::PortPolicy;
use crate::model::stateful::{StateConfig, StateKind};
use crate::scenario::Scenario;
use std::fmt::Write;

/// The schema name in `lab.env`.
pub const SCHEMA: &str = "portsim.lab-config/1";

/// The lab's dumptype base, defined by the harness before it includes `amanda-site.conf`.
pub const BASE_DUMPTYPE: &str = "lab-base";

/// Where the lab puts things.
#[derive(Clone, Debug)]
pub struct LabOptions {
    /// The network of the lab's machines.
    pub net: Cidr,
    /// The directory under which each DLE's data directory lies (`ROOT/HOST/dNN`).
    pub data_root: String,
}

const TARGET: &str = "the lab";

fn refuse(field: &str, why: impl Into<String>) -> EmitError {
    EmitError::unsupported(field, TARGET, why)
}

/// Refuses what the lab cannot express.
pub fn check(sc: &Scenario) -> Result<(), EmitError> {
    check_server(sc)?;
    if let Some(st) = sc.state {
        check_state(&st)?;
    }
    check_hosts_and_links(sc)
}

/// Refuses server settings Debian's Amanda 3.5.1 cannot run as the scenario says.
fn check_server(sc: &Scenario) -> Result<(), EmitError> {
    let f = &sc.file.server;
    if !is_3x(sc) {
        return Err(refuse(
            "server.version",
            format!(
                "{:?}: the lab runs Debian's Amanda 3.5.1; set server.version to \"3.5.1\"",
                f.version
            ),
        ));
    }
    match sc.server.range {
        None => {
            return Err(refuse(
                "server.udpportrange",
                "absent: the lab's Amanda is built with 840,860 and would use it; set the range the scenario means (reserved-udp-port)",
            ));
        }
        Some(r) if r.high.0 > 1023 || r.low.0 == 0 => {
            return Err(refuse(
                "server.udpportrange",
                format!(
                    "{}-{}: reserved-udp-port takes ports 1-1023 only (bsdudp clients refuse requests from other ports)",
                    r.low, r.high
                ),
            ));
        }
        Some(_) => {}
    }
    if sc.server.port_policy == PortPolicy::PerRequestFirewalled {
        return Err(refuse(
            "server.reserved_ports",
            "per-request-firewalled is a code change Amanda 3.5.1 does not have",
        ));
    }
    if sc.server.amcheck {
        return Err(refuse(
            "server.amcheck",
            "a real amcheck does not stay up all night holding its port; the lab cannot run what the scenario says: remove it",
        ));
    }
    if f.rescan_limit.is_some() {
        return Err(refuse(
            "server.rescan_limit",
            "a property of Amanda's code (3.5.1 gives up when its descriptor leak runs out), not a setting the lab can change: remove it",
        ));
    }
    Ok(())
}

/// Refuses host names the lab cannot use and links that lose packets.
fn check_hosts_and_links(sc: &Scenario) -> Result<(), EmitError> {
    // Host names go into /etc/hosts, the disklist and namespace names.
    let hostname = |n: &str| {
        !n.is_empty()
            && n.len() <= 63
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && !n.starts_with(['-', '.'])
    };
    if let Some((i, h)) = sc
        .hosts
        .iter()
        .enumerate()
        .find(|(_, h)| !hostname(&h.name))
    {
        return Err(refuse(
            &format!("hosts[{i}].name"),
            format!(
                "{:?} is not a host name (letters, digits, '-' and '.'): rename it",
                h.name
            ),
        ));
    }
    if let Some((i, _)) = sc
        .file
        .network
        .links
        .iter()
        .enumerate()
        .find(|(_, l)| l.loss > 0.0)
    {
        return Err(refuse(
            &format!("network.links[{i}].loss"),
            "the lab's veth pair loses no packets (no netem): set loss to 0",
        ));
    }
    Ok(())
}

fn check_state(st: &StateConfig) -> Result<(), EmitError> {
    match st.kind {
        StateKind::Conntrack | StateKind::ConntrackAmandaHelper => {}
        k => {
            return Err(refuse(
                "firewall.state.kind",
                format!(
                    "{:?}: the lab's filter is nftables on its own kernel; it can run conntrack or conntrack+helper",
                    k.name()
                ),
            ));
        }
    }
    let d = StateConfig::for_kind(st.kind);
    if st.max_entries.is_some() {
        return Err(refuse(
            "firewall.state.max_entries",
            "nf_conntrack_max is the host's, and the lab changes nothing on the host: remove it",
        ));
    }
    if let (Some(h), Some(dh)) = (st.helper, d.helper)
        && h.master_timeout != dh.master_timeout
    {
        return Err(refuse(
            "firewall.state.master_timeout_s",
            "a module parameter of nf_conntrack_amanda, global to the host: remove it (300 s)",
        ));
    }
    Ok(())
}

/// The device path of DLE `i`: `ROOT/HOST/dNN`, NN counting the host's disks from 01.
fn device(sc: &Scenario, root: &str, i: usize) -> String {
    let d = &sc.dles[i];
    let h = &sc.hosts[usize::from(d.host.0)];
    format!("{root}/{}/d{:02}", h.name, i - h.dles.start + 1)
}

/// The files of the lab directory, name and bytes, or the first refusal.
pub fn files(sc: &Scenario, opt: &LabOptions) -> Result<Vec<(String, Vec<u8>)>, EmitError> {
    check(sc)?;
    let addr = Addressing::lab(sc, opt.net)?;
    let fw = firewall(sc, FwDialect::Nft, &addr, Placement::Server)?;
    if !fw.modprobe.is_empty() {
        return Err(refuse(
            "firewall.state",
            "needs nf_conntrack_amanda module parameters, global to the host",
        ));
    }
    let site_conf = conf::amanda_conf(sc, BASE_DUMPTYPE)?;
    let disklist = conf::disklist(sc, |i| Some(device(sc, &opt.data_root, i)));
    let mut dles = String::from("host\tdisk\tdevice\tfull_kb\trate_kbs\testimate_s\tspindle\n");
    for (i, d) in sc.dles.iter().enumerate() {
        let _ = writeln!(
            dles,
            "{}\t{}\t{}\t{:.0}\t{:.0}\t{}\t{}",
            sc.hosts[usize::from(d.host.0)].name,
            d.disk,
            device(sc, &opt.data_root, i),
            d.full_kb,
            d.rate_kbs,
            d.estimate.as_secs_f64(),
            d.spindle
        );
    }
    let mut hosts = format!("{} server.sim server\n", addr.server);
    for (h, a) in sc.hosts.iter().zip(&addr.hosts) {
        let _ = writeln!(hosts, "{a} {}", h.name);
    }
    // A leading line break: the copy of /etc/services it is appended to may lack a final one.
    // bsdudp looks up amanda/udp, bsdtcp amanda/tcp (bsdtcp_connect: `find_port_for_service`).
    let auth = conf::auth(sc);
    let proto = if auth == "bsdtcp" { "tcp" } else { "udp" };
    let mut services = format!(
        "\n# portsim lab-config: {auth} needs amanda/{proto}\namanda          10080/{proto}\n"
    );
    services.push_str(&conf::services(sc));
    let scenario = serde_json::to_string_pretty(&sc.file).expect("a scenario serialises") + "\n";
    Ok(vec![
        ("amanda-site.conf".into(), site_conf.into_bytes()),
        ("disklist".into(), disklist.into_bytes()),
        ("dles.tsv".into(), dles.into_bytes()),
        ("hosts".into(), hosts.into_bytes()),
        ("lab.env".into(), env(sc, &addr, opt).into_bytes()),
        ("nft.conf".into(), fw.ruleset.into_bytes()),
        ("scenario.json".into(), scenario.into_bytes()),
        ("services.add".into(), services.into_bytes()),
        ("sysctl.conf".into(), fw.sysctl.into_bytes()),
    ])
}

/// Single-quotes a shell value.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn env(sc: &Scenario, addr: &Addressing, opt: &LabOptions) -> String {
    let mut o = String::from(
        "# portsim lab-config: source this file (the contract: lab-config-contract.md)\n",
    );
    let mut kv = |k: &str, v: &str| {
        let _ = writeln!(o, "{k}={}", q(v));
    };
    let s = &sc.server;
    let f = &sc.file.server;
    kv("LAB_SCHEMA", SCHEMA);
    kv("LAB_SCENARIO", &sc.name);
    kv("LAB_SEED", &sc.seed.to_string());
    kv("LAB_AUTH", conf::auth(sc));
    kv("LAB_INPARALLEL", &s.inparallel.to_string());
    let r = s.range.expect("checked: the lab needs a range");
    kv("LAB_RANGE", &format!("{},{}", r.low, r.high));
    kv("LAB_NET", &opt.net.to_string());
    kv("LAB_SERVER_IP", &addr.server.to_string());
    kv("LAB_SERVER_ZONE", &sc.zones[usize::from(s.zone.0)]);
    let names: Vec<&str> = sc.hosts.iter().map(|h| h.name.as_str()).collect();
    kv("LAB_HOSTS", &names.join(" "));
    for (i, h) in sc.hosts.iter().enumerate() {
        let n = i + 1;
        kv(&format!("LAB_HOST_{n}_NAME"), &h.name);
        kv(&format!("LAB_HOST_{n}_IP"), &addr.hosts[i].to_string());
        kv(
            &format!("LAB_HOST_{n}_ZONE"),
            &sc.zones[usize::from(h.zone.0)],
        );
        let fwd = sc.firewalled(crate::model::HostId(i as u16));
        kv(
            &format!("LAB_HOST_{n}_FIREWALLED"),
            if fwd { "1" } else { "0" },
        );
        kv(&format!("LAB_HOST_{n}_MAXDUMPS"), &h.maxdumps.to_string());
        kv(&format!("LAB_HOST_{n}_NDLE"), &h.dles.len().to_string());
        // What the links add: the zone's own latency (network.latency_ms) is the veth's part.
        let links_ms = (h.latency.as_secs_f64() - sc.latency.as_secs_f64()) * 1000.0;
        kv(
            &format!("LAB_HOST_{n}_LATENCY_MS"),
            &format!("{}", (links_ms * 1000.0).round() / 1000.0),
        );
    }
    kv("LAB_NDLE", &sc.dles.len().to_string());
    kv("LAB_STATE", sc.state.map_or("none", |st| st.kind.name()));
    let ports: Vec<String> = s.ports_in_use.iter().map(ToString::to_string).collect();
    kv("LAB_PORTS_IN_USE", &ports.join(" "));
    kv("LAB_AMCHECK", if s.amcheck { "1" } else { "0" });
    kv("LAB_CTIMEOUT", &f.ctimeout.to_string());
    kv("LAB_ETIMEOUT", &f.etimeout.to_string());
    kv("LAB_DTIMEOUT", &f.dtimeout.to_string());
    // The narrowest link of any host's path: the harness shapes the client's TCP to it.
    let rate = sc
        .hosts
        .iter()
        .flat_map(|h| h.path.iter())
        .map(|l| sc.links[usize::from(l.0)].link.capacity_kbs)
        .fold(None, |m: Option<f64>, c| Some(m.map_or(c, |m| m.min(c))));
    kv(
        "LAB_RATE_KBIT",
        &rate.map_or(String::new(), |kbs| format!("{:.0}", kbs * 8.0)),
    );
    o
}
