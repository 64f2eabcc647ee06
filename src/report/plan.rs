//! A plan for people (the findings, the recommendation, the runners-up and why each lost) and
//! for programs (JSON).

use crate::study::plan::{CandidateReport, Plan, Verdict};
use std::fmt::Write;

fn num(x: Option<f64>, d: usize) -> String {
    x.map_or_else(
        || "—".into(),
        |x| {
            if x.abs() >= 1000.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.d$}")
            }
        },
    )
}

fn row(c: &CandidateReport) -> Vec<String> {
    vec![
        c.name.clone(),
        num(c.mean("failed_attempts"), 2),
        num(c.mean("window_h"), 2),
        num(c.mean("reachable_ports"), 0),
        num(c.mean("pinhole_port_hours"), 1),
        c.change.words(),
        c.why.clone(),
    ]
}

fn align(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut o = String::new();
    for (k, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(j, cell)| {
                let pad = widths[j].saturating_sub(cell.chars().count());
                // Names and words left, numbers right.
                if j == 0 || j >= 5 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(o, "  {}", line.join("  ").trim_end());
        if k == 0 {
            let _ = writeln!(
                o,
                "  {}",
                "-".repeat(widths.iter().sum::<usize>() + 2 * n.saturating_sub(1))
            );
        }
    }
    o
}

/// The best of each family among `cs` (already in rank order), and how many more there are.
fn best_of_each<'a>(cs: &[&'a CandidateReport]) -> (Vec<&'a CandidateReport>, usize) {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for c in cs {
        if !seen.contains(&c.family) {
            seen.push(c.family);
            out.push(*c);
        }
    }
    let more = cs.len() - out.len();
    (out, more)
}

/// The terminal report.
pub fn text(p: &Plan) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "portsim {}: plan on scenario {}, seed {}, target {} in every night, minimising {}; {} nights per configuration that passes {} screening nights",
        p.portsim,
        p.scenario,
        p.seed,
        p.target,
        serde_json::to_value(p.minimize)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        p.replications,
        p.screen_nights
    );
    let _ = writeln!(o);
    for f in &p.findings {
        let _ = writeln!(o, "{f}");
    }
    let head = vec![
        "configuration".to_string(),
        "failed tries".into(),
        "window h".into(),
        "open ports".into(),
        "pinhole port-h".into(),
        "price".into(),
        "why".into(),
    ];
    let ranked: Vec<&CandidateReport> = p
        .candidates
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Recommended | Verdict::RunnerUp))
        .collect();
    if !ranked.is_empty() {
        let (best, more) = best_of_each(&ranked);
        let _ = writeln!(
            o,
            "\nMet {} in every night, best first (the best of each kind{}):",
            p.target,
            if more > 0 {
                format!("; {more} more in --format json")
            } else {
                String::new()
            }
        );
        let mut rows = vec![head.clone()];
        rows.extend(best.into_iter().map(row));
        o.push_str(&align(&rows));
    }
    if let Some(a) = p.recommendation.and_then(|r| {
        p.candidates[r]
            .apply
            .as_ref()
            .map(|a| (&p.candidates[r], a))
    }) {
        let _ = writeln!(
            o,
            "\nTo apply {} at the site (firewall rules in {}; placeholder addresses):",
            a.0.name,
            a.1.dialect.name()
        );
        o.push_str(&super::apply::text(a.1, "  "));
    }
    others(p, &mut o);
    let _ = writeln!(o, "\nReproduce with: {}", p.command);
    o
}

/// The configurations that missed the target, and those that do not apply.
fn others(p: &Plan, o: &mut String) {
    let missed: Vec<&CandidateReport> = p
        .candidates
        .iter()
        .filter(|c| c.verdict == Verdict::Missed)
        .collect();
    if !missed.is_empty() {
        let (best, more) = best_of_each(&missed);
        let _ = writeln!(
            o,
            "\nMissed {} (never recommended; the nearest miss of each kind{}):",
            p.target,
            if more > 0 {
                format!("; {more} more in --format json")
            } else {
                String::new()
            }
        );
        for c in best {
            let _ = writeln!(o, "  {}: {}", c.name, c.why);
        }
    }
    let na: Vec<&CandidateReport> = p
        .candidates
        .iter()
        .filter(|c| c.verdict == Verdict::NotApplicable)
        .collect();
    if !na.is_empty() {
        let _ = writeln!(o, "\nDo not apply to this scenario:");
        for c in na {
            let _ = writeln!(o, "  {}: {}", c.name, c.why);
        }
    }
}

/// Pretty JSON with a final newline.
pub fn json(p: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(p).expect("plan serialises");
    s.push('\n');
    s
}
