//! Reading a scenario file's text: bounded in size (`/dev/zero` is refused, not read for ever),
//! UTF-8 with the place of the first bad byte, and JSON syntax errors shown with their line and
//! a caret under the column.

use super::load::InputError;
use std::io::Read;
use std::path::Path;

/// Largest scenario file read: the library's largest is a few KB; this leaves room for
/// generated sites with thousands of hosts and stops a device or a runaway file early.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Reads `path` as UTF-8 text of at most [`MAX_BYTES`]; `label` names it in errors.
pub fn read_file(path: &Path, label: &str) -> Result<String, InputError> {
    let read_err = |source| InputError::Read {
        file: label.into(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(read_err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {} MiB: not a scenario file",
                MAX_BYTES / (1024 * 1024)
            ),
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[start..]).chars().count() + 1;
        InputError::Syntax {
            file: label.into(),
            line,
            column,
            msg: format!(
                "not UTF-8 (byte 0x{:02x}): save the file as UTF-8",
                e.as_bytes()[good.len()]
            ),
            snippet: String::new(),
        }
    })
}

/// Parses `text` as JSON; a syntax error names `label`, the line and column, and shows the line.
pub fn parse_json(text: &str, label: &str) -> Result<serde_json::Value, InputError> {
    super::strict::from_str(text).map_err(|e| InputError::Syntax {
        file: label.into(),
        line: e.line(),
        column: e.column(),
        msg: format!("not valid JSON: {e}"),
        snippet: snippet(text, e.line(), e.column()),
    })
}

/// Most characters of a line shown around the error.
const WIDTH: usize = 72;

/// The line `line` of `text` (from 1), cut to [`WIDTH`] characters around `column` (from 1),
/// with a caret under the column: what rustc and miette print.
pub fn snippet(text: &str, line: usize, column: usize) -> String {
    let Some(src) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let chars: Vec<char> = src.chars().collect();
    let col = column.saturating_sub(1).min(chars.len());
    let from = col.saturating_sub(WIDTH / 2);
    let to = (from + WIDTH).min(chars.len());
    let shown: String = chars[from..to].iter().collect();
    let lead = if from > 0 { "..." } else { "" };
    let gutter = " ".repeat(line.to_string().len());
    format!(
        "{gutter} |\n{line} | {lead}{shown}\n{gutter} | {}^",
        " ".repeat(lead.len() + col - from)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_column() {
        let s = snippet("{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7);
        assert_eq!(s, "  |\n3 |   \"b\" 2\n  |       ^");
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = "x".repeat(500) + "!" + &"y".repeat(500);
        let s = snippet(&line, 1, 501);
        let rows: Vec<&str> = s.lines().collect();
        assert!(rows[1].len() < 100, "{}", rows[1]);
        let caret = rows[2].find('^').unwrap();
        assert_eq!(rows[1].as_bytes()[caret], b'!');
    }
}
