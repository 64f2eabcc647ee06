//! The search space: every configuration a site can change to, built as scenario transforms.

use super::{Change, STATE_TIMEOUTS};
use crate::model::config::PlannerBinding;
use crate::model::stateful::{StateConfig, StateKind};
use crate::scenario::load::with_sets;
use crate::scenario::{Scenario, Source, load_value};
use crate::study::compare::remedy::{RemedyKind, usable_ports};
use serde::Serialize;
use serde_json::{Value, json};

pub struct Candidate {
    /// Its name in reports.
    pub name: String,
    /// `as-is`, `inparallel`, or the remedy's name.
    pub family: &'static str,
    /// The settings or remedy parameters it sets.
    pub params: Value,
    /// What it changes.
    pub change: Change,
    /// The scenario it runs, or why it does not apply here.
    pub scenario: Result<Scenario, String>,
}

/// Builds remedy candidates of one scenario tree.
struct Builder<'a> {
    source: &'a Source,
    base: Value,
    sc: &'a Scenario,
}

impl Builder<'_> {
    /// `kind` applied with `params`, changing `settings` settings by `magnitude`.
    fn remedy(
        &self,
        kind: RemedyKind,
        params: Value,
        name: String,
        settings: u32,
        magnitude: u32,
    ) -> Candidate {
        let price = kind.price(self.sc);
        let mut tree = self.base.clone();
        let scenario = kind
            .apply(&mut tree, self.sc, &params)
            .and_then(|()| load_value(self.source, tree, &[]).map_err(|e| e.to_string()));
        Candidate {
            name,
            family: kind.name(),
            params,
            change: Change {
                code_change: price.code_change,
                rebuild: price.rebuild,
                firewall_change: price.firewall_change,
                settings,
                magnitude,
            },
            scenario,
        }
    }

    /// Every `inparallel` below the current one, nearest first.
    fn inparallel(&self, out: &mut Vec<Candidate>) {
        let current = self.sc.server.inparallel;
        for k in (1..current).rev() {
            out.push(Candidate {
                name: format!("inparallel {k}"),
                family: "inparallel",
                params: json!({ "server.inparallel": k }),
                change: Change {
                    settings: 1,
                    magnitude: u32::from(current - k),
                    ..Change::none()
                },
                scenario: load_value(
                    self.source,
                    self.base.clone(),
                    &[format!("server.inparallel={k}")],
                )
                .map_err(|e| e.to_string()),
            });
        }
    }

    /// The range widened one port at a time, up to inparallel + 9 ports.
    fn widen(&self, out: &mut Vec<Candidate>) {
        let Some(r) = self.sc.server.range else {
            return;
        };
        let (low, high) = (u32::from(r.low.0), u32::from(r.high.0));
        let top = (low + u32::from(self.sc.server.inparallel) + 9).min(65535);
        for h in high + 1..=top {
            out.push(self.remedy(
                RemedyKind::WidenRange,
                json!({ "range": [low, h] }),
                format!("widen-range {low}-{h}"),
                2,
                h - high,
            ));
        }
    }

    /// Each state-table kind with its defaults, then with its UDP timeouts raised.
    fn stateful(&self, out: &mut Vec<Candidate>) {
        for k in StateKind::ALL {
            out.push(self.remedy(
                RemedyKind::StatefulFirewall,
                json!({ "kind": k.name() }),
                format!("stateful-firewall {}", k.name()),
                1,
                0,
            ));
            for t in STATE_TIMEOUTS {
                if let Some((params, raised)) = raised_timeouts(k, t) {
                    out.push(self.remedy(
                        RemedyKind::StatefulFirewall,
                        params,
                        format!("stateful-firewall {}, UDP timeouts {t} s", k.name()),
                        1 + raised,
                        t as u32,
                    ));
                }
            }
        }
    }
}

/// Kind `k` with every UDP timeout below `t` seconds raised to `t` (a longer one stays), and
/// how many were raised; None when none was.
fn raised_timeouts(k: StateKind, t: u64) -> Option<(Value, u32)> {
    let d = StateConfig::for_kind(k);
    let secs = |x: crate::sim::SimDuration| x.as_secs_f64().round() as u64;
    let (first, one, two) = (
        secs(d.first).max(t),
        secs(d.one_way).max(t),
        secs(d.two_way).max(t),
    );
    let master = d.helper.map(|h| secs(h.master_timeout).max(t));
    let raised = u32::from(first != secs(d.first))
        + u32::from(one != secs(d.one_way))
        + u32::from(two != secs(d.two_way))
        + u32::from(
            master
                .zip(d.helper)
                .is_some_and(|(m, h)| m != secs(h.master_timeout)),
        );
    if raised == 0 {
        return None;
    }
    let mut params = json!({
        "kind": k.name(), "first_s": first, "one_way_s": one, "two_way_s": two
    });
    if let Some(m) = master {
        params["master_timeout_s"] = json!(m);
    }
    Some((params, raised))
}

/// Every configuration to try on `sc` (read from `source` as `tree`, the user's `--set`s
/// applied first): the scenario as it is first.
pub fn candidates(source: &Source, tree: &Value, sets: &[String], sc: &Scenario) -> Vec<Candidate> {
    let as_is = |scenario| Candidate {
        name: "as is".into(),
        family: "as-is",
        params: json!({}),
        change: Change::none(),
        scenario,
    };
    let base = match with_sets(tree.clone(), sets) {
        Ok(b) => b,
        Err(e) => return vec![as_is(Err(e.to_string()))],
    };
    let b = Builder { source, base, sc };
    let mut out = vec![as_is(Ok(sc.clone()))];
    b.inparallel(&mut out);
    b.widen(&mut out);
    for kind in [RemedyKind::RelaxFirewall, RemedyKind::ReserveForFirewalled] {
        out.push(b.remedy(kind, kind.default_params(sc), kind.name().into(), 1, 0));
    }
    b.stateful(&mut out);
    out
}

/// The range's ports and who takes them, derived from the model's binding rules.
#[derive(Clone, Debug, Serialize)]
pub struct RangePorts {
    /// `udpportrange`.
    pub range: [u16; 2],
    /// Ports in it.
    pub ports: u32,
    /// Held by other processes (`server.ports_in_use`).
    pub held: u32,
    /// Skipped because the services database names them for something else (2.5.0+).
    pub named: u32,
    /// The planner binds one before the dumpers (2.4, `server.planner = before-dumpers`).
    pub planner_holds_one: bool,
    /// An overlapping amcheck holds one all night.
    pub amcheck_holds_one: bool,
    /// What is left for the dumpers.
    pub usable: u32,
}

pub(super) fn range_ports(sc: &Scenario) -> Option<RangePorts> {
    let r = sc.server.range?;
    let ports: Vec<_> = r.iter().collect();
    let named = ports.iter().filter(|&&p| !sc.server.port_usable(p)).count() as u32;
    let held = ports
        .iter()
        .filter(|&&p| sc.server.port_usable(p) && sc.server.ports_in_use.contains(&p))
        .count() as u32;
    Some(RangePorts {
        range: [r.low.0, r.high.0],
        ports: ports.len() as u32,
        held,
        named,
        planner_holds_one: sc.server.planner == PlannerBinding::BeforeDumpers
            && sc.server.profile.eager_bind,
        amcheck_holds_one: sc.server.amcheck,
        usable: usable_ports(sc),
    })
}
