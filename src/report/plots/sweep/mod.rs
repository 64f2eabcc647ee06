//! Charts of a sweep, as SVG and PNG: for one varied setting, lost DLEs and the backup window
//! against it (mean line, 95% band, the busiest link's floor under the window, the knee where it
//! binds); for two, heatmaps of lost DLEs and window. The scenario's own point is marked in both.

mod heatmap;
mod line;

use super::*;
use crate::study::sweep::{self as study, LINK_BUSY, Point, Sweep};
use heatmap::heatmap;
use line::panel;

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
    let lost = line::Spec {
        measure: "failed_dles",
        y_desc: "DLEs lost a night",
        floor: false,
        x_desc: None,
    };
    panel(root, &upper, sc, s, &lost)?;
    let window = line::Spec {
        measure: "window_h",
        y_desc: "backup window (h)",
        floor: links,
        x_desc: Some(&x_desc),
    };
    panel(root, &lower, sc, s, &window)
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
    heatmap(root, &left, sc, s, ("failed_dles", "DLEs lost a night", 1))?;
    heatmap(root, &right, sc, s, ("window_h", "backup window (h)", 2))
}
