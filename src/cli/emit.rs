//! The `apply` and `lab-config` commands: their bodies (clap arguments beside them).

use crate::amanda::emit::addr::{AddrArgs, Cidr};
use crate::amanda::emit::apply::{self, Dialect, FwOptions};
use crate::amanda::emit::lab::{self, LabOptions};
use crate::amanda::emit::{Addressing, EmitError, Placement};
use crate::cli::args::ScenarioArgs;
use crate::cli::print::Printer;
use crate::cli::{CliError, Status};
use crate::scenario::load::{SetArg, with_sets};
use crate::scenario::{InputError, Scenario, Source, load_value, read};
use crate::study::compare::remedy::{Remedy, RemedyKind, RemedySpec};
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::PathBuf;

/// Output formats of `apply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    /// Unified diffs for people.
    Text,
    /// JSON (schema `portsim.apply/1`) with every file before and after.
    Json,
}

/// Where the real filter runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlacementArg {
    /// A router between the zones (forward hook).
    Router,
    /// The Amanda server itself (input and output hooks).
    Server,
}

/// Options of `apply`.
#[derive(Debug, Args, Clone)]
pub struct ApplyArgs {
    /// The remedy, `NAME[:KEY=VALUE]...`, e.g. `widen-range`, `stateful-firewall:kind=conntrack+helper`.
    #[arg(value_name = "REMEDY")]
    pub remedy: String,
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Override a remedy parameter: `--remedy-set widen-range.range=[850,880]`.
    #[arg(long = "remedy-set", value_name = "REMEDY.KEY=VALUE")]
    pub remedy_sets: Vec<String>,
    /// The firewall's dialect, or `amanda` for Amanda's files only.
    #[arg(long, value_enum, default_value_t = DialectArg::Nft)]
    pub dialect: DialectArg,
    /// Where the filter runs.
    #[arg(long, value_enum, default_value_t = PlacementArg::Router)]
    pub placement: PlacementArg,
    /// A zone's networks: `--zone DMZ=192.0.2.0/24[,CIDR...]` (default: placeholders in 198.18.0.0/15).
    #[arg(long = "zone", value_name = "NAME=CIDR[,CIDR...]")]
    pub zones: Vec<String>,
    /// A host's address, for rules that name a host: `--host www1=192.0.2.10`.
    #[arg(long = "host", value_name = "NAME=ADDR")]
    pub hosts: Vec<String>,
    /// The Amanda server's address.
    #[arg(long = "server-addr", value_name = "ADDR")]
    pub server_addr: Option<String>,
    /// The site's base dumptype that portsim's dumptypes inherit.
    #[arg(long, default_value = "global", value_name = "NAME")]
    pub base_dumptype: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
}

/// `--dialect` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    /// nft ruleset.
    Nft,
    /// iptables-save file.
    Iptables,
    /// pf.conf lines.
    Pf,
    /// Amanda's files only.
    Amanda,
}

impl DialectArg {
    /// The emitter's dialect.
    pub fn dialect(self) -> Dialect {
        match self {
            DialectArg::Nft => Dialect::Nft,
            DialectArg::Iptables => Dialect::Iptables,
            DialectArg::Pf => Dialect::Pf,
            DialectArg::Amanda => Dialect::Amanda,
        }
    }
}

/// Options of `lab-config`.
#[derive(Debug, Args, Clone)]
pub struct LabConfigArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The directory to write (replaced as a whole; nothing is written on a refusal).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The lab's network: the server is .1, the hosts .2 upward.
    #[arg(long, default_value = "10.251.0.0/24", value_name = "CIDR")]
    pub net: String,
    /// Where each DLE's data directory lies (`ROOT/HOST/dNN`).
    #[arg(long, default_value = "/srv/portsim-lab/data", value_name = "PATH")]
    pub data_root: String,
}

/// An emitter's refusal as bad input naming the scenario's origin and field (exit 2).
fn input(source: &Source, e: EmitError) -> CliError {
    match e {
        EmitError::Unsupported { field, target, why } => InputError::Invalid {
            origin: source.label(),
            path: field,
            msg: format!("{target} cannot express it: {why}"),
        }
        .into(),
        EmitError::Address { arg, msg } => InputError::Invalid {
            origin: arg,
            path: "value".into(),
            msg,
        }
        .into(),
    }
}

/// The scenario before and after the remedy of `args`, with the remedy as applied.
struct Remedied {
    source: Source,
    before: Scenario,
    after: Scenario,
    spec: RemedySpec,
    remedy: Remedy,
}

/// Loads the scenario and applies the remedy as `compare` does (overrides first, then the transform).
fn remedied(args: &ApplyArgs) -> Result<Remedied, CliError> {
    let (source, sets) = (args.scenario.source(), args.scenario.sets());
    let tree = read(&source)?;
    let before = load_value(&source, tree.clone(), &sets)?;
    let spec = RemedySpec::parse(&args.remedy).map_err(|msg| InputError::Set {
        arg: format!("apply {}", args.remedy),
        msg,
    })?;
    let mut overrides = Vec::new();
    for s in &args.remedy_sets {
        let set = SetArg::parse(s)?;
        if set.path.len() != 2 || RemedyKind::parse(&set.path[0]).is_none() {
            return Err(InputError::Set {
                arg: format!("--remedy-set {s}"),
                msg: "write REMEDY.KEY=VALUE, e.g. widen-range.range=[850,880]".into(),
            }
            .into());
        }
        overrides.push(set);
    }
    overrides.extend(spec.params.iter().cloned());
    let remedy = Remedy::with_overrides(spec.kind, &before, &overrides);
    let mut v = with_sets(tree, &sets)?;
    spec.kind
        .apply(&mut v, &before, &remedy.params)
        .map_err(|msg| InputError::Set {
            arg: format!("apply {}", spec.label()),
            msg,
        })?;
    let after = load_value(&source, v, &[]).map_err(|e| InputError::Set {
        arg: format!("apply {}", spec.label()),
        msg: e.to_string(),
    })?;
    Ok(Remedied {
        source,
        before,
        after,
        spec,
        remedy,
    })
}

/// `portsim apply`.
pub fn apply_cmd(args: &ApplyArgs, p: Printer) -> Result<Status, CliError> {
    let Remedied {
        source,
        before,
        after,
        spec,
        remedy,
    } = remedied(args)?;
    let addr_args = AddrArgs {
        zones: args.zones.clone(),
        hosts: args.hosts.clone(),
        server: args.server_addr.clone(),
    };
    let addr = |sc: &Scenario| Addressing::new(sc, &addr_args).map_err(|e| input(&source, e));
    let (ab, aa) = (addr(&before)?, addr(&after)?);
    let dialect = args.dialect.dialect();
    let placement = match args.placement {
        PlacementArg::Router => Placement::Router,
        PlacementArg::Server => Placement::Server,
    };
    let opt = FwOptions {
        dialect,
        placement,
        base_dumptype: args.base_dumptype.clone(),
    };
    let change = apply::change(&before, &after, &ab, &aa, &opt).map_err(|e| input(&source, e))?;
    let price = spec.kind.price(&before);
    match args.format {
        ApplyFormat::Text => {
            p.out(&format!(
                "portsim apply {} to scenario {:?} (Amanda {}), dialect {}, {} placement\n\
                 price: {}\n\n{}",
                spec.label(),
                before.name,
                before.file.server.version,
                serde_json::to_value(dialect)
                    .expect("a dialect serialises")
                    .as_str()
                    .unwrap_or(""),
                serde_json::to_value(placement)
                    .expect("a placement serialises")
                    .as_str()
                    .unwrap_or(""),
                price.note,
                change.text()
            ))?;
        }
        ApplyFormat::Json => {
            let out = json!({
                "schema": "portsim.apply/1",
                "scenario": before.name,
                "version": before.file.server.version,
                "remedy": { "name": spec.kind.name(), "label": spec.label(), "params": remedy.params },
                "price": price,
                "dialect": dialect,
                "placement": placement,
                "sections": change.sections,
                "placeholders": change.placeholders,
            });
            p.out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&out).expect("JSON serialises")
            ))?;
        }
    }
    Ok(Status::Ok)
}

/// `portsim lab-config`.
pub fn lab_config_cmd(args: &LabConfigArgs, p: Printer) -> Result<Status, CliError> {
    let source = args.scenario.source();
    let sc = args.scenario.load()?;
    let net = Cidr::parse(&args.net).map_err(|msg| InputError::Invalid {
        origin: format!("--net {}", args.net),
        path: "value".into(),
        msg,
    })?;
    let files = lab::files(
        &sc,
        &LabOptions {
            net,
            data_root: args.data_root.trim_end_matches('/').to_string(),
        },
    )
    .map_err(|e| input(&source, e))?;
    crate::output::create_dir_atomic(&args.out, &files).map_err(|e| CliError::Write {
        path: args.out.display().to_string(),
        source: e,
    })?;
    p.note(&format!(
        "lab-config: wrote {} ({} files) for scenario {:?}",
        args.out.display(),
        files.len(),
        sc.name
    ));
    Ok(Status::Ok)
}
