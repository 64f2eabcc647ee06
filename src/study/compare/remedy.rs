//! The five remedies as data: each is a transform of the scenario's JSON tree, with parameters
//! a user can override (`--remedy-set widen-range.range=[850,880]`). The model never asks which
//! remedy runs; it only sees the transformed scenario.

use crate::model::config::PlannerBinding;
use crate::scenario::{Scenario, load::SetArg};
use serde::Serialize;
use serde_json::{Value, json};

/// A remedy from MODEL.md section 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemedyKind {
    /// Widen `udpportrange` and the firewall's hole so that every dumper fits.
    WidenRange,
    /// Lower `inparallel` to the usable ports of the range.
    LowerInparallel,
    /// Accept UDP from source port 10080 to any server port.
    RelaxFirewall,
    /// Bind a range port per request, only for firewalled clients.
    ReserveForFirewalled,
    /// Accept replies of flows the server opened (connection tracking).
    StatefulFirewall,
}

/// What applying a remedy costs besides what the simulation measures.
#[derive(Clone, Debug, Serialize)]
pub struct Price {
    /// Amanda must be rebuilt.
    pub rebuild: bool,
    /// The firewall's configuration changes.
    pub firewall_change: bool,
    /// Amanda's code changes.
    pub code_change: bool,
    /// In words.
    pub note: String,
}

impl RemedyKind {
    /// Every remedy, in the order reports list them.
    pub const ALL: [RemedyKind; 5] = [
        RemedyKind::WidenRange,
        RemedyKind::LowerInparallel,
        RemedyKind::RelaxFirewall,
        RemedyKind::ReserveForFirewalled,
        RemedyKind::StatefulFirewall,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            RemedyKind::WidenRange => "widen-range",
            RemedyKind::LowerInparallel => "lower-inparallel",
            RemedyKind::RelaxFirewall => "relax-firewall",
            RemedyKind::ReserveForFirewalled => "reserve-for-firewalled",
            RemedyKind::StatefulFirewall => "stateful-firewall",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<RemedyKind> {
        RemedyKind::ALL.into_iter().find(|r| r.name() == s)
    }

    /// One line for `portsim remedies`.
    pub fn summary(self) -> &'static str {
        match self {
            RemedyKind::WidenRange => {
                "widen udpportrange and the firewall hole (default 850-875, new ports named for amanda in services)"
            }
            RemedyKind::LowerInparallel => {
                "set inparallel to the number of usable ports in the range"
            }
            RemedyKind::RelaxFirewall => "accept UDP from source port 10080 to any server port",
            RemedyKind::ReserveForFirewalled => {
                "patch Amanda: bind a range port per request, only for firewalled clients; wait while none is free"
            }
            RemedyKind::StatefulFirewall => {
                "replace the static hole with connection tracking (kind conntrack, conntrack+helper, reflexive or pf)"
            }
        }
    }

    /// Its parameters and their defaults for `sc`, as a JSON object.
    pub fn default_params(self, sc: &Scenario) -> Value {
        match self {
            RemedyKind::WidenRange => {
                let low = sc.server.range.map_or(850, |r| u32::from(r.low.0));
                // Room for every dumper, the planner and amcheck, plus a few spare (850-875 for 20).
                let want = u32::from(sc.server.inparallel) + 6;
                let high = sc
                    .server
                    .range
                    .map_or(0, |r| u32::from(r.high.0))
                    .max(low + want - 1);
                json!({ "range": [low, high] })
            }
            RemedyKind::LowerInparallel => json!({}),
            RemedyKind::RelaxFirewall => json!({ "source_port": 10080 }),
            RemedyKind::ReserveForFirewalled => json!({}),
            RemedyKind::StatefulFirewall => json!({ "kind": "conntrack" }),
        }
    }

    /// The operational price, for the report.
    pub fn price(self, sc: &Scenario) -> Price {
        // 2.x takes the range at build time (--with-udpportrange); 3.x reads it from amanda.conf.
        let built_in = sc.file.server.version.starts_with("2.");
        match self {
            RemedyKind::WidenRange => Price {
                rebuild: built_in,
                firewall_change: true,
                code_change: false,
                note: "rebuild with --with-udpportrange (2.x), widen the firewall hole, check the new ports against the services database (873 is rsync)".into(),
            },
            RemedyKind::LowerInparallel => Price {
                rebuild: false,
                firewall_change: false,
                code_change: false,
                note: "one line of amanda.conf; fewer dumps at once".into(),
            },
            RemedyKind::RelaxFirewall => Price {
                rebuild: false,
                firewall_change: true,
                code_change: false,
                note: "one firewall rule; anyone who sets source port 10080 reaches every server UDP port".into(),
            },
            RemedyKind::ReserveForFirewalled => Price {
                rebuild: true,
                firewall_change: false,
                code_change: true,
                note: "a patch to Amanda's dumper and protocol code, maintained locally".into(),
            },
            RemedyKind::StatefulFirewall => Price {
                rebuild: false,
                firewall_change: true,
                code_change: false,
                note: "a stateful filter; its UDP timeouts must outlast the longest silent estimate (the amanda helper for conntrack)".into(),
            },
        }
    }

    /// Applies the remedy with `params` to the scenario tree `v` (whose validated form is `sc`).
    pub fn apply(self, v: &mut Value, sc: &Scenario, params: &Value) -> Result<(), String> {
        match self {
            RemedyKind::WidenRange => widen_range(v, sc, params),
            RemedyKind::LowerInparallel => {
                let usable = usable_ports(sc);
                if usable == 0 {
                    return Err("the range has no usable port: lower-inparallel cannot help".into());
                }
                v["server"]["inparallel"] = json!(usable);
                Ok(())
            }
            RemedyKind::RelaxFirewall => relax_firewall(v, sc, params),
            RemedyKind::ReserveForFirewalled => {
                if sc.server.range.is_none() {
                    return Err("needs server.udpportrange".into());
                }
                v["server"]["reserved_ports"] = json!("per-request-firewalled");
                Ok(())
            }
            RemedyKind::StatefulFirewall => stateful(v, sc, params),
        }
    }
}

/// Ports of the range a dumper can actually get: usable per the services rule, not held by
/// another process, and not taken by a planner that binds first (2.4 eager binding) or by an
/// amcheck that holds one all night.
pub fn usable_ports(sc: &Scenario) -> u32 {
    let Some(range) = sc.server.range else {
        return 0;
    };
    let free = range
        .iter()
        .filter(|&p| sc.server.port_usable(p) && !sc.server.ports_in_use.contains(&p))
        .count() as u32;
    let planner_first =
        sc.server.planner == PlannerBinding::BeforeDumpers && sc.server.profile.eager_bind;
    free.saturating_sub(u32::from(planner_first) + u32::from(sc.server.amcheck))
}

/// Indices of the rules that open the Amanda hole: accept UDP (or any) from source port 10080
/// to the server (or its zone) on the range's ports.
fn hole_rules(v: &Value, sc: &Scenario) -> Vec<usize> {
    let server_zone = &sc.zones[usize::from(sc.server.zone.0)];
    let Some(rules) = v["firewall"]["rules"].as_array() else {
        return Vec::new();
    };
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let proto = r["proto"].as_str().unwrap_or("any");
            let to = r["to"].as_str().unwrap_or("");
            r["action"] == "accept"
                && proto != "tcp"
                && (to == "server" || to == server_zone)
                && ports_contain(&r["src_ports"], 10080)
                && !r["dst_ports"].is_null()
        })
        .map(|(i, _)| i)
        .collect()
}

fn ports_contain(v: &Value, p: u64) -> bool {
    match v {
        Value::Null => true,
        Value::Number(n) => n.as_u64() == Some(p),
        Value::Array(a) if a.len() == 2 => {
            a[0].as_u64().is_some_and(|l| l <= p) && a[1].as_u64().is_some_and(|h| p <= h)
        }
        _ => false,
    }
}

fn widen_range(v: &mut Value, sc: &Scenario, params: &Value) -> Result<(), String> {
    let range = params["range"]
        .as_array()
        .filter(|a| a.len() == 2)
        .and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?)))
        .ok_or("widen-range.range must be [low, high]")?;
    let holes = hole_rules(v, sc);
    if holes.is_empty() {
        return Err(
            "no firewall rule accepts UDP from source port 10080 to the server: nothing to widen"
                .into(),
        );
    }
    let old = sc.server.range;
    v["server"]["udpportrange"] = json!([range.0, range.1]);
    for i in holes {
        v["firewall"]["rules"][i]["dst_ports"] = json!([range.0, range.1]);
    }
    // The site names its new ports for amanda in the services database; a port another
    // service already names (873: rsync) keeps that name, as getservbyport returns the first.
    let services = v["server"]
        .as_object_mut()
        .expect("server is an object")
        .entry("services")
        .or_insert_with(|| json!([]));
    let named: Vec<u64> = services
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["port"].as_u64()).collect())
        .unwrap_or_default();
    if let Some(list) = services.as_array_mut() {
        for p in range.0..=range.1 {
            let was_in_range =
                old.is_some_and(|r| (u64::from(r.low.0)..=u64::from(r.high.0)).contains(&p));
            if !was_in_range && !named.contains(&p) {
                list.push(json!({ "port": p, "name": "amanda" }));
            }
        }
    }
    Ok(())
}

fn relax_firewall(v: &mut Value, sc: &Scenario, params: &Value) -> Result<(), String> {
    let src = params["source_port"].as_u64().unwrap_or(10080);
    let holes = hole_rules(v, sc);
    if holes.is_empty() {
        return Err(
            "no firewall rule accepts UDP from source port 10080 to the server: nothing to relax"
                .into(),
        );
    }
    for i in holes {
        let rule = v["firewall"]["rules"][i]
            .as_object_mut()
            .expect("rule is an object");
        rule.remove("dst_ports");
        rule.insert("src_ports".into(), json!(src));
    }
    Ok(())
}

fn stateful(v: &mut Value, sc: &Scenario, params: &Value) -> Result<(), String> {
    let holes = hole_rules(v, sc);
    let rules = v["firewall"]["rules"]
        .as_array_mut()
        .ok_or("the scenario has no firewall rules")?;
    // The static hole goes; replies are let in by the state table instead.
    for i in holes.into_iter().rev() {
        rules.remove(i);
    }
    let mut state = params.clone();
    if state.get("kind").is_none() {
        state["kind"] = json!("conntrack");
    }
    v["firewall"]["state"] = state;
    Ok(())
}

/// A remedy with its parameters.
#[derive(Clone, Debug, Serialize)]
pub struct Remedy {
    /// Which remedy.
    pub kind: RemedyKind,
    /// Its parameters (defaults merged with overrides).
    pub params: Value,
}

impl Remedy {
    /// `kind` with its defaults for `sc`, then the `--remedy-set NAME.KEY=VALUE` overrides for it.
    pub fn with_overrides(kind: RemedyKind, sc: &Scenario, sets: &[SetArg]) -> Remedy {
        let mut params = kind.default_params(sc);
        for s in sets
            .iter()
            .filter(|s| s.path.first().map(String::as_str) == Some(kind.name()))
        {
            if let Some(key) = s.path.get(1) {
                params[key.as_str()] = s.value.clone();
            }
        }
        Remedy { kind, params }
    }
}

/// A remedy as named on the command line: `NAME[:KEY=VALUE]...`, the parameters for this
/// instance only, so that one comparison can hold `stateful-firewall` twice with two kinds.
#[derive(Clone, Debug)]
pub struct RemedySpec {
    /// Which remedy.
    pub kind: RemedyKind,
    /// Its own parameters, as `REMEDY.KEY=VALUE` overrides.
    pub params: Vec<SetArg>,
}

impl RemedySpec {
    /// Parses `NAME[:KEY=VALUE]...` (values are JSON, or else strings).
    pub fn parse(s: &str) -> Result<RemedySpec, String> {
        let mut parts = s.split(':');
        let name = parts.next().unwrap_or_default();
        let kind = RemedyKind::parse(name).ok_or_else(|| {
            let names: Vec<&str> = RemedyKind::ALL.iter().map(|k| k.name()).collect();
            format!(
                "unknown remedy {name:?}; the remedies are {}",
                names.join(", ")
            )
        })?;
        let params = parts
            .map(|p| {
                if !p.contains('=') {
                    return Err(format!("{p:?}: write KEY=VALUE after the remedy's name"));
                }
                SetArg::parse(&format!("{name}.{p}")).map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RemedySpec { kind, params })
    }

    /// The variant's name in reports: the remedy's, with its own parameters if any.
    pub fn label(&self) -> String {
        if self.params.is_empty() {
            return self.kind.name().into();
        }
        let kv: Vec<String> = self
            .params
            .iter()
            .map(|p| format!("{}={}", p.path[1..].join("."), plain(&p.value)))
            .collect();
        format!("{}[{}]", self.kind.name(), kv.join(","))
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_with_parameters() {
        let s = RemedySpec::parse("stateful-firewall:kind=conntrack+helper").unwrap();
        assert_eq!(s.kind, RemedyKind::StatefulFirewall);
        assert_eq!(s.label(), "stateful-firewall[kind=conntrack+helper]");
        assert_eq!(s.params[0].path, ["stateful-firewall", "kind"]);
        let w = RemedySpec::parse("widen-range:range=[850,880]").unwrap();
        assert_eq!(w.label(), "widen-range[range=[850,880]]");
        assert!(RemedySpec::parse("widen").is_err());
        assert!(RemedySpec::parse("widen-range:range").is_err());
    }
}
