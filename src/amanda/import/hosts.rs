//! The scenario's `hosts` with their disks, in disklist order, and each host's zone; what the
//! model cannot express about a DLE (its own dumpcycle, interfaces) is a warning; each DLE's
//! auth goes to [`auth`].

use super::auth;
use super::conf::Conf;
use super::disklist::Entry;
use super::provenance::{Prov, param_err};
use super::server::Server;
use super::source::{ImportError, Loc, SourceText};
use super::zones::{Found, Zones};
use super::{DEFAULT_ESTIMATE_S, DEFAULT_FULL_GB, DEFAULT_RATE_MB_S};
use crate::scenario::schema::{DiskFile, HostFile};
use serde_json::json;

/// Hosts as the disklist gives them, with where each first appears and every `host:disk`.
pub(super) struct Hosts {
    pub(super) hosts: Vec<HostFile>,
    pub(super) lines: Vec<Loc>,
    pub(super) dles: Vec<String>,
    /// Each imported DLE's auth, when the model can express it.
    pub(super) auths: Vec<auth::DleAuth>,
}

/// What a DLE is compared with: the server's settings and the workload's cycle.
pub(super) struct Context<'a> {
    pub(super) conf: &'a Conf,
    pub(super) server: &'a Server,
    pub(super) dumpcycle_days: i64,
    pub(super) nights: u32,
}

/// Builds the hosts and their disks from the disklist; zones come later.
pub(super) fn hosts(
    entries: &[Entry],
    dl_src: &SourceText,
    cx: &Context,
    prov: &mut Prov,
) -> Result<Hosts, ImportError> {
    let mut out = Hosts {
        hosts: Vec::new(),
        lines: Vec::new(),
        dles: Vec::new(),
        auths: Vec::new(),
    };
    for e in entries {
        if skipped(e, prov)? {
            continue;
        }
        if let Some(a) = auth::of(e, cx.server.three(), prov)? {
            out.auths.push(a);
        }
        warn_cycle_and_interface(e, cx, prov)?;
        let maxdumps = match e.dumptype.params.get("maxdumps") {
            Some(p) => {
                let v = p.int("maxdumps")?;
                if v < 1 {
                    return Err(param_err(p, "maxdumps: 1 or more"));
                }
                Some(v as u32)
            }
            None => None,
        };
        out.add(e, maxdumps, dl_src)?;
    }
    if out.hosts.is_empty() {
        return Err(dl_src.syntax(1, 1, "the disklist names no DLE that Amanda would dump"));
    }
    Ok(out)
}

impl Hosts {
    /// Adds the entry's disk to its host, the host first if it is new.
    fn add(
        &mut self,
        e: &Entry,
        maxdumps: Option<u32>,
        dl_src: &SourceText,
    ) -> Result<(), ImportError> {
        let idx = match self.hosts.iter().position(|h| h.name == e.host) {
            Some(i) => i,
            None => {
                self.hosts.push(HostFile {
                    name: e.host.clone(),
                    zone: String::new(),
                    maxdumps: 1,
                    disks: Vec::new(),
                });
                self.lines.push(e.loc.clone());
                self.hosts.len() - 1
            }
        };
        // The host's last disklist line sets maxdumps (MODEL.md section 2).
        self.hosts[idx].maxdumps = maxdumps.unwrap_or(1);
        if self.hosts[idx].disks.iter().any(|d| d.name == e.disk) {
            return Err(dl_src.syntax(
                e.loc.line,
                e.loc.col,
                format!("{}:{} is listed twice", e.host, e.disk),
            ));
        }
        self.hosts[idx].disks.push(DiskFile {
            name: e.disk.clone(),
            full_gb: DEFAULT_FULL_GB,
            rate_mb_s: DEFAULT_RATE_MB_S,
            estimate_s: DEFAULT_ESTIMATE_S,
            spindle: e.spindle,
        });
        self.dles.push(format!("{}:{}", e.host, e.disk));
        Ok(())
    }
}

/// Whether Amanda never dumps the DLE (`strategy skip` or `ignore`); says so when it does not.
fn skipped(e: &Entry, prov: &mut Prov) -> Result<bool, ImportError> {
    let dt = &e.dumptype;
    let skip = dt
        .params
        .get("strategy")
        .is_some_and(|p| p.words().first().map(String::as_str) == Some("skip"));
    let ignore = match dt.params.get("ignore") {
        Some(p) => p.boolean("ignore")?,
        None => false,
    };
    if skip || ignore {
        prov.warn(
            e.loc.clone(),
            format!(
                "{}:{} has {}: Amanda never dumps it, so it is left out",
                e.host,
                e.disk,
                if skip { "strategy skip" } else { "ignore" }
            ),
        );
    }
    Ok(skip || ignore)
}

/// Warns when the DLE has a cycle or an interface rate of its own: the scenario has one of each.
fn warn_cycle_and_interface(e: &Entry, cx: &Context, prov: &mut Prov) -> Result<(), ImportError> {
    if let Some(p) = e.dumptype.params.get("dumpcycle")
        && p.int("dumpcycle")? != cx.dumpcycle_days
    {
        prov.warn(
            p.loc.clone(),
            format!(
                "{}:{}: a dumpcycle of its own; the scenario has one cycle for all DLEs ({} nights)",
                e.host, e.disk, cx.nights
            ),
        );
    }
    let Some(i) = &e.interface else {
        return Ok(());
    };
    let netusage = cx.server.netusage;
    match cx.conf.interfaces.get(&i.to_ascii_lowercase()) {
        None => prov.warn(
            e.loc.clone(),
            format!("interface {i} is not defined in amanda.conf; netusage applies"),
        ),
        Some(sec) => {
            if let Some(u) = sec.params.get("use")
                && u.int("use")? != netusage
            {
                prov.warn(
                    e.loc.clone(),
                    format!(
                        "interface {i} (use {} KB/s): the scenario has one netusage ({netusage} KB/s) for all interfaces",
                        u.int("use")?
                    ),
                );
            }
        }
    }
    Ok(())
}

/// Puts each host in the zone a `--zone` flag gives it, else in the server's zone.
pub(super) fn assign_zones(
    hs: &mut Hosts,
    zs: &Zones,
    server_zone: &str,
    zone_names: &mut Vec<String>,
    prov: &mut Prov,
) {
    for (h, loc) in hs.hosts.iter_mut().zip(&hs.lines) {
        match zs.zone_of(&h.name) {
            Some((z, how)) => {
                let from = match how {
                    Found::Glob(g) => format!("--zone {z}={g}"),
                    Found::Net(ip, c) => format!("{ip} in --zone {z}={c}"),
                };
                prov.read(&format!("hosts[{}].zone", h.name), json!(z), from);
                if !zone_names.contains(&z) {
                    zone_names.push(z.clone());
                }
                h.zone = z;
            }
            None => {
                prov.warn(
                    loc.clone(),
                    format!(
                        "host {}: no --zone matches it (give --hosts or a --zone pattern); put in the server's zone {server_zone}",
                        h.name
                    ),
                );
                prov.guess(
                    &format!("hosts[{}].zone", h.name),
                    json!(server_zone),
                    "no --zone matches the host",
                );
                h.zone = server_zone.to_string();
            }
        }
    }
}

/// States that every DLE's size, rate and estimate time is a default, and which DLEs.
pub(super) fn guess_disk_defaults(dles: &[String], dl_src: &SourceText, prov: &mut Prov) {
    for (path, value) in [
        ("hosts[*].disks[*].full_gb", DEFAULT_FULL_GB),
        ("hosts[*].disks[*].rate_mb_s", DEFAULT_RATE_MB_S),
        ("hosts[*].disks[*].estimate_s", DEFAULT_ESTIMATE_S),
    ] {
        prov.guessed.push(json!({
            "path": path,
            "value": value,
            "why": "no logs read (--log): a stated default",
            "applies_to": dles,
        }));
    }
    prov.warn(
        dl_src.loc(1, 1),
        format!(
            "sizes, rates and estimate times of all {} DLEs are defaults ({DEFAULT_FULL_GB} GB, {DEFAULT_RATE_MB_S} MB/s, {DEFAULT_ESTIMATE_S} s): Amanda's trace logs hold the real ones (give --log)",
            dles.len()
        ),
    );
}
