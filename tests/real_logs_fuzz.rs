//! Mangled Amanda logs never make the reader panic: every line is parsed, refused with file:line,
//! or (lenient) counted as not understood.

use portsim::amanda::log::{LogError, ReadOptions, amdump, debug, read, trace};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn fixture_lines(rel: &str) -> Vec<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/amanda")
        .join(rel);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(str::to_string)
        .collect()
}

/// Lines of each kind from real nights: the shapes a mangling starts from.
fn seeds() -> Vec<String> {
    let mut v = fixture_lines("exp1/amlog/log.20261202011719.0");
    v.extend(fixture_lines("exp1/amlog/amdump.20261202011719"));
    v.extend(
        fixture_lines("full/srvlog/server/lab/dumper.20261202011739.debug")
            .into_iter()
            .take(400),
    );
    v
}

/// A line with one edit: cut, a character replaced, words swapped, or junk inserted.
fn mangle(line: &str, how: u8, at: usize, junk: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let i = if chars.is_empty() {
        0
    } else {
        at % (chars.len() + 1)
    };
    match how % 4 {
        0 => chars[..i].iter().collect(),
        1 => {
            let mut c = chars.clone();
            if i < c.len() {
                c[i] = junk.chars().next().unwrap_or('"');
            }
            c.into_iter().collect()
        }
        2 => {
            let mut w: Vec<&str> = line.split(' ').collect();
            if w.len() > 1 {
                let (j, n) = (at % w.len(), w.len());
                w.swap(j, (j + 1) % n);
            }
            w.join(" ")
        }
        _ => {
            let mut s: String = chars[..i].iter().collect();
            s.push_str(junk);
            s.extend(&chars[i..]);
            s
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_line_parser_panics(pick in any::<usize>(), how in any::<u8>(), at in any::<usize>(),
                             junk in "[ -~\\[\\]\"\\\\:0-9]{0,12}") {
        let seeds = seeds();
        let line = mangle(&seeds[pick % seeds.len()], how, at, &junk);
        let _ = trace::parse(&line);
        let _ = amdump::parse(&line);
        let _ = debug::parse(&line);
    }

    #[test]
    fn arbitrary_text_never_panics(line in "\\PC{0,200}") {
        let _ = trace::parse(&line);
        let _ = amdump::parse(&line);
        let _ = debug::parse(&line);
    }
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("portsim-fuzz-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A whole night with some lines mangled: strict reading fails only with a line error that
    /// names a mangled line; lenient reading always succeeds and counts what it refused.
    #[test]
    fn mangled_nights_fail_cleanly(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<usize>(), "[ -~]{0,8}"), 1..6)) {
        let d = scratch("night");
        let names = ["log.20261202011719.0", "amdump.20261202011719"];
        let mut mangled_lines = Vec::new();
        for (k, name) in names.iter().enumerate() {
            let mut lines = fixture_lines(&format!("exp1/amlog/{name}"));
            for (j, (line, how, at, junk)) in edits.iter().enumerate() {
                if j % 2 == k {
                    let n = line % lines.len();
                    lines[n] = mangle(&lines[n], *how, *at, junk);
                    mangled_lines.push((name.to_string(), n + 1));
                }
            }
            std::fs::write(d.join(name), lines.join("\n")).unwrap();
        }
        match read(std::slice::from_ref(&d), ReadOptions::default()) {
            Ok(_) => {}
            Err(LogError::Line { path, line, .. }) => {
                let file = Path::new(&path).file_name().unwrap().to_string_lossy().into_owned();
                prop_assert!(mangled_lines.contains(&(file.clone(), line)), "{file}:{line} was not mangled");
            }
            Err(LogError::Mixed(_)) => {} // a mangled START date makes a second night
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
        let lenient = read(std::slice::from_ref(&d), ReadOptions { lenient: true });
        prop_assert!(lenient.is_ok() || matches!(lenient, Err(LogError::Mixed(_))));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
