//! Provenance as the import collects it: which value was read from where, which was guessed and
//! why, and what could not be expressed; plus the small error helpers every section builder shares.

use super::conf::{Conf, Param};
use super::source::{ImportError, Loc, Warning};
use serde_json::{Value, json};

/// Provenance as it is collected.
#[derive(Default)]
pub(super) struct Prov {
    pub(super) read: Vec<Value>,
    pub(super) guessed: Vec<Value>,
    pub(super) warnings: Vec<Warning>,
}

impl Prov {
    /// Records a value read from an input, with the place it came from.
    pub(super) fn read(&mut self, path: &str, value: Value, from: String) {
        self.read
            .push(json!({"path": path, "value": value, "from": from}));
    }
    /// Records a value no input holds, with the reason for it.
    pub(super) fn guess(&mut self, path: &str, value: Value, why: impl Into<String>) {
        self.guessed
            .push(json!({"path": path, "value": value, "why": why.into()}));
    }
    /// Records something the scenario cannot express.
    pub(super) fn warn(&mut self, loc: Loc, msg: impl Into<String>) {
        self.warnings.push(Warning {
            loc,
            msg: msg.into(),
        });
    }

    /// Adds `provenance` to the scenario and returns the warnings as `file:line: message`.
    pub(super) fn attach(self, scenario: &mut Value, inputs: Vec<String>) -> Vec<String> {
        let warnings: Vec<String> = self.warnings.iter().map(ToString::to_string).collect();
        if let Value::Object(m) = scenario {
            m.insert(
                "provenance".into(),
                json!({
                    "generator": format!("portsim import {}", env!("CARGO_PKG_VERSION")),
                    "inputs": inputs,
                    "read": self.read,
                    "guessed": self.guessed,
                    "warnings": warnings,
                }),
            );
        }
        warnings
    }
}

/// An error in a command-line flag.
pub(super) fn flag_err(flag: &str, msg: impl Into<String>) -> ImportError {
    ImportError::Flag {
        flag: flag.to_string(),
        msg: msg.into(),
    }
}

/// A top-level integer parameter, with Amanda's default when it is absent.
pub(super) fn conf_int<'c>(
    conf: &'c Conf,
    key: &str,
    path: &str,
    default: i64,
    prov: &mut Prov,
) -> Result<(i64, Option<&'c Param>), ImportError> {
    match conf.params.get(key) {
        Some(p) => {
            let v = p.int(key)?;
            prov.read(path, json!(v), p.loc.file_line());
            Ok((v, Some(p)))
        }
        None => {
            prov.read(
                path,
                json!(default),
                format!("Amanda's default ({key} is not set)"),
            );
            Ok((default, None))
        }
    }
}

/// An error in an amanda.conf parameter, quoting its line.
pub(super) fn param_err(p: &Param, msg: impl Into<String>) -> ImportError {
    ImportError::Syntax {
        loc: p.loc.clone(),
        msg: msg.into(),
        text: p.text.clone(),
    }
}
