//! The backup window per variant, with 95% interval whiskers.

use super::*;

pub(super) fn window<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let legend = [
        ("mean".to_string(), Swatch::Circle(OKABE_BLUE)),
        ("95% CI".to_string(), Swatch::Whisker),
        ("baseline mean".to_string(), Swatch::Dashed(GREY)),
    ];
    let top = header(root, s, title, &legend)?;
    let (_, body) = root.split_vertically(top);
    let n = d.names.len();
    let (y0, y1, desc) = y_axis(d);
    let mut chart = ChartBuilder::on(&body)
        .margin_left(s.px(10))
        .margin_right(s.px(30))
        .margin_bottom(s.px(4))
        .x_label_area_size(category_area(root, s, &d.names))
        .y_label_area_size(s.px(76))
        .build_cartesian_2d(slots(n), y0..y1)?;
    mesh(&mut chart, s)
        .disable_x_mesh()
        .y_desc(desc)
        .x_desc("variant (baseline first, then the remedies)")
        .y_label_formatter(&|y| trim(format!("{y:.2}")))
        .draw()?;
    if let Some(b) = d.window.first() {
        let a = chart.backend_coord(&(-0.5, b.mean));
        let z = chart.backend_coord(&(n as f64 - 0.5, b.mean));
        dashed(root, s, a, z, s.line(GREY, 2))?;
    }
    for (i, e) in d.window.iter().enumerate() {
        let x = i as f64;
        let st = s.line(INK, 2);
        if e.high > e.low {
            chart.draw_series([
                PathElement::new(vec![(x, e.low), (x, e.high)], st),
                PathElement::new(vec![(x - 0.07, e.low), (x + 0.07, e.low)], st),
                PathElement::new(vec![(x - 0.07, e.high), (x + 0.07, e.high)], st),
            ])?;
        }
        let p = chart.backend_coord(&(x, e.mean));
        draw_circle(root, s, p, OKABE_BLUE)?;
        // Above the baseline line, right of the whisker.
        let label = format!("{:.2} h", e.mean);
        root.draw_text(
            &label,
            &at(&s.text(NOTE_PX), HPos::Left, VPos::Bottom),
            (p.0 + s.px(10), p.1 - s.px(6)),
        )?;
    }
    let centres: Vec<(i32, i32)> = (0..n)
        .map(|i| chart.backend_coord(&(i as f64, y0)))
        .collect();
    let slot = chart.backend_coord(&(1.0, y0)).0 - chart.backend_coord(&(0.0, y0)).0;
    category_labels(root, s, &centres, &d.names, slot)
}

/// The y range (hours) and its description: from 0 when that costs little resolution.
fn y_axis(d: &Data) -> (f64, f64, String) {
    let lo = d
        .window
        .iter()
        .map(|e| e.low.max(0.0))
        .fold(f64::INFINITY, f64::min);
    let hi = d.window.iter().map(|e| e.high).fold(0.0, f64::max);
    let span = if hi - lo > 1e-9 {
        hi - lo
    } else {
        (0.1 * hi).max(0.1)
    };
    let pad = 0.3 * span;
    // Start at 0 when that costs little resolution; else say where the axis starts.
    let (y0, desc) = if lo - pad < 0.25 * (hi + pad) {
        (0.0, "backup window (h)".to_string())
    } else {
        let step = nice_step(span + 2.0 * pad) / 2.0;
        let y0 = ((lo - pad) / step).floor() * step;
        (
            y0,
            format!(
                "backup window (h); axis starts at {}, not 0",
                trim(format!("{y0:.2}"))
            ),
        )
    };
    let y1 = hi + pad;
    (y0, y1, desc)
}
