//! A sweep for people (terminal table, Markdown report) and for programs (JSON, CSV).

use super::plots_section;
use crate::study::sweep::{LINK_BUSY, Point, Sweep, show};
use std::fmt::Write;

/// Mean ± half-width, with the decimals given; the mean alone when every night agreed.
fn pm(p: &Point, measure: &str, d: usize) -> String {
    let Some(m) = p.get(measure) else {
        return "—".into();
    };
    if m.stats.sd == 0.0 {
        format!("{:.d$}", m.stats.mean)
    } else {
        format!("{:.d$} ± {:.d$}", m.stats.mean, m.stats.half_width())
    }
}

/// The paired difference against the scenario's own point: mean [low, high].
fn vs_own(p: &Point, measure: &str) -> String {
    match p.get(measure).and_then(|m| m.vs_own) {
        Some(d) if d.sd == 0.0 => format!("{:+.2}", d.mean),
        Some(d) => format!("{:+.2} [{:+.2}, {:+.2}]", d.mean, d.low, d.high),
        None => "—".into(),
    }
}

fn mean(p: &Point, measure: &str, d: usize) -> String {
    p.get(measure)
        .map_or_else(|| "—".into(), |m| format!("{:.d$}", m.stats.mean))
}

/// Columns of the one-setting table: title, measure, decimals.
fn columns(s: &Sweep) -> Vec<(&'static str, &'static str, usize)> {
    let mut c = vec![
        ("lost DLEs", "failed_dles", 2),
        ("failed tries", "failed_attempts", 2),
        ("window h", "window_h", 2),
    ];
    if s.points.iter().any(|p| p.get(LINK_BUSY).is_some()) {
        c.push(("busiest link h", LINK_BUSY, 2));
    }
    c.extend([
        ("open ports", "reachable_ports", 0),
        ("pinhole port-h", "pinhole_port_hours", 0),
    ]);
    c
}

/// Aligned rows: the first column left, the others right.
fn align(rows: &[Vec<String>]) -> String {
    // A row shorter than the header ends in a cell that spans the rest (an invalid point's reason).
    let n = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter(|r| r.len() == n || i + 1 < r.len())
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut o = String::new();
    for (k, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(j, cell)| {
                let pad = widths[j].saturating_sub(cell.chars().count());
                if j == 0 || (r.len() < n && j + 1 == r.len()) {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(o, "{}", line.join("  ").trim_end());
        if k == 0 {
            let _ = writeln!(
                o,
                "{}",
                "-".repeat(widths.iter().sum::<usize>() + 2 * n.saturating_sub(1))
            );
        }
    }
    o
}

/// The value of axis `a` at point `p`, starred when it is the scenario's own.
fn at(s: &Sweep, a: usize, v: usize) -> String {
    let x = show(&s.axes[a].values[v]);
    if s.axes[a].own_index == Some(v) {
        format!("{x}*")
    } else {
        x
    }
}

/// One row per point: the setting, then mean ± 95% half-width of each measure.
fn one_axis_rows(s: &Sweep) -> Vec<Vec<String>> {
    let cols = columns(s);
    let mut head = vec![s.axes[0].setting.clone()];
    head.push("nights lost".into());
    head.extend(cols.iter().map(|c| c.0.to_string()));
    let paired = s.own_point.is_some();
    if paired {
        head.push("window vs * (paired)".into());
    }
    let mut rows = vec![head];
    for (i, p) in s.points.iter().enumerate() {
        let mut row = vec![at(s, 0, i)];
        match &p.invalid {
            Some(msg) => row.push(format!("invalid: {msg}")),
            None => {
                row.push(format!(
                    "{}/{}",
                    p.nights_with_loss.unwrap_or(0),
                    s.replications
                ));
                row.extend(cols.iter().map(|c| pm(p, c.1, c.2)));
                if paired {
                    row.push(vs_own(p, "window_h"));
                }
            }
        }
        rows.push(row);
    }
    rows
}

/// A grid of one measure's means: axis 0 down, axis 1 across.
fn grid_rows(s: &Sweep, measure: &str, d: usize) -> Vec<Vec<String>> {
    let (a, b) = (&s.axes[0], &s.axes[1]);
    let mut head = vec![String::new()];
    head.extend((0..b.values.len()).map(|j| at(s, 1, j)));
    let mut rows = vec![head];
    for i in 0..a.values.len() {
        let mut row = vec![at(s, 0, i)];
        for j in 0..b.values.len() {
            let p = &s.points[i * b.values.len() + j];
            row.push(if p.invalid.is_some() {
                "invalid".into()
            } else {
                mean(p, measure, d)
            });
        }
        rows.push(row);
    }
    rows
}

const GRIDS: [(&str, &str, usize); 3] = [
    ("DLEs lost a night (mean)", "failed_dles", 2),
    ("nights with a lost DLE", "nights_lost", 0),
    ("backup window, h (mean)", "window_h", 2),
];

fn grid(s: &Sweep, measure: &str, d: usize) -> Vec<Vec<String>> {
    if measure != "nights_lost" {
        return grid_rows(s, measure, d);
    }
    let mut rows = grid_rows(s, "failed_dles", 0);
    let n = s.axes[1].values.len();
    for (i, row) in rows.iter_mut().skip(1).enumerate() {
        for (j, cell) in row.iter_mut().skip(1).enumerate() {
            if let Some(k) = s.points[i * n + j].nights_with_loss {
                *cell = format!("{k}/{}", s.replications);
            }
        }
    }
    rows
}

fn headline(s: &Sweep) -> String {
    let settings: Vec<&str> = s.axes.iter().map(|a| a.setting.as_str()).collect();
    format!(
        "portsim {}: sweep of {} on scenario {}{}, seed {}, {} nights per point (the same nights at every point), {:.0}% intervals",
        s.portsim,
        settings.join(" x "),
        s.scenario,
        s.remedy
            .as_ref()
            .map_or(String::new(), |r| format!(" with remedy {r}")),
        s.seed,
        s.replications,
        s.confidence * 100.0
    )
}

/// The terminal report: the table (or grids), then the findings.
pub fn text(s: &Sweep) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", headline(s));
    if s.axes.len() == 1 {
        o.push_str(&align(&one_axis_rows(s)));
    } else {
        let _ = writeln!(
            o,
            "rows: {}; columns: {}",
            s.axes[0].setting, s.axes[1].setting
        );
        for (title, m, d) in GRIDS {
            let _ = writeln!(o, "\n{title}:");
            o.push_str(&align(&grid(s, m, d)));
        }
    }
    let _ = writeln!(o, "* the scenario's own value\n");
    for f in &s.findings {
        let _ = writeln!(o, "{f}");
    }
    o
}

fn md_table(rows: &[Vec<String>]) -> String {
    let mut o = String::new();
    let n = rows.first().map_or(0, Vec::len);
    for (k, r) in rows.iter().enumerate() {
        let mut r = r.clone();
        r.resize(n, String::new());
        let _ = writeln!(o, "| {} |", r.join(" | "));
        if k == 0 {
            let _ = writeln!(o, "|---|{}", "---:|".repeat(r.len() - 1));
        }
    }
    o
}

/// The Markdown report; `plots` are (title, file) pairs to embed.
pub fn markdown(s: &Sweep, plots: &[(&str, &str)]) -> String {
    let mut o = String::new();
    let settings: Vec<&str> = s.axes.iter().map(|a| a.setting.as_str()).collect();
    let _ = writeln!(
        o,
        "# portsim sweep: {} on {}\n",
        settings.join(" x "),
        s.scenario
    );
    let _ = writeln!(
        o,
        "{} nights per point, the same nights at every point (common random numbers), seed {}, portsim {}{}. Intervals are pointwise {:.0}% Student-t. Reproduce with `{}`.\n",
        s.replications,
        s.seed,
        s.portsim,
        s.remedy
            .as_ref()
            .map_or(String::new(), |r| format!(", remedy {r} at every point")),
        s.confidence * 100.0,
        s.command
    );
    let _ = writeln!(o, "## Findings\n");
    for f in &s.findings {
        let _ = writeln!(o, "- {f}");
    }
    let _ = writeln!(
        o,
        "\n## Points (mean ± 95% half-width; * the scenario's own value)\n"
    );
    if s.axes.len() == 1 {
        o.push_str(&md_table(&one_axis_rows(s)));
    } else {
        let _ = writeln!(
            o,
            "Rows: {}; columns: {}.",
            s.axes[0].setting, s.axes[1].setting
        );
        for (title, m, d) in GRIDS {
            let _ = writeln!(o, "\n### {title}\n");
            o.push_str(&md_table(&grid(s, m, d)));
        }
    }
    plots_section(&mut o, plots);
    o
}

/// CSV: one row per point and measure; an invalid point is one row with its reason.
pub fn csv(s: &Sweep) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = s.axes.iter().map(|a| a.setting.clone()).collect();
    head.extend(
        [
            "measure",
            "n",
            "mean",
            "sd",
            "ci_low",
            "ci_high",
            "diff_mean",
            "diff_low",
            "diff_high",
            "nights_lost",
            "invalid",
        ]
        .map(String::from),
    );
    w.write_record(&head).expect("in-memory CSV");
    for p in &s.points {
        let at: Vec<String> = p.at.iter().map(show).collect();
        if let Some(msg) = &p.invalid {
            let mut row = at.clone();
            row.extend(std::iter::repeat_n(String::new(), 10));
            row.push(msg.clone());
            w.write_record(&row).expect("in-memory CSV");
            continue;
        }
        for m in &p.measures {
            let f = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x}"));
            let d = m.vs_own;
            let mut row = at.clone();
            row.extend([
                m.measure.to_string(),
                m.stats.n.to_string(),
                format!("{}", m.stats.mean),
                format!("{}", m.stats.sd),
                format!("{}", m.stats.low),
                format!("{}", m.stats.high),
                f(d.map(|d| d.mean)),
                f(d.map(|d| d.low)),
                f(d.map(|d| d.high)),
                p.nights_with_loss.map_or(String::new(), |k| k.to_string()),
                String::new(),
            ]);
            w.write_record(&row).expect("in-memory CSV");
        }
    }
    String::from_utf8(w.into_inner().expect("flushed")).expect("UTF-8")
}

/// Pretty JSON with a final newline.
pub fn json(s: &Sweep) -> String {
    let mut out = serde_json::to_string_pretty(s).expect("sweep serialises");
    out.push('\n');
    out
}

/// The names [`report_files`] writes for a sweep of `settings` varied settings.
pub fn file_names(settings: usize) -> std::collections::BTreeSet<String> {
    let chart = if settings == 1 { "sweep" } else { "heatmap" };
    ["report.md", "report.json", "report.csv"]
        .into_iter()
        .map(String::from)
        .chain(["svg", "png"].map(|e| format!("{chart}.{e}")))
        .collect()
}

/// The report directory's files: report.md, report.json, report.csv and the plots.
pub fn report_files(s: &Sweep) -> Vec<(String, Vec<u8>)> {
    let plots = crate::report::plots::sweep::render(s);
    let listed: Vec<(&str, &str)> = plots
        .iter()
        .filter(|p| p.file.ends_with(".svg"))
        .map(|p| (p.title.as_str(), p.file.as_str()))
        .collect();
    let mut files = vec![
        ("report.md".to_string(), markdown(s, &listed).into_bytes()),
        ("report.json".to_string(), json(s).into_bytes()),
        ("report.csv".to_string(), csv(s).into_bytes()),
    ];
    files.extend(plots.into_iter().map(|p| (p.file, p.bytes)));
    files
}
