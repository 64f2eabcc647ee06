//! The log reader on real Amanda 3.5.1 logs (tests/fixtures/amanda/, see its README): each test
//! asserts what that night really shows, as the lab's own notes (`INDEX.md`) record it.

use portsim::amanda::log::{LogError, ReadOptions, RealNight, read};
use portsim::model::DumperId;
use portsim::model::outcome::{Cause, DleFate, Outcome};
use portsim::model::ports::{Port, PortRange};
use portsim::report::real::RealReport;
use portsim::scenario::{Source, load};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/amanda")
        .join(name)
}

fn night(name: &str) -> RealNight {
    read(&[fixture(name)], ReadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn port_of(n: &RealNight, d: u16) -> Option<u16> {
    n.dumpers[usize::from(d)].socket.port.map(|p| p.0)
}

fn secs(t: portsim::sim::SimTime) -> f64 {
    t.as_secs_f64()
}

/// The DLE's short name (`d06` for `/amanda-lab/data/d06`).
fn short(disk: &str) -> &str {
    disk.rsplit('/').next().unwrap_or(disk)
}

/// The lab's scenario for the hole runs: 840-860, replies from the DMZ client accepted to 840-849.
fn hole_scenario() -> portsim::scenario::Scenario {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/scenarios/hole-one-host.json");
    load(&Source::File(p), &[]).expect("the lab's scenario loads")
}

#[test]
fn exp1_six_dumpers_outside_the_hole_lose_their_six_dles() {
    let n = night("exp1");
    assert_eq!(n.version.as_deref(), Some("3.5.1"));
    assert_eq!(n.datestamp.as_deref(), Some("20261202011719"));
    assert_eq!(n.exit_status, Some(4));
    assert_eq!(n.inparallel, Some(15));
    assert_eq!(n.unrecognized_total, 0, "{:?}", n.unrecognized);
    // The planner bound 848, inside the hole; every estimate arrived.
    assert_eq!(n.planner.as_ref().and_then(|p| p.port), Some(Port(848)));
    assert!(n.planner_failures.is_empty());
    // Every dumper bound at its first request, all within a quarter second, 6.4-6.65 s in.
    let ports: Vec<u16> = (0..15).map(|d| port_of(&n, d).expect("bound")).collect();
    assert_eq!(
        ports,
        [
            857, 858, 840, 841, 842, 843, 844, 845, 846, 848, 849, 850, 851, 855, 856
        ]
    );
    for d in &n.dumpers {
        let t = secs(d.socket.bound_at.expect("bind time"));
        assert!((6.3..6.7).contains(&t), "{} bound at {t}", d.id);
    }
    // The six DLEs first given to outside dumpers fail twice on the same dumper; the rest are dumped.
    let lost: Vec<&str> = n
        .dles
        .iter()
        .filter(|d| d.fate != Some(DleFate::Dumped))
        .map(|d| short(&d.disk))
        .collect();
    assert_eq!(lost, ["d06", "d07", "d08", "d09", "d19", "d20"]);
    assert_eq!(n.dles.len(), 20);
    for d in n.dles.iter().filter(|d| d.fate == Some(DleFate::Failed)) {
        let mine: Vec<_> = n.attempts.iter().filter(|a| a.disk == d.disk).collect();
        assert_eq!(mine.len(), 2, "{}", d.disk);
        assert_eq!(mine[0].dumper, mine[1].dumper, "retried on the same dumper");
        assert!(port_of(&n, mine[0].dumper.0).unwrap() >= 850);
        for a in &mine {
            assert_eq!(a.outcome, Some(Outcome::TryAgain));
            assert_eq!(a.message, "[request failed: timeout waiting for ACK]");
            let took = secs(a.end.unwrap()) - secs(a.start);
            assert!(
                (29.9..31.0).contains(&took),
                "30 s of REQ tries, got {took}"
            );
        }
        let delay = secs(mine[1].start) - secs(mine[0].end.unwrap());
        assert!((0.0..1.0).contains(&delay), "requeued at once, got {delay}");
    }
    // Every attempt on a dumper inside 840-849 was DONE.
    for a in &n.attempts {
        let inside = port_of(&n, a.dumper.0).unwrap() <= 849;
        assert_eq!(a.outcome == Some(Outcome::Done), inside, "{a:?}");
    }
    assert!((67.0..67.4).contains(&secs(n.window.unwrap())));
    assert_eq!(n.client.already_running, 18);
    assert_eq!(n.client.dup_requests, 12);
}

#[test]
fn exp1_with_its_scenario_marks_the_dropped_replies() {
    let n = night("exp1");
    let sc = hole_scenario();
    let r = RealReport::new(&n, "exp1", Some(&sc));
    assert_eq!(r.run.schema, "portsim.run/1");
    assert_eq!(r.run.udpportrange.as_deref(), Some("840-860"));
    assert!(r.run.dumpers.iter().all(|d| d.in_range));
    assert_eq!(r.run.summary.failed_firewalled, 6);
    for a in &r.run.attempts {
        let expect = if a.outcome == Some(Outcome::Done) {
            Cause::Ok
        } else {
            Cause::ReplyDropped
        };
        assert_eq!(
            a.cause, expect,
            "{}:{} on port {:?}",
            a.host, a.disk, a.port
        );
        assert!(a.firewalled);
    }
    // Without the scenario the reader cannot know a reply was dropped.
    let bare = RealReport::new(&n, "exp1", None);
    assert!(
        bare.run
            .attempts
            .iter()
            .all(|a| a.cause != Cause::ReplyDropped)
    );
    assert_eq!(bare.run.udpportrange, None);
}

#[test]
fn exp1c_two_retries_rescued_after_a_minute_six_lost() {
    let n = night("exp1c");
    assert_eq!(n.exit_status, Some(4));
    let outside: Vec<(u16, u16)> = n
        .dumpers
        .iter()
        .filter_map(|d| {
            let p = d.socket.port?.0;
            (p >= 850).then_some((d.id.0, p))
        })
        .collect();
    assert_eq!(
        outside,
        [
            (0, 854),
            (1, 858),
            (2, 855),
            (3, 856),
            (4, 857),
            (5, 859),
            (8, 860),
            (14, 851)
        ]
    );
    let lost: Vec<&str> = n
        .dles
        .iter()
        .filter(|d| d.fate != Some(DleFate::Dumped))
        .map(|d| short(&d.disk))
        .collect();
    assert_eq!(lost, ["d10", "d11", "d12", "d13", "d14", "d15"]);
    // d01 (dumper14 -> dumper6) and d07 (dumper8 -> dumper7): rescued, each retry about 66.6 s.
    for (dle, first, second) in [("d01", 14, 6), ("d07", 8, 7)] {
        let mine: Vec<_> = n
            .attempts
            .iter()
            .filter(|a| short(&a.disk) == dle)
            .collect();
        assert_eq!(mine.len(), 2);
        assert_eq!(
            (mine[0].dumper, mine[1].dumper),
            (DumperId(first), DumperId(second))
        );
        assert_eq!(mine[1].outcome, Some(Outcome::Done));
        let took = secs(mine[1].end.unwrap()) - secs(mine[1].start);
        assert!(
            (66.0..67.2).contains(&took),
            "{dle}: rescued retry took {took}"
        );
    }
    assert_eq!(n.client.already_running, 20);
}

#[test]
fn planner_outside_the_hole_fails_every_estimate() {
    let n = night("planner-outside-hole");
    assert_eq!(n.exit_status, Some(5));
    assert_eq!(n.planner.as_ref().and_then(|p| p.port), Some(Port(858)));
    assert_eq!(n.planner_failures.len(), 15);
    assert!(n.planner_failures.iter().all(|f| f.host == "client.sim"
        && f.message == "[Request to client.sim failed: timeout waiting for ACK]"));
    assert_eq!(n.dles.len(), 15);
    assert!(
        n.dles
            .iter()
            .all(|d| d.fate == Some(DleFate::NotScheduled) && d.attempts == 0)
    );
    assert!(n.attempts.is_empty());
    assert!(n.dumpers.iter().all(|d| d.socket.port.is_none()));
    assert!(
        n.notices
            .iter()
            .any(|t| t.contains("got empty schedule from planner"))
    );
    // The stub `log.*` (one INFO line) and the real trace log in oldlog/ are one night.
    assert_eq!(n.datestamp.as_deref(), Some("20261202013209"));
}

#[test]
fn full_range_four_dumpers_never_bind_and_two_dles_are_lost() {
    let n = night("full");
    assert_eq!(n.exit_status, Some(5));
    assert_eq!(n.dumpers.len(), 24);
    let unbound: Vec<u16> = n
        .dumpers
        .iter()
        .filter(|d| d.socket.port.is_none())
        .map(|d| d.id.0)
        .collect();
    assert_eq!(unbound, [0, 9, 13, 18]);
    let mut ports: Vec<u16> = n
        .dumpers
        .iter()
        .filter_map(|d| d.socket.port)
        .map(|p| p.0)
        .collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 20, "20 distinct usable ports");
    assert!(!ports.contains(&853), "853 is named in /etc/services");
    assert_eq!(n.range_seen, Some(PortRange::new(840, 860)));
    // dumper0's log is kept (the other three are in OMITTED.txt): 50 scans, then it gave up.
    assert_eq!(n.dumpers[0].socket.busy_scans, 50);
    assert!(n.dumpers[0].socket.gave_up);
    let cant: Vec<&str> = n
        .attempts
        .iter()
        .filter(|a| a.message.contains("Can't bind a socket"))
        .map(|a| short(&a.disk))
        .collect();
    assert_eq!(
        cant.len(),
        6,
        "four first attempts and two retries on dumper0"
    );
    let lost: Vec<&str> = n
        .dles
        .iter()
        .filter(|d| d.fate != Some(DleFate::Dumped))
        .map(|d| short(&d.disk))
        .collect();
    assert_eq!(lost, ["d15", "d24"]);
    assert!((826.0..829.0).contains(&secs(n.window.unwrap())));
}

#[test]
fn cthelper_one_rep_timeout_rescued_on_another_dumper() {
    let n = night("cthelper");
    assert_eq!(n.exit_status, Some(0));
    assert!(n.dles.iter().all(|d| d.fate == Some(DleFate::Dumped)));
    assert_eq!(n.attempts.len(), 5);
    let failed: Vec<_> = n
        .attempts
        .iter()
        .filter(|a| a.outcome != Some(Outcome::Done))
        .collect();
    assert_eq!(failed.len(), 1);
    let f = failed[0];
    assert_eq!(short(&f.disk), "d01");
    assert_eq!(f.message, "[request failed: timeout waiting for REP]");
    assert_eq!(port_of(&n, f.dumper.0), Some(850));
    assert!((226.0..228.0).contains(&secs(f.end.unwrap())));
    let retry = n.attempts.iter().rfind(|a| a.disk == f.disk).unwrap();
    assert_ne!(retry.dumper, f.dumper);
    assert!((330.0..332.0).contains(&secs(retry.end.unwrap())));
    assert!(
        (41.0..43.0).contains(&secs(n.estimates_end.unwrap())),
        "40 s silent estimate passed"
    );
}

#[test]
fn ct900_estimates_time_out_and_nothing_is_scheduled() {
    let n = night("ct900");
    assert_eq!(n.exit_status, Some(5));
    assert!(n.attempts.is_empty());
    assert_eq!(n.dles.len(), 2);
    for d in &n.dles {
        assert_eq!(d.fate, Some(DleFate::NotScheduled));
        assert_eq!(d.message, "[Some estimate timeout on client.sim]");
    }
    // Three REP waits of 150 s (`etimeout -150` is per host).
    let end = secs(n.estimates_end.unwrap());
    assert!((450.0..453.0).contains(&end), "{end}");
}

#[test]
fn the_json_has_the_run_schema_and_a_real_block() {
    let n = night("exp1");
    let r = RealReport::new(&n, "exp1", None);
    let text = r.to_json();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The keys `portsim run --format json` prints, in its order, then `real`.
    let keys: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  \"")?.split_once('"').map(|(k, _)| k))
        .collect();
    assert_eq!(
        keys,
        [
            "schema",
            "portsim",
            "scenario",
            "seed",
            "replication",
            "amanda",
            "udpportrange",
            "summary",
            "planner",
            "amcheck",
            "dumpers",
            "attempts",
            "dles",
            "exposure",
            "pinholes",
            "links",
            "real"
        ]
    );
    assert_eq!(v["attempts"].as_array().unwrap().len(), 26);
    assert_eq!(v["real"]["exit_status"], 4);
    assert_eq!(v["summary"]["failed"], 6);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("portsim-real-logs-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_malformed_line_names_file_line_and_text() {
    let d = scratch("malformed");
    let p = write(
        &d,
        "log.20261202011719.0",
        "START planner date 20261202011719\nDISK planner h /d\nSUCCESS dumper h\n",
    );
    let e = read(&[p], ReadOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LogError::Line { line: 3, .. }), "{msg}");
    assert!(msg.contains("log.20261202011719.0:3:"), "{msg}");
    assert!(msg.contains("SUCCESS dumper h"), "{msg}");
    // Lenient: counted, not fatal.
    let n = read(
        &[d.join("log.20261202011719.0")],
        ReadOptions { lenient: true },
    )
    .unwrap();
    assert_eq!(n.unrecognized_total, 1);
    assert_eq!(n.unrecognized[0].line, 3);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn unknown_lines_are_counted_and_sampled() {
    let d = scratch("unknown");
    let p = write(
        &d,
        "log.20261202011719.0",
        "START driver date 20261202011719\nHELLO there\nDISK planner h /d\nmore noise\n",
    );
    let n = read(&[p], ReadOptions::default()).unwrap();
    assert_eq!(n.unrecognized_total, 2);
    let lines: Vec<usize> = n.unrecognized.iter().map(|u| u.line).collect();
    assert_eq!(lines, [2, 4]);
    assert_eq!(n.unrecognized[0].text, "HELLO there");
    assert_eq!(n.dles.len(), 1);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn two_nights_and_unknown_files_are_refused() {
    let d = scratch("mixed");
    let a = write(&d, "log.20261201.0", "START driver date 20261201\n");
    let b = write(&d, "log.20261202.0", "START driver date 20261202\n");
    assert!(matches!(
        read(&[a, b], ReadOptions::default()),
        Err(LogError::Mixed(_))
    ));
    let c = write(&d, "notes.txt", "nothing Amanda wrote\n");
    let e = read(&[c], ReadOptions::default()).unwrap_err();
    assert!(matches!(e, LogError::Kind { .. }), "{e}");
    assert!(e.to_string().contains("notes.txt"));
    std::fs::remove_dir_all(&d).unwrap();
}

/// 2.4's shapes, assembled: `FILE-DUMP` with unquoted words, `[request timeout]`, a debug log
/// whose lines count seconds from its `start at` and whose bind reads `0.0.0.0.851`. Hand-written
/// in those formats (server-src/driverio.c, dgram.c and debug.c of 2.4/2.5), not captured.
#[test]
fn a_2_4_night_in_its_own_formats() {
    let d = scratch("v24");
    write(
        &d,
        "log.20061130.0",
        "START planner date 20061130\nDISK planner dmz1 /var\nDISK planner lan1 /home\n\
         START driver date 20061130\n\
         SUCCESS dumper lan1 /home 20061130 1 [sec 3.063 kb 1376 kps 449.2 orig-kb 1376]\n\
         FAIL dumper dmz1 /var 20061130 0 [request timeout]\n\
         FAIL dumper dmz1 /var 20061130 0 [request timeout]\n\
         FAIL driver dmz1 /var 20061130 0 [could not connect to dmz1]\n\
         FINISH driver date 20061130 time 121.532\n",
    );
    write(
        &d,
        "amdump.1",
        "amdump: start at Thu Nov 30 22:00:00 CET 2006\n\
         driver: started dumper0 pid 4711\ndriver: started dumper1 pid 4712\n\
         driver: send-cmd time 40.100 to dumper0: FILE-DUMP 00-00001 /dumps/20061130/lan1._home.1 lan1 ffff9efe0f /home hda2 1 2006:11:29:22:5:14 DUMP |;bsd-auth;index;\n\
         driver: send-cmd time 40.200 to dumper1: FILE-DUMP 01-00002 /dumps/20061130/dmz1._var.0 dmz1 ffff9efe0f /var sda2 0 1970:1:1:0:0:0 DUMP |;bsd-auth;index;\n\
         driver: result time 44.000 from dumper0: DONE 00-00001 1376 1376 3 [sec 3.063 kb 1376 kps 449.2 orig-kb 1376]\n\
         driver: result time 70.250 from dumper1: TRY-AGAIN 01-00002 [request timeout]\n\
         driver: send-cmd time 85.300 to dumper1: FILE-DUMP 01-00003 /dumps/20061130/dmz1._var.0 dmz1 ffff9efe0f /var sda2 0 1970:1:1:0:0:0 DUMP |;bsd-auth;index;\n\
         driver: result time 115.400 from dumper1: TRY-AGAIN 01-00003 [request timeout]\n\
         driver: FINISHED time 121.532\n",
    );
    write(
        &d,
        "dumper.20061130220000.debug",
        "dumper: debug 1 pid 4712 ruid 34 euid 34: start at Thu Nov 30 22:00:01 2006\n\
         dumper: time 0.002: dgram_bind: socket bound to 0.0.0.0.855\n",
    );
    let n = read(std::slice::from_ref(&d), ReadOptions::default()).unwrap();
    assert_eq!(n.unrecognized_total, 0, "{:?}", n.unrecognized);
    assert_eq!(n.datestamp.as_deref(), Some("20061130"));
    assert_eq!(port_of(&n, 1), Some(855));
    assert_eq!(port_of(&n, 0), None, "dumper0's debug log was not given");
    assert!((secs(n.dumpers[1].socket.bound_at.unwrap()) - 1.002).abs() < 1e-6);
    assert_eq!(n.attempts.len(), 3);
    assert_eq!(n.attempts[1].message, "[request timeout]");
    let fates: Vec<(&str, Option<DleFate>, &str)> = n
        .dles
        .iter()
        .map(|x| (x.host.as_str(), x.fate, x.message.as_str()))
        .collect();
    assert_eq!(
        fates,
        [
            ("dmz1", Some(DleFate::Failed), "[could not connect to dmz1]"),
            ("lan1", Some(DleFate::Dumped), "")
        ]
    );
    assert!((secs(n.window.unwrap()) - 115.4).abs() < 1e-6);
    std::fs::remove_dir_all(&d).unwrap();
}

/// Every fixture with a `facts.json` (lab/facts.py's independent reading of the whole run):
/// the Rust reader finds the same exit code, planner port, dumper ports, attempts and DLE fates.
#[test]
fn every_fixture_reads_as_its_facts_say() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/amanda");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| root.join(n).join("facts.json").is_file())
        .collect();
    names.sort();
    assert!(names.len() >= 14, "{names:?}");
    for name in &names {
        let text = std::fs::read_to_string(root.join(name).join("facts.json")).unwrap();
        let f: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(f["schema"], "portsim.lab-facts/1", "{name}");
        let n = night(name);
        let rc = f["amdump_exit_code"].as_i64();
        // 124: the lab's timeout killed amdump, which then wrote no exit status of its own.
        if rc != Some(124) {
            assert_eq!(n.exit_status.map(i64::from), rc, "{name}: exit code");
        }
        assert_eq!(
            n.planner
                .as_ref()
                .and_then(|p| p.port)
                .map(|p| i64::from(p.0)),
            f["planner"]["port"].as_i64(),
            "{name}: planner port"
        );
        for d in f["dumpers"].as_array().unwrap() {
            let i = d["dumper"].as_u64().unwrap() as u16;
            assert_eq!(
                port_of(&n, i).map(i64::from),
                d["port"].as_i64(),
                "{name}: dumper{i}'s port"
            );
        }
        let theirs: Vec<(String, u16, String)> = f["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let r = a["result"].as_str().unwrap_or("none").to_string();
                (
                    a["disk"].as_str().unwrap().to_string(),
                    a["dumper"].as_u64().unwrap() as u16,
                    r,
                )
            })
            .collect();
        let mut ours: Vec<(String, u16, String)> = n
            .attempts
            .iter()
            .map(|a| {
                let r = match a.outcome {
                    Some(Outcome::Done) => "DONE",
                    Some(Outcome::TryAgain) => "TRY-AGAIN",
                    Some(Outcome::Failed) => "FAILED",
                    None => "none",
                };
                (a.disk.clone(), a.dumper.0, r.to_string())
            })
            .collect();
        let mut theirs = theirs;
        theirs.sort();
        ours.sort();
        assert_eq!(ours, theirs, "{name}: attempts (disk, dumper, result)");
        for d in f["dles"].as_array().unwrap() {
            let (host, disk) = (d["host"].as_str().unwrap(), d["disk"].as_str().unwrap());
            let fate = n
                .dles
                .iter()
                .find(|x| x.host == host && x.disk == disk)
                .unwrap_or_else(|| panic!("{name}: {host}:{disk} not read"))
                .fate;
            let want = match d["fate"].as_str().unwrap() {
                "dumped" => Some(DleFate::Dumped),
                "lost" => Some(DleFate::Failed),
                // facts.py calls every DLE without an attempt not-scheduled; when the lab's
                // timeout killed amdump the logs do not say, and the reader says None.
                _ if rc == Some(124) => None,
                _ => Some(DleFate::NotScheduled),
            };
            assert_eq!(fate, want, "{name}: {host}:{disk}");
        }
    }
}

/// auth "bsdtcp" behind the same narrow UDP hole: every request, reply and dump rides one TCP
/// connection per dump that the server opens to the client's amandad (10080/tcp), from a
/// reserved port scanned upward from 512 (512-515 are named in /etc/services): nothing is
/// dropped, every DLE is dumped on its first attempt.
#[test]
fn bsdtcp_behind_the_hole_dumps_everything_from_reserved_tcp_ports() {
    let n = night("harness-hole-one-host-bsdtcp-1");
    assert_eq!(n.exit_status, Some(0));
    assert_eq!(n.unrecognized_total, 0, "{:?}", n.unrecognized);
    let planner = n.planner.as_ref().expect("planner log");
    assert_eq!(planner.port, Some(Port(516)));
    let mut ports: Vec<u16> = (0..15)
        .map(|d| port_of(&n, d).expect("connected"))
        .collect();
    ports.sort_unstable();
    assert_eq!(ports, (516..=530).collect::<Vec<u16>>());
    for d in &n.dumpers {
        assert_eq!(
            d.socket.bind,
            Some(portsim::model::ports::BindKind::ReservedFallback),
            "{}: a reserved port outside reserved-udp-port",
            d.id
        );
    }
    assert_eq!(n.attempts.len(), 20);
    assert!(n.attempts.iter().all(|a| a.outcome == Some(Outcome::Done)));
    assert!(n.dles.iter().all(|d| d.fate == Some(DleFate::Dumped)));
    let nft =
        std::fs::read_to_string(fixture("harness-hole-one-host-bsdtcp-1").join("nft-counters.txt"))
            .unwrap();
    let count = |comment: &str| -> u64 {
        let line = nft
            .lines()
            .find(|l| l.contains(&format!("comment \"{comment}\"")))
            .unwrap_or_else(|| panic!("no rule {comment}"));
        let w: Vec<&str> = line.split_whitespace().collect();
        let i = w.iter().position(|x| *x == "packets").unwrap();
        w[i + 1].parse().unwrap()
    };
    assert_eq!(count("amanda-replies"), 0, "no UDP reply crossed the hole");
    // The output chain passes TCP after the SYN first: lan-to-dmz counts the server's SYNs
    // (for the 21 connections the client's inetd accepted: the planner's and one per dump).
    assert_eq!(count("lan-to-dmz"), 28);
    let drops: Vec<&str> = nft
        .lines()
        .filter(|l| l.contains("firewall.default drop"))
        .collect();
    assert_eq!(drops.len(), 2);
    assert!(drops.iter().all(|l| l.contains("packets 0 ")), "{drops:?}");
}
