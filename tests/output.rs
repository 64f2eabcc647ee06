//! What portsim writes, through the binary: `compare --out` replaces only its own files and
//! refuses what it did not create, leftovers of a killed run are cleaned, and `--trace`,
//! `--junit` and `--bless` write through symlinks and special files, keep a file's mode, and take
//! `-` for standard output.

use assert_cmd::Command;
use predicates::str::contains;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_portsim");

fn portsim() -> Command {
    let mut c = Command::new(BIN);
    c.env("CI", "true");
    c
}

/// A fresh, empty directory for one test.
fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("output")
        .join(name);
    if d.exists() {
        make_writable(&d);
        fs::remove_dir_all(&d).unwrap();
    }
    fs::create_dir_all(&d).unwrap();
    d
}

fn make_writable(d: &Path) {
    for e in walk(d) {
        let m = fs::symlink_metadata(&e).unwrap();
        if m.is_dir() {
            fs::set_permissions(&e, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut all = vec![d.to_path_buf()];
    if let Ok(rd) = fs::read_dir(d) {
        for e in rd {
            let p = e.unwrap().path();
            if fs::symlink_metadata(&p).unwrap().is_dir() {
                all.extend(walk(&p));
            } else {
                all.push(p);
            }
        }
    }
    all
}

fn names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `compare` with few nights into `out` (2 is the least it accepts).
fn compare(out: &Path) -> Command {
    let mut c = portsim();
    c.args(["compare", "--replications", "2", "--out"]).arg(out);
    c
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().mode() & 0o7777
}

#[test]
fn compare_keeps_files_it_did_not_write_in_its_report_dir() {
    let base = tmp("keeps");
    let d = base.join("rep");
    compare(&d).assert().success();
    assert!(d.join("report.md").is_file());
    assert!(d.join(".portsim-report").is_file(), "{:?}", names(&d));
    fs::write(d.join("notes.txt"), "my notes").unwrap();
    fs::create_dir(d.join("sub")).unwrap();
    fs::write(d.join("sub").join("x"), "mine").unwrap();
    fs::write(d.join("report.md"), "an older report").unwrap();
    compare(&d).assert().success();
    assert_eq!(fs::read_to_string(d.join("notes.txt")).unwrap(), "my notes");
    assert_eq!(fs::read_to_string(d.join("sub").join("x")).unwrap(), "mine");
    let md = fs::read_to_string(d.join("report.md")).unwrap();
    assert!(md.contains("## What each remedy fixes and costs"), "{md}");
    // Nothing else beside the report directory.
    assert_eq!(names(&base), ["rep"]);
}

#[test]
fn compare_refuses_a_non_empty_directory_it_did_not_create() {
    let base = tmp("foreign");
    let d = base.join("mine");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("notes.txt"), "my notes").unwrap();
    compare(&d)
        .assert()
        .code(2)
        .stderr(contains(d.display().to_string()))
        .stderr(contains(".portsim-report"))
        .stderr(contains("--out"));
    assert_eq!(names(&d), ["notes.txt"]);
    assert_eq!(names(&base), ["mine"]);
}

#[test]
fn compare_refuses_a_file_as_out_and_writes_nothing() {
    let base = tmp("file");
    let f = base.join("report.txt");
    fs::write(&f, "precious").unwrap();
    compare(&f)
        .assert()
        .code(2)
        .stderr(contains(f.display().to_string()))
        .stderr(contains("not a directory"));
    assert_eq!(fs::read_to_string(&f).unwrap(), "precious");
    assert_eq!(names(&base), ["report.txt"]);
}

#[test]
fn compare_into_a_read_only_report_dir_fails_before_anything_is_replaced() {
    // Root ignores permissions, so as root the run drops to `nobody`, from a copy of the binary
    // in the system's temporary directory (the build directory may be out of its reach).
    let probe = tmp("readonly");
    // `probe` was created by this process, so its owner is this process's user.
    let root = fs::metadata(&probe).unwrap().uid() == 0;
    let (base, bin) = if root {
        let top = std::env::temp_dir().join(format!("portsim-output-ro-{}", std::process::id()));
        if top.exists() {
            make_writable(&top);
            fs::remove_dir_all(&top).unwrap();
        }
        fs::create_dir(&top).unwrap();
        fs::set_permissions(&top, fs::Permissions::from_mode(0o755)).unwrap();
        let bin = top.join("portsim");
        fs::copy(BIN, &bin).unwrap();
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
        let base = top.join("work");
        fs::create_dir(&base).unwrap();
        (base, bin)
    } else {
        (probe, PathBuf::from(BIN))
    };
    let d = base.join("rep");
    compare(&d).assert().success();
    fs::write(d.join("report.md"), "the previous report").unwrap();
    let before = names(&d);
    // Write access to the parent, none to the report dir itself: only a rename of the directory
    // could replace it.
    fs::set_permissions(&base, fs::Permissions::from_mode(0o777)).unwrap();
    fs::set_permissions(&d, fs::Permissions::from_mode(0o555)).unwrap();
    let mut c = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    let assert = c
        .env("CI", "true")
        .args(["compare", "--replications", "2", "--out"])
        .arg(&d)
        .assert();
    fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
    assert
        .code(2)
        .stderr(contains(d.display().to_string()))
        .stderr(contains("Permission denied"));
    assert_eq!(
        fs::read_to_string(d.join("report.md")).unwrap(),
        "the previous report"
    );
    assert_eq!(names(&d), before);
    assert_eq!(names(&base), ["rep"]);
    if root {
        fs::remove_dir_all(base.parent().unwrap()).unwrap();
    }
}

#[test]
fn compare_cleans_what_a_killed_run_left_behind() {
    let base = tmp("leftovers");
    let d = base.join("rep");
    compare(&d).assert().success();
    // A pid that cannot be running: larger than any pid_max.
    let dead = 999_999_999u32;
    // Left by the old swap-by-rename (a staging dir and the previous report) ...
    let staged = base.join(format!(".rep.tmp{dead}"));
    let old = base.join(format!(".rep.old{dead}"));
    for x in [&staged, &old] {
        fs::create_dir(x).unwrap();
        fs::write(x.join("report.md"), "half").unwrap();
        fs::write(x.join("report.json"), "{}").unwrap();
    }
    // ... and by a killed per-file write.
    fs::write(d.join(format!(".report.md.tmp{dead}")), "half").unwrap();
    compare(&d).assert().success();
    assert_eq!(names(&base), ["rep"]);
    assert!(
        !names(&d).iter().any(|n| n.contains(".tmp")),
        "{:?}",
        names(&d)
    );
}

#[test]
fn compare_restores_the_report_a_killed_swap_moved_aside() {
    let base = tmp("restore");
    let d = base.join("rep");
    compare(&d).assert().success();
    let old = base.join(".rep.old999999999");
    fs::rename(&d, &old).unwrap();
    fs::write(old.join("notes.txt"), "my notes").unwrap();
    compare(&d).assert().success();
    assert_eq!(names(&base), ["rep"]);
    assert_eq!(fs::read_to_string(d.join("notes.txt")).unwrap(), "my notes");
}

#[test]
fn trace_writes_through_a_symlink_and_keeps_the_mode() {
    let d = tmp("symlink");
    let real = d.join("real.jsonl");
    fs::write(&real, "old").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
    let link = d.join("link.jsonl");
    std::os::unix::fs::symlink("real.jsonl", &link).unwrap();
    portsim()
        .args(["run", "--trace"])
        .arg(&link)
        .assert()
        .success();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let text = fs::read_to_string(&real).unwrap();
    assert!(
        text.starts_with("{\"t_us\":"),
        "{}",
        &text[..40.min(text.len())]
    );
    assert_eq!(mode(&real), 0o600);
    assert_eq!(names(&d), ["link.jsonl", "real.jsonl"]);
}

#[test]
fn trace_writes_into_a_fifo_instead_of_replacing_it() {
    let d = tmp("fifo");
    let fifo = d.join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // Open the reading end first, without blocking, so the writer never waits for a reader.
    let mut reader = fs::OpenOptions::new()
        .read(true)
        .custom_flags(0o4000) // O_NONBLOCK
        .open(&fifo)
        .unwrap();
    let mut child = std::process::Command::new(BIN)
        .args(["run", "--trace"])
        .arg(&fifo)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        match reader.read(&mut buf) {
            Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => {
                if let Some(s) = child.try_wait().unwrap() {
                    // Drain what the writer left before it exited.
                    while let Ok(n) = reader.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        got.extend_from_slice(&buf[..n]);
                    }
                    break s;
                }
                assert!(Instant::now() < deadline, "portsim did not finish");
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    };
    assert!(status.success());
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let text = String::from_utf8(got).unwrap();
    assert!(
        text.starts_with("{\"t_us\":"),
        "{}",
        &text[..40.min(text.len())]
    );
    assert!(text.lines().count() > 100);
    assert_eq!(names(&d), ["pipe"]);
}

#[test]
fn trace_dash_is_standard_output() {
    let d = tmp("dash");
    let out = portsim()
        .current_dir(&d)
        .args(["run", "--trace", "-", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("{\"t_us\":"),
        "{}",
        &text[..40.min(text.len())]
    );
    assert!(text.contains("\"schema\": \"portsim.run/1\""));
    assert!(names(&d).is_empty(), "{:?}", names(&d));
}

#[test]
fn junit_dash_is_standard_output() {
    let d = tmp("junit-dash");
    let scenario = d.join("s.json");
    fs::copy(library().join("maxdumps-busy.json"), &scenario).unwrap();
    portsim()
        .current_dir(&d)
        .args(["check", "s.json", "--junit", "-"])
        .assert()
        .success()
        .stdout(contains("<testsuites"));
    assert_eq!(names(&d), ["s.json"]);
}

fn library() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// A copy of a library scenario with its fingerprint pin emptied, for `--bless` to fill.
fn unpinned(d: &Path) -> (PathBuf, String) {
    let file = d.join("busy.json");
    let text = fs::read_to_string(library().join("maxdumps-busy.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pin = v["expect"]["fingerprint"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    fs::write(&file, text.replace(&pin, "")).unwrap();
    (file, pin)
}

#[test]
fn bless_keeps_the_mode_of_the_file() {
    let d = tmp("bless-mode");
    let (file, pin) = unpinned(&d);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    portsim()
        .args(["check", "--bless"])
        .arg(&file)
        .assert()
        .success();
    assert!(fs::read_to_string(&file).unwrap().contains(&pin));
    assert_eq!(mode(&file), 0o600);
    assert_eq!(names(&d), ["busy.json"]);
}

#[test]
fn bless_writes_through_a_symlink() {
    let d = tmp("bless-link");
    let (file, pin) = unpinned(&d);
    let link = d.join("link.json");
    std::os::unix::fs::symlink("busy.json", &link).unwrap();
    portsim()
        .args(["check", "--bless"])
        .arg(&link)
        .assert()
        .success();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&file).unwrap().contains(&pin));
    assert_eq!(names(&d), ["busy.json", "link.json"]);
}
