//! `portsim compare` through the binary: what each remedy fixes and exposes on the incident,
//! independence from --jobs, the report directory, and bad input.

mod common;

use common::portsim;
use serde_json::Value;
use std::path::PathBuf;

fn compare(extra: &[&str]) -> (Value, Vec<u8>) {
    let mut args = vec![
        "compare",
        "--format",
        "json",
        "--no-out",
        "--replications",
        "30",
    ];
    args.extend_from_slice(extra);
    let out = portsim(&args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).expect("JSON"),
        out.stdout,
    )
}

fn measure<'a>(c: &'a Value, variant: &str, m: &str) -> &'a Value {
    c["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == variant)
        .unwrap_or_else(|| panic!("no variant {variant}"))["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["measure"] == m)
        .unwrap_or_else(|| panic!("no measure {m}"))
}

fn all_zero(v: &Value) -> bool {
    v["values"].as_array().unwrap().iter().all(|x| x == 0.0)
}

#[test]
fn the_remedies_on_the_incident() {
    let (c, _) = compare(&["--jobs", "2"]);
    assert_eq!(c["schema"], "portsim.compare/1");
    assert_eq!(c["replications"], 30);
    let names: Vec<&str> = c["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "baseline",
            "widen-range",
            "lower-inparallel",
            "relax-firewall",
            "reserve-for-firewalled",
            "stateful-firewall"
        ]
    );
    // The baseline loses dumps, and its interval says so.
    let base = measure(&c, "baseline", "failed_dles");
    assert!(base["low"].as_f64().unwrap() > 0.0, "{base}");
    for v in [
        "widen-range",
        "lower-inparallel",
        "relax-firewall",
        "reserve-for-firewalled",
    ] {
        assert!(
            all_zero(measure(&c, v, "failed_attempts")),
            "{v} still fails"
        );
        assert!(
            all_zero(measure(&c, v, "failed_dles")),
            "{v} still loses DLEs"
        );
        // Paired on common random numbers: the improvement is significant.
        let d = &measure(&c, v, "failed_dles")["vs_baseline"];
        assert!(d["high"].as_f64().unwrap() < 0.0, "{v}: {d}");
    }
    let ports = |v| measure(&c, v, "reachable_ports")["mean"].as_f64().unwrap();
    let spoofable = |v| {
        measure(&c, v, "rests_on_source_port")["mean"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(ports("baseline"), 10.0);
    assert_eq!(ports("relax-firewall"), 65536.0);
    assert_eq!(spoofable("relax-firewall"), 1.0);
    assert_eq!(ports("widen-range"), 26.0);
    assert_eq!(ports("stateful-firewall"), 0.0);
    assert_eq!(spoofable("stateful-firewall"), 0.0);
    assert!(all_zero(measure(&c, "stateful-firewall", "failed_dles")));
    // Prices are facts beside the numbers.
    let price = |v: &str| {
        c["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == v)
            .unwrap()["price"]
            .clone()
    };
    assert_eq!(price("reserve-for-firewalled")["code_change"], true);
    assert_eq!(price("lower-inparallel")["firewall_change"], false);
    assert!(price("baseline").is_null());
}

#[test]
fn results_do_not_depend_on_jobs() {
    let (_, one) = compare(&["--jobs", "1"]);
    let (_, two) = compare(&["--jobs", "2"]);
    assert_eq!(one, two);
}

#[test]
fn the_helper_is_what_keeps_slow_estimates() {
    let (c, _) = compare(&[
        "scenarios/slow-estimates.json",
        "--remedies",
        "stateful-firewall,stateful-firewall:kind=conntrack+helper",
    ]);
    let lost = |v| measure(&c, v, "failed_dles")["mean"].as_f64().unwrap();
    assert_eq!(lost("stateful-firewall"), 14.0);
    assert_eq!(lost("stateful-firewall[kind=conntrack+helper]"), 0.0);
    let drop = |v| {
        measure(&c, v, "reply_drop_chance")["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(drop("stateful-firewall") > 0.1);
    assert_eq!(drop("stateful-firewall[kind=conntrack+helper]"), 0.0);
}

#[test]
fn the_report_directory_is_complete_and_replaced_whole() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // An older report's file, listed in its manifest: replaced whole, it goes.
    std::fs::write(dir.join(".portsim-report"), "stale.txt\n").unwrap();
    std::fs::write(dir.join("stale.txt"), "from an older run").unwrap();
    let out = portsim(&[
        "compare",
        "--replications",
        "5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            ".portsim-report",
            "dumpers.png",
            "dumpers.svg",
            "failures.png",
            "failures.svg",
            "report.csv",
            "report.json",
            "report.md",
            "timeline.png",
            "timeline.svg",
            "tradeoff.png",
            "tradeoff.svg",
            "window.png",
            "window.svg"
        ]
    );
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("## What each remedy fixes and costs"));
    assert!(md.contains("![Share of failed attempts by dumper"), "{md}");
    let csv = std::fs::read_to_string(dir.join("report.csv")).unwrap();
    assert!(
        csv.starts_with("variant,measure,n,mean,sd,ci_low,ci_high,diff_mean,diff_low,diff_high\n")
    );
    assert_eq!(csv.lines().count(), 1 + 6 * 9);
    // No temporary directory is left beside it.
    let parent = dir.parent().unwrap();
    assert!(!std::fs::read_dir(parent).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".report.")
    }));
}

#[test]
fn remedies_lists_the_six() {
    let out = portsim(&["remedies"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 6);
    for name in [
        "widen-range",
        "lower-inparallel",
        "relax-firewall",
        "reserve-for-firewalled",
        "stateful-firewall",
        "bsdtcp",
    ] {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn bad_compare_input_exits_2() {
    for (args, needle) in [
        (
            vec!["compare", "--remedies", "widen"],
            "unknown remedy \"widen\"",
        ),
        (
            vec!["compare", "--replications", "1"],
            "'--replications <REPLICATIONS>': 1 is not in 2..=10000",
        ),
        (
            vec!["compare", "--remedy-set", "widen-range=3"],
            "REMEDY.KEY=VALUE",
        ),
        (
            vec![
                "compare",
                "--remedies",
                "stateful-firewall:kind=nfqueue",
                "--no-out",
            ],
            "unknown kind \"nfqueue\"",
        ),
        (
            vec!["compare", "--remedies", "widen-range,widen-range"],
            "listed twice",
        ),
        (
            vec![
                "compare",
                "--timeline",
                "relax-firewall",
                "--remedies",
                "widen-range",
            ],
            "--timeline",
        ),
    ] {
        let out = portsim(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

/// The `apply` lines of `variant`'s file `name`, as (removed, added).
fn apply_lines(c: &Value, variant: &str, name: &str) -> (Vec<String>, Vec<String>) {
    let v = c["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == variant)
        .unwrap_or_else(|| panic!("no variant {variant}"));
    let f = v["apply"]["files"]
        .as_array()
        .unwrap_or_else(|| panic!("{variant} has no apply lines: {v}"))
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("{variant} does not change {name}"));
    let strs = |k: &str| {
        f[k].as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    };
    (strs("removed"), strs("added"))
}

#[test]
fn the_report_says_what_each_remedy_changes_at_the_site() {
    let (c, _) = compare(&[]);
    assert!(
        c["variants"][0].get("apply").is_none(),
        "the baseline changes nothing"
    );
    // 2.4: the range is a configure flag; the hole widens with it; the new ports are named.
    let (removed, added) = apply_lines(&c, "widen-range", "configure");
    assert_eq!(removed, ["./configure --with-udpportrange=850,859"]);
    assert_eq!(added, ["./configure --with-udpportrange=850,875"]);
    let (removed, added) = apply_lines(&c, "widen-range", "nft");
    assert!(
        removed.iter().any(|l| l.contains("udp dport 850-859")),
        "{removed:?}"
    );
    assert!(
        added.iter().any(|l| l.contains("udp dport 850-875")),
        "{added:?}"
    );
    let (_, added) = apply_lines(&c, "widen-range", "services");
    assert_eq!(added.len(), 16, "{added:?}");
    let (removed, added) = apply_lines(&c, "lower-inparallel", "amanda.conf");
    assert_eq!(
        (removed, added),
        (
            vec!["inparallel 20".to_string()],
            vec!["inparallel 10".to_string()]
        )
    );
    // No file expresses a patch to Amanda's code: said, not left blank.
    let reserve = c["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "reserve-for-firewalled")
        .unwrap();
    assert!(
        reserve["apply"]["not_expressible"]
            .as_str()
            .unwrap()
            .contains("patch"),
        "{reserve}"
    );
    // 3.x: the range is `reserved-udp-port` in amanda.conf, and iptables when asked.
    let (c, _) = compare(&[
        "--set",
        "server.version=\"3.5\"",
        "--remedies",
        "widen-range",
        "--dialect",
        "iptables",
    ]);
    let (removed, added) = apply_lines(&c, "widen-range", "amanda.conf");
    assert_eq!(removed, ["reserved-udp-port 850,859"]);
    assert_eq!(added, ["reserved-udp-port 850,875"]);
    let (_, added) = apply_lines(&c, "widen-range", "iptables");
    assert!(added.iter().any(|l| l.contains("850:875")), "{added:?}");
    assert!(
        c["command"]
            .as_str()
            .unwrap()
            .ends_with("--dialect iptables")
    );
    // The Markdown report shows the same lines.
    let out = portsim(&[
        "compare",
        "--format",
        "markdown",
        "--no-out",
        "--replications",
        "2",
        "--remedies",
        "widen-range",
    ]);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("## What to change at the site"), "{md}");
    assert!(md.contains("### widen-range"), "{md}");
    assert!(
        md.contains(
            "-./configure --with-udpportrange=850,859\n+./configure --with-udpportrange=850,875"
        ),
        "{md}"
    );
}
