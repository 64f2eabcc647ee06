//! The facts an explanation is made of, as `explain --format json` gives them.

use super::*;

/// How a server process got its UDP port.
#[derive(Clone, Debug, Serialize)]
pub struct PortFact {
    /// The dumper.
    pub dumper: u16,
    /// When it bound (None: it never bound).
    pub at: Option<At>,
    /// The port.
    pub port: Option<u16>,
    /// In the range, the 512-1023 fallback, or a kernel port.
    pub bind: Option<BindKind>,
    /// Inside `udpportrange`.
    pub in_range: bool,
    /// Range ports taken when it bound, with who held them (for a bind outside the range).
    pub range_held_by: Vec<Holder>,
    /// Range ports the version skips because the services database names them.
    pub skipped_services: Vec<Holder>,
    /// Range ports still free when it bound in the range, itself included.
    pub free_in_range: u32,
    /// The range port leased per request (reserve-for-firewalled), if any, for the attempts told.
    pub leases: Vec<u16>,
}

/// A port and what holds or names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// The port.
    pub port: u16,
    /// `dumper3`, `planner`, `amcheck`, a process of `ports_in_use`, or a services name.
    pub by: String,
}

/// `--dumper N`: the dumper's port and everything it ran.
#[derive(Clone, Debug, Serialize)]
pub struct DumperStory {
    /// Its port.
    pub port: PortFact,
    /// Its attempts in start order.
    pub attempts: Vec<AttemptLine>,
}

/// One attempt in a list.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptLine {
    /// `host:disk`.
    pub dle: String,
    /// Start.
    pub start: At,
    /// End.
    pub end: At,
    /// The dumper's result (None: unfinished).
    pub outcome: Option<Outcome>,
    /// The model's cause.
    pub cause: Cause,
    /// Amanda's text.
    pub message: String,
}

/// One DLE's night.
#[derive(Clone, Debug, Serialize)]
pub struct DleStory {
    /// `host:disk`.
    pub dle: String,
    /// Its host.
    pub host: String,
    /// Its host's zone.
    pub zone: String,
    /// Its packets cross the firewall.
    pub firewalled: bool,
    /// What became of it.
    pub fate: Option<DleFate>,
    /// The driver's or dumper's message when it was not dumped.
    pub message: String,
    /// What happened, in order.
    pub steps: Vec<Step>,
    /// Why, as facts: one entry per attempt.
    pub cause: Vec<AttemptCause>,
    /// The same night under each remedy.
    pub remedies: Vec<RemedyRun>,
}

/// Why the driver started an attempt when it did.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Trigger {
    /// The estimate phase ended: the driver got the schedule.
    Schedule,
    /// The driver woke from the 15 s sleep it began after a failure (2.4).
    DriverWoke {
        /// When it fell asleep.
        slept_at: At,
        /// The dumper whose failure put it to sleep.
        after: u16,
    },
    /// A dumper's result was read: its dumper became idle.
    ResultRead {
        /// The dumper that reported.
        dumper: u16,
    },
    /// The host's start gap (15 s since its last dump started) ran out.
    HostGap {
        /// When the host's previous dump started.
        previous: At,
    },
    /// The retried DLE's 15 s hold (2.5+) ran out.
    RetryHold {
        /// When it was set.
        since: At,
    },
    /// 3.x: this DLE's failure was just read; the driver put it back in its run queue and
    /// filled idle dumpers at once, with no pause.
    Requeued {
        /// The dumper whose attempt failed.
        failed_on: u16,
    },
    /// None of the above: the driver looked again at this time.
    Other,
}

/// A step of the story.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// The estimate phase ended.
    Schedule {
        /// When.
        at: At,
        /// DLEs the planner scheduled.
        scheduled: usize,
    },
    /// The planner could not get this host's estimates.
    NotScheduled {
        /// When.
        at: At,
        /// Amanda's text.
        message: String,
    },
    /// The driver gave the DLE to a dumper.
    Dispatch {
        /// When.
        at: At,
        /// When the dumper's request left, if later (3.x: each dumper reads its command in
        /// turn; a requeued DLE waits for a new chunker).
        sent: Option<At>,
        /// 1 for the first attempt, 2 for the retry.
        attempt: u32,
        /// The dumper.
        dumper: u16,
        /// Its port at that moment.
        port: Option<u16>,
        /// Inside the range.
        in_range: bool,
        /// What made the driver look.
        trigger: Trigger,
        /// The dumper's `dumporder` letter.
        order: char,
        /// Lower-numbered dumpers running a dump (or holding an unread result) at that moment.
        lower_busy: Vec<u16>,
        /// Lower-numbered dumpers that took another DLE at the same instant.
        lower_took_other: Vec<u16>,
        /// Lower-numbered dumpers idle but left without this DLE.
        lower_idle: Vec<u16>,
    },
    /// How a dumper involved got its port (told once per dumper).
    Port(PortFact),
    /// A packet of one of the DLE's requests, with the firewall's verdict.
    Packet {
        /// When it was sent.
        at: At,
        /// The attempt whose request it belongs to.
        attempt: u32,
        /// Its kind.
        packet: PacketKind,
        /// `server:839` or `www2:10080`.
        from: String,
        /// Its destination, likewise.
        to: String,
        /// accept, drop or reject.
        verdict: Action,
        /// The rule's name, `default`, `same-zone` or a state entry.
        rule: String,
        /// Earlier packets of the same kind in this request (0: the first).
        resend: u32,
        /// Lost on a link after the firewall let it through.
        lost: bool,
        /// Sent after the attempt had ended (a client still resending).
        after_end: bool,
    },
    /// The client's amandad ignored a REQ: it was still resending a REP to another peer.
    Swallowed {
        /// When.
        at: At,
        /// The attempt.
        attempt: u32,
        /// The REQ's source port.
        port: u16,
        /// Whom amandad was answering.
        busy_with: Option<Peer>,
    },
    /// The client NAKed a REQ: its service was running for another peer.
    Nak {
        /// When.
        at: At,
        /// The attempt.
        attempt: u32,
        /// Whom amandad was serving.
        busy_with: Option<Peer>,
    },
    /// A request timer of the dumper expired.
    Timer {
        /// When.
        at: At,
        /// The attempt.
        attempt: u32,
        /// `resend`, `no-ack` or `no-reply`.
        expiry: &'static str,
        /// How long it had waited.
        waited_s: f64,
        /// REQs the request had sent when it fired.
        reqs: u32,
    },
    /// The dumper found no free range port and waited (2.5.2+ rescans, or a lease wait).
    PortWait {
        /// When it first found none.
        at: At,
        /// The dumper.
        dumper: u16,
        /// Times it found none.
        tries: u32,
        /// When the wait ended (a port, or giving up).
        until: At,
    },
    /// The dumper reported to the driver.
    AttemptEnd {
        /// When.
        at: At,
        /// The attempt.
        attempt: u32,
        /// The dumper.
        dumper: u16,
        /// DONE, TRY-AGAIN or FAILED.
        outcome: Outcome,
        /// The model's cause.
        cause: Cause,
        /// Amanda's text.
        message: String,
        /// Seconds from start to end.
        took_s: f64,
    },
    /// The 2.4 driver read the failure and slept (no dispatch at all).
    DriverSleep {
        /// When.
        at: At,
        /// Until.
        until: At,
    },
    /// The failed dumper rests before new work (2.5+).
    DumperRest {
        /// When.
        at: At,
        /// The dumper.
        dumper: u16,
        /// Until.
        until: At,
    },
    /// The driver put the DLE back in its run queue.
    Requeued {
        /// When.
        at: At,
        /// Retries the version allows.
        retries: u32,
        /// 3.x (no pause after a failure): seconds from the requeue to the retry's request,
        /// which waits for a new chunker. None for the versions that pause 15 s.
        retry_sent_after_s: Option<f64>,
    },
    /// The driver gave the DLE up for tonight.
    GaveUp {
        /// When.
        at: At,
        /// Amanda's text.
        message: String,
    },
}

/// The other side of a busy client: a request of another process.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Peer {
    /// The dumper (None: the planner).
    pub dumper: Option<u16>,
    /// Its port.
    pub port: u16,
    /// The DLE it was for, if a dumper's.
    pub dle: Option<String>,
    /// Which attempt of that DLE.
    pub attempt: Option<u32>,
    /// Whether the firewall dropped any client packet of that request.
    pub replies_dropped: bool,
    /// The rule that dropped them.
    pub dropped_by: Option<String>,
}

/// The facts behind one attempt's result.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptCause {
    /// 1, 2, ...
    pub attempt: u32,
    /// The dumper.
    pub dumper: u16,
    /// Its port.
    pub port: Option<u16>,
    /// Inside the range.
    pub in_range: bool,
    /// The result.
    pub outcome: Option<Outcome>,
    /// The model's cause.
    pub cause: Cause,
    /// Client packets of this attempt the firewall dropped, and by which rules.
    pub replies_dropped: u32,
    /// The rules that dropped them, in first-drop order.
    pub dropped_by: Vec<String>,
    /// The rules (or `same-zone`) that let the client's packets through, in first-use order.
    pub accepted_by: Vec<String>,
    /// REQs the client ignored or refused while busy with another peer.
    pub busy_with: Option<Peer>,
}

/// The same night with one remedy applied.
#[derive(Clone, Debug, Serialize)]
pub struct RemedyRun {
    /// The remedy.
    pub remedy: &'static str,
    /// Its parameters.
    pub params: serde_json::Value,
    /// Why it could not be applied to this scenario, if so.
    pub not_applicable: Option<String>,
    /// The DLE's fate that night.
    pub fate: Option<DleFate>,
    /// Its attempts.
    pub attempts: u32,
    /// Of which failed.
    pub failed_attempts: u32,
    /// The dumper and port of its last attempt.
    pub dumper: Option<u16>,
    /// That dumper's port.
    pub port: Option<u16>,
    /// When it was dumped.
    pub done_at: Option<At>,
    /// DLEs lost that night, all told.
    pub night_lost: usize,
    /// Dumped at the first attempt (what "prevented" means).
    pub clean: bool,
}
