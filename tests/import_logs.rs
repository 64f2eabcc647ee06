//! `portsim import --log`: sizes, rates and estimate times from Amanda's own logs, through the
//! binary. A real Amanda 3.5.1 night (tests/fixtures/amanda/base) and two nights written in
//! 2.4.5's format (tests/fixtures/import/incident/logs: dumper.c's `SUCCESS` line, planner.c's
//! `got result` line) give the values; what they do not give is listed as a default; bad lines
//! are warnings with file:line; the imported site runs.

mod common;

use common::portsim;

use serde_json::Value;
use std::path::PathBuf;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import_logs");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Imports with the given arguments (stdout output); returns the scenario and stderr.
fn import(args: &[&str]) -> (Value, String) {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "-"]);
    let out = portsim(&all);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "import failed: {err}");
    (serde_json::from_slice(&out.stdout).expect("JSON"), err)
}

fn disk<'a>(sc: &'a Value, host: &str, name: &str) -> &'a Value {
    sc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == host)
        .and_then(|h| {
            h["disks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["name"] == name)
        })
        .unwrap_or_else(|| panic!("{host}:{name} imported"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

/// The number after `name` in a line's `[... name N ...]`.
fn field(line: &str, name: &str) -> f64 {
    let mut w = line.split(|c: char| c.is_whitespace() || c == '[' || c == ']');
    while let Some(k) = w.next() {
        if k == name {
            return w.find(|x| !x.is_empty()).unwrap().parse().unwrap();
        }
    }
    panic!("no {name} in {line}")
}

fn base(extra: &[&str]) -> (Value, String) {
    let conf = format!("{ROOT}/tests/fixtures/amanda/base/amanda.conf");
    let dl = format!("{ROOT}/tests/fixtures/amanda/base/disklist");
    let mut args = vec![
        "--conf",
        &conf,
        "--disklist",
        &dl,
        "--udpportrange",
        "840,860",
    ];
    args.extend_from_slice(extra);
    import(&args)
}

fn incident(extra: &[&str]) -> (Value, String) {
    let fix = |p: &str| format!("{ROOT}/tests/fixtures/import/incident/{p}");
    let (conf, dl, ver, hosts) = (
        fix("amanda.conf"),
        fix("disklist"),
        fix("amadmin-version-2.4.txt"),
        fix("hosts"),
    );
    let mut args = vec![
        "--conf",
        &conf,
        "--disklist",
        &dl,
        "--version-output",
        &ver,
        "--hosts",
        &hosts,
        "--zone",
        "DMZ=192.0.2.0/24",
        "--zone",
        "LAN=10.1.0.0/24",
    ];
    args.extend_from_slice(extra);
    import(&args)
}

#[test]
fn a_real_351_night_gives_each_dles_size_rate_and_estimate_time() {
    let dir = format!("{ROOT}/tests/fixtures/amanda/base/amlog");
    let (sc, err) = base(&["--log", &dir]);
    let trace = format!("{dir}/log.20261202011613.0");
    let text = std::fs::read_to_string(&trace).unwrap();
    let (n, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with("SUCCESS dumper client.sim /amanda-lab/data/d14 "))
        .unwrap();
    let d = disk(&sc, "client.sim", "/amanda-lab/data/d14");
    assert_eq!(f(&d["full_gb"]) * 1024.0 * 1024.0, field(line, "kb"));
    assert_eq!(field(line, "kb"), 1540.0);
    assert_eq!(f(&d["rate_mb_s"]) * 1024.0, 60.9);
    // The planner had every estimate at 1.113 s; maxdumps 64 estimates them in one round.
    let amdump = std::fs::read_to_string(format!("{dir}/amdump.20261202011613")).unwrap();
    let last = amdump
        .lines()
        .filter(|l| l.contains(": got result for host client.sim "))
        .map(|l| {
            l.split(':')
                .nth(1)
                .unwrap()
                .trim_start_matches(" time ")
                .parse::<f64>()
                .unwrap()
        })
        .fold(0.0, f64::max);
    assert_eq!((last, f(&d["estimate_s"])), (1.113, 1.113));
    let read = sc["provenance"]["read"].as_array().unwrap();
    let from = read
        .iter()
        .find(|r| r["path"] == "hosts[client.sim].disks[/amanda-lab/data/d14].full_gb")
        .unwrap()["from"]
        .as_str()
        .unwrap();
    assert!(
        from.starts_with(&format!("{trace}:{}: level 0, 1540 KB", n + 1)),
        "{from}"
    );
    // Every DLE had a record: nothing about sizes is a default any more.
    let guessed = sc["provenance"]["guessed"].to_string();
    assert!(!guessed.contains("full_gb"), "{guessed}");
    assert!(!err.contains("full_gb"), "{err}");
    let inputs = sc["provenance"]["inputs"].to_string();
    assert!(inputs.contains("log.20261202011613.0"), "{inputs}");
}

#[test]
fn two_24_nights_combine_latest_full_size_and_median_rate_and_estimate() {
    let logs = format!("{ROOT}/tests/fixtures/import/incident/logs");
    let (sc, err) = incident(&["--log", &logs]);
    let gb = 1024.0 * 1024.0;
    // www1 / : level 1 on the 29th, level 0 (2097152 KB) on the 30th.
    let root = disk(&sc, "www1", "/");
    assert_eq!(f(&root["full_gb"]), 2097152.0 / gb);
    assert_eq!(f(&root["rate_mb_s"]), (4211.7 + 5086.3) / 2.0 / 1024.0);
    // www1 /var: its only full dump is the older night's; the rate is the median of both.
    let var = disk(&sc, "www1", "/var");
    assert_eq!(f(&var["full_gb"]), 524288.0 / gb);
    assert_eq!(f(&var["rate_mb_s"]), (5119.8 + 5050.6) / 2.0 / 1024.0);
    // www1 (maxdumps 1, two DLEs): its estimates were in by 52.906 s and 60.25 s: two rounds.
    assert_eq!(f(&root["estimate_s"]), (52.906 / 2.0 + 60.25 / 2.0) / 2.0);
    // db1 / has a record; db1 /home has none: it keeps the defaults, listed by name.
    assert_eq!(f(&disk(&sc, "db1", "/")["full_gb"]), 3.0);
    let home = disk(&sc, "db1", "/home");
    assert_eq!(
        (
            f(&home["full_gb"]),
            f(&home["rate_mb_s"]),
            f(&home["estimate_s"])
        ),
        (10.0, 5.0, 30.0)
    );
    let guessed = sc["provenance"]["guessed"].as_array().unwrap();
    for field in ["full_gb", "rate_mb_s", "estimate_s"] {
        let g = guessed
            .iter()
            .find(|g| g["path"] == format!("hosts[*].disks[*].{field}"))
            .unwrap_or_else(|| panic!("{field} default listed"));
        let applies = g["applies_to"].as_array().unwrap();
        assert!(applies.contains(&Value::from("db1:/home")), "{g}");
        assert!(!applies.contains(&Value::from("www1:/")), "{g}");
    }
    assert!(err.contains("full_gb of 75 DLEs is the default"), "{err}");
}

#[test]
fn bad_lines_and_unknown_dles_are_warnings_with_file_and_line() {
    let log = tmp("log.20061201.0");
    std::fs::write(
        &log,
        "START driver date 20061201\n\
         SUCCESS dumper www1 / 20061201 x [sec 1.0 kb 10 kps 10.0]\n\
         BOGOSITY driver what\n\
         SUCCESS dumper ghost /data 20061201 0 [sec 1.0 kb 10 kps 10.0 orig-kb 10]\n\
         SUCCESS dumper www2 / 20061201 0 [sec 1.0 kb 2048 kps 512.0 orig-kb 2048]\n",
    )
    .unwrap();
    let path = log.to_str().unwrap();
    let (sc, err) = incident(&["--log", path]);
    assert!(
        err.contains(&format!("{path}:2: `x` is not a dump level")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{path}:3: not a trace-log line")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{path}:4: ghost:/data is not among the imported DLEs"
        )),
        "{err}"
    );
    let warnings = sc["provenance"]["warnings"].to_string();
    assert!(warnings.contains(&format!("{path}:4:")), "{warnings}");
    // The good line still counts, and the bad one changed nothing.
    assert_eq!(
        f(&disk(&sc, "www2", "/")["full_gb"]),
        2048.0 / 1024.0 / 1024.0
    );
    assert_eq!(f(&disk(&sc, "www1", "/")["full_gb"]), 10.0);
}

/// Imports the incident (with `extra`), writes it, runs it; returns the run's JSON.
fn run_incident(name: &str, extra: &[&str]) -> (Value, Value) {
    let (sc, _) = incident(extra);
    let p = tmp(name);
    std::fs::write(&p, serde_json::to_string_pretty(&sc).unwrap()).unwrap();
    let out = portsim(&["run", "--format", "json", p.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (sc, serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn an_imported_site_with_logs_runs() {
    let logs = format!("{ROOT}/tests/fixtures/import/incident/logs");
    let (sc, run) = run_incident("incident-logs.json", &["--log", &logs]);
    let dles: usize = sc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["disks"].as_array().unwrap().len())
        .sum();
    assert_eq!(run["summary"]["dles"].as_u64(), Some(dles as u64));
    // The logged sizes and rates reach the model: www1's / is dumped at its own rate.
    let (_, plain) = run_incident("incident-plain.json", &[]);
    let dump_s = |r: &Value| {
        let a = r["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["host"] == "www1" && a["disk"] == "/")
            .unwrap();
        f(&a["end_s"]) - f(&a["start_s"])
    };
    assert_ne!(dump_s(&run), dump_s(&plain));
}

#[test]
fn a_log_directory_with_no_amanda_log_is_exit_2() {
    let dir = tmp("empty-logs");
    std::fs::create_dir_all(&dir).unwrap();
    let conf = format!("{ROOT}/tests/fixtures/amanda/base/amanda.conf");
    let dl = format!("{ROOT}/tests/fixtures/amanda/base/disklist");
    let out = portsim(&[
        "import",
        "--conf",
        &conf,
        "--disklist",
        &dl,
        "--log",
        dir.to_str().unwrap(),
        "-o",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--log: no Amanda log found"), "{err}");
}
