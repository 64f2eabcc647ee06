//! `--vary PATH[,PATH...]=A..B[:STEP]`: a setting and the values it takes.

use super::MAX_AXIS_POINTS;
use serde_json::Value;

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
