//! Verdicts: a bound against every night's value, or against the 95% interval of the mean.
//!
//! A mean is judged on its Student-t interval so that a check is neither flaky nor vacuous:
//! it passes only when the whole interval lies within the bounds, fails when the whole interval
//! lies outside, and is inconclusive (a failure that asks for more replications) when the
//! interval straddles a bound.

use super::plan::{Bounds, Judge, num};
use crate::study::compare::stats::Interval;
use serde::Serialize;

/// Confidence of a mean's interval.
pub const CONFIDENCE: f64 = 0.95;

/// What became of one expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// It holds.
    Pass,
    /// It does not hold.
    Fail,
    /// The interval straddles a bound: more replications are needed to decide.
    Inconclusive,
}

impl Verdict {
    /// The word in tables.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

/// What was measured, for the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Measured {
    /// Every night's value.
    Every {
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
        /// Replications whose value lies outside the bounds.
        violations: Vec<u64>,
        /// One value per replication, in order.
        values: Vec<f64>,
    },
    /// The mean and its interval.
    Mean {
        /// Mean, sd and 95% interval.
        #[serde(flatten)]
        interval: Interval,
        /// One value per replication, in order.
        values: Vec<f64>,
    },
    /// A trace's hash.
    Fingerprint {
        /// The night hashed.
        replication: u64,
        /// Its SHA-256.
        sha256: String,
        /// The pinned value, if any.
        pinned: Option<String>,
    },
}

/// A verdict with the words that explain it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Judged {
    /// The verdict.
    pub verdict: Verdict,
    /// What was expected, short: "<= 0 in each of 30 nights".
    pub expected: String,
    /// What was measured, short: "0 in all 30".
    pub measured_text: String,
    /// One sentence: what was expected and what was measured, and what to do.
    pub message: String,
    /// The numbers.
    pub measured: Measured,
}

/// Judges `values` (replication 0 first) of the measure `what` against `bounds`.
pub fn judge(judge: Judge, what: &str, values: Vec<f64>, bounds: &Bounds) -> Judged {
    match judge {
        Judge::Every => every(what, values, bounds),
        Judge::Mean => mean(what, values, bounds),
    }
}

fn every(what: &str, values: Vec<f64>, b: &Bounds) -> Judged {
    let n = values.len();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let violations: Vec<u64> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| !b.contains(**v))
        .map(|(r, _)| r as u64)
        .collect();
    let nights = if n == 1 {
        "in night 0".to_string()
    } else {
        format!("in each of {n} nights")
    };
    let expected = format!("{} {nights}", b.describe());
    let spread = if n == 1 {
        num(min)
    } else if min == max {
        format!("{} in all {n}", num(min))
    } else {
        format!("{} to {}", num(min), num(max))
    };
    let (verdict, measured_text, message) = match violations.first() {
        None => (
            Verdict::Pass,
            spread.clone(),
            format!("{what} {} {nights}: measured {spread}", b.describe()),
        ),
        Some(&r) => {
            let v = values[r as usize];
            (
                Verdict::Fail,
                format!("{} in night {r}", num(v)),
                format!(
                    "expected {what} {} {nights}; measured {} in night {r} \
                     ({} of {n} nights out of bounds, values {spread})",
                    b.describe(),
                    num(v),
                    violations.len()
                ),
            )
        }
    };
    Judged {
        verdict,
        expected,
        measured_text,
        message,
        measured: Measured::Every {
            min,
            max,
            violations,
            values,
        },
    }
}

fn mean(what: &str, values: Vec<f64>, b: &Bounds) -> Judged {
    let n = values.len();
    let i = Interval::of(&values, CONFIDENCE);
    let expected = format!("mean {} over {n} nights", b.describe());
    let ci = format!("[{}, {}]", num(i.low), num(i.high));
    let measured_text = format!("mean {}, 95% CI {ci}", num(i.mean));
    let inside = b.contains(i.low) && b.contains(i.high);
    let below = b.at_least.is_some_and(|l| i.high < l);
    let above = b.at_most.is_some_and(|h| i.low > h);
    let head = format!(
        "expected the mean of {what} over {n} nights {}; measured mean {}, 95% CI {ci}",
        b.describe(),
        num(i.mean)
    );
    let (verdict, message) = if inside {
        (Verdict::Pass, head)
    } else if below || above {
        (
            Verdict::Fail,
            format!("{head}: the whole interval lies outside"),
        )
    } else {
        // The interval straddles a bound: say which, and how many nights would decide it.
        let bound = [b.at_least, b.at_most]
            .into_iter()
            .flatten()
            .filter(|x| i.low < *x && *x < i.high)
            .min_by(|x, y| (x - i.mean).abs().total_cmp(&(y - i.mean).abs()))
            .unwrap_or(i.mean);
        let gap = (i.mean - bound).abs();
        let advice = if gap > 0.0 {
            let needed = (n as f64 * (i.half_width() / gap).powi(2) * 1.2).ceil() as u64;
            format!(
                "raise replications (about {} would decide it if the mean stays near {})",
                needed.max(n as u64 + 1),
                num(i.mean)
            )
        } else {
            "the mean sits on the bound: no number of replications will decide it; revisit the bound"
                .to_string()
        };
        (
            Verdict::Inconclusive,
            format!(
                "{head}: it straddles the bound {}; inconclusive: {advice}",
                num(bound)
            ),
        )
    };
    Judged {
        verdict,
        expected,
        measured_text,
        message,
        measured: Measured::Mean {
            interval: i,
            values,
        },
    }
}

/// Judges a trace's hash against its pin.
pub fn fingerprint(replication: u64, sha256: String, pinned: Option<String>) -> Judged {
    let short = |s: &str| s.chars().take(12).collect::<String>();
    let (verdict, expected, message) = match &pinned {
        Some(p) if *p == sha256 => (
            Verdict::Pass,
            format!("sha256 {}", short(p)),
            format!("the trace of night {replication} is unchanged"),
        ),
        Some(p) => (
            Verdict::Fail,
            format!("sha256 {}", short(p)),
            format!(
                "expected the trace of night {replication} to hash to {p}; measured {sha256}: \
                 the model's behaviour changed; if that is intended, run `portsim check --bless`"
            ),
        ),
        None => (
            Verdict::Fail,
            "a pinned sha256".to_string(),
            format!(
                "the fingerprint of night {replication} is not pinned yet (measured {sha256}): \
                 run `portsim check --bless`"
            ),
        ),
    };
    Judged {
        verdict,
        expected,
        measured_text: format!("sha256 {}", short(&sha256)),
        message,
        measured: Measured::Fingerprint {
            replication,
            sha256,
            pinned,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(l: Option<f64>, h: Option<f64>) -> Bounds {
        Bounds {
            at_least: l,
            at_most: h,
        }
    }

    #[test]
    fn every_names_the_first_night_out_of_bounds() {
        let j = judge(
            Judge::Every,
            "x",
            vec![0.0, 0.0, 2.0, 3.0],
            &b(None, Some(0.0)),
        );
        assert_eq!(j.verdict, Verdict::Fail);
        assert_eq!(j.measured_text, "2 in night 2");
        assert!(
            j.message.contains("2 of 4 nights out of bounds"),
            "{}",
            j.message
        );
        let ok = judge(Judge::Every, "x", vec![0.0; 5], &b(None, Some(0.0)));
        assert_eq!(
            (ok.verdict, ok.measured_text.as_str()),
            (Verdict::Pass, "0 in all 5")
        );
    }

    #[test]
    fn mean_passes_fails_or_asks_for_more_nights() {
        // mean 5, sd 0.816, n 4: t(0.975, 3) = 3.182, half-width 1.30: CI [3.70, 6.30].
        let xs = vec![4.0, 5.0, 6.0, 5.0];
        assert_eq!(
            judge(Judge::Mean, "x", xs.clone(), &b(Some(2.0), Some(8.0))).verdict,
            Verdict::Pass
        );
        assert_eq!(
            judge(Judge::Mean, "x", xs.clone(), &b(Some(8.0), None)).verdict,
            Verdict::Fail
        );
        let j = judge(Judge::Mean, "x", xs, &b(Some(4.0), None));
        assert_eq!(j.verdict, Verdict::Inconclusive);
        assert!(j.message.contains("straddles the bound 4"), "{}", j.message);
        assert!(j.message.contains("raise replications"), "{}", j.message);
    }

    #[test]
    fn a_constant_sample_has_a_point_interval() {
        let j = judge(Judge::Mean, "x", vec![0.0; 30], &b(None, Some(0.0)));
        assert_eq!(j.verdict, Verdict::Pass);
        assert_eq!(j.measured_text, "mean 0, 95% CI [0, 0]");
    }

    #[test]
    fn fingerprints_match_differ_or_are_unpinned() {
        let h = "ab".repeat(32);
        assert_eq!(
            fingerprint(0, h.clone(), Some(h.clone())).verdict,
            Verdict::Pass
        );
        let f = fingerprint(0, h.clone(), Some("cd".repeat(32)));
        assert_eq!(f.verdict, Verdict::Fail);
        assert!(f.message.contains("--bless"));
        assert_eq!(fingerprint(0, h, None).verdict, Verdict::Fail);
    }
}
