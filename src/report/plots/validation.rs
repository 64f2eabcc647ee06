//! The validation chart: one row per measure, the simulated nights as a box (quartiles), a
//! whisker (the central 95%) and a median tick, and each real run as a numbered dot, vermilion
//! when it lies outside the 95% range. Each row has its own scale, labelled at both ends.

use super::*;
use crate::study::validate::{Row, Validation};

const ROW_H: i32 = 54;
const LEFT: i32 = 250;
const RIGHT: i32 = 40;
const WIDTH: u32 = 1000;

/// The rows drawn: measures with simulated values or real ones.
fn drawn(v: &Validation) -> Vec<&Row> {
    v.rows
        .iter()
        .filter(|r| r.sim.n > 0 || r.real.iter().any(|p| p.value.is_some()))
        .collect()
}

/// Renders the validation chart as SVG and PNG (`validation.svg`, `validation.png`).
pub fn render_validation(v: &Validation) -> Vec<Plot> {
    register_fonts();
    let rows = drawn(v);
    let h = (90 + ROW_H * rows.len() as i32 + 50) as u32;
    let title = format!(
        "{}: {} real runs in {} simulated nights",
        v.scenario,
        v.runs.len(),
        v.nights
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, h)).into_drawing_area();
        draw(&root, S(1), &rows, &title).expect("drawing into memory");
        root.present().expect("SVG into memory");
    }
    let big = S(2);
    let (bw, bh) = (big.u(WIDTH), big.u(h));
    let mut rgb = vec![0u8; bw as usize * bh as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (bw, bh)).into_drawing_area();
        draw(&root, big, &rows, &title).expect("drawing into memory");
        root.present().expect("bitmap into memory");
    }
    vec![
        Plot {
            title: title.clone(),
            file: "validation.svg".into(),
            bytes: svg.into_bytes(),
        },
        Plot {
            title,
            file: "validation.png".into(),
            bytes: encode_png(WIDTH, h, &halve(&rgb, WIDTH as usize, h as usize)),
        },
    ]
}

fn fmt(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn draw<DB: DrawingBackend>(root: &Area<DB>, s: S, rows: &[&Row], title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let legend = vec![
        (
            "simulated: box 25-75%, whisker 95%, tick median".to_string(),
            Swatch::Bar(SKY),
        ),
        ("real run, inside".to_string(), Swatch::Circle(OKABE_BLUE)),
        ("real run, outside".to_string(), Swatch::Circle(VERMILION)),
    ];
    let top = header(root, s, title, &legend)?;
    for (i, row) in rows.iter().enumerate() {
        let yc = top + s.px(ROW_H * i as i32 + ROW_H / 2);
        draw_row(root, s, row, i, yc)?;
    }
    let foot = top + s.px(ROW_H * rows.len() as i32 + 14);
    root.draw_text(
        "each row has its own scale (ends labelled); dots are numbered as the report's real runs",
        &at(&s.text(NOTE_PX), HPos::Center, VPos::Top).color(&MUTED),
        (s.px(500), foot),
    )?;
    Ok(())
}

/// One measure's row centred at `yc`: label, scale ends, the simulated box and the real dots.
fn draw_row<DB: DrawingBackend>(root: &Area<DB>, s: S, row: &Row, i: usize, yc: i32) -> Res
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = (s.px(LEFT), s.px(1000 - RIGHT));
    if i.is_multiple_of(2) {
        root.draw(&Rectangle::new(
            [
                (0, yc - s.px(ROW_H / 2)),
                (s.px(1000), yc + s.px(ROW_H / 2)),
            ],
            RGBColor(247, 247, 247).filled(),
        ))?;
    }
    root.draw_text(
        row.label,
        &at(&s.text(TICK_PX), HPos::Right, VPos::Center),
        (x0 - s.px(16), yc - s.px(6)),
    )?;
    let reals: Vec<f64> = row.real.iter().filter_map(|p| p.value).collect();
    let sim = &row.sim;
    let lo = reals
        .iter()
        .copied()
        .chain(sim.min)
        .fold(f64::INFINITY, f64::min);
    let hi = reals
        .iter()
        .copied()
        .chain(sim.max)
        .fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return Ok(());
    }
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (lo, hi) = (lo - 0.05 * span, hi + 0.05 * span);
    root.draw(&PathElement::new(
        vec![(x0, yc + s.px(14)), (x1, yc + s.px(14))],
        s.line(GRID, 1),
    ))?;
    let ends = at(&s.text(NOTE_PX - 2), HPos::Center, VPos::Top);
    let ends = ends.color(&MUTED);
    root.draw_text(&fmt(lo.max(0.0)), &ends, (x0, yc + s.px(16)))?;
    root.draw_text(&fmt(hi), &ends, (x1, yc + s.px(16)))?;
    let x = |v: f64| x0 + ((v - lo) / (hi - lo) * f64::from(x1 - x0)).round() as i32;
    draw_box(root, s, sim, &x, yc)?;
    draw_dots(root, s, row, &x, yc)?;
    Ok(())
}

/// The simulated nights: whisker over the 95% range, box over the quartiles, median tick.
fn draw_box<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    sim: &crate::study::validate::Dist,
    x: &dyn Fn(f64) -> i32,
    yc: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    let x0 = s.px(LEFT);
    if let (Some(a), Some(b), Some(q1), Some(q3), Some(m)) =
        (sim.p2_5, sim.p97_5, sim.p25, sim.p75, sim.p50)
    {
        root.draw(&PathElement::new(
            vec![(x(a), yc), (x(b), yc)],
            s.line(GREY, 2),
        ))?;
        for e in [a, b] {
            root.draw(&PathElement::new(
                vec![(x(e), yc - s.px(6)), (x(e), yc + s.px(6))],
                s.line(GREY, 2),
            ))?;
        }
        let (bx0, bx1) = (x(q1), x(q3).max(x(q1) + s.px(2)));
        root.draw(&Rectangle::new(
            [(bx0, yc - s.px(9)), (bx1, yc + s.px(9))],
            SKY.filled(),
        ))?;
        root.draw(&Rectangle::new(
            [(bx0, yc - s.px(9)), (bx1, yc + s.px(9))],
            s.line(INK, 1),
        ))?;
        root.draw(&PathElement::new(
            vec![(x(m), yc - s.px(11)), (x(m), yc + s.px(11))],
            s.line(INK, 3),
        ))?;
    } else {
        root.draw_text(
            "no simulated night has it",
            &at(&s.text(NOTE_PX), HPos::Left, VPos::Center).color(&MUTED),
            (x0, yc),
        )?;
    }
    Ok(())
}

/// The real runs, numbered; runs with the same value stack upward.
fn draw_dots<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    row: &Row,
    x: &dyn Fn(f64) -> i32,
    yc: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    for (k, p) in row.real.iter().enumerate() {
        let Some(v) = p.value else { continue };
        let c = if p.inside == Some(false) {
            VERMILION
        } else {
            OKABE_BLUE
        };
        // Runs with the same value stack upward so that each stays visible.
        let same_before = row.real[..k]
            .iter()
            .filter(|q| q.value.is_some_and(|w| x(w) == x(v)))
            .count() as i32;
        let py = yc - s.px(4) - s.px(12) * same_before;
        draw_circle(root, s, (x(v), py), c)?;
        root.draw_text(
            &format!("{}", k + 1),
            &at(&s.text(NOTE_PX - 3), HPos::Center, VPos::Center).color(&WHITE),
            (x(v), py),
        )?;
    }
    Ok(())
}
