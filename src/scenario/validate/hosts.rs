//! `hosts`: client hosts, their disklist entries, and each host's path to the server.

use super::network::Net;
use super::{Check, zone_id};
use crate::model::config::{Dle, Host, Server};
use crate::model::network::{LinkId, find_path};
use crate::model::{HostId, ZoneId};
use crate::scenario::load::InputError;
use crate::scenario::schema::HostFile;
use std::collections::HashSet;

pub(super) fn hosts(
    c: &Check,
    zones: &[String],
    files: &[HostFile],
    server: &Server,
    net: &Net,
) -> Result<(Vec<Host>, Vec<Dle>), InputError> {
    if files.is_empty() {
        return c.fail("hosts", "list at least one host with at least one disk (under hosts, or made by host_templates)");
    }
    if files.len() > usize::from(u16::MAX) {
        return c.fail("hosts", "too many hosts (at most 65535)");
    }
    let mut hosts: Vec<Host> = Vec::with_capacity(files.len());
    let mut dles: Vec<Dle> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::with_capacity(files.len());
    for (i, h) in files.iter().enumerate() {
        let at = format!("hosts[{i}]");
        named(c, zones, &seen, &at, h)?;
        seen.insert(&h.name);
        let first = dles.len();
        for (j, d) in h.disks.iter().enumerate() {
            let dp = format!("{at}.disks[{j}]");
            dles.push(Dle {
                host: HostId(i as u16),
                disk: d.name.clone(),
                full_kb: c.positive(&format!("{dp}.full_gb"), d.full_gb, "GB")? * 1024.0 * 1024.0,
                rate_kbs: c.positive(&format!("{dp}.rate_mb_s"), d.rate_mb_s, "MB/s")? * 1024.0,
                estimate: c.secs(&format!("{dp}.estimate_s"), d.estimate_s)?,
                spindle: d.spindle,
            });
        }
        let zone = zone_id(c, zones, &format!("{at}.zone"), &h.zone)?;
        let path = path(c, &at, h, server.zone, zone, net)?;
        let latency = path.iter().fold(net.latency, |t, l| {
            t + net.links[usize::from(l.0)].link.latency
        });
        let survival = path
            .iter()
            .map(|l| 1.0 - net.links[usize::from(l.0)].link.loss)
            .product();
        hosts.push(Host {
            name: h.name.clone(),
            zone,
            maxdumps: h.maxdumps,
            dles: first..dles.len(),
            path,
            latency,
            survival,
        });
    }
    Ok((hosts, dles))
}

/// The host's name (not one of `seen`), disks and `maxdumps`, before its DLEs are read.
fn named(
    c: &Check,
    zones: &[String],
    seen: &HashSet<&str>,
    at: &str,
    h: &HostFile,
) -> Result<(), InputError> {
    if h.name.is_empty() || h.name == "server" || h.name == "any" || zones.contains(&h.name) {
        return c.fail(
            &format!("{at}.name"),
            format!(
                "{:?} cannot name a host: it is empty or names a zone, \"server\" or \"any\"",
                h.name
            ),
        );
    }
    if seen.contains(h.name.as_str()) {
        return c.fail(
            &format!("{at}.name"),
            format!("host {:?} is listed twice", h.name),
        );
    }
    if h.disks.is_empty() {
        return c.fail(
            &format!("{at}.disks"),
            format!(
                "host {:?} has no disks: add at least one DLE or remove the host",
                h.name
            ),
        );
    }
    if h.maxdumps == 0 {
        return c.fail(&format!("{at}.maxdumps"), "maxdumps must be 1 or more");
    }
    Ok(())
}

/// The links between the server and the host's zone, in order.
fn path(
    c: &Check,
    at: &str,
    h: &HostFile,
    server_zone: ZoneId,
    zone: ZoneId,
    net: &Net,
) -> Result<Vec<LinkId>, InputError> {
    let from = net.server_node.unwrap_or(server_zone);
    // Without links the network is flat: every zone reaches every other directly.
    let path = if net.edges.is_empty() {
        Some(Vec::new())
    } else {
        find_path(&net.edges, from, zone)
    };
    let Some(path) = path else {
        return c.fail(
            &format!("{at}.zone"),
            format!(
                "no network path joins the server to zone {:?}: add a link in network.links",
                h.zone
            ),
        );
    };
    Ok(path)
}
