//! The model's typed configuration: the validated site (server, versions, firewall, network,
//! hosts and their DLEs) that a night runs on. The scenario layer reads files and validates them
//! into these types; nothing here knows the file format.

use super::driver::Order;
use super::firewall::Firewall;
use super::measures::StaticExposure;
use super::network::{Link, LinkId};
use super::ports::{Port, PortRange};
use super::stateful::StateConfig;
use super::version::Profile;
use super::{HostId, ZoneId};
use crate::sim::SimDuration;
use std::ops::Range;
use std::sync::OnceLock;

/// Who gets the ports of `udpportrange`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PortPolicy {
    /// Each dumper binds one socket in the range and keeps it (Amanda as shipped).
    #[default]
    PerDumper,
    /// Dumpers bind outside the range; a request to a firewalled client binds a range port for
    /// its duration and waits while none is free (MODEL.md section 5, remedy 4).
    PerRequestFirewalled,
}

/// When the planner binds its UDP socket (MODEL.md section 2: a race in 2.4's `amdump`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PlannerBinding {
    /// Binds first: it holds one range port while the dumpers bind, and estimates cross the firewall.
    #[default]
    BeforeDumpers,
    /// Binds after all dumpers: with a full range its port is a fallback one.
    AfterDumpers,
    /// The estimate phase lasts as long as the slowest host's estimates, with no packets: the
    /// planner's replies are taken to get through, as the incident site observed.
    Unmodelled,
}

/// A validated site, in the model's units: what one night runs on.
#[derive(Clone, Debug)]
pub struct SiteConfig {
    /// Short name (file stem or `name`).
    pub name: String,
    /// What it shows.
    pub description: String,
    /// Master seed.
    pub seed: u64,
    /// The server.
    pub server: Server,
    /// How nights are drawn.
    pub workload: Workload,
    /// One-way packet latency inside a zone.
    pub latency: SimDuration,
    /// Network links, by [`crate::model::network::LinkId`].
    pub links: Vec<NetLink>,
    /// Zone names, by [`ZoneId`].
    pub zones: Vec<String>,
    /// The filter between zones.
    pub firewall: Firewall,
    /// Its state table's settings, when it is stateful.
    pub state: Option<StateConfig>,
    /// Client hosts, by [`HostId`].
    pub hosts: Vec<Host>,
    /// DLEs, by [`crate::model::DleId`]: hosts in order, their disks in order.
    pub dles: Vec<Dle>,
    /// The firewall's static exposure, computed on first use (it scans every server port).
    pub exposure: OnceLock<StaticExposure>,
}

/// The server, validated.
#[derive(Clone, Debug)]
pub struct Server {
    /// Version profile.
    pub profile: Profile,
    /// Its zone.
    pub zone: ZoneId,
    /// Dumpers.
    pub inparallel: u16,
    /// `udpportrange`, if built with one.
    pub range: Option<PortRange>,
    /// Per-dumper `dumporder`.
    pub dumporder: Vec<Order>,
    /// `netusage`, KB/s.
    pub netusage_kbs: f64,
    /// amcheck's reply wait.
    pub ctimeout: SimDuration,
    /// Estimate reply wait per line.
    pub etimeout: SimDuration,
    /// Idle data limit.
    pub dtimeout: SimDuration,
    /// Ports other processes hold.
    pub ports_in_use: Vec<Port>,
    /// When the planner binds.
    pub planner: PlannerBinding,
    /// Services-database entries: (port, name).
    pub services: Vec<(Port, String)>,
    /// Who binds range ports.
    pub port_policy: PortPolicy,
    /// Whether an amcheck holds a range port all night.
    pub amcheck: bool,
}

impl Server {
    /// Whether `dgram_bind` may try `p` at all (2.5.0+ skips services-named ports).
    pub fn port_usable(&self, p: Port) -> bool {
        self.services
            .iter()
            .all(|(sp, name)| *sp != p || self.profile.service_name_allows(name))
    }

    /// Ports of the range `dgram_bind` may try.
    pub fn usable_range_ports(&self) -> u32 {
        self.range.map_or(0, |r| {
            r.iter().filter(|&p| self.port_usable(p)).count() as u32
        })
    }
}

/// Workload parameters, validated.
#[derive(Clone, Debug)]
pub struct Workload {
    /// `dumpcycle`, nights.
    pub dumpcycle: u32,
    /// Incremental size fraction bounds.
    pub incremental_fraction: (f64, f64),
    /// Log-normal sigma of rates and estimate times.
    pub jitter: f64,
    /// sendbackup's time from ACK to CONNECT.
    pub sendbackup_startup: SimDuration,
}

/// A client host.
#[derive(Clone, Debug)]
pub struct Host {
    /// Name.
    pub name: String,
    /// Zone.
    pub zone: ZoneId,
    /// `maxdumps`.
    pub maxdumps: u32,
    /// Its DLEs, as indices into [`SiteConfig::dles`].
    pub dles: Range<usize>,
    /// Links between the server and this host, in order.
    pub path: Vec<LinkId>,
    /// One-way latency between the server and this host.
    pub latency: SimDuration,
    /// Chance that a packet between the server and this host survives every link.
    pub survival: f64,
}

/// A validated link.
#[derive(Clone, Debug)]
pub struct NetLink {
    /// Name, for reports.
    pub name: String,
    /// The link itself.
    pub link: Link,
}

/// A disklist entry.
#[derive(Clone, Debug)]
pub struct Dle {
    /// Its host.
    pub host: HostId,
    /// Disk name.
    pub disk: String,
    /// Full dump size, KB.
    pub full_kb: f64,
    /// Client rate, KB/s.
    pub rate_kbs: f64,
    /// Estimate time.
    pub estimate: SimDuration,
    /// Spindle, -1 for none.
    pub spindle: i32,
}

impl SiteConfig {
    /// The firewall's static exposure (MODEL.md section 5), computed once.
    pub fn static_exposure(&self) -> StaticExposure {
        *self
            .exposure
            .get_or_init(|| super::measures::static_exposure(self))
    }

    /// Whether packets between the server and `h` cross the firewall.
    pub fn firewalled(&self, h: HostId) -> bool {
        self.hosts[usize::from(h.0)].zone != self.server.zone
    }
}
