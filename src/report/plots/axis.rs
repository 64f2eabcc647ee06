//! A linear axis whose tick marks are given, for category and value axes.

use super::*;

/// A linear axis with the tick marks given (plotters' own `with_key_points` loses the formatter).
#[derive(Clone, Debug)]
pub(super) struct Axis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<f64>,
}

impl Axis {
    pub(super) fn new(r: std::ops::Range<f64>, ticks: Vec<f64>) -> Axis {
        Axis {
            lo: r.start,
            hi: r.end,
            ticks,
        }
    }
}

impl Ranged for Axis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = if self.hi > self.lo {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            0.5
        };
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Categorical x range: one slot per variant, centred on 0, 1, ...
pub(super) fn slots(n: usize) -> Axis {
    Axis::new(-0.5..n as f64 - 0.5, Vec::new())
}
