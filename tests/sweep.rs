//! `portsim sweep` through the binary: the incident's clean region, the knee of a link
//! bottleneck, independence from --jobs, the heatmap of two settings, invalid points, bad input.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn portsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portsim"))
        .args(args)
        .env("CI", "true")
        .output()
        .expect("portsim runs")
}

fn sweep(args: &[&str]) -> (Value, Vec<u8>) {
    let mut all = vec!["sweep", "--format", "json"];
    all.extend_from_slice(args);
    let out = portsim(&all);
    assert!(
        out.status.success(),
        "{all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).expect("JSON"),
        out.stdout,
    )
}

fn at(p: &Value) -> i64 {
    p["at"][0].as_i64().expect("an integer setting")
}

fn measure<'a>(p: &'a Value, m: &str) -> &'a Value {
    p["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["measure"] == m)
        .unwrap_or_else(|| panic!("no measure {m} in {p}"))
}

fn files(dir: &PathBuf) -> Vec<String> {
    let mut f: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".portsim-report")
        .collect();
    f.sort();
    f
}

#[test]
fn the_incident_is_clean_up_to_the_usable_ports_and_loses_above() {
    let (s, _) = sweep(&["--vary", "server.inparallel=5..30", "--replications", "30"]);
    assert_eq!(s["schema"], "portsim.sweep/1");
    assert_eq!(s["replications"], 30);
    let points = s["points"].as_array().unwrap();
    assert_eq!(points.len(), 26);
    // 850-859 with nothing else in it and the planner unmodelled: 10 ports for the dumpers.
    let usable = 10;
    for p in points {
        let lost = measure(p, "failed_dles");
        let nights_lost = p["nights_with_loss"].as_u64().unwrap();
        if at(p) <= usable {
            assert_eq!(nights_lost, 0, "inparallel {} lost: {lost}", at(p));
            assert!(lost["values"].as_array().unwrap().iter().all(|v| v == 0.0));
        } else {
            assert!(nights_lost > 0, "inparallel {} lost nothing", at(p));
            assert!(lost["mean"].as_f64().unwrap() > 0.0);
        }
    }
    // The scenario's own point (inparallel 20) is marked and paired against.
    assert_eq!(s["axes"][0]["own"], 20.0);
    let own = s["own_point"].as_u64().unwrap() as usize;
    assert_eq!(at(&points[own]), 20);
    let d = &measure(&points[0], "window_h")["vs_own"];
    // Five dumpers instead of twenty: a longer window, and the paired interval says so.
    assert!(d["low"].as_f64().unwrap() > 0.0, "{d}");
    let findings = s["findings"].to_string();
    assert!(findings.contains("server.inparallel = 5-10"), "{findings}");
    assert!(
        findings.contains("DLEs lost at server.inparallel = 11-30"),
        "{findings}"
    );
}

#[test]
fn sweep_bytes_do_not_depend_on_jobs() {
    let args = |jobs| {
        vec![
            "--vary",
            "server.inparallel=8..13",
            "--vary",
            "server.udpportrange.1=857..860",
            "--replications",
            "8",
            "--jobs",
            jobs,
        ]
    };
    let (_, one) = sweep(&args("1"));
    let (_, two) = sweep(&args("2"));
    assert!(one == two, "--jobs 1 and --jobs 2 differ");
    let csv = |jobs| {
        let mut a = vec!["sweep", "--format", "csv"];
        a.extend(args(jobs));
        portsim(&a).stdout
    };
    assert_eq!(csv("1"), csv("2"));
}

#[test]
fn two_settings_give_a_heatmap() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sweep-heatmap");
    let _ = std::fs::remove_dir_all(&dir);
    let out = portsim(&[
        "sweep",
        "--vary",
        "server.inparallel=8..12:2",
        "--vary",
        "server.udpportrange.1,firewall.rules.0.dst_ports.1=855..865:5",
        "--replications",
        "6",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        files(&dir),
        [
            "heatmap.png",
            "heatmap.svg",
            "report.csv",
            "report.json",
            "report.md"
        ]
    );
    let png = std::fs::read(dir.join("heatmap.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let svg = std::fs::read_to_string(dir.join("heatmap.svg")).unwrap();
    for label in [
        "DLEs lost a night",
        "backup window (h)",
        "server.inparallel",
        "edge of no DLE lost in any night",
    ] {
        assert!(svg.contains(label), "heatmap.svg lacks {label:?}");
    }
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(s["points"].as_array().unwrap().len(), 9);
    // A range of 6 ports with 12 dumpers loses; 16 ports with 8 dumpers does not.
    let point = |ip: i64, hi: i64| {
        s["points"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["at"][0] == ip && p["at"][1] == hi)
            .unwrap()
            .clone()
    };
    assert!(point(12, 855)["nights_with_loss"].as_u64().unwrap() > 0);
    assert_eq!(point(8, 865)["nights_with_loss"], 0);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("![Sweep of 3 x 3 points"), "{md}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rows: server.inparallel; columns: server.udpportrange.1"));
}

#[test]
fn the_window_knee_shows_where_the_link_binds() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sweep-knee");
    let _ = std::fs::remove_dir_all(&dir);
    let (s, _) = sweep(&[
        "scenarios/bottleneck.json",
        "--vary",
        "server.inparallel=1..12",
        "--replications",
        "6",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let points = s["points"].as_array().unwrap();
    let window = |i: usize| measure(&points[i], "window_h")["mean"].as_f64().unwrap();
    let floor = |i: usize| measure(&points[i], "link_busy_h")["mean"].as_f64().unwrap();
    // One dumper at a time uses half the link; from a few on, the link is full and the window
    // sits on its floor: the data over 10 MB/s.
    assert!(window(0) > 1.5 * floor(0), "{} vs {}", window(0), floor(0));
    assert!(
        window(11) < 1.05 * floor(11),
        "{} vs {}",
        window(11),
        floor(11)
    );
    assert!(window(0) > 1.5 * window(11));
    let findings = s["findings"].to_string();
    assert!(
        findings.contains("The window flattens at server.inparallel ="),
        "{findings}"
    );
    assert_eq!(files(&dir)[..2], ["report.csv", "report.json"]);
    let svg = std::fs::read_to_string(dir.join("sweep.svg")).unwrap();
    for label in [
        "knee at ",
        "busiest link",
        "own value (10)",
        "DLEs lost a night",
        "backup window (h)",
    ] {
        assert!(svg.contains(label), "sweep.svg lacks {label:?}");
    }
    assert!(dir.join("sweep.png").exists());
}

#[test]
fn an_invalid_point_is_reported_not_fatal() {
    let (s, _) = sweep(&["--vary", "server.inparallel=0..2", "--replications", "3"]);
    let points = s["points"].as_array().unwrap();
    let msg = points[0]["invalid"]
        .as_str()
        .expect("inparallel 0 is invalid");
    assert!(
        msg.contains("server.inparallel") && msg.contains("1 to 63"),
        "{msg}"
    );
    assert!(points[0]["measures"].as_array().unwrap().is_empty());
    for p in &points[1..] {
        assert!(p["invalid"].is_null());
        assert_eq!(p["nights_with_loss"], 0);
    }
    let text = portsim(&[
        "sweep",
        "--vary",
        "server.inparallel=0..2",
        "--replications",
        "3",
    ]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("invalid: server.inparallel"), "{text}");
}

#[test]
fn bad_vary_exits_2_naming_the_flag_and_the_fix() {
    for (args, needles) in [
        (
            vec!["sweep", "--vary", "server.inparallel=5-30"],
            vec!["--vary server.inparallel=5-30", "PATH=A..B"],
        ),
        (
            vec!["sweep", "--vary", "server.inparallel"],
            vec!["--vary server.inparallel", "no '='", "PATH=A..B"],
        ),
        (
            vec!["sweep", "--vary", "server.inparallel=30..5"],
            vec!["--vary server.inparallel=30..5", "write 5..30"],
        ),
        (
            vec!["sweep", "--vary", "server.inparallel=5..x"],
            vec!["\"x\" is not a number", "PATH=A..B"],
        ),
        (
            vec!["sweep", "--vary", "server.inparallel=5..30:0"],
            vec!["step 0 must be above 0"],
        ),
        (
            vec![
                "sweep",
                "--vary",
                "server.inparallel=5..6",
                "--vary",
                "seed=1..2",
                "--vary",
                "server.netusage=1..2",
            ],
            vec!["--vary server.netusage=1..2", "one or two settings"],
        ),
        (
            vec!["sweep", "--vary", "stateful-firewall.two_way_s=30..60"],
            vec!["add --remedy stateful-firewall"],
        ),
        (
            vec!["sweep", "--vary", "server.inparalel=5..6"],
            vec!["invalid at every point", "inparalel"],
        ),
        (
            vec![
                "sweep",
                "--vary",
                "server.inparallel=5..6",
                "--replications",
                "1",
            ],
            vec!["--replications 1", "at least 2"],
        ),
    ] {
        let out = portsim(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: {err} lacks {n:?}");
        }
        assert!(out.stdout.is_empty(), "{args:?} printed a report");
    }
}
