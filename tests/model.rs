//! The full model through the CLI: version profiles, busy clients, the network bottleneck.

mod common;

use common::run_json;
use serde_json::Value;

fn trace(args: &[&str], name: &str) -> Vec<Value> {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let mut all = args.to_vec();
    let p = path.to_str().unwrap().to_string();
    all.extend_from_slice(&["--trace", &p]);
    run_json(&all);
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn in_range(port: &Value, low: u64, high: u64) -> bool {
    port.as_u64().is_some_and(|p| (low..=high).contains(&p))
}

#[test]
fn amanda_2_5_2_never_sends_from_outside_the_range_and_stalls_extra_dumpers() {
    for rep in ["0", "1", "2"] {
        let args = ["--replication", rep, "--set", "server.version=2.5.2"];
        let r = run_json(&args);
        let mut stalled = 0;
        for a in r["attempts"].as_array().unwrap() {
            if a["cause"] == "no-port" {
                stalled += 1;
                assert!(a["port"].is_null(), "{a}");
                let host = a["host"].as_str().unwrap();
                assert_eq!(
                    a["message"],
                    format!("[request failed: Can't bind a socket to connect to {host}]")
                );
                // 120 rescans, 15 s apart: 30 minutes holding the DLE.
                assert_eq!(a["port_wait_s"], 1800.0, "{a}");
                assert_eq!(a["outcome"], "try-again");
            } else {
                assert!(in_range(&a["port"], 850, 859), "{a}");
                assert_eq!(a["outcome"], "done", "nothing else fails: {a}");
            }
        }
        assert!(
            stalled > 0,
            "night {rep}: some of dumpers 10-19 must get work and stall"
        );
        // A retry goes to the lowest idle dumper; when 0-9 are all busy it stalls again, and
        // the DLE is lost with 2.5's text. Nothing is lost for any other reason.
        for d in r["dles"].as_array().unwrap() {
            if d["fate"] != "dumped" {
                assert_eq!(d["message"], "[too many dumper retry]", "{d}");
            }
        }
        for ev in trace(&args, &format!("v252-{rep}.jsonl")) {
            if ev["kind"] == "send" && ev["packet"] == "req" {
                assert!(in_range(&ev["src_port"], 850, 859), "{ev}");
            }
        }
    }
}

#[test]
fn amanda_2_5_0_skips_a_services_named_port() {
    let named =
        r#"server.services=[{"port":853,"name":"domain-s"},{"port":855,"name":"amanda-extra"}]"#;
    let r = run_json(&["--set", "server.version=2.5.0", "--set", named]);
    let ports: Vec<u64> = r["dumpers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["in_range"] == true)
        .map(|d| d["port"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ports.len(),
        9,
        "853 is named domain-s: 9 usable ports, got {ports:?}"
    );
    assert!(!ports.contains(&853));
    assert!(
        ports.contains(&855),
        "a name containing amanda keeps the port usable"
    );
    // 2.5.0 still falls back; its failures speak 2.5's language.
    let texts: Vec<&str> = r["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["outcome"] != "done")
        .map(|a| a["message"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"[request failed: timeout waiting for ACK]"),
        "{texts:?}"
    );
    // 2.4 ignores the services database.
    let r24 = run_json(&["--set", named]);
    let in24 = r24["dumpers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["in_range"] == true)
        .count();
    assert_eq!(in24, 10);
}

#[test]
fn amanda_2_5_0_skips_services_named_ports_in_the_fallback_too() {
    // dgram_bind (amanda250 dgram.c line 95) calls bind_portrange(512, 1023, "udp"), which
    // skips every services-named port (util.c lines 126-127): with every port of 512-1023
    // outside the range named, the dumpers that find the range full bind a kernel-chosen port.
    let named: Vec<Value> = (512..=1023)
        .filter(|p| !(850..=859).contains(p))
        .map(|p| serde_json::json!({"port": p, "name": "other"}))
        .collect();
    let set = format!("server.services={}", Value::from(named));
    let dumpers = |version: &str| -> Vec<Value> {
        let r = run_json(&["--set", version, "--set", &set]);
        r["dumpers"].as_array().unwrap().clone()
    };
    let fell_back = |ds: &[Value]| -> Vec<u64> {
        ds.iter()
            .filter(|d| d["in_range"] == false && !d["port"].is_null())
            .map(|d| d["port"].as_u64().unwrap())
            .collect()
    };
    let v250 = fell_back(&dumpers(r#"server.version="2.5.0""#));
    assert!(!v250.is_empty(), "some dumpers find the range full");
    assert!(v250.iter().all(|&p| p >= 1024), "2.5.0: {v250:?}");
    // 2.4 reads no services database: its fallback stays in 512-1023.
    let v24 = fell_back(&dumpers(r#"server.version="2.4""#));
    assert_eq!(v24.len(), 10);
    assert!(
        v24.iter().all(|&p| (512..1024).contains(&p)),
        "2.4: {v24:?}"
    );
}

#[test]
fn the_driver_ranks_by_the_planners_estimate_not_tonights_rate() {
    // driver.c sorts by `est_time` (amanda245 lines 738-744), the estimated size over the
    // planner's average of past rates (planner.c line 2687): it cannot know tonight's rate.
    // Two equal disks, one dumper, dumporder "t": the first dump is the one the history
    // ranks shorter, which some nights is the slower one tonight.
    use portsim::scenario::{Source, load};
    let disk = serde_json::json!([{"name": "/", "full_gb": 1, "rate_mb_s": 5}]);
    let sc = serde_json::json!({
        "server": {"inparallel": 1, "planner": "unmodelled", "dumporder": "t"},
        "workload": {"dumpcycle": 1},
        "zones": ["LAN"],
        "firewall": {"default": "accept"},
        "hosts": [{"name": "a", "zone": "LAN", "disks": disk},
                  {"name": "b", "zone": "LAN", "disks": disk}]
    });
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("est-rate.json");
    std::fs::write(&path, sc.to_string()).unwrap();
    let sc = load(&Source::File(path), &[]).expect("loads");
    let mut slower_first = 0;
    for rep in 0..20 {
        let r = portsim::model::site::run(&sc, rep, false);
        let n = &r.night.dles;
        let by = |f: &dyn Fn(usize) -> f64| if f(1) < f(0) { 1 } else { 0 };
        let estimated = by(&|i| n[i].size_kb / n[i].est_rate_kbs);
        let tonight = by(&|i| n[i].size_kb / n[i].rate_kbs);
        assert_eq!(r.attempts[0].dle.0, estimated, "night {rep}");
        slower_first += usize::from(estimated != tonight);
    }
    assert!(
        slower_first > 0,
        "in 20 nights the history never ranked the disks otherwise than tonight's rates"
    );
}

#[test]
fn a_busy_client_swallows_a_retry_even_from_an_in_range_port() {
    // Night 11 of the incident: www2 still resends its blocked REP to dumper10 when dumper0's
    // request for its other disk arrives; amandad swallows it (MODEL.md section 3), and each
    // swallowed REQ restarts its wait (2.4.5 amandad.c: it was not the ACK).
    let args = ["--replication", "11"];
    let r = run_json(&args);
    let victim = r["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["cause"] == "client-busy")
        .expect("night 11 has a swallowed request")
        .clone();
    assert!(in_range(&victim["port"], 850, 859), "{victim}");
    assert_eq!(victim["message"], "[request timeout]");
    let host = victim["host"].clone();
    let dumper = victim["dumper"].clone();
    let events = trace(&args, "busy.jsonl");
    let swallowed: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "swallow" && e["host"] == host && e["dumper"] == dumper)
        .collect();
    assert_eq!(
        swallowed.len(),
        3,
        "all three REQs of the attempt are ignored"
    );
    // Meanwhile the client was resending a REP that the firewall dropped.
    let t0 = swallowed[0]["t_us"].as_u64().unwrap();
    assert!(events.iter().any(|e| e["kind"] == "send"
        && e["packet"] == "rep"
        && e["host"] == host
        && e["verdict"] == "drop"
        && e["t_us"].as_u64().unwrap() < t0
        && t0 - e["t_us"].as_u64().unwrap() < 60_000_000));
}

#[test]
fn a_busy_client_naks_a_second_dumper_when_maxdumps_allows_two() {
    // One host, maxdumps 2: the driver starts its two disks 15 s apart (the 2.4 host gap). Its
    // sendbackup takes 20 s to answer (a pre-dump snapshot, say), so the second REQ arrives while
    // the first service runs, and amandad NAKs it; the retry, later, goes through.
    let sc = serde_json::json!({
        "server": {"inparallel": 2, "udpportrange": [850, 859], "netusage": 100000,
                   "planner": "unmodelled"},
        "workload": {"dumpcycle": 1, "sendbackup_startup_s": 20},
        "zones": ["LAN"],
        "firewall": {"default": "drop"},
        "hosts": [{"name": "busy", "zone": "LAN", "maxdumps": 2, "disks": [
            {"name": "/a", "full_gb": 1, "rate_mb_s": 5},
            {"name": "/b", "full_gb": 1, "rate_mb_s": 5}]}]
    });
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("busy.json");
    std::fs::write(&path, sc.to_string()).unwrap();
    let r = run_json(&[path.to_str().unwrap()]);
    let attempts = r["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(attempts[1]["message"], "NAK: amandad busy");
    assert_eq!(attempts[1]["cause"], "client-busy");
    assert_eq!(attempts[1]["outcome"], "try-again");
    let gap = attempts[1]["start_s"].as_f64().unwrap() - attempts[0]["start_s"].as_f64().unwrap();
    assert!((gap - 15.0).abs() < 1e-6, "the host gap: {gap}");
    assert_eq!(attempts[2]["outcome"], "done");
    assert_eq!(r["summary"]["failed"], 0);
}

fn window(args: &[&str]) -> f64 {
    run_json(args)["summary"]["window_s"].as_f64().unwrap()
}

#[test]
fn a_shared_link_stops_the_window_shrinking_as_inparallel_grows() {
    let with = |n: &str| {
        window(&[
            "scenarios/bottleneck.json",
            "--set",
            &format!("server.inparallel={n}"),
        ])
    };
    let without = |n: &str| {
        window(&[
            "scenarios/bottleneck.json",
            "--set",
            &format!("server.inparallel={n}"),
            "--set",
            "network.links=[]",
        ])
    };
    // Without the link, more dumpers finish sooner.
    assert!(without("10") < 0.7 * without("5"));
    assert!(without("20") < 0.7 * without("10"));
    // With it, the 10 MB/s link is the bottleneck: about total data / capacity, whatever inparallel.
    let (w5, w10, w20) = (with("5"), with("10"), with("20"));
    assert!(
        (w10 - w5).abs() < 0.02 * w5 && (w20 - w10).abs() < 0.02 * w10,
        "{w5} {w10} {w20}"
    );
    let r = run_json(&["scenarios/bottleneck.json"]);
    let dumped_mb: f64 = r["dles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["size_mb"].as_f64().unwrap())
        .sum();
    let floor = dumped_mb / 10.0;
    assert!(
        w10 >= floor,
        "no faster than the link allows: {w10} < {floor}"
    );
    assert!(
        w10 < floor * 1.1,
        "close to the link's limit: {w10} vs {floor}"
    );
}

fn attempts(r: &Value) -> Vec<(u64, String, f64, f64, bool)> {
    r["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["dumper"].as_u64().unwrap(),
                format!("{}:{}", a["host"], a["disk"]),
                a["start_s"].as_f64().unwrap(),
                a["end_s"].as_f64().unwrap(),
                a["outcome"] != "done",
            )
        })
        .collect()
}

#[test]
fn a_2_4_failure_stops_all_dispatch_for_15_s() {
    // handle_dumper_result calls sleep(15): no dumper starts anything meanwhile.
    for rep in ["0", "4"] {
        let a = attempts(&run_json(&["--replication", rep]));
        let failures: Vec<f64> = a.iter().filter(|x| x.4).map(|x| x.3).collect();
        assert!(!failures.is_empty());
        for end in failures {
            for x in &a {
                assert!(
                    !(x.2 > end + 1e-3 && x.2 < end + 15.0 - 1e-3),
                    "night {rep}: {} started {:.3} s after a failure",
                    x.1,
                    x.2 - end
                );
            }
        }
    }
}

/// Three DMZ hosts whose every reply the filter drops: their dumps fail together.
fn three_dropped_hosts(name: &str) -> std::path::PathBuf {
    let disk = serde_json::json!([{"name": "/", "full_gb": 1, "rate_mb_s": 5}]);
    let sc = serde_json::json!({
        "server": {"inparallel": 3, "udpportrange": [850, 859], "netusage": 100000,
                   "planner": "unmodelled"},
        "workload": {"dumpcycle": 1},
        "zones": ["LAN", "DMZ"],
        "firewall": {"default": "drop", "rules": [
            {"name": "out", "action": "accept", "from": "server", "to": "DMZ"}]},
        "hosts": [{"name": "a", "zone": "DMZ", "disks": disk},
                  {"name": "b", "zone": "DMZ", "disks": disk},
                  {"name": "c", "zone": "DMZ", "disks": disk}]
    });
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, sc.to_string()).unwrap();
    path
}

#[test]
fn a_2_4_driver_reads_every_result_of_one_select_before_it_dispatches() {
    // driver.c (amanda245, lines 377-406): select(), then handle_dumper_result for every ready
    // descriptor, each failure calling sleep(15), and only then start_some_dumps. Three
    // requests that time out at the same microsecond stall the driver 45 s, then all three
    // retries start at once (not one per 15 s sleep).
    let path = three_dropped_hosts("select.json");
    let r = run_json(&[path.to_str().unwrap()]);
    let a = attempts(&r);
    assert_eq!(a.len(), 6, "{a:?}");
    let t0 = a[0].2;
    for x in &a[..3] {
        assert!(x.4 && (x.2 - t0).abs() < 1e-9, "{x:?}");
        assert!((x.3 - (t0 + 30.0)).abs() < 1e-3, "{x:?}");
    }
    for x in &a[3..] {
        assert!(
            (x.2 - (t0 + 30.0 + 45.0)).abs() < 1e-3,
            "every retry starts after the three sleeps: {a:?}"
        );
    }
    // The retries fail together too; each final failure is read after the sleep before it.
    let decided = r["summary"]["window_s"].as_f64().unwrap();
    assert!((decided - (t0 + 105.0 + 30.0)).abs() < 1e-3, "{decided}");
    let sleeps: Vec<u64> = trace(&[path.to_str().unwrap()], "select.jsonl")
        .iter()
        .filter(|e| e["kind"] == "driver-sleep")
        .map(|e| e["dumper"].as_u64().unwrap())
        .collect();
    assert_eq!(sleeps, [0, 1, 2, 0, 1, 2], "read in descriptor order");
}

#[test]
fn a_2_4_amandad_restarts_its_rep_wait_on_every_retried_req() {
    // amandad.c (amanda245 lines 568-619): send the REP, wait 10 s; only a timeout counts
    // against MAX_RETRIES 5; any other packet (the dumper's REQ resent at 10 s and 20 s) sends
    // the REP again and restarts the wait, with no ACK. So the REPs go out at about 1, 10 and
    // 20 s, then 4 more 10 s apart: amandad lives until about 70 s, not 51.
    let path = three_dropped_hosts("rep-wait.json");
    let events = trace(&[path.to_str().unwrap()], "rep-wait.jsonl");
    let t = |e: &Value| e["t_us"].as_u64().unwrap() as f64 / 1e6;
    let t0 = events
        .iter()
        .find(|e| e["kind"] == "attempt-start")
        .map(t)
        .unwrap();
    let sent = |kind: &str| -> Vec<f64> {
        events
            .iter()
            .filter(|e| e["kind"] == "send" && e["packet"] == kind && e["host"] == "a")
            .map(|e| t(e) - t0)
            .filter(|&s| s < 75.0)
            .collect()
    };
    assert_eq!(sent("ack").len(), 1, "one ACK, for the first REQ");
    let reps = sent("rep");
    assert_eq!(reps.len(), 7, "{reps:?}");
    let near = |x: f64, y: f64| (x - y).abs() < 0.01;
    for (got, want) in reps.iter().zip([1.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]) {
        assert!(near(*got, want), "{reps:?}");
    }
}

#[test]
fn a_2_5_failure_rests_only_the_dumper_and_the_retried_dle() {
    let a = attempts(&run_json(&["--set", "server.version=2.5.0"]));
    let mut others_started_meanwhile = false;
    for (i, f) in a.iter().enumerate().filter(|(_, x)| x.4) {
        let end = f.3;
        for x in &a[i + 1..] {
            let during = x.2 > end + 1e-3 && x.2 < end + 15.0 - 1e-3;
            // The failed dumper takes nothing new, and the DLE is not retried, for 15 s.
            assert!(
                !(during && x.0 == f.0),
                "dumper{} restarted after {:.3} s",
                f.0,
                x.2 - end
            );
            assert!(
                !(during && x.1 == f.1),
                "{} retried after {:.3} s",
                f.1,
                x.2 - end
            );
            others_started_meanwhile |= during;
        }
    }
    assert!(
        others_started_meanwhile,
        "other dumpers keep working while one rests"
    );
}

#[test]
fn an_overlapping_amcheck_holds_a_range_port_all_night() {
    let r = run_json(&["--set", "server.amcheck=true"]);
    assert_eq!(r["amcheck"]["in_range"], true, "{}", r["amcheck"]);
    let in_range = r["dumpers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["in_range"] == true)
        .count();
    assert_eq!(
        in_range, 9,
        "amcheck binds first: dumpers 0-8 get the other 9 ports"
    );
    let amcheck = r["amcheck"]["port"].clone();
    assert!(
        r["dumpers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["port"] != amcheck)
    );
}

#[test]
fn a_2_4_amandad_takes_a_retry_from_the_same_dumper_for_the_peer_it_serves() {
    // amandad.c (amanda245 lines 535-556, 577-615) knows its peer by address and port, not by
    // the request handle. One DMZ host whose replies the filter drops, two disks, two dumpers:
    // /y's retry leaves from dumper0's port while amandad still resends /y's first REP there,
    // so its REQs resend that REP (dropped: `reply-dropped`), never a busy answer; /x's REQs
    // come from dumper1's port meanwhile and are swallowed (`client-busy`).
    let disk = |n: &str| serde_json::json!({"name": n, "full_gb": 1, "rate_mb_s": 5});
    let sc = serde_json::json!({
        "server": {"inparallel": 2, "udpportrange": [850, 859], "netusage": 100000,
                   "planner": "unmodelled"},
        "workload": {"dumpcycle": 1},
        "zones": ["LAN", "DMZ"],
        "firewall": {"default": "drop", "rules": [
            {"name": "out", "action": "accept", "from": "server", "to": "DMZ"}]},
        "hosts": [{"name": "a", "zone": "DMZ", "maxdumps": 2, "disks": [disk("/x"), disk("/y")]}]
    });
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("same-peer.json");
    std::fs::write(&path, sc.to_string()).unwrap();
    let p = path.to_str().unwrap();
    let r = run_json(&[p]);
    let at = r["attempts"].as_array().unwrap();
    assert_eq!(at.len(), 4, "{at:?}");
    let (first, retry) = (&at[0], &at[2]);
    assert_eq!(
        (&first["disk"], &retry["disk"]),
        (&"/y".into(), &"/y".into())
    );
    assert_eq!(
        first["port"], retry["port"],
        "the retry leaves from the same port"
    );
    assert_eq!(retry["cause"], "reply-dropped", "{retry}");
    for other in [&at[1], &at[3]] {
        assert_ne!(other["port"], first["port"]);
        assert_eq!(other["cause"], "client-busy", "{other}");
    }
    // No REQ from dumper0's port is swallowed; every one of the retry's resends the REP there.
    let events = trace(&[p], "same-peer.jsonl");
    let t = |e: &Value| e["t_us"].as_u64().unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e["kind"] == "swallow" && e["dumper"] == 0)
    );
    let start = events
        .iter()
        .filter(|e| e["kind"] == "attempt-start" && e["disk"] == "/y")
        .map(t)
        .nth(1)
        .unwrap();
    let reqs: Vec<u64> = events
        .iter()
        .filter(|e| e["kind"] == "deliver" && e["packet"] == "req" && e["dumper"] == 0)
        .map(t)
        .filter(|&x| x >= start && x < start + 30_000_000)
        .collect();
    assert_eq!(
        reqs.len(),
        3,
        "the retry's three REQs reach amandad: {reqs:?}"
    );
    for x in reqs {
        assert!(
            events.iter().any(|e| t(e) == x
                && e["kind"] == "send"
                && e["packet"] == "rep"
                && e["dst_port"] == first["port"]),
            "the REQ at {x} us resends the REP"
        );
    }
    assert!(
        !events
            .iter()
            .any(|e| e["kind"] == "send" && e["packet"] == "nak" && e["dst_port"] == first["port"])
    );
}
