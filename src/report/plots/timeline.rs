//! Night 0 of the baseline beside a remedy: one bar per attempt, by dumper and time.

use super::*;

pub(super) fn timeline<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let Some(base) = &d.baseline_night else {
        return Ok(());
    };
    let nights: Vec<&Night> = std::iter::once(base)
        .chain(d.other_night.as_ref())
        .collect();
    let legend = legend(&nights, d);
    let top = header(root, s, title, &legend)?;
    let (_, body) = root.split_vertically(top);
    let panels = body.split_evenly((nights.len(), 1));
    let xmax = nights
        .iter()
        .flat_map(|n| n.bars.iter().map(|b| b.2).chain([n.window_h]))
        .fold(0.0f64, f64::max);
    let xmax = if xmax > 0.0 { xmax * 1.02 } else { 1.0 };
    let rows = nights.iter().map(|n| n.dumpers).max().unwrap_or(1).max(1);
    for (night, panel) in nights.iter().zip(&panels) {
        let caption = caption(night);
        let (_, ph) = panel.dim_in_pixel();
        let plot_h = ph as i32 - s.px(40 + 60);
        let every = [1usize, 2, 5, 10, 20, 50, 100]
            .into_iter()
            .find(|e| plot_h * *e as i32 / rows as i32 >= s.px(16))
            .unwrap_or(rows);
        let ticks: Vec<f64> = (0..rows).step_by(every).map(|i| i as f64).collect();
        let mut chart = ChartBuilder::on(panel)
            .caption(caption, s.bold(DESC_PX - 1))
            .margin_left(s.px(10))
            .margin_right(s.px(30))
            .margin_bottom(s.px(6))
            .x_label_area_size(s.px(56))
            .y_label_area_size(s.px(76))
            .build_cartesian_2d(0.0..xmax, Axis::new(-0.6..rows as f64 - 0.4, ticks))?;
        mesh(&mut chart, s)
            .disable_y_mesh()
            .x_desc("time since amdump started (h)")
            .y_desc("dumper")
            .label_style(s.text(TICK_PX - 1))
            .x_label_formatter(&|x| trim(format!("{x:.2}")))
            .y_label_formatter(&|y| format!("{}", y.round() as i64))
            .draw()?;
        let px_w =
            (chart.backend_coord(&(xmax, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0).max(1);
        let min_w = xmax * f64::from(s.px(6)) / f64::from(px_w);
        // Successes first; failures over them, at least 6 px wide so that a short timeout shows.
        for done in [true, false] {
            for &(dumper, start, end, o) in &night.bars {
                if (o == Some(Outcome::Done)) != done {
                    continue;
                }
                let col = match o {
                    Some(Outcome::Done) => SKY,
                    Some(Outcome::TryAgain) => ORANGE,
                    Some(Outcome::Failed) => VERMILION,
                    None => GREY,
                };
                let end = if done { end } else { end.max(start + min_w) };
                let y = f64::from(dumper);
                let r = [(start, y - 0.36), (end, y + 0.36)];
                let edge = if done {
                    s.line(WHITE, 1)
                } else {
                    s.line(INK, 1)
                };
                chart.draw_series([Rectangle::new(r, col.filled()), Rectangle::new(r, edge)])?;
            }
        }
        if let Some(b) = night.boundary {
            let a = chart.backend_coord(&(0.0, b as f64 - 0.5));
            let z = chart.backend_coord(&(xmax, b as f64 - 0.5));
            dashed(root, s, a, z, s.line(INK, 2))?;
        }
    }
    Ok(())
}

/// The legend: the outcomes drawn, and the range boundary when a night has one.
fn legend(nights: &[&Night], d: &Data) -> Vec<(String, Swatch)> {
    let mut legend = vec![
        ("done".to_string(), Swatch::Bar(SKY)),
        ("try-again".to_string(), Swatch::Bar(ORANGE)),
        ("failed".to_string(), Swatch::Bar(VERMILION)),
    ];
    if nights.iter().any(|n| n.bars.iter().any(|b| b.3.is_none())) {
        legend.push(("unfinished".to_string(), Swatch::Bar(GREY)));
    }
    if nights.iter().any(|n| n.boundary.is_some()) {
        legend.push((
            format!(
                "range boundary: dumpers below it hold a port in {}",
                d.range_text
            ),
            Swatch::Dashed(INK),
        ));
    }
    legend
}

/// A panel's caption: the night's failures, losses, estimate phase and window.
fn caption(night: &Night) -> String {
    format!(
        "{}: {} failed attempt{}, {} DLE{} not dumped, estimates until {:.2} h, window {:.2} h",
        night.name,
        night.failed,
        if night.failed == 1 { "" } else { "s" },
        night.lost,
        if night.lost == 1 { "" } else { "s" },
        night.estimates_h,
        night.window_h
    )
}
