//! Each imported DLE's size, rate and estimate time from Amanda's records of past nights
//! ([`super::records`]), or its stated default. How several nights combine, per DLE:
//!
//! - size (`full_gb`): the latest night's level-0 dump (`kb`): sizes drift one way, so the newest
//!   full dump is the best guess for tonight's; a median would lag behind a growing disk. With no
//!   full dump logged, the latest level-0 estimate of the driver (`ckb`).
//! - rate (`rate_mb_s`): the median `kps` of every dump logged, any level: a rate is a property of
//!   the client and the network that one busy night (or one tiny incremental) should not set, and
//!   the median ignores such outliers where a mean would not.
//! - estimate time (`estimate_s`): per amdump log, the time the planner had the last of a host's
//!   estimates, divided by the rounds sendsize needs for the host's DLEs (`maxdumps` at a time),
//!   so that the model's packing of equal estimates gives the host's logged estimate phase; the
//!   median across nights. It includes the network's round trips, and retries when a firewall
//!   lost replies: import the logs of good nights.

use super::provenance::Prov;
use super::records::{Dle, Records};
use super::source::SourceText;
use super::{DEFAULT_ESTIMATE_S, DEFAULT_FULL_GB, DEFAULT_RATE_MB_S};
use crate::model::measures::median;
use crate::scenario::schema::HostFile;
use serde_json::json;
use std::collections::BTreeMap;

/// KB per GB, as Amanda counts (1024-byte KB).
const KB_PER_GB: f64 = 1024.0 * 1024.0;

/// The DLEs whose value of one field no record gives.
#[derive(Default)]
struct Defaulted {
    full_gb: Vec<String>,
    rate_mb_s: Vec<String>,
    estimate_s: Vec<String>,
}

/// Sets every DLE's size, rate and estimate time from the records; states the rest as defaults.
pub(super) fn apply(hosts: &mut [HostFile], rec: &Records, dl_src: &SourceText, prov: &mut Prov) {
    let rounds = estimate_rounds(hosts, rec);
    let mut def = Defaulted::default();
    for h in hosts.iter_mut() {
        for d in &mut h.disks {
            let key: Dle = (h.name.clone(), d.name.clone());
            let name = format!("{}:{}", h.name, d.name);
            let path = format!("hosts[{}].disks[{}]", h.name, d.name);
            match size(rec, &key) {
                Some((gb, from)) => {
                    d.full_gb = gb;
                    prov.read(&format!("{path}.full_gb"), json!(gb), from);
                }
                None => def.full_gb.push(name.clone()),
            }
            match rate(rec, &key) {
                Some((mb_s, from)) => {
                    d.rate_mb_s = mb_s;
                    prov.read(&format!("{path}.rate_mb_s"), json!(mb_s), from);
                }
                None => def.rate_mb_s.push(name.clone()),
            }
            match estimate(rec, &key, &rounds) {
                Some((s, from)) => {
                    d.estimate_s = s;
                    prov.read(&format!("{path}.estimate_s"), json!(s), from);
                }
                None => def.estimate_s.push(name),
            }
        }
    }
    state_defaults(&def, dl_src, prov);
    warn_unknown(hosts, rec, prov);
}

/// The latest night's level-0 dump, else the latest level-0 estimate.
fn size(rec: &Records, key: &Dle) -> Option<(f64, String)> {
    let fulls: Vec<_> = rec
        .dumps
        .get(key)
        .into_iter()
        .flatten()
        .filter(|d| d.level == 0)
        .collect();
    // max_by keeps the last of equals: the later line of the same night.
    if let Some(f) = fulls.iter().max_by(|a, b| a.night.cmp(&b.night)) {
        return Some((
            f.kb / KB_PER_GB,
            format!(
                "{}: level 0, {} KB, night {} (the latest of {} full dumps logged)",
                f.loc.file_line(),
                f.kb,
                f.night,
                fulls.len()
            ),
        ));
    }
    let est = rec
        .sizes
        .get(key)?
        .iter()
        .max_by(|a, b| a.night.cmp(&b.night))?;
    Some((
        est.kb / KB_PER_GB,
        format!(
            "{}: the driver's level-0 estimate, {} KB, night {} (no full dump logged)",
            est.loc.file_line(),
            est.kb,
            est.night
        ),
    ))
}

/// The median `kps` of every dump logged.
fn rate(rec: &Records, key: &Dle) -> Option<(f64, String)> {
    let dumps: Vec<_> = rec.dumps.get(key)?.iter().filter(|d| d.kps > 0.0).collect();
    let m = median(dumps.iter().map(|d| d.kps).collect())?;
    let lines: Vec<String> = dumps.iter().map(|d| d.loc.file_line()).collect();
    Some((
        m / 1024.0,
        format!(
            "median kps {m} of {} dumps: {}",
            dumps.len(),
            lines.join(", ")
        ),
    ))
}

/// Per (host, amdump log): when the planner had the host's last estimate, and how many rounds
/// of `maxdumps` estimates sendsize needed for the DLEs it estimated.
fn estimate_rounds(hosts: &[HostFile], rec: &Records) -> BTreeMap<(String, usize), (f64, f64)> {
    let mut per: BTreeMap<(String, usize), (f64, u32)> = BTreeMap::new();
    for ((host, _), results) in &rec.estimates {
        for r in results {
            let e = per.entry((host.clone(), r.night)).or_insert((0.0, 0));
            e.0 = e.0.max(r.time);
            e.1 += 1;
        }
    }
    per.into_iter()
        .map(|((host, night), (last, n))| {
            let m = hosts
                .iter()
                .find(|h| h.name == host)
                .map_or(1, |h| h.maxdumps.max(1));
            ((host, night), (last, f64::from(n.div_ceil(m))))
        })
        .collect()
}

/// The median across nights of the host's estimate phase per sendsize round.
fn estimate(
    rec: &Records,
    key: &Dle,
    rounds: &BTreeMap<(String, usize), (f64, f64)>,
) -> Option<(f64, String)> {
    let results = rec.estimates.get(key)?;
    let per_night: Vec<(f64, String)> = results
        .iter()
        .filter_map(|r| {
            let (last, k) = rounds.get(&(key.0.clone(), r.night))?;
            (*last > 0.0).then(|| {
                (
                    last / k,
                    format!(
                        "{}: the host's estimates in by {last} s, {k} round(s)",
                        r.loc.file_line()
                    ),
                )
            })
        })
        .collect();
    let m = median(per_night.iter().map(|(v, _)| *v).collect())?;
    let from: Vec<String> = per_night.into_iter().map(|(_, f)| f).collect();
    Some((m, format!("median over nights: {}", from.join("; "))))
}

/// One `provenance.guessed` entry per field still at its default, naming the DLEs.
fn state_defaults(def: &Defaulted, dl_src: &SourceText, prov: &mut Prov) {
    let fields = [
        (
            "full_gb",
            DEFAULT_FULL_GB,
            &def.full_gb,
            "no level-0 dump or estimate",
        ),
        ("rate_mb_s", DEFAULT_RATE_MB_S, &def.rate_mb_s, "no dump"),
        (
            "estimate_s",
            DEFAULT_ESTIMATE_S,
            &def.estimate_s,
            "no `got result` line of the planner (amdump logs hold them)",
        ),
    ];
    for (field, value, dles, what) in fields {
        if dles.is_empty() {
            continue;
        }
        prov.guessed.push(json!({
            "path": format!("hosts[*].disks[*].{field}"),
            "value": value,
            "why": format!("{what} in the logs given (--log): a stated default"),
            "applies_to": dles,
        }));
        prov.warn(
            dl_src.loc(1, 1),
            format!(
                "{field} of {} DLEs is the default {value}: {what} in the logs given (see provenance.guessed)",
                dles.len()
            ),
        );
    }
}

/// A record of a DLE the import does not have: a warning where the logs first name it.
fn warn_unknown(hosts: &[HostFile], rec: &Records, prov: &mut Prov) {
    for ((host, disk), loc) in rec.first_locs() {
        let known = hosts
            .iter()
            .any(|h| h.name == host && h.disks.iter().any(|d| d.name == disk));
        if !known {
            prov.warn(
                loc,
                format!(
                    "{host}:{disk} is not among the imported DLEs (not in the disklist, or never dumped there); its records are not used"
                ),
            );
        }
    }
}
