//! The model of an Amanda night: server processes, clients, the firewall, and what they log.
//!
//! `site` holds the world and its one event `match`; the other modules each own one piece of
//! Amanda or the network and are plain state machines driven from there.

pub mod client;
pub mod config;
pub mod driver;
pub mod firewall;
pub mod measures;
pub mod network;
pub mod outcome;
pub mod packet;
pub mod planner;
pub mod ports;
pub mod protocol;
pub mod result;
pub mod runq;
pub mod site;
pub mod stateful;
pub mod trace;
pub mod version;
pub mod workload;

use serde::Serialize;
use std::fmt;

/// A dumper process, by its index (dumper0, dumper1, ... in fork order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DumperId(pub u16);

/// A client host, by its position in the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct HostId(pub u16);

/// A disklist entry, by its position in the scenario (hosts in order, their disks in order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DleId(pub u32);

/// A network zone (LAN, DMZ, ...), by its position in the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ZoneId(pub u8);

/// A machine that sends or receives packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// The Amanda server.
    Server,
    /// A client host.
    Host(HostId),
    /// Someone else in a zone (an attacker, for exposure measures).
    Outside,
}

impl fmt::Display for DumperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dumper{}", self.0)
    }
}
