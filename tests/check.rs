//! `portsim check` end to end, through the binary: the scenario library passes, a deliberately
//! broken model fails specific checks with readable messages, JUnit is XML with one test case
//! per expectation, the output does not depend on `--jobs`, pins are blessed in place, and bad
//! scenario files or `expect` blocks exit 2 naming the file and the JSON path.

mod common;

use common::{library, portsim, rejects, stdout};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Output;

fn check_json(args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = portsim(&all);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{all:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

fn tmp(name: &str) -> PathBuf {
    common::tmp("check", name)
}

/// Every (scenario, expectation) of a check report with its verdict and message.
fn verdicts(report: &Value) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for s in report["scenarios"].as_array().unwrap() {
        for e in s["expectations"].as_array().unwrap() {
            out.push((
                s["scenario"].as_str().unwrap().to_string(),
                e["name"].as_str().unwrap().to_string(),
                e["verdict"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

fn verdict_of<'a>(
    v: &'a [(String, String, String, String)],
    sc: &str,
    name: &str,
) -> &'a (String, String, String, String) {
    v.iter()
        .find(|(s, n, _, _)| s == sc && n == name)
        .unwrap_or_else(|| panic!("no expectation {sc}/{name}"))
}

#[test]
fn the_library_passes() {
    let out = portsim(&["check", "scenarios/"]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for sc in [
        "incident",
        "incident-inparallel-10",
        "incident-widened-range",
        "planner-holds-range-port",
        "amanda-2.5.2-stalls",
        "services-named-port",
        "maxdumps-busy",
        "dmz-heavy-cascade",
        "mailing-list-one-host",
        "bottleneck-window",
    ] {
        assert!(
            text.contains(&format!("\n{sc} ")),
            "{sc} missing from the table:\n{text}"
        );
    }
    assert!(
        text.contains(
            "No expect block (not checked): scenarios/bottleneck.json, scenarios/tokyo.json"
        ),
        "{text}"
    );
    let (code, v) = check_json(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(v["schema"], "portsim.check/1");
    assert_eq!(v["passed"], true);
    let t = &v["totals"];
    assert_eq!(t["pass"], t["expectations"]);
    assert!(t["expectations"].as_u64().unwrap() >= 60, "{t}");
}

#[test]
fn every_library_entry_says_what_it_shows_and_why_each_number_holds() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(library())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut with_expect = 0;
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let Some(expect) = v.get("expect") else {
            continue;
        };
        with_expect += 1;
        let d = v["description"].as_str().unwrap_or_default();
        assert!(
            d.len() > 80,
            "{}: describe what the scenario shows",
            f.display()
        );
        for c in expect["checks"].as_array().unwrap() {
            let why = c["why"].as_str().unwrap();
            assert!(
                why.len() > 30,
                "{}: {}: explain where the value comes from",
                f.display(),
                c["name"]
            );
            if c["judge"] == "mean" {
                assert!(
                    c["replications"].as_u64().unwrap() >= 30,
                    "{}: {}",
                    f.display(),
                    c["name"]
                );
            }
        }
    }
    assert!(with_expect >= 12, "{with_expect} library entries");
}

#[test]
fn a_dumper_that_ignores_the_range_fails_specific_checks_readably() {
    let (code, v) = check_json(&["--inject-fault", "dumper-ignores-range"]);
    assert_eq!(code, Some(1), "a broken model must fail the check");
    assert_eq!(v["fault"], "dumper-ignores-range");
    let all = verdicts(&v);
    let (_, _, verdict, msg) = verdict_of(&all, "incident", "dumpers-0-9-in-range");
    assert_eq!(verdict, "fail");
    assert!(
        msg.starts_with(
            "expected dumpers-in-range = 10 in each of 30 nights; measured 0 in night 0"
        ),
        "{msg}"
    );
    for (sc, name) in [
        ("incident-inparallel-10", "no-attempt-fails"),
        ("incident-widened-range", "no-packet-dropped"),
        ("amanda-2.5.2-stalls", "no-request-from-outside-the-range"),
        ("planner-holds-range-port", "every-host-scheduled"),
        ("services-named-port", "nine-dumpers-in-range"),
        ("mailing-list-one-host", "six-dmz-hosts-pass"),
        ("incident", "fingerprint"),
    ] {
        let (_, _, verdict, msg) = verdict_of(&all, sc, name);
        assert_eq!(verdict, "fail", "{sc}/{name}: {msg}");
        assert!(
            msg.contains("expected") && msg.contains("measured"),
            "{msg}"
        );
    }
    // Checks that do not depend on the range still hold: the fault is specific.
    for (sc, name) in [
        ("incident", "lan-hosts-never-fail"),
        ("bottleneck-window", "window-at-least-data-over-link"),
    ] {
        assert_eq!(verdict_of(&all, sc, name).2, "pass", "{sc}/{name}");
    }
    let text = stdout(&portsim(&[
        "check",
        "--inject-fault",
        "dumper-ignores-range",
    ]));
    assert!(
        text.contains("FAULT INJECTED on purpose: dumper-ignores-range"),
        "{text}"
    );
    assert!(text.contains("\nFailures\n"), "{text}");
    assert!(
        text.contains("  incident / dumpers-0-9-in-range (scenarios/incident.json): FAIL\n    expected dumpers-in-range = 10"),
        "{text}"
    );
    assert!(
        text.contains("    why: Amanda 2.4 binds each dumper's port at process start"),
        "{text}"
    );
}

#[test]
fn a_driver_without_retries_is_caught_by_the_hand_derived_night() {
    let (code, v) = check_json(&[
        "--inject-fault",
        "driver-skips-retry",
        "scenarios/maxdumps-busy.json",
    ]);
    assert_eq!(code, Some(1));
    let all = verdicts(&v);
    let (_, _, verdict, msg) = verdict_of(&all, "maxdumps-busy", "five-attempts");
    assert_eq!(verdict, "fail");
    assert!(msg.contains("measured 3 in night 0"), "{msg}");
}

/// Checks XML well-formedness with a real parser and counts elements by name.
fn xml_elements(xml: &str) -> std::collections::BTreeMap<String, usize> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    r.config_mut().check_end_names = true;
    let mut counts = std::collections::BTreeMap::new();
    let mut depth: i64 = 0;
    loop {
        match r.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                depth += 1;
                *counts
                    .entry(String::from_utf8_lossy(e.name().as_ref()).into_owned())
                    .or_insert(0) += 1;
            }
            Event::Empty(e) => {
                *counts
                    .entry(String::from_utf8_lossy(e.name().as_ref()).into_owned())
                    .or_insert(0) += 1;
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unbalanced XML");
    counts
}

#[test]
fn junit_is_xml_with_one_test_case_per_expectation() {
    let d = tmp("junit");
    let file = d.join("check.xml");
    let f = file.to_str().unwrap();
    let out = portsim(&[
        "check",
        "--junit",
        f,
        "--inject-fault",
        "dumper-ignores-range",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&file).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    let counts = xml_elements(&xml);
    let (_, v) = check_json(&["--inject-fault", "dumper-ignores-range"]);
    let t = &v["totals"];
    assert_eq!(
        counts["testcase"] as u64,
        t["expectations"].as_u64().unwrap(),
        "{counts:?}"
    );
    assert_eq!(
        counts.get("failure").copied().unwrap_or(0) as u64,
        t["fail"].as_u64().unwrap() + t["inconclusive"].as_u64().unwrap()
    );
    assert_eq!(
        counts["testsuite"],
        v["scenarios"].as_array().unwrap().len()
    );
    // quick-junit reads it back too: names and classnames survive.
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("JUnit");
    let case = report
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == "scenarios/incident.json")
        .and_then(|s| {
            s.test_cases
                .iter()
                .find(|c| c.name.as_str() == "dumpers-0-9-in-range")
        })
        .expect("incident's case");
    assert_eq!(
        case.classname.as_ref().map(|c| c.as_str()),
        Some("portsim.check.incident")
    );
    // A passing run writes a JUnit file without failures; no temporary file is left behind.
    assert_eq!(portsim(&["check", "--junit", f]).status.code(), Some(0));
    let xml = std::fs::read_to_string(&file).unwrap();
    assert_eq!(xml_elements(&xml).get("failure"), None);
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

/// JUnit XML without its `time="..."` attributes: wall-clock seconds, the one part of the
/// output that is measured rather than computed (cargo-nextest writes them too).
fn without_times(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find(" time=\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 7..];
        rest = &after[after.find('"').expect("a closing quote") + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_output_does_not_depend_on_the_thread_count() {
    let d = tmp("jobs");
    let run = |jobs: &str, format: &str| {
        let junit = d.join(format!("j{jobs}{format}.xml"));
        let out = portsim(&[
            "check",
            "--jobs",
            jobs,
            "--format",
            format,
            "--junit",
            junit.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0));
        (
            out.stdout,
            without_times(&std::fs::read_to_string(junit).unwrap()),
        )
    };
    for format in ["text", "json"] {
        let one = run("1", format);
        assert_eq!(
            one,
            run("2", format),
            "--jobs 2 changed the {format} output"
        );
        assert_eq!(
            one,
            run("5", format),
            "--jobs 5 changed the {format} output"
        );
    }
}

#[test]
fn fingerprint_is_the_sha256_of_the_trace_and_base_files_replay_their_base() {
    let d = tmp("fingerprint");
    let trace = d.join("night.jsonl");
    let out = portsim(&[
        "run",
        "--fingerprint",
        "--trace",
        trace.to_str().unwrap(),
        "--replication",
        "2",
    ]);
    assert!(out.status.success());
    let printed = stdout(&out);
    let hex: String = Sha256::digest(std::fs::read(&trace).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(printed, format!("{hex}\n"));
    // incident.json is tokyo.json plus expectations: night 0 is the built-in incident's night 0,
    // and its pin is that night's fingerprint.
    let builtin = stdout(&portsim(&["run", "--fingerprint"]));
    let incident: Value =
        serde_json::from_str(&std::fs::read_to_string(library().join("incident.json")).unwrap())
            .unwrap();
    assert_eq!(builtin.trim(), incident["expect"]["fingerprint"]["sha256"]);
    // A base file with overrides runs exactly as its base with `--set`.
    let strip = |o: Output| -> Value {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object_mut().unwrap().remove("scenario");
        v
    };
    assert_eq!(
        strip(portsim(&[
            "run",
            "--format",
            "json",
            "scenarios/incident-widened-range.json"
        ])),
        strip(portsim(&[
            "run",
            "--format",
            "json",
            "--set",
            "server.udpportrange=[850,875]",
            "--set",
            "firewall.rules.0.dst_ports=[850,875]"
        ]))
    );
}

fn set_pin(file: &Path, pin: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let old = v["expect"]["fingerprint"]["sha256"].as_str().unwrap();
    std::fs::write(
        file,
        text.replace(
            &format!("\"sha256\": \"{old}\""),
            &format!("\"sha256\": \"{pin}\""),
        ),
    )
    .unwrap();
}

#[test]
fn bless_rewrites_only_the_pin_and_shows_old_and_new() {
    let d = tmp("bless");
    let file = d.join("maxdumps-busy.json");
    std::fs::copy(library().join("maxdumps-busy.json"), &file).unwrap();
    let good = std::fs::read_to_string(&file).unwrap();
    let pin = serde_json::from_str::<Value>(&good).unwrap()["expect"]["fingerprint"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let f = file.to_str().unwrap();
    // A stale pin fails, saying what to do.
    let stale = "0".repeat(64);
    set_pin(&file, &stale);
    let out = portsim(&["check", f]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "expected the trace of night 0 to hash to {stale}; measured {pin}"
        )),
        "{text}"
    );
    assert!(text.contains("run `portsim check --bless`"), "{text}");
    // --bless rewrites it in place, byte for byte as before, and says old -> new.
    let out = portsim(&["check", "--bless", f]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!("blessed {f}: sha256 {stale} -> {pin}")),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), good);
    // An empty pin is filled in; a current one is left alone.
    set_pin(&file, "");
    assert!(
        stdout(&portsim(&["check", "--bless", f])).contains(&format!("sha256 (none) -> {pin}"))
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), good);
    let out = portsim(&["check", "--bless", f]);
    assert!(!stdout(&out).contains("blessed"), "{}", stdout(&out));
    // --bless and a fault cannot go together: the pins would record the fault.
    assert_eq!(
        portsim(&[
            "check",
            "--bless",
            "--inject-fault",
            "dumper-ignores-range",
            f
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn a_mean_whose_interval_straddles_a_bound_is_inconclusive() {
    let d = tmp("inconclusive");
    let tokyo = library().join("tokyo.json");
    let sc = json!({
        "base": tokyo,
        "expect": {"checks": [{
            "name": "on-the-fence", "measure": "summary.failed", "replications": 10, "judge": "mean",
            "at_least": 1.3, "why": "a bound placed inside the interval on purpose"
        }]}
    });
    let file = d.join("fence.json");
    std::fs::write(&file, sc.to_string()).unwrap();
    let (code, v) = check_json(&[file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "inconclusive is not a pass");
    let e = &v["scenarios"][0]["expectations"][0];
    assert_eq!(e["verdict"], "inconclusive");
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("straddles the bound 1.3") && msg.contains("raise replications"),
        "{msg}"
    );
    assert_eq!(e["measured"]["kind"], "mean");
    assert_eq!(e["measured"]["values"].as_array().unwrap().len(), 10);
}

/// Runs `check` on a scenario built from tokyo.json plus `expect`: exit 2, stderr names every needle.
fn rejects_expect(name: &str, expect: Value, needles: &[&str]) {
    let d = tmp(name);
    let file = d.join(format!("{name}.json"));
    let sc = json!({"base": library().join("tokyo.json"), "expect": expect});
    std::fs::write(&file, serde_json::to_string_pretty(&sc).unwrap()).unwrap();
    rejects(
        &["check", file.to_str().unwrap()],
        &[&[file.to_str().unwrap()], needles].concat(),
    );
}

fn one(check: Value) -> Value {
    json!({"checks": [check]})
}

#[test]
fn bad_expect_blocks_exit_2_naming_file_and_path() {
    let ok = json!({"name": "x", "measure": "summary.failed", "replications": 3, "at_most": 0, "why": "because"});
    let with = |k: &str, v: Value| {
        let mut c = ok.clone();
        c[k] = v;
        one(c)
    };
    rejects_expect(
        "unknown_measure",
        with("measure", json!("summary.faild")),
        &[
            "expect.checks[0].measure",
            "unknown measure \"summary.faild\"",
            "summary.failed",
        ],
    );
    rejects_expect(
        "mean_of_one",
        one(
            json!({"name": "x", "measure": "summary.failed", "replications": 1,
        "judge": "mean", "at_most": 1, "why": "w"}),
        ),
        &["expect.checks[0].replications", "at least 2 replications"],
    );
    rejects_expect(
        "zero_nights",
        with("replications", json!(0)),
        &["expect.checks[0].replications", "give 1 to"],
    );
    rejects_expect(
        "unknown_judge",
        with("judge", json!("median")),
        &["expect.checks[0].judge", "unknown variant `median`"],
    );
    rejects_expect(
        "typo_field",
        with("at_mots", json!(1)),
        &["expect.checks[0]", "unknown field `at_mots`"],
    );
    rejects_expect(
        "no_why",
        one(json!({"name": "x", "measure": "summary.failed", "replications": 3, "at_most": 0})),
        &["expect.checks[0]", "missing field `why`"],
    );
    rejects_expect(
        "empty_why",
        with("why", json!(" ")),
        &[
            "expect.checks[0].why",
            "where the expected value comes from",
        ],
    );
    rejects_expect(
        "no_bound",
        one(json!({"name": "x", "measure": "summary.failed", "replications": 3, "why": "w"})),
        &["expect.checks[0]", "give a bound"],
    );
    rejects_expect(
        "reversed_bounds",
        one(
            json!({"name": "x", "measure": "summary.failed", "replications": 3,
        "at_least": 5, "at_most": 1, "why": "w"}),
        ),
        &["expect.checks[0].at_least", "at_least 5 is above at_most 1"],
    );
    rejects_expect(
        "equals_and_bound",
        with("equals", json!(1)),
        &["expect.checks[0].equals", "not both"],
    );
    rejects_expect(
        "unknown_host",
        one(
            json!({"name": "x", "measure": "lost-dles", "where": {"hosts": ["www1", "www9"]},
        "replications": 3, "at_most": 0, "why": "w"}),
        ),
        &[
            "expect.checks[0].where.hosts[1]",
            "no host is named \"www9\"",
        ],
    );
    rejects_expect(
        "unknown_zone",
        one(
            json!({"name": "x", "measure": "lost-dles", "except": {"zone": "WAN"},
        "replications": 3, "at_most": 0, "why": "w"}),
        ),
        &[
            "expect.checks[0].except.zone",
            "unknown zone \"WAN\"",
            "LAN, DMZ",
        ],
    );
    rejects_expect(
        "filter_does_not_apply",
        one(
            json!({"name": "x", "measure": "lost-dles", "where": {"cause": "no-port"},
        "replications": 3, "at_most": 0, "why": "w"}),
        ),
        &[
            "expect.checks[0].where.cause",
            "lost-dles does not look at cause",
        ],
    );
    rejects_expect(
        "summary_takes_no_filter",
        with("where", json!({"hosts": ["www1"]})),
        &["expect.checks[0].where.hosts", "it takes no filter"],
    );
    rejects_expect(
        "no_such_dumper",
        one(
            json!({"name": "x", "measure": "failed-attempts", "where": {"dumpers": [10, 25]},
        "replications": 3, "at_most": 0, "why": "w"}),
        ),
        &[
            "expect.checks[0].where.dumpers",
            "dumper 25 does not exist: inparallel is 20",
        ],
    );
    rejects_expect(
        "unknown_cause",
        one(
            json!({"name": "x", "measure": "failed-attempts", "where": {"cause": "gremlins"},
        "replications": 3, "at_most": 0, "why": "w"}),
        ),
        &["expect.checks[0].where.cause", "unknown variant `gremlins`"],
    );
    rejects_expect(
        "twice",
        json!({"checks": [ok.clone(), ok.clone()]}),
        &["expect.checks[1].name", "used twice"],
    );
    rejects_expect(
        "bad_pin",
        json!({"fingerprint": {"replication": 0, "sha256": "c0ffee"}}),
        &["expect.fingerprint.sha256", "64 characters"],
    );
    rejects_expect("empty", json!({}), &["expect", "expects nothing"]);
    rejects_expect(
        "unknown_remedy",
        with("source", json!({"remedy": "pray"})),
        &[
            "expect.checks[0].source.remedy",
            "unknown remedy \"pray\"",
            "widen-range",
        ],
    );
    rejects_expect(
        "odd_source",
        with("source", json!("compare")),
        &["expect.checks[0].source"],
    );
}

#[test]
fn bad_scenario_files_and_paths_exit_2() {
    let d = tmp("bad-files");
    let malformed = d.join("malformed.json");
    std::fs::write(
        &malformed,
        "{\n  \"base\": \"x.json\",\n  \"expect\": {,}\n}\n",
    )
    .unwrap();
    rejects(
        &["check", malformed.to_str().unwrap()],
        &["malformed.json:3:", "not valid JSON"],
    );
    let bad_override = d.join("bad_override.json");
    std::fs::write(
        &bad_override,
        json!({"base": library().join("tokyo.json"), "overrides": ["hosts.99.zone=DMZ"],
               "expect": one(json!({"name": "x", "measure": "summary.failed", "replications": 1, "at_most": 0, "why": "w"}))})
        .to_string(),
    )
    .unwrap();
    rejects(
        &["check", bad_override.to_str().unwrap()],
        &["bad_override.json", "overrides[0]", "out of range"],
    );
    let bad_value = d.join("bad_value.json");
    std::fs::write(
        &bad_value,
        json!({"base": library().join("tokyo.json"), "overrides": ["server.inparallel=0"],
               "expect": one(json!({"name": "x", "measure": "summary.failed", "replications": 1, "at_most": 0, "why": "w"}))})
        .to_string(),
    )
    .unwrap();
    rejects(
        &["check", bad_value.to_str().unwrap()],
        &["bad_value.json", "server.inparallel"],
    );
    let missing_base = d.join("missing_base.json");
    std::fs::write(&missing_base, json!({"base": "nowhere.json"}).to_string()).unwrap();
    rejects(
        &["check", missing_base.to_str().unwrap()],
        &["missing_base.json: base: cannot read the base"],
    );
    rejects(&["check", "no/such/dir"], &["no/such/dir", "cannot read"]);
    // A directory whose scenarios expect nothing is an error too: a vacuous CI step must not pass.
    let quiet = tmp("quiet");
    std::fs::copy(library().join("tokyo.json"), quiet.join("tokyo.json")).unwrap();
    rejects(
        &["check", quiet.to_str().unwrap()],
        &["no scenario here has an expect block"],
    );
    // A bad file among good ones stops everything before anything runs.
    std::fs::copy(library().join("maxdumps-busy.json"), d.join("zz-good.json")).unwrap();
    rejects(
        &["check", d.to_str().unwrap()],
        &["bad_override.json: overrides[0]"],
    );
}

#[test]
fn a_remedy_source_reads_the_remedied_nights_paired_with_the_scenario() {
    let (code, remedies) = check_json(&["scenarios/incident-remedies.json"]);
    assert_eq!(code, Some(0));
    let (_, incident) = check_json(&["scenarios/incident.json"]);
    let values = |report: &Value, name: &str| -> Vec<f64> {
        report["scenarios"][0]["expectations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["measured"]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    // Night r of the remedy is night r of the incident: widen-range loses nothing, so the paired
    // difference is minus the incident's loss, night by night.
    let lost = values(&incident, "a-few-lost-on-average");
    let diff = values(&remedies, "widen-range-beats-the-incident");
    assert_eq!(diff.len(), lost.len());
    for (d, l) in diff.iter().zip(&lost) {
        assert_eq!(*d, -l);
    }
    assert!(lost.iter().any(|&l| l > 0.0));
    // The same remedy under the broken model fails too: the fault applies to every variant.
    let (code, broken) = check_json(&[
        "--inject-fault",
        "dumper-ignores-range",
        "scenarios/incident-remedies.json",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(
        verdict_of(&verdicts(&broken), "incident-remedies", "widen-range-clean").2,
        "fail"
    );
}
