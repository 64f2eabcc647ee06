//! The `import` command's flags and what it does with them: import, apply `--set`, validate,
//! print the warnings, write the file atomically (or to stdout with `-o -`).

use super::error::CliError;
use super::print::Printer;
use crate::amanda::import::{FirewallFormat, Options, import};
use crate::scenario::{Source, load_value};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Firewall dialects on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// `iptables-save` output.
    Iptables,
    /// `nft -j list ruleset` output (JSON).
    Nft,
    /// pf.conf.
    Pf,
}

/// Options of `import`.
#[derive(Debug, Args, Clone)]
pub struct ImportArgs {
    /// amanda.conf (its includefiles are read too, relative to it).
    #[arg(long, value_name = "FILE")]
    pub conf: PathBuf,
    /// The disklist.
    #[arg(long, value_name = "FILE")]
    pub disklist: PathBuf,
    /// Output of `amadmin CONF version`: the release and the compile-time UDPPORTRANGE.
    #[arg(long, value_name = "FILE")]
    pub version_output: Option<PathBuf>,
    /// The compile-time range (`--with-udpportrange=LO,HI`) when no version output is at hand.
    #[arg(long, value_name = "LO,HI", value_parser = parse_range)]
    pub udpportrange: Option<(u16, u16)>,
    /// The firewall's ruleset: iptables-save output, `nft -j list ruleset` output, or pf.conf.
    #[arg(long, value_name = "FILE")]
    pub firewall: Option<PathBuf>,
    /// The ruleset's dialect (default: recognised from the text).
    #[arg(long, value_enum, requires = "firewall")]
    pub firewall_format: Option<FormatArg>,
    /// A zone: `NAME=CIDR` (addresses), `NAME=*.dmz.example.com` (host names) or `NAME=if:eth1`
    /// (firewall interface). Repeatable; a host takes the first glob that matches, else the
    /// narrowest network holding its address.
    #[arg(long = "zone", value_name = "NAME=CIDR|GLOB|if:IFACE")]
    pub zones: Vec<String>,
    /// Host names to addresses, in /etc/hosts format.
    #[arg(long, value_name = "FILE")]
    pub hosts: Option<PathBuf>,
    /// The zone the Amanda server sits in (default LAN).
    #[arg(long, value_name = "NAME")]
    pub server_zone: Option<String>,
    /// The server's address (or a name in --hosts): firewall rules for it become `server`.
    #[arg(long, value_name = "ADDR")]
    pub server: Option<String>,
    /// Amanda's logs of past nights: trace logs (`log.DATE.N`: sizes and rates of the dumps),
    /// amdump logs (estimate times), or directories of them. Several nights combine per DLE:
    /// the latest full dump's size, the median rate and estimate time.
    #[arg(long = "log", value_name = "LOG", num_args = 1..)]
    pub logs: Vec<PathBuf>,
    /// Override a setting of the result: `--set seed=7`, `--set server.planner=unmodelled`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Where to write the scenario (`-` for stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

fn parse_range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once(',')
        .ok_or_else(|| "write LOW,HIGH, e.g. 850,859".to_string())?;
    let lo: u16 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{a}` is not a port"))?;
    let hi: u16 = b
        .trim()
        .parse()
        .map_err(|_| format!("`{b}` is not a port"))?;
    if lo > hi {
        return Err(format!("{lo} is above {hi}: write {hi},{lo}"));
    }
    Ok((lo, hi))
}

/// Runs `import`: the scenario goes to `--output` (`-`: standard output, even with `--quiet`),
/// warnings and the summary to stderr (not with `--quiet`: they are kept under `provenance`).
pub fn cmd(args: &ImportArgs, p: Printer) -> Result<(), CliError> {
    let opts = Options {
        conf: args.conf.clone(),
        disklist: args.disklist.clone(),
        version_output: args.version_output.clone(),
        udpportrange: args.udpportrange,
        firewall: args.firewall.clone(),
        firewall_format: args.firewall_format.map(|f| match f {
            FormatArg::Iptables => FirewallFormat::Iptables,
            FormatArg::Nft => FirewallFormat::Nft,
            FormatArg::Pf => FirewallFormat::Pf,
        }),
        zones: args.zones.clone(),
        hosts: args.hosts.clone(),
        server_zone: args.server_zone.clone(),
        server: args.server.clone(),
        logs: args.logs.clone(),
    };
    let imported = import(&opts)?;
    let tree = crate::scenario::load::with_sets(imported.scenario, &args.sets)?;
    let to_stdout = args.output.as_os_str() == "-";
    let label = if to_stdout {
        PathBuf::from("<stdout>")
    } else {
        args.output.clone()
    };
    // The result must load as any scenario would; a failure here is bad input (e.g. --set).
    let sc = load_value(&Source::File(label.clone()), tree.clone(), &[])?;
    for w in &imported.warnings {
        p.note(&format!("portsim: warning: {w}"));
    }
    let mut text = serde_json::to_string_pretty(&tree).unwrap_or_default();
    text.push('\n');
    p.file(&args.output, text.as_bytes())?;
    let guessed = tree
        .pointer("/provenance/guessed")
        .and_then(|g| g.as_array())
        .map_or(0, Vec::len);
    p.note(&format!(
        "portsim: import: {} hosts, {} DLEs, {} firewall rules written to {}; {} guessed values and {} warnings listed under provenance",
        sc.hosts.len(),
        sc.dles.len(),
        sc.firewall.rules.len(),
        label.display(),
        guessed,
        imported.warnings.len()
    ));
    Ok(())
}
