//! `where` and `except`: filters of a count, validated against the scenario.

use super::{Ctx, Items, Measure};
use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::scenario::InputError;
use crate::scenario::expect::{DumpersFile, FateFile, FilterFile, PortClassFile};
use std::ops::RangeInclusive;

/// Where an attempt's request left from, relative to the configured `udpportrange`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortClass {
    /// Inside the range.
    InRange,
    /// Bound outside it.
    OutsideRange,
    /// No port at all.
    None,
}

/// A validated `where` or `except`: every field given must match.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Per host index: whether it is selected (hosts, zone and firewalled folded together).
    pub hosts: Option<Vec<bool>>,
    /// Dumper indices.
    pub dumpers: Option<RangeInclusive<u16>>,
    /// Attempt cause.
    pub cause: Option<Cause>,
    /// Attempt outcome.
    pub outcome: Option<Outcome>,
    /// Attempt port class.
    pub port: Option<PortClass>,
    /// DLE fate.
    pub fate: Option<DleFate>,
    /// Amanda's text, `{host}` standing for the host's name.
    pub message: Option<String>,
}

impl Filter {
    /// Whether host `h` passes.
    pub fn host(&self, h: usize) -> bool {
        self.hosts.as_ref().is_none_or(|m| m[h])
    }

    /// Whether dumper `d` passes.
    pub fn dumper(&self, d: u16) -> bool {
        self.dumpers.as_ref().is_none_or(|r| r.contains(&d))
    }

    /// Whether `text` (of host `host`) passes.
    pub fn message(&self, text: &str, host: &str) -> bool {
        self.message
            .as_ref()
            .is_none_or(|m| m.replace("{host}", host) == text)
    }
}

pub(super) fn parse_filter(
    cx: &Ctx,
    at: &str,
    f: &FilterFile,
    measure: Measure,
    items: Items,
) -> Result<Filter, InputError> {
    fields_allowed(cx, at, f, measure, items)?;
    let hosts = host_mask(cx, at, f)?;
    let dumpers = dumper_range(cx, at, f)?;
    if let Some(m) = &f.message
        && m.is_empty()
    {
        return cx.fail(
            &format!("{at}.message"),
            "give Amanda's text, e.g. \"[request timeout]\"",
        );
    }
    Ok(Filter {
        hosts,
        dumpers,
        cause: f.cause,
        outcome: f.outcome,
        port: f.port.map(|p| match p {
            PortClassFile::InRange => PortClass::InRange,
            PortClassFile::OutsideRange => PortClass::OutsideRange,
            PortClassFile::None => PortClass::None,
        }),
        fate: f.fate.map(|x| match x {
            FateFile::Failed => DleFate::Failed,
            FateFile::NotScheduled => DleFate::NotScheduled,
        }),
        message: f.message.clone(),
    })
}

/// Every field given is one the measure's items have, and at least one is given.
fn fields_allowed(
    cx: &Ctx,
    at: &str,
    f: &FilterFile,
    measure: Measure,
    items: Items,
) -> Result<(), InputError> {
    let allowed: &[&str] = match items {
        Items::Attempts => &[
            "hosts",
            "zone",
            "firewalled",
            "dumpers",
            "cause",
            "outcome",
            "port",
            "message",
        ],
        Items::Dles => &["hosts", "zone", "firewalled", "fate", "message"],
        Items::Dumpers => &["dumpers"],
        Items::None => &[],
    };
    let given = [
        ("hosts", f.hosts.is_some()),
        ("zone", f.zone.is_some()),
        ("firewalled", f.firewalled.is_some()),
        ("dumpers", f.dumpers.is_some()),
        ("cause", f.cause.is_some()),
        ("outcome", f.outcome.is_some()),
        ("port", f.port.is_some()),
        ("fate", f.fate.is_some()),
        ("message", f.message.is_some()),
    ];
    if !given.iter().any(|(_, g)| *g) {
        return cx.fail(at, "an empty filter: name at least one field, or remove it");
    }
    for (name, g) in given {
        if g && !allowed.contains(&name) {
            let can = if allowed.is_empty() {
                "it takes no filter".to_string()
            } else {
                format!("it can filter on {}", allowed.join(", "))
            };
            return cx.fail(
                &format!("{at}.{name}"),
                format!("measure {} does not look at {name}: {can}", measure.name()),
            );
        }
    }
    Ok(())
}

/// The hosts `hosts`, `zone` and `firewalled` leave, as a mask by host; None when unnarrowed.
fn host_mask(cx: &Ctx, at: &str, f: &FilterFile) -> Result<Option<Vec<bool>>, InputError> {
    let sc = cx.sc;
    let mut hosts: Option<Vec<bool>> = None;
    let mut narrow = |mask: Vec<bool>| {
        hosts = Some(match hosts.take() {
            None => mask,
            Some(m) => m.iter().zip(&mask).map(|(a, b)| *a && *b).collect(),
        });
    };
    if let Some(names) = &f.hosts {
        if names.is_empty() {
            return cx.fail(&format!("{at}.hosts"), "list at least one host");
        }
        let mut mask = vec![false; sc.hosts.len()];
        for (i, n) in names.iter().enumerate() {
            match sc.hosts.iter().position(|h| &h.name == n) {
                Some(h) => mask[h] = true,
                None => {
                    return cx.fail(
                        &format!("{at}.hosts[{i}]"),
                        format!("no host is named {n:?} in this scenario"),
                    );
                }
            }
        }
        narrow(mask);
    }
    if let Some(z) = &f.zone {
        let Some(zi) = sc.zones.iter().position(|x| x == z) else {
            return cx.fail(
                &format!("{at}.zone"),
                format!("unknown zone {z:?}; the zones are {}", sc.zones.join(", ")),
            );
        };
        narrow(
            sc.hosts
                .iter()
                .map(|h| usize::from(h.zone.0) == zi)
                .collect(),
        );
    }
    if let Some(fw) = f.firewalled {
        narrow(
            (0..sc.hosts.len())
                .map(|h| sc.firewalled(crate::model::HostId(h as u16)) == fw)
                .collect(),
        );
    }
    Ok(hosts)
}

/// The dumpers `dumpers` names, checked against `inparallel`.
fn dumper_range(
    cx: &Ctx,
    at: &str,
    f: &FilterFile,
) -> Result<Option<RangeInclusive<u16>>, InputError> {
    let sc = cx.sc;
    Ok(match f.dumpers {
        None => None,
        Some(d) => {
            let (lo, hi) = match d {
                DumpersFile::One(x) => (x, x),
                DumpersFile::Range([lo, hi]) => (lo, hi),
            };
            let n = u32::from(sc.server.inparallel);
            if lo > hi {
                return cx.fail(
                    &format!("{at}.dumpers"),
                    format!("first dumper {lo} is above last {hi}: write [{hi}, {lo}]"),
                );
            }
            if hi >= n {
                return cx.fail(
                    &format!("{at}.dumpers"),
                    format!(
                        "dumper {hi} does not exist: inparallel is {n} (dumpers 0 to {})",
                        n - 1
                    ),
                );
            }
            Some(lo as u16..=hi as u16)
        }
    })
}
