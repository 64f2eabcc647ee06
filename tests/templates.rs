//! `host_templates` through the binary: expansion at load for every command, `portsim generate`,
//! determinism from the seed, and errors naming the template.

mod common;

use common::{portsim, rejects, run_json, scenario_file, stdout, tmp, tokyo};
use serde_json::{Value, json};

const LARGE: &str = "scenarios/large-site.json";

/// The incident's server and filter with 4 LAN and 2 DMZ hosts from templates.
fn small() -> Value {
    let mut v = tokyo();
    v["hosts"] = json!([{"name": "mail", "zone": "DMZ",
        "disks": [{"name": "/", "full_gb": 2, "rate_mb_s": 5}]}]);
    v["host_templates"] = json!([
        {"count": 4, "name": "lan-{i}", "zone": "LAN", "disks": 2,
         "full_gb": {"mean": 5, "sigma": 0.5}, "rate_mb_s": [4, 8]},
        {"count": 2, "name": "dmz-{i:02}", "zone": "DMZ", "disks": ["/", "/var"],
         "full_gb": [1, 4], "rate_mb_s": 6, "estimate_s": [10, 40]}
    ]);
    v
}

fn ok(args: &[&str]) -> String {
    let out = portsim(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

#[test]
fn a_generated_file_runs_byte_identically() {
    let dir = tmp("templates", "generated");
    let gen_path = dir.join("large.json");
    let generated = gen_path.to_str().unwrap();
    ok(&["generate", LARGE, "-o", generated]);
    let text = std::fs::read_to_string(&gen_path).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v.get("host_templates").is_none(), "templates are expanded");
    assert_eq!(v["hosts"].as_array().unwrap().len(), 200);
    assert_eq!(v["hosts"][0]["name"], "lan-001");
    assert_eq!(v["hosts"][199]["name"], "dmz-40");
    for rep in ["0", "5"] {
        for fmt in [["--format", "json"], ["--format", "text"]] {
            let a = ok(&["run", LARGE, "--replication", rep, fmt[0], fmt[1]]);
            let b = ok(&["run", generated, "--replication", rep, fmt[0], fmt[1]]);
            assert_eq!(a, b, "replication {rep} {fmt:?}");
        }
    }
    // compare's JSON echoes the command line, file name included; everything else is equal.
    let compare = |f: &str| {
        let mut v: Value = serde_json::from_str(&ok(&[
            "compare",
            f,
            "--replications",
            "4",
            "--format",
            "json",
            "--no-out",
        ]))
        .unwrap();
        let command = v["command"].as_str().unwrap().replace(f, "FILE");
        v["command"] = json!(command);
        v.to_string()
    };
    assert!(compare(LARGE) == compare(generated), "compare differs");
    // The generated file is itself fully expanded: generating it again changes nothing.
    assert_eq!(ok(&["generate", generated, "-o", "-"]), text);
    // And its expect block, fingerprint included, holds as the template file's does.
    ok(&["check", generated, "-q"]);
}

#[test]
fn the_same_seed_expands_identically_and_another_seed_draws_anew() {
    let a = ok(&["generate", LARGE, "--seed", "5", "-o", "-"]);
    assert_eq!(a, ok(&["generate", LARGE, "--seed", "5", "-o", "-"]));
    let b = ok(&["generate", LARGE, "--seed", "6", "-o", "-"]);
    let (a, b): (Value, Value) = (
        serde_json::from_str(&a).unwrap(),
        serde_json::from_str(&b).unwrap(),
    );
    let pick = |v: &Value, key: &str| {
        v["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["name"].clone(), h["disks"][0][key].clone()))
            .collect::<Vec<_>>()
    };
    let (sa, sb) = (pick(&a, "full_gb"), pick(&b, "full_gb"));
    assert!(sa.iter().zip(&sb).all(|(x, y)| x.0 == y.0), "same names");
    let moved = sa.iter().zip(&sb).filter(|(x, y)| x.1 != y.1).count();
    assert!(moved > 190, "only {moved} of 200 sizes moved with the seed");
}

#[test]
fn set_reaches_a_template() {
    let v = run_json(&[LARGE, "--set", "host_templates.0.count=500"]);
    assert_eq!(v["summary"]["dles"], 500 * 2 + 40 * 2);
    let g = ok(&[
        "generate",
        LARGE,
        "--set",
        "host_templates.1.name=edge-{i}",
        "-o",
        "-",
    ]);
    assert!(
        g.contains("\"edge-40\"") && !g.contains("\"dmz-01\""),
        "{g}"
    );
}

#[test]
fn every_command_reads_templates() {
    let f = scenario_file("templates", "small", &small());
    let f = f.to_str().unwrap();
    let run = run_json(&[f]);
    assert_eq!(run["summary"]["dles"], 1 + 4 * 2 + 2 * 2);
    let dles: Vec<String> = run["dles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["host"].as_str().unwrap(),
                d["disk"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(dles[1..4], ["lan-1:/disk1", "lan-1:/disk2", "lan-2:/disk1"]);
    assert_eq!(dles[12], "dmz-02:/var");
    let c = ok(&[
        "compare",
        f,
        "--replications",
        "3",
        "--no-out",
        "--format",
        "csv",
    ]);
    assert!(c.contains("widen-range"), "{c}");
    let s = ok(&[
        "sweep",
        f,
        "--vary",
        "host_templates.1.count=0..2",
        "--replications",
        "2",
        "--format",
        "json",
    ]);
    let s: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(s["points"].as_array().map(Vec::len), Some(3), "{s}");
    let p = portsim(&["plan", f, "--replications", "2", "--format", "json"]);
    assert!(matches!(p.status.code(), Some(0 | 1)), "{p:?}");
    let e = ok(&["explain", f, "--dle", "dmz-01:/"]);
    assert!(e.contains("dmz-01"), "{e}");
    let mut checked = small();
    checked["expect"] = json!({"checks": [{"name": "dles", "measure": "summary.dles",
        "replications": 2, "equals": 13, "why": "1 listed host and 6 made, 13 disks"}]});
    let f = scenario_file("templates", "checked", &checked);
    ok(&["check", f.to_str().unwrap(), "-q"]);
}

#[test]
fn bad_templates_exit_2_naming_the_template() {
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = small();
        edit(&mut v);
        scenario_file("templates", "bad", &v)
    };
    let f = with(&|v| v["host_templates"][0]["count"] = json!(70000));
    let f = f.to_str().unwrap();
    rejects(
        &["run", f],
        &["bad.json", "host_templates[0].count", "at most 65535 hosts"],
    );
    let f = with(&|v| v["host_templates"][1]["name"] = json!("mail"));
    rejects(
        &["run", f.to_str().unwrap()],
        &["host_templates[1].name", "put {i}"],
    );
    let f = with(&|v| v["host_templates"][1]["name"] = json!("lan-{i}"));
    rejects(
        &["run", f.to_str().unwrap()],
        &[
            "host_templates[1].name",
            "\"lan-1\"",
            "host_templates[0] already names",
        ],
    );
    let f = with(&|v| v["host_templates"][0]["zone"] = json!("WAN"));
    rejects(
        &["run", f.to_str().unwrap()],
        &[
            "host_templates[0].zone",
            "unknown zone \"WAN\"",
            "host 1 of the 4",
        ],
    );
    let f = with(&|v| v["host_templates"][0]["full_gb"] = json!("big"));
    rejects(
        &["run", f.to_str().unwrap()],
        &["host_templates[0].full_gb", "[low, high] (uniform)"],
    );
    let f = with(&|v| v["host_templates"][1]["full_gb"] = json!([1e6, 1e7]));
    rejects(
        &["check", f.to_str().unwrap()],
        &["host_templates[1]:", "dmz-01:/", "longer than a night"],
    );
    let good = scenario_file("templates", "good", &small());
    let good = good.to_str().unwrap();
    rejects(
        &["run", good, "--set", "host_templates.0.rate_mb_s=[9,3]"],
        &[
            "--set host_templates.0.rate_mb_s=[9,3]",
            "host_templates[0].rate_mb_s",
            "low <= high",
        ],
    );
    rejects(
        &["run", good, "--set", "host_templates.0.maxdumps=0"],
        &["host_templates[0].maxdumps", "maxdumps must be 1 or more"],
    );
    // Bad input writes nothing.
    let out = tmp("templates", "nothing").join("out.json");
    rejects(
        &[
            "generate",
            good,
            "--set",
            "host_templates.0.count=-1",
            "-o",
            out.to_str().unwrap(),
        ],
        &["host_templates[0].count"],
    );
    assert!(!out.exists());
    // 120,000 DLEs load and run, but their expansion would pass the 16 MiB a file may have.
    rejects(
        &[
            "generate",
            LARGE,
            "--set",
            "host_templates.0.count=40000",
            "--set",
            "host_templates.0.disks=3",
            "-o",
            out.to_str().unwrap(),
        ],
        &[
            "-o ",
            "40040 hosts, 120080 DLEs",
            "at most 16 MiB",
            "could not be read back",
        ],
    );
    assert!(!out.exists());
}
