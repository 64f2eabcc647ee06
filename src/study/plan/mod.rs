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

mod candidates;
mod findings;
mod rank;
mod target;

use candidates::range_ports;
pub use candidates::{Candidate, RangePorts, candidates};
use rank::{cost_word, rank, why_lost};
pub use target::{Change, Claim, Minimize, Target};

use super::nights::{self, NightMeasures};
use crate::amanda::emit::apply::{self, ApplyLines, Dialect};
use crate::model::measures::MEASURE_NAMES;
use crate::scenario::Scenario;
use crate::study::compare::stats::Interval;
use serde::Serialize;
use serde_json::Value;

/// The schema name of `plan --format json`.
pub const PLAN_SCHEMA: &str = "portsim.plan/1";

/// Nights every candidate runs before the rest: enough that a configuration losing in one night
/// of ten is caught with 95% probability (0.9^30 = 4%).
pub const SCREEN_NIGHTS: usize = 30;

/// UDP timeouts (seconds) the planner tries for each state-table kind, above the kind's defaults.
pub const STATE_TIMEOUTS: [u64; 6] = [60, 120, 300, 600, 900, 1800];

/// What must hold in every night.
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
    /// For the recommendation: what `portsim apply` would change at the site to get there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply: Option<ApplyLines>,
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

/// Every candidate's nights (None when it does not apply): the screening nights for all, the
/// rest only for those that met the target in every screening night.
fn screen_and_run(cands: &[Candidate], opt: Options) -> Vec<Option<Vec<NightMeasures>>> {
    let screen = SCREEN_NIGHTS.min(opt.replications);
    let runnable: Vec<usize> = (0..cands.len())
        .filter(|&i| cands[i].scenario.is_ok())
        .collect();
    let scenario = |i: usize| cands[i].scenario.as_ref().expect("runnable");
    let scs: Vec<&Scenario> = runnable.iter().map(|&i| scenario(i)).collect();
    let bar = nights::progress(
        (scs.len() * screen) as u64,
        "screening nights",
        opt.progress,
    );
    let first = nights::run(&scs, 0..screen as u64, opt.jobs, &bar);
    bar.finish_and_clear();
    let mut ran: Vec<Option<Vec<NightMeasures>>> = vec![None; cands.len()];
    for (&i, ns) in runnable.iter().zip(first) {
        ran[i] = Some(ns);
    }
    let survivors: Vec<usize> = runnable
        .into_iter()
        .filter(|&i| met_every_night(&ran[i], opt.target))
        .collect();
    let scs: Vec<&Scenario> = survivors.iter().map(|&i| scenario(i)).collect();
    let rest = (opt.replications - screen) as u64;
    let bar = nights::progress(scs.len() as u64 * rest, "nights", opt.progress);
    let more = nights::run(&scs, screen as u64..opt.replications as u64, opt.jobs, &bar);
    bar.finish_and_clear();
    for (&i, ns) in survivors.iter().zip(more) {
        ran[i].as_mut().expect("screened").extend(ns);
    }
    ran
}

fn met_every_night(ns: &Option<Vec<NightMeasures>>, target: Target) -> bool {
    ns.as_ref()
        .is_some_and(|ns| ns.iter().all(|n| target.met(n)))
}

/// The largest `inparallel` among the clean candidates that change only it.
fn largest_inparallel(clean: &[usize], cands: &[Candidate]) -> Option<u16> {
    clean
        .iter()
        .filter(|&&i| matches!(cands[i].family, "as-is" | "inparallel"))
        .filter_map(|&i| cands[i].scenario.as_ref().ok().map(|s| s.server.inparallel))
        .max()
}

/// Gives the recommendation of `plan` (run on `sc` over `cands`) the lines `portsim apply` would
/// change at the site to get there from `sc`, in `dialect`.
pub fn attach_apply(plan: &mut Plan, sc: &Scenario, cands: &[Candidate], dialect: Dialect) {
    let Some(r) = plan.recommendation else {
        return;
    };
    let rec = &mut plan.candidates[r];
    if let Some(Ok(after)) = cands
        .iter()
        .find(|c| c.name == rec.name)
        .map(|c| c.scenario.as_ref())
    {
        rec.apply = Some(apply::lines(sc, after, dialect));
    }
}

/// Screens every candidate, runs the survivors for every night, ranks them.
pub fn run(sc: &Scenario, cands: &[Candidate], opt: Options) -> Plan {
    let screen = SCREEN_NIGHTS.min(opt.replications);
    let ran = screen_and_run(cands, opt);
    let clean: Vec<usize> = (0..cands.len())
        .filter(|&i| met_every_night(&ran[i], opt.target))
        .collect();
    let ranked = rank(&clean, &ran, cands, opt.minimize);
    let mut order: Vec<usize> = ranked.clone();
    let mut missed: Vec<usize> = (0..cands.len())
        .filter(|&i| ran[i].is_some() && !clean.contains(&i))
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
    let largest_clean_inparallel = largest_inparallel(&clean, cands);
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
    plan.findings = findings::findings(&plan, sc, opt);
    plan
}

/// A criterion's per-night values, lower is better; None for the change (not a night's number).
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
        apply: None,
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
