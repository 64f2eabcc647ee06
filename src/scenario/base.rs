//! Scenario files built on another: `"base": "tokyo.json"` plus `--set`-style `overrides`.
//!
//! ```json
//! {
//!   "base": "tokyo.json",
//!   "description": "The incident with inparallel back at 10.",
//!   "overrides": ["server.inparallel=10"],
//!   "expect": { ... }
//! }
//! ```
//!
//! The base (a path relative to this file) is read and resolved the same way, its own `name`,
//! `description` and `expect` are dropped (they describe the base, not this file), the overrides
//! are applied in order exactly as `portsim run --set` would apply them, and then every other
//! top-level key of this file replaces the base's. [`crate::scenario::read`] calls [`resolve`],
//! so `run`, `compare` and `check` all accept such files.

use crate::scenario::load::with_sets;
use crate::scenario::{InputError, Source};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// How deep bases may stack.
pub const MAX_DEPTH: usize = 8;

/// Keys of a base that describe the base file itself and are not inherited.
const NOT_INHERITED: [&str; 3] = ["name", "description", "expect"];

/// Resolves `tree`, read from `source`, if it names a `base`; returns it unchanged otherwise.
pub fn resolve(source: &Source, tree: Value) -> Result<Value, InputError> {
    match source {
        Source::File(path) => resolve_file(path, tree, &mut Vec::new()),
        Source::Builtin => Ok(tree),
    }
}

fn invalid(file: &Path, path: &str, msg: impl Into<String>) -> InputError {
    InputError::Invalid {
        origin: file.display().to_string(),
        path: path.into(),
        msg: msg.into(),
    }
}

fn resolve_file(path: &Path, tree: Value, seen: &mut Vec<PathBuf>) -> Result<Value, InputError> {
    let Value::Object(mut this) = tree else {
        return Ok(tree);
    };
    let Some(base) = this.remove("base") else {
        if this.contains_key("overrides") {
            return Err(invalid(
                path,
                "overrides",
                "overrides apply to a base: add \"base\": \"FILE.json\", or edit the values directly",
            ));
        }
        return Ok(Value::Object(this));
    };
    let Value::String(base) = base else {
        return Err(invalid(
            path,
            "base",
            "give the base scenario's file, relative to this one, e.g. \"tokyo.json\"",
        ));
    };
    let me = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if seen.contains(&me) {
        return Err(invalid(
            path,
            "base",
            "bases form a cycle: a file cannot build on itself",
        ));
    }
    if seen.len() >= MAX_DEPTH {
        return Err(invalid(
            path,
            "base",
            format!("more than {MAX_DEPTH} bases deep"),
        ));
    }
    seen.push(me);
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&base);
    let base_source = Source::File(base_path.clone());
    let text = std::fs::read_to_string(&base_path).map_err(|e| {
        invalid(
            path,
            "base",
            format!("cannot read the base {}: {e}", base_path.display()),
        )
    })?;
    let parsed: Value = serde_json::from_str(&text).map_err(|e| InputError::Syntax {
        file: base_source.label(),
        line: e.line(),
        column: e.column(),
        msg: e.to_string(),
    })?;
    let mut merged = resolve_file(&base_path, parsed, seen)?;
    let Value::Object(map) = &mut merged else {
        return Err(invalid(
            &base_path,
            "(top level)",
            "a scenario is a JSON object",
        ));
    };
    for k in NOT_INHERITED {
        map.remove(k);
    }
    if let Some(ov) = this.remove("overrides") {
        let Value::Array(items) = ov else {
            return Err(invalid(
                path,
                "overrides",
                "give a list of PATH=VALUE strings, as `portsim run --set` takes them",
            ));
        };
        for (i, item) in items.iter().enumerate() {
            let at = format!("overrides[{i}]");
            let Value::String(s) = item else {
                return Err(invalid(
                    path,
                    &at,
                    "each override is a PATH=VALUE string, e.g. \"server.inparallel=10\"",
                ));
            };
            merged = with_sets(merged, std::slice::from_ref(s)).map_err(|e| match e {
                InputError::Set { arg, msg } => invalid(path, &at, format!("{arg}: {msg}")),
                other => other,
            })?;
        }
    }
    let Value::Object(map) = &mut merged else {
        unreachable!("overrides keep the top level an object");
    };
    for (k, v) in this {
        map.insert(k, v);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("portsim-base-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn overrides_apply_in_order_and_top_level_keys_replace() {
        let d = dir("order");
        std::fs::write(
            d.join("a.json"),
            json!({"name": "a", "description": "A", "seed": 1, "expect": {"checks": []},
                   "server": {"inparallel": 20, "udpportrange": [850, 859]}})
            .to_string(),
        )
        .unwrap();
        let child = json!({"base": "a.json", "seed": 7,
            "overrides": ["server.inparallel=12", "server.inparallel=10", "server.zone=LAN"]});
        let v = resolve(&Source::File(d.join("b.json")), child).unwrap();
        assert_eq!(v["seed"], 7);
        assert_eq!(v["server"]["inparallel"], 10, "later overrides win");
        assert_eq!(v["server"]["zone"], "LAN");
        assert_eq!(v["server"]["udpportrange"], json!([850, 859]));
        for k in NOT_INHERITED {
            assert!(v.get(k).is_none(), "{k} is not inherited: {v}");
        }
    }

    #[test]
    fn bases_stack_and_cycles_are_refused() {
        let d = dir("stack");
        std::fs::write(d.join("a.json"), json!({"seed": 1, "x": 1}).to_string()).unwrap();
        std::fs::write(
            d.join("b.json"),
            json!({"base": "a.json", "overrides": ["x=2"]}).to_string(),
        )
        .unwrap();
        let v = resolve(&Source::File(d.join("c.json")), json!({"base": "b.json"})).unwrap();
        assert_eq!(v, json!({"seed": 1, "x": 2}));
        std::fs::write(
            d.join("loop.json"),
            json!({"base": "loop.json"}).to_string(),
        )
        .unwrap();
        let e = resolve(
            &Source::File(d.join("loop.json")),
            json!({"base": "loop.json"}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("cycle"), "{e}");
    }

    #[test]
    fn errors_name_the_file_and_the_override() {
        let d = dir("errors");
        std::fs::write(
            d.join("a.json"),
            json!({"hosts": [{"name": "h"}]}).to_string(),
        )
        .unwrap();
        let f = d.join("b.json");
        let e = resolve(
            &Source::File(f.clone()),
            json!({"base": "a.json", "overrides": ["hosts.3.zone=DMZ"]}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("b.json") && e.contains("overrides[0]") && e.contains("out of range"),
            "{e}"
        );
        let e = resolve(&Source::File(f.clone()), json!({"base": "missing.json"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.json: base: cannot read the base"), "{e}");
        let e = resolve(&Source::File(f), json!({"overrides": ["x=1"]}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("overrides apply to a base"), "{e}");
    }
}
