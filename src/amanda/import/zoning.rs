//! Zones and names from the command line: `--zone` flags, the hosts file, and the server's zone,
//! which is the scenario's first zone.

use super::Options;
use super::provenance::Prov;
use super::source::{ImportError, SourceText};
use super::zones::{self, Zones};
use serde_json::json;

/// The zones as given, the server's zone, and the zone names in order of first mention.
pub(super) struct Zoning {
    pub(super) zones: Zones,
    pub(super) server_zone: String,
    pub(super) names: Vec<String>,
}

/// Reads `--zone`, `--hosts` and `--server-zone`.
pub(super) fn zoning(
    opts: &Options,
    inputs: &mut Vec<String>,
    prov: &mut Prov,
) -> Result<Zoning, ImportError> {
    let mut zs = Zones::default();
    for z in &opts.zones {
        zs.flags.push(zones::parse_zone_flag(z)?);
    }
    if let Some(h) = &opts.hosts {
        let src = SourceText::read(h, "hosts file (--hosts)")?;
        inputs.push(src.path.display().to_string());
        zs.hosts = zones::parse_hosts(&src)?;
    }
    let server_zone = match &opts.server_zone {
        Some(z) => {
            prov.read("server.zone", json!(z), "--server-zone".into());
            z.clone()
        }
        None => {
            prov.guess(
                "server.zone",
                json!("LAN"),
                "no --server-zone: the schema's default",
            );
            "LAN".into()
        }
    };
    let mut names = vec![server_zone.clone()];
    for f in &zs.flags {
        if !names.contains(&f.zone) {
            names.push(f.zone.clone());
        }
    }
    Ok(Zoning {
        zones: zs,
        server_zone,
        names,
    })
}
