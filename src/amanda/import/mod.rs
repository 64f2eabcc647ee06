//! `portsim import`: a scenario file from what an Amanda site already has: amanda.conf, the
//! disklist, `amadmin CONF version` output, and the firewall's own ruleset (iptables-save,
//! `nft -j list ruleset`, pf.conf), with zones given as networks, name patterns or interfaces.
//!
//! Every value the inputs do not hold is a stated default listed under `provenance.guessed`;
//! every value read names its file and line under `provenance.read`; whatever cannot be
//! expressed is a warning naming file:line. Disk sizes, rates and estimate times come from
//! Amanda's own logs of past nights (`--log`: [`records`] reads them, [`measured`] combines
//! them per DLE); without them, or for a DLE they do not name, they are defaults, and say so.

mod auth;
pub mod conf;
pub mod disklist;
mod firewall;
pub mod fw;
mod hosts;
pub mod iptables;
pub mod lexer;
mod measured;
pub mod nft;
pub mod pf;
mod provenance;
mod records;
mod server;
pub mod source;
pub mod version;
pub mod zones;
mod zoning;

use crate::scenario::schema::{
    AuthFile, FirewallFile, HostFile, NetworkFile, PlannerBindingFile as PlannerBinding,
    PortPolicyFile as PortPolicy, ScenarioFile, ServerFile, WorkloadFile,
};
use conf::Conf;
use provenance::{Prov, flag_err};
use serde_json::{Value, json};
use server::Server;
pub use source::{ImportError, Loc, SourceText, Warning};
use std::path::PathBuf;

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
    /// Amanda's logs of past nights (trace and amdump logs, or directories of them).
    pub logs: Vec<PathBuf>,
}

/// An imported scenario and what the import had to say about it.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The scenario file as JSON, `provenance` included.
    pub scenario: Value,
    /// Warnings, `file:line: message`, also listed in `provenance.warnings`.
    pub warnings: Vec<String>,
}

/// Reads every input and builds the scenario, section by section.
pub fn import(opts: &Options) -> Result<Imported, ImportError> {
    let mut prov = Prov::default();
    let mut conf = Conf::read(&opts.conf)?;
    let dl_src = SourceText::read(&opts.disklist, "disklist (--disklist)")?;
    let entries = disklist::parse(&dl_src, &mut conf)?;
    let mut inputs: Vec<String> = conf.files.clone();
    inputs.push(dl_src.path.display().to_string());
    prov.warnings.extend(conf.warnings.iter().cloned());

    let mut zoning = zoning::zoning(opts, &mut inputs, &mut prov)?;
    let server = server::server(opts, &conf, &mut inputs, &mut prov)?;
    let (dumpcycle_days, nights) = server::nights(&conf, &mut prov)?;
    let cx = hosts::Context {
        conf: &conf,
        server: &server,
        dumpcycle_days,
        nights,
    };
    let mut hs = hosts::hosts(&entries, &dl_src, &cx, &mut prov)?;
    hosts::assign_zones(
        &mut hs,
        &zoning.zones,
        &zoning.server_zone,
        &mut zoning.names,
        &mut prov,
    );
    if opts.logs.is_empty() {
        hosts::guess_disk_defaults(&hs.dles, &dl_src, &mut prov);
    } else {
        let rec = records::read(&opts.logs, &mut prov)?;
        inputs.extend(rec.files.iter().cloned());
        measured::apply(&mut hs.hosts, &rec, &dl_src, &mut prov);
    }
    let firewall = firewall::firewall(opts, &zoning, &hs.hosts, &mut inputs, &mut prov)?;
    let auth = auth::server_auth(&hs.auths, &server.version, &mut prov);

    let parts = Parts {
        server,
        auth,
        nights,
        zone: zoning.server_zone,
        zones: zoning.names,
        firewall,
        hosts: hs.hosts,
    };
    let file = scenario_file(opts, parts, &inputs, &mut prov);
    let mut scenario =
        serde_json::to_value(&file).map_err(|e| flag_err("import", e.to_string()))?;
    let warnings = prov.attach(&mut scenario, inputs);
    Ok(Imported { scenario, warnings })
}

/// The sections built from the inputs, ready to be put together.
struct Parts {
    server: Server,
    auth: AuthFile,
    nights: u32,
    zone: String,
    zones: Vec<String>,
    firewall: FirewallFile,
    hosts: Vec<HostFile>,
}

/// Puts the sections together, with the values no input holds stated as guesses.
fn scenario_file(opts: &Options, p: Parts, inputs: &[String], prov: &mut Prov) -> ScenarioFile {
    // The scenario is named for the configuration's directory, as Amanda names a config.
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
    let s = p.server;
    let file = ScenarioFile {
        name: Some(name),
        description: Some(format!(
            "Imported by portsim import from {}",
            inputs.join(", ")
        )),
        seed: 1,
        server: ServerFile {
            auth: p.auth,
            version: s.version,
            zone: p.zone,
            inparallel: s.inparallel as u32,
            udpportrange: s.udpportrange,
            dumporder: s.dumporder,
            netusage: s.netusage as f64,
            ctimeout: s.ctimeout as f64,
            etimeout: s.etimeout as f64,
            dtimeout: s.dtimeout as f64,
            ports_in_use: Vec::new(),
            planner,
            services: Vec::new(),
            rescan_limit: None,
            amcheck: false,
            reserved_ports: PortPolicy::PerDumper,
        },
        workload: WorkloadFile {
            dumpcycle: p.nights,
            ..WorkloadFile::default()
        },
        network: NetworkFile::default(),
        zones: p.zones,
        firewall: p.firewall,
        hosts: p.hosts,
        host_templates: Vec::new(),
        expect: None,
    };
    prov.guess(
        "server.ports_in_use",
        json!([]),
        "no other process is known to hold a server UDP port (--set server.ports_in_use=... to add them)",
    );
    file
}
