//! The baseline's share of failed attempts by dumper index: the "0-9 vs 10-19" picture.

use super::*;

pub(super) fn dumpers<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let range = &d.range_text;
    let boundary = d.in_range.iter().position(|r| !r);
    let mut legend = vec![
        (
            format!("dumper with a port in {range}"),
            Swatch::Bar(OKABE_BLUE),
        ),
        (
            format!("dumper bound outside {range}"),
            Swatch::Bar(VERMILION),
        ),
    ];
    if boundary.is_some() {
        legend.push(("range boundary (night 0)".to_string(), Swatch::Dashed(INK)));
    }
    let top = header(root, s, title, &legend)?;
    let (_, body) = root.split_vertically(top);
    let n = d.share.len();
    let ymax = d.share.iter().fold(0.0f64, |a, v| a.max(*v)) * 100.0;
    let ymax = if ymax > 0.0 { ymax * 1.22 } else { 10.0 };
    let every = if n <= 30 { 1 } else { n.div_ceil(30) };
    let ticks: Vec<f64> = (0..n).step_by(every).map(|i| i as f64).collect();
    let mut chart = ChartBuilder::on(&body)
        .margin_left(s.px(10))
        .margin_right(s.px(30))
        .margin_top(s.px(6))
        .margin_bottom(s.px(4))
        .x_label_area_size(s.px(64))
        .y_label_area_size(s.px(76))
        .build_cartesian_2d(Axis::new(-0.5..n as f64 - 0.5, ticks), 0.0..ymax)?;
    mesh(&mut chart, s)
        .disable_x_mesh()
        .x_desc("dumper index (fork order)")
        .y_desc("share of failed attempts (%)")
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .y_label_formatter(&|y| trim(format!("{y:.1}")))
        .draw()?;
    for (i, v) in d.share.iter().enumerate() {
        let col = if d.in_range.get(i).copied().unwrap_or(false) {
            OKABE_BLUE
        } else {
            VERMILION
        };
        let x = i as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x - 0.38, 0.0), (x + 0.38, v * 100.0)],
            col.filled(),
        )))?;
    }
    if let Some(b) = boundary {
        let xb = b as f64 - 0.5;
        let a = chart.backend_coord(&(xb, 0.0));
        let z = chart.backend_coord(&(xb, ymax));
        dashed(root, s, a, z, s.line(INK, 2))?;
        let edges = (
            chart.backend_coord(&(-0.5, 0.0)).0,
            chart.backend_coord(&(n as f64 - 0.5, 0.0)).0,
        );
        boundary_labels(root, s, range, b, n, z, edges)?;
    }
    Ok(())
}

/// The words each side of the range boundary `z` (pixels) after dumper `b - 1`; `edges` is the
/// plot's x span in pixels.
fn boundary_labels<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    range: &str,
    b: usize,
    n: usize,
    z: (i32, i32),
    edges: (i32, i32),
) -> Res
where
    DB::ErrorType: 'static,
{
    let style = s.text(NOTE_PX + 1);
    let (left_edge, right_edge) = edges;
    let y = z.1 + s.px(10);
    let l1 = if b > 1 {
        format!("dumpers 0-{}: port in {range}", b - 1)
    } else {
        format!("dumper 0: port in {range}")
    };
    let l2 = if n - b > 1 {
        format!("dumpers {b}-{}: no port in the range", n - 1)
    } else {
        format!("dumper {b}: no port in the range")
    };
    let (w1, _) = text_size(root, &l1, &style);
    let (w2, _) = text_size(root, &l2, &style);
    let gap = s.px(8);
    let left_ok = z.0 - gap - w1 >= left_edge + s.px(4);
    if left_ok {
        root.draw_text(&l1, &at(&style, HPos::Right, VPos::Top), (z.0 - gap, y))?;
    }
    if z.0 + gap + w2 <= right_edge - s.px(4) {
        root.draw_text(&l2, &at(&style, HPos::Left, VPos::Top), (z.0 + gap, y))?;
    } else {
        let y2 = if left_ok { y + s.px(22) } else { y };
        root.draw_text(&l2, &at(&style, HPos::Right, VPos::Top), (z.0 - gap, y2))?;
    }
    Ok(())
}
