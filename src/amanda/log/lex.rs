//! The small lexical pieces every Amanda log shares: quoted words, bracketed messages, clocks.

use chrono::NaiveDateTime;

/// Splits a line into words as Amanda's `split_quoted_strings` does: spaces separate words, a
/// `"..."` part may hold spaces, and a backslash inside quotes escapes the next character
/// (`\n`, `\t`, `\\`, `\"`, or three octal digits). An unterminated quote runs to the line's end.
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            '\\' if quoted => {
                in_word = true;
                match chars.next() {
                    Some('n') => cur.push('\n'),
                    Some('t') => cur.push('\t'),
                    Some('r') => cur.push('\r'),
                    Some('f') => cur.push('\x0c'),
                    Some(d @ '0'..='7') => {
                        let mut v = d.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match chars.peek().and_then(|c| c.to_digit(8)) {
                                Some(x) => {
                                    v = v * 8 + x;
                                    chars.next();
                                }
                                None => break,
                            }
                        }
                        cur.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                    }
                    Some(other) => cur.push(other),
                    None => {}
                }
            }
            ' ' | '\t' if !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            _ => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Undoes `quote_string` on one word: `"a b"` becomes `a b`; an unquoted word is returned as is.
pub fn unquote(word: &str) -> String {
    if word.starts_with('"') {
        words(word).into_iter().next().unwrap_or_default()
    } else {
        word.to_string()
    }
}

/// The message of a trace-log line's tail: the text from the first `[` to the matching last `]`,
/// with one doubled bracket pair removed (3.x dumpers log `[[request failed: ...]]` because the
/// error text already carries its brackets). `None` if the tail holds no bracket.
pub fn bracketed(tail: &str) -> Option<String> {
    let start = tail.find('[')?;
    let end = tail.rfind(']')?;
    if end < start {
        return None;
    }
    let inner = &tail[start..=end];
    if inner.starts_with("[[") && inner.ends_with("]]") {
        Some(inner[1..inner.len() - 1].to_string())
    } else {
        Some(inner.to_string())
    }
}

/// A wall-clock instant as the logs print it (local time, no zone).
pub type Clock = NaiveDateTime;

/// Parses the 3.x debug-line stamp `Wed Dec 02 01:20:00.123456789 2026`, or the same without a
/// fraction, or a ctime-style `Wed Dec  2 01:20:00 2026` (2.x `start at`).
pub fn clock(s: &str) -> Option<Clock> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    NaiveDateTime::parse_from_str(&s, "%a %b %d %H:%M:%S%.f %Y").ok()
}

/// Parses amdump's `start at Wed Dec  2 01:20:00 UTC 2026` (a zone name before the year, which
/// is dropped: every clock of one night is read in the same zone).
pub fn clock_with_zone(s: &str) -> Option<Clock> {
    let w: Vec<&str> = s.split_whitespace().collect();
    match w.len() {
        6 => clock(&format!("{} {} {} {} {}", w[0], w[1], w[2], w[3], w[5])),
        5 => clock(s),
        _ => None,
    }
}

/// Seconds from `a` to `b`, negative if `b` is earlier.
pub fn seconds_between(a: Clock, b: Clock) -> f64 {
    let d = b - a;
    d.num_microseconds()
        .map_or(d.num_seconds() as f64, |us| us as f64 / 1e6)
}

/// A driver or planner `time T` value: seconds with a fraction.
pub fn seconds(word: &str) -> Option<f64> {
    let v: f64 = word.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// Whether `word` is a feature string: hex digits only, as long as Amanda's shortest.
pub fn is_features(word: &str) -> bool {
    word.len() >= 8 && word.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `word` is a dump date as the driver sends it: `YYYY:M:D:h:m:s`.
pub fn is_dumpdate(word: &str) -> bool {
    let parts: Vec<&str> = word.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `word` is a run's datestamp: 8 or 14 digits (`20261202` or `20261202011500`).
pub fn is_datestamp(word: &str) -> bool {
    (word.len() == 8 || word.len() == 14) && word.bytes().all(|b| b.is_ascii_digit())
}

/// The port at the end of a socket address as Amanda prints it: `0.0.0.0:851`, `[::]:851`,
/// or 2.4's `0.0.0.0.851`.
pub fn port_of_sockaddr(s: &str) -> Option<u16> {
    let s = s.trim_end_matches(['.', ',']);
    let tail = s.rsplit([':', '.']).next()?;
    tail.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_follow_split_quoted_strings() {
        assert_eq!(
            words(r#"TRY-AGAIN 01-00001 "[request failed: timeout waiting for ACK]""#),
            [
                "TRY-AGAIN",
                "01-00001",
                "[request failed: timeout waiting for ACK]"
            ]
        );
        assert_eq!(words(r#"a "b\"c\\d\nx\101" e"#), ["a", "b\"c\\d\nxA", "e"]);
        assert_eq!(words("  a   b "), ["a", "b"]);
        assert_eq!(words(r#"x "unterminated"#), ["x", "unterminated"]);
        assert_eq!(words(r#""""#), [""]);
    }

    #[test]
    fn bracketed_drops_one_doubled_pair() {
        assert_eq!(
            bracketed("0 [[request failed: timeout waiting for ACK]]").as_deref(),
            Some("[request failed: timeout waiting for ACK]")
        );
        assert_eq!(
            bracketed("0 [request timeout]").as_deref(),
            Some("[request timeout]")
        );
        assert_eq!(bracketed("0 no bracket"), None);
        assert_eq!(bracketed("] then ["), None);
    }

    #[test]
    fn clocks_of_both_eras() {
        let a = clock("Wed Dec 02 01:20:00.500000000 2026").unwrap();
        let b = clock("Wed Dec  2 01:20:03 2026").unwrap();
        assert_eq!(seconds_between(a, b), 2.5);
        let c = clock_with_zone("Wed Dec  2 01:20:04 UTC 2026").unwrap();
        assert_eq!(seconds_between(b, c), 1.0);
        assert!(clock("Wed Dec 32 01:20:00 2026").is_none());
        assert!(clock_with_zone("yesterday").is_none());
    }

    #[test]
    fn ports_of_addresses() {
        assert_eq!(port_of_sockaddr("0.0.0.0:851"), Some(851));
        assert_eq!(port_of_sockaddr("[::]:845"), Some(845));
        assert_eq!(port_of_sockaddr("0.0.0.0.851"), Some(851));
        assert_eq!(port_of_sockaddr("nothing"), None);
    }

    #[test]
    fn shapes_of_words() {
        assert!(is_dumpdate("1970:1:1:0:0:0"));
        assert!(!is_dumpdate("1970:1:1:0:0"));
        assert!(is_features("fffffeff9ffeff7f"));
        assert!(!is_features("client.sim"));
        assert!(is_datestamp("20261202011500") && is_datestamp("20261202"));
        assert!(!is_datestamp("0"));
    }
}
