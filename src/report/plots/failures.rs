//! Failed DLEs and failed attempts per variant, with 95% interval whiskers.

use super::*;

pub(super) fn failures<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let legend = [
        (
            "failed DLEs (not dumped)".to_string(),
            Swatch::Bar(OKABE_BLUE),
        ),
        (
            "failed attempts (not DONE)".to_string(),
            Swatch::Bar(ORANGE),
        ),
        ("95% CI".to_string(), Swatch::Whisker),
    ];
    let top = header(root, s, title, &legend)?;
    let (_, body) = root.split_vertically(top);
    let n = d.names.len();
    let ymax = d
        .failed_dles
        .iter()
        .chain(&d.failed_attempts)
        .map(|e| e.high)
        .fold(0.0, f64::max);
    let ymax = if ymax > 0.0 { ymax * 1.15 } else { 1.0 };
    let mut chart = ChartBuilder::on(&body)
        .margin_left(s.px(10))
        .margin_right(s.px(30))
        .margin_bottom(s.px(4))
        .x_label_area_size(category_area(root, s, &d.names))
        .y_label_area_size(s.px(76))
        .build_cartesian_2d(slots(n), 0.0..ymax)?;
    mesh(&mut chart, s)
        .disable_x_mesh()
        .y_desc("per night (count)")
        .x_desc("variant (baseline first, then the remedies)")
        .y_label_formatter(&|y| trim(format!("{y:.2}")))
        .draw()?;
    let half = 0.36;
    for (i, (dl, fa)) in d.failed_dles.iter().zip(&d.failed_attempts).enumerate() {
        let x = i as f64;
        for (e, x0, x1, col) in [
            (dl, x - half, x - 0.02, OKABE_BLUE),
            (fa, x + 0.02, x + half, ORANGE),
        ] {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, 0.0), (x1, e.mean)],
                col.filled(),
            )))?;
            let cx = (x0 + x1) / 2.0;
            let (lo, hi) = (e.low.max(0.0), e.high.max(0.0));
            let st = s.line(INK, 2);
            if hi > lo {
                let cap = (x1 - x0) * 0.22;
                chart.draw_series([
                    PathElement::new(vec![(cx, lo), (cx, hi)], st),
                    PathElement::new(vec![(cx - cap, lo), (cx + cap, lo)], st),
                    PathElement::new(vec![(cx - cap, hi), (cx + cap, hi)], st),
                ])?;
            }
            let label = if e.mean == 0.0 {
                "0".to_string()
            } else {
                format!("{:.2}", e.mean)
            };
            let (px, py) = chart.backend_coord(&(cx, hi.max(e.mean)));
            root.draw_text(
                &label,
                &at(&s.text(NOTE_PX), HPos::Center, VPos::Bottom),
                (px, py - s.px(5)),
            )?;
        }
    }
    let centres: Vec<(i32, i32)> = (0..n)
        .map(|i| chart.backend_coord(&(i as f64, 0.0)))
        .collect();
    let slot = chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0;
    category_labels(root, s, &centres, &d.names, slot)
}
