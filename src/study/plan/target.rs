//! What the planner promises (the target, the claim behind a recommendation) and what it
//! minimises (the window, the exposure, or the change).

use super::nights::NightMeasures;
use serde::Serialize;

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
    pub(super) fn miss(self) -> &'static str {
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
    /// No change at all: the scenario as it is.
    pub fn none() -> Change {
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
