//! `portsim plan`: search what a site can change for the configuration that meets a target at
//! the least cost.
//!
//! The search space is what an administrator can actually change: `inparallel` (every value
//! below the current one), the range's width (widen-range to each high end up to inparallel + 9
//! ports), the other remedies, and each state-table kind with its default and longer UDP
//! timeouts. Every candidate first runs a few screening nights; one night that misses the target
//! rejects it for good, so the planner never recommends a configuration that failed in any night
//! it ran. The survivors run the remaining nights, all on common random numbers, and are ranked
//! by the cost asked for; a difference counts only when its paired 95% interval leaves out 0,
//! otherwise the next criterion decides.

use super::nights::{self, NightMeasures};
use crate::model::config::PlannerBinding;
use crate::model::measures::MEASURE_NAMES;
use crate::model::stateful::{StateConfig, StateKind};
use crate::scenario::load::with_sets;
use crate::scenario::{Scenario, Source, load_value};
use crate::study::compare::remedy::{RemedyKind, usable_ports};
use crate::study::compare::stats::Interval;
use serde::Serialize;
use serde_json::{Value, json};

/// The schema name of `plan --format json`.
pub const PLAN_SCHEMA: &str = "portsim.plan/1";

/// Nights every candidate runs before the rest: enough that a configuration losing in one night
/// of ten is caught with 95% probability (0.9^30 = 4%).
pub const SCREEN_NIGHTS: usize = 30;

/// UDP timeouts (seconds) the planner tries for each state-table kind, above the kind's defaults.
pub const STATE_TIMEOUTS: [u64; 6] = [60, 120, 300, 600, 900, 1800];

/// What must hold in every night.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// No DLE lost (`lost=0`).
    Lost,
    /// No failed attempt either, not even a retried one (`failed=0`).
    Failed,
}

impl Target {
    /// How to write a target, for error messages.
    pub const SYNTAX: &'static str =
        "write lost=0 (no DLE lost in any night) or failed=0 (no failed attempt either)";

    /// Parses `lost=0` or `failed=0`.
    pub fn parse(s: &str) -> Result<Target, String> {
        let Some((m, v)) = s.split_once('=') else {
            return Err(format!("{s:?} has no '=': {}", Target::SYNTAX));
        };
        let target = match m.trim() {
            "lost" => Target::Lost,
            "failed" => Target::Failed,
            other => return Err(format!("unknown measure {other:?}: {}", Target::SYNTAX)),
        };
        if v.trim().parse::<f64>().ok() != Some(0.0) {
            return Err(format!(
                "{m}={v}: the planner promises zero in every night, nothing else: {}",
                Target::SYNTAX
            ));
        }
        Ok(target)
    }

    /// The target as written.
    pub fn name(self) -> &'static str {
        match self {
            Target::Lost => "lost=0",
            Target::Failed => "failed=0",
        }
    }

    /// Whether one night met it.
    pub fn met(self, n: &NightMeasures) -> bool {
        match self {
            Target::Lost => n.measures.failed_dles == 0.0,
            Target::Failed => n.measures.failed_attempts == 0.0,
        }
    }

    /// What a night that misses it did, in words.
    fn miss(self) -> &'static str {
        match self {
            Target::Lost => "lost a DLE",
            Target::Failed => "had a failed attempt",
        }
    }
}

/// The cost the recommendation minimises; the others break ties in a fixed order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Minimize {
    /// The backup window; then exposure, then change.
    Window,
    /// Pinhole port-hours and reachable ports; then window, then change.
    Exposure,
    /// What must change (code, rebuild, firewall, settings); then window, then exposure.
    Change,
}

/// What a configuration changes, ordered from cheapest: a code change is worse than a rebuild,
/// a rebuild worse than a firewall change, and then the more settings and the larger the step.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// Amanda's code changes.
    pub code_change: bool,
    /// Amanda must be rebuilt.
    pub rebuild: bool,
    /// The firewall's configuration changes.
    pub firewall_change: bool,
    /// Settings changed (amanda.conf lines, firewall parameters).
    pub settings: u32,
    /// How far they move (dumpers removed, ports added, timeouts raised).
    pub magnitude: u32,
}

impl Change {
    fn none() -> Change {
        Change {
            code_change: false,
            rebuild: false,
            firewall_change: false,
            settings: 0,
            magnitude: 0,
        }
    }

    /// The price in words: "configuration only", "rebuild, firewall change".
    pub fn words(&self) -> String {
        let mut parts = Vec::new();
        if self.code_change {
            parts.push("code change");
        }
        if self.rebuild {
            parts.push("rebuild");
        }
        if self.firewall_change {
            parts.push("firewall change");
        }
        if parts.is_empty() {
            parts.push(if self.settings == 0 {
                "nothing"
            } else {
                "configuration only"
            });
        }
        parts.join(", ")
    }
}

/// One configuration the planner tries.
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

/// Every configuration to try on `sc` (read from `source` as `tree`, the user's `--set`s
/// applied first): the scenario as it is first.
pub fn candidates(source: &Source, tree: &Value, sets: &[String], sc: &Scenario) -> Vec<Candidate> {
    let base = match with_sets(tree.clone(), sets) {
        Ok(b) => b,
        Err(e) => {
            return vec![Candidate {
                name: "as is".into(),
                family: "as-is",
                params: json!({}),
                change: Change::none(),
                scenario: Err(e.to_string()),
            }];
        }
    };
    let mut out = vec![Candidate {
        name: "as is".into(),
        family: "as-is",
        params: json!({}),
        change: Change::none(),
        scenario: Ok(sc.clone()),
    }];
    let current = sc.server.inparallel;
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
            scenario: load_value(source, base.clone(), &[format!("server.inparallel={k}")])
                .map_err(|e| e.to_string()),
        });
    }
    let remedy = |kind: RemedyKind, params: Value, name: String, settings: u32, magnitude: u32| {
        let price = kind.price(sc);
        let mut tree = base.clone();
        let scenario = kind
            .apply(&mut tree, sc, &params)
            .and_then(|()| load_value(source, tree, &[]).map_err(|e| e.to_string()));
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
    };
    if let Some(r) = sc.server.range {
        let (low, high) = (u32::from(r.low.0), u32::from(r.high.0));
        let top = (low + u32::from(current) + 9).min(65535);
        for h in high + 1..=top {
            out.push(remedy(
                RemedyKind::WidenRange,
                json!({ "range": [low, h] }),
                format!("widen-range {low}-{h}"),
                2,
                h - high,
            ));
        }
    }
    for kind in [RemedyKind::RelaxFirewall, RemedyKind::ReserveForFirewalled] {
        out.push(remedy(
            kind,
            kind.default_params(sc),
            kind.name().into(),
            1,
            0,
        ));
    }
    for k in StateKind::ALL {
        let d = StateConfig::for_kind(k);
        out.push(remedy(
            RemedyKind::StatefulFirewall,
            json!({ "kind": k.name() }),
            format!("stateful-firewall {}", k.name()),
            1,
            0,
        ));
        let secs = |x: crate::sim::SimDuration| x.as_secs_f64().round() as u64;
        for t in STATE_TIMEOUTS {
            // Raise every UDP timeout below t to t; a timeout already longer stays.
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
                continue;
            }
            let mut params = json!({
                "kind": k.name(), "first_s": first, "one_way_s": one, "two_way_s": two
            });
            if let Some(m) = master {
                params["master_timeout_s"] = json!(m);
            }
            out.push(remedy(
                RemedyKind::StatefulFirewall,
                params,
                format!("stateful-firewall {}, UDP timeouts {t} s", k.name()),
                1 + raised,
                t as u32,
            ));
        }
    }
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

fn range_ports(sc: &Scenario) -> Option<RangePorts> {
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

/// One measure of a candidate.
#[derive(Clone, Debug, Serialize)]
pub struct CandidateMeasure {
    /// Measure name (compare's).
    pub measure: &'static str,
    /// Mean, sd and interval over the nights it ran.
    #[serde(flatten)]
    pub stats: Interval,
}

/// Where a candidate ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Met the target in every night and won.
    Recommended,
    /// Met the target in every night, lost on cost.
    RunnerUp,
    /// Missed the target in some night.
    Missed,
    /// Cannot be applied to this scenario.
    NotApplicable,
}

/// A candidate's results.
#[derive(Clone, Debug, Serialize)]
pub struct CandidateReport {
    /// Its name.
    pub name: String,
    /// `as-is`, `inparallel`, or the remedy's name.
    pub family: &'static str,
    /// The settings or remedy parameters.
    pub params: Value,
    /// What it changes.
    pub change: Change,
    /// Where it ended.
    pub verdict: Verdict,
    /// Nights run (screening nights only when it missed there).
    pub nights: usize,
    /// Nights that missed the target.
    pub nights_missed: usize,
    /// Why it lost, did not apply, or won.
    pub why: String,
    /// compare's measures over the nights it ran (empty when not applicable).
    pub measures: Vec<CandidateMeasure>,
}

impl CandidateReport {
    /// The mean of `measure`.
    pub fn mean(&self, measure: &str) -> Option<f64> {
        self.measures
            .iter()
            .find(|m| m.measure == measure)
            .map(|m| m.stats.mean)
    }
}

/// The claim behind a recommendation: so many nights, none missed.
#[derive(Clone, Debug, Serialize)]
pub struct Claim {
    /// Nights the configuration ran.
    pub nights: usize,
    /// Nights that missed the target: always 0.
    pub missed: usize,
    /// One-sided 95% upper bound on the chance that a night misses (exact; about 3/nights, the rule of three).
    pub upper_per_night: f64,
    /// In words.
    pub text: String,
}

impl Claim {
    /// The claim for `nights` clean nights of `target`.
    pub fn of(nights: usize, target: Target) -> Claim {
        // P(0 misses in n nights) = (1-p)^n = 0.05 gives p = 1 - 0.05^(1/n), about 3/n.
        let upper = 1.0 - 0.05f64.powf(1.0 / nights as f64);
        let what = match target {
            Target::Lost => "losses",
            Target::Failed => "failed attempts",
        };
        Claim {
            nights,
            missed: 0,
            upper_per_night: upper,
            text: format!(
                "0 {what} in {nights} nights: < {} per night at 95%",
                percent(upper)
            ),
        }
    }
}

fn percent(p: f64) -> String {
    let x = 100.0 * p;
    if x >= 10.0 {
        format!("{x:.0}%")
    } else if x >= 1.0 {
        format!("{:.1}%", (x * 10.0).ceil() / 10.0)
    } else {
        format!("{:.2}%", (x * 100.0).ceil() / 100.0)
    }
}

/// A whole plan.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// Always [`PLAN_SCHEMA`].
    pub schema: &'static str,
    /// portsim's version.
    pub portsim: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// The seed that reproduces every number.
    pub seed: u64,
    /// What must hold in every night.
    pub target: &'static str,
    /// The cost minimised.
    pub minimize: Minimize,
    /// Nights each surviving candidate ran.
    pub replications: usize,
    /// Nights every candidate ran before a miss rejected it.
    pub screen_nights: usize,
    /// Whether the scenario as it is already meets the target in every night.
    pub baseline_meets_target: bool,
    /// The range's ports, when the scenario has a range.
    pub range_ports: Option<RangePorts>,
    /// The largest `inparallel` (up to the current) that met the target in every night.
    pub largest_clean_inparallel: Option<u16>,
    /// The recommendation's index in `candidates`.
    pub recommendation: Option<usize>,
    /// What backs the recommendation.
    pub claim: Option<Claim>,
    /// Every candidate: the recommendation and runners-up in rank order, then those that missed,
    /// then those that do not apply.
    pub candidates: Vec<CandidateReport>,
    /// Sentences drawn from the numbers, the most important first.
    pub findings: Vec<String>,
    /// The command that reproduces these numbers.
    pub command: String,
}

/// How to run a plan.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Nights each surviving candidate runs.
    pub replications: usize,
    /// Worker threads.
    pub jobs: usize,
    /// What must hold.
    pub target: Target,
    /// The cost to minimise.
    pub minimize: Minimize,
    /// Show a progress bar.
    pub progress: bool,
}

/// Screens every candidate, runs the survivors for every night, ranks them.
pub fn run(sc: &Scenario, cands: &[Candidate], opt: Options) -> Plan {
    let screen = SCREEN_NIGHTS.min(opt.replications);
    let runnable: Vec<(usize, &Scenario)> = cands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.scenario.as_ref().ok().map(|s| (i, s)))
        .collect();
    let scs: Vec<&Scenario> = runnable.iter().map(|(_, s)| *s).collect();
    let bar = nights::progress(
        (scs.len() * screen) as u64,
        "screening nights",
        opt.progress,
    );
    let first = nights::run(&scs, 0..screen as u64, opt.jobs, &bar);
    bar.finish_and_clear();
    let mut ran: Vec<Option<Vec<NightMeasures>>> = vec![None; cands.len()];
    for ((i, _), ns) in runnable.iter().zip(first) {
        ran[*i] = Some(ns);
    }
    let survivors: Vec<usize> = runnable
        .iter()
        .map(|(i, _)| *i)
        .filter(|&i| {
            ran[i]
                .as_ref()
                .is_some_and(|ns| ns.iter().all(|n| opt.target.met(n)))
        })
        .collect();
    let rest_scs: Vec<&Scenario> = survivors
        .iter()
        .map(|&i| cands[i].scenario.as_ref().expect("runnable"))
        .collect();
    let bar = nights::progress(
        (rest_scs.len() * (opt.replications - screen)) as u64,
        "nights",
        opt.progress,
    );
    let rest = nights::run(
        &rest_scs,
        screen as u64..opt.replications as u64,
        opt.jobs,
        &bar,
    );
    bar.finish_and_clear();
    for (&i, ns) in survivors.iter().zip(rest) {
        ran[i].as_mut().expect("screened").extend(ns);
    }
    let clean: Vec<usize> = survivors
        .iter()
        .copied()
        .filter(|&i| {
            ran[i]
                .as_ref()
                .is_some_and(|ns| ns.iter().all(|n| opt.target.met(n)))
        })
        .collect();
    let ranked = rank(&clean, &ran, cands, opt.minimize);
    let mut order: Vec<usize> = ranked.clone();
    let mut missed: Vec<usize> = runnable
        .iter()
        .map(|(i, _)| *i)
        .filter(|i| !clean.contains(i))
        .collect();
    // Nearest misses first: fewest nights missed, then search order.
    missed.sort_by_key(|&i| {
        let ns = ran[i].as_ref().expect("ran");
        let k = ns.iter().filter(|n| !opt.target.met(n)).count();
        (k * 1_000_000 / ns.len(), i)
    });
    order.extend(&missed);
    order.extend((0..cands.len()).filter(|&i| cands[i].scenario.is_err()));
    let winner = ranked.first().copied();
    let reports: Vec<CandidateReport> = order
        .iter()
        .map(|&i| report(i, cands, &ran, winner, opt))
        .collect();
    let baseline = reports
        .iter()
        .find(|r| r.family == "as-is")
        .expect("the scenario as it is is a candidate");
    let baseline_meets_target = baseline.nights_missed == 0 && !baseline.measures.is_empty();
    let largest_clean_inparallel = clean
        .iter()
        .filter(|&&i| matches!(cands[i].family, "as-is" | "inparallel"))
        .filter_map(|&i| cands[i].scenario.as_ref().ok().map(|s| s.server.inparallel))
        .max();
    let mut plan = Plan {
        schema: PLAN_SCHEMA,
        portsim: env!("CARGO_PKG_VERSION"),
        scenario: sc.name.clone(),
        seed: sc.seed,
        target: opt.target.name(),
        minimize: opt.minimize,
        replications: opt.replications,
        screen_nights: screen,
        baseline_meets_target,
        range_ports: range_ports(sc),
        largest_clean_inparallel,
        recommendation: winner.map(|_| 0),
        claim: winner.map(|_| Claim::of(opt.replications, opt.target)),
        candidates: reports,
        findings: Vec::new(),
        command: String::new(),
    };
    plan.findings = findings(&plan, sc, opt);
    plan
}

/// A criterion's per-night values, lower is better; None for the change (not a night's number).
fn criterion(kind: Criterion, ns: &[NightMeasures]) -> Vec<f64> {
    ns.iter()
        .map(|n| match kind {
            Criterion::Window => n.measures.window_h,
            Criterion::Pinhole => n.measures.pinhole_port_hours,
            Criterion::Ports => n.measures.reachable_ports,
            Criterion::Change => 0.0,
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Criterion {
    Window,
    Pinhole,
    Ports,
    Change,
}

fn criteria(m: Minimize) -> [Criterion; 4] {
    use Criterion::*;
    match m {
        Minimize::Window => [Window, Pinhole, Ports, Change],
        Minimize::Exposure => [Pinhole, Ports, Window, Change],
        Minimize::Change => [Change, Window, Pinhole, Ports],
    }
}

/// How `a` compares with `b` on one criterion: Less when `a` is significantly better (its paired
/// 95% interval of a - b lies below 0), Greater when worse, Equal when the interval holds 0.
fn versus(
    c: Criterion,
    a: usize,
    b: usize,
    ran: &[Option<Vec<NightMeasures>>],
    cands: &[Candidate],
) -> (std::cmp::Ordering, Option<Interval>) {
    use std::cmp::Ordering;
    if c == Criterion::Change {
        return (cands[a].change.cmp(&cands[b].change), None);
    }
    let (xa, xb) = (
        criterion(c, ran[a].as_ref().expect("ran")),
        criterion(c, ran[b].as_ref().expect("ran")),
    );
    let d = Interval::paired(&xb, &xa, 0.95);
    let ord = if d.high < 0.0 {
        Ordering::Less
    } else if d.low > 0.0 {
        Ordering::Greater
    } else {
        Ordering::Equal
    };
    (ord, Some(d))
}

/// Ranks the clean candidates: repeatedly the best of those left. On each criterion in turn the
/// candidates significantly worse than the one with the lowest mean drop out; the first left
/// (search order) wins.
fn rank(
    clean: &[usize],
    ran: &[Option<Vec<NightMeasures>>],
    cands: &[Candidate],
    m: Minimize,
) -> Vec<usize> {
    let mut left: Vec<usize> = clean.to_vec();
    let mut out = Vec::new();
    while !left.is_empty() {
        let mut pool = left.clone();
        for c in criteria(m) {
            let mean = |i: usize| -> f64 {
                let xs = criterion(c, ran[i].as_ref().expect("ran"));
                xs.iter().sum::<f64>() / xs.len() as f64
            };
            let best = if c == Criterion::Change {
                *pool
                    .iter()
                    .min_by(|&&a, &&b| cands[a].change.cmp(&cands[b].change))
                    .expect("not empty")
            } else {
                *pool
                    .iter()
                    .min_by(|&&a, &&b| mean(a).total_cmp(&mean(b)))
                    .expect("not empty")
            };
            pool.retain(|&i| versus(c, i, best, ran, cands).0 != std::cmp::Ordering::Greater);
        }
        let w = pool[0];
        out.push(w);
        left.retain(|&i| i != w);
    }
    out
}

fn report(
    i: usize,
    cands: &[Candidate],
    ran: &[Option<Vec<NightMeasures>>],
    winner: Option<usize>,
    opt: Options,
) -> CandidateReport {
    let c = &cands[i];
    let base = CandidateReport {
        name: c.name.clone(),
        family: c.family,
        params: c.params.clone(),
        change: c.change.clone(),
        verdict: Verdict::NotApplicable,
        nights: 0,
        nights_missed: 0,
        why: String::new(),
        measures: Vec::new(),
    };
    let (Ok(_), Some(ns)) = (&c.scenario, ran[i].as_ref()) else {
        return CandidateReport {
            why: c.scenario.as_ref().err().cloned().unwrap_or_default(),
            ..base
        };
    };
    let measures = MEASURE_NAMES
        .iter()
        .enumerate()
        .map(|(m, &name)| {
            let xs: Vec<f64> = ns.iter().map(|n| n.measures.values()[m]).collect();
            CandidateMeasure {
                measure: name,
                stats: Interval::of(&xs, 0.95),
            }
        })
        .collect();
    let missed = ns.iter().filter(|n| !opt.target.met(n)).count();
    let (verdict, why) = if missed > 0 {
        let lost: f64 = ns.iter().map(|n| n.measures.failed_dles).sum::<f64>() / ns.len() as f64;
        (
            Verdict::Missed,
            format!(
                "{} in {missed} of {} nights ({lost:.2} DLEs lost a night)",
                opt.target.miss(),
                ns.len()
            ),
        )
    } else if Some(i) == winner {
        (
            Verdict::Recommended,
            format!(
                "met {} in every night at the least {}",
                opt.target.name(),
                cost_word(opt.minimize)
            ),
        )
    } else {
        let w = winner.expect("a clean candidate means a winner");
        (Verdict::RunnerUp, why_lost(i, w, ran, cands, opt.minimize))
    };
    CandidateReport {
        verdict,
        nights: ns.len(),
        nights_missed: missed,
        why,
        measures,
        ..base
    }
}

fn cost_word(m: Minimize) -> &'static str {
    match m {
        Minimize::Window => "window",
        Minimize::Exposure => "exposure",
        Minimize::Change => "change",
    }
}

/// The first criterion on which `i` is significantly worse than the winner `w`, in words.
fn why_lost(
    i: usize,
    w: usize,
    ran: &[Option<Vec<NightMeasures>>],
    cands: &[Candidate],
    m: Minimize,
) -> String {
    let mut tied: Vec<&str> = Vec::new();
    for c in criteria(m) {
        let (ord, d) = versus(c, i, w, ran, cands);
        if ord != std::cmp::Ordering::Greater {
            tied.push(match c {
                Criterion::Window => "window",
                Criterion::Pinhole => "pinhole port-hours",
                Criterion::Ports => "reachable ports",
                Criterion::Change => "change",
            });
            continue;
        }
        let lead = if tied.is_empty() {
            String::new()
        } else {
            format!(
                "same {} within the paired 95% interval, but ",
                tied.join(" and ")
            )
        };
        return match (c, d) {
            (Criterion::Window, Some(d)) => format!(
                "{lead}window longer by {:.2} h [{:.2}, {:.2}]",
                d.mean, d.low, d.high
            ),
            (Criterion::Pinhole, Some(d)) => {
                format!("{lead}{} more pinhole port-hours a night", fmt_big(d.mean))
            }
            (Criterion::Ports, Some(d)) => format!(
                "{lead}{} more server UDP ports reachable unsolicited",
                fmt_big(d.mean)
            ),
            _ => format!(
                "{lead}a bigger change ({} against {})",
                change_text(&cands[i]),
                change_text(&cands[w])
            ),
        };
    }
    "tied with the recommendation on every criterion; it comes later in the search order".into()
}

fn change_text(c: &Candidate) -> String {
    format!("{}; {} setting(s)", c.change.words(), c.change.settings)
}

fn fmt_big(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn findings(p: &Plan, sc: &Scenario, opt: Options) -> Vec<String> {
    let mut out = Vec::new();
    let base = p
        .candidates
        .iter()
        .find(|c| c.family == "as-is")
        .expect("as-is is a candidate");
    if p.baseline_meets_target {
        out.push(format!(
            "The scenario as it is already meets {}: {}. Nothing needs to change; what follows only trades {} against the rest.",
            p.target,
            Claim::of(base.nights, opt.target).text,
            cost_word(p.minimize)
        ));
    } else if base.measures.is_empty() {
        out.push(format!("The scenario as it is does not run: {}", base.why));
    } else {
        out.push(format!(
            "The scenario as it is misses {}: it {}.",
            p.target, base.why
        ));
    }
    match p.recommendation.map(|i| &p.candidates[i]) {
        Some(r) => {
            let claim = p.claim.as_ref().expect("a recommendation has a claim");
            out.push(format!(
                "Recommended ({} minimised): {} — window {:.2} h, {} server UDP ports reachable unsolicited, {} pinhole port-hours a night; price: {}. {}.",
                cost_word(p.minimize),
                r.name,
                r.mean("window_h").unwrap_or(0.0),
                r.mean("reachable_ports").unwrap_or(0.0),
                fmt_big(r.mean("pinhole_port_hours").unwrap_or(0.0)),
                r.change.words(),
                claim.text
            ));
        }
        None => out.push(format!(
            "No configuration searched met {} in every night.",
            p.target
        )),
    }
    if let Some(r) = p.recommendation.map(|i| &p.candidates[i]) {
        let tries = r.mean("failed_attempts").unwrap_or(0.0);
        if tries > 0.0 {
            out.push(format!(
                "Its nights still see {tries:.2} failed attempts each, every one rescued by its retry: a margin, not a failure (--target failed=0 asks for none)."
            ));
        }
        if r.family == RemedyKind::StatefulFirewall.name()
            && sc.server.planner == PlannerBinding::Unmodelled
        {
            out.push("Caution: this scenario does not model the planner (server.planner = unmodelled), so no estimate reply meets the state table; a site whose estimates stay silent longer than the table's UDP timeouts loses them (scenarios/slow-estimates.json). Plan again with server.planner set to check.".into());
        }
    }
    if let Some(rp) = &p.range_ports {
        let mut taken = Vec::new();
        if rp.held > 0 {
            taken.push(format!("{} held by other processes", rp.held));
        }
        if rp.named > 0 {
            taken.push(format!("{} named by other services", rp.named));
        }
        if rp.planner_holds_one {
            taken.push("1 held by the planner".into());
        }
        if rp.amcheck_holds_one {
            taken.push("1 held by amcheck".into());
        }
        let taken = if taken.is_empty() {
            String::new()
        } else {
            format!(" ({} minus {})", rp.ports, taken.join(", "))
        };
        let searched = match p.largest_clean_inparallel {
            Some(k) => format!(
                "the largest inparallel that met {} in every night is {k} (searched 1-{})",
                p.target, sc.server.inparallel
            ),
            None => format!(
                "no inparallel from 1 to {} met {} in every night",
                sc.server.inparallel, p.target
            ),
        };
        out.push(format!(
            "The dumpers can bind {} ports of {}-{}{taken}; {searched}.",
            rp.usable, rp.range[0], rp.range[1]
        ));
    }
    let missed = p
        .candidates
        .iter()
        .filter(|c| c.verdict == Verdict::Missed)
        .count();
    let clean = p
        .candidates
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Recommended | Verdict::RunnerUp))
        .count();
    let na = p
        .candidates
        .iter()
        .filter(|c| c.verdict == Verdict::NotApplicable)
        .count();
    out.push(format!(
        "Searched {} configurations: {clean} met {} in all {} nights, {missed} missed it within {} screening nights or later, {na} do not apply here.",
        p.candidates.len(),
        p.target,
        p.replications,
        p.screen_nights
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_of_three_bounds_a_clean_record() {
        // 1 - 0.05^(1/200) = 1.49%: about 3/200.
        let c = Claim::of(200, Target::Lost);
        assert!((c.upper_per_night - 0.014868).abs() < 1e-5);
        assert_eq!(c.text, "0 losses in 200 nights: < 1.5% per night at 95%");
        assert_eq!(
            Claim::of(1000, Target::Failed).text,
            "0 failed attempts in 1000 nights: < 0.30% per night at 95%"
        );
    }

    #[test]
    fn targets_promise_zero_only() {
        assert_eq!(Target::parse("lost=0"), Ok(Target::Lost));
        assert_eq!(Target::parse(" failed = 0 "), Ok(Target::Failed));
        for bad in ["lost=1", "lost", "window=0", "lost=zero"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn change_orders_code_above_rebuild_above_firewall_above_settings() {
        let c = |code, rebuild, firewall, settings, magnitude| Change {
            code_change: code,
            rebuild,
            firewall_change: firewall,
            settings,
            magnitude,
        };
        let mut v = [
            c(true, false, false, 1, 0),
            c(false, true, false, 1, 0),
            c(false, false, true, 1, 0),
            c(false, false, false, 1, 11),
            c(false, false, false, 1, 10),
            Change::none(),
        ];
        v.sort();
        assert_eq!(v[0], Change::none());
        assert_eq!(v[1].magnitude, 10);
        assert!(v[3].firewall_change && v[4].rebuild && v[5].code_change);
    }
}
