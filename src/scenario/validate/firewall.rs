//! `firewall`: the rules between zones, and the state table when it is stateful.

use super::Check;
use crate::model::config::Host;
use crate::model::firewall::{Action, AddrMatch, Firewall, Proto, ProtoMatch, Rule};
use crate::model::stateful::{PfMultiple, StateConfig, StateKind};
use crate::model::{HostId, ZoneId};
use crate::scenario::load::InputError;
use crate::scenario::schema::{ActionFile, FirewallFile, PfMultipleFile, ProtoFile, StateFile};
use crate::sim::SimDuration;
use std::collections::HashMap;

/// `from` and `to` of a rule: a zone, a host, "server" or "any".
fn addr(
    c: &Check,
    zones: &[String],
    hosts: &HashMap<&str, HostId>,
    path: &str,
    name: &str,
) -> Result<AddrMatch, InputError> {
    match name {
        "any" => Ok(AddrMatch::Any),
        "server" => Ok(AddrMatch::Server),
        _ => {
            if let Some(z) = zones.iter().position(|z| z == name) {
                Ok(AddrMatch::Zone(ZoneId(z as u8)))
            } else if let Some(&h) = hosts.get(name) {
                Ok(AddrMatch::Host(h))
            } else {
                c.fail(
                    path,
                    format!(
                        "{name:?} is neither a zone ({}), a host, \"server\" nor \"any\"",
                        zones.join(", ")
                    ),
                )
            }
        }
    }
}

pub(super) fn rules(
    c: &Check,
    zones: &[String],
    hosts: &[Host],
    fw: &FirewallFile,
) -> Result<Firewall, InputError> {
    // Host names are unique (checked with the hosts): one map, not a scan per rule.
    let hosts: HashMap<&str, HostId> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_str(), HostId(i as u16)))
        .collect();
    let mut rules = Vec::new();
    for (i, r) in fw.rules.iter().enumerate() {
        let at = format!("firewall.rules[{i}]");
        rules.push(Rule {
            name: r.name.clone().unwrap_or_else(|| format!("rule {i}")),
            action: action(r.action),
            proto: match r.proto {
                ProtoFile::Any => ProtoMatch::Any,
                ProtoFile::Udp => ProtoMatch::Only(Proto::Udp),
                ProtoFile::Tcp => ProtoMatch::Only(Proto::Tcp),
            },
            from: addr(c, zones, &hosts, &format!("{at}.from"), &r.from)?,
            to: addr(c, zones, &hosts, &format!("{at}.to"), &r.to)?,
            src_ports: c.ports(&format!("{at}.src_ports"), r.src_ports)?,
            dst_ports: c.ports(&format!("{at}.dst_ports"), r.dst_ports)?,
        });
    }
    Ok(Firewall {
        rules,
        default: action(fw.default),
    })
}

pub(super) fn state(c: &Check, st: Option<&StateFile>) -> Result<Option<StateConfig>, InputError> {
    let Some(st) = st else {
        return Ok(None);
    };
    let Some(kind) = StateKind::from_name(&st.kind) else {
        let names: Vec<&str> = StateKind::ALL.iter().map(|k| k.name()).collect();
        return c.fail(
            "firewall.state.kind",
            format!(
                "unknown kind {:?}; the kinds are {}",
                st.kind,
                names.join(", ")
            ),
        );
    };
    let mut cfg = StateConfig::for_kind(kind);
    let secs = |name: &str, v: Option<f64>, d: &mut SimDuration| -> Result<(), InputError> {
        if let Some(v) = v {
            *d = c.secs(&format!("firewall.state.{name}"), v)?;
        }
        Ok(())
    };
    secs("first_s", st.first_s, &mut cfg.first)?;
    secs("one_way_s", st.one_way_s, &mut cfg.one_way)?;
    secs("two_way_s", st.two_way_s, &mut cfg.two_way)?;
    secs("tcp_s", st.tcp_s, &mut cfg.tcp)?;
    match &mut cfg.helper {
        Some(h) => {
            secs(
                "master_timeout_s",
                st.master_timeout_s,
                &mut h.master_timeout,
            )?;
            secs(
                "expect_timeout_s",
                st.expect_timeout_s,
                &mut h.expect_timeout,
            )?;
        }
        None if st.master_timeout_s.is_some() || st.expect_timeout_s.is_some() => {
            return c.fail(
                "firewall.state",
                "master_timeout_s and expect_timeout_s belong to the amanda helper: use kind conntrack+helper",
            );
        }
        None => {}
    }
    cfg.max_entries = st.max_entries;
    if let Some(m) = st.pf_multiple {
        if kind != StateKind::Pf {
            return c.fail(
                "firewall.state.pf_multiple",
                "pf_multiple is a pf setting: remove it or use kind pf",
            );
        }
        cfg.pf_multiple = match m {
            PfMultipleFile::BothSent => PfMultiple::BothSent,
            PfMultipleFile::RoundTrip => PfMultiple::RoundTrip,
        };
    }
    if let Err(e) = cfg.validate() {
        return c.fail(&format!("firewall.state.{}", e.field), e.problem);
    }
    Ok(Some(cfg))
}

fn action(a: ActionFile) -> Action {
    match a {
        ActionFile::Accept => Action::Accept,
        ActionFile::Drop => Action::Drop,
        ActionFile::Reject => Action::Reject,
    }
}
