//! `portsim validate` end to end on the committed real-run fixtures (no root, no lab), and the
//! 3.5 profile's rules against what those real runs show.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    root()
        .join("tests/fixtures/amanda")
        .join(name)
        .display()
        .to_string()
}

fn scenario(name: &str) -> String {
    root()
        .join("lab/scenarios")
        .join(name)
        .display()
        .to_string()
}

fn portsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("portsim runs")
}

fn validate_json(args: &[&str]) -> Value {
    let mut all = vec!["validate", "--format", "json", "--no-out"];
    all.extend_from_slice(args);
    let out = portsim(&all);
    assert!(
        out.status.success(),
        "portsim {all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn row<'a>(v: &'a Value, measure: &str) -> &'a Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["measure"] == measure)
        .unwrap_or_else(|| panic!("no row {measure}"))
}

#[test]
fn hole_runs_are_read_and_placed() {
    let (exp1, h4) = (fixture("exp1"), fixture("harness-hole-one-host-4"));
    let v = validate_json(&[
        &scenario("hole-one-host.json"),
        "--from",
        &exp1,
        &h4,
        "--nights",
        "60",
    ]);
    assert_eq!(v["schema"], "portsim.validate/1");
    assert_eq!(v["rows"].as_array().unwrap().len(), 13);
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    // The real values, as the lab's findings give them.
    let lost = row(&v, "lost-dles");
    assert_eq!(lost["real"][0]["value"], 6.0);
    assert_eq!(lost["real"][1]["value"], 8.0);
    assert_eq!(row(&v, "failed-attempts")["real"][0]["value"], 12.0);
    assert_eq!(row(&v, "exit-code")["real"][0]["value"], 4.0);
    assert_eq!(row(&v, "retry-same-dumper")["real"][0]["value"], 1.0);
    // exp1's lost DLEs lie inside the simulated 95% range of the 3.5 profile.
    assert_eq!(lost["real"][0]["inside"], true);
    // Every value outside the range names its mechanism.
    for r in v["rows"].as_array().unwrap() {
        for p in r["real"].as_array().unwrap() {
            if p["inside"] == false {
                let why = p["why"].as_str().unwrap_or_default();
                assert!(
                    !why.is_empty() && !why.starts_with("no mechanism"),
                    "{}: {why}",
                    r["measure"]
                );
            }
        }
    }
    // The harness run kept its rendered scenario: it is the one validated.
    assert_eq!(v["runs"][1]["same_scenario"], true);
    assert_eq!(v["runs"][0]["same_scenario"], Value::Null);
}

#[test]
fn validation_is_deterministic_and_writes_its_report() {
    let dir = std::env::temp_dir().join(format!("portsim-validate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out_dir = dir.display().to_string();
    let args = [
        "validate",
        &scenario("helper-four-dumps.json"),
        "--from",
        &fixture("harness-helper-four-dumps-1"),
        "--nights",
        "40",
        "--out",
        &out_dir,
        "--format",
        "json",
    ];
    let a = portsim(&args);
    let b = portsim(&args);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    for f in [
        "report.md",
        "report.json",
        "validation.svg",
        "validation.png",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let png = std::fs::read(dir.join("validation.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(dir.join("validation.svg")).unwrap();
    let mut r = quick_xml::Reader::from_str(&svg);
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("validation.svg is not XML: {e}"),
        }
    }
    assert!(svg.contains("rescued retry"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("| amdump exit code |"), "{md}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_is_exit_2() {
    let s = scenario("hole-one-host.json");
    let exp1 = fixture("exp1");
    for args in [
        vec!["validate", s.as_str(), "--no-out"],
        vec![
            "validate",
            s.as_str(),
            "--from",
            exp1.as_str(),
            "--nights",
            "5",
            "--no-out",
        ],
        vec![
            "validate",
            s.as_str(),
            "--from",
            "/nonexistent/run",
            "--no-out",
        ],
    ] {
        let out = portsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

/// The committed validation reports: each real value outside the simulated range has a named
/// mechanism, never the "no mechanism known" fallback.
#[test]
fn committed_validations_explain_every_outlier() {
    let dir = root().join("validation");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path().join("report.json");
        if !Path::new(&p).is_file() {
            continue;
        }
        seen += 1;
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["schema"], "portsim.validate/1");
        for r in v["rows"].as_array().unwrap() {
            for q in r["real"].as_array().unwrap() {
                if q["inside"] == false {
                    let why = q["why"].as_str().unwrap_or_default();
                    assert!(
                        !why.starts_with("no mechanism"),
                        "{}: {}: {why}",
                        p.display(),
                        r["measure"]
                    );
                }
            }
        }
    }
    assert!(seen >= 6, "validation/ holds {seen} reports");
}

fn run_json(args: &[&str]) -> Value {
    let mut all = vec!["run", "--format", "json"];
    all.extend_from_slice(args);
    let out = portsim(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The helper's MESG truncation makes four concurrent dumps clash, as in the lab (cthelper and
/// harness-helper-four-dumps-1: one attempt fails `timeout waiting for REP`, nothing lost, a
/// window of 5-6 minutes for 13 s of dumping).
#[test]
fn helper_clash_with_four_dumps() {
    let v = validate_json(&[
        &scenario("helper-four-dumps.json"),
        "--from",
        &fixture("harness-helper-four-dumps-1"),
        "--nights",
        "100",
    ]);
    assert_eq!(row(&v, "failed-attempts")["sim"]["p50"], 1.0);
    assert_eq!(row(&v, "lost-dles")["sim"]["p50"], 0.0);
    let w = row(&v, "window")["sim"]["p50"].as_f64().unwrap();
    assert!((250.0..420.0).contains(&w), "window {w}");
    for m in ["failed-attempts", "lost-dles", "window", "exit-code"] {
        assert_eq!(row(&v, m)["real"][0]["inside"], true, "{m}");
    }
    // Without the 3.x MESG handles (2.5.2 profile) there is no clash.
    let v = run_json(&[
        &scenario("helper-four-dumps.json"),
        "--set",
        "server.version=\"2.5.2\"",
    ]);
    let attempts = v["attempts"].as_array().unwrap();
    assert!(
        attempts.iter().all(|a| a["outcome"] == "done"),
        "{attempts:?}"
    );
}

/// 3.5: no host gap (all 15 dumpers dispatched within the command jitter), and no amandad
/// busy NAK: one client answers them all.
#[test]
fn three_five_dispatches_at_once_and_amandad_serves_many() {
    // Replication 1 is a night whose planner bound a port inside the hole.
    let v = run_json(&[&scenario("hole-one-host.json"), "--replication", "1"]);
    let attempts = v["attempts"].as_array().unwrap();
    let firsts: Vec<f64> = attempts
        .iter()
        .take(15)
        .map(|a| a["start_s"].as_f64().unwrap())
        .collect();
    let lo = firsts.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = firsts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(hi - lo <= 0.3 + 1e-9, "dispatch spread {}", hi - lo);
    assert!(
        attempts
            .iter()
            .all(|a| !a["message"].as_str().unwrap_or("").contains("busy"))
    );
}

/// A negative etimeout is the host's whole REP wait: three waits of 150 s, then the planner's
/// 3.x text and exit 5 (lab runs ct900).
#[test]
fn per_host_etimeout_and_the_planner_failure() {
    let v = validate_json(&[
        &scenario("conntrack-slow-estimates.json"),
        "--set",
        "server.etimeout=-150",
        "--from",
        &fixture("ct900"),
        "--nights",
        "20",
    ]);
    let w = row(&v, "window")["sim"]["p50"].as_f64().unwrap();
    assert!((w - 450.0).abs() < 0.01, "window {w}");
    assert_eq!(row(&v, "exit-code")["sim"]["shares"][0][0], 5.0);
    assert_eq!(row(&v, "exit-code")["real"][0]["inside"], true);
    let r = run_json(&[
        &scenario("conntrack-slow-estimates.json"),
        "--set",
        "server.etimeout=-150",
    ]);
    assert_eq!(r["dles"][0]["message"], "[Some estimate timeout on client]");
}
