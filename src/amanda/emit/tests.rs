//! Unit tests of every renderer on a small two-zone scenario.

use super::addr::{AddrArgs, Cidr};
use super::*;
use crate::scenario::{Source, load_value};
use serde_json::{Value, json};

fn small_tree() -> Value {
    json!({
        "name": "small",
        "server": {"version": "3.5.1", "inparallel": 4, "udpportrange": [840, 849],
                   "netusage": 8000, "etimeout": 120,
                   "services": [{"port": 843, "name": "domain-s"}]},
        "zones": ["LAN", "DMZ"],
        "firewall": {"default": "drop", "rules": [
            {"name": "replies", "action": "accept", "proto": "udp", "from": "DMZ", "to": "server",
             "src_ports": 10080, "dst_ports": [840, 849]},
            {"name": "out", "action": "accept", "from": "LAN", "to": "DMZ"},
            {"name": "no \"web\"", "action": "reject", "from": "any", "to": "web1", "dst_ports": 80}
        ]},
        "hosts": [
            {"name": "web1", "zone": "DMZ", "maxdumps": 2, "disks": [
                {"name": "/", "full_gb": 1, "rate_mb_s": 1},
                {"name": "/my data", "full_gb": 1, "rate_mb_s": 1, "spindle": 1}]},
            {"name": "db", "zone": "LAN", "disks": [{"name": "/", "full_gb": 1, "rate_mb_s": 1}]}
        ]
    })
}

fn load(sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_value(&Source::Builtin, small_tree(), &sets).expect("the small scenario is valid")
}

fn addr(sc: &Scenario) -> Addressing {
    Addressing::new(sc, &AddrArgs::default()).unwrap()
}

#[test]
fn amanda_conf_has_the_settings_and_a_dumptype_per_maxdumps() {
    let sc = load(&[]);
    let c = conf::amanda_conf(&sc, "global").unwrap();
    for line in [
        "inparallel 4\n",
        "netusage 8000 kbps\n",
        "dumporder \"ttt\"\n",
        "ctimeout 30\n",
        "etimeout 120\n",
        "dtimeout 1800\n",
        "reserved-udp-port 840,849\n",
        "define dumptype portsim-maxdumps-1 {\n    global\n    auth \"bsdudp\"\n    maxdumps 1\n}\n",
        "define dumptype portsim-maxdumps-2 {\n    global\n    auth \"bsdudp\"\n    maxdumps 2\n}\n",
    ] {
        assert!(c.contains(line), "missing {line:?} in\n{c}");
    }
    assert!(
        conf::configure_flags(&sc).is_empty(),
        "3.x reads the range from amanda.conf"
    );
}

#[test]
fn two_x_takes_the_range_at_build_time() {
    let sc = load(&["server.version=\"2.4\""]);
    assert_eq!(conf::configure_flags(&sc), ["--with-udpportrange=840,849"]);
    let c = conf::amanda_conf(&sc, "global").unwrap();
    assert!(
        !c.contains("reserved-udp-port"),
        "2.x has no such key:\n{c}"
    );
    assert!(c.contains("auth \"bsd\""));
}

#[test]
fn amanda_conf_refuses_what_it_cannot_say() {
    let sc = load(&["server.reserved_ports=per-request-firewalled"]);
    match conf::amanda_conf(&sc, "global") {
        Err(EmitError::Unsupported { field, .. }) => assert_eq!(field, "server.reserved_ports"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let sc = load(&["server.etimeout=12.5"]);
    let e = conf::amanda_conf(&sc, "global").unwrap_err();
    assert!(e.to_string().starts_with("server.etimeout:"), "{e}");
}

#[test]
fn disklist_and_services() {
    let sc = load(&[]);
    assert_eq!(
        conf::disklist(&sc, |_| None),
        "web1 / portsim-maxdumps-2\nweb1 \"/my data\" portsim-maxdumps-2 1\ndb / portsim-maxdumps-1\n"
    );
    assert_eq!(
        conf::disklist(&sc, |i| Some(format!("/d/{i}")))
            .lines()
            .next(),
        Some("web1 / /d/0 portsim-maxdumps-2")
    );
    assert_eq!(conf::services(&sc), "domain-s        843/udp\n");
}

#[test]
fn nft_router_rules_name_the_scenario_rules() {
    let sc = load(&[]);
    let t = firewall(&sc, FwDialect::Nft, &addr(&sc), Placement::Router).unwrap();
    let r = &t.ruleset;
    assert!(r.contains("set zone_DMZ {\n        type ipv4_addr\n        flags interval\n        elements = { 198.18.1.0/24 }\n"), "{r}");
    assert!(
        r.contains("type filter hook forward priority 0; policy drop;"),
        "{r}"
    );
    assert!(r.contains("ip saddr @zone_DMZ ip daddr 198.18.0.1 udp sport 10080 udp dport 840-849 counter accept comment \"replies\""), "{r}");
    assert!(
        r.contains("ip saddr @zone_LAN ip daddr @zone_DMZ counter accept comment \"out\""),
        "{r}"
    );
    // "any" with a port: both protocols; the host's placeholder address; quotes cleaned.
    assert!(r.contains("meta l4proto { tcp, udp } ip daddr 198.18.1.2 th dport 80 counter reject comment \"no 'web'\""), "{r}");
    assert!(!r.contains("ct state"), "stateless:\n{r}");
    // The model filters TCP by its SYN: the rest of a connection passes, before any rule.
    assert!(
        r.contains(
            "policy drop;\n        tcp flags & (fin | syn | rst | ack) != syn counter accept"
        ),
        "{r}"
    );
    assert!(t.sysctl.is_empty() && t.modprobe.is_empty());
}

#[test]
fn nft_server_placement_accepts_its_zone_and_splits_hooks() {
    let sc = load(&["firewall.state={\"kind\":\"conntrack+helper\"}"]);
    let t = firewall(&sc, FwDialect::Nft, &addr(&sc), Placement::Server).unwrap();
    let r = &t.ruleset;
    assert!(r.contains("chain input {\n        type filter hook input priority 0; policy drop;\n        iif \"lo\" counter accept\n        ip saddr @zone_LAN counter accept"), "{r}");
    assert!(
        r.contains("ct state established,related counter accept"),
        "{r}"
    );
    assert!(
        r.contains("ip saddr @zone_DMZ udp sport 10080 udp dport 840-849 counter accept"),
        "{r}"
    );
    assert!(
        r.contains("ip daddr @zone_DMZ counter accept comment \"out\""),
        "{r}"
    );
    assert!(
        r.contains("ct helper amanda {\n        type \"amanda\" protocol udp"),
        "{r}"
    );
    assert!(r.contains("type filter hook output priority 0; policy accept;\n        ip saddr 198.18.0.1 udp dport 10080 counter ct helper set \"amanda\""), "{r}");
    // From "any": the server's own packets to web1 meet it on the way out.
    assert!(r.contains("ip daddr @zone_DMZ counter accept comment \"out\"\n        meta l4proto { tcp, udp } ip daddr 198.18.1.2 th dport 80 counter reject"), "{r}");
    // From DMZ to web1: never the server's packets.
    let sc = load(&["firewall.rules.2.from=DMZ"]);
    let r = firewall(&sc, FwDialect::Nft, &addr(&sc), Placement::Server)
        .unwrap()
        .ruleset;
    assert!(
        r.contains("# left out: no 'web': never sees the server's own packets"),
        "{r}"
    );
    assert!(!r.contains("th dport 80"), "{r}");
}

#[test]
fn iptables_writes_ports_per_protocol_and_the_helper_in_raw() {
    let sc = load(&["firewall.state={\"kind\":\"conntrack+helper\"}"]);
    let t = firewall(&sc, FwDialect::Iptables, &addr(&sc), Placement::Router).unwrap();
    let r = &t.ruleset;
    assert!(r.contains("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -s 198.18.0.1/32 -p udp -m udp --dport 10080"), "{r}");
    assert!(r.contains("-j CT --helper amanda\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"), "{r}");
    assert!(r.contains(":OUTPUT ACCEPT [0:0]\n-A FORWARD -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m comment --comment \"TCP after the SYN"), "{r}");
    assert!(
        r.contains("-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED"),
        "{r}"
    );
    assert!(r.contains("-A FORWARD -s 198.18.1.0/24 -d 198.18.0.1/32 -p udp -m udp --sport 10080 --dport 840:849 -m comment --comment \"replies\" -j ACCEPT"), "{r}");
    assert!(r.contains("-A FORWARD -d 198.18.1.2/32 -p udp -m udp --dport 80 -m comment --comment \"no 'web'\" -j REJECT\n-A FORWARD -d 198.18.1.2/32 -p tcp -m tcp --dport 80"), "{r}");
    assert!(r.ends_with("COMMIT\n"));
}

#[test]
fn conntrack_timeouts_become_sysctl_and_module_lines() {
    let sc = load(&[
        "firewall.state={\"kind\":\"conntrack+helper\",\"two_way_s\":600,\"master_timeout_s\":900}",
    ]);
    let t = firewall(&sc, FwDialect::Iptables, &addr(&sc), Placement::Router).unwrap();
    assert_eq!(
        t.sysctl,
        "net.netfilter.nf_conntrack_udp_timeout_stream = 600\n"
    );
    assert_eq!(
        t.modprobe,
        "options nf_conntrack_amanda master_timeout=900\n"
    );
    let sc = load(&["firewall.state={\"kind\":\"conntrack\",\"first_s\":60}"]);
    let e = firewall(&sc, FwDialect::Nft, &addr(&sc), Placement::Router).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("firewall.state.first_s: nft cannot express it"),
        "{e}"
    );
    let sc = load(&["firewall.state={\"kind\":\"conntrack+helper\",\"expect_timeout_s\":60}"]);
    let e = firewall(&sc, FwDialect::Nft, &addr(&sc), Placement::Router).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("firewall.state.expect_timeout_s:"),
        "{e}"
    );
}

#[test]
fn each_dialect_refuses_the_state_kinds_it_lacks() {
    for (kind, dialect, ok) in [
        ("reflexive", FwDialect::Nft, false),
        ("reflexive", FwDialect::Pf, false),
        ("pf", FwDialect::Nft, false),
        ("pf", FwDialect::Iptables, false),
        ("pf", FwDialect::Pf, true),
        ("conntrack", FwDialect::Pf, false),
        ("conntrack-pre5.0", FwDialect::Iptables, true),
    ] {
        let sc = load(&[&format!("firewall.state.kind={kind}")]);
        let r = firewall(&sc, dialect, &addr(&sc), Placement::Router);
        match r {
            Ok(_) => assert!(ok, "{kind} in {dialect:?} should be refused"),
            Err(EmitError::Unsupported { field, target, .. }) => {
                assert!(!ok, "{kind} in {dialect:?} should render");
                assert_eq!(
                    (field.as_str(), target.as_str()),
                    ("firewall.state.kind", dialect.name())
                );
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn pf_is_first_match_with_quick_and_says_no_state_unless_stateful() {
    let sc = load(&[]);
    let r = firewall(&sc, FwDialect::Pf, &addr(&sc), Placement::Router)
        .unwrap()
        .ruleset;
    assert!(
        r.contains("table <zone_DMZ> const { 198.18.1.0/24 }\n"),
        "{r}"
    );
    assert!(
        r.contains("block drop all label \"default (firewall.default)\"\n"),
        "{r}"
    );
    assert!(r.contains("pass quick proto udp from <zone_DMZ> port 10080 to $server port 840:849 no state label \"replies\""), "{r}");
    assert!(
        r.contains("block return quick proto { tcp udp } from any to 198.18.1.2 port 80 label"),
        "{r}"
    );
    assert!(!r.contains("set timeout"));
    let sc = load(&["firewall.state={\"kind\":\"pf\",\"max_entries\":5000}"]);
    let r = firewall(&sc, FwDialect::Pf, &addr(&sc), Placement::Server)
        .unwrap()
        .ruleset;
    assert!(r.contains("set timeout { udp.first 60, udp.single 30, udp.multiple 60, tcp.established 86400 }\nset limit states 5000\n"), "{r}");
    assert!(
        r.contains("pass out quick from any to <zone_DMZ> keep state label \"out\""),
        "{r}"
    );
    assert!(
        r.contains(
            "pass in quick proto udp from <zone_DMZ> port 10080 to any port 840:849 no state"
        ),
        "{r}"
    );
}

#[test]
fn addresses_from_the_command_line_replace_placeholders() {
    let sc = load(&[]);
    let a = Addressing::new(
        &sc,
        &AddrArgs {
            zones: vec!["DMZ=192.0.2.0/24,203.0.113.0/25".into()],
            hosts: vec!["web1=192.0.2.80".into()],
            server: Some("10.1.1.1".into()),
        },
    )
    .unwrap();
    let r = firewall(&sc, FwDialect::Iptables, &a, Placement::Router)
        .unwrap()
        .ruleset;
    assert!(
        r.contains("-A FORWARD -s 192.0.2.0/24,203.0.113.0/25 -d 10.1.1.1/32 -p udp"),
        "{r}"
    );
    assert!(r.contains("-d 192.0.2.80/32 -p tcp"), "{r}");
    assert!(a.placeholders.iter().any(|p| p.starts_with("zone LAN")));
    assert!(
        !a.placeholders
            .iter()
            .any(|p| p.starts_with("zone DMZ") || p.starts_with("server"))
    );
    for bad in ["DMZ", "WAN=10.0.0.0/8", "DMZ=10.0.0.0/40"] {
        let e = Addressing::new(
            &sc,
            &AddrArgs {
                zones: vec![bad.into()],
                ..Default::default()
            },
        );
        assert!(matches!(e, Err(EmitError::Address { .. })), "{bad}");
    }
}

#[test]
fn lab_files_follow_the_contract_and_refuse_what_the_lab_lacks() {
    let sc = load(&[]);
    let opt = lab::LabOptions {
        net: Cidr::parse("10.251.0.0/24").unwrap(),
        data_root: "/srv/lab".into(),
    };
    let files = lab::files(&sc, &opt).unwrap();
    let get =
        |n: &str| String::from_utf8(files.iter().find(|(f, _)| f == n).unwrap().1.clone()).unwrap();
    assert!(get("lab.env").contains("LAB_RANGE='840,849'\n"));
    assert!(get("lab.env").contains("LAB_HOST_1_NAME='web1'\nLAB_HOST_1_IP='10.251.0.2'\nLAB_HOST_1_ZONE='DMZ'\nLAB_HOST_1_FIREWALLED='1'\n"));
    assert_eq!(
        get("hosts"),
        "10.251.0.1 server.sim server\n10.251.0.2 web1\n10.251.0.3 db\n"
    );
    assert!(get("disklist").starts_with("web1 / /srv/lab/web1/d01 portsim-maxdumps-2\nweb1 \"/my data\" /srv/lab/web1/d02 portsim-maxdumps-2 1\ndb / /srv/lab/db/d01 "));
    assert!(get("amanda-site.conf").contains("    lab-base\n    auth \"bsdudp\"\n"));
    assert!(get("nft.conf").contains("set zone_LAN {\n        type ipv4_addr\n        flags interval\n        elements = { 10.251.0.1, 10.251.0.3 }"));
    assert!(get("services.add").starts_with(
        "\n# portsim lab-config: bsdudp needs amanda/udp\namanda          10080/udp\n"
    ));
    assert!(get("services.add").ends_with("domain-s        843/udp\n"));
    assert!(get("lab.env").contains("LAB_AUTH='bsdudp'\n"));
    // bsdtcp: the dumptypes, the harness's inetd service and the services entry follow it.
    let tcp = lab::files(
        &load(&["server.version=\"3.5.1\"", "server.auth=bsdtcp"]),
        &opt,
    )
    .unwrap();
    let get =
        |n: &str| String::from_utf8(tcp.iter().find(|(f, _)| f == n).unwrap().1.clone()).unwrap();
    assert!(get("lab.env").contains("LAB_AUTH='bsdtcp'\n"));
    assert!(get("amanda-site.conf").contains("    lab-base\n    auth \"bsdtcp\"\n"));
    assert!(!get("amanda-site.conf").contains("bsdudp"));
    assert!(get("services.add").starts_with(
        "\n# portsim lab-config: bsdtcp needs amanda/tcp\namanda          10080/tcp\n"
    ));
    for (set, field) in [
        ("server.version=\"2.4\"", "server.version"),
        ("server.udpportrange=[40000,40010]", "server.udpportrange"),
        ("server.rescan_limit=50", "server.rescan_limit"),
        ("server.amcheck=true", "server.amcheck"),
        ("hosts.1.name=\"db server\"", "hosts[1].name"),
        ("firewall.state.kind=pf", "firewall.state.kind"),
        (
            "firewall.state={\"kind\":\"conntrack\",\"max_entries\":10}",
            "firewall.state.max_entries",
        ),
    ] {
        match lab::files(&load(&[set]), &opt) {
            Err(EmitError::Unsupported { field: f, .. }) => assert_eq!(f, field, "{set}"),
            other => panic!("{set}: expected a refusal, got {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn zone_names_that_clean_to_one_set_name_are_refused() {
    let mut t = small_tree();
    t["zones"] = json!(["LAN", "DMZ", "D_MZ", "D-MZ"]);
    let sc = load_value(&Source::Builtin, t, &[]).unwrap();
    let e = firewall(&sc, FwDialect::Nft, &addr(&sc), Placement::Router).unwrap_err();
    assert!(
        e.to_string().starts_with("zones[3]: nft cannot express it"),
        "{e}"
    );
}
