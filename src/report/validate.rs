//! A validation as text, Markdown (report.md) and JSON (`portsim.validate/1`).

use crate::study::validate::{Dist, Placement, Row, Validation};
use std::fmt::Write;

/// JSON schema name.
pub const SCHEMA: &str = "portsim.validate/1";

fn num(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e9 => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn trim_pct(p: f64) -> String {
    if p < 1.0 {
        format!("{p:.2}")
    } else {
        format!("{p:.0}")
    }
}

fn sim_cell(row: &Row) -> String {
    let d: &Dist = &row.sim;
    if d.n == 0 {
        return "no night has it".into();
    }
    if row.measure.categorical() {
        return d
            .shares
            .iter()
            .map(|(v, s)| format!("{} in {}%", num(Some(*v)), trim_pct(100.0 * s)))
            .collect::<Vec<_>>()
            .join(", ");
    }
    format!(
        "{} [{} .. {}] (n {})",
        num(d.p50),
        num(d.p2_5),
        num(d.p97_5),
        d.n
    )
}

fn real_cell(p: &Placement, categorical: bool) -> String {
    match (p.value, p.inside) {
        (None, _) => "-".into(),
        (Some(v), Some(true)) if categorical => format!("{} ok", num(Some(v))),
        (Some(v), Some(false)) if categorical => format!("{} OUT", num(Some(v))),
        (Some(v), inside) => format!(
            "{} (p{}){}",
            num(Some(v)),
            p.percentile.map_or("-".into(), |q| format!("{q:.0}")),
            if inside == Some(false) { " OUT" } else { "" }
        ),
    }
}

/// Aligned text for the terminal.
pub fn text(v: &Validation) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "validate {}: Amanda {} profile, {} simulated nights (seed {}), {} real runs",
        v.scenario,
        v.version,
        v.nights,
        v.seed,
        v.runs.len()
    );
    for (i, r) in v.runs.iter().enumerate() {
        let _ = writeln!(s, "  real{}: {}", i + 1, r.dir);
    }
    let w = v.rows.iter().map(|r| r.label.len()).max().unwrap_or(10);
    let sims: Vec<String> = v.rows.iter().map(sim_cell).collect();
    let sw = sims.iter().map(String::len).max().unwrap_or(10).max(20);
    let _ = write!(
        s,
        "\n{:w$}  {:sw$}",
        "measure", "simulated median [95% range]"
    );
    for i in 0..v.runs.len() {
        let _ = write!(s, "  {:>16}", format!("real{}", i + 1));
    }
    let _ = writeln!(s);
    for (row, sim) in v.rows.iter().zip(&sims) {
        let _ = write!(s, "{:w$}  {:sw$}", row.label, sim);
        for p in &row.real {
            let _ = write!(s, "  {:>16}", real_cell(p, row.measure.categorical()));
        }
        let _ = writeln!(s);
    }
    let outside = outside(v);
    if outside.is_empty() {
        let _ = writeln!(s, "\nEvery real value lies within the simulated 95% range.");
    } else {
        let _ = writeln!(s, "\nOutside the simulated 95% range:");
        for (row, i, p) in outside {
            let _ = writeln!(
                s,
                "  {} real{}: {}: {}",
                row.label,
                i + 1,
                num(p.value),
                p.why.as_deref().unwrap_or("")
            );
        }
    }
    s
}

fn outside(v: &Validation) -> Vec<(&Row, usize, &Placement)> {
    let mut out = Vec::new();
    for row in &v.rows {
        for (i, p) in row.real.iter().enumerate() {
            if p.inside == Some(false) {
                out.push((row, i, p));
            }
        }
    }
    out
}

/// The table of real runs.
fn runs_table(s: &mut String, v: &Validation) {
    let _ = writeln!(s, "## Real runs\n");
    let _ = writeln!(
        s,
        "| | run | exit | same scenario | `already running` | notices |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for (i, r) in v.runs.iter().enumerate() {
        let same = match r.same_scenario {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "unknown (recipe run)",
        };
        let notices: Vec<String> = r
            .notices
            .iter()
            .take(3)
            .map(|n| format!("`{}`", n.replace('|', "\\|")))
            .collect();
        let _ = writeln!(
            s,
            "| real{} | `{}` | {} | {} | {} | {} |",
            i + 1,
            r.dir,
            num(r.exit.map(f64::from)),
            same,
            r.already_running,
            notices.join("<br>")
        );
    }
}

/// The Markdown report.
pub fn markdown(v: &Validation, plots: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Validation: {}\n", v.scenario);
    let _ = writeln!(
        s,
        "Real Amanda 3.5.1 runs of the scenario beside {} simulated nights (profile {}, seed {}). \
         Simulated figures are the median and the central 95% range of nights (nearest rank); \
         each real value is given with its mid-rank percentile among the simulated nights, and \
         **OUT** when it lies outside the 95% range, with the mechanism below.\n",
        v.nights, v.version, v.seed
    );
    let _ = writeln!(s, "Reproduce: `{}`\n", v.command);
    runs_table(&mut s, v);
    let _ = writeln!(s, "\n## Measures\n");
    let _ = write!(s, "| measure | simulated median [95% range] | mean |");
    for i in 0..v.runs.len() {
        let _ = write!(s, " real{} |", i + 1);
    }
    let _ = write!(s, "\n|---|---|---|");
    for _ in &v.runs {
        let _ = write!(s, "---|");
    }
    let _ = writeln!(s);
    for row in &v.rows {
        let _ = write!(
            s,
            "| {} | {} | {} |",
            row.label,
            sim_cell(row),
            num(row.sim.mean)
        );
        for p in &row.real {
            let cell = real_cell(p, row.measure.categorical()).replace("OUT", "**OUT**");
            let _ = write!(s, " {cell} |");
        }
        let _ = writeln!(s);
    }
    let out = outside(v);
    let _ = writeln!(s, "\n## Outside the 95% range, and why\n");
    if out.is_empty() {
        let _ = writeln!(
            s,
            "None: every real value lies within the simulated 95% range."
        );
    }
    for (row, i, p) in out {
        let _ = writeln!(
            s,
            "- **{}**, real{} = {}: {}",
            row.label,
            i + 1,
            num(p.value),
            p.why.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(s, "\n## Definitions\n");
    let _ = writeln!(
        s,
        "Times are seconds since amdump's start (real: the reader's origin; simulated: time 0). \
         A dispatch is the driver's `send-cmd` of a dump. Bad dumpers ran attempts and failed \
         every one. Failure after REQ, retry delay and rescued retry are each night's median \
         over its events; a night without such an event has no value and is left out (the \
         `n` of the simulated column). Retry delay runs from the failure's result to the retry's \
         dispatch; a rescued retry from the retry's dispatch to its DONE. Planner failed is 1 \
         when any DLE was never scheduled. The exit code is compared as a category."
    );
    if !plots.is_empty() {
        let _ = writeln!(s, "\n## Plots\n");
        for p in plots {
            let _ = writeln!(s, "![{p}]({p})");
        }
    }
    s
}

/// The JSON report.
pub fn json(v: &Validation) -> String {
    let mut value = serde_json::to_value(v).expect("serialisable");
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("schema".into(), SCHEMA.into());
        map.insert("portsim".into(), env!("CARGO_PKG_VERSION").into());
    }
    let mut s = serde_json::to_string_pretty(&value).expect("serialisable");
    s.push('\n');
    s
}
