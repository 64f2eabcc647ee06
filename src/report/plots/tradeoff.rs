//! Exposure (pinhole port-hours, log scale) against the backup window, one point per variant.

use super::*;
use plotters::coord::types::RangedCoordf64;

pub(super) fn tradeoff<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let top = header(root, s, title, &legend(d))?;
    let (_, body) = root.split_vertically(top);
    let y = log_y(d);
    let (x0, x1) = x_range(d);
    let mut chart = ChartBuilder::on(&body)
        .margin_left(s.px(10))
        .margin_right(s.px(30))
        .margin_top(s.px(6))
        .margin_bottom(s.px(4))
        .x_label_area_size(s.px(64))
        .y_label_area_size(s.px(76))
        .build_cartesian_2d(x0..x1, Axis::new(y.axis_lo()..y.yhi, y.ticks.clone()))?;
    axes(&mut chart, s, &y)?;
    let plot = {
        let (a, b) = (
            chart.backend_coord(&(x0, y.yhi)),
            chart.backend_coord(&(x1, y.axis_lo())),
        );
        BoxPx(a.0 + s.px(2), a.1 + s.px(2), b.0 - s.px(2), b.1 - s.px(2))
    };
    if let Some(f) = y.floor {
        let a = chart.backend_coord(&(x0, f + 0.25));
        let b = chart.backend_coord(&(x1, f + 0.25));
        axis_break(root, s, a, b)?;
    }
    // Whiskers first, markers over them, labels last.
    whiskers(&mut chart, s, d, &y)?;
    let points: Vec<(i32, i32)> = d
        .window
        .iter()
        .zip(&d.pinhole)
        .map(|(w, p)| chart.backend_coord(&(w.mean, y.at(p.mean))))
        .collect();
    marks(root, s, d, &points, &plot)
}

/// The legend: what the marker shapes say, and the crossed-out and the recommended marks when
/// the chart has them.
fn legend(d: &Data) -> Vec<(String, Swatch)> {
    let mut legend = vec![
        (
            "acceptance rests on source port 10080 (chosen by the sender)".to_string(),
            Swatch::Triangle(VERMILION),
        ),
        (
            "does not rest on the source port".to_string(),
            Swatch::Circle(OKABE_BLUE),
        ),
    ];
    if (0..d.names.len()).any(|i| loses(d, i)) {
        legend.push((
            "loses DLEs: broken, never recommended".to_string(),
            Swatch::Cross(LOSS_RED),
        ));
    }
    if d.best.is_some() {
        legend.push((
            "recommended: clean every night, least exposed".to_string(),
            Swatch::Ring(BLUISH_GREEN),
        ));
    }
    legend.push(("95% CI".to_string(), Swatch::Whisker));
    legend
}

/// Whether variant `i` lost a DLE in any night (its mean is above 0 exactly then).
fn loses(d: &Data, i: usize) -> bool {
    d.failed_dles[i].mean > 0.0
}

/// The axes' descriptions and tick labels (a log scale, with 0 on a floor below it).
fn axes<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Axis>>,
    s: S,
    y: &LogY,
) -> Res
where
    DB::ErrorType: 'static,
{
    let floor = y.floor;
    let fmt = move |v: &f64| -> String {
        if floor.is_some_and(|f| (v - f).abs() < 1e-9) {
            "0".into()
        } else {
            short_num(round_sig(10f64.powf(*v)))
        }
    };
    mesh(chart, s)
        .x_desc("backup window (h)")
        .y_desc(if y.has_zero {
            "pinhole (port x peer) hours, log scale; 0 at the bottom"
        } else {
            "pinhole (port x peer) hours, log scale"
        })
        .x_label_formatter(&|x| trim(format!("{x:.2}")))
        .y_label_formatter(&fmt)
        .draw()?;
    Ok(())
}

/// Each variant's 95% intervals: the window across, the pinhole port-hours up and down.
fn whiskers<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Axis>>,
    s: S,
    d: &Data,
    y: &LogY,
) -> Res
where
    DB::ErrorType: 'static,
{
    let st = s.line(GREY, 1);
    let cap = (y.yhi - y.axis_lo()) * 0.012;
    for (w, p) in d.window.iter().zip(&d.pinhole) {
        let m = y.at(p.mean);
        chart.draw_series([
            PathElement::new(vec![(w.low, m), (w.high, m)], st),
            PathElement::new(
                vec![(w.mean, y.at(p.low.max(0.0))), (w.mean, y.at(p.high))],
                st,
            ),
        ])?;
        chart.draw_series([
            PathElement::new(vec![(w.low, m - cap), (w.low, m + cap)], st),
            PathElement::new(vec![(w.high, m - cap), (w.high, m + cap)], st),
        ])?;
    }
    Ok(())
}

/// Places a `w` x `h` label near `p` without touching `taken`, inside `plot`. Returns the box
/// and whether it sits next to the point (else a leader line is wanted).
pub(super) fn place_label(
    s: S,
    p: (i32, i32),
    w: i32,
    h: i32,
    taken: &[BoxPx],
    plot: &BoxPx,
) -> (BoxPx, bool) {
    let o = s.px(14);
    let right = |dy: i32| BoxPx(p.0 + o, p.1 - h / 2 + dy, p.0 + o + w, p.1 - h / 2 + dy + h);
    let left = |dy: i32| BoxPx(p.0 - o - w, p.1 - h / 2 + dy, p.0 - o, p.1 - h / 2 + dy + h);
    let above = BoxPx(p.0 - w / 2, p.1 - o - h, p.0 + w / 2, p.1 - o);
    let below = BoxPx(p.0 - w / 2, p.1 + o, p.0 + w / 2, p.1 + o + h);
    let free = |b: &BoxPx| b.inside(plot) && !taken.iter().any(|t| t.overlaps(b));
    for b in [right(0), left(0), above, below] {
        if free(&b) {
            return (b, true);
        }
    }
    let step = h + s.px(8);
    for k in 1..=12 {
        for dy in [-k * step, k * step] {
            for b in [right(dy), left(dy)] {
                if free(&b) {
                    return (b, false);
                }
            }
        }
    }
    (right(0), true)
}

/// The log-scale y axis: log10 of port-hours, a third of a decade beyond the data; zeros sit on
/// a floor below it.
struct LogY {
    ylo: f64,
    yhi: f64,
    floor: Option<f64>,
    ticks: Vec<f64>,
    has_zero: bool,
}

impl LogY {
    /// Where `v` port-hours sit on the axis: its log, or the floor for 0.
    fn at(&self, v: f64) -> f64 {
        if v > 0.0 {
            v.log10()
        } else {
            self.floor.unwrap_or(self.ylo)
        }
    }

    /// The axis' bottom: below the floor when there is one.
    fn axis_lo(&self) -> f64 {
        self.floor.map_or(self.ylo, |f| f - 0.3)
    }
}

fn log_y(d: &Data) -> LogY {
    let positive = d
        .pinhole
        .iter()
        .flat_map(|e| [e.low, e.mean, e.high])
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let has_zero = d.pinhole.iter().any(|e| e.mean <= 0.0);
    let (lmin, lmax) = if positive.is_finite() {
        let top_v = d.pinhole.iter().map(|e| e.high).fold(positive, f64::max);
        (positive.log10(), top_v.log10())
    } else {
        (0.0, 1.0)
    };
    let widen = (1.4 - (lmax - lmin)).max(0.0) / 2.0;
    let (ylo, yhi) = (lmin - 0.3 - widen, lmax + 0.3 + widen);
    let floor = has_zero.then_some(ylo - 0.5);
    let mut ticks: Vec<f64> = floor.into_iter().collect();
    let few = yhi - ylo < 3.0;
    for k in (ylo.floor() as i32)..=(yhi.floor() as i32) {
        let k = f64::from(k);
        let sub: &[f64] = if few { &[1.0, 2.0, 5.0] } else { &[1.0] };
        ticks.extend(
            sub.iter()
                .map(|m| k + m.log10())
                .filter(|t| *t >= ylo && *t <= yhi),
        );
    }
    LogY {
        ylo,
        yhi,
        floor,
        ticks,
        has_zero,
    }
}

/// The x range: the windows, with room for their intervals.
fn x_range(d: &Data) -> (f64, f64) {
    let xlo = d.window.iter().map(|e| e.low).fold(f64::INFINITY, f64::min);
    let xhi = d
        .window
        .iter()
        .map(|e| e.high)
        .fold(f64::NEG_INFINITY, f64::max);
    let xspan = if xhi - xlo > 1e-9 {
        xhi - xlo
    } else {
        (0.05 * xhi.abs()).max(0.05)
    };
    let (x0, x1) = ((xlo - 0.2 * xspan).max(0.0), xhi + 0.2 * xspan);
    (x0, x1)
}

/// The dashed break between the zero floor and the log scale, from `a` to `b` (pixels).
fn axis_break<DB: DrawingBackend>(root: &Area<DB>, s: S, a: (i32, i32), b: (i32, i32)) -> Res
where
    DB::ErrorType: 'static,
{
    // The axis break between the zero floor and the log scale.
    dashed(root, s, a, b, s.line(GREY, 1))?;
    root.draw_text(
        "axis break: 0 has no place on a log scale",
        &at(
            &s.text(NOTE_PX - 1).color(&MUTED),
            HPos::Right,
            VPos::Bottom,
        ),
        (b.0 - s.px(6), b.1 - s.px(3)),
    )?;
    Ok(())
}

/// The markers at `points` (pixels), a red cross over each variant that loses DLEs and a ring
/// round the recommended one, then one label per spot, placed inside `plot`.
fn marks<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    d: &Data,
    points: &[(i32, i32)],
    plot: &BoxPx,
) -> Res
where
    DB::ErrorType: 'static,
{
    // The markers that do not rest on the source port first, so a spoofable one stays on top.
    for spoof in [false, true] {
        for (i, p) in points.iter().enumerate() {
            match (d.spoofable[i], spoof) {
                (true, true) => draw_triangle(root, s, *p, VERMILION)?,
                (false, false) => draw_circle(root, s, *p, OKABE_BLUE)?,
                _ => {}
            }
        }
    }
    // A remedy that loses DLEs is crossed out, whatever its exposure: it must not read as best.
    for (i, p) in points.iter().enumerate() {
        if loses(d, i) {
            draw_cross(root, s, *p, LOSS_RED, 12)?;
        }
    }
    if let Some(b) = d.best {
        draw_ring(root, s, points[b], BLUISH_GREEN, 13)?;
    }
    labels(root, s, d, points, plot)
}

/// One label per spot (variants that coincide and agree on losing DLEs share it): the names and
/// the port-hours, "loses N DLEs/night" in red, or "recommended".
fn labels<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    d: &Data,
    points: &[(i32, i32)],
    plot: &BoxPx,
) -> Res
where
    DB::ErrorType: 'static,
{
    let mut groups: Vec<(usize, Vec<&str>)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let near = |j: usize| {
            (points[j].0 - p.0).abs() <= s.px(2)
                && (points[j].1 - p.1).abs() <= s.px(2)
                && loses(d, j) == loses(d, i)
                && d.best != Some(j)
                && d.best != Some(i)
        };
        match groups.iter_mut().find(|(j, _)| near(*j)) {
            Some((_, names)) => names.push(&d.names[i]),
            None => groups.push((i, vec![&d.names[i]])),
        }
    }
    let r = s.px(12);
    let mut taken: Vec<BoxPx> = points
        .iter()
        .map(|p| BoxPx(p.0 - r, p.1 - r, p.0 + r, p.1 + r))
        .collect();
    for (i, names) in groups {
        let (label, style) = label_of(s, d, i, &names);
        let (tw, th) = text_size(root, &label, &style);
        let p = points[i];
        let (bx, near) = place_label(s, p, tw, th, &taken, plot);
        if !near {
            let lx = if bx.0 > p.0 {
                bx.0 - s.px(3)
            } else {
                bx.2 + s.px(3)
            };
            root.draw(&PathElement::new(
                vec![p, (lx, (bx.1 + bx.3) / 2)],
                s.line(MUTED, 1),
            ))?;
        }
        let pad = s.px(3);
        root.draw(&Rectangle::new(
            [(bx.0 - pad, bx.1 - pad), (bx.2 + pad, bx.3 + pad)],
            WHITE.mix(0.85).filled(),
        ))?;
        root.draw_text(&label, &at(&style, HPos::Left, VPos::Top), (bx.0, bx.1))?;
        taken.push(bx);
    }
    Ok(())
}

/// The label of the spot of variant `i` (shared by `names`) and its style.
fn label_of(s: S, d: &Data, i: usize, names: &[&str]) -> (String, TextStyle<'static>) {
    let base = format!(
        "{} ({})",
        names.join(", "),
        short_num(round_sig(d.pinhole[i].mean))
    );
    if loses(d, i) {
        let n = round_sig(d.failed_dles[i].mean);
        let dles = if n == 1.0 { "DLE" } else { "DLEs" };
        let label = format!("{base}: loses {} {dles}/night", short_num(n));
        (label, s.bold(NOTE_PX + 1).color(&LOSS_RED))
    } else if d.best == Some(i) {
        (format!("{base}: recommended"), s.bold(NOTE_PX + 1))
    } else {
        (base, s.text(NOTE_PX + 1))
    }
}
