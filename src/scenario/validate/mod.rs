//! Validation of a scenario file into the model's types ([`SiteConfig`]), one module per section
//! of the file. The first error wins; each names its JSON path (`hosts[2].disks[0].full_gb`) and
//! where that value came from (the file, or the `--set` that wrote it).

mod firewall;
mod hosts;
mod network;
mod server;
mod workload;

use super::Scenario;
use super::load::InputError;
use super::schema::{PortsFile, ScenarioFile};
use crate::model::ZoneId;
use crate::model::config::SiteConfig;
use crate::model::ports::PortRange;
use crate::sim::SimDuration;

/// Collects the first validation error with its path.
pub(super) struct Check<'a> {
    origin_of: &'a dyn Fn(&str) -> String,
}

impl Check<'_> {
    pub(super) fn fail<T>(&self, path: &str, msg: impl Into<String>) -> Result<T, InputError> {
        Err(InputError::Invalid {
            origin: (self.origin_of)(path),
            path: path.into(),
            msg: msg.into(),
        })
    }

    pub(super) fn port(&self, path: &str, p: u32) -> Result<u16, InputError> {
        u16::try_from(p).or_else(|_| self.fail(path, format!("port {p} is above 65535")))
    }

    pub(super) fn range(&self, path: &str, [lo, hi]: [u32; 2]) -> Result<PortRange, InputError> {
        let (l, h) = (self.port(path, lo)?, self.port(path, hi)?);
        if l > h {
            return self.fail(
                path,
                format!("low port {l} is above high port {h}: write [{h}, {l}]"),
            );
        }
        Ok(PortRange::new(l, h))
    }

    pub(super) fn ports(&self, path: &str, p: Option<PortsFile>) -> Result<PortRange, InputError> {
        match p {
            None => Ok(PortRange::ANY),
            Some(PortsFile::One(p)) => {
                let p = self.port(path, p)?;
                Ok(PortRange::new(p, p))
            }
            Some(PortsFile::Range(r)) => self.range(path, r),
        }
    }

    pub(super) fn secs(&self, path: &str, s: f64) -> Result<SimDuration, InputError> {
        if !(s.is_finite() && s >= 0.0) {
            return self.fail(
                path,
                format!("{s} is not a duration: give seconds, 0 or more"),
            );
        }
        Ok(SimDuration::from_secs_f64(s))
    }

    pub(super) fn positive(&self, path: &str, x: f64, unit: &str) -> Result<f64, InputError> {
        if !(x.is_finite() && x > 0.0) {
            return self.fail(path, format!("{x} must be a number above 0 ({unit})"));
        }
        Ok(x)
    }
}

/// The zone named `name`, by its index in `zones`.
fn zone_id(c: &Check, zones: &[String], path: &str, name: &str) -> Result<ZoneId, InputError> {
    match zones.iter().position(|z| z == name) {
        Some(i) => Ok(ZoneId(i as u8)),
        None => c.fail(
            path,
            format!("unknown zone {name:?}; the zones are {}", zones.join(", ")),
        ),
    }
}

fn zones(c: &Check, names: &[String]) -> Result<Vec<String>, InputError> {
    if names.is_empty() {
        return c.fail("zones", "list at least one zone, e.g. [\"LAN\", \"DMZ\"]");
    }
    let mut zones: Vec<String> = Vec::new();
    for (i, z) in names.iter().enumerate() {
        if zones.contains(z) {
            return c.fail(
                &format!("zones[{i}]"),
                format!("zone {z:?} is listed twice"),
            );
        }
        zones.push(z.clone());
    }
    if zones.len() > 255 {
        return c.fail("zones", "at most 255 zones");
    }
    Ok(zones)
}

/// Validates `f`, section by section in file order; `origin_of` names where a path was set.
pub(super) fn validate(
    f: ScenarioFile,
    default_name: String,
    origin_of: &dyn Fn(&str) -> String,
) -> Result<Scenario, InputError> {
    let c = Check { origin_of };
    let zones = zones(&c, &f.zones)?;
    let server = server::server(&c, &zones, &f.server)?;
    let workload = workload::workload(&c, &f.workload)?;
    let net = network::network(&c, &zones, &f.network)?;
    let (hosts, dles) = hosts::hosts(&c, &zones, &f.hosts, &server, &net)?;
    let firewall = firewall::rules(&c, &zones, &hosts, &f.firewall)?;
    let state = firewall::state(&c, f.firewall.state.as_ref())?;
    let latency = net.latency;
    let links = net.links;
    let config = SiteConfig {
        name: f.name.clone().unwrap_or(default_name),
        description: f.description.clone().unwrap_or_default(),
        seed: f.seed,
        server,
        workload,
        latency,
        links,
        zones,
        firewall,
        state,
        hosts,
        dles,
        exposure: std::sync::OnceLock::new(),
    };
    Ok(Scenario { config, file: f })
}
