//! Why a real value lies outside the simulated 95% range, from what its night's logs show.
//!
//! Each mechanism is checked against the run before it is named; the last resort says that the
//! difference is unexplained, so that it is investigated rather than excused.

use super::measure::Measure;
use super::{Dist, RealRun};
use crate::amanda::log::RealNight;

/// What every mechanism looks at.
struct Ctx<'a> {
    m: Measure,
    x: f64,
    sim: &'a Dist,
    n: &'a RealNight,
    above: bool,
    /// Seconds from the schedule to the first dispatch, when over 6 s (a loaded machine).
    slow_start: Option<f64>,
}

/// Seconds between the first and the last `Can't bind a socket` failure of a real night.
fn no_port_spread(n: &RealNight) -> f64 {
    let ends: Vec<f64> = n
        .attempts
        .iter()
        .filter(|a| a.message.contains("Can't bind a socket"))
        .filter_map(|a| a.end.map(|e| e.as_secs_f64()))
        .collect();
    let lo = ends.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ends.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if ends.len() > 1 { hi - lo } else { 0.0 }
}

/// The mechanism behind real value `x` of measure `m`, outside `sim`'s 95% range.
pub fn mechanism(m: Measure, x: f64, sim: &Dist, run: &RealRun) -> String {
    let n = &run.night;
    if n.exit_status.is_none() && n.driver_end.is_none() {
        return "the run did not finish: no driver FINISH and no amdump exit in its logs (the lab's run timeout killed amdump), so the night was cut short".into();
    }
    let slow_start = n
        .attempts
        .first()
        .zip(n.estimates_end)
        .map(|(a, e)| a.start.as_secs_f64() - e.as_secs_f64())
        .filter(|d| *d > 6.0);
    let c = Ctx {
        m,
        x,
        sim,
        n,
        above: sim.p97_5.is_some_and(|p| x > p),
        slow_start,
    };
    start_up(&c)
        .or_else(|| rescans(&c))
        .or_else(|| retries(&c))
        .or_else(|| exit_code(&c))
        .or_else(|| load(&c))
        .unwrap_or_else(|| fallback(&c, run))
}

/// Start-up times the model fixes: the driver's, the dumpers', the planner's.
fn start_up(c: &Ctx) -> Option<String> {
    let (n, x, sim) = (c.n, c.x, c.sim);
    let est_end = n.estimates_end.map(|e| e.as_secs_f64());
    let first = n.attempts.first().map(|a| a.start.as_secs_f64());
    let ends_late = |limit: f64| c.above && sim.p97_5.is_some_and(|p| x - p < limit);
    match c.m {
        Measure::FirstDispatch if c.slow_start.is_none() => {
            let (f, e) = first.zip(est_end)?;
            (1.5..=6.0).contains(&(f - e)).then(|| format!(
                "start-up: the real estimate phase ended at {e:.2} s (planner start-up, and sendsize running tar on every DLE, which the scenario's `estimate_s` leaves out) and the driver's own start-up after it took {:.2} s; portsim uses 4.4 s for the latter, the lab's quiet runs took 2.0-4.5 s (taper start-up varies from run to run)",
                f - e
            ))
        }
        Measure::FailAfter if no_port_spread(n) == 0.0 && ends_late(2.0) => Some(format!(
            "measured from the driver's send-cmd: the real dumper starts, binds and sends its REQ {:.2} s after the command (its own debug log gives 30.0 s from REQ to `timeout waiting for ACK`); portsim sends the REQ at the dispatch",
            x - sim.p97_5.unwrap_or_default()
        )),
        Measure::DispatchSpread if c.above && c.slow_start.is_none() && n.dumpers.len() > 1 => {
            let per = x / (n.dumpers.len() as f64 - 1.0);
            (per < 0.2).then(|| format!(
                "the real driver writes its dump commands one after another ({:.0} ms per dumper here); portsim dispatches every idle dumper in one instant",
                1000.0 * per
            ))
        }
        Measure::Window if c.slow_start.is_none() => {
            let t = n.planner.as_ref()?.bound_at?.as_secs_f64();
            ends_late(t + 2.0).then(|| format!(
                "start-up: the real planner bound its socket and sent its first REQ {t:.2} s after amdump started (amdump forks planner and driver, each reads the configuration) and the driver ends after the planner; portsim's planner asks at time 0. The difference, {:.2} s, is that start-up",
                x - sim.p97_5.unwrap_or_default()
            ))
        }
        _ => None,
    }
}

/// The rescans of a dumper without a port.
fn rescans(c: &Ctx) -> Option<String> {
    let spread = no_port_spread(c.n);
    match c.m {
        Measure::FailAfter if spread > 0.0 && (c.x - c.sim.p50.unwrap_or_default()).abs() < 5.0 => {
            Some(format!(
                "the rescan period: portsim's dumper gives up after 50 scans of 15.8 s and 10 s of bind tries ({:.1} s); the real scans are 15 s of sleep plus a scan whose length varies with load ({:.1} s here)",
                c.sim.p50.unwrap_or_default(),
                c.x
            ))
        }
        Measure::RescuedRetry | Measure::Window
            if spread > 5.0 && (c.m == Measure::RescuedRetry || c.slow_start.is_none()) =>
        {
            Some(format!(
                "the real dumpers without a port gave up {spread:.1} s apart (each runs out of descriptors after its own count of scans), so their DLEs' retries ran one at a time; portsim's give up within a second and their retries share the link"
            ))
        }
        _ => None,
    }
}

/// Retries: their delay and the helper's REP resends.
fn retries(c: &Ctx) -> Option<String> {
    match c.m {
        Measure::RescuedRetry
            if c.above && (c.x - c.sim.p97_5.unwrap_or_default() - 10.0).abs() < 1.5 =>
        {
            Some("one REP resend period (10 s) more: the rescue waits for the other dump's MESG expectation to die and then for the client's next REP resend, which the real expectation missed by a few seconds".into())
        }
        Measure::RetryDelay if c.above => Some(
            "the retry's delay is the chunker round trip (ABORT, a new chunker, SHM-WRITE), not a timer: 0.2-0.9 s on a quiet machine (portsim: 0.2-0.9 s), seconds under load; the later of several simultaneous retries wait for their chunkers one after another".into(),
        ),
        _ => None,
    }
}

/// amdump's exit code: bits from processes the model does not simulate, or a killed run.
fn exit_code(c: &Ctx) -> Option<String> {
    if c.m != Measure::ExitCode {
        return None;
    }
    let code = c.x as i32;
    if code == 124 {
        return Some(
            "killed by the lab's run timeout (124 is timeout(1)'s code, not amdump's)".into(),
        );
    }
    let fatal = c.n.notices.iter().find(|t| t.starts_with("FATAL"))?;
    if code & 1 == 0 {
        return None;
    }
    let share = c
        .sim
        .shares
        .iter()
        .find(|s| s.0 as i32 == code & !1)
        .map_or(0.0, |s| s.1);
    Some(format!(
        "bit 1 comes from a process portsim does not simulate: `{fatal}` (Report.pm sets 1 for every FATAL/ERROR line); without it the code is {}, which the model gives in {:.0}% of nights",
        code & !1,
        100.0 * share
    ))
}

/// A loaded machine: every start-up slower than the model's quiet-machine figures.
fn load(c: &Ctx) -> Option<String> {
    let s = c.slow_start?;
    if !c.above {
        return None;
    }
    Some(match c.m {
        Measure::FirstDispatch | Measure::Window | Measure::DispatchSpread => format!(
            "machine load: the real driver sent its first dump {s:.1} s after the schedule (4.4 s on a quiet machine, portsim's figure); taper and chunker start-up are CPU-bound and the lab shared 2 cores with builds"
        ),
        _ => format!(
            "machine load (the first dump left {s:.1} s after the schedule instead of 4.4 s): every process start-up in the night is slower than the model's quiet-machine figures"
        ),
    })
}

/// Chance, a different scenario, or nothing known.
fn fallback(c: &Ctx, run: &RealRun) -> String {
    if let (Some(lo), Some(hi), Some(p)) = (c.sim.min, c.sim.max, c.sim.percentile(c.x))
        && (lo..=hi).contains(&c.x)
        && !c.m.categorical()
    {
        return format!(
            "chance: the value lies within the simulated nights' extremes (percentile {p:.1}); about 1 real value in 20 falls outside a 95% range by chance"
        );
    }
    if run.same_scenario == Some(false) {
        return "the run's rendered scenario differs from the one validated".into();
    }
    "no mechanism known to portsim explains it: a disagreement to investigate".into()
}
