//! Helpers shared by the end-to-end tests: run the binary, read its output, make scratch files.
#![allow(dead_code)] // each test crate uses its own subset

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the built `portsim` from the package root with `args`; `CI` set, so no progress bar.
pub fn portsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CI", "true")
        .output()
        .expect("portsim runs")
}

/// Its standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

/// Runs with bad input: exit 2, nothing on stdout, and stderr mentions every `needle`.
pub fn rejects(args: &[&str], needles: &[&str]) {
    let out = portsim(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {err}\n{}",
        stdout(&out)
    );
    assert!(out.stdout.is_empty(), "{args:?} wrote output");
    for n in needles {
        assert!(err.contains(n), "{args:?}: error lacks {n:?}: {err}");
    }
}

/// The library's directory, `scenarios/`.
pub fn library() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// scenarios/tokyo.json as a JSON tree.
pub fn tokyo() -> Value {
    let text = std::fs::read_to_string(library().join("tokyo.json")).expect("tokyo.json");
    serde_json::from_str(&text).expect("tokyo.json parses")
}

/// A fresh, empty scratch directory `group/name` under the target dir.
pub fn tmp(group: &str, name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `portsim run --format json ARGS`, which must succeed, as JSON.
pub fn run_json(args: &[&str]) -> Value {
    let mut all = vec!["run", "--format", "json"];
    all.extend_from_slice(args);
    let out = portsim(&all);
    assert!(
        out.status.success(),
        "portsim {all:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// Writes `v` as `group/name.json` under the target dir and returns its path.
pub fn scenario_file(group: &str, name: &str, v: &Value) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(group);
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}.json"));
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}
