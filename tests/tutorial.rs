//! docs/tutorial.md runs: every `$ portsim ...` line of its ```console blocks is run from a
//! scratch directory, its output must be the lines that follow it (a line `...` stands for
//! any number of lines), and every picture it writes must be the one committed under docs/.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One command of the tutorial and the output it shows.
struct Example {
    line: usize,
    args: Vec<String>,
    expected: Vec<String>,
}

/// Splits a command line as a POSIX shell would for the quoting the tutorial uses: words
/// separated by spaces, single quotes keep everything inside.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in s.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in {s:?}");
    if any {
        out.push(cur);
    }
    out
}

fn examples(md: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_console = false;
    for (i, line) in md.lines().enumerate() {
        if !in_console {
            in_console = line.trim_start() == "```console";
            continue;
        }
        if line.trim_start() == "```" {
            in_console = false;
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            let args = words(cmd);
            assert_eq!(args[0], "portsim", "line {}: only portsim runs", i + 1);
            out.push(Example {
                line: i + 1,
                args: args[1..].to_vec(),
                expected: Vec::new(),
            });
        } else {
            out.last_mut()
                .unwrap_or_else(|| panic!("line {}: output before a command", i + 1))
                .expected
                .push(line.to_string());
        }
    }
    assert!(!in_console, "an unclosed ```console block");
    out
}

/// Whether `actual` matches `expected`, where a `...` line matches any run of lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => (0..=actual.len()).any(|k| matches(rest, &actual[k..])),
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| a == e && matches(rest, more)),
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_tutorial_shows_what_portsim_prints() {
    let md = std::fs::read_to_string(root().join("docs/tutorial.md")).expect("docs/tutorial.md");
    let all = examples(&md);
    assert!(
        all.len() >= 15,
        "the tutorial runs its commands ({})",
        all.len()
    );
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tutorial");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.join("docs/img")).unwrap();
    let mut pictures = 0;
    for ex in &all {
        let out = Command::new(env!("CARGO_BIN_EXE_portsim"))
            .args(&ex.args)
            .current_dir(&scratch)
            .output()
            .expect("portsim runs");
        assert!(
            out.status.success(),
            "docs/tutorial.md:{}: portsim {:?} failed: {}",
            ex.line,
            ex.args,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("UTF-8 output");
        let actual: Vec<&str> = text.lines().collect();
        assert!(
            matches(&ex.expected, &actual),
            "docs/tutorial.md:{}: `portsim {}` printed\n{text}\nbut the tutorial shows\n{}",
            ex.line,
            ex.args.join(" "),
            ex.expected.join("\n")
        );
        if let Some(i) = ex.args.iter().position(|a| a == "--out") {
            let file = Path::new(&ex.args[i + 1]);
            let made = std::fs::read(scratch.join(file)).expect("the picture was written");
            let committed = std::fs::read(root().join(file))
                .unwrap_or_else(|e| panic!("{} is not committed: {e}", file.display()));
            assert!(
                made == committed,
                "docs/tutorial.md:{}: {} differs from what the command draws",
                ex.line,
                file.display()
            );
            let name = file
                .strip_prefix("docs/")
                .expect("pictures live under docs/");
            assert!(
                md.contains(&format!("]({})", name.display())),
                "the tutorial shows {}",
                name.display()
            );
            pictures += 1;
        }
    }
    assert!(
        pictures >= 4,
        "the tutorial draws its pictures ({pictures})"
    );
}

#[test]
fn ellipsis_matching() {
    let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(matches(&e(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&e(&["...", "c", "..."]), &["a", "b", "c", "d"]));
    assert!(!matches(&e(&["a", "...", "x"]), &["a", "b"]));
    assert!(!matches(&e(&["a", "b"]), &["a", "b", "c"]));
    assert_eq!(
        words("portsim x --set 'a=[1, 2]'"),
        ["portsim", "x", "--set", "a=[1, 2]"]
    );
}
