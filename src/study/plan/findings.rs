//! The plan's sentences, the most important first.

use super::rank::{cost_word, fmt_big};
use super::{Claim, Options, Plan, Verdict};
use crate::model::config::PlannerBinding;
use crate::scenario::Scenario;
use crate::study::compare::remedy::RemedyKind;

pub(super) fn findings(p: &Plan, sc: &Scenario, opt: Options) -> Vec<String> {
    let mut out = vec![baseline(p, opt)];
    recommendation(p, sc, &mut out);
    if let Some(line) = ports(p, sc) {
        out.push(line);
    }
    out.push(search(p));
    out
}

/// Whether the scenario as it is meets the target: said first.
fn baseline(p: &Plan, opt: Options) -> String {
    let base = p
        .candidates
        .iter()
        .find(|c| c.family == "as-is")
        .expect("as-is is a candidate");
    if p.baseline_meets_target {
        format!(
            "The scenario as it is already meets {}: {}. Nothing needs to change; what follows only trades {} against the rest.",
            p.target,
            Claim::of(base.nights, opt.target).text,
            cost_word(p.minimize)
        )
    } else if base.measures.is_empty() {
        format!("The scenario as it is does not run: {}", base.why)
    } else {
        format!(
            "The scenario as it is misses {}: it {}.",
            p.target, base.why
        )
    }
}

/// The recommendation, its claim, and what to keep in mind about it.
fn recommendation(p: &Plan, sc: &Scenario, out: &mut Vec<String>) {
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
}

/// The range's ports and the largest clean inparallel the search found.
fn ports(p: &Plan, sc: &Scenario) -> Option<String> {
    let rp = p.range_ports.as_ref()?;
    {
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
        Some(format!(
            "The dumpers can bind {} ports of {}-{}{taken}; {searched}.",
            rp.usable, rp.range[0], rp.range[1]
        ))
    }
}

/// How many configurations were searched and where they ended.
fn search(p: &Plan) -> String {
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
    format!(
        "Searched {} configurations: {clean} met {} in all {} nights, {missed} missed it within {} screening nights or later, {na} do not apply here.",
        p.candidates.len(),
        p.target,
        p.replications,
        p.screen_nights
    )
}
