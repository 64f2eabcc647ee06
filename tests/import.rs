//! `portsim import` end to end through the binary: the incident's own configuration and
//! firewall (iptables-save and `nft -j` output captured from the real tools, a hand-written
//! pf.conf) import to a site that runs exactly as `scenarios/tokyo.json`; a shipped-style
//! amanda.conf maps as Amanda reads it; each format's bad input is exit 2 with file:line:column.

mod common;

use common::{portsim, tokyo};

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import");

fn fix(p: &str) -> String {
    format!("{FIX}/{p}")
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Imports the incident with the given firewall file; returns the scenario and stderr.
fn import_incident(firewall: &str, extra: &[&str]) -> (Value, String) {
    let fw = fix(&format!("incident/{firewall}"));
    let (conf, dl, ver, hosts) = (
        fix("incident/amanda.conf"),
        fix("incident/disklist"),
        fix("incident/amadmin-version-2.4.txt"),
        fix("incident/hosts"),
    );
    let mut args = vec![
        "import",
        "--conf",
        &conf,
        "--disklist",
        &dl,
        "--version-output",
        &ver,
        "--firewall",
        &fw,
        "--zone",
        "DMZ=192.0.2.0/24",
        "--zone",
        "LAN=10.1.0.0/24",
        "--hosts",
        &hosts,
        "--server-zone",
        "LAN",
        "--server",
        "amanda",
        "-o",
        "-",
    ];
    args.extend_from_slice(extra);
    let out = portsim(&args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "import failed: {err}");
    (serde_json::from_slice(&out.stdout).expect("JSON"), err)
}

fn write(name: &str, v: &Value) -> PathBuf {
    let p = tmp(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

fn run(path: &Path, replication: u64) -> Value {
    let r = replication.to_string();
    let out = portsim(&[
        "run",
        "--format",
        "json",
        "--replication",
        &r,
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What no config file holds, as `--set` arguments to import: tokyo's seed, its planner
/// setting (the observation of MODEL.md section 1) and the ports other daemons hold.
const TOKYO_SETS: [&str; 6] = [
    "--set",
    "seed=20021105",
    "--set",
    "server.planner=unmodelled",
    "--set",
    r#"server.ports_in_use=[{"port":514,"by":"syslogd"},{"port":631,"by":"cupsd"},{"port":1021,"by":"rpc.statd"}]"#,
];

/// Puts tokyo's sizes, rates and estimate times (what the trace logs would give) into `site`.
fn with_tokyo_sizes(mut site: Value) -> Value {
    let t = tokyo();
    for h in site["hosts"].as_array_mut().unwrap() {
        let th = t["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == h["name"])
            .expect("every imported host is a tokyo host");
        for d in h["disks"].as_array_mut().unwrap() {
            let td = th["disks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["name"] == d["name"])
                .expect("every imported disk is a tokyo disk");
            for f in ["full_gb", "rate_mb_s", "estimate_s"] {
                d[f] = td[f].clone();
            }
        }
    }
    site
}

/// The imported site is tokyo's: same server settings, zones, firewall, hosts and disks.
fn assert_same_site(site: &Value) {
    let t = tokyo();
    for k in [
        "version",
        "zone",
        "inparallel",
        "udpportrange",
        "dumporder",
        "netusage",
        "ctimeout",
        "etimeout",
        "dtimeout",
    ] {
        let (a, b) = (&site["server"][k], &t["server"][k]);
        match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => assert_eq!(x, y, "server.{k}"),
            _ => assert_eq!(a, b, "server.{k}"),
        }
    }
    assert_eq!(site["zones"], t["zones"]);
    assert_eq!(site["workload"]["dumpcycle"], t["workload"]["dumpcycle"]);
    assert_eq!(site["firewall"]["default"], t["firewall"]["default"]);
    let rules = |v: &Value| -> Vec<Value> {
        v["firewall"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut r = r.clone();
                for (k, dflt) in [
                    ("proto", Value::from("any")),
                    ("src_ports", Value::Null),
                    ("dst_ports", Value::Null),
                ] {
                    if r.get(k).is_none() {
                        r[k] = dflt;
                    }
                }
                r
            })
            .collect()
    };
    assert_eq!(rules(site), rules(&t));
    assert!(site["firewall"]["state"].is_null());
    let shape = |v: &Value| -> Vec<(Value, Value, Vec<Value>)> {
        v["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let disks = h["disks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["name"].clone())
                    .collect();
                (h["name"].clone(), h["zone"].clone(), disks)
            })
            .collect()
    };
    assert_eq!(shape(site), shape(&t));
}

/// Runs tokyo and the imported site (tokyo's sizes put in) for a few nights: every field of
/// the run report but the scenario's name must agree.
fn assert_runs_like_tokyo(firewall: &str) {
    let (site, _) = import_incident(firewall, &TOKYO_SETS);
    assert_same_site(&site);
    let p = write(
        &format!("incident-{firewall}.json"),
        &with_tokyo_sizes(site),
    );
    let tokyo_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tokyo.json");
    for replication in 0..3 {
        let (mut a, mut b) = (run(&tokyo_path, replication), run(&p, replication));
        assert_eq!(a["scenario"], "tokyo");
        a["scenario"] = Value::Null;
        b["scenario"] = Value::Null;
        assert_eq!(
            a["dumpers"], b["dumpers"],
            "{firewall}: dumpers differ on night {replication}"
        );
        assert_eq!(a["attempts"], b["attempts"], "{firewall}: attempts differ");
        assert_eq!(
            a, b,
            "{firewall}: run reports differ on night {replication}"
        );
    }
}

#[test]
fn incident_from_iptables_save_runs_as_tokyo() {
    assert_runs_like_tokyo("iptables-save.txt");
}

#[test]
fn incident_from_nft_json_runs_as_tokyo() {
    assert_runs_like_tokyo("nft-ruleset.json");
}

#[test]
fn incident_from_pf_conf_runs_as_tokyo() {
    assert_runs_like_tokyo("pf.conf");
}

/// With default sizes (no trace logs) the signature still holds: dumpers 0-9 in the range and
/// the hole, 10-19 outside; replies dropped only for DMZ hosts and only on out-of-range dumpers.
#[test]
fn default_sizes_keep_the_incident_signature() {
    let (site, _) = import_incident("iptables-save.txt", &TOKYO_SETS[2..4]);
    let p = write("incident-default-sizes.json", &site);
    let tokyo_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tokyo.json");
    let mut dropped = 0;
    for replication in 0..4 {
        let (a, b) = (run(&tokyo_path, replication), run(&p, replication));
        assert_eq!(a["udpportrange"], b["udpportrange"]);
        assert_eq!(
            a["exposure"]["reachable_ports"],
            b["exposure"]["reachable_ports"]
        );
        assert_eq!(
            a["exposure"]["rests_on_source_port"],
            b["exposure"]["rests_on_source_port"]
        );
        let in_range = |r: &Value| -> Vec<(u64, bool)> {
            r["dumpers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| (d["id"].as_u64().unwrap(), d["in_range"].as_bool().unwrap()))
                .collect()
        };
        assert_eq!(in_range(&a), in_range(&b));
        assert_eq!(in_range(&b).iter().filter(|(_, i)| *i).count(), 10);
        for d in b["dumpers"].as_array().unwrap() {
            let port = d["port"].as_u64().unwrap();
            assert_eq!(
                d["in_range"].as_bool().unwrap(),
                (850..=859).contains(&port),
                "{d}"
            );
        }
        for at in b["attempts"].as_array().unwrap() {
            if at["outcome"] == "done" {
                continue;
            }
            assert_eq!(at["firewalled"], true, "a LAN host failed: {at}");
            if at["cause"] == "reply-dropped" {
                dropped += 1;
                let port = at["port"].as_u64().unwrap();
                assert!(
                    !(850..=859).contains(&port),
                    "reply dropped for an in-range port: {at}"
                );
                assert!(at["dumper"].as_u64().unwrap() >= 10, "{at}");
            }
        }
    }
    assert!(dropped > 0, "no reply was dropped in four nights");
}

#[test]
fn provenance_lists_guesses_and_warnings_name_file_and_line() {
    let (site, stderr) = import_incident("iptables-save.txt", &[]);
    let prov = &site["provenance"];
    let guessed = prov["guessed"].as_array().unwrap();
    let sizes = guessed
        .iter()
        .find(|g| g["path"] == "hosts[*].disks[*].full_gb")
        .expect("sizes are listed as guessed");
    assert_eq!(sizes["applies_to"].as_array().unwrap().len(), 78);
    assert!(guessed.iter().any(|g| g["path"] == "server.planner"));
    assert!(guessed.iter().any(|g| {
        g["path"] == "firewall.state"
            && g["why"]
                .as_str()
                .unwrap()
                .contains("iptables-save.txt:11: the state rule is TCP-only")
    }));
    let read = prov["read"].as_array().unwrap();
    let from = |path: &str| -> String {
        read.iter().find(|r| r["path"] == path).unwrap()["from"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(from("server.inparallel").ends_with("incident/amanda.conf:12"));
    assert!(from("server.netusage").ends_with("incident/amanda.conf:14"));
    assert!(from("server.udpportrange").ends_with("incident/amadmin-version-2.4.txt:21"));
    assert!(from("server.version").ends_with("amadmin-version-2.4.txt:1"));
    let warnings: Vec<&str> = prov["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    for w in [
        "iptables-save.txt:12: protocol icmp: the model carries only UDP and TCP; rule skipped",
        "iptables-save.txt:13: target LOG does not decide",
        "iptables-save.txt:3: chain INPUT filters packets for the firewall itself",
    ] {
        assert!(
            warnings.iter().any(|x| x.contains(w)),
            "missing {w:?} in {warnings:?}"
        );
        assert!(stderr.contains(w), "stderr lacks {w:?}");
    }
    // The file loads as any scenario (provenance is for people).
    let p = write("with-provenance.json", &site);
    let out = portsim(&["run", p.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn shipped_style_config_maps_as_amanda_reads_it() {
    let (conf, dl, ver) = (
        fix("shipped/amanda.conf"),
        fix("shipped/disklist"),
        fix("amadmin-version-3.5.1.txt"),
    );
    let out_path = tmp("shipped.json");
    let out = portsim(&[
        "import",
        "--conf",
        &conf,
        "--disklist",
        &dl,
        "--version-output",
        &ver,
        "--zone",
        "DMZ=*.dmz.example.com",
        "--zone",
        "LAN=*.example.com",
        "-o",
        out_path.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    let srv = &s["server"];
    assert_eq!(srv["version"], "3.5.1", "the real amadmin 3.5.1 output");
    assert_eq!(srv["inparallel"], 4);
    assert_eq!(srv["dumporder"], "sssS");
    assert_eq!(srv["netusage"], 8000.0, "8000 Kbps is 8000 KB/s");
    assert_eq!(
        srv["etimeout"], -900.0,
        "negative: per host, kept as Amanda means it"
    );
    // 3.x: reserved-udp-port overrides the configure range (840,860 in the version output).
    assert_eq!(srv["udpportrange"], serde_json::json!([850, 869]));
    assert_eq!(
        s["workload"]["dumpcycle"], 20,
        "runspercycle 20 over 4 weeks"
    );
    let hosts = s["hosts"].as_array().unwrap();
    let names: Vec<&str> = hosts.iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "backup.example.com",
            "files.example.com",
            "slowsrv.example.com",
            "hosta.example.com",
            "www.dmz.example.com"
        ]
    );
    assert_eq!(hosts[4]["zone"], "DMZ");
    assert_eq!(hosts[1]["maxdumps"], 2, "comp-user-tar sets maxdumps 2");
    assert_eq!(
        hosts[1]["disks"].as_array().unwrap().len(),
        3,
        "strategy skip is left out"
    );
    assert_eq!(
        hosts[2]["disks"][1]["spindle"], 2,
        "spindle after an inline dumptype"
    );
    assert_eq!(
        hosts[3]["disks"][0]["name"], "/diskA/ag",
        "disk name, not device"
    );
    for w in [
        "shipped/disklist:17: files.example.com:/export/scratch has strategy skip",
        "shipped/disklist:24: interface le0 (use 400 KB/s)",
        "shipped/amanda.conf:111: auth ssh",
        "shipped/disklist:41: www.dmz.example.com:/: its dumptype sets no auth, and Amanda 3.x then uses bsdtcp",
    ] {
        assert!(stderr.contains(w), "missing {w:?} in {stderr}");
    }
    assert!(
        !stderr.contains("interface local"),
        "local's use equals netusage: {stderr}"
    );
}

/// Bad input of each format: exit 2, `file:line:column:` and the offending line quoted.
#[test]
fn bad_input_of_each_format_is_exit_2_with_file_line_column() {
    let dir = tmp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let good_conf = std::fs::read_to_string(fix("incident/amanda.conf")).unwrap();
    let good_types = std::fs::read_to_string(fix("incident/dumptypes.conf")).unwrap();
    std::fs::write(dir.join("dumptypes.conf"), &good_types).unwrap();
    let put = |name: &str, text: &str| -> String {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let conf = put("amanda.conf", &good_conf);
    let dl = fix("incident/disklist");
    let base = |conf: &str, dl: &str| -> Vec<String> {
        [
            "import",
            "--conf",
            conf,
            "--disklist",
            dl,
            "--udpportrange",
            "850,859",
            "-o",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([dir.join("out.json").to_str().unwrap().to_string()])
        .collect()
    };
    let check = |args: Vec<String>, want: &str, line_text: &str| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = portsim(&a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{a:?}: {err}");
        assert!(err.contains(want), "want {want:?} in: {err}");
        assert!(
            err.contains(line_text),
            "want the line {line_text:?} in: {err}"
        );
        assert!(
            !dir.join("out.json").exists(),
            "nothing is written on error"
        );
    };
    // amanda.conf: a bad number, an unknown unit, an unterminated string, an unclosed block.
    let bad = put(
        "bad1.conf",
        &good_conf.replace("inparallel 20", "inparallel twenty"),
    );
    check(
        base(&bad, &dl),
        "bad1.conf:12:12: inparallel: an integer is expected",
        "inparallel twenty",
    );
    let bad = put("bad2.conf", &good_conf.replace("80000 Kbps", "80000 Kbit"));
    check(
        base(&bad, &dl),
        "bad2.conf:14:17: netusage: `Kbit` is not a unit",
        "netusage  80000 Kbit",
    );
    let bad = put(
        "bad3.conf",
        &good_conf.replace("org\t\"tokyo\"", "org\t\"tokyo"),
    );
    check(
        base(&bad, &dl),
        "bad3.conf:8:5: string not terminated",
        "org\t\"tokyo",
    );
    let bad = put(
        "bad4.conf",
        &good_conf.replace(
            "    speed 1536 kbytes\t\t# 1.5 Mb/s\n}",
            "    speed 1536 kbytes",
        ),
    );
    check(
        base(&bad, &dl),
        "bad4.conf:45:21: this `{` is never closed",
        "define tapetype DLT {",
    );
    // includefile: the error names the included file.
    put(
        "dumptypes-bad.conf",
        &good_types.replace(
            "    maxdumps 1\n}\n\ndefine dumptype dmz-user",
            "    maxdumps one\n}\n\ndefine dumptype dmz-user",
        ),
    );
    let bad = put(
        "bad5.conf",
        &good_conf.replace("\"dumptypes.conf\"", "\"dumptypes-bad.conf\""),
    );
    let dl_ok = dl.clone();
    check(
        base(&bad, &dl_ok),
        "dumptypes-bad.conf:33:14: maxdumps: an integer is expected",
        "maxdumps one",
    );
    // disklist: an undefined dumptype.
    let text = std::fs::read_to_string(&dl)
        .unwrap()
        .replace("www2\t/var\tdmz-user", "www2\t/var\tdmz-usr");
    let bad_dl = put("disklist", &text);
    check(
        base(&conf, &bad_dl),
        "disklist:7:11: dumptype dmz-usr is not defined",
        "www2\t/var\tdmz-usr",
    );
    // Version output, hosts file, and the three firewall dialects.
    let ok = |extra: &[&str]| -> Vec<String> {
        let mut b = base(&conf, &dl);
        b.extend(extra.iter().map(|s| s.to_string()));
        b
    };
    let v = put(
        "version.txt",
        "build: VERSION=\"Amanda-2.4.4p3\"\n       UDPPORTRANGE=\"859,850\"\n",
    );
    let mut args = ok(&[]);
    args.retain(|a| a != "--udpportrange" && a != "850,859");
    args.extend(["--version-output".to_string(), v]);
    check(
        args,
        "version.txt:2:21: the port range",
        "UDPPORTRANGE=\"859,850\"",
    );
    let h = put("hosts", "10.1.0.5 amanda\n192.0.2.300 www1\n");
    check(
        ok(&["--hosts", &h]),
        "hosts:2:1: `192.0.2.300` is not an IPv4 address",
        "192.0.2.300 www1",
    );
    let ipt = std::fs::read_to_string(fix("incident/iptables-save.txt")).unwrap();
    let f = put(
        "ipt.txt",
        &ipt.replace("--dport 850:859", "--dport 850:85x"),
    );
    check(
        ok(&["--firewall", &f]),
        "ipt.txt:9:79: `850:85x` is not a port",
        "--dport 850:85x",
    );
    let nft = std::fs::read_to_string(fix("incident/nft-ruleset.json")).unwrap();
    let f = put(
        "nft.json",
        &nft.replacen("\"policy\": \"drop\"}}", "\"policy\": \"drop\"}", 1),
    );
    check(
        ok(&["--firewall", &f, "--firewall-format", "nft"]),
        "nft.json:1:",
        "not valid JSON",
    );
    let pf = std::fs::read_to_string(fix("incident/pf.conf")).unwrap();
    let f = put(
        "pf.conf",
        &pf.replace("to $amanda port 850:859", "$amanda port 850:859"),
    );
    check(
        ok(&["--firewall", &f, "--firewall-format", "pf"]),
        "pf.conf:17:44: `to` is expected",
        "from <dmz> port 10080 $amanda",
    );
}

#[test]
fn output_is_atomic_and_set_is_validated() {
    // Its own directory: other tests write (and briefly hold temporaries) in `import/`.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import-atomic");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out_path = dir.join("atomic.json");
    let (conf, dl) = (fix("incident/amanda.conf"), fix("incident/disklist"));
    let args = |set: &str| -> Output {
        portsim(&[
            "import",
            "--conf",
            &conf,
            "--disklist",
            &dl,
            "--udpportrange",
            "850,859",
            "--set",
            set,
            "-o",
            out_path.to_str().unwrap(),
        ])
    };
    let out = args("server.inparallel=0");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("server.inparallel"));
    assert!(!out_path.exists());
    let out = args("seed=7");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(v["seed"], 7);
    let leftovers: Vec<_> = std::fs::read_dir(out_path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// `etimeout` below zero is the planner's whole wait for a host (amanda.conf(5)), not a wait per
/// estimate line: with the planner's packets modelled, -20 loses far more estimates than 20.
#[test]
fn negative_etimeout_is_a_total_per_host() {
    let not_scheduled = |e: &str| -> u64 {
        let set = format!("server.etimeout={e}");
        let out = portsim(&[
            "run",
            "--format",
            "json",
            "--set",
            "server.planner=before-dumpers",
            "--set",
            &set,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["summary"]["not_scheduled"].as_u64().unwrap()
    };
    let (per_line, per_host) = (not_scheduled("20"), not_scheduled("-20"));
    assert!(
        per_host > per_line,
        "per host {per_host}, per line {per_line}"
    );
    assert_eq!(not_scheduled("-1000"), 0, "a long total wait loses nothing");
}

/// The stateful router (`ct state established,related accept` and the amanda helper, dumped
/// by the real nft) imports as `firewall.state` conntrack+helper, and then no reply is dropped:
/// the stateful-firewall remedy of MODEL.md section 5, read from the admin's own ruleset.
#[test]
fn stateful_nft_ruleset_with_the_amanda_helper() {
    let (site, stderr) = import_incident("../stateful/nft-ruleset.json", &TOKYO_SETS[2..4]);
    assert_eq!(site["firewall"]["state"]["kind"], "conntrack+helper");
    assert_eq!(site["firewall"]["default"], "drop");
    let rules = site["firewall"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (rules[0]["from"].as_str(), rules[0]["to"].as_str()),
        (Some("LAN"), Some("DMZ"))
    );
    assert!(
        !stderr.contains("no verdict"),
        "setting the helper is not a rule without a verdict: {stderr}"
    );
    let p = write("stateful.json", &site);
    for replication in 0..4 {
        let r = run(&p, replication);
        let dropped: Vec<&Value> = r["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["cause"] == "reply-dropped")
            .collect();
        assert!(dropped.is_empty(), "night {replication}: {dropped:?}");
    }
}
