//! `server`: the version profile, `inparallel`, the range and the ports around it.

use super::{Check, zone_id};
use crate::model::config::{PlannerBinding, PortPolicy, Server};
use crate::model::driver::Order;
use crate::model::ports::Port;
use crate::model::version::{Exhausted, VERSION_NAMES, Version};
use crate::scenario::load::InputError;
use crate::scenario::schema::{PlannerBindingFile, PortPolicyFile, ServerFile};

pub(super) fn server(c: &Check, zones: &[String], s: &ServerFile) -> Result<Server, InputError> {
    let Some(version) = Version::parse(&s.version) else {
        return c.fail(
            "server.version",
            format!(
                "unknown version {:?}; supported: {}",
                s.version,
                VERSION_NAMES.join(", ")
            ),
        );
    };
    let profile = version.profile();
    if s.inparallel == 0 || s.inparallel > profile.max_inparallel {
        return c.fail(
            "server.inparallel",
            format!(
                "inparallel = {}: Amanda {} accepts 1 to {}",
                s.inparallel, s.version, profile.max_inparallel
            ),
        );
    }
    let range = match s.udpportrange {
        None => None,
        Some(r) => Some(c.range("server.udpportrange", r)?),
    };
    let dumporder = dumporder(c, &s.dumporder)?;
    let ports_in_use = ports_in_use(c, s)?;
    let services = services(c, s)?;
    let mut profile = profile;
    if let Some(limit) = s.rescan_limit {
        match &mut profile.exhausted {
            Exhausted::Rescan { limit: l, .. } => *l = limit,
            Exhausted::Fallback => {
                return c.fail(
                    "server.rescan_limit",
                    format!("Amanda {} falls back instead of rescanning: remove rescan_limit or use 2.5.2+", s.version),
                );
            }
        }
    }
    if s.reserved_ports == PortPolicyFile::PerRequestFirewalled && range.is_none() {
        return c.fail(
            "server.reserved_ports",
            "per-request-firewalled needs a server.udpportrange to reserve ports from",
        );
    }
    Ok(Server {
        amcheck: s.amcheck,
        port_policy: port_policy(s.reserved_ports),
        profile,
        services,
        zone: zone_id(c, zones, "server.zone", &s.zone)?,
        inparallel: s.inparallel as u16,
        range,
        dumporder,
        netusage_kbs: c.positive("server.netusage", s.netusage, "KB/s")?,
        ctimeout: c.secs("server.ctimeout", s.ctimeout)?,
        etimeout: c.secs("server.etimeout", s.etimeout.abs())?,
        etimeout_per_host: s.etimeout < 0.0,
        dtimeout: c.secs("server.dtimeout", s.dtimeout)?,
        ports_in_use,
        planner: planner(s.planner),
    })
}

fn dumporder(c: &Check, letters: &str) -> Result<Vec<Order>, InputError> {
    let mut dumporder = Vec::new();
    for ch in letters.chars() {
        match Order::from_letter(ch) {
            Some(o) => dumporder.push(o),
            None => {
                return c.fail(
                    "server.dumporder",
                    format!("letter {ch:?} is not one of t T s S b B"),
                );
            }
        }
    }
    Ok(dumporder)
}

/// Ports other processes hold.
fn ports_in_use(c: &Check, s: &ServerFile) -> Result<Vec<Port>, InputError> {
    let mut ports_in_use = Vec::new();
    for (i, p) in s.ports_in_use.iter().enumerate() {
        ports_in_use.push(Port(
            c.port(&format!("server.ports_in_use[{i}].port"), p.port)?,
        ));
    }
    Ok(ports_in_use)
}

/// The services database: (port, name).
fn services(c: &Check, s: &ServerFile) -> Result<Vec<(Port, String)>, InputError> {
    let mut services = Vec::new();
    for (i, sv) in s.services.iter().enumerate() {
        services.push((
            Port(c.port(&format!("server.services[{i}].port"), sv.port)?),
            sv.name.clone(),
        ));
    }
    Ok(services)
}

fn port_policy(p: PortPolicyFile) -> PortPolicy {
    match p {
        PortPolicyFile::PerDumper => PortPolicy::PerDumper,
        PortPolicyFile::PerRequestFirewalled => PortPolicy::PerRequestFirewalled,
    }
}

fn planner(p: PlannerBindingFile) -> PlannerBinding {
    match p {
        PlannerBindingFile::BeforeDumpers => PlannerBinding::BeforeDumpers,
        PlannerBindingFile::AfterDumpers => PlannerBinding::AfterDumpers,
        PlannerBindingFile::Unmodelled => PlannerBinding::Unmodelled,
    }
}
