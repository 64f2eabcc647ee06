//! What the charts draw, gathered once from a comparison and from night 0 of two variants.

use super::*;

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Est {
    pub(super) mean: f64,
    pub(super) low: f64,
    pub(super) high: f64,
}

pub(super) fn est(v: &VariantReport, measure: &str) -> Est {
    let Some(m) = v.measures.iter().find(|m| m.measure == measure) else {
        return Est::default();
    };
    let mean = if m.stats.mean.is_finite() {
        m.stats.mean
    } else {
        0.0
    };
    let fin = |x: f64| if x.is_finite() { x } else { mean };
    Est {
        mean,
        low: fin(m.stats.low).min(mean),
        high: fin(m.stats.high).max(mean),
    }
}

/// One night's attempts of one variant, for the timeline.
pub(super) struct Night {
    pub(super) name: String,
    /// (dumper, start h, end h, outcome)
    pub(super) bars: Vec<(u16, f64, f64, Option<Outcome>)>,
    pub(super) dumpers: usize,
    /// First dumper without an in-range port, if any lacks one.
    pub(super) boundary: Option<usize>,
    pub(super) failed: usize,
    /// DLEs not dumped (failed, or never scheduled because their estimate failed).
    pub(super) lost: usize,
    /// When the driver got the schedule.
    pub(super) estimates_h: f64,
    pub(super) window_h: f64,
}

impl Night {
    pub(super) fn of(name: &str, r: &RunResult) -> Night {
        let bars = r
            .attempts
            .iter()
            .filter(|a| a.end >= a.start)
            .map(|a| {
                (
                    a.dumper.0,
                    a.start.as_secs_f64() / 3600.0,
                    a.end.as_secs_f64() / 3600.0,
                    a.outcome,
                )
            })
            .collect();
        Night {
            name: name.to_string(),
            bars,
            dumpers: r.dumpers.len(),
            boundary: boundary(r),
            failed: r
                .attempts
                .iter()
                .filter(|a| a.outcome != Some(Outcome::Done))
                .count(),
            lost: r
                .dles
                .iter()
                .filter(|d| d.fate != Some(crate::model::outcome::DleFate::Dumped))
                .count(),
            estimates_h: r.estimates_end.as_secs_f64() / 3600.0,
            window_h: r.window.as_secs_f64() / 3600.0,
        }
    }
}

pub(super) fn boundary(r: &RunResult) -> Option<usize> {
    r.dumpers
        .iter()
        .position(|d| d.bind != Some(BindKind::InRange))
}

/// Everything the charts need, computed once for both formats.
pub(super) struct Data {
    pub(super) names: Vec<String>,
    pub(super) replications: usize,
    pub(super) failed_dles: Vec<Est>,
    pub(super) failed_attempts: Vec<Est>,
    pub(super) window: Vec<Est>,
    pub(super) pinhole: Vec<Est>,
    pub(super) spoofable: Vec<bool>,
    /// Baseline share of failed attempts by dumper.
    pub(super) share: Vec<f64>,
    /// Baseline dumpers' in-range flags (replication 0).
    pub(super) in_range: Vec<bool>,
    pub(super) range_text: String,
    pub(super) baseline_night: Option<Night>,
    pub(super) other_night: Option<Night>,
}

impl Data {
    pub(super) fn prepare(c: &Comparison, shown: &Showcase) -> Data {
        let all = |m: &str| c.variants.iter().map(|v| est(v, m)).collect::<Vec<_>>();
        let base = &c.variants[0];
        let base_run = shown.baseline.as_ref();
        let in_range = base_run.map_or_else(Vec::new, |r| {
            r.dumpers
                .iter()
                .map(|d| d.bind == Some(BindKind::InRange))
                .collect()
        });
        let range_text = shown.range.map_or_else(
            || "the range".to_string(),
            |r| format!("{}-{}", r.low.0, r.high.0),
        );
        let other = shown
            .other
            .as_ref()
            .map(|(i, r)| Night::of(&c.variants[*i].name, r));
        Data {
            names: c.variants.iter().map(|v| v.name.clone()).collect(),
            replications: c.replications,
            failed_dles: all("failed_dles"),
            failed_attempts: all("failed_attempts"),
            window: all("window_h"),
            pinhole: all("pinhole_port_hours"),
            spoofable: all("rests_on_source_port")
                .iter()
                .map(|e| e.mean > 0.0)
                .collect(),
            share: base.failure_share_by_dumper.clone(),
            in_range,
            range_text,
            baseline_night: base_run.map(|r| Night::of(&base.name, r)),
            other_night: other,
        }
    }

    pub(super) fn title(&self, kind: Kind) -> Option<String> {
        let n = self.replications;
        Some(match kind {
            Kind::Failures => {
                format!("Failures per night by variant (mean and 95% CI, {n} nights)")
            }
            Kind::Window => format!("Backup window by variant (mean and 95% CI, {n} nights)"),
            Kind::Tradeoff => format!("Exposure against backup window (means, {n} nights)"),
            Kind::Dumpers => {
                if self.share.is_empty() {
                    return None;
                }
                format!("Share of failed attempts by dumper (baseline, {n} nights)")
            }
            Kind::Timeline => {
                let b = self.baseline_night.as_ref()?;
                match &self.other_night {
                    Some(o) => format!("Timeline of night 0: {} and {}", b.name, o.name),
                    None => format!("Timeline of night 0: {}", b.name),
                }
            }
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Failures,
    Window,
    Tradeoff,
    Dumpers,
    Timeline,
}

impl Kind {
    pub(super) const ALL: [Kind; 5] = [
        Kind::Failures,
        Kind::Window,
        Kind::Tradeoff,
        Kind::Dumpers,
        Kind::Timeline,
    ];

    pub(super) fn file(self) -> &'static str {
        match self {
            Kind::Failures => "failures",
            Kind::Window => "window",
            Kind::Tradeoff => "tradeoff",
            Kind::Dumpers => "dumpers",
            Kind::Timeline => "timeline",
        }
    }

    pub(super) fn size(self) -> (u32, u32) {
        match self {
            Kind::Timeline => (1000, 820),
            _ => (1000, 600),
        }
    }
}

pub(super) fn draw_chart<DB: DrawingBackend>(
    root: &Area<DB>,
    d: &Data,
    kind: Kind,
    title: &str,
    s: S,
) where
    DB::ErrorType: 'static,
{
    let r = root
        .fill(&WHITE)
        .map_err(Into::into)
        .and_then(|()| match kind {
            Kind::Failures => failures(root, s, d, title),
            Kind::Window => window(root, s, d, title),
            Kind::Tradeoff => tradeoff(root, s, d, title),
            Kind::Dumpers => dumpers(root, s, d, title),
            Kind::Timeline => timeline(root, s, d, title),
        });
    if let Err(e) = r {
        // Only a missing font can fail a drawing into memory, and the font is embedded.
        panic!("drawing the {} chart: {e}", kind.file());
    }
}
