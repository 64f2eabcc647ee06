//! Debug logs (`PROG.TIMESTAMP[NNN].debug`), one per process: dumper, planner, driver and amdump
//! on the server; amandad, sendbackup and sendsize on a client.
//!
//! Line prefixes (common-src/debug.c):
//! - 3.x: `Wed Dec 02 01:20:00.123456789 2026: pid 1234: thd-0x55d5c: dumper: TEXT` (local time);
//!   the first line says `pid P ruid R euid E version V: start at ...`.
//! - 2.x: `dumper: time 12.345: TEXT` (seconds since the process started) or `dumper: TEXT`; the
//!   first line says `dumper: debug 1 pid P ruid R euid E: start at Thu Nov 30 22:00:01 2006`.
//!
//! A line with no prefix continues the one before (Amanda logs packets with their newlines).
//! Texts used: `dgram_bind: socket N bound to ADDR:PORT` (2.4: `ADDR.PORT`), `bind_portrange: all
//! ports between LO and HI busy`, `dgram_bind: Could not bind to port in range: LO - HI`,
//! `dgram_bind: Giving up`, `Can't bind a socket to connect to HOST`, amandad's `already running,
//! acking req` and `received dup P_REQ packet`, and amdump's `Amdump exiting with code N`.

use super::LineError;
use super::lex::{Clock, clock, port_of_sockaddr, seconds};
use crate::model::ports::Port;

/// What one debug line says.
#[derive(Clone, Debug, PartialEq)]
pub enum DebugEvent {
    /// The process's first line.
    Header {
        /// Process id.
        pid: u32,
        /// Amanda version (3.x only).
        version: Option<String>,
    },
    /// `dgram_bind` got this UDP port.
    Bound(Port),
    /// `bind_portrange` found every port of the range taken (one scan).
    RangeBusy {
        /// First port.
        low: u16,
        /// Last port.
        high: u16,
    },
    /// `dgram_bind: Could not bind to port in range: LO - HI` (one failed scan).
    RangeMiss {
        /// First port.
        low: u16,
        /// Last port.
        high: u16,
    },
    /// `bind_portrange2: Try port N: ... Success` (3.x): port N came from the range scan.
    RangePortTaken(Port),
    /// `connect_port: Try  port N: available - Success` (3.x): a TCP connection will try to
    /// leave from reserved port N (auth `bsdtcp`: to the client's amandad).
    TcpPortTried(Port),
    /// `connected to ADDR:PORT` (3.x): a TCP connection to this destination port is up.
    TcpConnected(Port),
    /// `dgram_bind` gave up waiting for a range port.
    GaveUp,
    /// The security driver could not bind a socket for a request to this host.
    CantBind,
    /// amandad ACKed a duplicate request while the service still ran.
    AlreadyRunning,
    /// amandad saw a request it had already seen.
    DupRequest,
    /// amdump's exit status.
    ExitCode(i32),
    /// A line the night does not need (or a continuation line).
    Other,
}

/// One parsed debug line: when (if it says) and what.
#[derive(Clone, Debug, PartialEq)]
pub struct DebugLine {
    /// The program named in the prefix, when there is one.
    pub prog: Option<String>,
    /// The wall clock; 2.x lines carry seconds since start instead, see [`DebugLine::since_start`].
    pub at: Option<Clock>,
    /// 2.x: seconds since the process started.
    pub since_start: Option<f64>,
    /// What it says.
    pub event: DebugEvent,
}

/// Whether the first line of a file looks like a debug log.
pub fn sniff(first: &str) -> bool {
    prefix_3x(first).is_some() || first.contains(": debug ") && first.contains(" pid ")
}

/// `(clock, pid, prog, text)` of a 3.x line.
fn prefix_3x(line: &str) -> Option<(&str, &str, &str, &str)> {
    // `DATE: pid P: thd-X: PROG: TEXT`; DATE itself holds colons, so split at ": pid ".
    let (stamp, rest) = line.split_once(": pid ")?;
    let (pid, rest) = rest.split_once(": ")?;
    let rest = match rest.strip_prefix("thd-") {
        Some(r) => r.split_once(": ")?.1,
        None => rest,
    };
    let (prog, text) = rest
        .split_once(": ")
        .unwrap_or((rest.trim_end_matches(':'), ""));
    Some((stamp, pid, prog, text))
}

/// Parses one line of a debug log.
pub fn parse(line: &str) -> Result<DebugLine, LineError> {
    if let Some((stamp, pid, prog, text)) = prefix_3x(line) {
        let at = clock(stamp)
            .ok_or_else(|| LineError::new(format!("`{stamp}` is not a debug-log time stamp")))?;
        pid.parse::<u32>()
            .map_err(|_| LineError::new(format!("`{pid}` is not a process id")))?;
        return Ok(DebugLine {
            prog: Some(prog.to_string()),
            at: Some(at),
            since_start: None,
            event: event(text, pid)?,
        });
    }
    // 2.x: `PROG[PID]: time T: TEXT`, `PROG: TEXT`, or the header.
    if let Some((prog, rest)) = line.split_once(": ")
        && !prog.is_empty()
        && prog
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-[]".contains(&b))
    {
        let prog = prog.split('[').next().unwrap_or(prog).to_string();
        if let Some(r) = rest.strip_prefix("debug ")
            && let Some((head, start)) = r.split_once(": start at ")
        {
            let pid = head
                .split_whitespace()
                .skip_while(|w| *w != "pid")
                .nth(1)
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| LineError::new("debug header names no pid"))?;
            let at = clock(start.trim())
                .ok_or_else(|| LineError::new(format!("`{}` is not a date", start.trim())))?;
            return Ok(DebugLine {
                prog: Some(prog),
                at: Some(at),
                since_start: None,
                event: DebugEvent::Header { pid, version: None },
            });
        }
        let (since_start, text) = match rest.strip_prefix("time ") {
            Some(r) => {
                let (t, text) = r.split_once(": ").unwrap_or((r, ""));
                let s = seconds(t)
                    .ok_or_else(|| LineError::new(format!("`{t}` is not a time in seconds")))?;
                (Some(s), text)
            }
            None => (None, rest),
        };
        return Ok(DebugLine {
            prog: Some(prog),
            at: None,
            since_start,
            event: event(text, "")?,
        });
    }
    // A continuation line. amandad logs `SERVICE ARGS: already running, acking req` with the
    // request's XML (newlines and all) as ARGS, so that text ends a continuation line.
    Ok(DebugLine {
        prog: None,
        at: None,
        since_start: None,
        event: if line.trim_end().ends_with("already running, acking req") {
            DebugEvent::AlreadyRunning
        } else {
            DebugEvent::Other
        },
    })
}

fn event(text: &str, pid: &str) -> Result<DebugEvent, LineError> {
    let text = text.trim_end();
    if let Some(r) = text.strip_prefix("pid ")
        && r.contains(" ruid ")
        && r.contains(": start at ")
    {
        let version = r
            .split(" version ")
            .nth(1)
            .and_then(|v| v.split(':').next())
            .map(str::to_string);
        return Ok(DebugEvent::Header {
            pid: pid.parse().unwrap_or(0),
            version,
        });
    }
    if let Some(r) = text.strip_prefix("dgram_bind: socket")
        && let Some((_, addr)) = r.split_once("bound to ")
    {
        let p = port_of_sockaddr(addr.trim())
            .ok_or_else(|| LineError::new(format!("`{addr}` names no port")))?;
        return Ok(DebugEvent::Bound(Port(p)));
    }
    if let Some(r) = text.strip_prefix("bind_portrange: all ports between ") {
        let w: Vec<&str> = r.split_whitespace().collect();
        return match w.as_slice() {
            [lo, "and", hi, ..] => match (lo.parse(), hi.parse()) {
                (Ok(low), Ok(high)) => Ok(DebugEvent::RangeBusy { low, high }),
                _ => Err(LineError::new(
                    "`all ports between LO and HI` needs two ports",
                )),
            },
            _ => Err(LineError::new(
                "`all ports between LO and HI` needs two ports",
            )),
        };
    }
    if let Some(r) = text.strip_prefix("dgram_bind: Could not bind to port in range: ") {
        let w: Vec<&str> = r.trim_end_matches('.').split_whitespace().collect();
        return match w.as_slice() {
            [lo, "-", hi] => match (lo.parse(), hi.parse()) {
                (Ok(low), Ok(high)) => Ok(DebugEvent::RangeMiss { low, high }),
                _ => Err(LineError::new("`port in range: LO - HI` needs two ports")),
            },
            _ => Err(LineError::new("`port in range: LO - HI` needs two ports")),
        };
    }
    if let Some(e) = port_try_event(text) {
        return Ok(e);
    }
    if text.starts_with("dgram_bind: Giving up") {
        return Ok(DebugEvent::GaveUp);
    }
    if text.starts_with("Can't bind a socket to connect to ") {
        return Ok(DebugEvent::CantBind);
    }
    if text.ends_with("already running, acking req") {
        return Ok(DebugEvent::AlreadyRunning);
    }
    if text.contains("received dup P_REQ packet") {
        return Ok(DebugEvent::DupRequest);
    }
    if let Some(code) = text.strip_prefix("Amdump exiting with code ") {
        return code
            .trim()
            .parse()
            .map(DebugEvent::ExitCode)
            .map_err(|_| LineError::new(format!("`{code}` is not an exit code")));
    }
    Ok(DebugEvent::Other)
}

/// The port tries of `bind_portrange2` (UDP, the range) and `connect_port` (TCP, bsdtcp's
/// reserved port), and a TCP connection made.
fn port_try_event(text: &str) -> Option<DebugEvent> {
    if let Some(r) = text.strip_prefix("bind_portrange2: Try  port ")
        && r.ends_with("Success")
        && let Some(Ok(p)) = r.split(':').next().map(str::parse::<u16>)
    {
        return Some(DebugEvent::RangePortTaken(Port(p)));
    }
    if let Some(r) = text.strip_prefix("connect_port: Try  port ")
        && r.ends_with("Success")
        && let Some(Ok(p)) = r.split(':').next().map(str::parse::<u16>)
    {
        return Some(DebugEvent::TcpPortTried(Port(p)));
    }
    if let Some(addr) = text.strip_prefix("connected to ")
        && let Some(p) = port_of_sockaddr(addr.trim())
    {
        return Some(DebugEvent::TcpConnected(Port(p)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_3x() {
        let h = parse("Wed Dec 02 01:15:03.117218029 2026: pid 2211: thd-0x55e0c1a0f400: dumper: pid 2211 ruid 34 euid 34 version 3.5.1: start at Wed Dec  2 01:15:03 2026").unwrap();
        assert_eq!(
            h.event,
            DebugEvent::Header {
                pid: 2211,
                version: Some("3.5.1".into())
            }
        );
        assert_eq!(h.prog.as_deref(), Some("dumper"));
        let b = parse("Wed Dec 02 01:15:04.5 2026: pid 2211: thd-0x55e0c1a0f400: dumper: dgram_bind: socket 5 bound to 0.0.0.0:851").unwrap();
        assert_eq!(b.event, DebugEvent::Bound(Port(851)));
        // bsdtcp (lab run harness-hole-one-host-bsdtcp-1): the reserved port tried, and the
        // connection to amandad.
        let t = parse("Wed Dec 02 05:39:43.749461095 2026: pid 380: thd-0x55ce82d83d80: dumper: connect_port: Try  port 519: available - Success").unwrap();
        assert_eq!(t.event, DebugEvent::TcpPortTried(Port(519)));
        let c = parse("Wed Dec 02 05:39:44.256277717 2026: pid 380: thd-0x55ce82d83d80: dumper: connected to 10.251.5.2:10080").unwrap();
        assert_eq!(c.event, DebugEvent::TcpConnected(Port(10080)));
        let busy = parse("Wed Dec 02 01:15:04.5 2026: pid 2211: thd-0x1: dumper: bind_portrange: all ports between 840 and 860 busy").unwrap();
        assert_eq!(
            busy.event,
            DebugEvent::RangeBusy {
                low: 840,
                high: 860
            }
        );
        let ar = parse("Wed Dec 02 01:16:04.5 2026: pid 77: thd-0x1: amandad: amandad: sendbackup: already running, acking req").unwrap();
        assert_eq!(ar.event, DebugEvent::AlreadyRunning);
        let ex =
            parse("Wed Dec 02 01:17:00 2026: pid 70: thd-0x1: amdump: Amdump exiting with code 5")
                .unwrap();
        assert_eq!(ex.event, DebugEvent::ExitCode(5));
        let t = parse("Wed Dec 02 01:17:00 2026: pid 70: thd-0x1: dumper: bind_portrange2: Try  port 853: Available - Success").unwrap();
        assert_eq!(t.event, DebugEvent::RangePortTaken(Port(853)));
        let m = parse("Wed Dec 02 01:17:00 2026: pid 70: thd-0x1: dumper: dgram_bind: Could not bind to port in range: 840 - 860.").unwrap();
        assert_eq!(
            m.event,
            DebugEvent::RangeMiss {
                low: 840,
                high: 860
            }
        );
    }

    #[test]
    fn lines_of_2x() {
        let h =
            parse("dumper: debug 1 pid 4711 ruid 34 euid 34: start at Thu Nov 30 22:00:01 2006")
                .unwrap();
        assert_eq!(
            h.event,
            DebugEvent::Header {
                pid: 4711,
                version: None
            }
        );
        assert!(h.at.is_some());
        let b = parse("dumper: time 0.002: dgram_bind: socket bound to 0.0.0.0.851").unwrap();
        assert_eq!(b.event, DebugEvent::Bound(Port(851)));
        assert_eq!(b.since_start, Some(0.002));
    }

    #[test]
    fn continuation_and_errors() {
        assert_eq!(
            parse("SERVICE sendbackup").unwrap().event,
            DebugEvent::Other
        );
        assert!(parse("Wed Dec 99 01:15:04.5 2026: pid 2211: thd-0x1: dumper: x").is_err());
        assert!(parse("Wed Dec 02 01:15:04.5 2026: pid two: thd-0x1: dumper: x").is_err());
        assert!(parse("Wed Dec 02 01:15:04.5 2026: pid 2: thd-0x1: dumper: dgram_bind: socket 5 bound to nowhere").is_err());
        assert!(parse("dumper: time soon: hello").is_err());
    }
}
