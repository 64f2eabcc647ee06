use super::*;
use serde_json::{Value, json};

fn file(seed: u64, templates: Value) -> ScenarioFile {
    serde_json::from_value(json!({
        "seed": seed,
        "server": {},
        "zones": ["LAN", "DMZ"],
        "firewall": {},
        "hosts": [{"name": "mail", "zone": "DMZ", "disks": [{"name": "/", "full_gb": 1, "rate_mb_s": 1}]}],
        "host_templates": templates,
    }))
    .expect("a scenario file")
}

fn two() -> Value {
    json!([
        {"count": 30, "name": "lan-{i:03}", "zone": "LAN", "maxdumps": 2, "disks": 3,
         "full_gb": {"mean": 40, "sigma": 0.8}, "rate_mb_s": [5, 20], "estimate_s": [5, 60]},
        {"count": 10, "name": "dmz-{i}", "first": 0, "zone": "DMZ", "disks": ["/", "/var"],
         "full_gb": [1, 10], "rate_mb_s": 8}
    ])
}

fn expanded(seed: u64, templates: Value) -> Vec<HostFile> {
    let mut f = file(seed, templates);
    expand(&mut f, &|_| "test".into()).expect("the templates expand");
    assert!(
        f.host_templates.is_empty(),
        "templates are replaced by hosts"
    );
    f.hosts
}

fn json_of(hosts: &[HostFile]) -> String {
    serde_json::to_string(hosts).unwrap()
}

#[test]
fn the_same_seed_makes_the_same_hosts() {
    let a = expanded(7, two());
    assert_eq!(a.len(), 1 + 30 + 10);
    assert_eq!(a[1].name, "lan-001");
    assert_eq!(a[30].name, "lan-030");
    assert_eq!(a[31].name, "dmz-0");
    assert_eq!(a[1].disks.len(), 3);
    assert_eq!(a[1].disks[2].name, "/disk3");
    assert_eq!(a[31].disks[1].name, "/var");
    assert_eq!(a[31].maxdumps, 1, "maxdumps defaults as for listed hosts");
    assert_eq!(json_of(&a), json_of(&expanded(7, two())));
}

#[test]
fn another_seed_draws_other_sizes_and_rates() {
    let (a, b) = (expanded(7, two()), expanded(8, two()));
    let names = |h: &[HostFile]| h.iter().map(|h| h.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "names do not depend on the seed");
    let draws = |h: &[HostFile]| {
        h[1..]
            .iter()
            .flat_map(|h| h.disks.iter().map(|d| (d.full_gb, d.rate_mb_s)))
            .collect::<Vec<_>>()
    };
    let (da, db) = (draws(&a), draws(&b));
    let same = da
        .iter()
        .zip(&db)
        .filter(|(x, y)| x.0 == y.0 || x.1 == y.1)
        .count();
    // Fixed rate 8 on the DMZ template's 20 disks is the same under any seed.
    assert_eq!(same, 20, "{da:?}\n{db:?}");
}

#[test]
fn draws_follow_their_distributions() {
    let a = expanded(3, two());
    for h in &a[1..31] {
        for d in &h.disks {
            assert!((5.0..=20.0).contains(&d.rate_mb_s), "{}", d.rate_mb_s);
            assert!((5.0..=60.0).contains(&d.estimate_s), "{}", d.estimate_s);
            assert!(d.full_gb > 0.0);
        }
    }
    let sizes: Vec<f64> = a[1..31]
        .iter()
        .flat_map(|h| h.disks.iter().map(|d| d.full_gb))
        .collect();
    let mean = sizes.iter().sum::<f64>() / sizes.len() as f64;
    // 90 draws of a mean-40 log-normal with sigma 0.8: the mean's standard error is about 4.
    assert!((25.0..60.0).contains(&mean), "{mean}");
    for h in &a[31..] {
        assert_eq!(h.disks[0].rate_mb_s, 8.0);
        assert!((1.0..=10.0).contains(&h.disks[0].full_gb));
        assert_eq!(
            h.disks[0].estimate_s, 10.0,
            "estimate_s defaults as for listed disks"
        );
    }
}

#[test]
fn a_larger_count_keeps_the_hosts_already_made_and_templates_keep_to_themselves() {
    let a = expanded(7, two());
    let mut more = two();
    more[0]["count"] = json!(45);
    more[1]["full_gb"] = json!({"mean": 3, "sigma": 1});
    let b = expanded(7, more);
    assert_eq!(
        json_of(&a[..31]),
        json_of(&b[..31]),
        "the first 30 LAN hosts are unchanged"
    );
    let rates = |h: &[HostFile]| h.iter().map(|h| h.disks[0].rate_mb_s).collect::<Vec<_>>();
    assert_eq!(
        rates(&a[31..]),
        rates(&b[46..]),
        "the DMZ template's rates do not move"
    );
    assert_ne!(json_of(&a[31..]), json_of(&b[46..]), "its sizes do");
}

#[test]
fn drawn_values_read_back_from_json_exactly() {
    let mut rng = stream(11, 0, HOST_TEMPLATES);
    for spread in [
        Spread::LogNormal {
            mean: 50.0,
            sigma: 2.0,
        },
        Spread::Uniform(0.001, 1e6),
        Spread::Uniform(1e6, 1e9),
    ] {
        for _ in 0..20_000 {
            let x = thousandths(spread.draw(&mut rng));
            let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
            assert_eq!(x.to_bits(), back.to_bits(), "{x}");
        }
    }
}

#[test]
fn a_name_made_twice_names_the_template_and_the_host() {
    let mut t = two();
    t[1]["name"] = json!("lan-{i:03}");
    t[1]["first"] = json!(30);
    let mut f = file(1, t);
    let e = expand(&mut f, &|_| "f.json".into())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("host_templates[1].name")
            && e.contains("\"lan-030\"")
            && e.contains("host_templates[0] already names"),
        "{e}"
    );
    let mut t = two();
    t[1]["name"] = json!("mail{i}");
    t[1]["first"] = json!(0);
    t[1]["count"] = json!(1);
    let mut f = file(1, t);
    f.hosts[0].name = "mail0".into();
    let e = expand(&mut f, &|_| "f.json".into())
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"mail0\", which hosts[0] already names"), "{e}");
}

#[test]
fn bad_templates_name_the_field() {
    for (field, value, says) in [
        ("name", json!("lan"), "put {i}"),
        ("disks", json!(0), "at least one disk"),
        ("disks", json!(["/", "/"]), "named twice"),
        ("full_gb", json!([10, 1]), "low <= high"),
        ("full_gb", json!(0), "above 0"),
        ("rate_mb_s", json!({"mean": 5, "sigma": 3}), "sigma 0 to 2"),
        ("estimate_s", json!(-1), "0 or more"),
        ("full_gb", json!(2e9), "at most 1e9"),
        ("count", json!(70000), "at most 65535 hosts"),
    ] {
        let mut t = two();
        t[0][field] = value;
        let mut f = file(1, t);
        let e = expand(&mut f, &|_| "f.json".into())
            .unwrap_err()
            .to_string();
        let at = if field == "disks" && says == "named twice" {
            "host_templates[0].disks[1]".to_string()
        } else {
            format!("host_templates[0].{field}")
        };
        assert!(e.contains(&at) && e.contains(says), "{field}: {e}");
    }
    let mut t = two();
    t[0]["count"] = json!(60000);
    t[0]["disks"] = json!(4);
    let e = expand(&mut file(1, t), &|_| "f.json".into())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("host_templates[0].count") && e.contains("200000 DLEs"),
        "{e}"
    );
}
