//! What `portsim check` found: every scenario's expectations with their verdicts, as data;
//! [`crate::report::check`] renders it.

use super::judge::{Judged, Verdict};
use crate::scenario::expect::{CheckFile, FingerprintFile};
use serde::Serialize;

/// The schema name written at the top of `check --format json`.
pub const CHECK_SCHEMA: &str = "portsim.check/1";

/// Every scenario checked, in file order.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// Always [`CHECK_SCHEMA`].
    pub schema: &'static str,
    /// portsim's version.
    pub portsim: &'static str,
    /// Whether every expectation passed.
    pub passed: bool,
    /// The fault injected on purpose, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
    /// Counts by verdict.
    pub totals: Totals,
    /// Scenarios with an `expect` block, in file order.
    pub scenarios: Vec<ScenarioResult>,
    /// Scenario files without an `expect` block.
    pub skipped: Vec<String>,
    /// Pins rewritten by `--bless`.
    pub blessed: Vec<Blessed>,
}

/// Counts by verdict.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Totals {
    /// Expectations judged.
    pub expectations: usize,
    /// That hold.
    pub pass: usize,
    /// That do not.
    pub fail: usize,
    /// That need more replications.
    pub inconclusive: usize,
}

/// One scenario's expectations.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    /// The file.
    pub file: String,
    /// The scenario's name.
    pub scenario: String,
    /// Its seed.
    pub seed: u64,
    /// What it shows.
    pub description: String,
    /// Its expectations, bounds in file order, then the fingerprint.
    pub expectations: Vec<ExpectationResult>,
}

/// What an expectation is.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Spec {
    /// A bound on a measure, as written.
    Bound(Box<CheckFile>),
    /// A pinned trace hash, as written.
    Fingerprint(FingerprintFile),
}

/// One expectation and its verdict.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectationResult {
    /// Its name (`fingerprint` for the pin).
    pub name: String,
    /// What was expected, as written.
    pub spec: Spec,
    /// Verdict and words.
    #[serde(flatten)]
    pub judged: Judged,
}

/// A rewritten pin.
#[derive(Clone, Debug, Serialize)]
pub struct Blessed {
    /// The file.
    pub file: String,
    /// The pin before ("" when there was none).
    pub old: String,
    /// The pin now.
    pub new: String,
}

impl CheckReport {
    /// Counts the verdicts and builds the report.
    pub fn new(
        scenarios: Vec<ScenarioResult>,
        skipped: Vec<String>,
        blessed: Vec<Blessed>,
        fault: Option<&'static str>,
    ) -> CheckReport {
        let mut t = Totals::default();
        for e in scenarios.iter().flat_map(|s| &s.expectations) {
            t.expectations += 1;
            match e.judged.verdict {
                Verdict::Pass => t.pass += 1,
                Verdict::Fail => t.fail += 1,
                Verdict::Inconclusive => t.inconclusive += 1,
            }
        }
        CheckReport {
            schema: CHECK_SCHEMA,
            portsim: env!("CARGO_PKG_VERSION"),
            passed: t.pass == t.expectations,
            fault,
            totals: t,
            scenarios,
            skipped,
            blessed,
        }
    }
}
