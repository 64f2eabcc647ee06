//! Fuzzing the scenario loader (issue 10): damaged scenarios must be refused with an error,
//! never a panic, and what the loader accepts must run a night without one.
//!
//! Three kinds of damage, starting from the built-in incident: a value somewhere in the tree
//! replaced by a hostile one (huge, negative, zero, the wrong type, deep nesting); the text cut
//! or a byte changed; and `--set` arguments built from the tree's own paths. 64 cases per
//! property by default, `PROPTEST_CASES=n` for more (CI runs 1000).

use portsim::model::site;
use portsim::scenario::{Source, load_value, text};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn tokyo() -> Value {
    text::parse_json(portsim::scenario::builtin::TOKYO, "tokyo").expect("the incident parses")
}

/// Values that have broken a loader before, or could.
fn hostile() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(1e-300)),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(4294967295u64)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(65536)),
        Just(json!(4e9)),
        Just(json!(0.5)),
        Just(json!(null)),
        Just(json!(true)),
        Just(json!("")),
        Just(json!("3.9")),
        Just(json!([])),
        Just(json!({})),
        Just(json!([0, 0])),
        Just(json!([512, 1023])),
        Just(json!([[512, 1023], [32768, 60999]])),
        Just(json!([65535, 0])),
        Just(json!([1, 65535])),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |x| x.is_finite())
            .prop_map(|x| json!(x)),
        "[a-z0-9.+-]{0,12}".prop_map(|s| json!(s)),
    ]
}

/// Every path to a value in `v`, as `--set` segments.
fn paths(v: &Value, here: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(k.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                here.push(i.to_string());
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn all_paths() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    paths(&tokyo(), &mut Vec::new(), &mut out);
    out.retain(|p| !p.is_empty());
    out
}

fn set_at(root: &mut Value, path: &[String], value: Value) {
    let mut cur = root;
    for seg in path {
        cur = match cur {
            Value::Object(m) => m.entry(seg.clone()).or_insert(Value::Null),
            Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    *cur = value;
}

/// Loads `tree` with `sets`; if it loads, runs its first night. Neither may panic.
fn load_and_run(tree: Value, sets: &[String]) -> Result<(), String> {
    match load_value(&Source::Builtin, tree, sets) {
        Ok(sc) => {
            let r = site::run(&sc, 0, false);
            // A night that loads must end: every DLE has a fate.
            assert!(r.dles.iter().all(|d| d.fate.is_some()));
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_hostile_value_anywhere_is_refused_or_runs(
        picks in prop::collection::vec((any::<prop::sample::Index>(), hostile()), 1..4)
    ) {
        let all = all_paths();
        let mut tree = tokyo();
        for (i, v) in picks {
            set_at(&mut tree, i.get(&all).as_slice(), v);
        }
        if let Err(msg) = load_and_run(tree, &[]) {
            // An error says where: a JSON path or the top level.
            prop_assert!(msg.contains(": "), "{msg}");
        }
    }

    #[test]
    fn hostile_overrides_are_refused_or_run(
        picks in prop::collection::vec((any::<prop::sample::Index>(), hostile()), 1..4)
    ) {
        let all = all_paths();
        let sets: Vec<String> = picks
            .into_iter()
            .map(|(i, v)| format!("{}={v}", i.get(&all).join(".")))
            .collect();
        if let Err(msg) = load_and_run(tokyo(), &sets) {
            prop_assert!(msg.contains("--set") || msg.contains(": "), "{msg}");
        }
    }

    #[test]
    fn damaged_text_is_refused_with_a_place(cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let src = portsim::scenario::builtin::TOKYO.as_bytes();
        let at = cut.index(src.len());
        let mut damaged = src.to_vec();
        damaged[at] = byte;
        for bytes in [&src[..at], &damaged[..]] {
            let Ok(s) = std::str::from_utf8(bytes) else { continue };
            match text::parse_json(s, "damaged.json") {
                Ok(tree) => { let _ = load_and_run(tree, &[]); }
                Err(e) => prop_assert!(e.to_string().starts_with("damaged.json:"), "{e}"),
            }
        }
    }
}
