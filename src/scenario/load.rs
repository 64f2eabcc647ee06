//! Reading and `--set` overrides: from JSON text to a [`Scenario`], validated by `super::validate`.
//!
//! Every error names where the bad input came from (the file, or the `--set` argument), the
//! JSON path inside it, and what would be accepted. Nothing is run until all of it is valid.

use super::schema::ScenarioFile;
use super::{Scenario, builtin};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where a scenario comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The built-in incident.
    Builtin,
    /// A file.
    File(PathBuf),
}

impl Source {
    /// How errors name this source.
    pub fn label(&self) -> String {
        match self {
            Source::Builtin => "<built-in tokyo.json>".into(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// Bad input: the run never starts. Exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("{file}: cannot read the scenario: {source}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not JSON.
    #[error("{file}:{line}:{column}: {msg}{}", if snippet.is_empty() { String::new() } else { format!("\n{snippet}") })]
    Syntax {
        /// The file.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What is wrong: "not valid JSON: " and the parser's words, or "not UTF-8".
        msg: String,
        /// The line with a caret under the column, or empty.
        snippet: String,
    },
    /// A value is wrong.
    #[error("{origin}: {path}: {msg}")]
    Invalid {
        /// The file, or `--set ARG`.
        origin: String,
        /// JSON path of the bad value.
        path: String,
        /// What is wrong and what is allowed.
        msg: String,
    },
    /// A transform of the scenario (a remedy) cannot be applied to it.
    #[error("{what}: {msg}")]
    Transform {
        /// The transform, e.g. `remedy widen-range`.
        what: String,
        /// Why not.
        msg: String,
    },
    /// A `--set` argument is malformed or names nothing.
    #[error("--set {arg}: {msg}")]
    Set {
        /// The argument as given.
        arg: String,
        /// What is wrong.
        msg: String,
    },
}

/// Most segments in a `--set` path: the deepest setting is a handful of segments down, and a
/// path of thousands would build a tree too deep to walk.
pub const MAX_SET_DEPTH: usize = 32;

/// One `--set path=value` override.
#[derive(Clone, Debug)]
pub struct SetArg {
    /// The argument as typed.
    pub raw: String,
    /// Path segments.
    pub path: Vec<String>,
    /// The value: JSON if it parses, else a string.
    pub value: Value,
}

impl SetArg {
    /// Parses `path=value`; the value is JSON (`[850,875]`, `20`, `true`) or a bare string.
    pub fn parse(raw: &str) -> Result<SetArg, InputError> {
        let Some((path, value)) = raw.split_once('=') else {
            return Err(InputError::Set {
                arg: raw.into(),
                msg: "expected path=value, e.g. server.inparallel=10".into(),
            });
        };
        let path: Vec<String> = path.trim().split('.').map(str::to_string).collect();
        if path.len() > MAX_SET_DEPTH {
            return Err(InputError::Set {
                arg: raw.chars().take(60).collect::<String>() + "...",
                msg: format!(
                    "the path has {} segments; no setting lies deeper than {MAX_SET_DEPTH}",
                    path.len()
                ),
            });
        }
        if path.iter().any(String::is_empty) {
            return Err(InputError::Set {
                arg: raw.into(),
                msg: "the path has an empty segment; write e.g. server.udpportrange".into(),
            });
        }
        let value = match super::strict::from_str(value.trim()) {
            Ok(v) => v,
            // A value that opens a list or an object was meant as JSON: say what is wrong.
            Err(e) if value.trim_start().starts_with(['[', '{']) => {
                return Err(InputError::Set {
                    arg: raw.into(),
                    msg: format!("the value is not valid JSON: {e}"),
                });
            }
            Err(_) => Value::String(value.trim().to_string()),
        };
        Ok(SetArg {
            raw: raw.into(),
            path,
            value,
        })
    }

    /// The path as serde reports it: `hosts[3].zone`.
    fn dotted(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            if seg.parse::<usize>().is_ok() {
                out.push_str(&format!("[{seg}]"));
            } else {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(seg);
            }
        }
        out
    }
}

/// Applies `--set` arguments to a scenario tree, in order, without validating the result.
pub fn with_sets(mut root: Value, sets: &[String]) -> Result<Value, InputError> {
    for s in sets {
        apply(&mut root, &SetArg::parse(s)?)?;
    }
    Ok(root)
}

/// Applies one override to the JSON tree, creating missing objects along the way.
fn apply(root: &mut Value, s: &SetArg) -> Result<(), InputError> {
    let err = |msg: String| InputError::Set {
        arg: s.raw.clone(),
        msg,
    };
    let mut cur = root;
    for (i, seg) in s.path.iter().enumerate() {
        let last = i + 1 == s.path.len();
        let here = s.path[..i].join(".");
        cur = match cur {
            Value::Object(map) => {
                if last {
                    map.insert(seg.clone(), s.value.clone());
                    return Ok(());
                }
                map.entry(seg.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            Value::Array(items) => {
                let n = items.len();
                let idx: usize = seg.parse().map_err(|_| {
                    err(format!(
                        "{here} is a list: index it with a number from 0 to {}",
                        n.saturating_sub(1)
                    ))
                })?;
                let slot = items.get_mut(idx).ok_or_else(|| {
                    err(format!(
                        "{here} has {n} entries: index {idx} is out of range"
                    ))
                })?;
                if last {
                    *slot = s.value.clone();
                    return Ok(());
                }
                slot
            }
            _ => {
                return Err(err(format!(
                    "{here} is a single value; it has no field {seg:?}"
                )));
            }
        };
    }
    Ok(())
}

/// Reads a scenario's JSON text as a tree, before any validation; a file that names a `base`
/// comes back merged with it ([`super::base`]).
pub fn read(source: &Source) -> Result<Value, InputError> {
    let label = source.label();
    let text = match source {
        Source::Builtin => builtin::TOKYO.to_string(),
        Source::File(p) => super::text::read_file(p, &label)?,
    };
    let tree = super::text::parse_json(&text, &label)?;
    super::base::resolve(source, tree)
}

/// Reads, overrides and validates a scenario.
pub fn load(source: &Source, sets: &[String]) -> Result<Scenario, InputError> {
    load_value(source, read(source)?, sets)
}

/// Overrides and validates a scenario tree read from `source` (or transformed from it).
pub fn load_value(
    source: &Source,
    mut root: Value,
    sets: &[String],
) -> Result<Scenario, InputError> {
    let label = source.label();
    if !root.is_object() {
        return Err(InputError::Invalid {
            origin: label,
            path: "(top level)".into(),
            msg: "a scenario is a JSON object, {\"server\": {...}, \"hosts\": [...], ...}, not a list or a single value".into(),
        });
    }
    // `provenance` (written by `portsim import`) is for people; the model reads none of it.
    if let Value::Object(m) = &mut root {
        m.remove("provenance");
    }
    let sets = sets
        .iter()
        .map(|s| SetArg::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    for s in &sets {
        apply(&mut root, s)?;
    }
    let origin_of = |path: &str| -> String {
        sets.iter()
            .rev()
            .find(|s| {
                let d = s.dotted();
                path == d
                    || path.starts_with(&format!("{d}."))
                    || path.starts_with(&format!("{d}["))
                    || d.starts_with(&format!("{path}."))
                    || d.starts_with(&format!("{path}["))
            })
            .map(|s| format!("--set {}", s.raw))
            .unwrap_or_else(|| label.clone())
    };
    let mut file: ScenarioFile = serde_path_to_error::deserialize(root).map_err(|e| {
        let path = e.path().to_string();
        let inner = untagged_help(e.into_inner().to_string());
        // serde names the unknown field in its message; point the origin at it too.
        let origin = match unknown_field(&inner) {
            Some(f) if path == "." => origin_of(&f),
            Some(f) => origin_of(&format!("{path}.{f}")),
            None => origin_of(&path),
        };
        InputError::Invalid {
            origin,
            path: if path == "." {
                "(top level)".into()
            } else {
                path
            },
            msg: inner,
        }
    })?;
    let default_name = match source {
        Source::Builtin => builtin::TOKYO_NAME.to_string(),
        Source::File(p) => stem(p),
    };
    // Templates become hosts before validation: every check below sees them as listed hosts,
    // and names the template when one of its hosts is wrong.
    let made = super::template::expand(&mut file, &origin_of)?;
    let sc = super::validate::validate(file, default_name, &origin_of)
        .map_err(|e| made.locate(e, &origin_of))?;
    super::bounds::check(&sc, &origin_of).map_err(|e| made.locate(e, &origin_of))?;
    Ok(sc)
}

/// serde's words for a value that fits no form of a template's field, with the forms it takes.
fn untagged_help(msg: String) -> String {
    if msg.contains("untagged enum DrawFile") {
        "give a number (fixed), [low, high] (uniform) or {\"mean\": M, \"sigma\": S} (log-normal)"
            .into()
    } else if msg.contains("untagged enum DisksFile") {
        "give each host's disks as a count (3) or as names ([\"/\", \"/var\"])".into()
    } else {
        msg
    }
}

fn unknown_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into())
}
