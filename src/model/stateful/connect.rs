//! What the amanda helper reads from a reply: the ports after `CONNECT`.

use crate::model::ports::Port;

/// The ports `amanda_help` reads from a reply: after `CONNECT `, up to the newline, `DATA `,
/// `MESG ` and `INDEX ` in that order, each the leading digits of the next 5 characters, cut to
/// 16 bits; a missing keyword is skipped, a port of 0 ends the list, no newline means none.
pub fn parse_connect(reply: &str) -> Vec<Port> {
    let b = reply.as_bytes();
    let Some(c) = find(b, b"CONNECT ") else {
        return Vec::new();
    };
    let start = c + b"CONNECT ".len();
    let Some(nl) = find(&b[start..], b"\n") else {
        return Vec::new();
    };
    let line = &b[start..start + nl];
    let mut ports = Vec::new();
    for pat in [&b"DATA "[..], b"MESG ", b"INDEX "] {
        let Some(at) = find(line, pat) else {
            continue;
        };
        let off = at + pat.len();
        // pbuf is sizeof("65535") bytes: at most 5 characters are read.
        let window = &line[off..(off + 5).min(line.len())];
        let value = window
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
        let port = (value & 0xffff) as u16;
        if port == 0 {
            break;
        }
        ports.push(Port(port));
    }
    ports
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
