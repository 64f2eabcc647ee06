//! Amanda version profiles: where versions differ in binding, fallback, timers and texts
//! (MODEL.md sections 2-3). Each difference is a field, so the model never asks "which version".

use crate::sim::SimDuration;
use serde::Serialize;

/// A supported Amanda version line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Version {
    /// 2.4.2 - 2.4.5: eager binding, silent fallback, 15 s driver sleep per failure.
    #[serde(rename = "2.4")]
    V2_4,
    /// 2.5.0: lazy binding, services-named ports skipped, fallback kept.
    #[serde(rename = "2.5.0")]
    V2_5_0,
    /// 2.5.1: as 2.5.0, plus partial estimate replies (PREP).
    #[serde(rename = "2.5.1")]
    V2_5_1,
    /// 2.5.2 and 3.x: no fallback; an extra dumper rescans the range every 15 s, then fails.
    #[serde(rename = "2.5.2")]
    V2_5_2,
}

/// Names accepted in `server.version`, in the order shown to users.
pub const VERSION_NAMES: &[&str] = &["2.4", "2.5.0", "2.5.1", "2.5.2", "3.x (as 2.5.2)"];

/// What a dumper does when no range port is free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exhausted {
    /// 2.4.2-2.5.1: any free port in 512-1023, then a kernel-chosen one; silent.
    Fallback,
    /// 2.5.2+: sleep and rescan the range, holding the DLE; give up after `limit` rescans.
    Rescan {
        /// Time between scans.
        interval: SimDuration,
        /// Rescans before giving up (120 = 30 minutes; 3.5.1's descriptor leak ends it near 50).
        limit: u32,
    },
}

/// What amandad does with a REQ from another peer while its service runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusyPolicy {
    /// NAK "amandad busy" (inetd `wait`, 2.4-2.5.1).
    Nak,
    /// ACK it ("already running, acking req") but send no REP until amandad exits (3.5.1).
    AckWithoutReply,
}

/// The driver's 15 s "in case the dumper failed because of a temporary network problem".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePause {
    /// The 2.4.x driver calls `sleep(15)` in `handle_dumper_result`: all dispatch stops, and
    /// results that arrive meanwhile queue up.
    Driver(SimDuration),
    /// The event-driven driver (trunk since 1999, 2.5 on): only the failed dumper idles, and
    /// the retried DLE gets a start time that far ahead (`dp->start_t = now + 15`).
    DumperAndDle(SimDuration),
}

/// Everything the model needs to know about a version.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// The version.
    pub version: Version,
    /// Dumpers bind at process start (2.4) rather than at their first request.
    pub eager_bind: bool,
    /// Ports named in the services database are skipped unless named for amanda (2.5.0+).
    pub skip_services: bool,
    /// What happens when the range is full.
    pub exhausted: Exhausted,
    /// Largest `inparallel` the driver accepts.
    pub max_inparallel: u32,
    /// A host gets no new dump within this long of its last one.
    pub host_gap: SimDuration,
    /// What pauses after every failure result.
    pub failure_pause: FailurePause,
    /// Times the driver retries a DLE after its first failure.
    pub retries: u32,
    /// sendsize sends a partial reply (PREP) as each disk's estimate is done (2.5.1+).
    pub partial_estimates: bool,
    /// amandad's answer to another peer while busy.
    pub busy: BusyPolicy,
}

/// 2.5.2's rescan: every 15 s, 120 times (30 minutes).
pub const RESCAN_INTERVAL: SimDuration = SimDuration::from_secs(15);
/// 2.5.2's rescan count.
pub const RESCAN_LIMIT: u32 = 120;

impl Version {
    /// Parses `server.version`; any 3.x behaves as 2.5.2.
    pub fn parse(s: &str) -> Option<Version> {
        match s {
            "2.4" | "2.4.2" | "2.4.3" | "2.4.4" | "2.4.5" => Some(Version::V2_4),
            "2.5.0" | "2.5" => Some(Version::V2_5_0),
            "2.5.1" => Some(Version::V2_5_1),
            "2.5.2" => Some(Version::V2_5_2),
            _ if s == "3" || s.starts_with("3.") => Some(Version::V2_5_2),
            _ => None,
        }
    }

    /// The profile of this version.
    pub fn profile(self) -> Profile {
        let v2_4 = Profile {
            version: self,
            eager_bind: true,
            skip_services: false,
            exhausted: Exhausted::Fallback,
            max_inparallel: 63,
            host_gap: SimDuration::from_secs(15),
            failure_pause: FailurePause::Driver(SimDuration::from_secs(15)),
            retries: 1,
            partial_estimates: false,
            busy: BusyPolicy::Nak,
        };
        // MODEL.md states the blocking 15 s sleep for 2.4; the event-driven driver of the trunk
        // that became 2.5 pauses only the failed dumper and the retried DLE.
        let v2_5_0 = Profile {
            eager_bind: false,
            skip_services: true,
            failure_pause: FailurePause::DumperAndDle(SimDuration::from_secs(15)),
            ..v2_4
        };
        match self {
            Version::V2_4 => v2_4,
            Version::V2_5_0 => v2_5_0,
            Version::V2_5_1 => Profile {
                partial_estimates: true,
                ..v2_5_0
            },
            Version::V2_5_2 => Profile {
                partial_estimates: true,
                exhausted: Exhausted::Rescan {
                    interval: RESCAN_INTERVAL,
                    limit: RESCAN_LIMIT,
                },
                busy: BusyPolicy::AckWithoutReply,
                ..v2_5_0
            },
        }
    }
}

impl Profile {
    /// Whether this version's failure texts are 2.5's (`[request failed: ...]`).
    fn modern(&self) -> bool {
        self.version != Version::V2_4
    }

    /// The dumper's text when no ACK came (MODEL.md section 2).
    pub fn no_ack_text(&self) -> &'static str {
        if self.modern() {
            "[request failed: timeout waiting for ACK]"
        } else {
            "[request timeout]"
        }
    }

    /// The dumper's text when the ACK came but no REP.
    pub fn no_reply_text(&self) -> &'static str {
        if self.modern() {
            "[request failed: timeout waiting for REP]"
        } else {
            "[reply timeout]"
        }
    }

    /// The driver's text when a DLE fails for good.
    pub fn gave_up_text(&self, host: &str) -> String {
        if self.modern() {
            "[too many dumper retry]".into()
        } else {
            format!("[could not connect to {host}]")
        }
    }

    /// The dumper's text for an amandad that NAKs because it is busy.
    pub fn busy_text(&self) -> &'static str {
        "NAK: amandad busy"
    }

    /// The dumper's text when it gives up waiting for a range port (2.5.2+).
    pub fn no_port_text(&self, host: &str) -> String {
        format!("[request failed: Can't bind a socket to connect to {host}]")
    }

    /// Whether `name` from the services database keeps a port usable (2.5.0+ rule).
    pub fn service_name_allows(&self, name: &str) -> bool {
        !self.skip_services || name.contains("amanda")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_x_behaves_as_2_5_2() {
        assert_eq!(Version::parse("3.5.1"), Some(Version::V2_5_2));
        assert_eq!(Version::parse("2.6"), None);
        let p = Version::V2_5_2.profile();
        assert!(!p.eager_bind && p.skip_services && p.partial_estimates);
        assert_eq!(
            p.exhausted,
            Exhausted::Rescan {
                interval: RESCAN_INTERVAL,
                limit: 120
            }
        );
    }

    #[test]
    fn only_2_4_binds_eagerly_and_sleeps() {
        let p = Version::V2_4.profile();
        assert!(p.eager_bind && !p.skip_services);
        assert_eq!(
            p.failure_pause,
            FailurePause::Driver(SimDuration::from_secs(15))
        );
        assert_eq!(
            Version::V2_5_0.profile().failure_pause,
            FailurePause::DumperAndDle(SimDuration::from_secs(15))
        );
        assert!(!Version::V2_5_0.profile().partial_estimates);
        assert!(Version::V2_5_1.profile().partial_estimates);
    }

    #[test]
    fn services_rule() {
        let p = Version::V2_5_0.profile();
        assert!(!p.service_name_allows("domain-s"));
        assert!(p.service_name_allows("amanda-dumper"));
        assert!(Version::V2_4.profile().service_name_allows("domain-s"));
    }
}
