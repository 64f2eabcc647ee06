//! `workload`: how a night's dumps are drawn.

use super::Check;
use crate::model::config::Workload;
use crate::scenario::load::InputError;
use crate::scenario::schema::WorkloadFile;

pub(super) fn workload(c: &Check, w: &WorkloadFile) -> Result<Workload, InputError> {
    if w.dumpcycle == 0 {
        return c.fail("workload.dumpcycle", "dumpcycle must be 1 or more nights");
    }
    let [lo, hi] = w.incremental_fraction;
    if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
        return c.fail(
            "workload.incremental_fraction",
            format!("[{lo}, {hi}] must be two fractions with 0 <= low <= high <= 1"),
        );
    }
    if !(w.jitter.is_finite() && (0.0..=2.0).contains(&w.jitter)) {
        return c.fail(
            "workload.jitter",
            format!("{} must be between 0 and 2", w.jitter),
        );
    }
    Ok(Workload {
        dumpcycle: w.dumpcycle,
        incremental_fraction: (lo, hi),
        jitter: w.jitter,
        sendbackup_startup: c.secs("workload.sendbackup_startup_s", w.sendbackup_startup_s)?,
    })
}
