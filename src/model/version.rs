//! Amanda version profiles: where versions differ in binding, fallback, timers and texts.

use crate::sim::SimDuration;
use serde::Serialize;

/// A supported Amanda version line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Version {
    /// Amanda 2.4.2 - 2.4.5: eager binding, silent fallback.
    #[serde(rename = "2.4")]
    V2_4,
}

/// Names accepted in `server.version`, in the order shown to users.
pub const VERSION_NAMES: &[&str] = &["2.4"];

/// What a dumper does when no range port is free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exhausted {
    /// 2.4.2-2.5.1: any free port in 512-1023, then a kernel-chosen one.
    Fallback,
}

/// Everything the model needs to know about a version.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// The version.
    pub version: Version,
    /// Dumpers bind at process start (2.4) rather than at their first request.
    pub eager_bind: bool,
    /// What happens when the range is full.
    pub exhausted: Exhausted,
    /// Largest `inparallel` the driver accepts.
    pub max_inparallel: u32,
    /// A host gets no new dump within this long of its last one.
    pub host_gap: SimDuration,
    /// The driver sleeps this long after every failure result.
    pub failure_sleep: SimDuration,
    /// Times the driver retries a DLE after its first failure.
    pub retries: u32,
}

impl Version {
    /// Parses `server.version`.
    pub fn parse(s: &str) -> Option<Version> {
        match s {
            "2.4" | "2.4.2" | "2.4.3" | "2.4.4" | "2.4.5" => Some(Version::V2_4),
            _ => None,
        }
    }

    /// The profile of this version.
    pub fn profile(self) -> Profile {
        match self {
            Version::V2_4 => Profile {
                version: self,
                eager_bind: true,
                exhausted: Exhausted::Fallback,
                max_inparallel: 63,
                host_gap: SimDuration::from_secs(15),
                failure_sleep: SimDuration::from_secs(15),
                retries: 1,
            },
        }
    }
}

impl Profile {
    /// The dumper's text when no ACK came (MODEL.md section 2).
    pub fn no_ack_text(&self) -> &'static str {
        "[request timeout]"
    }

    /// The dumper's text when the ACK came but no REP.
    pub fn no_reply_text(&self) -> &'static str {
        "[reply timeout]"
    }

    /// The driver's text when a DLE fails for good.
    pub fn gave_up_text(&self, host: &str) -> String {
        format!("[could not connect to {host}]")
    }

    /// The dumper's text for an amandad that NAKs because it is busy.
    pub fn busy_text(&self) -> &'static str {
        "NAK: amandad busy"
    }
}
