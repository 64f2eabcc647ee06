//! The `run` command end to end, through the binary: the incident's signature, its fixes,
//! determinism, the trace, and every kind of bad input.

mod common;

use common::{portsim, rejects, run_json, scenario_file, tokyo};
use serde_json::{Value, json};
use std::path::PathBuf;

fn failed_attempts(r: &Value) -> Vec<&Value> {
    r["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["outcome"] != "done")
        .collect()
}

fn dumper_in_range(r: &Value, id: &Value) -> bool {
    r["dumpers"][id.as_u64().unwrap() as usize]["in_range"]
        .as_bool()
        .unwrap()
}

const NIGHTS: u64 = 12;

#[test]
fn incident_fails_only_firewalled_hosts_on_out_of_range_dumpers() {
    let mut total_failed = 0;
    for rep in 0..NIGHTS {
        let r = run_json(&["--replication", &rep.to_string()]);
        assert_eq!(r["schema"], "portsim.run/1");
        // Fork order decides who gets the range: dumpers 0-9 in, 10-19 out.
        for (i, d) in r["dumpers"].as_array().unwrap().iter().enumerate() {
            assert_eq!(d["in_range"], i < 10, "night {rep}: dumper {i}");
        }
        for a in failed_attempts(&r) {
            assert_eq!(a["firewalled"], true, "night {rep}: LAN host failed: {a}");
            assert_eq!(a["message"], "[request timeout]", "night {rep}: {a}");
            match a["cause"].as_str().unwrap() {
                // A reply dropped by the filter: only ever to a port outside the hole.
                "reply-dropped" => assert!(!dumper_in_range(&r, &a["dumper"]), "{a}"),
                // An in-range dumper fails only when the client is still resending a blocked
                // reply to an out-of-range one (MODEL.md section 3).
                "client-busy" => {}
                other => panic!("night {rep}: unexpected cause {other}: {a}"),
            }
        }
        let s = &r["summary"];
        let failed = s["failed"].as_u64().unwrap();
        assert_eq!(s["failed_firewalled"], failed, "night {rep}");
        assert!(
            failed < 10,
            "night {rep}: {failed} DLEs lost, the site lost a few"
        );
        total_failed += failed;
        // Every lost DLE had an attempt whose replies the filter dropped, on an out-of-range dumper.
        for d in r["dles"].as_array().unwrap() {
            if d["fate"] == "dumped" {
                continue;
            }
            assert!(
                r["attempts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["host"] == d["host"]
                        && a["disk"] == d["disk"]
                        && a["cause"] == "reply-dropped"
                        && !dumper_in_range(&r, &a["dumper"])),
                "night {rep}: {d}"
            );
            assert!(
                d["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("[could not connect to ")
            );
        }
    }
    assert!(total_failed > 0, "the incident must lose dumps");
}

#[test]
fn different_nights_lose_different_dles() {
    let lost = |rep: u64| -> Vec<String> {
        let r = run_json(&["--replication", &rep.to_string()]);
        r["dles"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["fate"] != "dumped")
            .map(|d| format!("{}:{}", d["host"], d["disk"]))
            .collect()
    };
    let sets: Vec<Vec<String>> = (0..NIGHTS).map(lost).collect();
    let distinct: std::collections::BTreeSet<_> = sets.iter().collect();
    assert!(
        distinct.len() >= 4,
        "failures should look random night to night: {sets:?}"
    );
}

#[test]
fn ten_dumpers_fit_the_range_and_nothing_fails() {
    for rep in 0..NIGHTS {
        let r = run_json(&[
            "--replication",
            &rep.to_string(),
            "--set",
            "server.inparallel=10",
        ]);
        assert_eq!(r["dumpers"].as_array().unwrap().len(), 10);
        assert!(
            failed_attempts(&r).is_empty(),
            "night {rep}: {}",
            r["summary"]
        );
        assert_eq!(r["summary"]["failed"], 0);
    }
}

#[test]
fn widening_range_and_hole_to_850_875_fixes_it() {
    for rep in 0..NIGHTS {
        let r = run_json(&[
            "--replication",
            &rep.to_string(),
            "--set",
            "server.udpportrange=[850,875]",
            "--set",
            "firewall.rules.0.dst_ports=[850,875]",
        ]);
        assert!(
            r["dumpers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["in_range"] == true)
        );
        assert!(
            failed_attempts(&r).is_empty(),
            "night {rep}: {}",
            r["summary"]
        );
    }
}

#[test]
fn widening_the_range_alone_does_not() {
    let lost: u64 = (0..NIGHTS)
        .map(|rep| {
            let r = run_json(&[
                "--replication",
                &rep.to_string(),
                "--set",
                "server.udpportrange=[850,875]",
            ]);
            r["summary"]["failed_attempts"].as_u64().unwrap()
        })
        .sum();
    assert!(
        lost > 0,
        "ports 860-875 are still outside the firewall's hole"
    );
}

#[test]
fn same_scenario_and_seed_give_identical_bytes() {
    let a = portsim(&["run", "--format", "json"]);
    let b = portsim(&["run", "--format", "json"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let c = portsim(&["run", "--format", "json", "--seed", "7"]);
    assert_ne!(a.stdout, c.stdout, "the seed must matter");
    // No subcommand means `run` on the built-in incident.
    let text = portsim(&[]);
    assert_eq!(text.stdout, portsim(&["run"]).stdout);
    let file = portsim(&["run", "--format", "json", "scenarios/tokyo.json"]);
    assert_eq!(
        file.stdout, a.stdout,
        "the built-in scenario is scenarios/tokyo.json"
    );
}

#[test]
fn text_report_names_ports_failures_and_window() {
    let out = portsim(&["run"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("udpportrange 850-859, inparallel 20"),
        "{text}"
    );
    assert!(text.contains("dumper19"));
    assert!(text.contains("[request timeout]"));
    assert!(text.contains("backup window"));
}

#[test]
fn trace_has_one_json_line_per_event_with_verdicts() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("trace.jsonl");
    let _ = std::fs::remove_file(&path);
    let out = portsim(&["run", "--trace", path.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&path).unwrap();
    let mut last = 0;
    let mut rules = std::collections::BTreeSet::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("each line is JSON");
        let t = v["t_us"].as_u64().unwrap();
        assert!(t >= last, "time went back in the trace");
        last = t;
        if v["kind"] == "send" {
            assert!(v["verdict"].is_string() && v["rule"].is_string(), "{v}");
            rules.insert(format!("{}/{}", v["verdict"], v["rule"]));
        }
    }
    assert!(rules.contains("\"accept\"/\"amanda-replies\""), "{rules:?}");
    assert!(rules.contains("\"drop\"/\"default\""), "{rules:?}");
}

fn reject_file(name: &str, edit: impl FnOnce(&mut Value), needles: &[&str]) {
    let mut v = tokyo();
    edit(&mut v);
    let p = scenario_file("cli", name, &v);
    let mut all = vec![p.to_str().unwrap().to_string()];
    all.extend(needles.iter().map(|s| s.to_string()));
    let needles: Vec<&str> = all.iter().map(String::as_str).collect();
    rejects(&["run", p.to_str().unwrap()], &needles);
}

#[test]
fn unreadable_and_malformed_files() {
    rejects(
        &["run", "no/such/file.json"],
        &["no/such/file.json", "cannot read"],
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let p = dir.join("malformed.json");
    std::fs::write(&p, "{\n  \"server\": {\n    \"inparallel\": 20,,\n").unwrap();
    rejects(
        &["run", p.to_str().unwrap()],
        &["malformed.json:3:", "not valid JSON"],
    );
}

#[test]
fn bad_values_name_file_path_and_fix() {
    reject_file(
        "unknown_field",
        |v| v["server"]["inparalel"] = json!(20),
        &["server", "unknown field `inparalel`", "inparallel"],
    );
    reject_file(
        "range_reversed",
        |v| v["server"]["udpportrange"] = json!([859, 850]),
        &["server.udpportrange", "low port 859 is above high port 850"],
    );
    reject_file(
        "port_too_big",
        |v| v["firewall"]["rules"][0]["dst_ports"] = json!([850, 70000]),
        &["firewall.rules[0].dst_ports", "70000 is above 65535"],
    );
    reject_file(
        "inparallel_zero",
        |v| v["server"]["inparallel"] = json!(0),
        &["server.inparallel", "1 to 63"],
    );
    reject_file(
        "inparallel_big",
        |v| v["server"]["inparallel"] = json!(64),
        &["server.inparallel", "Amanda 2.4 accepts 1 to 63"],
    );
    reject_file(
        "no_disks",
        |v| v["hosts"][2]["disks"] = json!([]),
        &["hosts[2].disks", "has no disks"],
    );
    reject_file(
        "unknown_zone_rule",
        |v| v["firewall"]["rules"][1]["to"] = json!("DMZZ"),
        &["firewall.rules[1].to", "\"DMZZ\"", "LAN, DMZ"],
    );
    reject_file(
        "unknown_zone_host",
        |v| v["hosts"][0]["zone"] = json!("WAN"),
        &["hosts[0].zone", "unknown zone \"WAN\""],
    );
    reject_file(
        "bad_version",
        |v| v["server"]["version"] = json!("9.9"),
        &["server.version", "supported: 2.4"],
    );
    reject_file(
        "wrong_type",
        |v| v["hosts"][0]["disks"][0]["full_gb"] = json!("big"),
        &["hosts[0].disks[0].full_gb", "invalid type"],
    );
}

#[test]
fn bad_overrides_name_the_set_argument() {
    rejects(
        &["run", "--set", "server.inparalel=10"],
        &["--set server.inparalel=10", "unknown field `inparalel`"],
    );
    rejects(
        &["run", "--set", "server.inparallel=many"],
        &[
            "--set server.inparallel=many",
            "server.inparallel",
            "invalid type",
        ],
    );
    rejects(
        &["run", "--set", "server.inparallel=0"],
        &["--set server.inparallel=0", "server.inparallel"],
    );
    rejects(
        &["run", "--set", "inparallel"],
        &["--set inparallel", "path=value"],
    );
    rejects(
        &["run", "--set", "hosts.99.zone=DMZ"],
        &["--set hosts.99.zone=DMZ", "out of range"],
    );
    rejects(
        &["run", "--set", "server.udpportrange=[900,850]"],
        &["--set server.udpportrange=[900,850]", "low port 900"],
    );
}

#[test]
fn bad_input_writes_no_trace() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("never.jsonl");
    let _ = std::fs::remove_file(&path);
    rejects(
        &[
            "run",
            "--set",
            "server.inparallel=0",
            "--trace",
            path.to_str().unwrap(),
        ],
        &["server.inparallel"],
    );
    assert!(!path.exists());
}
