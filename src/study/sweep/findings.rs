//! The sweep's sentences: where no DLE was lost, where the window's knee is, the own point.

use super::{LINK_BUSY, Point, Sweep, show};
use serde_json::Value;

/// Runs of consecutive indices, as "5-10, 12".
fn runs(values: &[Value], idx: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && idx[j + 1] == idx[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            show(&values[idx[i]])
        } else {
            format!("{}-{}", show(&values[idx[i]]), show(&values[idx[j]]))
        });
        i = j + 1;
    }
    out.join(", ")
}

/// The window's knee on one axis: the first point from which every later point's mean window is
/// within 5% of its busiest link's floor (the link binds; more of the setting buys nothing).
pub fn knee(s: &Sweep) -> Option<usize> {
    if s.axes.len() != 1 {
        return None;
    }
    let bound = |p: &Point| -> Option<bool> {
        let w = p.get("window_h")?.stats.mean;
        let f = p.get(LINK_BUSY)?.stats.mean;
        Some(f > 0.0 && w <= 1.05 * f)
    };
    let mut first = None;
    for (i, p) in s.points.iter().enumerate() {
        match bound(p) {
            Some(true) => {
                first.get_or_insert(i);
            }
            Some(false) => first = None,
            None => {}
        }
    }
    // A knee needs a point before it that was not yet bound.
    first.filter(|&i| s.points[..i].iter().any(|p| bound(p) == Some(false)))
}

/// A point's values, as `setting = value, ...`.
fn at(s: &Sweep, p: &Point) -> String {
    s.axes
        .iter()
        .zip(&p.at)
        .map(|(a, v)| format!("{} = {}", a.setting, show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn findings(s: &Sweep) -> Vec<String> {
    let mut out = Vec::new();
    if s.axes.len() == 1 {
        one_axis(s, &mut out);
    } else {
        let ran = s.points.iter().filter(|p| p.invalid.is_none()).count();
        let clean = s
            .points
            .iter()
            .filter(|p| p.nights_with_loss == Some(0))
            .count();
        out.push(format!(
            "No DLE lost in any of {} nights at {clean} of {ran} points that ran.",
            s.replications
        ));
    }
    out.push(own(s));
    let invalid: Vec<&Point> = s.points.iter().filter(|p| p.invalid.is_some()).collect();
    if let Some(first) = invalid.first() {
        out.push(format!(
            "{} of {} points are invalid (first: {}: {}).",
            invalid.len(),
            s.points.len(),
            at(s, first),
            first.invalid.as_deref().unwrap_or("")
        ));
    }
    out
}

/// Where no DLE was lost, where they were, and the window's knee.
fn one_axis(s: &Sweep, out: &mut Vec<String>) {
    let n = s.replications;
    {
        let a = &s.axes[0];
        let clean: Vec<usize> = (0..s.points.len())
            .filter(|&i| s.points[i].nights_with_loss == Some(0))
            .collect();
        let lossy: Vec<usize> = (0..s.points.len())
            .filter(|&i| s.points[i].nights_with_loss.is_some_and(|k| k > 0))
            .collect();
        if !clean.is_empty() {
            out.push(format!(
                "No DLE lost in any of {n} nights at {} = {}.",
                a.setting,
                runs(&a.values, &clean)
            ));
        }
        if !lossy.is_empty() {
            let worst = lossy
                .iter()
                .map(|&i| &s.points[i])
                .max_by(|x, y| {
                    let m = |p: &Point| p.get("failed_dles").map_or(0.0, |m| m.stats.mean);
                    m(x).total_cmp(&m(y))
                })
                .expect("not empty");
            out.push(format!(
                "DLEs lost at {} = {} (most at {}: {:.2} a night, in {} of {n} nights).",
                a.setting,
                runs(&a.values, &lossy),
                show(&worst.at[0]),
                worst.get("failed_dles").map_or(0.0, |m| m.stats.mean),
                worst.nights_with_loss.unwrap_or(0),
            ));
        }
        if let Some(k) = knee(s) {
            let p = &s.points[k];
            out.push(format!(
                "The window flattens at {} = {}: from there it stays within 5% of the time the busiest link needs for the night's data ({:.2} h there); more of the setting only shares the same link.",
                a.setting,
                show(&p.at[0]),
                p.get(LINK_BUSY).map_or(0.0, |m| m.stats.mean),
            ));
        }
    }
}

/// The scenario's own point, or that the grid misses it.
fn own(s: &Sweep) -> String {
    let n = s.replications;
    if let Some(p) = s.own_point.map(|i| &s.points[i]) {
        return match p.get("failed_dles") {
            Some(f) => format!(
                "The scenario's own point ({}): {:.2} DLEs lost a night (lost in {} of {n} nights), window {:.2} h.",
                at(s, p),
                f.stats.mean,
                p.nights_with_loss.unwrap_or(0),
                p.get("window_h").map_or(0.0, |m| m.stats.mean),
            ),
            None => format!(
                "The scenario's own point ({}) is invalid: {}",
                at(s, p),
                p.invalid.as_deref().unwrap_or("")
            ),
        };
    }
    let own: Vec<String> = s
        .axes
        .iter()
        .map(|a| match a.own {
            Some(o) => format!("{} = {o}", a.setting),
            None => format!("{} unset", a.setting),
        })
        .collect();
    format!(
        "The scenario's own point ({}) is not on the grid: no paired differences.",
        own.join(", ")
    )
}
