//! The `expect` block of a scenario file as people write it: serde types, nothing checked yet.
//!
//! ```json
//! "expect": {
//!   "checks": [
//!     {"name": "no-dle-lost", "measure": "summary.failed", "replications": 30, "judge": "every",
//!      "at_most": 0, "why": "10 dumpers, 10 ports: every dumper binds in the range, ..."},
//!     {"name": "a-few-lost", "measure": "lost-dles", "where": {"zone": "DMZ"},
//!      "replications": 30, "judge": "mean", "at_least": 0.5, "at_most": 9, "why": "..."}
//!   ],
//!   "fingerprint": {"replication": 0, "sha256": "..."}
//! }
//! ```
//!
//! [`super::plan`] validates it against the scenario into typed [`super::plan::Expectation`]s.

use crate::model::outcome::{Cause, Outcome};
use serde::{Deserialize, Serialize};

/// A scenario's `expect` block.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectFile {
    /// Bounds on measures, each with its replications and its reason.
    #[serde(default)]
    pub checks: Vec<CheckFile>,
    /// A pinned hash of one night's event trace (`portsim check --bless` rewrites it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<FingerprintFile>,
}

/// One expectation: a measure, where its values come from, how they are judged, and why.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    /// Short name, unique in the scenario; the JUnit test case's name.
    pub name: String,
    /// Which simulation the values come from (default: `run`, the scenario as written).
    #[serde(default)]
    pub source: SourceFile,
    /// What is measured: `summary.FIELD`, `measures.NAME`, or a count such as `failed-attempts`.
    pub measure: String,
    /// Count only the items (attempts, DLEs, dumpers) that match all of these.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterFile>,
    /// Of those, leave out the items that match all of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except: Option<FilterFile>,
    /// Nights simulated: replications 0 to N-1 of the scenario's seed.
    pub replications: u64,
    /// `every`: the bound holds in every night; `mean`: the 95% interval of the mean lies within.
    #[serde(default)]
    pub judge: JudgeFile,
    /// Exact value (a shorthand for equal `at_least` and `at_most`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<f64>,
    /// Lower bound, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    /// Upper bound, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    /// Where the expected value comes from in the model (MODEL.md, the scenario's settings).
    pub why: String,
}

/// Where a check's per-night values come from: `"run"` (the default), or a `compare` remedy,
/// `{"remedy": "widen-range"}`, optionally `"versus_baseline": true` for the paired difference
/// remedy minus scenario, night by night on common random numbers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum SourceFile {
    /// A named source.
    Named(SourceName),
    /// The scenario with a remedy applied (its default parameters, as `portsim compare` has them).
    Remedy(RemedySourceFile),
}

impl Default for SourceFile {
    fn default() -> Self {
        SourceFile::Named(SourceName::Run)
    }
}

/// The sources that need no parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceName {
    /// Night r is `portsim run --replication r` of the scenario as written.
    Run,
}

/// A remedy source.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemedySourceFile {
    /// The remedy's name, as `portsim remedies` lists it.
    pub remedy: String,
    /// Judge the paired difference (remedy minus the scenario as written) instead.
    #[serde(default)]
    pub versus_baseline: bool,
}

/// How the per-night values are judged against the bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JudgeFile {
    /// Every night's value lies within the bounds.
    #[default]
    Every,
    /// The 95% Student-t interval of the mean lies within the bounds.
    Mean,
}

/// Dumper indices: one index, or an inclusive range `[first, last]`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum DumpersFile {
    /// One dumper.
    One(u32),
    /// An inclusive range.
    Range([u32; 2]),
}

/// Which items a count includes. Every field given must match.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FilterFile {
    /// Hosts, by name (any of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// Hosts in this zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Hosts behind the firewall (true) or in the server's zone (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewalled: Option<bool>,
    /// Dumpers, by index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dumpers: Option<DumpersFile>,
    /// An attempt's cause, as `run` reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// An attempt's outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Where an attempt's request left from, relative to `udpportrange`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<PortClassFile>,
    /// Why a DLE was not dumped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fate: Option<FateFile>,
    /// Amanda's text, exactly; `{host}` stands for the item's host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A lost DLE's fate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FateFile {
    /// Its dumps failed.
    Failed,
    /// Its host's estimate failed: never scheduled.
    NotScheduled,
}

/// An attempt's port, relative to the range the scenario configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortClassFile {
    /// Inside `udpportrange`.
    InRange,
    /// Bound, but outside `udpportrange` (a fallback port).
    OutsideRange,
    /// The dumper never got a port (2.5.2+ rescans).
    None,
}

/// A pinned fingerprint: the SHA-256 of one night's `--trace` output.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FingerprintFile {
    /// The night hashed.
    #[serde(default)]
    pub replication: u64,
    /// Lower-case hex, or "" until `portsim check --bless` fills it in.
    pub sha256: String,
}
