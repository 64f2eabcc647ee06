//! Issue 10's hardening, through the binary: no panic or abort on hostile input, output errors
//! handled, errors that name what the user gave, the loader's quirks closed, and the
//! conventions users expect (completions, man page, --quiet, did-you-mean).
//! Each test names the defect it guards; each failed before its fix.

use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn portsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portsim"))
        .args(args)
        .env("CI", "true")
        .output()
        .expect("portsim runs")
}

fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("harden")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn tokyo() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/tokyo.json"))
            .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Exit 2, nothing on stdout, and every needle in stderr.
fn rejects(args: &[&str], needles: &[&str]) -> String {
    let out = portsim(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {n:?} not in: {err}");
    }
    err
}

// Item 3: writing standard output.

#[test]
fn a_full_disk_on_stdout_is_exit_2_naming_it() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = Command::new(env!("CARGO_BIN_EXE_portsim"))
        .args(["run"])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("standard output: cannot write"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    for args in [
        &["run", "--format", "json"][..],
        &[
            "compare",
            "--replications",
            "2",
            "--no-out",
            "--format",
            "json",
        ],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portsim"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before portsim has simulated anything, as `| head -c0` would.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// Every command that prints, as a list of argument lists (the import reads the incident's
/// own configuration; the pictures go to standard output with `--out -`).
fn printing_commands() -> Vec<Vec<String>> {
    let fix = |f: &str| {
        format!(
            "{}/tests/fixtures/import/incident/{f}",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let import = vec![
        "import".to_string(),
        "--conf".into(),
        fix("amanda.conf"),
        "--disklist".into(),
        fix("disklist"),
        "--version-output".into(),
        fix("amadmin-version-2.4.txt"),
        "--firewall".into(),
        fix("iptables-save.txt"),
        "--zone".into(),
        "DMZ=192.0.2.0/24".into(),
        "--zone".into(),
        "LAN=10.1.0.0/24".into(),
        "--hosts".into(),
        fix("hosts"),
        "--server".into(),
        "amanda".into(),
        "-o".into(),
        "-".into(),
    ];
    let own = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        own(&["explain"]),
        own(&["explain", "--dle", "www2:/", "--format", "json"]),
        own(&["ladder", "--dle", "www2:/", "--out", "-"]),
        own(&["timeline", "--out", "-"]),
        own(&["apply", "widen-range"]),
        own(&["apply", "stateful-firewall", "--format", "json"]),
        import,
        own(&[
            "sweep",
            "--vary",
            "server.inparallel=9..10",
            "--replications",
            "2",
        ]),
    ]
}

#[test]
fn every_command_ends_quietly_on_a_closed_pipe_and_names_a_full_stdout() {
    for args in printing_commands() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portsim"))
            .args(&args)
            .env("CI", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?} | head -c0: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("error"),
            "{args:?}: {err}"
        );

        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = Command::new(env!("CARGO_BIN_EXE_portsim"))
            .args(&args)
            .env("CI", "true")
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} > /dev/full: {err}");
        assert!(
            err.contains("standard output: cannot write"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn quiet_silences_every_command_but_a_file_named_minus() {
    for args in printing_commands() {
        let named_stdout = args.iter().any(|a| a == "-");
        // Before the command, as a global option, and after it.
        for at in [0, args.len()] {
            let mut q = args.clone();
            q.insert(at, "-q".into());
            let out = portsim(&q.iter().map(String::as_str).collect::<Vec<_>>());
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{q:?}: {err}");
            assert!(err.is_empty(), "{q:?} wrote to stderr: {err}");
            // `-o -` and `--out -` name standard output as the file to write: it is written.
            assert_eq!(out.stdout.is_empty(), !named_stdout, "{q:?}");
        }
    }
}

#[test]
fn quiet_goes_before_the_command_too_and_run_options_do_not() {
    let lib = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/incident-inparallel-10.json"
    );
    for q in ["-q", "--quiet"] {
        let out = portsim(&[q, "check", lib]);
        assert_eq!(out.status.code(), Some(0), "{q} check");
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{q} check");
        let out = portsim(&[q, "remedies"]);
        assert!(
            out.status.success() && out.stdout.is_empty(),
            "{q} remedies"
        );
    }
    // Without a command, -q still quiets `run`.
    let out = portsim(&["-q", "--seed", "3"]);
    assert!(out.status.success() && out.stdout.is_empty());
    // `run`'s own options before another command would be ignored: refused, naming the option.
    rejects(
        &["--seed", "3", "compare", "--no-out"],
        &["--seed", "portsim compare"],
    );
}

// Item 3: counts bounded before any work.

#[test]
fn jobs_and_replications_are_bounded_with_a_clear_message() {
    rejects(&["check", "--jobs", "100000"], &["--jobs", "1..=1024"]);
    rejects(
        &["compare", "--jobs", "1000000", "--no-out"],
        &["--jobs", "1..=1024"],
    );
    rejects(&["check", "--jobs", "0"], &["--jobs", "1..=1024"]);
    rejects(
        &["compare", "--replications", "1000000000", "--no-out"],
        &["--replications", "2..=10000"],
    );
}

#[test]
fn a_device_or_huge_file_is_not_read_to_the_end() {
    rejects(
        &["run", "/dev/zero"],
        &["/dev/zero: cannot read the scenario", "larger than 16 MiB"],
    );
    let d = tmp("zero-base");
    let f = write(&d, "on-zero.json", r#"{"base": "/dev/zero"}"#);
    rejects(&["run", &f], &["base", "larger than 16 MiB"]);
}

#[test]
fn a_set_path_of_55000_segments_is_refused_not_overflowing_the_stack() {
    let deep = format!("{}=1", vec!["a"; 55_000].join("."));
    rejects(
        &["run", "--set", &deep],
        &["55000 segments", "no setting lies deeper than 32"],
    );
    let d = tmp("deep-override");
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/tokyo.json");
    let f = write(
        &d,
        "deep.json",
        &json!({"base": base, "overrides": [deep]}).to_string(),
    );
    rejects(&["run", &f], &["overrides[0]", "55000 segments"]);
}

// Item 5: replications do not alias.

#[test]
fn replications_2_pow_48_apart_are_different_nights() {
    let fp = |r: u64| {
        let out = portsim(&["run", "--fingerprint", "--replication", &r.to_string()]);
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let r = 3u64;
    assert_ne!(fp(r), fp(r + (1 << 48)));
}

// Item 6: errors name what the user gave.

#[test]
fn option_errors_name_the_option_not_set() {
    for (args, needles) in [
        (
            vec!["compare", "--replications", "1"],
            vec!["--replications", "1 is not in 2..=10000"],
        ),
        (
            vec!["compare", "--remedies", "nosuch", "--no-out"],
            vec!["--remedies nosuch: unknown remedy"],
        ),
        (
            vec!["compare", "--remedy-set", "remedy.kind=x", "--no-out"],
            vec!["--remedy-set remedy.kind=x: unknown remedy \"remedy\""],
        ),
        (
            vec![
                "compare",
                "--remedies",
                "widen-range",
                "--remedy-set",
                "widen-range.range=[900,800]",
                "--no-out",
            ],
            vec!["remedy widen-range with widen-range.range=[900,800]"],
        ),
    ] {
        let err = rejects(&args, &needles);
        assert!(!err.contains("--set"), "{args:?}: {err}");
    }
}

#[test]
fn typos_get_a_did_you_mean() {
    rejects(&["compair"], &["did you mean `portsim compare`?"]);
    rejects(
        &["compare", "--remedies", "widen-rnage", "--no-out"],
        &["did you mean widen-range?"],
    );
    // A word far from every command is not a slip: all commands are listed.
    rejects(
        &["incidnet"],
        &["no such command or scenario file", "compare"],
    );
}

#[test]
fn compare_skips_a_remedy_that_does_not_apply_and_says_why() {
    let lib = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bottleneck.json");
    let out = portsim(&[
        "compare",
        lib,
        "--replications",
        "2",
        "--no-out",
        "--format",
        "json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("remedy widen-range skipped: "), "{err}");
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = c["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"widen-range"), "{names:?}");
    let skipped = &c["skipped"];
    assert!(
        skipped
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "widen-range" && s["reason"].as_str().unwrap().contains("10080")),
        "{skipped}"
    );
    // Asked for by name with its own parameters, it is still an error.
    rejects(
        &[
            "compare",
            lib,
            "--remedies",
            "widen-range",
            "--remedy-set",
            "widen-range.range=[850,900]",
            "--no-out",
        ],
        &["remedy widen-range with widen-range.range=[850,900]: no firewall rule"],
    );
}

#[test]
fn a_file_that_is_not_utf8_is_located() {
    let d = tmp("utf8");
    let p = d.join("latin1.json");
    std::fs::write(&p, b"{\n  \"name\": \"caf\xe9\"\n}").unwrap();
    rejects(
        &["run", p.to_str().unwrap()],
        &["latin1.json:2:15:", "not UTF-8 (byte 0xe9)"],
    );
}

// Item 7: the loader's quirks.

#[test]
fn duplicate_keys_and_top_level_lists_are_refused() {
    let d = tmp("loader");
    let mut text = serde_json::to_string_pretty(&tokyo()).unwrap();
    text = text.replacen("{\n", "{\n  \"seed\": 1,\n  \"seed\": 2,\n", 1);
    let f = write(&d, "dup.json", &text);
    rejects(&["run", &f], &["dup.json:3:", "\"seed\" is given twice"]);
    let f = write(&d, "list.json", "[1, 2]");
    rejects(
        &["run", &f],
        &["(top level)", "a scenario is a JSON object"],
    );
    rejects(
        &["run", "--set", "server={\"a\":1,\"a\":2}"],
        &["given twice"],
    );
}

#[test]
fn json_syntax_errors_show_the_line_and_a_caret() {
    let d = tmp("syntax");
    let f = write(&d, "bad.json", "{\n  \"seed\": 1\n  \"name\": \"x\"\n}\n");
    let err = rejects(&["run", &f], &["bad.json:3:3: not valid JSON"]);
    assert!(
        err.contains("3 |   \"name\": \"x\"\n  |   ^"),
        "no caret under column 3: {err}"
    );
}

// Item 8: lower-inparallel only lowers, and says to what.

#[test]
fn lower_inparallel_never_raises_and_reports_its_value() {
    let run = |sets: &[&str]| {
        let mut args = vec![
            "compare",
            "--remedies",
            "lower-inparallel",
            "--replications",
            "2",
            "--no-out",
            "--format",
            "json",
        ];
        for s in sets {
            args.extend(["--set", s]);
        }
        let out = portsim(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            serde_json::from_slice::<Value>(&out.stdout).ok(),
        )
    };
    // The incident: 20 dumpers, 10 usable ports: lowered to 10, and the report says so.
    let (code, err, c) = run(&[]);
    assert_eq!(code, Some(0), "{err}");
    let c = c.unwrap();
    assert_eq!(c["variants"][1]["params"], json!({"inparallel": 10}));
    // 5 dumpers, 10 usable ports: it used to set 10 dumpers; now it does not apply.
    let (code, err, c) = run(&["server.inparallel=5"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("inparallel 5 already fits the 10 usable ports"),
        "{err}"
    );
    assert_eq!(c.unwrap()["variants"].as_array().unwrap().len(), 1);
}

// Item 9, the words: a clean baseline is said first; a lossy remedy is never recommended.

#[test]
fn a_clean_baseline_is_said_first_and_nothing_is_recommended() {
    let out = portsim(&[
        "compare",
        "--set",
        "server.inparallel=10",
        "--replications",
        "3",
        "--no-out",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let verdicts: Vec<&str> = text.split("\n\n").nth(1).unwrap().lines().collect();
    assert!(
        verdicts[0].starts_with("The baseline is already clean"),
        "{verdicts:?}"
    );
    assert!(!text.contains("Least"), "{text}");
    assert!(!text.contains("Every night clean with"), "{text}");
}

#[test]
fn a_remedy_that_loses_dles_is_never_recommended() {
    let lib = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/slow-estimates.json");
    let out = portsim(&[
        "compare",
        lib,
        "--remedies",
        "stateful-firewall,stateful-firewall:kind=conntrack+helper",
        "--replications",
        "3",
        "--no-out",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("stateful-firewall: still"),
        "plain conntrack loses DLEs here: {text}"
    );
    for line in text
        .lines()
        .filter(|l| l.starts_with("Every night clean") || l.starts_with("Least"))
    {
        assert!(
            !line.contains("stateful-firewall,") && !line.contains("stateful-firewall ("),
            "{line}"
        );
        assert!(!line.ends_with("stateful-firewall."), "{line}");
    }
}

// Conventions.

#[test]
fn completions_and_man_page_come_from_the_cli() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = portsim(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("compare") && text.contains("replications"),
            "{shell}"
        );
    }
    let man = portsim(&["man"]);
    assert!(man.status.success());
    let text = String::from_utf8(man.stdout).unwrap();
    assert!(
        text.starts_with(".ie") || text.contains(".TH portsim"),
        "{text}"
    );
    assert!(text.contains("completions"));
}

#[test]
fn quiet_prints_nothing_and_compare_says_where_it_wrote() {
    let d = tmp("quiet");
    let dir = d.join("rep");
    let out = portsim(&[
        "compare",
        "--replications",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "wrote the report to {}",
            dir.join("report.md").display()
        )),
        "{err}"
    );
    let out = portsim(&[
        "compare",
        "--quiet",
        "--replications",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    assert!(dir.join("report.md").exists());
    let out = portsim(&["run", "-q"]);
    assert!(out.status.success() && out.stdout.is_empty());
}

#[test]
fn check_of_a_directory_skips_json_that_is_not_a_scenario() {
    let d = tmp("check-dir");
    let lib = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/incident-inparallel-10.json"
    );
    let mut sc: Value = serde_json::from_str(&std::fs::read_to_string(lib).unwrap()).unwrap();
    sc["base"] = json!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/tokyo.json"));
    write(&d, "sc.json", &sc.to_string());
    let out = portsim(&[
        "compare",
        "--replications",
        "2",
        "--out",
        d.join("rep").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    write(&d, "package.json", r#"{"name": "x", "version": "1.0.0"}"#);
    let out = portsim(&["check", d.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("report.json (not a scenario)"), "{text}");
    // Hidden directories and caches (CACHEDIR.TAG, as in cargo's target/) are not searched.
    for sub in [".git", "target"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
        write(&d.join(sub), "broken.json", "{\"server\": 1}");
    }
    write(
        &d.join("target"),
        "CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    );
    assert!(text.contains("package.json (not a scenario)"), "{text}");
    let again = portsim(&["check", d.to_str().unwrap()]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    // Named on the command line, it is read as a scenario, and refused as one.
    let report = d.join("rep").join("report.json");
    rejects(&["check", report.to_str().unwrap()], &["report.json"]);
}

#[test]
fn junit_test_cases_carry_their_time() {
    let d = tmp("junit-time");
    let junit = d.join("j.xml");
    let lib = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/incident-inparallel-10.json"
    );
    let out = portsim(&["check", lib, "--junit", junit.to_str().unwrap()]);
    assert!(out.status.success());
    let xml = std::fs::read_to_string(junit).unwrap();
    let cases: Vec<&str> = xml.split("<testcase ").skip(1).collect();
    assert!(!cases.is_empty());
    for c in cases {
        let head = c.split('>').next().unwrap();
        let t = head
            .split("time=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_else(|| panic!("no time in <testcase {head}>"));
        assert!(t.parse::<f64>().unwrap() >= 0.0, "{head}");
    }
}

#[test]
fn committed_schemas_are_what_portsim_prints() {
    for name in ["scenario", "run", "compare", "check"] {
        let out = portsim(&["schema", name]);
        assert!(out.status.success(), "{name}");
        let file = format!(
            "{}/docs/schemas/{name}.schema.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            committed == String::from_utf8_lossy(&out.stdout),
            "{file} is stale: regenerate it with `portsim schema {name} > {file}`"
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["$schema"].as_str().unwrap().contains("2020-12"), "{name}");
    }
    let run: Value = serde_json::from_slice(&portsim(&["schema", "run"]).stdout).unwrap();
    assert_eq!(run["title"], "portsim.run/1");
    rejects(&["schema", "nosuch"], &["invalid value 'nosuch'"]);
}

// Items 3 and 4: sizes, counts and times bounded at load, naming the value.

#[test]
fn hostile_sizes_counts_and_times_are_refused_at_load() {
    for (set, needles) in [
        (
            "hosts.0.disks.0.full_gb=1e308",
            vec!["hosts[0].disks[0]: www1:/", "for ever", "30 days"],
        ),
        (
            "hosts.0.disks.0.full_gb=1e15",
            vec!["hosts[0].disks[0]: www1:/", "full_gb 1e15", "30 days"],
        ),
        (
            "hosts.0.disks.0.rate_mb_s=1e-300",
            vec!["hosts[0].disks[0]: www1:/", "rate_mb_s 1e-300", "30 days"],
        ),
        (
            "hosts.0.disks.0.rate_mb_s=1e308",
            vec!["hosts[0].disks[0].rate_mb_s", "at most 1048576 MB/s"],
        ),
        (
            "hosts.0.disks.0.estimate_s=1e12",
            vec!["hosts[0].disks[0].estimate_s", "30 days"],
        ),
        ("server.dtimeout=1e12", vec!["server.dtimeout", "30 days"]),
        (
            "hosts.0.maxdumps=4294967295",
            vec!["hosts[0].maxdumps", "at most 1024"],
        ),
        (
            "server.rescan_limit=4000000000",
            vec!["server.rescan_limit", "at most 172800"],
        ),
    ] {
        let mut args = vec!["run", "--set", set];
        if set.starts_with("server.rescan") {
            args.extend(["--set", "server.version=2.5.2"]);
        }
        rejects(&args, &needles);
    }
    let d = tmp("ports-in-use");
    let mut sc = tokyo();
    let held: Vec<Value> = (512..1024)
        .chain(32768..61000)
        .map(|p| json!({"port": p, "by": "test"}))
        .collect();
    sc["server"]["ports_in_use"] = json!(held);
    let f = write(&d, "held.json", &sc.to_string());
    rejects(
        &["run", &f],
        &[
            "server.ports_in_use",
            "28232 ephemeral ports",
            "leave at least 128 free",
        ],
    );
}

// Item 7: versions and port 0.

#[test]
fn unknown_amanda_3_releases_and_port_0_are_refused() {
    rejects(
        &["run", "--set", "server.version=\"3.9\""],
        &[
            "server.version",
            "\"3.9\" is not an Amanda 3 release",
            "3.5.1",
        ],
    );
    let out = portsim(&[
        "run",
        "--set",
        "server.version=\"3.5.1\"",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    rejects(
        &["run", "--set", "server.udpportrange=[0,9]"],
        &["server.udpportrange", "port 0"],
    );
    rejects(
        &[
            "run",
            "--set",
            "server.ports_in_use=[{\"port\":0,\"by\":\"x\"}]",
        ],
        &["server.ports_in_use[0].port", "port 0"],
    );
    rejects(
        &["run", "--set", "firewall.rules.0.dst_ports=0"],
        &["firewall.rules[0].dst_ports", "port 0"],
    );
}

// Item 4: a night longer than 30 days is an error naming the DLE.

#[test]
fn a_night_past_30_days_is_an_error_naming_the_dle() {
    let slow = [
        "--set",
        "workload.dumpcycle=1",
        "--set",
        "workload.jitter=0",
        "--set",
        "server.inparallel=1",
        "--set",
        "hosts.0.disks.0.rate_mb_s=0.003",
        "--set",
        "hosts.1.disks.0.rate_mb_s=0.003",
    ];
    let mut args = vec!["run"];
    args.extend(slow);
    // Each DLE alone fits a night (25 days); one after the other they do not.
    rejects(&args, &["www1:/: the night runs past 30 days", "35.6 days"]);
    let mut args = vec![
        "compare",
        "--replications",
        "2",
        "--remedies",
        "relax-firewall",
        "--no-out",
    ];
    args.extend(slow);
    rejects(
        &args,
        &[
            "baseline, replication 0: the night runs past 30 days",
            "--replication 0",
        ],
    );
}
