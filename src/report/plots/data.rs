//! What the charts draw, gathered once from a comparison and from night 0 of two variants.

use super::*;
use crate::model::measures::AMANDA_PORT;

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
#[derive(Clone)]
pub(super) struct Night {
    pub(super) name: String,
    /// (dumper, start h, end h, outcome)
    pub(super) bars: Vec<(u16, f64, f64, Option<Outcome>)>,
    pub(super) dumpers: usize,
    /// Each dumper's port (None: it never bound) and whether it lies in the range.
    pub(super) ports: Vec<(Option<u16>, bool)>,
    pub(super) failed: usize,
    /// DLEs not dumped (failed, or never scheduled because their estimate failed).
    pub(super) lost: usize,
    /// Of which never scheduled.
    pub(super) not_scheduled: usize,
    /// DLEs given up: (dumper of the last attempt, hour decided, `host:disk`).
    pub(super) lost_marks: Vec<(u16, f64, String)>,
    /// The 2.4 driver's sleeps after failures (start h, end h), from the trace.
    pub(super) sleeps: Vec<(f64, f64)>,
    /// 2.5+ dumper rests after failures: (dumper, start h, end h).
    pub(super) rests: Vec<(u16, f64, f64)>,
    /// Whether the lost DLEs' triangles carry their names (not in a panel that a zoomed panel
    /// below repeats).
    pub(super) lost_names: bool,
    /// 3.x requeues, which pause nothing: (dumper of the retry, failure h, the retry's request
    /// h); the gap is the new chunker's startup.
    pub(super) requeues: Vec<(u16, f64, f64)>,
    /// When the driver got the schedule.
    pub(super) estimates_h: f64,
    pub(super) window_h: f64,
    /// Client packets the firewall dropped on their way to a server port in the range, and
    /// outside it (from the trace).
    pub(super) dropped_in_out: (u64, u64),
}

impl Night {
    /// `r` must carry its trace for the sleeps to show.
    pub(super) fn of(name: &str, r: &RunResult, sc: &Scenario) -> Night {
        let h = |t: SimTime| t.as_secs_f64() / 3600.0;
        let bars = r
            .attempts
            .iter()
            .filter(|a| a.end >= a.start)
            .map(|a| (a.dumper.0, h(a.start), h(a.end), a.outcome))
            .collect();
        let (sleeps, rests, dropped_in_out) = pauses_and_drops(r, sc);
        let requeues = if matches!(sc.server.profile.failure_pause, FailurePause::Requeue(_)) {
            requeues_of(r)
                .map(|(a, b)| (b.dumper.0, h(a.end), h(b.start)))
                .collect()
        } else {
            Vec::new()
        };
        let lost_marks = r
            .dles
            .iter()
            .enumerate()
            .filter(|(_, d)| d.fate == Some(DleFate::Failed))
            .filter_map(|(i, d)| {
                let last = r.attempts.iter().rev().find(|a| a.dle.0 as usize == i)?;
                let dle = &sc.dles[i];
                let name = format!("{}:{}", sc.hosts[usize::from(dle.host.0)].name, dle.disk);
                Some((last.dumper.0, h(d.decided), name))
            })
            .collect();
        Night {
            name: name.to_string(),
            bars,
            dumpers: r.dumpers.len(),
            ports: r
                .dumpers
                .iter()
                .map(|d| (d.port.map(|p| p.0), d.bind == Some(BindKind::InRange)))
                .collect(),
            failed: r
                .attempts
                .iter()
                .filter(|a| a.outcome != Some(Outcome::Done))
                .count(),
            lost: r
                .dles
                .iter()
                .filter(|d| d.fate != Some(DleFate::Dumped))
                .count(),
            not_scheduled: r
                .dles
                .iter()
                .filter(|d| d.fate == Some(DleFate::NotScheduled))
                .count(),
            lost_marks,
            sleeps,
            rests,
            requeues,
            lost_names: true,
            estimates_h: h(r.estimates_end),
            window_h: h(r.window),
            dropped_in_out,
        }
    }
}

/// Each failed attempt that has a retry, with that retry.
fn requeues_of(
    r: &RunResult,
) -> impl Iterator<Item = (&crate::model::site::Attempt, &crate::model::site::Attempt)> {
    r.attempts.iter().enumerate().filter_map(|(i, a)| {
        let retry = r.attempts[i + 1..].iter().find(|b| b.dle == a.dle);
        retry
            .filter(|_| a.outcome != Some(Outcome::Done))
            .map(|b| (a, b))
    })
}

/// The trace's failure pauses (the 2.4 driver's sleeps, 2.5+ dumper rests, in hours) and the
/// client packets the firewall dropped to ports in and outside the range.
#[allow(clippy::type_complexity)]
fn pauses_and_drops(
    r: &RunResult,
    sc: &Scenario,
) -> (Vec<(f64, f64)>, Vec<(u16, f64, f64)>, (u64, u64)) {
    let h = |t: SimTime| t.as_secs_f64() / 3600.0;
    let pause = match sc.server.profile.failure_pause {
        FailurePause::Driver(p) | FailurePause::DumperAndDle(p) | FailurePause::Requeue(p) => p,
    };
    let mut sleeps = Vec::new();
    let mut rests = Vec::new();
    let mut dropped = (0, 0);
    for e in r.trace.iter().flatten() {
        let t = SimTime(e.t_us);
        match e.event {
            TraceEvent::Send { wire, verdict, .. }
                if wire.src_port == AMANDA_PORT && !verdict.passes() =>
            {
                if sc.server.range.is_some_and(|r| r.contains(wire.dst_port)) {
                    dropped.0 += 1;
                } else {
                    dropped.1 += 1;
                }
            }
            TraceEvent::DriverSleep { .. } => sleeps.push((h(t), h(t + pause))),
            TraceEvent::DumperRest { dumper } => rests.push((dumper.0, h(t), h(t + pause))),
            _ => {}
        }
    }
    (sleeps, rests, dropped)
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
    /// The remedy the report recommends as least exposed (clean in every night), if any.
    pub(super) best: Option<usize>,
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
        let in_range = base_run.map_or_else(Vec::new, |(r, _)| {
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
            .map(|(i, r, sc)| Night::of(&c.variants[*i].name, r, sc));
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
            best: crate::report::compare::least_exposed(c),
            share: base.failure_share_by_dumper.clone(),
            in_range,
            range_text,
            baseline_night: base_run.map(|(r, sc)| Night::of(&base.name, r, sc)),
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
            Kind::Timeline => (1000, 1100),
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
