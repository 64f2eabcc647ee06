//! Ranking the configurations that met the target: on each criterion in turn, a difference
//! counts only when its paired 95% interval leaves out 0.

use super::{Candidate, Minimize, NightMeasures};
use crate::study::compare::stats::Interval;

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
pub(super) fn rank(
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

pub(super) fn cost_word(m: Minimize) -> &'static str {
    match m {
        Minimize::Window => "window",
        Minimize::Exposure => "exposure",
        Minimize::Change => "change",
    }
}

/// The first criterion on which `i` is significantly worse than the winner `w`, in words.
pub(super) fn why_lost(
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

pub(super) fn change_text(c: &Candidate) -> String {
    format!("{}; {} setting(s)", c.change.words(), c.change.settings)
}

pub(super) fn fmt_big(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}
