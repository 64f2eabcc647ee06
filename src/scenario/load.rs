//! Reading, `--set` overrides and validation: from JSON text to a [`Scenario`].
//!
//! Every error names where the bad input came from (the file, or the `--set` argument), the
//! JSON path inside it, and what would be accepted. Nothing is run until all of it is valid.

use super::schema::{
    ActionFile, PlannerBindingFile, PortPolicyFile, PortsFile, ProtoFile, ScenarioFile,
};
use super::{Scenario, builtin};
use crate::model::config::{
    Dle, Host, NetLink, PlannerBinding, PortPolicy, Server, SiteConfig, Workload,
};
use crate::model::driver::Order;
use crate::model::firewall::{Action, AddrMatch, Firewall, Proto, ProtoMatch, Rule};
use crate::model::network::{Link, LinkId, find_path};
use crate::model::ports::{Port, PortRange};
use crate::model::stateful::{PfMultiple, StateConfig, StateKind};
use crate::model::version::{Exhausted, VERSION_NAMES, Version};
use crate::model::{HostId, ZoneId};
use crate::sim::SimDuration;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where a scenario comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The built-in incident.
    Builtin,
    /// A file.
    File(PathBuf),
}

impl Source {
    /// How errors name this source.
    pub fn label(&self) -> String {
        match self {
            Source::Builtin => "<built-in tokyo.json>".into(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// Bad input: the run never starts. Exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("{file}: cannot read the scenario: {source}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not JSON.
    #[error("{file}:{line}:{column}: not valid JSON: {msg}")]
    Syntax {
        /// The file.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// The parser's words.
        msg: String,
    },
    /// A value is wrong.
    #[error("{origin}: {path}: {msg}")]
    Invalid {
        /// The file, or `--set ARG`.
        origin: String,
        /// JSON path of the bad value.
        path: String,
        /// What is wrong and what is allowed.
        msg: String,
    },
    /// A `--set` argument is malformed or names nothing.
    #[error("--set {arg}: {msg}")]
    Set {
        /// The argument as given.
        arg: String,
        /// What is wrong.
        msg: String,
    },
}

/// One `--set path=value` override.
#[derive(Clone, Debug)]
pub struct SetArg {
    /// The argument as typed.
    pub raw: String,
    /// Path segments.
    pub path: Vec<String>,
    /// The value: JSON if it parses, else a string.
    pub value: Value,
}

impl SetArg {
    /// Parses `path=value`; the value is JSON (`[850,875]`, `20`, `true`) or a bare string.
    pub fn parse(raw: &str) -> Result<SetArg, InputError> {
        let Some((path, value)) = raw.split_once('=') else {
            return Err(InputError::Set {
                arg: raw.into(),
                msg: "expected path=value, e.g. server.inparallel=10".into(),
            });
        };
        let path: Vec<String> = path.trim().split('.').map(str::to_string).collect();
        if path.iter().any(String::is_empty) {
            return Err(InputError::Set {
                arg: raw.into(),
                msg: "the path has an empty segment; write e.g. server.udpportrange".into(),
            });
        }
        let value = serde_json::from_str(value.trim())
            .unwrap_or_else(|_| Value::String(value.trim().to_string()));
        Ok(SetArg {
            raw: raw.into(),
            path,
            value,
        })
    }

    /// The path as serde reports it: `hosts[3].zone`.
    fn dotted(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            if seg.parse::<usize>().is_ok() {
                out.push_str(&format!("[{seg}]"));
            } else {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(seg);
            }
        }
        out
    }
}

/// Applies `--set` arguments to a scenario tree, in order, without validating the result.
pub fn with_sets(mut root: Value, sets: &[String]) -> Result<Value, InputError> {
    for s in sets {
        apply(&mut root, &SetArg::parse(s)?)?;
    }
    Ok(root)
}

/// Applies one override to the JSON tree, creating missing objects along the way.
fn apply(root: &mut Value, s: &SetArg) -> Result<(), InputError> {
    let err = |msg: String| InputError::Set {
        arg: s.raw.clone(),
        msg,
    };
    let mut cur = root;
    for (i, seg) in s.path.iter().enumerate() {
        let last = i + 1 == s.path.len();
        let here = s.path[..i].join(".");
        cur = match cur {
            Value::Object(map) => {
                if last {
                    map.insert(seg.clone(), s.value.clone());
                    return Ok(());
                }
                map.entry(seg.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            Value::Array(items) => {
                let n = items.len();
                let idx: usize = seg.parse().map_err(|_| {
                    err(format!(
                        "{here} is a list: index it with a number from 0 to {}",
                        n.saturating_sub(1)
                    ))
                })?;
                let slot = items.get_mut(idx).ok_or_else(|| {
                    err(format!(
                        "{here} has {n} entries: index {idx} is out of range"
                    ))
                })?;
                if last {
                    *slot = s.value.clone();
                    return Ok(());
                }
                slot
            }
            _ => {
                return Err(err(format!(
                    "{here} is a single value; it has no field {seg:?}"
                )));
            }
        };
    }
    Ok(())
}

/// Reads a scenario's JSON text as a tree, before any validation; a file that names a `base`
/// comes back merged with it ([`super::base`]).
pub fn read(source: &Source) -> Result<Value, InputError> {
    let label = source.label();
    let text = match source {
        Source::Builtin => builtin::TOKYO.to_string(),
        Source::File(p) => std::fs::read_to_string(p).map_err(|e| InputError::Read {
            file: label.clone(),
            source: e,
        })?,
    };
    let tree = serde_json::from_str(&text).map_err(|e| InputError::Syntax {
        file: label,
        line: e.line(),
        column: e.column(),
        msg: e.to_string(),
    })?;
    super::base::resolve(source, tree)
}

/// Reads, overrides and validates a scenario.
pub fn load(source: &Source, sets: &[String]) -> Result<Scenario, InputError> {
    load_value(source, read(source)?, sets)
}

/// Overrides and validates a scenario tree read from `source` (or transformed from it).
pub fn load_value(
    source: &Source,
    mut root: Value,
    sets: &[String],
) -> Result<Scenario, InputError> {
    let label = source.label();
    let sets = sets
        .iter()
        .map(|s| SetArg::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    for s in &sets {
        apply(&mut root, s)?;
    }
    let origin_of = |path: &str| -> String {
        sets.iter()
            .rev()
            .find(|s| {
                let d = s.dotted();
                path == d
                    || path.starts_with(&format!("{d}."))
                    || path.starts_with(&format!("{d}["))
                    || d.starts_with(&format!("{path}."))
                    || d.starts_with(&format!("{path}["))
            })
            .map(|s| format!("--set {}", s.raw))
            .unwrap_or_else(|| label.clone())
    };
    let file: ScenarioFile = serde_path_to_error::deserialize(root).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde names the unknown field in its message; point the origin at it too.
        let origin = match unknown_field(&inner) {
            Some(f) if path == "." => origin_of(&f),
            Some(f) => origin_of(&format!("{path}.{f}")),
            None => origin_of(&path),
        };
        InputError::Invalid {
            origin,
            path: if path == "." {
                "(top level)".into()
            } else {
                path
            },
            msg: inner,
        }
    })?;
    let default_name = match source {
        Source::Builtin => builtin::TOKYO_NAME.to_string(),
        Source::File(p) => stem(p),
    };
    validate(file, default_name, &origin_of)
}

fn unknown_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into())
}

/// Collects the first validation error with its path.
struct Check<'a> {
    origin_of: &'a dyn Fn(&str) -> String,
}

impl Check<'_> {
    fn fail<T>(&self, path: &str, msg: impl Into<String>) -> Result<T, InputError> {
        Err(InputError::Invalid {
            origin: (self.origin_of)(path),
            path: path.into(),
            msg: msg.into(),
        })
    }

    fn port(&self, path: &str, p: u32) -> Result<u16, InputError> {
        u16::try_from(p).or_else(|_| self.fail(path, format!("port {p} is above 65535")))
    }

    fn range(&self, path: &str, [lo, hi]: [u32; 2]) -> Result<PortRange, InputError> {
        let (l, h) = (self.port(path, lo)?, self.port(path, hi)?);
        if l > h {
            return self.fail(
                path,
                format!("low port {l} is above high port {h}: write [{h}, {l}]"),
            );
        }
        Ok(PortRange::new(l, h))
    }

    fn ports(&self, path: &str, p: Option<PortsFile>) -> Result<PortRange, InputError> {
        match p {
            None => Ok(PortRange::ANY),
            Some(PortsFile::One(p)) => {
                let p = self.port(path, p)?;
                Ok(PortRange::new(p, p))
            }
            Some(PortsFile::Range(r)) => self.range(path, r),
        }
    }

    fn secs(&self, path: &str, s: f64) -> Result<SimDuration, InputError> {
        if !(s.is_finite() && s >= 0.0) {
            return self.fail(
                path,
                format!("{s} is not a duration: give seconds, 0 or more"),
            );
        }
        Ok(SimDuration::from_secs_f64(s))
    }

    fn positive(&self, path: &str, x: f64, unit: &str) -> Result<f64, InputError> {
        if !(x.is_finite() && x > 0.0) {
            return self.fail(path, format!("{x} must be a number above 0 ({unit})"));
        }
        Ok(x)
    }
}

fn validate(
    f: ScenarioFile,
    default_name: String,
    origin_of: &dyn Fn(&str) -> String,
) -> Result<Scenario, InputError> {
    let c = Check { origin_of };
    // Zones.
    if f.zones.is_empty() {
        return c.fail("zones", "list at least one zone, e.g. [\"LAN\", \"DMZ\"]");
    }
    let mut zones: Vec<String> = Vec::new();
    for (i, z) in f.zones.iter().enumerate() {
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
    let zone_id = |path: &str, name: &str| -> Result<ZoneId, InputError> {
        match zones.iter().position(|z| z == name) {
            Some(i) => Ok(ZoneId(i as u8)),
            None => c.fail(
                path,
                format!("unknown zone {name:?}; the zones are {}", zones.join(", ")),
            ),
        }
    };
    // Server.
    let s = &f.server;
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
    let mut dumporder = Vec::new();
    for ch in s.dumporder.chars() {
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
    let mut ports_in_use = Vec::new();
    for (i, p) in s.ports_in_use.iter().enumerate() {
        ports_in_use.push(Port(
            c.port(&format!("server.ports_in_use[{i}].port"), p.port)?,
        ));
    }
    let mut services = Vec::new();
    for (i, sv) in s.services.iter().enumerate() {
        services.push((
            Port(c.port(&format!("server.services[{i}].port"), sv.port)?),
            sv.name.clone(),
        ));
    }
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
    let server = Server {
        amcheck: s.amcheck,
        port_policy: port_policy(s.reserved_ports),
        profile,
        services,
        zone: zone_id("server.zone", &s.zone)?,
        inparallel: s.inparallel as u16,
        range,
        dumporder,
        netusage_kbs: c.positive("server.netusage", s.netusage, "KB/s")?,
        ctimeout: c.secs("server.ctimeout", s.ctimeout)?,
        etimeout: c.secs("server.etimeout", s.etimeout)?,
        dtimeout: c.secs("server.dtimeout", s.dtimeout)?,
        ports_in_use,
        planner: planner(s.planner),
    };
    // Workload.
    let w = &f.workload;
    if w.dumpcycle == 0 {
        return c.fail("workload.dumpcycle", "dumpcycle must be 1 or more nights");
    }
    let [lo, hi] = w.incremental_fraction;
    if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
        return c.fail(
            "workload.incremental_fraction",
            format!("[{lo}, {hi}] must be two fractions with 0 <= low <= high <= 1"),
        );
    }
    if !(w.jitter.is_finite() && (0.0..=2.0).contains(&w.jitter)) {
        return c.fail(
            "workload.jitter",
            format!("{} must be between 0 and 2", w.jitter),
        );
    }
    let workload = Workload {
        dumpcycle: w.dumpcycle,
        incremental_fraction: (lo, hi),
        jitter: w.jitter,
        sendbackup_startup: c.secs("workload.sendbackup_startup_s", w.sendbackup_startup_s)?,
    };
    let ms = |path: &str, x: f64| -> Result<SimDuration, InputError> {
        Ok(SimDuration::from_secs_f64(
            c.secs(path, x)?.as_secs_f64() / 1000.0,
        ))
    };
    let latency = ms("network.latency_ms", f.network.latency_ms)?;
    // Network graph: zones are nodes 0..z; "server" is node z when a link names it.
    let server_node = ZoneId(zones.len() as u8);
    let names_server = f
        .network
        .links
        .iter()
        .any(|l| l.between.iter().any(|e| e == "server"));
    let mut links = Vec::new();
    let mut edges = Vec::new();
    for (i, l) in f.network.links.iter().enumerate() {
        let at = format!("network.links[{i}]");
        let mut ends = [ZoneId(0); 2];
        for (k, e) in l.between.iter().enumerate() {
            ends[k] = if e == "server" {
                server_node
            } else {
                zone_id(&format!("{at}.between[{k}]"), e)?
            };
        }
        if ends[0] == ends[1] {
            return c.fail(&format!("{at}.between"), "a link joins two different zones");
        }
        if !(l.loss.is_finite() && (0.0..1.0).contains(&l.loss)) {
            return c.fail(
                &format!("{at}.loss"),
                format!("{} must be a chance in [0, 1)", l.loss),
            );
        }
        let link = Link::new(
            c.positive(&format!("{at}.capacity_mb_s"), l.capacity_mb_s, "MB/s")? * 1024.0,
            ms(&format!("{at}.latency_ms"), l.latency_ms)?,
        )
        .with_loss(l.loss);
        edges.push((ends[0], ends[1], LinkId(i as u16)));
        links.push(NetLink {
            name: l
                .name
                .clone()
                .unwrap_or_else(|| format!("{}-{}", l.between[0], l.between[1])),
            link,
        });
    }
    // Hosts.
    if f.hosts.is_empty() {
        return c.fail("hosts", "list at least one host with at least one disk");
    }
    if f.hosts.len() > usize::from(u16::MAX) {
        return c.fail("hosts", "too many hosts (at most 65535)");
    }
    let mut hosts: Vec<Host> = Vec::new();
    let mut dles: Vec<Dle> = Vec::new();
    for (i, h) in f.hosts.iter().enumerate() {
        let at = format!("hosts[{i}]");
        if h.name.is_empty() || h.name == "server" || h.name == "any" || zones.contains(&h.name) {
            return c.fail(
                &format!("{at}.name"),
                format!(
                    "{:?} cannot name a host: it is empty or names a zone, \"server\" or \"any\"",
                    h.name
                ),
            );
        }
        if hosts.iter().any(|o| o.name == h.name) {
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
        let zone = zone_id(&format!("{at}.zone"), &h.zone)?;
        let from = if names_server {
            server_node
        } else {
            server.zone
        };
        // Without links the network is flat: every zone reaches every other directly.
        let path = if edges.is_empty() {
            Some(Vec::new())
        } else {
            find_path(&edges, from, zone)
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
        let latency = path
            .iter()
            .fold(latency, |t, l| t + links[usize::from(l.0)].link.latency);
        let survival = path
            .iter()
            .map(|l| 1.0 - links[usize::from(l.0)].link.loss)
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
    // Firewall.
    let addr = |path: &str, name: &str| -> Result<AddrMatch, InputError> {
        match name {
            "any" => Ok(AddrMatch::Any),
            "server" => Ok(AddrMatch::Server),
            _ => {
                if let Some(z) = zones.iter().position(|z| z == name) {
                    Ok(AddrMatch::Zone(ZoneId(z as u8)))
                } else if let Some(h) = hosts.iter().position(|h| h.name == name) {
                    Ok(AddrMatch::Host(HostId(h as u16)))
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
    };
    let mut rules = Vec::new();
    for (i, r) in f.firewall.rules.iter().enumerate() {
        let at = format!("firewall.rules[{i}]");
        rules.push(Rule {
            name: r.name.clone().unwrap_or_else(|| format!("rule {i}")),
            action: action(r.action),
            proto: match r.proto {
                ProtoFile::Any => ProtoMatch::Any,
                ProtoFile::Udp => ProtoMatch::Only(Proto::Udp),
                ProtoFile::Tcp => ProtoMatch::Only(Proto::Tcp),
            },
            from: addr(&format!("{at}.from"), &r.from)?,
            to: addr(&format!("{at}.to"), &r.to)?,
            src_ports: c.ports(&format!("{at}.src_ports"), r.src_ports)?,
            dst_ports: c.ports(&format!("{at}.dst_ports"), r.dst_ports)?,
        });
    }
    let firewall = Firewall {
        rules,
        default: action(f.firewall.default),
    };
    let state = match &f.firewall.state {
        None => None,
        Some(st) => {
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
            let secs =
                |name: &str, v: Option<f64>, d: &mut SimDuration| -> Result<(), InputError> {
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
                    super::schema::PfMultipleFile::BothSent => PfMultiple::BothSent,
                    super::schema::PfMultipleFile::RoundTrip => PfMultiple::RoundTrip,
                };
            }
            if let Err(e) = cfg.validate() {
                return c.fail(&format!("firewall.state.{}", e.field), e.problem);
            }
            Some(cfg)
        }
    };
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

fn action(a: ActionFile) -> Action {
    match a {
        ActionFile::Accept => Action::Accept,
        ActionFile::Drop => Action::Drop,
        ActionFile::Reject => Action::Reject,
    }
}
