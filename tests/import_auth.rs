//! `portsim import` maps the dumptypes' `auth` to `server.auth`: every DLE on bsdtcp (3.x) makes
//! a bsdtcp site, UDP DLEs keep bsdudp with a warning per TCP DLE, and kinds the model has no
//! transport for (krb5, ssh, local) are warnings naming file:line.

mod common;

use common::portsim;

use serde_json::Value;
use std::path::PathBuf;

const VERSION_351: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/import/amadmin-version-3.5.1.txt"
);

/// Writes amanda.conf (`dumptypes`: name and auth, or none) and a disklist of `dles` (host,
/// dumptype) into a fresh directory; returns their paths.
fn site(name: &str, dumptypes: &[(&str, Option<&str>)], dles: &[(&str, &str)]) -> (String, String) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("import_auth")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut conf = String::from("inparallel 4\n");
    for (dt, auth) in dumptypes {
        conf.push_str(&format!("define dumptype {dt} {{\n"));
        if let Some(a) = auth {
            conf.push_str(&format!("    auth \"{a}\"\n"));
        }
        conf.push_str("    compress none\n}\n");
    }
    let dl: String = dles.iter().map(|(h, dt)| format!("{h} / {dt}\n")).collect();
    let (c, d) = (dir.join("amanda.conf"), dir.join("disklist"));
    std::fs::write(&c, conf).unwrap();
    std::fs::write(&d, dl).unwrap();
    (c.display().to_string(), d.display().to_string())
}

/// Imports to stdout; returns the scenario and stderr.
fn import(conf: &str, dl: &str, version: Option<&str>) -> (Value, String) {
    let mut args = vec!["import", "--conf", conf, "--disklist", dl, "-o", "-"];
    if let Some(v) = version {
        args.extend_from_slice(&["--version-output", v]);
    }
    let out = portsim(&args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "import failed: {err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

fn auth_read(sc: &Value) -> Option<String> {
    sc["provenance"]["read"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "server.auth")
        .map(|r| format!("{} from {}", r["value"], r["from"]))
}

#[test]
fn every_dle_on_bsdtcp_makes_a_bsdtcp_site_in_3x() {
    let (conf, dl) = site(
        "tcp",
        &[("tcp", Some("bsdtcp")), ("kerb", Some("krb5"))],
        &[
            ("a.example.com", "tcp"),
            ("b.example.com", "tcp"),
            ("c.example.com", "kerb"),
        ],
    );
    let (sc, err) = import(&conf, &dl, Some(VERSION_351));
    assert_eq!(sc["server"]["auth"], "bsdtcp");
    let read = auth_read(&sc).unwrap();
    assert!(read.contains(&format!("{conf}:3")), "{read}");
    // krb5: a warning at its auth line; the DLE follows the site's choice.
    assert!(
        err.contains(&format!("{conf}:7: auth krb5 (for c.example.com:/)")),
        "{err}"
    );
    // The imported site runs as any bsdtcp site.
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import_auth/tcp/site.json");
    std::fs::write(&path, serde_json::to_string(&sc).unwrap()).unwrap();
    let out = portsim(&["run", "--format", "json", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_3x_dumptype_without_auth_is_bsdtcp() {
    let (conf, dl) = site("default", &[("plain", None)], &[("a.example.com", "plain")]);
    let (sc, err) = import(&conf, &dl, Some(VERSION_351));
    assert_eq!(sc["server"]["auth"], "bsdtcp");
    assert!(auth_read(&sc).unwrap().contains("3.x's default"), "{err}");
    // 2.x's default is bsd: the site stays bsdudp (the schema's default, left out).
    let (sc, _) = import(&conf, &dl, None);
    assert_eq!(sc["server"].get("auth"), None);
    assert!(auth_read(&sc).unwrap().contains("2.x's default bsd"));
}

#[test]
fn mixed_or_too_old_bsdtcp_is_bsdudp_with_a_warning_per_tcp_dle() {
    let (conf, dl) = site(
        "mixed",
        &[("tcp", Some("bsdtcp")), ("udp", Some("bsdudp"))],
        &[("a.example.com", "tcp"), ("b.example.com", "udp")],
    );
    let (sc, err) = import(&conf, &dl, Some(VERSION_351));
    assert_eq!(sc["server"].get("auth"), None, "bsdudp");
    assert!(
        err.contains(&format!(
            "{conf}:3: auth bsdtcp (for a.example.com:/); 1 other DLEs use UDP"
        )),
        "{err}"
    );
    let guessed = sc["provenance"]["guessed"].to_string();
    assert!(guessed.contains("server.auth"), "{guessed}");
    // bsdtcp on a 2.4 site: the model's bsdtcp is 3.x's.
    let (conf, dl) = site(
        "old",
        &[("tcp", Some("bsdtcp"))],
        &[("a.example.com", "tcp")],
    );
    let (sc, err) = import(&conf, &dl, None);
    assert_eq!(sc["server"].get("auth"), None);
    assert!(
        err.contains("the model's bsdtcp is Amanda 3.4 and later's, not 2.4's"),
        "{err}"
    );
}
