//! The scenario's `firewall`: the site's ruleset read in its own dialect and mapped onto zones;
//! without one, nothing is filtered.

use super::fw::{self, Ruleset};
use super::provenance::{Prov, flag_err};
use super::source::{ImportError, SourceText};
use super::zoning::Zoning;
use super::{FirewallFormat, Options, iptables, nft, pf};
use crate::scenario::schema::{ActionFile, FirewallFile, HostFile};
use serde_json::{Value, json};

/// Reads `--firewall` (if any) and maps it onto the site's zones and hosts.
pub(super) fn firewall(
    opts: &Options,
    zoning: &Zoning,
    hosts: &[HostFile],
    inputs: &mut Vec<String>,
    prov: &mut Prov,
) -> Result<FirewallFile, ImportError> {
    let Some(path) = &opts.firewall else {
        prov.guess(
            "firewall",
            json!({"default": "accept", "rules": []}),
            "no --firewall: nothing is filtered",
        );
        return Ok(FirewallFile {
            default: ActionFile::Accept,
            rules: Vec::new(),
            state: None,
        });
    };
    let src = SourceText::read(path, "firewall ruleset (--firewall)")?;
    inputs.push(src.path.display().to_string());
    let rs = ruleset(opts, &src, prov)?;
    for n in &rs.notes {
        prov.guess("firewall.rules", Value::Null, n.clone());
    }
    let zs = &zoning.zones;
    let server_addr = match &opts.server {
        None => None,
        Some(s) => Some(
            zs.address(s)
                .ok_or_else(|| {
                    flag_err(
                        &format!("--server {s}"),
                        "neither an IPv4 address nor a name in --hosts",
                    )
                })?
                .0,
        ),
    };
    let clients: Vec<(String, Option<u32>)> = hosts
        .iter()
        .map(|h| (h.name.clone(), zs.address(&h.name).map(|a| a.0)))
        .collect();
    let mapped = rs.map(&fw::Site {
        zones: zs,
        server_zone: &zoning.server_zone,
        server_addr,
        clients: &clients,
        zone_names: &zoning.names,
    });
    for n in mapped.notes {
        prov.guess(&n.path, n.value, n.why);
    }
    prov.warnings.extend(mapped.warnings);
    Ok(mapped.firewall)
}

/// Parses the ruleset in the dialect given, or sniffed (and then said so).
fn ruleset(opts: &Options, src: &SourceText, prov: &mut Prov) -> Result<Ruleset, ImportError> {
    let format = match opts.firewall_format {
        Some(f) => f,
        None => {
            let f = FirewallFormat::sniff(&src.text);
            prov.guess(
                "firewall",
                json!(f.name()),
                format!(
                    "{}: format sniffed (--firewall-format says it)",
                    src.path.display()
                ),
            );
            f
        }
    };
    match format {
        FirewallFormat::Iptables => iptables::parse(src),
        FirewallFormat::Nft => nft::parse(src),
        FirewallFormat::Pf => pf::parse(src),
    }
}
