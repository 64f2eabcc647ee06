//! A comparison for people (terminal table, Markdown report) and for programs (JSON, CSV).

use super::plots_section;
use crate::study::compare::{Comparison, MeasureStats, Showcase, VariantReport};
use std::fmt::Write;

/// A non-negative amount: whole above 10, two decimals below, so 1.41 does not read as 1.
fn count(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// A short column title for the terminal.
fn short(measure: &str) -> &'static str {
    match measure {
        "failed_dles" => "failed DLEs",
        "failed_attempts" => "failed tries",
        "window_h" => "window h",
        "waited_for_port" => "port waits",
        "reachable_ports" => "open ports",
        "pinhole_port_hours" => "pinhole port-h",
        "reply_drop_chance" => "P(reply dropped)",
        _ => label(measure).0,
    }
}

/// How a measure is shown: title and decimals.
fn label(measure: &str) -> (&'static str, usize) {
    match measure {
        "failed_dles" => ("failed DLEs", 2),
        "failed_attempts" => ("failed attempts", 2),
        "window_h" => ("window (h)", 2),
        "dumped_gb" => ("dumped (GB)", 1),
        "waited_for_port" => ("dumps that waited for a port", 2),
        "reachable_ports" => ("server UDP ports reachable unsolicited", 0),
        "rests_on_source_port" => ("acceptance rests on the source port", 0),
        "pinhole_port_hours" => ("pinhole (port x peer) hours", 0),
        "reply_drop_chance" => ("P(legitimate reply dropped)", 4),
        _ => ("?", 2),
    }
}

fn pm(m: &MeasureStats) -> String {
    let (_, d) = label(m.measure);
    // Whole numbers for big counts; small ones keep two decimals so 0.4 does not read as 0.
    let d = if d == 0 && m.stats.mean.abs() < 100.0 && m.stats.mean.fract() != 0.0 {
        2
    } else {
        d
    };
    if m.stats.sd == 0.0 {
        format!("{:.d$}", m.stats.mean)
    } else {
        format!("{:.d$} ± {:.d$}", m.stats.mean, m.stats.half_width())
    }
}

fn diff(m: &MeasureStats) -> String {
    let Some(d) = m.vs_baseline else {
        return "—".into();
    };
    let (_, p) = label(m.measure);
    let p = p.max(2);
    if d.sd == 0.0 {
        format!("{:+.p$}", d.mean)
    } else {
        format!("{:+.p$} [{:+.p$}, {:+.p$}]", d.mean, d.low, d.high)
    }
}

const TABLE: [&str; 7] = [
    "failed_dles",
    "failed_attempts",
    "window_h",
    "waited_for_port",
    "reachable_ports",
    "pinhole_port_hours",
    "reply_drop_chance",
];

fn find<'a>(v: &'a VariantReport, measure: &str) -> &'a MeasureStats {
    v.measures
        .iter()
        .find(|m| m.measure == measure)
        .expect("every variant has every measure")
}

/// The terminal table: one row per variant, mean ± interval half-width.
pub fn text(c: &Comparison) -> String {
    let mut rows: Vec<Vec<String>> = vec![
        std::iter::once("variant".to_string())
            .chain(TABLE.iter().map(|m| short(m).to_string()))
            .collect(),
    ];
    for v in &c.variants {
        let mut row = vec![v.name.clone()];
        row.extend(TABLE.iter().map(|m| pm(find(v, m))));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "portsim {}: compare on scenario {}, seed {}, {} replications, {:.0}% intervals (paired: {:.2}%, Bonferroni)",
        c.portsim,
        c.scenario,
        c.seed,
        c.replications,
        c.confidence * 100.0,
        c.paired_confidence * 100.0
    );
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(j, cell)| {
                let pad = widths[j] - cell.chars().count();
                if j == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(o, "{}", line.join("  "));
        if i == 0 {
            let _ = writeln!(
                o,
                "{}",
                "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1))
            );
        }
    }
    let _ = writeln!(o);
    for line in verdicts(c).iter().chain(&c.notes) {
        let _ = writeln!(o, "{line}");
    }
    o
}

/// When the baseline lost nothing in any night, the sentence that says so: it comes first, before
/// any remedy's numbers could read as advice, and then nothing is recommended.
fn clean_baseline(c: &Comparison, base: &VariantReport) -> Option<String> {
    let none = |m: &str| find(base, m).values.iter().all(|&x| x == 0.0);
    (none("failed_dles") && none("failed_attempts")).then(|| {
        format!(
            "The baseline is already clean: no DLE lost and no failed attempt in any of {} nights. No remedy is needed; the lines below only show what each would change.",
            c.replications
        )
    })
}

/// Sentences drawn from the numbers: what each remedy fixes and what it costs.
pub fn verdicts(c: &Comparison) -> Vec<String> {
    let base = &c.variants[0];
    let mut out = Vec::new();
    let bf = find(base, "failed_dles");
    let base_clean = clean_baseline(c, base);
    out.extend(base_clean.clone());
    out.push(format!(
        "baseline: {:.2} DLEs lost per night (95% CI {:.2} to {:.2}), {:.2} failed attempts, window {:.2} h.",
        bf.stats.mean,
        bf.stats.low.max(0.0),
        bf.stats.high,
        find(base, "failed_attempts").stats.mean,
        find(base, "window_h").stats.mean
    ));
    let mut clean: Vec<Clean> = Vec::new();
    for v in &c.variants[1..] {
        let f = find(v, "failed_attempts");
        let fd = find(v, "failed_dles");
        let w = find(v, "window_h");
        let dw = w.vs_baseline.expect("remedies have a paired difference");
        let no_attempt_failed = f.values.iter().all(|&x| x == 0.0);
        let no_dle_lost = fd.values.iter().all(|&x| x == 0.0);
        let fixes = match (no_dle_lost, no_attempt_failed) {
            (true, true) => format!(
                "no DLE lost and no failed attempt in any of {} nights",
                c.replications
            ),
            (true, false) => format!(
                "no DLE lost in {} nights, but {:.2} failed attempts a night",
                c.replications, f.stats.mean
            ),
            (false, _) => format!(
                "still {:.2} DLEs lost per night (95% CI {:.2} to {:.2})",
                fd.stats.mean,
                fd.stats.low.max(0.0),
                fd.stats.high
            ),
        };
        let window = if dw.excludes_zero() {
            format!("window {:+.2} h [{:+.2}, {:+.2}]", dw.mean, dw.low, dw.high)
        } else {
            "window unchanged (the difference's interval holds 0)".into()
        };
        let ports = find(v, "reachable_ports").stats.mean;
        let spoof = find(v, "rests_on_source_port").stats.mean > 0.0;
        let pin = find(v, "pinhole_port_hours").stats.mean;
        let waited = find(v, "waited_for_port").stats.mean;
        let price = price_words(v);
        out.push(format!(
            "{}: {fixes}; {window}; {ports:.0} server UDP ports reachable unsolicited{}; {} pinhole port-hours{}; price: {price}.",
            v.name,
            if spoof { " (acceptance rests on the source port, which the sender chooses)" } else { "" },
            count(pin),
            if waited > 0.0 { format!("; {waited:.2} dumps a night waited for a port") } else { String::new() },
        ));
        if no_dle_lost && no_attempt_failed {
            clean.push((v.name.as_str(), ports, pin, price_flags(v), dw.mean, price));
        }
    }
    out.extend(c.skipped.iter().map(|s| {
        format!(
            "{}: not compared, it does not apply here: {}.",
            s.name, s.reason
        )
    }));
    if base_clean.is_some() {
        return out;
    }
    // Only a remedy with no DLE lost and no failed attempt in any night is ever recommended.
    recommend(&mut out, c, &clean);
    out
}

/// How much a remedy asks to change: rebuild, firewall change and code change, one each.
fn price_flags(v: &VariantReport) -> usize {
    v.price.as_ref().map_or(0, |p| {
        usize::from(p.rebuild) + usize::from(p.firewall_change) + usize::from(p.code_change)
    })
}

/// Whether a variant lost no DLE and had no failed attempt in any night: only such a remedy is
/// ever recommended (or highlighted in a chart).
pub fn is_clean(v: &VariantReport) -> bool {
    let none = |m: &str| find(v, m).values.iter().all(|&x| x == 0.0);
    none("failed_dles") && none("failed_attempts")
}

/// The remedy the report recommends as least exposed: clean in every night, then the fewest
/// ports reachable unsolicited, pinhole port-hours, price flags, the first in order. None when the
/// baseline is already clean (nothing is recommended) or no remedy is clean.
pub fn least_exposed(c: &Comparison) -> Option<usize> {
    if clean_baseline(c, &c.variants[0]).is_some() {
        return None;
    }
    let key = |i: usize| {
        let v = &c.variants[i];
        (
            find(v, "reachable_ports").stats.mean,
            find(v, "pinhole_port_hours").stats.mean,
            price_flags(v),
        )
    };
    (1..c.variants.len())
        .filter(|&i| is_clean(&c.variants[i]))
        .min_by(|&a, &b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.total_cmp(&kb.0)
                .then(ka.1.total_cmp(&kb.1))
                .then(ka.2.cmp(&kb.2))
        })
}

/// A remedy that cleaned every night: name, ports reachable, pinhole port-hours, price flags,
/// window difference, price words.
type Clean<'a> = (&'a str, f64, f64, usize, f64, String);

/// The recommendations among the clean remedies: least exposed, and least to change.
fn recommend(out: &mut Vec<String>, c: &Comparison, clean: &[Clean]) {
    if clean.is_empty() {
        out.push("No remedy removed every failure in every night.".into());
        return;
    }
    out.push(format!(
        "Every night clean with: {}.",
        clean.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
    ));
    // Two readings of the same numbers: least exposed first, or least to change first.
    let best = least_exposed(c).map(|i| c.variants[i].name.as_str());
    let e = clean
        .iter()
        .find(|t| Some(t.0) == best)
        .expect("the least exposed remedy is clean");
    out.push(format!(
        "Least exposed of those: {} ({:.0} ports reachable unsolicited, {} pinhole port-hours; price: {}).",
        e.0,
        e.1,
        count(e.2),
        e.5
    ));
    let base_ports = find(&c.variants[0], "reachable_ports").stats.mean;
    let mut by_price: Vec<_> = clean.iter().filter(|c| c.1 <= base_ports).collect();
    by_price.sort_by(|a, b| {
        a.3.cmp(&b.3)
            .then(a.4.total_cmp(&b.4))
            .then(a.2.total_cmp(&b.2))
    });
    if let Some(p) = by_price.first() {
        out.push(format!(
            "Least to change without opening more than the baseline: {} (price: {}; window {:+.2} h).",
            p.0, p.5, p.4
        ));
    }
}

/// What a remedy costs to apply, in words.
fn price_words(v: &VariantReport) -> String {
    v.price.as_ref().map_or(String::new(), |p| {
        let mut parts = Vec::new();
        if p.rebuild {
            parts.push("rebuild");
        }
        if p.firewall_change {
            parts.push("firewall change");
        }
        if p.code_change {
            parts.push("code change");
        }
        if parts.is_empty() {
            parts.push("configuration only");
        }
        parts.join(", ")
    })
}

/// The Markdown table of what each remedy costs to apply.
fn price_table(o: &mut String, c: &Comparison) {
    let _ = writeln!(o, "\n## Operational price\n");
    let _ = writeln!(
        o,
        "| remedy | parameters | rebuild | firewall change | code change | note |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    let yn = |b: bool| if b { "yes" } else { "no" };
    for v in &c.variants[1..] {
        if let Some(p) = &v.price {
            let _ = writeln!(
                o,
                "| {} | `{}` | {} | {} | {} | {} |",
                v.name,
                v.params,
                yn(p.rebuild),
                yn(p.firewall_change),
                yn(p.code_change),
                p.note
            );
        }
    }
}

/// The Markdown section of what each remedy changes at the site, when the lines were attached.
fn apply_section(o: &mut String, c: &Comparison) {
    let applied: Vec<_> = c.variants[1..]
        .iter()
        .filter_map(|v| v.apply.as_ref().map(|a| (v, a)))
        .collect();
    let Some((_, first)) = applied.first() else {
        return;
    };
    let _ = writeln!(o, "\n## What to change at the site\n");
    let _ = writeln!(
        o,
        "The lines each remedy takes out (`-`) and puts in (`+`), firewall rules in {}; `portsim apply REMEDY --dialect {}` with this scenario prints the whole files' diffs. Addresses are placeholders in 198.18.0.0/15 until `--zone`, `--host` and `--server-addr` give the site's.\n",
        first.dialect.name(),
        first.dialect.name()
    );
    for (v, a) in applied {
        let _ = writeln!(o, "### {}\n", v.name);
        if !is_clean(v) {
            let lost = find(v, "failed_dles").stats.mean;
            let _ = writeln!(
                o,
                "**Not recommended:** {}.\n",
                if lost > 0.0 {
                    format!("it still loses {lost:.2} DLEs a night here")
                } else {
                    "it still had failed attempts here".to_string()
                }
            );
        }
        o.push_str(&super::apply::markdown(a));
    }
    // One blank line before the next section, which brings its own.
    while o.ends_with("\n\n") {
        o.pop();
    }
}

/// The Markdown report.
pub fn markdown(c: &Comparison, plots: &[(&str, &str)]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# portsim compare: {}\n", c.scenario);
    let _ = writeln!(
        o,
        "{} replications per variant on common random numbers, seed {}, portsim {}. Intervals are {:.0}% Student-t; differences against the baseline are paired, at {:.2}% (Bonferroni over {} remedies). Reproduce with `{}`.\n",
        c.replications,
        c.seed,
        c.portsim,
        c.confidence * 100.0,
        c.paired_confidence * 100.0,
        c.variants.len() - 1,
        c.command
    );
    let _ = writeln!(o, "## What each remedy fixes and costs\n");
    for line in verdicts(c) {
        let _ = writeln!(o, "- {line}");
    }
    if !c.notes.is_empty() {
        let _ = writeln!(o, "\n### What this scenario does not test\n");
        for n in &c.notes {
            let _ = writeln!(o, "- {n}");
        }
    }
    let _ = writeln!(o, "\n## Measures (mean ± 95% half-width)\n");
    let _ = write!(o, "| variant |");
    for m in TABLE {
        let _ = write!(o, " {} |", label(m).0);
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "|---|{}", "---:|".repeat(TABLE.len()));
    for v in &c.variants {
        let _ = write!(o, "| {} |", v.name);
        for m in TABLE {
            let _ = write!(o, " {} |", pm(find(v, m)));
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "\n## Paired differences against the baseline\n");
    let _ = write!(o, "| remedy |");
    for m in TABLE {
        let _ = write!(o, " Δ {} |", label(m).0);
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "|---|{}", "---:|".repeat(TABLE.len()));
    for v in &c.variants[1..] {
        let _ = write!(o, "| {} |", v.name);
        for m in TABLE {
            let _ = write!(o, " {} |", diff(find(v, m)));
        }
        let _ = writeln!(o);
    }
    price_table(&mut o, c);
    apply_section(&mut o, c);
    plots_section(&mut o, plots);
    o
}

/// CSV: one row per variant and measure.
pub fn csv(c: &Comparison) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "variant",
        "measure",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "diff_mean",
        "diff_low",
        "diff_high",
    ])
    .expect("in-memory CSV");
    for v in &c.variants {
        for m in &v.measures {
            let d = m.vs_baseline;
            let f = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x}"));
            w.write_record([
                v.name.clone(),
                m.measure.to_string(),
                m.stats.n.to_string(),
                format!("{}", m.stats.mean),
                format!("{}", m.stats.sd),
                format!("{}", m.stats.low),
                format!("{}", m.stats.high),
                f(d.map(|d| d.mean)),
                f(d.map(|d| d.low)),
                f(d.map(|d| d.high)),
            ])
            .expect("in-memory CSV");
        }
    }
    String::from_utf8(w.into_inner().expect("flushed")).expect("UTF-8")
}

/// Pretty JSON with a final newline.
pub fn json(c: &Comparison) -> String {
    let mut s = serde_json::to_string_pretty(c).expect("comparison serialises");
    s.push('\n');
    s
}

/// The report directory's files: report.md, report.json, report.csv, and the plots.
pub fn files(c: &Comparison, shown: &Showcase) -> Vec<(String, Vec<u8>)> {
    let plots = super::plots::render_all(c, shown);
    let listed: Vec<(&str, &str)> = plots
        .iter()
        .filter(|p| p.file.ends_with(".svg"))
        .map(|p| (p.title.as_str(), p.file.as_str()))
        .collect();
    let mut files = vec![
        ("report.md".to_string(), markdown(c, &listed).into_bytes()),
        ("report.json".to_string(), json(c).into_bytes()),
        ("report.csv".to_string(), csv(c).into_bytes()),
    ];
    files.extend(plots.into_iter().map(|p| (p.file, p.bytes)));
    files
}
