//! Means, standard deviations and Student-t intervals over replications.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A sample summarised: n, mean, standard deviation and a two-sided confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// Sample size.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator).
    pub sd: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

/// The two-sided Student-t quantile for `confidence` with `df` degrees of freedom.
pub fn t_quantile(confidence: f64, df: usize) -> f64 {
    let t = StudentsT::new(0.0, 1.0, df as f64).expect("df >= 1");
    t.inverse_cdf(1.0 - (1.0 - confidence) / 2.0)
}

impl Interval {
    /// Summarises `xs` (at least 2 values) at `confidence` (e.g. 0.95).
    pub fn of(xs: &[f64], confidence: f64) -> Interval {
        let n = xs.len();
        assert!(n >= 2, "an interval needs at least 2 replications");
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        let half = t_quantile(confidence, n - 1) * sd / (n as f64).sqrt();
        Interval {
            n,
            mean,
            sd,
            low: mean - half,
            high: mean + half,
        }
    }

    /// Summarises the paired differences `ys[i] - xs[i]`.
    pub fn paired(xs: &[f64], ys: &[f64], confidence: f64) -> Interval {
        assert_eq!(
            xs.len(),
            ys.len(),
            "paired samples have one value per replication each"
        );
        let d: Vec<f64> = xs.iter().zip(ys).map(|(x, y)| y - x).collect();
        Interval::of(&d, confidence)
    }

    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }

    /// Whether the interval leaves out zero.
    pub fn excludes_zero(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95%: 12.706 (df 1), 2.262 (df 9), 1.984 (df 100).
        assert!((t_quantile(0.95, 1) - 12.706).abs() < 1e-3);
        assert!((t_quantile(0.95, 9) - 2.262).abs() < 1e-3);
        assert!((t_quantile(0.95, 100) - 1.984).abs() < 1e-3);
    }

    #[test]
    fn interval_of_a_known_sample() {
        // mean 5, sd sqrt(10/3) for 2,4,6,8 (hand-computed); t(0.975, 3) = 3.182.
        let i = Interval::of(&[2.0, 4.0, 6.0, 8.0], 0.95);
        assert_eq!(i.mean, 5.0);
        assert!((i.sd - (20.0f64 / 3.0).sqrt()).abs() < 1e-12);
        let half = 3.182446 * i.sd / 2.0;
        assert!((i.half_width() - half).abs() < 1e-4);
    }

    #[test]
    fn paired_differences_cancel_common_noise() {
        let base = [10.0, 20.0, 30.0, 40.0];
        let remedy = [8.0, 18.0, 28.0, 38.0];
        let d = Interval::paired(&base, &remedy, 0.95);
        assert_eq!((d.mean, d.sd), (-2.0, 0.0));
        assert!(d.excludes_zero());
        // Unpaired, the two intervals overlap: the noise hides the difference.
        let (a, b) = (Interval::of(&base, 0.95), Interval::of(&remedy, 0.95));
        assert!(b.high > a.low && a.high > b.low);
    }
}
