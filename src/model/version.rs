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
    /// 2.5.2 and 3.0-3.3.2: no fallback; an extra dumper rescans the range every 15 s, then fails.
    #[serde(rename = "2.5.2")]
    V2_5_2,
    /// 3.3.3 - 3.3.9: as 2.5.2, but a host waits 5 s between dump starts, not 15.
    #[serde(rename = "3.3.3")]
    V3_3_3,
    /// 3.4 - 3.5.x: no host gap, an amandad that serves many requests at once, retries
    /// requeued at once, 5 REP sends (read from the 3.5.1 sources; see [`Version::profile`]).
    #[serde(rename = "3.5")]
    V3_5,
}

/// Names accepted in `server.version`, in the order shown to users.
pub const VERSION_NAMES: &[&str] = &[
    "2.4",
    "2.5.0",
    "2.5.1",
    "2.5.2",
    "3.0-3.3.2 (as 2.5.2)",
    "3.3.3-3.3.9 (as 2.5.2, 5 s host gap)",
    "3.4",
    "3.5",
    "3.5.1",
];

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

/// What amandad does with a packet other than the awaited ACK while it waits for the ACK of
/// its REP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepWaitRestart {
    /// 2.4.2-2.4.5 (`client-src/amandad.c`, `amanda245` lines 568-619): any packet but an ACK
    /// from the requesting peer ends the `dgram_recv` without counting a try; the loop sends
    /// the REP again and waits another 10 s. A retried REQ keeps amandad alive; no ACK is sent.
    AnyPacket,
    /// 2.5.0 (`amanda250` amandad.c, `s_ackwait`, line 892): any packet but the ACK is NAKed
    /// and the wait runs on.
    Never,
    /// 2.5.1 on (`amanda251` amandad.c line 1040, `tag-2.5.2` line 1059, 3.5.1 line 1228):
    /// a duplicate REQ resends the REP and restarts the wait ("received dup P_REQ packet,
    /// resending REP"); nothing else does.
    DuplicateReq,
}

/// What makes a packet come from "the same peer" for a one-at-a-time amandad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerIdentity {
    /// 2.4.x (`client-src/amandad.c`, `amanda245` lines 535-556 and 577-615): the sender's
    /// address and port only; the handle is not compared, so a retry from the same dumper (same
    /// port) is the same peer: re-ACKed with the first request's handle while the service runs,
    /// and its REQ resends the first request's REP during the REP wait. Any ACK from that port
    /// ends the wait.
    Socket,
    /// 2.5.0 on (`common-src/bsd-security.c` lines 695-701 at `amanda250`,
    /// `common-src/security-util.c` lines 1368-1374 at `amanda251`, 1377-1381 at `tag-2.5.2`):
    /// a packet belongs to a handle only if handle, sequence, address and port all match; a
    /// retry's new handle is another peer.
    Request,
}

/// How a client's amandad serves requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmandadModel {
    /// One request at a time (inetd `wait`, one service per amandad); a second peer gets
    /// the [`BusyPolicy`] answer.
    OneAtATime(BusyPolicy),
    /// Many services at once in one amandad (3.x `amandad.c`: `serviceq`, one
    /// `active_service` per REQ); a REQ for a service already running with the same arguments
    /// (the same DLE) is ACKed with no REP (`protocol_accept`: "already running, acking req").
    Concurrent,
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
    /// 3.x: no pause at all. The DLE goes back to the run queue's tail at once and
    /// `start_some_dumps` runs at once, so the lowest idle dumper (often the one that just
    /// failed) picks again; its request leaves this much later (the chunker round trip, 0.2-0.9 s
    /// on a quiet machine in the lab: `driver.c`, `dumper_chunker_result`).
    Requeue(SimDuration),
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
    /// How amandad serves requests.
    pub amandad: AmandadModel,
    /// REP sends before amandad gives up waiting for their ACK (the first one included).
    pub rep_sends: u8,
    /// Which packets restart amandad's wait for the ACK of its REP.
    pub rep_wait_restart: RepWaitRestart,
    /// What makes a packet come from the peer amandad serves.
    pub peer_identity: PeerIdentity,
    /// The planner's failure texts are 3.x's (`[Request to HOST failed: ...]`,
    /// `[Some estimate timeout on HOST]`) and amdump's exit code is modelled.
    pub planner_3x: bool,
    /// The CONNECT reply names MESG by a 6-digit stream handle (3.x), which the amanda
    /// conntrack helper truncates to one port shared by every dump.
    pub mesg_handles: bool,
    /// From the schedule to the driver's first dispatch: 3.x starts the taper and the chunkers
    /// and waits for the taper's volume before it sends the first dump.
    pub driver_startup: SimDuration,
    /// A dumper's REQ leaves a uniform draw in [0, this] after the driver's command (the
    /// driver writes its commands one by one and each dumper process must run): so dumpers
    /// dispatched together bind in a random order, as in the lab, not in index order.
    pub command_jitter: SimDuration,
}

/// 2.5.2's rescan: every 15 s, 120 times (30 minutes).
pub const RESCAN_INTERVAL: SimDuration = SimDuration::from_secs(15);
/// 2.5.2's rescan count.
pub const RESCAN_LIMIT: u32 = 120;
/// 3.5.1's effective rescan count: each rescan leaks descriptors (pipes of `ambind`), and with
/// the usual soft limit of 1024 the dumper runs out after about 50 (lab run `full`: 50 scans
/// of `all ports between 840 and 860 busy`, then `Too many open files`).
pub const RESCAN_LIMIT_3_5: u32 = 50;
/// 3.5.1's delay between scans: the 15 s sleep (`security-util.c`/`dgram.c`: "Retrying entire
/// range after 15 second delay") plus the scan itself (~0.8 s in the lab with ambind).
pub const RESCAN_INTERVAL_3_5: SimDuration = SimDuration::from_millis(15_800);
/// 3.x's shortest delay from a failed DLE's requeue to its next REQ (the chunker restart); the
/// profile adds a uniform draw of up to [`REQUEUE_SPREAD_3_5`]: the lab's quiet runs took
/// 0.23-0.59 s (exp1) and 0.64-0.92 s (full).
pub const REQUEUE_DELAY_3_5: SimDuration = SimDuration::from_millis(200);
/// The spread of 3.x's requeue delay.
pub const REQUEUE_SPREAD_3_5: SimDuration = SimDuration::from_millis(700);
/// 3.5.1's driver start-up after the schedule: the lab's quiet runs sent the first dump 4.4-4.5 s
/// after the planner's FINISH (exp1: `FINISH planner ... time 1.229`, first `send-cmd time
/// 5.734`; base: the same), the time the taper takes to load and label its volume
/// (`driver.c`, `main`: no dump before the taper's `TAPER-OK`/`READY`).
pub const DRIVER_STARTUP_3_5: SimDuration = SimDuration::from_millis(4_400);
/// 3.5.1's spread from a driver command to its dumper's REQ: the lab's quiet run exp1 sent 15
/// commands within 0.26 s and the 15 dumpers bound within 0.25 s, in no index order (dumper11
/// bound before dumper0).
pub const COMMAND_JITTER_3_5: SimDuration = SimDuration::from_millis(300);
/// REP sends of 2.4-2.5 amandad: 2.4.5 `client-src/amandad.c` sends, then waits
/// `ACK_TIMEOUT` 10 s, `while(retry_count < max_retry_count)` with `MAX_RETRIES` 5 and only
/// a timeout counting (lines 44-46, 568-619; the same in `amanda242`): 5 REPs over 50 s.
/// 2.5.0-2.5.1 `MAX_REP_RETRIES` 5 and 2.5.2 `rep-tries` 5, with `--repretry > 0`: 5 too.
pub const REP_SENDS_2_X: u8 = 5;
/// REP sends of 3.5.1 amandad: `rep-tries` 5 (`amandad.c`, `s_processrep` sets
/// `repretry = getconf_int(CNF_REP_TRIES)`, `s_ackwait` resends while `--repretry > 0`).
pub const REP_SENDS_3_5: u8 = 5;

impl Version {
    /// Parses `server.version`: 3.4 and 3.5.x select the 3.5 profile; 3.0-3.3.2 keep the
    /// 2.5.2 profile they always had (their driver still had a 15 s host gap); 3.3.3-3.3.9
    /// take the 2.5.2 profile with the 5 s gap of their driver.
    pub fn parse(s: &str) -> Option<Version> {
        match s {
            "2.4" | "2.4.2" | "2.4.3" | "2.4.4" | "2.4.5" => Some(Version::V2_4),
            "2.5.0" | "2.5" => Some(Version::V2_5_0),
            "2.5.1" => Some(Version::V2_5_1),
            "2.5.2" => Some(Version::V2_5_2),
            "3.4" | "3.5" => Some(Version::V3_5),
            "3.3.3" | "3.3.4" | "3.3.5" | "3.3.6" | "3.3.7" | "3.3.8" | "3.3.9" => {
                Some(Version::V3_3_3)
            }
            _ if s.starts_with("3.4.") || s.starts_with("3.5.") => Some(Version::V3_5),
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
            amandad: AmandadModel::OneAtATime(BusyPolicy::Nak),
            rep_sends: REP_SENDS_2_X,
            rep_wait_restart: RepWaitRestart::AnyPacket,
            peer_identity: PeerIdentity::Socket,
            planner_3x: false,
            mesg_handles: false,
            driver_startup: SimDuration::ZERO,
            command_jitter: SimDuration::ZERO,
        };
        // MODEL.md states the blocking 15 s sleep for 2.4; the event-driven driver of the trunk
        // that became 2.5 pauses only the failed dumper and the retried DLE.
        let v2_5_0 = Profile {
            eager_bind: false,
            skip_services: true,
            failure_pause: FailurePause::DumperAndDle(SimDuration::from_secs(15)),
            rep_wait_restart: RepWaitRestart::Never,
            peer_identity: PeerIdentity::Request,
            ..v2_4
        };
        let v2_5_2 = Profile {
            partial_estimates: true,
            exhausted: Exhausted::Rescan {
                interval: RESCAN_INTERVAL,
                limit: RESCAN_LIMIT,
            },
            amandad: AmandadModel::OneAtATime(BusyPolicy::AckWithoutReply),
            rep_wait_restart: RepWaitRestart::DuplicateReq,
            ..v2_5_0
        };
        match self {
            Version::V2_4 => v2_4,
            Version::V2_5_0 => v2_5_0,
            Version::V2_5_1 => Profile {
                partial_estimates: true,
                rep_wait_restart: RepWaitRestart::DuplicateReq,
                ..v2_5_0
            },
            Version::V2_5_2 => v2_5_2,
            // `server-src/driver.c`, `start_some_dumps`: `host->start_t = now + 5` from
            // `subtag-zmanda-3.3.3` (line 1348) to `subtag-community-3.3.9`; `+ 15` up to
            // `subtag-community-3.3.2`.
            Version::V3_3_3 => Profile {
                host_gap: SimDuration::from_secs(5),
                ..v2_5_2
            },
            Version::V3_5 => profile_3_5(v2_5_0),
        }
    }
}

/// The 3.4-3.5.x profile, on top of 2.5.0's. Each rule read from the 3.5.1 sources (tag
/// subtag-community-3.5.1) and checked against the lab's real runs (issue 11):
/// - `server-src/driver.c`: `#define HOST_DELAY 0` (no per-host start gap);
///   `dumper_chunker_result`: a TRY-AGAIN with `dump_attempted < retry_dump`
///   (default 2: one retry) is `enqueue_sched(&runq, sp)` at once, then
///   `start_some_dumps` runs: no sleep, no rest.
/// - `amandad-src/amandad.c`: `protocol_accept` starts one `active_service` per
///   REQ and ACKs a REQ whose service and arguments are already running;
///   `s_ackwait`: `rep-tries` 5 REP sends, 10 s apart, a duplicate REQ resending.
/// - `server-src/planner.c`, `handle_result`: the failure texts; `main`:
///   `exit_status = EXIT_FAILURE` on an empty schedule.
/// - `common-src/security-util.c`/`dgram.c` rescans every 15 s; the descriptor
///   leak observed in the lab ends it after about 50 scans.
fn profile_3_5(v2_5_0: Profile) -> Profile {
    Profile {
        version: Version::V3_5,
        partial_estimates: true,
        exhausted: Exhausted::Rescan {
            interval: RESCAN_INTERVAL_3_5,
            limit: RESCAN_LIMIT_3_5,
        },
        host_gap: SimDuration::ZERO,
        failure_pause: FailurePause::Requeue(REQUEUE_DELAY_3_5),
        amandad: AmandadModel::Concurrent,
        rep_sends: REP_SENDS_3_5,
        rep_wait_restart: RepWaitRestart::DuplicateReq,
        planner_3x: true,
        mesg_handles: true,
        driver_startup: DRIVER_STARTUP_3_5,
        command_jitter: COMMAND_JITTER_3_5,
        ..v2_5_0
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

    /// The planner's text for a host whose estimates failed (`no_ack`: not even an ACK).
    pub fn estimate_failed_text(&self, host: &str, no_ack: bool) -> String {
        // 3.5.1 planner.c, handle_result: "timeout waiting for REP" becomes "Some estimate
        // timeout on HOST", any other error "Request to HOST failed: ERR".
        match (self.planner_3x, no_ack) {
            (false, _) => format!("[Estimate timeout from {host}]"),
            (true, true) => format!("[Request to {host} failed: timeout waiting for ACK]"),
            (true, false) => format!("[Some estimate timeout on {host}]"),
        }
    }

    /// The driver's text when a DLE fails for good.
    pub fn gave_up_text(&self, host: &str) -> String {
        if self.planner_3x {
            // 3.5.1 writes no text of its own: the trace log's last FAIL carries the dumper's.
            "[too many dumper retry]".into()
        } else if self.modern() {
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
    fn three_x_selects_its_profile() {
        assert_eq!(Version::parse("3.5.1"), Some(Version::V3_5));
        assert_eq!(Version::parse("3.5"), Some(Version::V3_5));
        assert_eq!(Version::parse("3.4.2"), Some(Version::V3_5));
        assert_eq!(Version::parse("3.3.2"), Some(Version::V2_5_2));
        assert_eq!(Version::parse("3.3.9"), Some(Version::V3_3_3));
        let p = Version::V3_5.profile();
        assert_eq!(p.host_gap, SimDuration::ZERO);
        assert_eq!(p.failure_pause, FailurePause::Requeue(REQUEUE_DELAY_3_5));
        assert_eq!(p.amandad, AmandadModel::Concurrent);
        assert_eq!(p.rep_sends, 5);
        assert_eq!(p.retries, 1);
        assert_eq!(
            p.estimate_failed_text("c", true),
            "[Request to c failed: timeout waiting for ACK]"
        );
        assert_eq!(
            p.estimate_failed_text("c", false),
            "[Some estimate timeout on c]"
        );
    }

    #[test]
    fn three_zero_behaves_as_2_5_2() {
        assert_eq!(Version::parse("3.1"), Some(Version::V2_5_2));
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
    fn host_gap_is_15_s_then_5_s_in_late_3_3_then_0() {
        let gap = |v: &str| Version::parse(v).unwrap().profile().host_gap;
        for (v, s) in [
            ("2.4", 15),
            ("2.5.2", 15),
            ("3.3.2", 15),
            ("3.3.3", 5),
            ("3.3.9", 5),
            ("3.4", 0),
            ("3.5.1", 0),
        ] {
            assert_eq!(gap(v), SimDuration::from_secs(s), "{v}");
        }
        let late = Version::V3_3_3.profile();
        assert_eq!(late.exhausted, Version::V2_5_2.profile().exhausted);
    }

    #[test]
    fn amandad_sends_its_rep_5_times_and_restarts_by_version() {
        for v in [
            Version::V2_4,
            Version::V2_5_0,
            Version::V2_5_2,
            Version::V3_5,
        ] {
            assert_eq!(v.profile().rep_sends, 5, "{v:?}");
        }
        let restart = |v: Version| v.profile().rep_wait_restart;
        assert_eq!(restart(Version::V2_4), RepWaitRestart::AnyPacket);
        assert_eq!(restart(Version::V2_5_0), RepWaitRestart::Never);
        assert_eq!(restart(Version::V2_5_1), RepWaitRestart::DuplicateReq);
        assert_eq!(restart(Version::V3_5), RepWaitRestart::DuplicateReq);
    }

    #[test]
    fn only_2_4_amandad_knows_its_peer_by_address_and_port() {
        let id = |v: Version| v.profile().peer_identity;
        assert_eq!(id(Version::V2_4), PeerIdentity::Socket);
        for v in [
            Version::V2_5_0,
            Version::V2_5_1,
            Version::V2_5_2,
            Version::V3_3_3,
            Version::V3_5,
        ] {
            assert_eq!(id(v), PeerIdentity::Request, "{v:?}");
        }
    }

    #[test]
    fn services_rule() {
        let p = Version::V2_5_0.profile();
        assert!(!p.service_name_allows("domain-s"));
        assert!(p.service_name_allows("amanda-dumper"));
        assert!(Version::V2_4.profile().service_name_allows("domain-s"));
    }
}
