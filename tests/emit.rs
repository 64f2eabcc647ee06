//! The emitters against the real tools and through the binary.
//!
//! Every firewall `apply` can print for the incident (tokyo.json, each remedy, each stateful kind,
//! both placements) and every lab ruleset is checked by the real checkers — `nft -c -f` and
//! `iptables-restore --test` (and `iptables-legacy-restore --test` where installed) — and then
//! loaded, inside a network namespace created for the check (`unshare -n`), so the host's
//! rules are never touched. Loading lets the kernel judge what the checkers only parse (the
//! amanda helper must exist). Without a tool or the privilege the check is skipped with the
//! reason printed; under CI (`CI` set) a missing tool fails instead, since `.ci/run` installs it.

use portsim::amanda::emit::addr::{AddrArgs, Cidr};
use portsim::amanda::emit::lab::{self, LabOptions};
use portsim::amanda::emit::{Addressing, EmitError, FwDialect, Placement, firewall};
use portsim::scenario::{Scenario, Source, load_value, read};
use portsim::study::compare::remedy::{Remedy, RemedyKind, RemedySpec};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn tokyo_source() -> Source {
    Source::File(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/tokyo.json"
    )))
}

/// tokyo.json with `sets`, then the remedy `spec` (None: as it is).
fn scenario(sets: &[&str], spec: Option<&str>) -> Scenario {
    let source = tokyo_source();
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let tree = portsim::scenario::load::with_sets(read(&source).unwrap(), &sets).unwrap();
    let base = load_value(&source, tree.clone(), &[]).unwrap();
    let Some(spec) = spec else { return base };
    let spec = RemedySpec::parse(spec).unwrap();
    let remedy = Remedy::with_overrides(spec.kind, &base, &spec.params);
    let mut v = tree;
    spec.kind.apply(&mut v, &base, &remedy.params).unwrap();
    load_value(&source, v, &[]).unwrap()
}

/// Why the real checks cannot run here, if they cannot.
fn unavailable(tool: &str) -> Option<String> {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let why = format!("{tool} is not installed (apt-get install nftables iptables)");
        assert!(
            std::env::var_os("CI").is_none(),
            "{why}: .ci/run installs it, so CI must not skip"
        );
        return Some(why);
    }
    let ns = Command::new("unshare").args(["-n", "true"]).output();
    if !ns.is_ok_and(|o| o.status.success()) {
        return Some("cannot create a network namespace (unshare -n needs CAP_SYS_ADMIN)".into());
    }
    None
}

fn write(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("emit");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `script` (with $1 = file) in a fresh network namespace.
fn in_netns(script: &str, file: &PathBuf) -> Output {
    Command::new("unshare")
        .args(["-n", "sh", "-c", script, "sh"])
        .arg(file)
        .output()
        .expect("unshare runs")
}

/// Checks, then loads, an nft ruleset; returns what `nft list ruleset` shows after the load.
fn nft_accepts(name: &str, text: &str) -> String {
    let f = write(&format!("{name}.nft"), text);
    let out = in_netns("nft -c -f \"$1\" && nft -f \"$1\" && nft list ruleset", &f);
    assert!(
        out.status.success(),
        "nft refused {}:\n{}\n{text}",
        f.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks, then loads, an iptables-save file with `restore`; returns `iptables-save` after it.
fn iptables_accepts(restore: &str, save: &str, name: &str, text: &str) -> String {
    let f = write(&format!("{name}.{restore}"), text);
    let out = in_netns(
        &format!("{restore} --test \"$1\" && {restore} \"$1\" && {save}"),
        &f,
    );
    assert!(
        out.status.success(),
        "{restore} refused {}:\n{}\n{text}",
        f.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The incident's variants `apply` renders: as it is, each remedy, each stateful kind.
fn variants() -> Vec<(String, Scenario)> {
    let mut v = vec![("tokyo".to_string(), scenario(&[], None))];
    for r in RemedyKind::ALL {
        v.push((r.name().to_string(), scenario(&[], Some(r.name()))));
    }
    for kind in ["conntrack-pre5.0", "conntrack+helper"] {
        let spec = format!("stateful-firewall:kind={kind}");
        v.push((
            spec.replace([':', '=', '+', '.'], "_"),
            scenario(&[], Some(&spec)),
        ));
    }
    // A default that rejects, a rule to one host, both protocols on a port range, non-default
    // conntrack timeouts.
    v.push((
        "reject-host-ports".into(),
        scenario(
            &[
                "firewall.default=reject",
                "firewall.rules.1.to=www1",
                "firewall.rules.1.dst_ports=[22,23]",
                "firewall.state={\"kind\":\"conntrack\",\"two_way_s\":600}",
            ],
            None,
        ),
    ));
    v
}

/// Zones with two networks each, as a site with split subnets gives them.
fn split_zones(sc: &Scenario) -> Addressing {
    Addressing::new(
        sc,
        &AddrArgs {
            zones: vec![
                "LAN=10.0.0.0/16,172.16.0.0/12".into(),
                "DMZ=192.0.2.0/25,203.0.113.128/25".into(),
            ],
            hosts: vec!["www1=192.0.2.10".into()],
            server: Some("10.0.0.5".into()),
        },
    )
    .unwrap()
}

const PLACEMENTS: [Placement; 2] = [Placement::Router, Placement::Server];

#[test]
fn nft_accepts_every_rendered_ruleset() {
    if let Some(why) = unavailable("nft") {
        eprintln!("skipped: {why}");
        return;
    }
    for (name, sc) in variants() {
        for (pl, split) in PLACEMENTS.into_iter().flat_map(|p| [(p, false), (p, true)]) {
            let addr = if split {
                split_zones(&sc)
            } else {
                Addressing::new(&sc, &AddrArgs::default()).unwrap()
            };
            let fw = firewall(&sc, FwDialect::Nft, &addr, pl).unwrap();
            let listed = nft_accepts(&format!("{name}-{pl:?}-{split}"), &fw.ruleset);
            assert!(listed.contains("table inet portsim"), "{listed}");
            assert!(
                listed.contains(
                    "tcp flags != syn / fin,syn,rst,ack counter packets 0 bytes 0 accept"
                ),
                "{listed}"
            );
            // The rule that names the Amanda hole made it into the kernel with its comment.
            let first = &sc.firewall.rules[0].name;
            assert!(
                listed.contains(first.as_str()),
                "{name}: {first} missing from\n{listed}"
            );
            if sc.state.is_some() {
                assert!(
                    listed.contains("ct state established,related counter packets"),
                    "{listed}"
                );
            }
            if name.contains("helper") {
                assert!(listed.contains("ct helper set \"amanda\""), "{listed}");
            }
            if !fw.sysctl.is_empty() {
                // The timeouts are per network namespace: sysctl sets them in the fresh one.
                let rules = write(&format!("{name}-{pl:?}-{split}.nft"), &fw.ruleset);
                let sysctl = write(&format!("{name}.sysctl"), &fw.sysctl);
                let out = Command::new("unshare")
                    .args(["-n", "sh", "-c", "nft -f \"$1\" && sysctl -p \"$2\"", "sh"])
                    .args([&rules, &sysctl])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert_eq!(String::from_utf8_lossy(&out.stdout), fw.sysctl);
            }
        }
    }
}

#[test]
fn iptables_restore_accepts_every_rendered_ruleset() {
    if let Some(why) = unavailable("iptables-restore") {
        eprintln!("skipped: {why}");
        return;
    }
    let mut tools = vec![("iptables-restore", "iptables-save")];
    if unavailable_quiet("iptables-legacy-restore") {
        eprintln!("iptables-legacy-restore not installed: checked with iptables-restore only");
    } else {
        tools.push(("iptables-legacy-restore", "iptables-legacy-save"));
    }
    for (name, sc) in variants() {
        for (pl, split) in PLACEMENTS.into_iter().flat_map(|p| [(p, false), (p, true)]) {
            let addr = if split {
                split_zones(&sc)
            } else {
                Addressing::new(&sc, &AddrArgs::default()).unwrap()
            };
            let fw = firewall(&sc, FwDialect::Iptables, &addr, pl).unwrap();
            for (restore, save) in &tools {
                let file = format!("{name}-{pl:?}-{split}");
                let listed = iptables_accepts(restore, save, &file, &fw.ruleset);
                assert!(listed.contains("lan-to-dmz"), "{listed}");
                assert!(
                    listed.contains("-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN"),
                    "{listed}"
                );
                if sc.state.is_some() {
                    assert!(listed.contains("--ctstate RELATED,ESTABLISHED"), "{listed}");
                }
                if name.contains("helper") {
                    assert!(listed.contains("-j CT --helper amanda"), "{listed}");
                }
            }
        }
    }
}

fn unavailable_quiet(tool: &str) -> bool {
    !Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn kinds_without_a_linux_equivalent_are_refused_naming_the_field() {
    for kind in ["reflexive", "pf"] {
        let sc = scenario(&[], Some(&format!("stateful-firewall:kind={kind}")));
        let addr = Addressing::new(&sc, &AddrArgs::default()).unwrap();
        for d in [FwDialect::Nft, FwDialect::Iptables] {
            match firewall(&sc, d, &addr, Placement::Router) {
                Err(EmitError::Unsupported { field, .. }) => {
                    assert_eq!(field, "firewall.state.kind")
                }
                other => panic!("{kind} in {d:?}: expected a refusal, got {other:?}"),
            }
        }
    }
}

/// tokyo as the lab can run it: 3.5.1, the range 840-860, the hole 840-849.
fn lab_tokyo(extra: &[&str]) -> Scenario {
    let mut sets = vec![
        "server.version=\"3.5.1\"",
        "server.udpportrange=[840,860]",
        "firewall.rules.0.dst_ports=[840,849]",
    ];
    sets.extend_from_slice(extra);
    scenario(&sets, None)
}

#[test]
fn nft_accepts_the_lab_rulesets() {
    if let Some(why) = unavailable("nft") {
        eprintln!("skipped: {why}");
        return;
    }
    let opt = LabOptions {
        net: Cidr::parse("10.251.0.0/24").unwrap(),
        data_root: "/srv/lab".into(),
    };
    for (name, state) in [
        ("none", None),
        ("conntrack", Some("conntrack")),
        ("helper", Some("conntrack+helper")),
    ] {
        let set = state.map(|k| format!("firewall.state.kind={k}"));
        let sc = lab_tokyo(&set.iter().map(String::as_str).collect::<Vec<_>>());
        let files = lab::files(&sc, &opt).unwrap();
        let nft = files.iter().find(|(f, _)| f == "nft.conf").unwrap();
        let listed = nft_accepts(&format!("lab-{name}"), std::str::from_utf8(&nft.1).unwrap());
        assert!(
            listed.contains("udp dport 840-849 counter packets 0 bytes 0 accept"),
            "{listed}"
        );
    }
}

// ---- through the binary ----

fn portsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portsim"))
        .args(args)
        .output()
        .expect("portsim runs")
}

#[test]
fn apply_prints_the_diffs_as_text() {
    let out = portsim(&["apply", "widen-range", "--dialect", "iptables"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "portsim apply widen-range to scenario \"tokyo\" (Amanda 2.4), dialect iptables, router placement\n",
        "== configure (configure) ==\n--- a/configure\n+++ b/configure\n@@ -1 +1 @@\n-./configure --with-udpportrange=850,859\n+./configure --with-udpportrange=850,875\n",
        "== amanda.conf (amanda.conf): unchanged ==\n",
        "+amanda          860/udp\n",
        "-A FORWARD -s 198.18.1.0/24 -d 198.18.0.1/32 -p udp -m udp --sport 10080 --dport 850:859 -m comment --comment \"amanda-replies\" -j ACCEPT\n+-A FORWARD -s 198.18.1.0/24 -d 198.18.0.1/32 -p udp -m udp --sport 10080 --dport 850:875 ",
        "  server = 198.18.0.1 (placeholder: --server-addr ADDR)\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let out = portsim(&["apply", "lower-inparallel", "--dialect", "amanda"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("-inparallel 20\n+inparallel 10\n"), "{text}");
    assert!(!text.contains("== nft"), "{text}");
}

#[test]
fn apply_json_carries_each_file_before_and_after() {
    let out = portsim(&[
        "apply",
        "stateful-firewall:kind=conntrack+helper",
        "--set",
        "server.version=\"3.5.1\"",
        "--format",
        "json",
        "--zone",
        "DMZ=192.0.2.0/24",
        "--server-addr",
        "10.0.0.5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "portsim.apply/1");
    assert_eq!(
        v["remedy"]["label"],
        "stateful-firewall[kind=conntrack+helper]"
    );
    assert_eq!(v["dialect"], "nft");
    let nft = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "nft")
        .unwrap();
    let after = nft["after"].as_str().unwrap();
    assert!(
        after.contains("ip saddr 10.0.0.5 udp dport 10080 counter ct helper set \"amanda\""),
        "{after}"
    );
    assert!(after.contains("elements = { 192.0.2.0/24 }"), "{after}");
    assert!(nft["diff"].as_str().unwrap().contains(
        "-        ip saddr @zone_DMZ ip daddr 10.0.0.5 udp sport 10080 udp dport 850-859 counter accept"
    ));
    let conf = &v["sections"][0];
    assert_eq!(conf["name"], "amanda.conf");
    assert!(
        conf["after"]
            .as_str()
            .unwrap()
            .contains("reserved-udp-port 850,859\n")
    );
    assert_eq!(conf["diff"], "");
}

#[test]
fn apply_refuses_with_exit_2_naming_the_field() {
    for (args, field) in [
        (
            vec![
                "apply",
                "stateful-firewall:kind=reflexive",
                "--dialect",
                "nft",
            ],
            "firewall.state.kind",
        ),
        (
            vec!["apply", "reserve-for-firewalled"],
            "server.reserved_ports",
        ),
        (
            vec![
                "apply",
                "stateful-firewall:kind=pf",
                "--dialect",
                "iptables",
            ],
            "firewall.state.kind",
        ),
        (
            vec!["apply", "widen-range", "--zone", "WAN=10.0.0.0/8"],
            "--zone WAN=10.0.0.0/8",
        ),
        (vec!["apply", "widen"], "unknown remedy"),
    ] {
        let out = portsim(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(field), "{args:?}: {err}");
    }
}

#[test]
fn lab_config_writes_the_contract_files_or_nothing() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("emit-lab");
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let out = portsim(&["lab-config", "--out", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("server.version"));
    assert!(!dir.exists(), "nothing is written on a refusal");
    let out = portsim(&[
        "lab-config",
        "--set",
        "server.version=\"3.5.1\"",
        "--set",
        "server.udpportrange=[840,860]",
        "--out",
        d,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".portsim-report",
            "amanda-site.conf",
            "disklist",
            "dles.tsv",
            "hosts",
            "lab.env",
            "nft.conf",
            "scenario.json",
            "services.add",
            "sysctl.conf"
        ]
    );
    let env = std::fs::read_to_string(dir.join("lab.env")).unwrap();
    assert!(
        env.contains("LAB_INPARALLEL='20'\nLAB_RANGE='840,860'\n"),
        "{env}"
    );
    assert!(
        env.contains("LAB_HOST_1_NAME='www1'\nLAB_HOST_1_IP='10.251.0.2'\n"),
        "{env}"
    );
    let dles = std::fs::read_to_string(dir.join("dles.tsv")).unwrap();
    assert_eq!(dles.lines().count(), 1 + 78, "a header and tokyo's 78 DLEs");
    // A second refusal leaves the first directory as it was.
    let out = portsim(&[
        "lab-config",
        "--set",
        "firewall.state.kind=reflexive",
        "--set",
        "server.version=\"3.5.1\"",
        "--out",
        d,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("firewall.state.kind"));
    assert_eq!(std::fs::read_to_string(dir.join("lab.env")).unwrap(), env);
}

/// Runs `cmd` as user backup with `etc` bind-mounted over /etc/amanda in a private mount
/// namespace (the host's /etc is never touched).
fn as_backup_with_etc(etc: &std::path::Path, cmd: &str) -> Output {
    Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind \"$1\" /etc/amanda && exec su backup -s /bin/sh -c \"$2\"")
        .args(["sh"])
        .arg(etc)
        .arg(cmd)
        .output()
        .expect("unshare runs")
}

#[test]
fn real_amanda_parses_the_rendered_conf_and_disklist() {
    // Amanda is the lab's, not CI's: skip without it.
    let missing = ["amgetconf", "amadmin"].into_iter().find(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .map_or(true, |o| !o.status.success())
    });
    if let Some(t) = missing {
        eprintln!("skipped: {t} not installed (apt-get install amanda-server: the lab's packages)");
        return;
    }
    if !std::path::Path::new("/etc/amanda").is_dir()
        || !Command::new("id")
            .arg("backup")
            .output()
            .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped: no /etc/amanda or no user backup to bind-mount and run as");
        return;
    }
    let sc = lab_tokyo(&["hosts.0.maxdumps=3"]);
    let files = lab::files(
        &sc,
        &LabOptions {
            net: Cidr::parse("10.251.0.0/24").unwrap(),
            data_root: "/srv/lab".into(),
        },
    )
    .unwrap();
    let etc = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("emit-amanda-etc");
    let conf = etc.join("site");
    let _ = std::fs::remove_dir_all(&etc);
    std::fs::create_dir_all(&conf).unwrap();
    let get = |n: &str| &files.iter().find(|(f, _)| f == n).unwrap().1;
    std::fs::write(conf.join("amanda-site.conf"), get("amanda-site.conf")).unwrap();
    std::fs::write(conf.join("disklist"), get("disklist")).unwrap();
    // What the harness adds: its base dumptype before the site's lines.
    std::fs::write(
        conf.join("amanda.conf"),
        format!(
            "org \"portsim\"\ndefine dumptype lab-base {{\n    program \"GNUTAR\"\n    compress none\n}}\nincludefile \"{}\"\n",
            conf.join("amanda-site.conf").display()
        ),
    )
    .unwrap();
    // amgetconf runs as backup: every directory on the way must be traversable.
    let mut p = etc.clone();
    while p.pop() && p != std::path::Path::new("/") {
        let _ = Command::new("chmod").arg("o+x").arg(&p).status();
    }
    let _ = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(&etc)
        .status();
    let probe = as_backup_with_etc(&etc, "true");
    if !probe.status.success() {
        eprintln!(
            "skipped: cannot bind-mount over /etc/amanda in a private mount namespace: {}",
            String::from_utf8_lossy(&probe.stderr)
        );
        return;
    }
    for (param, want) in [
        ("inparallel", "20"),
        ("netusage", "80000"),
        ("dumporder", "ttt"),
        ("etimeout", "300"),
        ("reserved-udp-port", "840,860"),
        ("dumptype:portsim-maxdumps-3:maxdumps", "3"),
        ("dumptype:portsim-maxdumps-3:auth", "bsdudp"),
        ("dumptype:portsim-maxdumps-1:program", "GNUTAR"),
    ] {
        let out = as_backup_with_etc(&etc, &format!("amgetconf site {param}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "amgetconf site {param}: {err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want, "{param}");
    }
    let out = as_backup_with_etc(&etc, "amadmin site disklist www1");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("device /srv/lab/www1/d02"), "{text}");
    assert!(text.contains("MAXDUMPS            3"), "{text}");
}
