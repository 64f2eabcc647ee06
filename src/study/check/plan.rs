//! An `expect` block validated against its scenario: typed measures, filters, bounds, judges.
//!
//! Every error names the file, the JSON path (`expect.checks[2].where.hosts[0]`) and what is
//! accepted, as [`InputError::Invalid`] (exit 2), before anything runs.

use crate::model::measures::MEASURE_NAMES;
use crate::model::outcome::{Cause, DleFate, Outcome};
use crate::scenario::expect::{
    CheckFile, DumpersFile, ExpectFile, FateFile, FilterFile, JudgeFile, PortClassFile, SourceFile,
    SourceName,
};
use crate::scenario::{InputError, Scenario};
use crate::study::compare::remedy::RemedySpec;
use std::ops::RangeInclusive;

/// Where a check's per-night values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Night r is replication r of the scenario as written.
    Run,
    /// Night r of the scenario with a remedy applied, as `portsim compare` builds it.
    Remedy {
        /// The remedy, as an index into [`Plan::remedies`].
        spec: usize,
        /// The value is the paired difference: remedy minus the scenario as written, night r.
        versus_baseline: bool,
    },
}

impl Source {
    /// The remedy whose nights it reads, if any, as an index into [`Plan::remedies`].
    pub fn remedy(self) -> Option<usize> {
        match self {
            Source::Run => None,
            Source::Remedy { spec, .. } => Some(spec),
        }
    }

    /// Whether it reads the nights of the scenario as written.
    pub fn reads_scenario(self) -> bool {
        match self {
            Source::Run => true,
            Source::Remedy {
                versus_baseline, ..
            } => versus_baseline,
        }
    }

    /// How reports name the measure read from this source; `remedies` is [`Plan::remedies`].
    pub fn label(self, measure: &str, remedies: &[RemedySpec]) -> String {
        match self {
            Source::Run => measure.to_string(),
            Source::Remedy {
                spec,
                versus_baseline: false,
            } => format!("{measure} under {}", remedies[spec].label()),
            Source::Remedy {
                spec,
                versus_baseline: true,
            } => format!(
                "{measure} under {} minus as written",
                remedies[spec].label()
            ),
        }
    }
}

/// How per-night values are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judge {
    /// The bounds hold in every night.
    Every,
    /// The 95% Student-t interval of the mean lies within the bounds.
    Mean,
}

impl Judge {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Judge::Every => "every",
            Judge::Mean => "mean",
        }
    }
}

/// A field of `run`'s summary (`portsim run --format json`, `summary`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryField {
    /// DLEs in the disklist.
    Dles,
    /// DLEs dumped.
    Dumped,
    /// DLEs not dumped.
    Failed,
    /// DLEs never scheduled (their host's estimate failed).
    NotScheduled,
    /// Dump attempts.
    Attempts,
    /// Attempts that did not end in DONE.
    FailedAttempts,
    /// Lost DLEs on firewalled hosts.
    FailedFirewalled,
    /// Attempts that waited for a range port.
    WaitedForPort,
    /// The backup window, seconds.
    WindowS,
    /// The estimate phase, seconds.
    EstimatesS,
    /// Packets the firewall dropped.
    DroppedPackets,
    /// Events simulated.
    Events,
}

impl SummaryField {
    /// Every field, in the order of the JSON summary.
    pub const ALL: [SummaryField; 12] = [
        SummaryField::Dles,
        SummaryField::Dumped,
        SummaryField::Failed,
        SummaryField::NotScheduled,
        SummaryField::Attempts,
        SummaryField::FailedAttempts,
        SummaryField::FailedFirewalled,
        SummaryField::WaitedForPort,
        SummaryField::WindowS,
        SummaryField::EstimatesS,
        SummaryField::DroppedPackets,
        SummaryField::Events,
    ];

    /// The field's JSON name.
    pub fn name(self) -> &'static str {
        match self {
            SummaryField::Dles => "dles",
            SummaryField::Dumped => "dumped",
            SummaryField::Failed => "failed",
            SummaryField::NotScheduled => "not_scheduled",
            SummaryField::Attempts => "attempts",
            SummaryField::FailedAttempts => "failed_attempts",
            SummaryField::FailedFirewalled => "failed_firewalled",
            SummaryField::WaitedForPort => "waited_for_port",
            SummaryField::WindowS => "window_s",
            SummaryField::EstimatesS => "estimates_s",
            SummaryField::DroppedPackets => "dropped_packets",
            SummaryField::Events => "events",
        }
    }
}

/// A count over one night's attempts, DLEs or dumpers, narrowed by `where` and `except`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// Dump attempts.
    Attempts,
    /// Attempts that did not end in DONE.
    FailedAttempts,
    /// DLEs not dumped.
    LostDles,
    /// Hosts with at least one DLE not dumped.
    HostsWithLostDles,
    /// Dumpers holding a port inside `udpportrange` at the end of the night.
    DumpersInRange,
    /// Dumpers holding a port outside it (a fallback port).
    DumpersOutsideRange,
    /// 1 when the planner held a port inside `udpportrange`, else 0.
    PlannerInRange,
}

/// What a filter may look at, by the kind of item a count counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Items {
    /// Dump attempts.
    Attempts,
    /// DLEs.
    Dles,
    /// Dumper processes.
    Dumpers,
    /// Nothing to filter.
    None,
}

impl Count {
    /// Every count, in the order the error message lists them.
    pub const ALL: [Count; 7] = [
        Count::Attempts,
        Count::FailedAttempts,
        Count::LostDles,
        Count::HostsWithLostDles,
        Count::DumpersInRange,
        Count::DumpersOutsideRange,
        Count::PlannerInRange,
    ];

    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Count::Attempts => "attempts",
            Count::FailedAttempts => "failed-attempts",
            Count::LostDles => "lost-dles",
            Count::HostsWithLostDles => "hosts-with-lost-dles",
            Count::DumpersInRange => "dumpers-in-range",
            Count::DumpersOutsideRange => "dumpers-outside-range",
            Count::PlannerInRange => "planner-in-range",
        }
    }

    /// The items it counts.
    pub fn items(self) -> Items {
        match self {
            Count::Attempts | Count::FailedAttempts => Items::Attempts,
            Count::LostDles | Count::HostsWithLostDles => Items::Dles,
            Count::DumpersInRange | Count::DumpersOutsideRange => Items::Dumpers,
            Count::PlannerInRange => Items::None,
        }
    }
}

/// What a check measures in one night.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// A field of `run`'s summary.
    Summary(SummaryField),
    /// A measure `compare` reports ([`crate::model::measures::Measures`]), by its index.
    Night(usize),
    /// A count of attempts, DLEs or dumpers.
    Count(Count),
}

impl Measure {
    /// Parses a measure's name: `summary.FIELD`, `measures.NAME` or a count.
    pub fn parse(s: &str) -> Option<Measure> {
        if let Some(f) = s.strip_prefix("summary.") {
            return SummaryField::ALL
                .into_iter()
                .find(|x| x.name() == f)
                .map(Measure::Summary);
        }
        if let Some(f) = s.strip_prefix("measures.") {
            return MEASURE_NAMES
                .iter()
                .position(|&n| n == f)
                .map(Measure::Night);
        }
        Count::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .map(Measure::Count)
    }

    /// Its name, as [`Measure::parse`] reads it.
    pub fn name(self) -> String {
        match self {
            Measure::Summary(f) => format!("summary.{}", f.name()),
            Measure::Night(i) => format!("measures.{}", MEASURE_NAMES[i]),
            Measure::Count(c) => c.name().to_string(),
        }
    }

    /// Every accepted name, for error messages.
    pub fn all_names() -> Vec<String> {
        let mut v: Vec<String> = Count::ALL.iter().map(|c| c.name().to_string()).collect();
        v.extend(
            SummaryField::ALL
                .iter()
                .map(|f| format!("summary.{}", f.name())),
        );
        v.extend(MEASURE_NAMES.iter().map(|n| format!("measures.{n}")));
        v
    }

    fn items(self) -> Items {
        match self {
            Measure::Count(c) => c.items(),
            _ => Items::None,
        }
    }
}

/// Where an attempt's request left from, relative to the configured `udpportrange`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortClass {
    /// Inside the range.
    InRange,
    /// Bound outside it.
    OutsideRange,
    /// No port at all.
    None,
}

/// A validated `where` or `except`: every field given must match.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Per host index: whether it is selected (hosts, zone and firewalled folded together).
    pub hosts: Option<Vec<bool>>,
    /// Dumper indices.
    pub dumpers: Option<RangeInclusive<u16>>,
    /// Attempt cause.
    pub cause: Option<Cause>,
    /// Attempt outcome.
    pub outcome: Option<Outcome>,
    /// Attempt port class.
    pub port: Option<PortClass>,
    /// DLE fate.
    pub fate: Option<DleFate>,
    /// Amanda's text, `{host}` standing for the host's name.
    pub message: Option<String>,
}

impl Filter {
    /// Whether host `h` passes.
    pub fn host(&self, h: usize) -> bool {
        self.hosts.as_ref().is_none_or(|m| m[h])
    }

    /// Whether dumper `d` passes.
    pub fn dumper(&self, d: u16) -> bool {
        self.dumpers.as_ref().is_none_or(|r| r.contains(&d))
    }

    /// Whether `text` (of host `host`) passes.
    pub fn message(&self, text: &str, host: &str) -> bool {
        self.message
            .as_ref()
            .is_none_or(|m| m.replace("{host}", host) == text)
    }
}

/// Inclusive bounds; at least one is present.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Lower bound.
    pub at_least: Option<f64>,
    /// Upper bound.
    pub at_most: Option<f64>,
}

impl Bounds {
    /// Whether `x` lies within.
    pub fn contains(&self, x: f64) -> bool {
        self.at_least.is_none_or(|l| x >= l) && self.at_most.is_none_or(|h| x <= h)
    }

    /// "= 10", "<= 0", ">= 1", "in [0.5, 9]".
    pub fn describe(&self) -> String {
        match (self.at_least, self.at_most) {
            (Some(l), Some(h)) if l == h => format!("= {}", num(l)),
            (Some(l), Some(h)) => format!("in [{}, {}]", num(l), num(h)),
            (Some(l), None) => format!(">= {}", num(l)),
            (None, Some(h)) => format!("<= {}", num(h)),
            (None, None) => "anything".into(),
        }
    }
}

/// A number for people: integers without decimals, others to 4 significant digits at most.
pub fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// One validated expectation.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// Its name.
    pub name: String,
    /// Where its values come from.
    pub source: Source,
    /// What it measures.
    pub measure: Measure,
    /// Items counted.
    pub filter: Filter,
    /// Items left out (None: nothing left out).
    pub except: Option<Filter>,
    /// Nights: replications 0 to N-1.
    pub replications: u64,
    /// How the values are judged.
    pub judge: Judge,
    /// The bounds.
    pub bounds: Bounds,
    /// Where the expected value comes from.
    pub why: String,
    /// As written, for the JSON report.
    pub file: CheckFile,
}

/// A validated fingerprint pin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    /// The night hashed.
    pub replication: u64,
    /// The pinned hash; None until blessed.
    pub sha256: Option<String>,
}

/// A scenario's validated `expect` block.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The bounds, in file order.
    pub checks: Vec<Expectation>,
    /// The fingerprint pin.
    pub pin: Option<Pin>,
    /// The remedies its checks read, each once, in first-use order.
    pub remedies: Vec<RemedySpec>,
}

/// Most replications a check may ask for (a check must stay fast enough for CI).
pub const MAX_REPLICATIONS: u64 = 10_000;

struct Ctx<'a> {
    origin: &'a str,
    sc: &'a Scenario,
}

impl Ctx<'_> {
    fn fail<T>(&self, path: &str, msg: impl Into<String>) -> Result<T, InputError> {
        Err(InputError::Invalid {
            origin: self.origin.to_string(),
            path: path.to_string(),
            msg: msg.into(),
        })
    }
}

/// Validates `expect` (from the file `origin`) against the scenario it belongs to.
pub fn plan(expect: &ExpectFile, sc: &Scenario, origin: &str) -> Result<Plan, InputError> {
    let cx = Ctx { origin, sc };
    let mut checks: Vec<Expectation> = Vec::with_capacity(expect.checks.len());
    let mut remedies: Vec<RemedySpec> = Vec::new();
    for (i, c) in expect.checks.iter().enumerate() {
        let e = check(&cx, &format!("expect.checks[{i}]"), c, &mut remedies)?;
        if checks.iter().any(|o| o.name == e.name) {
            return cx.fail(
                &format!("expect.checks[{i}].name"),
                format!("{:?} is used twice: give each check its own name", e.name),
            );
        }
        checks.push(e);
    }
    let pin = match &expect.fingerprint {
        None => None,
        Some(f) => {
            let hex = f.sha256.trim();
            let is_hex = hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex.is_empty() && !is_hex {
                return cx.fail(
                    "expect.fingerprint.sha256",
                    format!(
                        "{hex:?} is not a SHA-256 in lower-case hex (64 characters): write \"\" and run `portsim check --bless`"
                    ),
                );
            }
            Some(Pin {
                replication: f.replication,
                sha256: (!hex.is_empty()).then(|| hex.to_string()),
            })
        }
    };
    if checks.is_empty() && pin.is_none() {
        return cx.fail(
            "expect",
            "the block expects nothing: add a check to expect.checks or a fingerprint, or remove it",
        );
    }
    Ok(Plan {
        checks,
        pin,
        remedies,
    })
}

fn check(
    cx: &Ctx,
    at: &str,
    c: &CheckFile,
    remedies: &mut Vec<RemedySpec>,
) -> Result<Expectation, InputError> {
    if c.name.trim().is_empty() {
        return cx.fail(&format!("{at}.name"), "give the check a name");
    }
    if c.why.trim().is_empty() {
        return cx.fail(
            &format!("{at}.why"),
            "say where the expected value comes from in the model (a MODEL.md fact, a setting)",
        );
    }
    let Some(measure) = Measure::parse(&c.measure) else {
        return cx.fail(
            &format!("{at}.measure"),
            format!(
                "unknown measure {:?}; the measures are {}",
                c.measure,
                Measure::all_names().join(", ")
            ),
        );
    };
    let source = match &c.source {
        SourceFile::Named(SourceName::Run) => Source::Run,
        SourceFile::Remedy(r) => match RemedySpec::parse(&r.remedy) {
            Ok(spec) => {
                let label = spec.label();
                let index = match remedies.iter().position(|s| s.label() == label) {
                    Some(k) => k,
                    None => {
                        remedies.push(spec);
                        remedies.len() - 1
                    }
                };
                Source::Remedy {
                    spec: index,
                    versus_baseline: r.versus_baseline,
                }
            }
            Err(msg) => return cx.fail(&format!("{at}.source.remedy"), msg),
        },
    };
    if c.replications == 0 || c.replications > MAX_REPLICATIONS {
        return cx.fail(
            &format!("{at}.replications"),
            format!("{} nights: give 1 to {MAX_REPLICATIONS}", c.replications),
        );
    }
    let judge = match c.judge {
        JudgeFile::Every => Judge::Every,
        JudgeFile::Mean => Judge::Mean,
    };
    if judge == Judge::Mean && c.replications < 2 {
        return cx.fail(
            &format!("{at}.replications"),
            "a mean's interval needs at least 2 replications (30 is a good start)",
        );
    }
    let bounds = bounds(cx, at, c)?;
    let items = measure.items();
    let filter = match &c.filter {
        Some(f) => parse_filter(cx, &format!("{at}.where"), f, measure, items)?,
        None => Filter::default(),
    };
    let except = match &c.except {
        Some(f) => Some(parse_filter(
            cx,
            &format!("{at}.except"),
            f,
            measure,
            items,
        )?),
        None => None,
    };
    if measure == Measure::Count(Count::FailedAttempts) && filter.outcome == Some(Outcome::Done) {
        return cx.fail(
            &format!("{at}.where.outcome"),
            "failed attempts never end in done: use the measure `attempts` to count those",
        );
    }
    Ok(Expectation {
        name: c.name.trim().to_string(),
        source,
        measure,
        filter,
        except,
        replications: c.replications,
        judge,
        bounds,
        why: c.why.trim().to_string(),
        file: c.clone(),
    })
}

fn bounds(cx: &Ctx, at: &str, c: &CheckFile) -> Result<Bounds, InputError> {
    for (name, v) in [
        ("equals", c.equals),
        ("at_least", c.at_least),
        ("at_most", c.at_most),
    ] {
        if let Some(x) = v
            && !x.is_finite()
        {
            return cx.fail(&format!("{at}.{name}"), format!("{x} is not a number"));
        }
    }
    let b = match (c.equals, c.at_least, c.at_most) {
        (Some(x), None, None) => Bounds {
            at_least: Some(x),
            at_most: Some(x),
        },
        (Some(_), _, _) => {
            return cx.fail(
                &format!("{at}.equals"),
                "give either equals or at_least/at_most, not both",
            );
        }
        (None, None, None) => {
            return cx.fail(at, "give a bound: equals, at_least or at_most");
        }
        (None, l, h) => Bounds {
            at_least: l,
            at_most: h,
        },
    };
    if let (Some(l), Some(h)) = (b.at_least, b.at_most)
        && l > h
    {
        return cx.fail(
            &format!("{at}.at_least"),
            format!(
                "at_least {} is above at_most {}: nothing can pass",
                num(l),
                num(h)
            ),
        );
    }
    Ok(b)
}

fn parse_filter(
    cx: &Ctx,
    at: &str,
    f: &FilterFile,
    measure: Measure,
    items: Items,
) -> Result<Filter, InputError> {
    let sc = cx.sc;
    let allowed: &[&str] = match items {
        Items::Attempts => &[
            "hosts",
            "zone",
            "firewalled",
            "dumpers",
            "cause",
            "outcome",
            "port",
            "message",
        ],
        Items::Dles => &["hosts", "zone", "firewalled", "fate", "message"],
        Items::Dumpers => &["dumpers"],
        Items::None => &[],
    };
    let given = [
        ("hosts", f.hosts.is_some()),
        ("zone", f.zone.is_some()),
        ("firewalled", f.firewalled.is_some()),
        ("dumpers", f.dumpers.is_some()),
        ("cause", f.cause.is_some()),
        ("outcome", f.outcome.is_some()),
        ("port", f.port.is_some()),
        ("fate", f.fate.is_some()),
        ("message", f.message.is_some()),
    ];
    if !given.iter().any(|(_, g)| *g) {
        return cx.fail(at, "an empty filter: name at least one field, or remove it");
    }
    for (name, g) in given {
        if g && !allowed.contains(&name) {
            let can = if allowed.is_empty() {
                "it takes no filter".to_string()
            } else {
                format!("it can filter on {}", allowed.join(", "))
            };
            return cx.fail(
                &format!("{at}.{name}"),
                format!("measure {} does not look at {name}: {can}", measure.name()),
            );
        }
    }
    let mut hosts: Option<Vec<bool>> = None;
    let mut narrow = |mask: Vec<bool>| {
        hosts = Some(match hosts.take() {
            None => mask,
            Some(m) => m.iter().zip(&mask).map(|(a, b)| *a && *b).collect(),
        });
    };
    if let Some(names) = &f.hosts {
        if names.is_empty() {
            return cx.fail(&format!("{at}.hosts"), "list at least one host");
        }
        let mut mask = vec![false; sc.hosts.len()];
        for (i, n) in names.iter().enumerate() {
            match sc.hosts.iter().position(|h| &h.name == n) {
                Some(h) => mask[h] = true,
                None => {
                    return cx.fail(
                        &format!("{at}.hosts[{i}]"),
                        format!("no host is named {n:?} in this scenario"),
                    );
                }
            }
        }
        narrow(mask);
    }
    if let Some(z) = &f.zone {
        let Some(zi) = sc.zones.iter().position(|x| x == z) else {
            return cx.fail(
                &format!("{at}.zone"),
                format!("unknown zone {z:?}; the zones are {}", sc.zones.join(", ")),
            );
        };
        narrow(
            sc.hosts
                .iter()
                .map(|h| usize::from(h.zone.0) == zi)
                .collect(),
        );
    }
    if let Some(fw) = f.firewalled {
        narrow(
            (0..sc.hosts.len())
                .map(|h| sc.firewalled(crate::model::HostId(h as u16)) == fw)
                .collect(),
        );
    }
    let dumpers = match f.dumpers {
        None => None,
        Some(d) => {
            let (lo, hi) = match d {
                DumpersFile::One(x) => (x, x),
                DumpersFile::Range([lo, hi]) => (lo, hi),
            };
            let n = u32::from(sc.server.inparallel);
            if lo > hi {
                return cx.fail(
                    &format!("{at}.dumpers"),
                    format!("first dumper {lo} is above last {hi}: write [{hi}, {lo}]"),
                );
            }
            if hi >= n {
                return cx.fail(
                    &format!("{at}.dumpers"),
                    format!(
                        "dumper {hi} does not exist: inparallel is {n} (dumpers 0 to {})",
                        n - 1
                    ),
                );
            }
            Some(lo as u16..=hi as u16)
        }
    };
    if let Some(m) = &f.message
        && m.is_empty()
    {
        return cx.fail(
            &format!("{at}.message"),
            "give Amanda's text, e.g. \"[request timeout]\"",
        );
    }
    Ok(Filter {
        hosts,
        dumpers,
        cause: f.cause,
        outcome: f.outcome,
        port: f.port.map(|p| match p {
            PortClassFile::InRange => PortClass::InRange,
            PortClassFile::OutsideRange => PortClass::OutsideRange,
            PortClassFile::None => PortClass::None,
        }),
        fate: f.fate.map(|x| match x {
            FateFile::Failed => DleFate::Failed,
            FateFile::NotScheduled => DleFate::NotScheduled,
        }),
        message: f.message.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measure_names_round_trip() {
        for n in Measure::all_names() {
            assert_eq!(
                Measure::parse(&n).map(Measure::name),
                Some(n.clone()),
                "{n}"
            );
        }
        assert_eq!(Measure::parse("summary.nope"), None);
        let w = MEASURE_NAMES.iter().position(|&n| n == "window_h").unwrap();
        assert_eq!(Measure::parse("measures.window_h"), Some(Measure::Night(w)));
    }

    #[test]
    fn bounds_read_like_people_write_them() {
        let b = |l, h| Bounds {
            at_least: l,
            at_most: h,
        };
        assert_eq!(b(Some(10.0), Some(10.0)).describe(), "= 10");
        assert_eq!(b(None, Some(0.0)).describe(), "<= 0");
        assert_eq!(b(Some(0.5), Some(9.0)).describe(), "in [0.5, 9]");
        assert!(b(Some(1.0), None).contains(1.0) && !b(Some(1.0), None).contains(0.999));
        assert_eq!(num(2.7333333), "2.733");
    }
}
