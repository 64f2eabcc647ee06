//! `portsim read-log` and `portsim diagnose` through the binary, on the real fixtures.

use serde_json::Value;
use std::process::{Command, Output};

fn portsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("portsim runs")
}

fn json(args: &[&str]) -> Value {
    let out = portsim(args);
    assert!(
        out.status.success(),
        "portsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

const EXP1: &str = "tests/fixtures/amanda/exp1";
const SCENARIO: &str = "lab/scenarios/hole-one-host.json";

#[test]
fn read_log_prints_the_run_schema() {
    let v = json(&["read-log", EXP1, "--format", "json"]);
    assert_eq!(v["schema"], "portsim.run/1");
    assert_eq!(v["scenario"], "exp1");
    assert_eq!(v["amanda"], "3.5.1");
    assert_eq!(v["summary"]["dles"], 20);
    assert_eq!(v["summary"]["failed"], 6);
    assert_eq!(v["real"]["source"], "amanda-logs");
    assert_eq!(v["real"]["unrecognized_lines"], 0);
    // The same night read from its trace and amdump logs alone: the same attempts and fates.
    let only = json(&[
        "read-log",
        "tests/fixtures/amanda/exp1/amlog/log.20261202011719.0",
        "tests/fixtures/amanda/exp1/amlog/amdump.20261202011719",
        "--name",
        "exp1",
        "--format",
        "json",
    ]);
    assert_eq!(only["dles"], v["dles"]);
    assert_eq!(only["summary"]["attempts"], 26);
    // Without the dumper debug logs no port is known.
    assert!(
        only["dumpers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["port"].is_null())
    );
}

#[test]
fn read_log_text_names_ports_and_lost_dles() {
    let out = portsim(&["read-log", EXP1, "--scenario", SCENARIO]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Amanda logs exp1 (datestamp 20261202011719)"),
        "{text}"
    );
    assert!(text.contains("udpportrange 840-860"), "{text}");
    assert!(text.contains("DLEs not dumped (6)"), "{text}");
    assert!(text.contains("reply-dropped"), "{text}");
    assert!(text.contains("amdump exit status 4"), "{text}");
}

#[test]
fn bad_logs_exit_2_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("portsim-cli-bad-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("amdump.20261202011719");
    std::fs::write(
        &f,
        "amdump: start at Wed Dec  2 01:17:19 UTC 2026\ndriver: result time soon from dumper0: DONE 00-00001\n",
    )
    .unwrap();
    let out = portsim(&["read-log", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("amdump.20261202011719:2:"), "{err}");
    assert!(err.contains("`soon` is not a time in seconds"), "{err}");
    assert!(err.contains("driver: result time soon"), "{err}");
    // Lenient: read, and the line counted.
    let v = json(&[
        "read-log",
        f.to_str().unwrap(),
        "--lenient",
        "--format",
        "json",
    ]);
    assert_eq!(v["real"]["unrecognized_lines"], 1);
    let missing = portsim(&["read-log", "no/such/dir"]);
    assert_eq!(missing.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn diagnose_names_the_dumpers_outside_the_hole() {
    let v = json(&[
        "diagnose",
        EXP1,
        "--scenario",
        SCENARIO,
        "--nights",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(v["schema"], "portsim.diagnose/1");
    let real = &v["real"];
    assert_eq!(real["verdict"], "signature");
    let bad: Vec<(String, u64)> = real["bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["process"].as_str().unwrap().to_string(),
                d["port"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [
        (0, 857),
        (1, 858),
        (11, 850),
        (12, 851),
        (13, 855),
        (14, 856),
    ];
    assert_eq!(bad, want.map(|(d, p)| (format!("dumper{d}"), p)).to_vec());
    assert!(
        real["bad"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["in_hole"] == false)
    );
    assert!(
        real["good"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["in_hole"] == true)
    );
    assert!(
        real["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["holds"] == true)
    );
    // The scenario was run and judged the same way.
    assert!(v["simulated"].is_object());
    let n: u64 = v["simulated_verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_u64().unwrap())
        .sum();
    assert_eq!(n, 3);
}

#[test]
fn diagnose_tells_other_mechanisms_apart() {
    let planner = json(&[
        "diagnose",
        "tests/fixtures/amanda/planner-outside-hole",
        "--scenario",
        SCENARIO,
        "--nights",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(planner["real"]["verdict"], "planner-signature");
    assert_eq!(planner["real"]["planner"]["port"], 858);
    assert_eq!(planner["real"]["planner"]["in_hole"], false);
    let full = json(&["diagnose", "tests/fixtures/amanda/full", "--format", "json"]);
    assert_eq!(full["real"]["verdict"], "not-this");
    assert!(
        full["real"]["hints"][0]
            .as_str()
            .unwrap()
            .contains("dumper0 dumper9 dumper13 dumper18")
    );
    let helper = json(&[
        "diagnose",
        "tests/fixtures/amanda/cthelper",
        "--format",
        "json",
    ]);
    assert_eq!(helper["real"]["verdict"], "not-this");
    assert!(
        helper["real"]["hints"][0]
            .as_str()
            .unwrap()
            .contains("waiting for REP")
    );
}

/// A bsdtcp night has no UDP range: its TCP source ports are not "outside" one.
#[test]
fn read_log_of_a_bsdtcp_night_names_no_range() {
    let out = portsim(&[
        "read-log",
        "tests/fixtures/amanda/harness-hole-one-host-bsdtcp-1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("udpportrange none"), "{text}");
    assert!(
        text.contains("planner port 516 (no udpportrange)"),
        "{text}"
    );
    assert!(!text.contains("OUTSIDE"), "{text}");
    assert!(!text.contains(" NO "), "{text}");
}
