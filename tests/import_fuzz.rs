//! Mangled input never panics any of `import`'s parsers: each fixture is cut, spliced and
//! sprinkled with the characters each format gives meaning to, then parsed (and, when it still
//! parses, mapped onto zones). Errors are fine; panics are not. 256 cases per parser by
//! default; `PROPTEST_CASES=n` changes it.

use portsim::amanda::import::conf::Conf;
use portsim::amanda::import::fw::{Ruleset, Site};
use portsim::amanda::import::source::SourceText;
use portsim::amanda::import::zones::{Zones, parse_hosts, parse_zone_flag};
use portsim::amanda::import::{Options, disklist, import, iptables, nft, pf, version};
use proptest::prelude::*;
use proptest::test_runner::Config;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import");

fn read(p: &str) -> String {
    std::fs::read_to_string(format!("{FIX}/{p}")).unwrap()
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// One edit: at a fraction of the text, delete some characters, insert a string, or cut.
#[derive(Clone, Debug)]
enum Edit {
    Delete(f64, usize),
    Insert(f64, String),
    Truncate(f64),
    Duplicate(f64, f64),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let special = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("#".to_string()),
        Just(",".to_string()),
        Just("\n".to_string()),
        Just("-".to_string()),
        Just("!".to_string()),
        Just("<".to_string()),
        Just(">".to_string()),
        Just(":".to_string()),
        Just("/".to_string()),
        Just("$".to_string()),
        Just("é".to_string()),
        Just("99999999999999999999".to_string()),
        Just("-1".to_string()),
        Just("0/0".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("null".to_string()),
        "[ -~]{0,8}",
    ];
    let edit = prop_oneof![
        (0.0..1.0, 1usize..20).prop_map(|(a, n)| Edit::Delete(a, n)),
        (0.0..1.0, special).prop_map(|(a, s)| Edit::Insert(a, s)),
        (0.0..1.0).prop_map(Edit::Truncate),
        (0.0..1.0, 0.0..1.0).prop_map(|(a, b)| Edit::Duplicate(a, b)),
    ];
    prop::collection::vec(edit, 1..8)
}

fn at(s: &str, frac: f64) -> usize {
    let mut i = ((s.len() as f64) * frac) as usize;
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mangle(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    for e in edits {
        match e {
            Edit::Delete(a, n) => {
                let i = at(&s, *a);
                let j = at(&s, ((i + n) as f64 / s.len().max(1) as f64).min(1.0)).max(i);
                s.replace_range(i..j, "");
            }
            Edit::Insert(a, t) => {
                let i = at(&s, *a);
                s.insert_str(i, t);
            }
            Edit::Truncate(a) => {
                let i = at(&s, *a);
                s.truncate(i);
            }
            Edit::Duplicate(a, b) => {
                let (i, j) = (at(&s, a.min(*b)), at(&s, a.max(*b)));
                let piece = s[i..j].to_string();
                s.insert_str(j, &piece);
            }
        }
    }
    s
}

fn zones() -> Zones {
    Zones {
        flags: [
            "DMZ=192.0.2.0/24",
            "LAN=10.1.0.0/24",
            "LAB=*.lab",
            "DMZ=if:eth1",
        ]
        .iter()
        .map(|z| parse_zone_flag(z).unwrap())
        .collect(),
        hosts: parse_hosts(&SourceText::inline("hosts", &read("incident/hosts"))).unwrap(),
    }
}

fn map(rs: &Ruleset) {
    let z = zones();
    let clients = vec![
        ("www1".to_string(), Some(0xC000_020A)),
        ("db1".to_string(), None),
    ];
    let names = vec!["LAN".to_string(), "DMZ".to_string(), "LAB".to_string()];
    for server_addr in [None, Some(0x0A01_0005)] {
        let _ = rs.map(&Site {
            zones: &z,
            server_zone: "LAN",
            server_addr,
            clients: &clients,
            zone_names: &names,
        });
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn amanda_conf_and_disklist(e1 in edits(), e2 in edits()) {
        let conf = mangle(&(read("incident/amanda.conf") + &read("incident/dumptypes.conf")), &e1);
        if let Ok(mut c) = Conf::parse(&SourceText::inline("amanda.conf", &conf)) {
            for p in c.params.values() {
                let _ = (p.number("x"), p.string("x"), p.range("x"), p.boolean("x"));
            }
            let dl = mangle(&read("incident/disklist"), &e2);
            let _ = disklist::parse(&SourceText::inline("disklist", &dl), &mut c);
        }
        let shipped = mangle(&read("shipped/amanda.conf"), &e2);
        if let Ok(mut c) = Conf::parse(&SourceText::inline("amanda.conf", &shipped)) {
            let dl = mangle(&read("shipped/disklist"), &e1);
            let _ = disklist::parse(&SourceText::inline("disklist", &dl), &mut c);
        }
    }

    #[test]
    fn whole_import(e1 in edits(), e2 in edits(), e3 in edits()) {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("import-fuzz");
        std::fs::create_dir_all(&dir).unwrap();
        let put = |name: &str, text: String| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let conf = put("amanda.conf", mangle(&read("incident/amanda.conf"), &e1));
        put("dumptypes.conf", mangle(&read("incident/dumptypes.conf"), &e2));
        let disklist = put("disklist", mangle(&read("incident/disklist"), &e3));
        let firewall = put("fw", mangle(&read("incident/iptables-save.txt"), &e2));
        let version = put("version", mangle(&read("amadmin-version-3.5.1.txt"), &e3));
        let opts = Options {
            conf,
            disklist,
            version_output: Some(version),
            firewall: Some(firewall),
            zones: vec!["DMZ=192.0.2.0/24".into(), "LAN=*".into()],
            server_zone: Some("LAN".into()),
            ..Options::default()
        };
        let _ = import(&opts);
    }

    #[test]
    fn iptables_save(e in edits()) {
        let text = mangle(&read("incident/iptables-save.txt"), &e);
        if let Ok(rs) = iptables::parse(&SourceText::inline("ipt", &text)) {
            map(&rs);
        }
    }

    #[test]
    fn nft_json(e in edits()) {
        let text = mangle(&read("incident/nft-ruleset.json"), &e);
        if let Ok(rs) = nft::parse(&SourceText::inline("nft", &text)) {
            map(&rs);
        }
    }

    #[test]
    fn pf_conf(e in edits()) {
        let text = mangle(&read("incident/pf.conf"), &e);
        if let Ok(rs) = pf::parse(&SourceText::inline("pf", &text)) {
            map(&rs);
        }
    }

    #[test]
    fn version_output_hosts_and_zone_flags(e in edits(), flag in "[ -~]{0,24}") {
        for f in ["incident/amadmin-version-2.4.txt", "amadmin-version-3.5.1.txt"] {
            let text = mangle(&read(f), &e);
            if let Ok(b) = version::parse(&SourceText::inline("v", &text))
                && let Some((r, _)) = b.release
            {
                let _ = version::profile_for(&r);
            }
        }
        let _ = parse_hosts(&SourceText::inline("hosts", &mangle(&read("incident/hosts"), &e)));
        let _ = parse_zone_flag(&flag);
        let _ = version::profile_for(&flag);
    }
}
