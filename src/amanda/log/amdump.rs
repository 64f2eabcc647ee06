//! The amdump log (`amdump.YYYYMMDDhhmmss`, or `amdump` / `amdump.1` in 2.x): amdump's own lines,
//! the planner's stderr and the driver's stdout and stderr, interleaved.
//!
//! Lines used (server-src/driverio.c, driver.c, planner.c; the same in 2.4 and 3.x):
//! - `amdump: start at DATE` and `end at DATE`: the night's wall clock;
//! - `driver: started dumperN pid P`: which process is which dumper;
//! - `driver: start time T inparallel N ...`;
//! - `driver: send-cmd time T to dumperN: PORT-DUMP|FILE-DUMP|SHM-DUMP HANDLE ... HOST FEATURES
//!   DISK DEVICE LEVEL DUMPDATE ...`: an attempt starts (the words before the dump date are read
//!   backwards, so the 2.4 and 3.x argument lists both fit);
//! - `driver: result time T from dumperN: DONE|TRY-AGAIN|FAILED|RETRY HANDLE ... MESSAGE`;
//! - `driver: FINISHED time T`;
//! - `planner: time T: getting estimates took S secs`, `planner: FAILED HOST DISK DATE 0 [MSG]`,
//!   `PROG: pid P executable X version V`;
//! - `planner: time T: got result for host H disk D: LEVELS`: a client's estimate of one DLE is
//!   in (`import --log` reads estimate times from it; 2.4.5's server-side estimates print
//!   `planner time T: got result ...`, without the colon, and are not read: no sendsize ran).
//!
//! Driver times count from the driver's start, planner times from the planner's.
//! Other lines of a known program (`driver:`, `planner:`, ...) and the planner's report text
//! (`pondering ...`, `GETTING ESTIMATES...`) are recognised and skipped.

use super::LineError;
use super::lex::{
    Clock, bracketed, clock_with_zone, is_dumpdate, is_features, seconds, unquote, words,
};
use crate::model::DumperId;
use crate::model::outcome::Outcome;

/// One amdump-log line, as far as portsim needs it.
#[derive(Clone, Debug, PartialEq)]
pub enum AmdumpLine {
    /// `amdump: start at ...`.
    Start(Clock),
    /// `amdump: end at ...`.
    End(Clock),
    /// `PROG: pid P executable X version V`.
    Version {
        /// Program.
        prog: String,
        /// Version.
        version: String,
    },
    /// `driver: started dumperN pid P`.
    DumperStarted {
        /// Dumper.
        dumper: DumperId,
        /// Process id.
        pid: u32,
    },
    /// `driver: start time T inparallel N ...`.
    DriverStart {
        /// Driver seconds.
        time: f64,
        /// `inparallel`.
        inparallel: Option<u32>,
    },
    /// A dump handed to a dumper.
    Dispatch {
        /// Driver seconds.
        time: f64,
        /// Dumper.
        dumper: DumperId,
        /// The job's serial, e.g. `01-00001`.
        handle: String,
        /// Host.
        host: String,
        /// Disk.
        disk: String,
        /// Level.
        level: Option<u8>,
    },
    /// A dumper's result.
    Result {
        /// Driver seconds.
        time: f64,
        /// Dumper.
        dumper: DumperId,
        /// The job's serial (none for `(eof)`).
        handle: Option<String>,
        /// DONE, TRY-AGAIN (also 3.x `RETRY`) or FAILED (also a dumper's death).
        outcome: Outcome,
        /// Amanda's text, brackets included.
        message: String,
    },
    /// `driver: FINISHED time T`.
    DriverFinished {
        /// Driver seconds.
        time: f64,
    },
    /// `planner: time T: got result for host H disk D: L -> SK, ...`: one DLE's estimate is in.
    EstimateResult {
        /// Planner seconds.
        time: f64,
        /// Host.
        host: String,
        /// Disk.
        disk: String,
    },
    /// `planner: time T: getting estimates took S secs`.
    EstimatesDone {
        /// Planner seconds.
        time: f64,
    },
    /// `planner: FAILED HOST DISK DATE 0 [MSG]`.
    PlannerFailed {
        /// Host.
        host: String,
        /// Disk.
        disk: String,
        /// Amanda's text.
        message: String,
    },
    /// A line of a known kind that the night does not need.
    Skipped,
}

/// Programs whose `NAME: ...` lines may appear in the amdump log.
const PROGRAMS: [&str; 10] = [
    "amdump", "driver", "planner", "dumper", "chunker", "taper", "amreport", "reporter", "amflush",
    "amtrmlog",
];

/// How the planner's report text starts (planner.c's unprefixed `g_fprintf(stderr, ...)`).
const PLANNER_TEXT: &[&str] = &[
    "READING CONF INFO",
    "SENDING FLUSHES",
    "ENDFLUSH",
    "SETTING UP FOR ESTIMATES",
    "GETTING ESTIMATES",
    "ANALYZING ESTIMATES",
    "INITIAL SCHEDULE",
    "DELAYING DUMPS",
    "PROMOTING DUMPS",
    "GENERATING SCHEDULE",
    "--------",
    "----",
    "--> Generated empty schedule",
    "setup_estimate:",
    "pondering ",
    "curr level ",
    "picklev:",
    "pick: ",
    "delay: ",
    "try ",
    "no try ",
    "level: ",
    "no valid estimate",
    "total size ",
    "error result for host",
    "got strange nak",
    "got a bad message",
    "BUMPED",
    "not bumped",
    "DUMP ",
    "planner time ",
];

/// Parses one amdump-log line. `Ok(None)`: a line the reader does not know.
pub fn parse(line: &str) -> Result<Option<AmdumpLine>, LineError> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(Some(AmdumpLine::Skipped));
    }
    if let Some(rest) = t.strip_prefix("amdump: ") {
        return amdump_line(rest).map(Some);
    }
    if let Some(rest) = t.strip_prefix("driver: ") {
        return driver_line(rest).map(Some);
    }
    if let Some(rest) = t.strip_prefix("planner: ") {
        return planner_line(rest).map(Some);
    }
    if let Some(v) = version_line(t) {
        return Ok(Some(v));
    }
    let prog = t.split(':').next().unwrap_or("");
    // The driver's own chatter (driver.c, diskfile.c `dump_queue`, holding.c).
    let driver_text = t.contains(" QUEUE:")
        || t.split_once(": ")
            .is_some_and(|(n, _)| n.bytes().all(|b| b.is_ascii_digit()))
        || t == "..."
        || t.starts_with("reserving ")
        || t.starts_with("Move runq to directq")
        || t.starts_with("Cleaning up holding disk")
        || t.starts_with("writing ") && t.contains(" command: ");
    let schedule_text = PLANNER_TEXT.iter().any(|p| t.starts_with(p))
        || t.starts_with("FLUSH ")
        // `host:disk overdue N days ...`, `host:disk lev 0 skipped ...`, `  host disk pri ...`.
        || t.split_whitespace().nth(1).is_some_and(|w| {
            matches!(w, "overdue" | "lev" | "Disabling" | "pri") || t.contains(" pri ")
        })
        // A partial estimate result's levels: ` 0 -> 1536K, -1 -> -1K, -1 -> -1K`.
        || t.contains(" -> ") && t.ends_with('K')
        || t.starts_with('(') && t.ends_with(')');
    if PROGRAMS.contains(&prog) || schedule_text || driver_text {
        return Ok(Some(AmdumpLine::Skipped));
    }
    Ok(None)
}

fn amdump_line(rest: &str) -> Result<AmdumpLine, LineError> {
    let at = |r: &str, what: &str| {
        clock_with_zone(r)
            .ok_or_else(|| LineError::new(format!("amdump: {what} at: `{r}` is not a date")))
    };
    if let Some(r) = rest.strip_prefix("start at ") {
        return Ok(AmdumpLine::Start(at(r, "start")?));
    }
    if let Some(r) = rest.strip_prefix("end at ") {
        return Ok(AmdumpLine::End(at(r, "end")?));
    }
    Ok(AmdumpLine::Skipped)
}

fn version_line(t: &str) -> Option<AmdumpLine> {
    let (prog, rest) = t.split_once(": pid ")?;
    let version = rest.split(" version ").nth(1)?.split_whitespace().next()?;
    Some(AmdumpLine::Version {
        prog: prog.to_string(),
        version: version.to_string(),
    })
}

fn time_word(w: &str) -> Result<f64, LineError> {
    seconds(w).ok_or_else(|| LineError::new(format!("`{w}` is not a time in seconds")))
}

fn dumper_word(w: &str) -> Option<DumperId> {
    w.trim_end_matches(':')
        .strip_prefix("dumper")?
        .parse()
        .ok()
        .map(DumperId)
}

fn driver_line(rest: &str) -> Result<AmdumpLine, LineError> {
    if let Some(v) = version_line(&format!("driver: {rest}")) {
        return Ok(v);
    }
    let w: Vec<&str> = rest.split_whitespace().collect();
    match w.as_slice() {
        ["started", who, "pid", pid, ..] => match dumper_word(who) {
            Some(dumper) => Ok(AmdumpLine::DumperStarted {
                dumper,
                pid: pid
                    .parse()
                    .map_err(|_| LineError::new(format!("`{pid}` is not a process id")))?,
            }),
            None => Ok(AmdumpLine::Skipped),
        },
        ["start", "time", t, rest @ ..] => Ok(AmdumpLine::DriverStart {
            time: time_word(t)?,
            inparallel: rest
                .iter()
                .position(|x| *x == "inparallel")
                .and_then(|i| rest.get(i + 1))
                .and_then(|n| n.parse().ok()),
        }),
        ["FINISHED", "time", t, ..] => Ok(AmdumpLine::DriverFinished {
            time: time_word(t)?,
        }),
        ["send-cmd", "time", t, "to", who, ..] => match dumper_word(who) {
            Some(dumper) => dispatch(time_word(t)?, dumper, rest),
            None => Ok(AmdumpLine::Skipped),
        },
        ["result", "time", t, "from", who, ..] => match dumper_word(who) {
            Some(dumper) => result(time_word(t)?, dumper, rest),
            None => Ok(AmdumpLine::Skipped),
        },
        _ => Ok(AmdumpLine::Skipped),
    }
}

/// The words after `dumperN: `.
fn after_colon(rest: &str) -> &str {
    rest.split_once(": ").map_or("", |(_, r)| r)
}

fn dispatch(time: f64, dumper: DumperId, rest: &str) -> Result<AmdumpLine, LineError> {
    let w = words(after_colon(rest));
    let Some(cmd) = w.first() else {
        return Err(LineError::new("send-cmd names no command"));
    };
    if !cmd.ends_with("-DUMP") {
        return Ok(AmdumpLine::Skipped);
    }
    let bad = || {
        LineError::new(format!(
            "{cmd} needs HANDLE ... HOST FEATURES DISK DEVICE LEVEL DUMPDATE"
        ))
    };
    let d = w.iter().position(|x| is_dumpdate(x)).ok_or_else(bad)?;
    if d < 5 {
        return Err(bad());
    }
    // Old 2.4 clients send no feature string: HOST sits right before DISK.
    let host = if is_features(&w[d - 4]) && d >= 6 {
        &w[d - 5]
    } else {
        &w[d - 4]
    };
    let level = w[d - 1]
        .parse::<u8>()
        .map_err(|_| LineError::new(format!("`{}` is not a dump level", w[d - 1])))?;
    Ok(AmdumpLine::Dispatch {
        time,
        dumper,
        handle: w[1].clone(),
        host: host.clone(),
        disk: unquote(&w[d - 3]),
        level: Some(level),
    })
}

fn result(time: f64, dumper: DumperId, rest: &str) -> Result<AmdumpLine, LineError> {
    let tail = after_colon(rest);
    if tail.trim() == "(eof)" {
        return Ok(AmdumpLine::Result {
            time,
            dumper,
            handle: None,
            outcome: Outcome::Failed,
            message: format!("[{dumper} died]"),
        });
    }
    let w = words(tail);
    let outcome = match w.first().map(String::as_str) {
        Some("DONE") => Outcome::Done,
        Some("TRY-AGAIN" | "RETRY") => Outcome::TryAgain,
        Some("FAILED") => Outcome::Failed,
        Some(_) => return Ok(AmdumpLine::Skipped),
        None => return Err(LineError::new("result names no outcome")),
    };
    let handle = w
        .get(1)
        .ok_or_else(|| LineError::new(format!("{} needs a HANDLE", w[0])))?;
    let joined = w[2..].join(" ");
    let message = bracketed(&joined).unwrap_or(joined);
    Ok(AmdumpLine::Result {
        time,
        dumper,
        handle: Some(handle.clone()),
        outcome,
        message,
    })
}

fn planner_line(rest: &str) -> Result<AmdumpLine, LineError> {
    if let Some(v) = version_line(&format!("planner: {rest}")) {
        return Ok(v);
    }
    if let Some(r) = rest.strip_prefix("FAILED ") {
        let w = words(r);
        if w.len() < 3 {
            // `planner: FAILED MESSAGE` (a whole-run failure): nothing per DLE.
            return Ok(AmdumpLine::Skipped);
        }
        return Ok(AmdumpLine::PlannerFailed {
            host: w[0].clone(),
            disk: unquote(&w[1]),
            message: bracketed(r).unwrap_or_default(),
        });
    }
    if let Some(r) = rest.strip_prefix("time ")
        && let Some(e) = estimate_result(r)
    {
        return e;
    }
    if let Some(r) = rest.strip_prefix("time ")
        && r.contains(": getting estimates took ")
    {
        let t = r.split(':').next().unwrap_or("");
        return Ok(AmdumpLine::EstimatesDone {
            time: time_word(t)?,
        });
    }
    Ok(AmdumpLine::Skipped)
}

/// `T: got result for host H disk D: LEVELS` (2.4.5 and 3.5.1 planner.c alike); the disk
/// ends at the last `: `, the levels part holds none.
fn estimate_result(r: &str) -> Option<Result<AmdumpLine, LineError>> {
    let (t, what) = r.split_once(": got result for host ")?;
    let head = what.rsplit_once(": ").map_or(what, |(h, _)| h);
    let Some((host, disk)) = head.split_once(" disk ") else {
        return Some(Err(LineError::new(
            "got result for host H disk D: needs the disk",
        )));
    };
    Some(time_word(t).map(|time| AmdumpLine::EstimateResult {
        time,
        host: host.to_string(),
        disk: unquote(disk),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> AmdumpLine {
        parse(line).unwrap().unwrap()
    }

    #[test]
    fn dispatch_in_3x_and_24_shapes() {
        let new = one(
            r#"driver: send-cmd time 3.051 to dumper4: PORT-DUMP 01-00005 44287 NULL 64 client.sim fffffeff9ffeff7f "/lab/data/d05" NODEVICE 0 1970:1:1:0:0:0 GNUTAR "" "" "" "" "" "" "" "" 1 "" "" bsdudp AMANDA 40400 20 |"  <auth>bsdudp</auth>\n""#,
        );
        assert_eq!(
            new,
            AmdumpLine::Dispatch {
                time: 3.051,
                dumper: DumperId(4),
                handle: "01-00005".into(),
                host: "client.sim".into(),
                disk: "/lab/data/d05".into(),
                level: Some(0),
            }
        );
        let old = one(
            "driver: send-cmd time 71.329 to dumper12: FILE-DUMP 00-00013 /dumps/amanda/20061130/dmz3._var.1 dmz3 ffff9efe0f /var sda2 1 2006:11:29:22:5:14 DUMP |;bsd-auth;index;",
        );
        match old {
            AmdumpLine::Dispatch {
                dumper,
                host,
                disk,
                level,
                ..
            } => {
                assert_eq!(
                    (dumper, host.as_str(), disk.as_str()),
                    (DumperId(12), "dmz3", "/var")
                );
                assert_eq!(level, Some(1));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn results_quoted_and_unquoted() {
        assert_eq!(
            one(
                r#"driver: result time 33.118 from dumper7: TRY-AGAIN 01-00008 "[request failed: timeout waiting for ACK]""#
            ),
            AmdumpLine::Result {
                time: 33.118,
                dumper: DumperId(7),
                handle: Some("01-00008".into()),
                outcome: Outcome::TryAgain,
                message: "[request failed: timeout waiting for ACK]".into(),
            }
        );
        match one("driver: result time 45.678 from dumper13: TRY-AGAIN 00-00014 [request timeout]")
        {
            AmdumpLine::Result { message, .. } => assert_eq!(message, "[request timeout]"),
            other => panic!("{other:?}"),
        }
        match one(
            r#"driver: result time 9.2 from dumper0: DONE 01-00001 1536 1536 3 1a2b3c4d:1572864 1a2b3c4d:1572864 "[sec 3.2 kb 1536 kps 480.0 orig-kb 1536]""#,
        ) {
            AmdumpLine::Result {
                outcome, message, ..
            } => {
                assert_eq!(outcome, Outcome::Done);
                assert_eq!(message, "[sec 3.2 kb 1536 kps 480.0 orig-kb 1536]");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn clocks_starts_and_planner() {
        assert!(matches!(
            one("amdump: start at Wed Dec  2 01:15:00 UTC 2026"),
            AmdumpLine::Start(_)
        ));
        assert_eq!(
            one("driver: started dumper11 pid 4242"),
            AmdumpLine::DumperStarted {
                dumper: DumperId(11),
                pid: 4242
            }
        );
        assert_eq!(
            one("planner: time 30.412: getting estimates took 30.401 secs"),
            AmdumpLine::EstimatesDone { time: 30.412 }
        );
        assert_eq!(
            one(
                "planner: FAILED client.sim /lab/data/d01 20261202011500 0 [Request to client.sim failed: timeout waiting for ACK]"
            ),
            AmdumpLine::PlannerFailed {
                host: "client.sim".into(),
                disk: "/lab/data/d01".into(),
                message: "[Request to client.sim failed: timeout waiting for ACK]".into(),
            }
        );
        assert_eq!(
            one("driver: pid 812 executable /usr/lib/amanda/driver version 3.5.1"),
            AmdumpLine::Version {
                prog: "driver".into(),
                version: "3.5.1".into()
            }
        );
        assert_eq!(
            one("pondering client.sim:/d... next_level0 -1 last_level -1 (due for level 0)"),
            AmdumpLine::Skipped
        );
        assert_eq!(parse("something else entirely").unwrap(), None);
    }

    #[test]
    fn malformed_known_lines_are_errors() {
        assert!(parse("driver: result time x from dumper0: DONE 01-00001").is_err());
        assert!(parse("driver: send-cmd time 1.0 to dumper0: PORT-DUMP 01-00001 no date").is_err());
        assert!(parse("driver: started dumper0 pid many").is_err());
        assert!(parse("amdump: start at someday").is_err());
        assert!(parse("driver: result time 1.0 from dumper0: DONE").is_err());
    }

    #[test]
    fn estimate_results_of_both_eras() {
        assert_eq!(
            one(
                "planner: time 1.113: got result for host client.sim disk /amanda-lab/data/d15: 0 -> 1540K, -1 -> -3K, -1 -> -3K"
            ),
            AmdumpLine::EstimateResult {
                time: 1.113,
                host: "client.sim".into(),
                disk: "/amanda-lab/data/d15".into()
            }
        );
        assert_eq!(
            one(
                "planner: time 31.402: got result for host dmz1 disk /var: 0 -> 3200K, 1 -> 160K, -1 -> -1K"
            ),
            AmdumpLine::EstimateResult {
                time: 31.402,
                host: "dmz1".into(),
                disk: "/var".into()
            }
        );
        assert!(parse("planner: time x: got result for host a disk b: 0 -> 1K").is_err());
    }
}
