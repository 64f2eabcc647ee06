//! The scenario file as written by people: serde types with Amanda's names and units.
//!
//! Everything here is raw input; [`super::load`] validates it into a [`super::Scenario`].

use serde::{Deserialize, Serialize};

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Short name, used for report folders.
    #[serde(default)]
    pub name: Option<String>,
    /// What the scenario shows, for people.
    #[serde(default)]
    pub description: Option<String>,
    /// Master seed of every random stream.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The Amanda server.
    pub server: ServerFile,
    /// How a night's work is drawn from the disklist.
    #[serde(default)]
    pub workload: WorkloadFile,
    /// Packet latency between machines.
    #[serde(default)]
    pub network: NetworkFile,
    /// Zones the hosts live in; the server's zone is one of them.
    pub zones: Vec<String>,
    /// The packet filter between zones.
    pub firewall: FirewallFile,
    /// Client hosts with their disklist entries.
    #[serde(default)]
    pub hosts: Vec<HostFile>,
    /// Hosts made at load from a pattern, after `hosts` ([`super::template`]); an expanded
    /// scenario (`portsim generate`) lists them under `hosts` instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_templates: Vec<HostTemplateFile>,
    /// What must hold when the scenario runs (`portsim check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<super::expect::ExpectFile>,
}

fn default_seed() -> u64 {
    1
}

/// The Amanda server's settings (`amanda.conf` and build options).
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    /// Amanda version profile, e.g. "2.4".
    #[serde(default = "default_version")]
    pub version: String,
    /// Zone the server sits in.
    #[serde(default = "default_server_zone")]
    pub zone: String,
    /// Number of dumper processes (`inparallel`).
    #[serde(default = "default_inparallel")]
    pub inparallel: u32,
    /// `--with-udpportrange=LOW,HIGH`; absent when Amanda was built without it.
    #[serde(default)]
    pub udpportrange: Option<[u32; 2]>,
    /// One letter per dumper: t/T time, s/S size, b/B bandwidth (lower case: smallest first).
    #[serde(default = "default_dumporder")]
    pub dumporder: String,
    /// Bandwidth the driver may plan on, in KB/s (`netusage`).
    #[serde(default = "default_netusage")]
    pub netusage: f64,
    /// amcheck's reply wait, seconds.
    #[serde(default = "default_ctimeout")]
    pub ctimeout: f64,
    /// Estimate reply wait per estimate line, seconds; negative: the whole wait per host
    /// (as amanda.conf allows, e.g. `etimeout -150`).
    #[serde(default = "default_etimeout")]
    pub etimeout: f64,
    /// Idle data-stream limit of a dump, seconds.
    #[serde(default = "default_dtimeout")]
    pub dtimeout: f64,
    /// UDP ports on the server held by other processes.
    #[serde(default)]
    pub ports_in_use: Vec<PortUseFile>,
    /// When the planner binds its socket relative to the dumpers.
    #[serde(default)]
    pub planner: PlannerBindingFile,
    /// Entries of the services database near the range (2.5.0+ skips ports named there).
    #[serde(default)]
    pub services: Vec<ServiceFile>,
    /// Rescans before a dumper with no range port gives up (2.5.2+; default 120).
    #[serde(default)]
    pub rescan_limit: Option<u32>,
    /// An amcheck run overlaps the night: it binds a range port first and holds it all night.
    #[serde(default)]
    pub amcheck: bool,
    /// Who binds range ports: every dumper for life (Amanda as shipped), or a request to a
    /// firewalled client for its duration (the `reserve-for-firewalled` code change).
    #[serde(default)]
    pub reserved_ports: PortPolicyFile,
    /// Amanda's security driver between server and clients (amanda.conf `auth`): `bsdudp`
    /// (UDP requests, replies to the dumper's port) or `bsdtcp` (3.x: one TCP connection from
    /// the server per client, every reply rides it).
    #[serde(default, skip_serializing_if = "AuthFile::is_bsdudp")]
    pub auth: AuthFile,
}

/// amanda.conf's `auth`, as far as the firewall is concerned.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AuthFile {
    /// UDP requests from a reserved port; replies come back to it (`bsd`, `bsdudp`).
    #[default]
    Bsdudp,
    /// One TCP connection from the server to the client's amandad (port 10080/tcp) carries
    /// requests and replies (`bsdtcp`, Amanda 3.x).
    Bsdtcp,
}

impl AuthFile {
    /// Whether this is the default (kept out of written scenario files).
    pub fn is_bsdudp(&self) -> bool {
        *self == AuthFile::Bsdudp
    }
}

/// Who gets the ports of `udpportrange`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PortPolicyFile {
    /// Each dumper binds one socket in the range and keeps it (Amanda as shipped).
    #[default]
    PerDumper,
    /// Dumpers bind outside the range; a request to a firewalled client binds a range port for
    /// its duration and waits while none is free (MODEL.md section 5, remedy 4).
    PerRequestFirewalled,
}

/// A services-database entry: `name port/udp`.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    /// The port.
    pub port: u32,
    /// The service name (a name containing "amanda" does not block the port).
    pub name: String,
}

fn default_version() -> String {
    "2.4".into()
}
fn default_server_zone() -> String {
    "LAN".into()
}
fn default_inparallel() -> u32 {
    10
}
fn default_dumporder() -> String {
    "ttt".into()
}
fn default_netusage() -> f64 {
    300.0
}
fn default_ctimeout() -> f64 {
    30.0
}
fn default_etimeout() -> f64 {
    300.0
}
fn default_dtimeout() -> f64 {
    1800.0
}

/// A server UDP port held by another process.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortUseFile {
    /// The port.
    pub port: u32,
    /// Who holds it, for reports.
    #[serde(default)]
    pub by: String,
}

/// When the planner binds its UDP socket (MODEL.md section 2: a race in 2.4's `amdump`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PlannerBindingFile {
    /// Binds first: it holds one range port while the dumpers bind, and estimates cross the firewall.
    #[default]
    BeforeDumpers,
    /// Binds after all dumpers: with a full range its port is a fallback one.
    AfterDumpers,
    /// The estimate phase lasts as long as the slowest host's estimates, with no packets: the
    /// planner's replies are taken to get through, as the incident site observed.
    Unmodelled,
}

/// How one night's dumps are drawn from the disklist.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadFile {
    /// Nights between full dumps of a DLE (`dumpcycle`): a DLE is full with chance 1/dumpcycle.
    #[serde(default = "default_dumpcycle")]
    pub dumpcycle: u32,
    /// An incremental's size as a fraction of the full size, drawn uniformly in [low, high].
    #[serde(default = "default_incremental")]
    pub incremental_fraction: [f64; 2],
    /// Relative spread of disk rates and estimate durations (log-normal sigma).
    #[serde(default = "default_jitter")]
    pub jitter: f64,
    /// Seconds from a dump request's ACK until sendbackup replies with CONNECT.
    #[serde(default = "default_startup")]
    pub sendbackup_startup_s: f64,
}

fn default_dumpcycle() -> u32 {
    7
}
fn default_incremental() -> [f64; 2] {
    [0.01, 0.05]
}
fn default_jitter() -> f64 {
    0.2
}
fn default_startup() -> f64 {
    1.0
}

impl Default for WorkloadFile {
    fn default() -> Self {
        WorkloadFile {
            dumpcycle: default_dumpcycle(),
            incremental_fraction: default_incremental(),
            jitter: default_jitter(),
            sendbackup_startup_s: default_startup(),
        }
    }
}

/// Network settings.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    /// One-way packet latency inside a zone, milliseconds (links add theirs).
    #[serde(default = "default_latency")]
    pub latency_ms: f64,
    /// Links between zones, or between "server" (the server's interface) and its zone.
    #[serde(default)]
    pub links: Vec<LinkFile>,
}

/// A network link.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkFile {
    /// Name, for reports.
    #[serde(default)]
    pub name: Option<String>,
    /// The two ends: zone names, or "server" for the server's own interface.
    pub between: [String; 2],
    /// Capacity, MB/s, shared max-min fairly by the dumps crossing it.
    pub capacity_mb_s: f64,
    /// One-way latency, milliseconds.
    #[serde(default)]
    pub latency_ms: f64,
    /// Chance that a packet crossing it is lost.
    #[serde(default)]
    pub loss: f64,
}

fn default_latency() -> f64 {
    0.5
}

impl Default for NetworkFile {
    fn default() -> Self {
        NetworkFile {
            latency_ms: default_latency(),
            links: Vec::new(),
        }
    }
}

/// A stateless packet filter: ordered rules, first match wins, then the default.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallFile {
    /// What happens to a packet no rule matches.
    #[serde(default = "default_policy")]
    pub default: ActionFile,
    /// The rules, in the order they are tried.
    #[serde(default)]
    pub rules: Vec<RuleFile>,
    /// A state table: replies of flows the server's zone opened pass before the rules.
    #[serde(default)]
    pub state: Option<StateFile>,
}

/// A stateful filter's kind and any timeouts that differ from the kind's defaults.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// `conntrack`, `conntrack-pre5.0`, `conntrack+helper`, `reflexive` or `pf`.
    pub kind: String,
    /// UDP deadline after a flow's first packet, seconds.
    #[serde(default)]
    pub first_s: Option<f64>,
    /// UDP deadline while only one side has sent, seconds.
    #[serde(default)]
    pub one_way_s: Option<f64>,
    /// UDP deadline once both sides have sent, seconds (conntrack's stream timeout).
    #[serde(default)]
    pub two_way_s: Option<f64>,
    /// TCP idle timeout, seconds.
    #[serde(default)]
    pub tcp_s: Option<f64>,
    /// The amanda helper's `master_timeout`, seconds.
    #[serde(default)]
    pub master_timeout_s: Option<f64>,
    /// The amanda helper's expectation lifetime, seconds.
    #[serde(default)]
    pub expect_timeout_s: Option<f64>,
    /// Most live entries (`nf_conntrack_max`); absent: no limit.
    #[serde(default)]
    pub max_entries: Option<usize>,
    /// pf only: when a UDP state becomes `udp.multiple`: `both-sent` (pf.conf(5), the default)
    /// or `round-trip` (pf's `pf_test_state_udp`).
    #[serde(default)]
    pub pf_multiple: Option<PfMultipleFile>,
}

/// When pf moves a UDP state to `udp.multiple`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PfMultipleFile {
    /// Once both hosts have sent a packet.
    BothSent,
    /// Once each peer has sent and been answered.
    RoundTrip,
}

fn default_policy() -> ActionFile {
    ActionFile::Drop
}

/// A rule's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActionFile {
    /// Let the packet through.
    Accept,
    /// Discard it silently.
    Drop,
    /// Discard it with an ICMP error (Amanda's unconnected UDP sockets never see it).
    Reject,
}

/// A transport protocol a rule applies to.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ProtoFile {
    /// UDP and TCP.
    #[default]
    Any,
    /// UDP only.
    Udp,
    /// TCP only.
    Tcp,
}

/// One port, or an inclusive range `[low, high]`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum PortsFile {
    /// A single port.
    One(u32),
    /// An inclusive range.
    Range([u32; 2]),
}

/// One firewall rule.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Name shown in verdicts and traces.
    #[serde(default)]
    pub name: Option<String>,
    /// What a matching packet gets.
    pub action: ActionFile,
    /// Protocol matched.
    #[serde(default)]
    pub proto: ProtoFile,
    /// Source: a zone, a host name, "server" or "any".
    pub from: String,
    /// Destination: a zone, a host name, "server" or "any".
    pub to: String,
    /// Source ports matched (absent: any).
    #[serde(default)]
    pub src_ports: Option<PortsFile>,
    /// Destination ports matched (absent: any).
    #[serde(default)]
    pub dst_ports: Option<PortsFile>,
}

/// A client host and its disklist entries.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostFile {
    /// Host name.
    pub name: String,
    /// Zone it sits in.
    pub zone: String,
    /// Dumps allowed at once on this host (`maxdumps`).
    #[serde(default = "default_maxdumps")]
    pub maxdumps: u32,
    /// Its DLEs.
    pub disks: Vec<DiskFile>,
}

fn default_maxdumps() -> u32 {
    1
}

/// One disklist entry.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiskFile {
    /// Disk or directory name.
    pub name: String,
    /// Size of a full (level 0) dump, GB.
    pub full_gb: f64,
    /// Rate the client reads and sends it, MB/s.
    pub rate_mb_s: f64,
    /// Time sendsize needs to estimate it, seconds.
    #[serde(default = "default_estimate")]
    pub estimate_s: f64,
    /// Disks of a host with the same spindle number are never dumped at once; -1: no constraint.
    #[serde(default = "default_spindle")]
    pub spindle: i32,
}

fn default_estimate() -> f64 {
    10.0
}
fn default_spindle() -> i32 {
    -1
}

/// Many hosts alike, made at load: `count` hosts named by a pattern, each with the same disks,
/// whose sizes and rates are drawn from the scenario's seed.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostTemplateFile {
    /// How many hosts it makes (0 makes none).
    pub count: u32,
    /// The hosts' names: `{i}` is the host's number, from `first`; `{i:03}` pads it with zeros
    /// to 3 digits; `{{` and `}}` are braces. E.g. `"dmz-{i:03}"`.
    pub name: String,
    /// The first host's number.
    #[serde(default = "default_first")]
    pub first: u32,
    /// Zone the hosts sit in.
    pub zone: String,
    /// Dumps allowed at once on each host (`maxdumps`).
    #[serde(default = "default_maxdumps")]
    pub maxdumps: u32,
    /// Each host's disks: a count (named `/disk1`, `/disk2`, ...) or their names.
    pub disks: DisksFile,
    /// Size of a full dump, GB, drawn per disk.
    pub full_gb: DrawFile,
    /// Rate the client reads and sends a disk, MB/s, drawn per disk.
    pub rate_mb_s: DrawFile,
    /// Time sendsize needs to estimate a disk, seconds, drawn per disk.
    #[serde(default = "default_estimate_draw")]
    pub estimate_s: DrawFile,
    /// Spindle of every disk; -1: no constraint.
    #[serde(default = "default_spindle")]
    pub spindle: i32,
}

fn default_first() -> u32 {
    1
}
fn default_estimate_draw() -> DrawFile {
    DrawFile::Fixed(default_estimate())
}

/// A template host's disks.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum DisksFile {
    /// This many, named `/disk1`, `/disk2`, ...
    Count(u32),
    /// These names, in disklist order.
    Names(Vec<String>),
}

/// A value drawn per disk: a number (fixed), `[low, high]` (uniform, as
/// `workload.incremental_fraction`) or `{"mean": M, "sigma": S}` (log-normal, as
/// `workload.jitter` spreads rates). Drawn values are rounded to thousandths.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum DrawFile {
    /// Always this value.
    Fixed(f64),
    /// Uniform in `[low, high]`.
    Uniform([f64; 2]),
    /// Log-normal.
    LogNormal(LogNormalFile),
}

/// A log-normal distribution by its mean and spread.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogNormalFile {
    /// The mean.
    pub mean: f64,
    /// The log-normal sigma, 0 to 2 (0: always the mean).
    pub sigma: f64,
}
