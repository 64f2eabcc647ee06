//! `portsim check --bless`: rewrite the pinned fingerprints in the scenario files.
//!
//! Only the pin's value changes: the hex string after the file's one `"sha256"` key is replaced
//! in the text, so the file's formatting, key order and every other byte stay as they were. The
//! result is parsed again and must carry the new pin, then it replaces the file atomically.

use crate::output::write_atomic;
use serde_json::Value;
use std::path::Path;

/// Why a pin could not be rewritten.
#[derive(Debug, thiserror::Error)]
pub enum BlessError {
    /// The file could not be read or written.
    #[error("{file}: cannot bless: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The pin is not where `--bless` can rewrite it safely.
    #[error("{file}: expect.fingerprint.sha256: cannot bless: {msg}")]
    Layout {
        /// The file.
        file: String,
        /// What is wrong.
        msg: String,
    },
}

/// Replaces the value of the one `"sha256": "..."` entry of `text` with `new`.
pub fn rewrite(text: &str, new: &str) -> Result<String, String> {
    let key = "\"sha256\"";
    let hits: Vec<usize> = text.match_indices(key).map(|(i, _)| i).collect();
    let [at] = hits[..] else {
        return Err(format!(
            "found {} \"sha256\" keys; write exactly one, as \"fingerprint\": {{\"replication\": 0, \"sha256\": \"\"}}",
            hits.len()
        ));
    };
    let rest = &text[at + key.len()..];
    let after_colon = rest
        .trim_start()
        .strip_prefix(':')
        .ok_or("the \"sha256\" key is not followed by a value")?;
    let value = after_colon.trim_start();
    let body = value
        .strip_prefix('"')
        .ok_or("the pin is not a string: write \"sha256\": \"\"")?;
    let end = body.find('"').ok_or("the pin's string is not closed")?;
    if body[..end].contains('\\') {
        return Err("the pin contains an escape: write plain hex".into());
    }
    let start = text.len() - body.len();
    Ok(format!("{}{}{}", &text[..start], new, &body[end..]))
}

/// Sets the pin of `file` to `new`; returns the pin it replaced ("" when there was none).
pub fn bless_file(file: &Path, new: &str) -> Result<String, BlessError> {
    let label = file.display().to_string();
    let io = |e| BlessError::Io {
        file: label.clone(),
        source: e,
    };
    let text = std::fs::read_to_string(file).map_err(io)?;
    let layout = |msg: String| BlessError::Layout {
        file: label.clone(),
        msg,
    };
    let pinned = |t: &str| -> Option<String> {
        let v: Value = serde_json::from_str(t).ok()?;
        Some(v["expect"]["fingerprint"]["sha256"].as_str()?.to_string())
    };
    let old = pinned(&text)
        .ok_or_else(|| layout("the file has no expect.fingerprint.sha256 string".into()))?;
    let out = rewrite(&text, new).map_err(layout)?;
    if pinned(&out).as_deref() != Some(new) {
        return Err(layout(
            "the \"sha256\" key found is not expect.fingerprint's".into(),
        ));
    }
    if out != text {
        write_atomic(file, out.as_bytes()).map_err(io)?;
    }
    Ok(old)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn only_the_pin_changes() {
        let t = "{\n  \"seed\": 1,\n  \"expect\": {\"fingerprint\": {\"replication\": 0, \"sha256\" :  \"\"}},\n  \"z\": [1,2]\n}\n";
        let out = rewrite(t, "abc").unwrap();
        assert_eq!(
            out,
            t.replace("\"sha256\" :  \"\"", "\"sha256\" :  \"abc\"")
        );
        assert_eq!(
            rewrite(&out, "def").unwrap(),
            t.replace("\"sha256\" :  \"\"", "\"sha256\" :  \"def\"")
        );
    }

    #[test]
    fn ambiguous_or_odd_pins_are_refused() {
        assert!(rewrite("{}", "a").unwrap_err().contains("found 0"));
        assert!(
            rewrite("{\"sha256\": \"\", \"x\": {\"sha256\": \"\"}}", "a")
                .unwrap_err()
                .contains("found 2")
        );
        assert!(rewrite("{\"sha256\": 5}", "a").is_err());
    }
}
