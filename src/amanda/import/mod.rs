//! `portsim import`: a scenario file from what an Amanda site already has: amanda.conf, the
//! disklist, `amadmin CONF version` output, and the firewall's own ruleset (iptables-save,
//! `nft -j list ruleset`, pf.conf), with zones given as networks, name patterns or interfaces.
//!
//! Every value the inputs do not hold is a stated default listed under `provenance.guessed`;
//! every value read names its file and line under `provenance.read`; whatever cannot be
//! expressed is a warning naming file:line. Disk sizes, rates and estimate times come from
//! Amanda's trace logs, which this module does not read: here they are defaults, and say so.

pub mod conf;
pub mod disklist;
pub mod fw;
pub mod iptables;
pub mod lexer;
pub mod nft;
pub mod pf;
pub mod source;
pub mod version;
pub mod zones;

use crate::scenario::schema::{
    DiskFile, FirewallFile, HostFile, NetworkFile, PlannerBindingFile as PlannerBinding,
    PortPolicyFile as PortPolicy, ScenarioFile, ServerFile, WorkloadFile,
};
use conf::{Conf, Param};
use serde_json::{Value, json};
pub use source::{ImportError, Loc, SourceText, Warning};
use std::path::PathBuf;
use zones::{Found, Zones};

/// A full dump's size when no trace log says otherwise, GB.
pub const DEFAULT_FULL_GB: f64 = 10.0;
/// A client's dump rate when no trace log says otherwise, MB/s.
pub const DEFAULT_RATE_MB_S: f64 = 5.0;
/// sendsize's time per DLE when no trace log says otherwise, seconds.
pub const DEFAULT_ESTIMATE_S: f64 = 30.0;

/// The firewall dialects `import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirewallFormat {
    /// `iptables-save` output.
    Iptables,
    /// `nft -j list ruleset` output.
    Nft,
    /// pf.conf.
    Pf,
}

impl FirewallFormat {
    /// Guesses the dialect from the text: JSON is nft, `*table`/`-A` lines are iptables-save.
    pub fn sniff(text: &str) -> FirewallFormat {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        if first.starts_with('{') {
            FirewallFormat::Nft
        } else if first.starts_with('*') || first.starts_with(":") || first.starts_with("-A ") {
            FirewallFormat::Iptables
        } else {
            FirewallFormat::Pf
        }
    }

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FirewallFormat::Iptables => "iptables",
            FirewallFormat::Nft => "nft",
            FirewallFormat::Pf => "pf",
        }
    }
}

/// What to import.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// amanda.conf.
    pub conf: PathBuf,
    /// The disklist.
    pub disklist: PathBuf,
    /// `amadmin CONF version` output.
    pub version_output: Option<PathBuf>,
    /// The compile-time UDP range, when given as a flag.
    pub udpportrange: Option<(u16, u16)>,
    /// The firewall's ruleset.
    pub firewall: Option<PathBuf>,
    /// Its dialect (sniffed when absent).
    pub firewall_format: Option<FirewallFormat>,
    /// `--zone NAME=SPEC` flags.
    pub zones: Vec<String>,
    /// A hosts file.
    pub hosts: Option<PathBuf>,
    /// The server's zone.
    pub server_zone: Option<String>,
    /// The server's address or host name.
    pub server: Option<String>,
}

/// An imported scenario and what the import had to say about it.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The scenario file as JSON, `provenance` included.
    pub scenario: Value,
    /// Warnings, `file:line: message`, also listed in `provenance.warnings`.
    pub warnings: Vec<String>,
}

/// Provenance as it is collected.
#[derive(Default)]
struct Prov {
    read: Vec<Value>,
    guessed: Vec<Value>,
    warnings: Vec<Warning>,
}

impl Prov {
    fn read(&mut self, path: &str, value: Value, from: String) {
        self.read
            .push(json!({"path": path, "value": value, "from": from}));
    }
    fn guess(&mut self, path: &str, value: Value, why: impl Into<String>) {
        self.guessed
            .push(json!({"path": path, "value": value, "why": why.into()}));
    }
    fn warn(&mut self, loc: Loc, msg: impl Into<String>) {
        self.warnings.push(Warning {
            loc,
            msg: msg.into(),
        });
    }
}

fn flag_err(flag: &str, msg: impl Into<String>) -> ImportError {
    ImportError::Flag {
        flag: flag.to_string(),
        msg: msg.into(),
    }
}

/// A top-level integer parameter, with Amanda's default when it is absent.
fn conf_int<'c>(
    conf: &'c Conf,
    key: &str,
    path: &str,
    default: i64,
    prov: &mut Prov,
) -> Result<(i64, Option<&'c Param>), ImportError> {
    match conf.params.get(key) {
        Some(p) => {
            let v = p.int(key)?;
            prov.read(path, json!(v), p.loc.file_line());
            Ok((v, Some(p)))
        }
        None => {
            prov.read(
                path,
                json!(default),
                format!("Amanda's default ({key} is not set)"),
            );
            Ok((default, None))
        }
    }
}

fn param_err(p: &Param, msg: impl Into<String>) -> ImportError {
    ImportError::Syntax {
        loc: p.loc.clone(),
        msg: msg.into(),
        text: p.text.clone(),
    }
}

/// Reads every input and builds the scenario.
pub fn import(opts: &Options) -> Result<Imported, ImportError> {
    let mut prov = Prov::default();
    let mut conf = Conf::read(&opts.conf)?;
    let dl_src = SourceText::read(&opts.disklist, "disklist (--disklist)")?;
    let entries = disklist::parse(&dl_src, &mut conf)?;
    let mut inputs: Vec<String> = conf.files.clone();
    inputs.push(dl_src.path.display().to_string());
    prov.warnings.extend(conf.warnings.iter().cloned());

    // Zones and names.
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
    let mut zone_names = vec![server_zone.clone()];
    for f in &zs.flags {
        if !zone_names.contains(&f.zone) {
            zone_names.push(f.zone.clone());
        }
    }

    // The build: version and compile-time range.
    let build = match &opts.version_output {
        Some(p) => {
            let src = SourceText::read(p, "amadmin version output (--version-output)")?;
            inputs.push(src.path.display().to_string());
            Some((version::parse(&src)?, src))
        }
        None => None,
    };
    let (build, version_src) = match build {
        Some((b, s)) => (Some(b), Some(s)),
        None => (None, None),
    };
    let version = match build.as_ref().and_then(|b| b.release.clone()) {
        Some((release, loc)) => {
            let Some((profile, note)) = version::profile_for(&release) else {
                let text = version_src
                    .as_ref()
                    .map(|s| s.line_text(loc.line).to_string())
                    .unwrap_or_default();
                return Err(ImportError::Syntax {
                    text,
                    msg: format!("Amanda {release}: portsim models 2.4 to 3.x"),
                    loc,
                });
            };
            prov.read("server.version", json!(profile), loc.file_line());
            if let Some(n) = note {
                prov.guess("server.version", json!(profile), n);
            }
            profile
        }
        None => {
            prov.guess(
                "server.version",
                json!("2.4"),
                "no --version-output: the schema's default; give `amadmin CONF version` output or --set server.version=...",
            );
            "2.4".into()
        }
    };
    let three = version.starts_with('3');
    let conf_range = match conf.params.get("reserved-udp-port") {
        Some(p) => {
            let (lo, hi) = p.range("reserved-udp-port")?;
            let ok = |v: i64| (1..=65535).contains(&v);
            if !ok(lo) || !ok(hi) || lo > hi {
                return Err(param_err(
                    p,
                    "reserved-udp-port: two ports LOW,HIGH with LOW <= HIGH",
                ));
            }
            Some(((lo as u16, hi as u16), p))
        }
        None => None,
    };
    let udpportrange: Option<[u32; 2]> = if let Some((lo, hi)) = opts.udpportrange {
        prov.read(
            "server.udpportrange",
            json!([lo, hi]),
            "--udpportrange".into(),
        );
        Some([lo.into(), hi.into()])
    } else if let Some(((lo, hi), p)) = conf_range.filter(|_| three) {
        prov.read("server.udpportrange", json!([lo, hi]), p.loc.file_line());
        Some([lo.into(), hi.into()])
    } else if let Some(((lo, hi), loc)) = build.as_ref().and_then(|b| b.udpportrange.clone()) {
        if let Some((_, p)) = conf_range {
            prov.warn(
                p.loc.clone(),
                format!("reserved-udp-port is a 3.x setting; Amanda {version} uses its compile-time range {lo},{hi}"),
            );
        }
        prov.read("server.udpportrange", json!([lo, hi]), loc.file_line());
        Some([lo.into(), hi.into()])
    } else if three {
        prov.read(
            "server.udpportrange",
            json!([512, 1023]),
            "Amanda 3.x's default reserved-udp-port (not set, no configure range)".into(),
        );
        Some([512, 1023])
    } else {
        let loc = conf_range.map(|(_, p)| p.loc.clone());
        prov.guess(
            "server.udpportrange",
            Value::Null,
            "no --version-output or --udpportrange: taken as built without --with-udpportrange",
        );
        if let Some(l) = loc {
            prov.warn(
                l,
                "reserved-udp-port is a 3.x setting; 2.x uses only its compile-time range",
            );
        }
        None
    };

    // Server parameters.
    let (inparallel, ip_param) = conf_int(&conf, "inparallel", "server.inparallel", 10, &mut prov)?;
    if let Some(p) = ip_param
        && !(1..=63).contains(&inparallel)
    {
        return Err(param_err(
            p,
            format!("inparallel {inparallel}: Amanda allows 1 to 63"),
        ));
    }
    let dumporder = match conf.params.get("dumporder") {
        Some(p) => {
            let s = p.string("dumporder")?;
            if let Some(bad) = s.chars().find(|c| !"tTsSbB".contains(*c)) {
                return Err(param_err(
                    p,
                    format!("dumporder: `{bad}` is not one of t T s S b B"),
                ));
            }
            prov.read("server.dumporder", json!(s), p.loc.file_line());
            s
        }
        None => {
            prov.read(
                "server.dumporder",
                json!("ttt"),
                "Amanda's default (dumporder is not set)".into(),
            );
            "ttt".into()
        }
    };
    let (netusage, nu_param) = conf_int(&conf, "netusage", "server.netusage", 300, &mut prov)?;
    if let Some(p) = nu_param
        && netusage <= 0
    {
        return Err(param_err(
            p,
            "netusage: a positive rate in KB/s is expected (e.g. 8000 Kbps)",
        ));
    }
    let (ctimeout, _) = conf_int(&conf, "ctimeout", "server.ctimeout", 30, &mut prov)?;
    let (dtimeout, _) = conf_int(&conf, "dtimeout", "server.dtimeout", 1800, &mut prov)?;
    // Negative: a total per host, in the scenario as in amanda.conf.
    let (etimeout, _) = conf_int(&conf, "etimeout", "server.etimeout", 300, &mut prov)?;
    for (key, p) in [
        ("ctimeout", "server.ctimeout"),
        ("dtimeout", "server.dtimeout"),
    ] {
        if let Some(param) = conf.params.get(key)
            && param.int(key)? < 0
        {
            return Err(param_err(param, format!("{key}: seconds, 0 or more ({p})")));
        }
    }

    // Workload: nights per cycle.
    let (dumpcycle_days, _) = conf_int(&conf, "dumpcycle", "workload.dumpcycle", 10, &mut prov)?;
    let runs = match conf.params.get("runspercycle") {
        Some(p) => p.int("runspercycle")?,
        None => 0,
    };
    let nights = if runs > 0 {
        runs
    } else {
        dumpcycle_days.max(1)
    };
    if runs > 0 {
        prov.read(
            "workload.dumpcycle",
            json!(nights),
            conf.params["runspercycle"].loc.file_line(),
        );
    } else if dumpcycle_days <= 0 {
        prov.guess(
            "workload.dumpcycle",
            json!(1),
            "dumpcycle 0: a full dump every run",
        );
    }
    let nights = u32::try_from(nights.max(1)).unwrap_or(u32::MAX);

    // Hosts and disks, in disklist order.
    let mut hosts: Vec<HostFile> = Vec::new();
    let mut host_lines: Vec<Loc> = Vec::new();
    let mut defaulted: Vec<String> = Vec::new();
    for e in &entries {
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
            continue;
        }
        if let Some(p) = dt.params.get("auth") {
            let a = p.string("auth")?.to_ascii_lowercase();
            if a != "bsd" && a != "bsdudp" {
                prov.warn(
                    p.loc.clone(),
                    format!(
                        "auth {a} (for {}:{}): requests then go over TCP, which the model does not simulate; modelled as bsd (UDP)",
                        e.host, e.disk
                    ),
                );
            }
        } else if three {
            // conffile.c of 3.x initialises a dumptype's auth to BSDTCP; 2.x to BSD.
            prov.warn(
                e.loc.clone(),
                format!(
                    "{}:{}: its dumptype sets no auth, and Amanda 3.x then uses bsdtcp (TCP, which the model does not simulate); modelled as bsd (UDP)",
                    e.host, e.disk
                ),
            );
        }
        if let Some(p) = dt.params.get("dumpcycle")
            && p.int("dumpcycle")? != dumpcycle_days
        {
            prov.warn(
                p.loc.clone(),
                format!(
                    "{}:{}: a dumpcycle of its own; the scenario has one cycle for all DLEs ({nights} nights)",
                    e.host, e.disk
                ),
            );
        }
        if let Some(i) = &e.interface {
            match conf.interfaces.get(&i.to_ascii_lowercase()) {
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
        }
        let maxdumps = match dt.params.get("maxdumps") {
            Some(p) => {
                let v = p.int("maxdumps")?;
                if v < 1 {
                    return Err(param_err(p, "maxdumps: 1 or more"));
                }
                Some(v as u32)
            }
            None => None,
        };
        let idx = match hosts.iter().position(|h| h.name == e.host) {
            Some(i) => i,
            None => {
                hosts.push(HostFile {
                    name: e.host.clone(),
                    zone: String::new(),
                    maxdumps: 1,
                    disks: Vec::new(),
                });
                host_lines.push(e.loc.clone());
                hosts.len() - 1
            }
        };
        // The host's last disklist line sets maxdumps (MODEL.md section 2).
        hosts[idx].maxdumps = maxdumps.unwrap_or(1);
        if hosts[idx].disks.iter().any(|d| d.name == e.disk) {
            return Err(dl_src.syntax(
                e.loc.line,
                e.loc.col,
                format!("{}:{} is listed twice", e.host, e.disk),
            ));
        }
        hosts[idx].disks.push(DiskFile {
            name: e.disk.clone(),
            full_gb: DEFAULT_FULL_GB,
            rate_mb_s: DEFAULT_RATE_MB_S,
            estimate_s: DEFAULT_ESTIMATE_S,
            spindle: e.spindle,
        });
        defaulted.push(format!("{}:{}", e.host, e.disk));
    }
    if hosts.is_empty() {
        return Err(dl_src.syntax(1, 1, "the disklist names no DLE that Amanda would dump"));
    }
    for (h, loc) in hosts.iter_mut().zip(&host_lines) {
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
                h.zone = server_zone.clone();
            }
        }
    }
    prov.guessed.push(json!({
        "path": "hosts[*].disks[*].full_gb",
        "value": DEFAULT_FULL_GB,
        "why": "no trace logs read: a stated default",
        "applies_to": defaulted,
    }));
    prov.guessed.push(json!({
        "path": "hosts[*].disks[*].rate_mb_s",
        "value": DEFAULT_RATE_MB_S,
        "why": "no trace logs read: a stated default",
        "applies_to": defaulted,
    }));
    prov.guessed.push(json!({
        "path": "hosts[*].disks[*].estimate_s",
        "value": DEFAULT_ESTIMATE_S,
        "why": "no trace logs read: a stated default",
        "applies_to": defaulted,
    }));
    prov.warn(
        dl_src.loc(1, 1),
        format!(
            "sizes, rates and estimate times of all {} DLEs are defaults ({DEFAULT_FULL_GB} GB, {DEFAULT_RATE_MB_S} MB/s, {DEFAULT_ESTIMATE_S} s): Amanda's trace logs hold the real ones",
            defaulted.len()
        ),
    );

    // The firewall.
    let firewall = match &opts.firewall {
        None => {
            prov.guess(
                "firewall",
                json!({"default": "accept", "rules": []}),
                "no --firewall: nothing is filtered",
            );
            FirewallFile {
                default: crate::scenario::schema::ActionFile::Accept,
                rules: Vec::new(),
                state: None,
            }
        }
        Some(path) => {
            let src = SourceText::read(path, "firewall ruleset (--firewall)")?;
            inputs.push(src.path.display().to_string());
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
            let rs = match format {
                FirewallFormat::Iptables => iptables::parse(&src)?,
                FirewallFormat::Nft => nft::parse(&src)?,
                FirewallFormat::Pf => pf::parse(&src)?,
            };
            for n in &rs.notes {
                prov.guess("firewall.rules", Value::Null, n.clone());
            }
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
                zones: &zs,
                server_zone: &server_zone,
                server_addr,
                clients: &clients,
                zone_names: &zone_names,
            });
            for n in mapped.notes {
                prov.guess(&n.path, n.value, n.why);
            }
            prov.warnings.extend(mapped.warnings);
            mapped.firewall
        }
    };

    let name = opts
        .conf
        .canonicalize()
        .ok()
        .and_then(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "imported".into());
    let planner = PlannerBinding::default();
    prov.guess(
        "server.planner",
        json!(planner),
        "the planner binds a range port before the dumpers (MODEL.md section 2: an inference from 2.4's amdump)",
    );
    prov.guess("seed", json!(1), "the schema's default seed");
    let file = ScenarioFile {
        name: Some(name),
        description: Some(format!(
            "Imported by portsim import from {}",
            inputs.join(", ")
        )),
        seed: 1,
        server: ServerFile {
            version,
            zone: server_zone,
            inparallel: inparallel as u32,
            udpportrange,
            dumporder,
            netusage: netusage as f64,
            ctimeout: ctimeout as f64,
            etimeout: etimeout as f64,
            dtimeout: dtimeout as f64,
            ports_in_use: Vec::new(),
            planner,
            services: Vec::new(),
            rescan_limit: None,
            amcheck: false,
            reserved_ports: PortPolicy::PerDumper,
        },
        workload: WorkloadFile {
            dumpcycle: nights,
            ..WorkloadFile::default()
        },
        network: NetworkFile::default(),
        zones: zone_names,
        firewall,
        hosts,
        expect: None,
    };
    prov.guess(
        "server.ports_in_use",
        json!([]),
        "no other process is known to hold a server UDP port (--set server.ports_in_use=... to add them)",
    );
    let mut scenario =
        serde_json::to_value(&file).map_err(|e| flag_err("import", e.to_string()))?;
    let warnings: Vec<String> = prov.warnings.iter().map(ToString::to_string).collect();
    if let Value::Object(m) = &mut scenario {
        m.insert(
            "provenance".into(),
            json!({
                "generator": format!("portsim import {}", env!("CARGO_PKG_VERSION")),
                "inputs": inputs,
                "read": prov.read,
                "guessed": prov.guessed,
                "warnings": warnings,
            }),
        );
    }
    Ok(Imported { scenario, warnings })
}
