//! Charts of a sweep, as SVG and PNG: for one varied setting, lost DLEs and the backup window
//! against it (mean line, 95% band, the busiest link's floor under the window, the knee where it
//! binds); for two, heatmaps of lost DLEs and window. The scenario's own point is marked in both.

use super::*;
use crate::study::sweep::{self as study, LINK_BUSY, Point, Sweep};

/// Renders the sweep's chart (`sweep` for one setting, `heatmap` for two) as SVG and PNG.
pub fn render(s: &Sweep) -> Vec<Plot> {
    if s.points.iter().all(|p| p.invalid.is_some()) {
        return Vec::new();
    }
    register_fonts();
    let (file, title, size) = if s.axes.len() == 1 {
        (
            "sweep",
            format!(
                "Sweep of {}: {}, {} nights per point",
                s.axes[0].setting, s.scenario, s.replications
            ),
            (1000, 780),
        )
    } else {
        (
            "heatmap",
            format!(
                "Sweep of {} x {} points: {}, {} nights per point",
                s.axes[0].values.len(),
                s.axes[1].values.len(),
                s.scenario,
                s.replications
            ),
            (1000, 600),
        )
    };
    let (w, h) = size;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        draw_any(&root, S(1), s, &title);
        root.present().expect("SVG into memory");
    }
    let big = S(2);
    let (bw, bh) = (big.u(w), big.u(h));
    let mut rgb = vec![0u8; bw as usize * bh as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (bw, bh)).into_drawing_area();
        draw_any(&root, big, s, &title);
        root.present().expect("bitmap into memory");
    }
    vec![
        Plot {
            title: title.clone(),
            file: format!("{file}.svg"),
            bytes: svg.into_bytes(),
        },
        Plot {
            title,
            file: format!("{file}.png"),
            bytes: encode_png(w, h, &halve(&rgb, w as usize, h as usize)),
        },
    ]
}

fn draw_any<DB: DrawingBackend>(root: &Area<DB>, sc: S, s: &Sweep, title: &str)
where
    DB::ErrorType: 'static,
{
    let r = root.fill(&WHITE).map_err(Into::into).and_then(|()| {
        if s.axes.len() == 1 {
            line_chart(root, sc, s, title)
        } else {
            heatmaps(root, sc, s, title)
        }
    });
    if let Err(e) = r {
        // Only a missing font can fail a drawing into memory, and the font is embedded.
        panic!("drawing the sweep chart: {e}");
    }
}

/// A point's measure as (mean, low, high), lows clipped at 0.
fn est(p: &Point, measure: &str) -> Option<(f64, f64, f64)> {
    let m = p.get(measure)?;
    Some((
        m.stats.mean,
        m.stats.low.max(0.0),
        m.stats.high.max(m.stats.mean),
    ))
}

/// Tick marks for a numeric axis: nice steps, integers when the values are.
fn ticks(lo: f64, hi: f64, integral: bool) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let mut step = nice_step(span);
    if integral {
        step = step.max(1.0).round();
    }
    let first = (lo / step).ceil() * step;
    let mut out = Vec::new();
    let mut t = first;
    while t <= hi + 1e-9 {
        out.push(round_sig(t));
        t += step;
    }
    out
}

fn label_num(x: f64) -> String {
    trim(format!("{:.3}", round_sig(x)))
}

/// One panel of the line chart: mean line with a 95% band for `measure` against the setting.
#[allow(clippy::too_many_arguments)]
fn panel<DB: DrawingBackend>(
    root: &Area<DB>,
    area: &Area<DB>,
    sc: S,
    s: &Sweep,
    measure: &str,
    y_desc: &str,
    floor: bool,
    x_desc: Option<&str>,
) -> Res
where
    DB::ErrorType: 'static,
{
    let xs: Vec<f64> = s.axes[0]
        .values
        .iter()
        .map(|v| v.as_f64().unwrap_or(0.0))
        .collect();
    let integral = s.axes[0].values.iter().all(|v| v.is_i64() || v.is_u64());
    let (x0, x1) = (xs[0], *xs.last().expect("a point"));
    let pad = ((x1 - x0) * 0.03).max(if integral { 0.5 } else { 1e-6 });
    let (x0, x1) = (x0 - pad, x1 + pad);
    let data: Vec<Option<(f64, f64, f64)>> = s.points.iter().map(|p| est(p, measure)).collect();
    let floors: Vec<Option<f64>> = s
        .points
        .iter()
        .map(|p| p.get(LINK_BUSY).map(|m| m.stats.mean))
        .collect();
    let hi = data
        .iter()
        .flatten()
        .map(|e| e.2)
        .chain(floors.iter().flatten().copied().filter(|_| floor))
        .fold(0.0, f64::max);
    let y1 = if hi > 0.0 { hi * 1.12 } else { 1.0 };
    let yt = ticks(0.0, y1, false);
    let mut chart = ChartBuilder::on(area)
        .margin_left(sc.px(10))
        .margin_right(sc.px(30))
        .margin_top(sc.px(8))
        .margin_bottom(sc.px(4))
        .x_label_area_size(sc.px(if x_desc.is_some() { 64 } else { 30 }))
        .y_label_area_size(sc.px(76))
        .build_cartesian_2d(
            Axis::new(x0..x1, ticks(xs[0], *xs.last().expect("a point"), integral)),
            Axis::new(0.0..y1, yt),
        )?;
    let mut m = mesh(&mut chart, sc);
    m.y_desc(y_desc)
        .x_label_formatter(&|x| label_num(*x))
        .y_label_formatter(&|y| label_num(*y));
    if let Some(d) = x_desc {
        m.x_desc(d);
    }
    m.draw()?;
    // Runs of consecutive valid points: the line and band break at an invalid one.
    let mut runs: Vec<Vec<usize>> = vec![Vec::new()];
    for (i, d) in data.iter().enumerate() {
        match d {
            Some(_) => runs.last_mut().expect("a run").push(i),
            None => runs.push(Vec::new()),
        }
    }
    let band = SKY.mix(0.35).filled();
    for run in runs.iter().filter(|r| !r.is_empty()) {
        let mut poly: Vec<(f64, f64)> = run
            .iter()
            .map(|&i| (xs[i], data[i].expect("valid").2))
            .collect();
        poly.extend(
            run.iter()
                .rev()
                .map(|&i| (xs[i], data[i].expect("valid").1)),
        );
        if run.len() > 1 {
            chart.draw_series([Polygon::new(poly, band)])?;
        } else {
            let i = run[0];
            let (_, lo, hi) = data[i].expect("valid");
            chart.draw_series([PathElement::new(
                vec![(xs[i], lo), (xs[i], hi)],
                sc.line(SKY, 6),
            )])?;
        }
    }
    if floor {
        for run in runs.iter().filter(|r| r.len() > 1) {
            for w in run.windows(2) {
                if let (Some(a), Some(b)) = (floors[w[0]], floors[w[1]]) {
                    let pa = chart.backend_coord(&(xs[w[0]], a));
                    let pb = chart.backend_coord(&(xs[w[1]], b));
                    dashed(root, sc, pa, pb, sc.line(VERMILION, 2))?;
                }
            }
        }
    }
    for run in runs.iter().filter(|r| !r.is_empty()) {
        chart.draw_series([PathElement::new(
            run.iter()
                .map(|&i| (xs[i], data[i].expect("valid").0))
                .collect::<Vec<_>>(),
            sc.line(OKABE_BLUE, 3),
        )])?;
    }
    let few = xs.len() <= 40;
    for (i, d) in data.iter().enumerate() {
        if let (Some((m, _, _)), true) = (d, few) {
            let p = chart.backend_coord(&(xs[i], *m));
            root.draw(&Circle::new(p, sc.px(3), OKABE_BLUE.filled()))?;
        }
    }
    // Invalid points: a cross on the axis.
    for (i, d) in data.iter().enumerate() {
        if d.is_none() {
            let p = chart.backend_coord(&(xs[i], 0.0));
            let r = sc.px(6);
            let st = sc.line(VERMILION, 2);
            root.draw(&PathElement::new(
                vec![(p.0 - r, p.1 - r), (p.0 + r, p.1 + r)],
                st,
            ))?;
            root.draw(&PathElement::new(
                vec![(p.0 - r, p.1 + r), (p.0 + r, p.1 - r)],
                st,
            ))?;
        }
    }
    // The scenario's own value: a dashed vertical line and a triangle on the mean.
    if let Some(i) = s.axes[0].own_index {
        let top = chart.backend_coord(&(xs[i], y1));
        let bottom = chart.backend_coord(&(xs[i], 0.0));
        dashed(root, sc, top, bottom, sc.line(INK, 1))?;
        if let Some((m, _, _)) = data[i] {
            draw_triangle(root, sc, chart.backend_coord(&(xs[i], m)), VERMILION)?;
        }
    }
    if floor && let Some(k) = study::knee(s) {
        let (m, _, _) = data[k].expect("the knee is a valid point");
        let p = chart.backend_coord(&(xs[k], m));
        let label = format!(
            "knee at {}: the link binds, more buys nothing",
            study::show(&s.axes[0].values[k])
        );
        let style = sc.text(NOTE_PX + 1);
        let (tw, _) = text_size(root, &label, &style);
        let (aw, _) = area.dim_in_pixel();
        // Up and to the right of the knee, kept inside the panel.
        let lx = (p.0 + sc.px(30)).min(aw as i32 - tw - sc.px(40));
        let ly = p.1 - sc.px(70);
        root.draw(&PathElement::new(
            vec![(p.0, p.1 - sc.px(6)), (lx, ly + sc.px(10))],
            sc.line(INK, 1),
        ))?;
        root.draw(&Circle::new(p, sc.px(8), sc.line(INK, 2)))?;
        let pad = sc.px(3);
        root.draw(&Rectangle::new(
            [(lx - pad, ly - pad), (lx + tw + pad, ly + sc.px(18) + pad)],
            WHITE.mix(0.9).filled(),
        ))?;
        root.draw_text(&label, &at(&style, HPos::Left, VPos::Top), (lx, ly))?;
    }
    Ok(())
}

fn line_chart<DB: DrawingBackend>(root: &Area<DB>, sc: S, s: &Sweep, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let links = s.points.iter().any(|p| p.get(LINK_BUSY).is_some());
    let mut legend = vec![
        ("mean".to_string(), Swatch::Bar(OKABE_BLUE)),
        ("95% CI".to_string(), Swatch::Bar(RGBColor(190, 225, 246))),
    ];
    if s.axes[0].own_index.is_some() {
        legend.push((
            format!(
                "the scenario's own value ({})",
                study::show(&s.axes[0].values[s.axes[0].own_index.unwrap_or(0)])
            ),
            Swatch::Triangle(VERMILION),
        ));
    }
    if links {
        legend.push((
            "busiest link's floor: its data at full capacity".to_string(),
            Swatch::Dashed(VERMILION),
        ));
    }
    if s.points.iter().any(|p| p.invalid.is_some()) {
        legend.push(("invalid value (x)".to_string(), Swatch::Dashed(GREY)));
    }
    let top = header(root, sc, title, &legend)?;
    let (_, body) = root.split_vertically(top);
    let (_, bh) = body.dim_in_pixel();
    let (upper, lower) = body.split_vertically(bh as i32 * 42 / 100);
    let x_desc = format!(
        "{}{}",
        s.axes[0].setting,
        s.remedy
            .as_ref()
            .map_or(String::new(), |r| format!(" (remedy {r} at every point)"))
    );
    panel(
        root,
        &upper,
        sc,
        s,
        "failed_dles",
        "DLEs lost a night",
        false,
        None,
    )?;
    panel(
        root,
        &lower,
        sc,
        s,
        "window_h",
        "backup window (h)",
        links,
        Some(&x_desc),
    )
}

/// Viridis, light end first: light for few lost DLEs or a short window, dark for many or long.
fn ramp(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 6] = [
        (253, 231, 37),
        (122, 209, 81),
        (34, 168, 132),
        (42, 120, 142),
        (65, 68, 135),
        (68, 1, 84),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn dark(c: RGBColor) -> bool {
    0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2) < 140.0
}

/// Category ticks for `values`: those on a round step when the values are numbers, so that
/// `room_px` holds them at `label_px` each; else every k-th.
fn category_ticks(values: &[serde_json::Value], room_px: i32, label_px: i32) -> Vec<f64> {
    let n = values.len();
    let fit = (room_px / label_px.max(1)).max(1) as usize;
    let nums: Vec<f64> = values
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    if nums.len() == n && n > 1 {
        let span = nums[n - 1] - nums[0];
        let mut step = nice_step(span);
        // nice_step aims at five ticks; grow it until the labels fit.
        while (span / step) as usize + 1 > fit {
            step *= 2.0;
        }
        let on: Vec<f64> = (0..n)
            .filter(|&i| {
                let q = nums[i] / step;
                (q - q.round()).abs() < 1e-6
            })
            .map(|i| i as f64)
            .collect();
        if on.len() >= 2 {
            return on;
        }
    }
    let k = n.div_ceil(fit).max(1);
    (0..n).step_by(k).map(|i| i as f64).collect()
}

#[allow(clippy::too_many_arguments)]
fn heatmap<DB: DrawingBackend>(
    root: &Area<DB>,
    area: &Area<DB>,
    sc: S,
    s: &Sweep,
    measure: &str,
    what: &str,
    decimals: usize,
) -> Res
where
    DB::ErrorType: 'static,
{
    let (a, b) = (&s.axes[0], &s.axes[1]);
    let (ny, nx) = (a.values.len(), b.values.len());
    let vals: Vec<Option<f64>> = s
        .points
        .iter()
        .map(|p| p.get(measure).map(|m| m.stats.mean))
        .collect();
    let lo = vals.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let hi = vals
        .iter()
        .flatten()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let t = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
    let (aw, ah) = area.dim_in_pixel();
    let bar_h = sc.px(64);
    let (plot_area, bar_area) = area.split_vertically(ah as i32 - bar_h);
    let xl: Vec<String> = b.values.iter().map(study::show).collect();
    let yl: Vec<String> = a.values.iter().map(study::show).collect();
    let widest = |ls: &[String]| {
        ls.iter()
            .map(|l| text_size(root, l, &sc.text(TICK_PX)).0)
            .max()
            .unwrap_or(10)
    };
    let xt = category_ticks(&b.values, aw as i32 - sc.px(120), widest(&xl) + sc.px(10));
    let yt = category_ticks(&a.values, ah as i32 - bar_h - sc.px(90), sc.px(TICK_PX + 6));
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(sc.px(8))
        .margin_right(sc.px(16))
        .margin_top(sc.px(30))
        .x_label_area_size(sc.px(56))
        .y_label_area_size(sc.px(20) + widest(&yl) + sc.px(30))
        .build_cartesian_2d(
            Axis::new(-0.5..nx as f64 - 0.5, xt),
            Axis::new(-0.5..ny as f64 - 0.5, yt),
        )?;
    let fx = |x: &f64| xl.get(x.round() as usize).cloned().unwrap_or_default();
    let fy = |y: &f64| yl.get(y.round() as usize).cloned().unwrap_or_default();
    mesh(&mut chart, sc)
        .disable_mesh()
        .x_desc(b.setting.as_str())
        .y_desc(a.setting.as_str())
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .draw()?;
    let (cell_w, cell_h) = {
        let p0 = chart.backend_coord(&(0.0, 0.0));
        let p1 = chart.backend_coord(&(1.0, 1.0));
        ((p1.0 - p0.0).abs(), (p1.1 - p0.1).abs())
    };
    let cell_text = sc.text(NOTE_PX - 1);
    // Every cell labelled, or none: a few numbers scattered over the map mislead.
    let labels: Vec<String> = vals
        .iter()
        .map(|v| v.map_or(String::new(), |v| format!("{v:.decimals$}")))
        .collect();
    let fits = labels.iter().all(|l| {
        let (tw, th) = text_size(root, l, &cell_text);
        tw + sc.px(4) <= cell_w && th + sc.px(2) <= cell_h
    });
    for i in 0..ny {
        for j in 0..nx {
            let (x, y) = (j as f64, i as f64);
            let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
            match vals[i * nx + j] {
                Some(v) => {
                    let c = ramp(t(v));
                    chart.draw_series([Rectangle::new(corners, c.filled())])?;
                    if fits {
                        let label = &labels[i * nx + j];
                        let style = if dark(c) {
                            cell_text.color(&WHITE)
                        } else {
                            cell_text.clone()
                        };
                        root.draw_text(
                            label,
                            &at(&style, HPos::Center, VPos::Center),
                            chart.backend_coord(&(x, y)),
                        )?;
                    }
                }
                None => {
                    chart.draw_series([Rectangle::new(corners, GRID.filled())])?;
                    let p = chart.backend_coord(&(x, y));
                    let r = (cell_w.min(cell_h) / 4).max(sc.px(2));
                    let st = sc.line(GREY, 1);
                    root.draw(&PathElement::new(
                        vec![(p.0 - r, p.1 - r), (p.0 + r, p.1 + r)],
                        st,
                    ))?;
                    root.draw(&PathElement::new(
                        vec![(p.0 - r, p.1 + r), (p.0 + r, p.1 - r)],
                        st,
                    ))?;
                }
            }
        }
    }
    if measure == "failed_dles" {
        // The edge of the region where no night lost a DLE.
        let clean = |i: isize, j: isize| -> bool {
            i >= 0
                && j >= 0
                && (i as usize) < ny
                && (j as usize) < nx
                && s.points[i as usize * nx + j as usize].nights_with_loss == Some(0)
        };
        let edge = sc.line(INK, 2);
        for i in 0..ny as isize {
            for j in 0..nx as isize {
                if !clean(i, j) {
                    continue;
                }
                let (x, y) = (j as f64, i as f64);
                let sides = [
                    (clean(i, j - 1), (x - 0.5, y - 0.5), (x - 0.5, y + 0.5)),
                    (clean(i, j + 1), (x + 0.5, y - 0.5), (x + 0.5, y + 0.5)),
                    (clean(i - 1, j), (x - 0.5, y - 0.5), (x + 0.5, y - 0.5)),
                    (clean(i + 1, j), (x - 0.5, y + 0.5), (x + 0.5, y + 0.5)),
                ];
                for (other, p, q) in sides {
                    // A side on the map's border is not an edge of the region.
                    let border = p.0 <= -0.5 && q.0 <= -0.5
                        || p.0 >= nx as f64 - 0.5 && q.0 >= nx as f64 - 0.5
                        || p.1 <= -0.5 && q.1 <= -0.5
                        || p.1 >= ny as f64 - 0.5 && q.1 >= ny as f64 - 0.5;
                    if !other && !border {
                        chart.draw_series([PathElement::new(vec![p, q], edge)])?;
                    }
                }
            }
        }
    }
    if let (Some(i), Some(j)) = (a.own_index, b.own_index) {
        let (x, y) = (j as f64, i as f64);
        let p0 = chart.backend_coord(&(x - 0.5, y + 0.5));
        let p1 = chart.backend_coord(&(x + 0.5, y - 0.5));
        root.draw(&Rectangle::new([p0, p1], sc.line(VERMILION, 3)))?;
        root.draw(&Rectangle::new(
            [
                (p0.0 + sc.px(3), p0.1 + sc.px(3)),
                (p1.0 - sc.px(3), p1.1 - sc.px(3)),
            ],
            sc.line(WHITE, 1),
        ))?;
    }
    // Panel title, above the cells.
    let (px0, _) = chart.backend_coord(&(-0.5, ny as f64 - 0.5));
    let (px1, py) = chart.backend_coord(&(nx as f64 - 0.5, ny as f64 - 0.5));
    root.draw_text(
        what,
        &at(&sc.bold(DESC_PX), HPos::Center, VPos::Bottom),
        ((px0 + px1) / 2, py - sc.px(8)),
    )?;
    // Colour bar under the panel, aligned with the cells.
    let (bx0, by0) = {
        let (ox, oy) = bar_area.get_base_pixel();
        let (rx, ry) = root.get_base_pixel();
        (px0 - (ox - rx) + (ox - rx), oy - ry + sc.px(12))
    };
    let width = px1 - bx0;
    let steps = 60;
    for k in 0..steps {
        let xa = bx0 + width * k / steps;
        let xb = bx0 + width * (k + 1) / steps;
        root.draw(&Rectangle::new(
            [(xa, by0), (xb, by0 + sc.px(14))],
            ramp(f64::from(k) / f64::from(steps - 1)).filled(),
        ))?;
    }
    root.draw(&Rectangle::new(
        [(bx0, by0), (bx0 + width, by0 + sc.px(14))],
        sc.line(MUTED, 1),
    ))?;
    let st = sc.text(NOTE_PX);
    root.draw_text(
        &trim(format!("{lo:.decimals$}")),
        &at(&st, HPos::Left, VPos::Top),
        (bx0, by0 + sc.px(18)),
    )?;
    root.draw_text(
        &trim(format!("{hi:.decimals$}")),
        &at(&st, HPos::Right, VPos::Top),
        (bx0 + width, by0 + sc.px(18)),
    )?;
    root.draw_text(
        "colour: mean over the nights",
        &at(&st.color(&MUTED), HPos::Center, VPos::Top),
        (bx0 + width / 2, by0 + sc.px(18)),
    )?;
    Ok(())
}

fn heatmaps<DB: DrawingBackend>(root: &Area<DB>, sc: S, s: &Sweep, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let mut legend = Vec::new();
    if s.points.iter().any(|p| p.nights_with_loss == Some(0)) {
        legend.push((
            "edge of no DLE lost in any night".to_string(),
            Swatch::Bar(INK),
        ));
    }
    if s.own_point.is_some() {
        legend.push((
            "the scenario's own point (outlined)".to_string(),
            Swatch::Bar(VERMILION),
        ));
    }
    if s.points.iter().any(|p| p.invalid.is_some()) {
        legend.push((
            "invalid values (grey, crossed)".to_string(),
            Swatch::Bar(GRID),
        ));
    }
    let top = header(root, sc, title, &legend)?;
    let (_, body) = root.split_vertically(top);
    let (bw, _) = body.dim_in_pixel();
    let (left, right) = body.split_horizontally(bw as i32 / 2);
    heatmap(root, &left, sc, s, "failed_dles", "DLEs lost a night", 1)?;
    heatmap(root, &right, sc, s, "window_h", "backup window (h)", 2)
}
