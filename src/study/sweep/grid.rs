//! The grid's points as scenarios: the user's `--set`s, then the varied values, then the remedy.

use super::Vary;
use crate::scenario::load::with_sets;
use crate::scenario::{InputError, Scenario, Source, load_value};
use crate::study::compare::remedy::{Remedy, RemedySpec};
use serde_json::Value;

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
