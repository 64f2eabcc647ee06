//! The trace log, `log.YYYYMMDD[hhmmss].N`: one `TYPE program words...` line per event, written by
//! `log_add` (server-src/logfile.c). It has no clock except the driver's `FINISH ... time T`.
//!
//! Lines used: `START`, `DISK`, `SUCCESS`/`STRANGE`/`PARTIAL`/`FAIL`/`RETRY` of the dumper, driver
//! and planner, `STATS driver estimate|startup`, `FINISH driver`, `WARNING`/`ERROR`/`FATAL`.
//! Other known types (`INFO`, `DONE`, `PART`, `CHUNK`, ...) are recognised and skipped; an unknown
//! type word makes the line unrecognised. Both eras are read: 2.4 writes `SUCCESS dumper HOST DISK
//! DATE LEVEL [sec ...]`, 3.x inserts two CRCs before the bracket and writes `STRANGE` without a
//! date.

use super::LineError;
use super::lex::{bracketed, is_datestamp, seconds, unquote, words};

/// Every type word `log_add` writes (`logtype_str`).
const TYPES: [&str; 20] = [
    "BOGUS",
    "FATAL",
    "ERROR",
    "WARNING",
    "INFO",
    "SUMMARY",
    "START",
    "FINISH",
    "DISK",
    "DONE",
    "PART",
    "PARTPARTIAL",
    "SUCCESS",
    "PARTIAL",
    "FAIL",
    "STRANGE",
    "CHUNK",
    "CHUNKSUCCESS",
    "STATS",
    "MARKER",
];

/// One trace-log line, as far as portsim needs it.
#[derive(Clone, Debug, PartialEq)]
pub enum TraceLine {
    /// `START planner|driver date D`.
    Start {
        /// Program.
        prog: String,
        /// The run's datestamp.
        date: String,
    },
    /// `DISK planner HOST DISK`: one disklist entry, in disklist order.
    Disk {
        /// Host.
        host: String,
        /// Disk.
        disk: String,
    },
    /// A dump or estimate result for one DLE.
    Result {
        /// `SUCCESS`, `STRANGE`, `PARTIAL`, `FAIL` or `RETRY`.
        kind: ResultKind,
        /// `dumper`, `driver`, `planner`, `chunker`, `taper`, ...
        prog: String,
        /// Host.
        host: String,
        /// Disk.
        disk: String,
        /// Level, when the line gives one.
        level: Option<u8>,
        /// The bracketed message (`[sec 1.0 kb 10 kps 9.0]`, `[request timeout]`), or the tail.
        message: String,
        /// `kb N` of a success.
        kb: Option<f64>,
    },
    /// `STATS driver estimate HOST DISK DATE LEVEL [sec S nkb N ckb C kps K]`.
    Estimate {
        /// Host.
        host: String,
        /// Disk.
        disk: String,
        /// Level.
        level: Option<u8>,
        /// Estimated compressed size.
        ckb: Option<f64>,
    },
    /// `FINISH driver date D time T`: the driver's end, seconds after its start.
    DriverFinish {
        /// Seconds.
        time: f64,
    },
    /// `WARNING`, `ERROR` or `FATAL` from any program: kept for the report.
    Notice {
        /// Type word.
        kind: String,
        /// Program.
        prog: String,
        /// Text.
        text: String,
    },
    /// A line of a known type that the night does not need (`INFO`, `DONE taper`, ...).
    Skipped,
}

/// What a result line says became of the DLE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultKind {
    /// Dumped.
    Success,
    /// Dumped, with unexpected output.
    Strange,
    /// Dumped only in part.
    Partial,
    /// Failed.
    Fail,
    /// The dumper asks for a later retry (3.x).
    Retry,
}

/// Parses one trace-log line. `Ok(None)`: not a trace line (an unknown type word).
pub fn parse(line: &str) -> Result<Option<TraceLine>, LineError> {
    if line.starts_with("  ") || line.trim().is_empty() {
        // A continuation line (`log_start_multiline`) or a blank.
        return Ok(Some(TraceLine::Skipped));
    }
    let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
    if kind == "CONT" {
        return Ok(Some(TraceLine::Skipped));
    }
    if !TYPES.contains(&kind) && kind != "RETRY" {
        return Ok(None);
    }
    let (prog, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let w = words(rest);
    let need = |n: usize, what: &str| -> Result<(), LineError> {
        if w.len() < n {
            Err(LineError::new(format!("{kind} {prog} needs {what}")))
        } else {
            Ok(())
        }
    };
    let parsed = match (kind, prog) {
        ("START", _) => {
            need(2, "`date DATESTAMP`")?;
            TraceLine::Start {
                prog: prog.to_string(),
                date: w[1].clone(),
            }
        }
        ("DISK", _) => {
            need(2, "HOST DISK")?;
            TraceLine::Disk {
                host: w[0].clone(),
                disk: w[1].clone(),
            }
        }
        ("SUCCESS" | "STRANGE" | "PARTIAL" | "FAIL" | "RETRY", _) => result(kind, prog, rest, &w)?,
        ("STATS", "driver") if w.first().map(String::as_str) == Some("estimate") => {
            if w.len() < 5 {
                return Err(LineError::new(
                    "STATS driver estimate needs HOST DISK DATE LEVEL [...]",
                ));
            }
            TraceLine::Estimate {
                host: w[1].clone(),
                disk: w[2].clone(),
                level: Some(level(&w[4])?),
                ckb: field(rest, "ckb"),
            }
        }
        ("FINISH", "driver") => {
            let t = w
                .iter()
                .position(|x| x == "time")
                .and_then(|i| w.get(i + 1))
                .ok_or_else(|| LineError::new("FINISH driver needs `time T`"))?;
            TraceLine::DriverFinish {
                time: seconds(t)
                    .ok_or_else(|| LineError::new(format!("`{t}` is not a time in seconds")))?,
            }
        }
        ("WARNING" | "ERROR" | "FATAL", _) => TraceLine::Notice {
            kind: kind.to_string(),
            prog: prog.to_string(),
            text: rest.trim_end().to_string(),
        },
        _ => TraceLine::Skipped,
    };
    Ok(Some(parsed))
}

fn result(kind: &str, prog: &str, rest: &str, w: &[String]) -> Result<TraceLine, LineError> {
    let kind_of = match kind {
        "SUCCESS" => ResultKind::Success,
        "STRANGE" => ResultKind::Strange,
        "PARTIAL" => ResultKind::Partial,
        "FAIL" => ResultKind::Fail,
        _ => ResultKind::Retry,
    };
    // Taper and chunker lines name the same DLEs but say nothing of the dump attempts.
    if !matches!(prog, "dumper" | "driver" | "planner") {
        return Ok(TraceLine::Skipped);
    }
    if w.len() < 3 {
        return Err(LineError::new(format!(
            "{kind} {prog} needs HOST DISK [DATE] LEVEL [MESSAGE]"
        )));
    }
    // 2.4 and 3.x write a datestamp before the level; 3.x STRANGE does not.
    let lvl_word = if is_datestamp(&w[2]) && w.len() > 3 {
        &w[3]
    } else {
        &w[2]
    };
    let message = bracketed(rest).unwrap_or_else(|| {
        // RETRY: `HOST DISK DATE LEVEL delay D level L message M`.
        w.iter()
            .position(|x| x == "message")
            .map(|i| w[i + 1..].join(" "))
            .unwrap_or_default()
    });
    Ok(TraceLine::Result {
        kind: kind_of,
        prog: prog.to_string(),
        host: w[0].clone(),
        disk: unquote(&w[1]),
        level: Some(level(lvl_word)?),
        kb: field(&message, "kb"),
        message,
    })
}

fn level(word: &str) -> Result<u8, LineError> {
    word.parse::<u8>()
        .ok()
        .filter(|&l| l <= 99)
        .ok_or_else(|| LineError::new(format!("`{word}` is not a dump level (0-99)")))
}

/// The number after `name` in a `[sec 1 kb 2 kps 3]` message.
pub fn field(text: &str, name: &str) -> Option<f64> {
    let t = text.trim_matches(|c| c == '[' || c == ']');
    let mut it = t.split_whitespace();
    while let Some(k) = it.next() {
        if k == name {
            return it.next()?.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> TraceLine {
        parse(line).unwrap().unwrap()
    }

    #[test]
    fn success_lines_of_both_eras() {
        let old =
            one("SUCCESS dumper dmz1 /var 20061130 1 [sec 3.063 kb 1376 kps 449.2 orig-kb 1376]");
        let new = one(
            "SUCCESS dumper client.sim /lab/data/d01 20261202011500 0 a1b2c3d4:1572864 a1b2c3d4:1572864 [sec 3.2 kb 1536 kps 480.0 orig-kb 1536]",
        );
        match (old, new) {
            (
                TraceLine::Result {
                    level: Some(1),
                    kb: Some(k1),
                    ..
                },
                TraceLine::Result {
                    kind: ResultKind::Success,
                    host,
                    disk,
                    level: Some(0),
                    kb: Some(k2),
                    ..
                },
            ) => {
                assert_eq!((k1, k2), (1376.0, 1536.0));
                assert_eq!(
                    (host.as_str(), disk.as_str()),
                    ("client.sim", "/lab/data/d01")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fail_messages_lose_the_doubled_brackets() {
        match one(
            "FAIL dumper client.sim /lab/data/d03 20261202011500 0 [[request failed: timeout waiting for ACK]]",
        ) {
            TraceLine::Result {
                kind: ResultKind::Fail,
                message,
                ..
            } => assert_eq!(message, "[request failed: timeout waiting for ACK]"),
            other => panic!("{other:?}"),
        }
        match one(
            "FAIL planner client.sim /d 20261202011500 0 [Request to client.sim failed: timeout waiting for ACK]",
        ) {
            TraceLine::Result { prog, message, .. } => {
                assert_eq!(prog, "planner");
                assert_eq!(
                    message,
                    "[Request to client.sim failed: timeout waiting for ACK]"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quoted_disks_and_strange_without_date() {
        match one(r#"STRANGE dumper h "/my disk" 0 00000000:0 00000000:0 [sec 1 kb 2 kps 2]"#) {
            TraceLine::Result {
                kind: ResultKind::Strange,
                disk,
                level: Some(0),
                ..
            } => assert_eq!(disk, "/my disk"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_lines() {
        assert_eq!(
            one("FINISH driver date 20261202011500 time 121.532"),
            TraceLine::DriverFinish { time: 121.532 }
        );
        assert_eq!(one("INFO dumper dumper pid 1234"), TraceLine::Skipped);
        assert_eq!(one("  continuation"), TraceLine::Skipped);
        assert_eq!(parse("HELLO world").unwrap(), None);
        assert!(matches!(
            one("STATS driver estimate h /d 20261202 0 [sec 1 nkb 100 ckb 90 kps 50]"),
            TraceLine::Estimate {
                ckb: Some(90.0),
                ..
            }
        ));
    }

    #[test]
    fn malformed_known_lines_are_errors() {
        assert!(parse("SUCCESS dumper host").is_err());
        assert!(parse("FAIL dumper h /d 20261202 x [oops]").is_err());
        assert!(parse("FINISH driver date 1 time soon").is_err());
        assert!(parse("DISK planner onlyhost").is_err());
    }
}
