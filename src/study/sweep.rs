//! `portsim sweep`: one or two settings varied over a grid, every point run for the same nights.
//!
//! A varied setting is any scenario path that `--set` takes (`server.inparallel`,
//! `server.udpportrange.1`, `network.links.0.capacity_mb_s`), several paths tied to one value
//! (`server.udpportrange.1,firewall.rules.0.dst_ports.1`), or a parameter of the `--remedy`
//! applied at every point (`stateful-firewall.two_way_s`). Night r of every point draws the same
//! streams (common random numbers), so neighbouring points differ by the setting, not the noise,
//! and each point's paired difference against the scenario's own point is reported. A value that
//! makes the scenario invalid is a point of its own, reported with the validation message.

use super::nights::{self, NightMeasures};
use crate::model::measures::MEASURE_NAMES;
use crate::scenario::load::with_sets;
use crate::scenario::{InputError, Scenario, Source, load_value};
use crate::study::compare::remedy::{Remedy, RemedySpec};
use crate::study::compare::stats::Interval;
use serde::Serialize;
use serde_json::Value;

/// The schema name of `sweep --format json`.
pub const SWEEP_SCHEMA: &str = "portsim.sweep/1";

/// Most points on one axis: a sweep is for a curve, not a table of everything.
pub const MAX_AXIS_POINTS: usize = 1000;

/// The extra measure a sweep reports when the scenario has links.
pub const LINK_BUSY: &str = "link_busy_h";

/// One `--vary PATH[,PATH...]=A..B[:STEP]`.
#[derive(Clone, Debug)]
pub struct Vary {
    /// The argument as typed.
    pub raw: String,
    /// The dotted paths set to each value (several paths move together).
    pub paths: Vec<String>,
    /// The values, in increasing order.
    pub values: Vec<Value>,
}

/// How to write a `--vary` argument, for error messages.
pub const VARY_SYNTAX: &str = "write PATH=A..B or PATH=A..B:STEP, e.g. --vary server.inparallel=5..30 or --vary network.links.0.capacity_mb_s=5..50:5";

impl Vary {
    /// Parses `PATH[,PATH...]=A..B[:STEP]`; the error says what is wrong and how to write it.
    pub fn parse(raw: &str) -> Result<Vary, String> {
        let Some((lhs, rhs)) = raw.split_once('=') else {
            return Err(format!(
                "no '=' between the path and the range: {VARY_SYNTAX}"
            ));
        };
        let paths: Vec<String> = lhs.split(',').map(|p| p.trim().to_string()).collect();
        if let Some(bad) = paths
            .iter()
            .find(|p| p.is_empty() || p.split('.').any(str::is_empty))
        {
            return Err(format!(
                "the path {bad:?} has an empty segment: {VARY_SYNTAX}"
            ));
        }
        let (range, step) = match rhs.split_once(':') {
            Some((r, s)) => (r.trim(), Some(s.trim())),
            None => (rhs.trim(), None),
        };
        let Some((a, b)) = range.split_once("..") else {
            return Err(format!("{rhs:?} is not a range A..B: {VARY_SYNTAX}"));
        };
        let num = |what: &str, s: &str| -> Result<f64, String> {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("{what} {s:?} is not a number: {VARY_SYNTAX}"))
        };
        let (lo, hi) = (num("the start", a)?, num("the end", b)?);
        let st = step.map_or(Ok(1.0), |s| num("the step", s))?;
        if st <= 0.0 {
            return Err(format!("the step {st} must be above 0: {VARY_SYNTAX}"));
        }
        if lo > hi {
            return Err(format!(
                "the start {lo} is above the end {hi}: write {b}..{a}"
            ));
        }
        let n = ((hi - lo) / st + 1e-9).floor() as usize + 1;
        if n > MAX_AXIS_POINTS {
            return Err(format!(
                "{n} points on one axis (at most {MAX_AXIS_POINTS}): use a larger step, e.g. {a}..{b}:{}",
                nice_step((hi - lo) / 50.0)
            ));
        }
        // Integers stay integers (inparallel, ports); otherwise round to the decimals written.
        let integral = [a, b, step.unwrap_or("1")]
            .iter()
            .all(|s| s.trim().parse::<i64>().is_ok());
        let decimals = [a, b, step.unwrap_or("1")]
            .iter()
            .map(|s| s.trim().split_once('.').map_or(0, |(_, f)| f.len()))
            .max()
            .unwrap_or(0) as i32;
        let values = (0..n)
            .map(|i| {
                let x = lo + st * i as f64;
                if integral {
                    Value::from(x.round() as i64)
                } else {
                    let p = 10f64.powi(decimals);
                    Value::from((x * p).round() / p)
                }
            })
            .collect();
        Ok(Vary {
            raw: raw.to_string(),
            paths,
            values,
        })
    }
}

/// 1, 2 or 5 times a power of ten, at least `x`.
fn nice_step(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= x)
        .unwrap_or(10.0 * p)
}

impl Vary {
    /// The setting's name in reports: its paths.
    pub fn label(&self) -> String {
        self.paths.join(",")
    }
}

/// One point of the grid, ready to run or invalid.
pub struct PointConfig {
    /// The value of each varied setting.
    pub at: Vec<Value>,
    /// The scenario at this point, or why the values make it invalid.
    pub scenario: Result<Scenario, String>,
}

/// Splits a `--vary` path into a scenario path or a parameter of `remedy`.
fn remedy_param<'a>(path: &'a str, remedy: Option<&RemedySpec>) -> Option<&'a str> {
    let (head, rest) = path.split_once('.')?;
    remedy.filter(|r| r.kind.name() == head).map(|_| rest)
}

/// Checks that every varied path names a scenario setting or the remedy's parameter, and that no
/// path is varied twice.
pub fn check_paths(varies: &[Vary], remedy: Option<&RemedySpec>) -> Result<(), (String, String)> {
    let mut seen: Vec<&str> = Vec::new();
    for v in varies {
        for p in &v.paths {
            let head = p.split('.').next().unwrap_or_default();
            if crate::study::compare::remedy::RemedyKind::parse(head).is_some()
                && remedy_param(p, remedy).is_none()
            {
                return Err((
                    v.raw.clone(),
                    format!("{p} is a parameter of remedy {head}: add --remedy {head}"),
                ));
            }
            if seen.contains(&p.as_str()) {
                return Err((
                    v.raw.clone(),
                    format!("{p} is varied twice: vary each setting once"),
                ));
            }
            seen.push(p);
        }
    }
    Ok(())
}

/// Builds every point: `tree` is the scenario as read, `sets` the user's `--set`s, applied first.
/// Axis 0 is the outer loop: point `i * n1 + j` has value i of axis 0 and j of axis 1.
pub fn points(
    source: &Source,
    tree: &Value,
    sets: &[String],
    varies: &[Vary],
    remedy: Option<&RemedySpec>,
) -> Result<Vec<PointConfig>, InputError> {
    let base = with_sets(tree.clone(), sets)?;
    let mut grid: Vec<Vec<Value>> = vec![Vec::new()];
    for v in varies {
        grid = grid
            .into_iter()
            .flat_map(|at| {
                v.values.iter().map(move |x| {
                    let mut at = at.clone();
                    at.push(x.clone());
                    at
                })
            })
            .collect();
    }
    Ok(grid
        .into_iter()
        .map(|at| PointConfig {
            scenario: point(source, &base, varies, &at, remedy),
            at,
        })
        .collect())
}

fn point(
    source: &Source,
    base: &Value,
    varies: &[Vary],
    at: &[Value],
    remedy: Option<&RemedySpec>,
) -> Result<Scenario, String> {
    let mut scenario_sets = Vec::new();
    let mut param_sets = Vec::new();
    for (v, x) in varies.iter().zip(at) {
        for p in &v.paths {
            match remedy_param(p, remedy) {
                Some(rest) => param_sets.push(format!("{rest}={x}")),
                None => scenario_sets.push(format!("{p}={x}")),
            }
        }
    }
    let sc = load_value(source, base.clone(), &scenario_sets).map_err(reason)?;
    let Some(spec) = remedy else {
        return Ok(sc);
    };
    let params = Remedy::with_overrides(spec.kind, &sc, &spec.params).params;
    let params = with_sets(params, &param_sets).map_err(|e| e.to_string())?;
    let mut tree = with_sets(base.clone(), &scenario_sets).map_err(|e| e.to_string())?;
    spec.kind
        .apply(&mut tree, &sc, &params)
        .map_err(|msg| format!("remedy {}: {msg}", spec.kind.name()))?;
    load_value(source, tree, &[]).map_err(|e| format!("remedy {}: {}", spec.kind.name(), reason(e)))
}

/// Why a point is invalid: the JSON path and the validator's words (the origin is the point).
fn reason(e: InputError) -> String {
    match e {
        InputError::Invalid { path, msg, .. } => format!("{path}: {msg}"),
        other => other.to_string(),
    }
}

/// The scenario's own value of a varied setting (its default when the file leaves it out).
pub fn own_value(base: &Scenario, vary: &Vary, remedy: Option<&RemedySpec>) -> Option<f64> {
    let path = vary.paths.first()?;
    let (tree, rest) = match remedy_param(path, remedy) {
        Some(rest) => {
            let spec = remedy?;
            (
                Remedy::with_overrides(spec.kind, base, &spec.params).params,
                rest,
            )
        }
        // Serialising the loaded file fills in every default.
        None => (serde_json::to_value(&base.file).ok()?, path.as_str()),
    };
    let mut cur = &tree;
    for seg in rest.split('.') {
        cur = match cur {
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            Value::Object(m) => m.get(seg)?,
            _ => return None,
        };
    }
    cur.as_f64()
}

/// How to run a sweep.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Nights per point.
    pub replications: usize,
    /// Worker threads.
    pub jobs: usize,
    /// Confidence of the intervals (0.95).
    pub confidence: f64,
    /// Show a progress bar.
    pub progress: bool,
}

/// A varied setting in the results.
#[derive(Clone, Debug, Serialize)]
pub struct Axis {
    /// Its paths, comma-separated.
    pub setting: String,
    /// Its values, in order.
    pub values: Vec<Value>,
    /// The scenario's own value, when it is a number.
    pub own: Option<f64>,
    /// Where the own value sits among `values`, when it is one of them.
    pub own_index: Option<usize>,
}

/// One measure at one point.
#[derive(Clone, Debug, Serialize)]
pub struct PointMeasure {
    /// Measure name (compare's, plus `link_busy_h` with links).
    pub measure: &'static str,
    /// Mean, sd and interval over the nights.
    #[serde(flatten)]
    pub stats: Interval,
    /// Paired difference, this point minus the scenario's own point, night by night.
    pub vs_own: Option<Interval>,
    /// One value per night, in night order.
    pub values: Vec<f64>,
}

/// One point's results.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// The value of each varied setting, in axis order.
    pub at: Vec<Value>,
    /// Why the scenario is invalid at this point; None when it ran.
    pub invalid: Option<String>,
    /// Nights in which a DLE was lost.
    pub nights_with_loss: Option<usize>,
    /// Every measure (empty when invalid).
    pub measures: Vec<PointMeasure>,
}

impl Point {
    /// The statistics of `measure`, when the point ran.
    pub fn get(&self, measure: &str) -> Option<&PointMeasure> {
        self.measures.iter().find(|m| m.measure == measure)
    }
}

/// A whole sweep.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    /// Always [`SWEEP_SCHEMA`].
    pub schema: &'static str,
    /// portsim's version.
    pub portsim: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// The seed that reproduces every number.
    pub seed: u64,
    /// Nights per point (the same nights at every point).
    pub replications: usize,
    /// Confidence of each interval (pointwise).
    pub confidence: f64,
    /// The remedy applied at every point, if any.
    pub remedy: Option<String>,
    /// The varied settings: one or two.
    pub axes: Vec<Axis>,
    /// Every point, axis 0 outer.
    pub points: Vec<Point>,
    /// The index of the scenario's own point, when the grid holds it.
    pub own_point: Option<usize>,
    /// Sentences drawn from the numbers.
    pub findings: Vec<String>,
    /// The command that reproduces these numbers.
    pub command: String,
}

/// Runs every valid point for the same nights and summarises them.
pub fn run(
    sc: &Scenario,
    varies: &[Vary],
    remedy: Option<&RemedySpec>,
    configs: &[PointConfig],
    opt: Options,
) -> Sweep {
    let valid: Vec<&Scenario> = configs
        .iter()
        .filter_map(|c| c.scenario.as_ref().ok())
        .collect();
    let reps = opt.replications as u64;
    let bar = nights::progress(valid.len() as u64 * reps, "nights", opt.progress);
    let mut results = nights::run(&valid, 0..reps, opt.jobs, &bar).into_iter();
    bar.finish_and_clear();
    let axes: Vec<Axis> = varies
        .iter()
        .map(|v| {
            let own = own_value(sc, v, remedy);
            let own_index = own.and_then(|o| {
                v.values.iter().position(|x| {
                    x.as_f64()
                        .is_some_and(|x| (x - o).abs() <= 1e-9 * o.abs().max(1.0))
                })
            });
            Axis {
                setting: v.label(),
                values: v.values.clone(),
                own,
                own_index,
            }
        })
        .collect();
    let own_point = axes.iter().try_fold(0usize, |acc, a| {
        a.own_index.map(|i| acc * a.values.len() + i)
    });
    let nights: Vec<Option<Vec<NightMeasures>>> = configs
        .iter()
        .map(|c| {
            c.scenario
                .as_ref()
                .ok()
                .map(|_| results.next().expect("one result per valid point"))
        })
        .collect();
    let own_nights = own_point.and_then(|i| nights[i].as_ref());
    let with_links = !sc.links.is_empty();
    let points = configs
        .iter()
        .zip(&nights)
        .map(|(c, n)| {
            summarise_point(
                c,
                n.as_deref(),
                own_nights.map(Vec::as_slice),
                with_links,
                opt.confidence,
            )
        })
        .collect();
    let mut s = Sweep {
        schema: SWEEP_SCHEMA,
        portsim: env!("CARGO_PKG_VERSION"),
        scenario: sc.name.clone(),
        seed: sc.seed,
        replications: opt.replications,
        confidence: opt.confidence,
        remedy: remedy.map(RemedySpec::label),
        axes,
        points,
        own_point,
        findings: Vec::new(),
        command: String::new(),
    };
    s.findings = findings(&s);
    s
}

fn summarise_point(
    c: &PointConfig,
    nights: Option<&[NightMeasures]>,
    own: Option<&[NightMeasures]>,
    with_links: bool,
    confidence: f64,
) -> Point {
    let Some(nights) = nights else {
        return Point {
            at: c.at.clone(),
            invalid: c.scenario.as_ref().err().cloned(),
            nights_with_loss: None,
            measures: Vec::new(),
        };
    };
    let column = |ns: &[NightMeasures], m: usize| -> Vec<f64> {
        ns.iter()
            .map(|n| {
                if m < MEASURE_NAMES.len() {
                    n.measures.values()[m]
                } else {
                    n.link_busy_h.unwrap_or(0.0)
                }
            })
            .collect()
    };
    let names = MEASURE_NAMES
        .iter()
        .copied()
        .chain(with_links.then_some(LINK_BUSY));
    let measures = names
        .enumerate()
        .map(|(m, name)| {
            let values = column(nights, m);
            PointMeasure {
                measure: name,
                stats: Interval::of(&values, confidence),
                vs_own: own.map(|o| Interval::paired(&column(o, m), &values, confidence)),
                values,
            }
        })
        .collect();
    Point {
        at: c.at.clone(),
        invalid: None,
        nights_with_loss: Some(nights.iter().filter(|n| n.lost()).count()),
        measures,
    }
}

/// A value as reports print it.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

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

fn findings(s: &Sweep) -> Vec<String> {
    let mut out = Vec::new();
    let n = s.replications;
    let invalid: Vec<&Point> = s.points.iter().filter(|p| p.invalid.is_some()).collect();
    let at = |p: &Point| -> String {
        s.axes
            .iter()
            .zip(&p.at)
            .map(|(a, v)| format!("{} = {}", a.setting, show(v)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if s.axes.len() == 1 {
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
    } else {
        let ran = s.points.iter().filter(|p| p.invalid.is_none()).count();
        let clean = s
            .points
            .iter()
            .filter(|p| p.nights_with_loss == Some(0))
            .count();
        out.push(format!(
            "No DLE lost in any of {n} nights at {clean} of {ran} points that ran."
        ));
    }
    if let Some(i) = s.own_point {
        let p = &s.points[i];
        if let Some(f) = p.get("failed_dles") {
            out.push(format!(
                "The scenario's own point ({}): {:.2} DLEs lost a night (lost in {} of {n} nights), window {:.2} h.",
                at(p),
                f.stats.mean,
                p.nights_with_loss.unwrap_or(0),
                p.get("window_h").map_or(0.0, |m| m.stats.mean),
            ));
        }
    } else {
        let own: Vec<String> = s
            .axes
            .iter()
            .map(|a| match a.own {
                Some(o) => format!("{} = {o}", a.setting),
                None => format!("{} unset", a.setting),
            })
            .collect();
        out.push(format!(
            "The scenario's own point ({}) is not on the grid: no paired differences.",
            own.join(", ")
        ));
    }
    if !invalid.is_empty() {
        let first = invalid[0];
        out.push(format!(
            "{} of {} points are invalid (first: {}: {}).",
            invalid.len(),
            s.points.len(),
            at(first),
            first.invalid.as_deref().unwrap_or("")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_parses_integer_and_decimal_ranges() {
        let v = Vary::parse("server.inparallel=5..30").unwrap();
        assert_eq!(v.paths, ["server.inparallel"]);
        assert_eq!(v.values.len(), 26);
        assert_eq!(
            (v.values[0].as_i64(), v.values[25].as_i64()),
            (Some(5), Some(30))
        );
        let v = Vary::parse("network.links.0.capacity_mb_s=0.5..1.5:0.1").unwrap();
        // Rounded to the decimals written, so 0.7 does not print as 0.7000000000000001.
        assert_eq!(v.values.len(), 11);
        assert_eq!(v.values[2], serde_json::json!(0.7));
        assert_eq!(v.values[10], serde_json::json!(1.5));
        let v = Vary::parse("a.b,c.d=850..880:10").unwrap();
        assert_eq!(v.paths, ["a.b", "c.d"]);
        assert_eq!(v.values, [850, 860, 870, 880].map(serde_json::Value::from));
    }

    #[test]
    fn vary_errors_say_how_to_write_it() {
        for bad in [
            "x",
            "x=1",
            "x=1..",
            "x=2..1",
            "x=1..3:-1",
            "=1..2",
            "x..y=1..2",
        ] {
            assert!(Vary::parse(bad).is_err(), "{bad}");
        }
        let e = Vary::parse("x=0..100000").unwrap_err();
        assert!(e.contains("0..100000:2000"), "{e}");
    }
}
