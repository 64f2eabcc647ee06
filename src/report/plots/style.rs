//! The charts' look: palette, fonts, sizes, and the small drawing helpers they share.

use super::*;
use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::ValueFormatter;

pub(super) const FONT: &str = "sans-serif";
pub(super) const INK: RGBColor = RGBColor(34, 34, 34);
pub(super) const MUTED: RGBColor = RGBColor(90, 90, 90);
pub(super) const GRID: RGBColor = RGBColor(225, 225, 225);
// Okabe-Ito.
pub(super) const OKABE_BLUE: RGBColor = RGBColor(0, 114, 178);
pub(super) const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub(super) const VERMILION: RGBColor = RGBColor(213, 94, 0);
pub(super) const SKY: RGBColor = RGBColor(86, 180, 233);
pub(super) const GREY: RGBColor = RGBColor(153, 153, 153);
pub(super) const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
/// A plain strong red, apart from the palette: only for what is broken (a remedy losing DLEs).
pub(super) const LOSS_RED: RGBColor = RGBColor(204, 0, 0);

pub(super) const TITLE_PX: i32 = 24;
pub(super) const DESC_PX: i32 = 18;
pub(super) const TICK_PX: i32 = 15;
pub(super) const NOTE_PX: i32 = 14;

pub(super) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fonts = [
            (FontStyle::Normal, dejavu::sans::regular()),
            (FontStyle::Bold, dejavu::sans::bold()),
        ];
        for (style, bytes) in fonts {
            if register_font(FONT, style, bytes).is_err() {
                panic!("the embedded DejaVu Sans font does not parse");
            }
        }
    });
}

/// The pixel scale a chart is drawn at: every length below is in 1000-pixel-wide units times it.
#[derive(Clone, Copy, Debug)]
pub(super) struct S(pub(super) i32);

impl S {
    pub(super) fn px(self, v: i32) -> i32 {
        v * self.0
    }
    pub(super) fn u(self, v: u32) -> u32 {
        v * self.0 as u32
    }
    pub(super) fn text(self, size: i32) -> TextStyle<'static> {
        TextStyle::from((FONT, f64::from(self.px(size))).into_font()).color(&INK)
    }
    pub(super) fn bold(self, size: i32) -> TextStyle<'static> {
        TextStyle::from((FONT, f64::from(self.px(size)), FontStyle::Bold).into_font()).color(&INK)
    }
    pub(super) fn line(self, c: RGBColor, w: u32) -> ShapeStyle {
        c.stroke_width(self.u(w))
    }
}

pub(super) fn at(style: &TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

pub(super) type Res = Result<(), Box<dyn Error>>;
pub(super) type Area<DB> = DrawingArea<DB, Shift>;

/// A pixel rectangle: left, top, right, bottom.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct BoxPx(
    pub(super) i32,
    pub(super) i32,
    pub(super) i32,
    pub(super) i32,
);

impl BoxPx {
    pub(super) fn overlaps(&self, o: &BoxPx) -> bool {
        self.0 < o.2 && o.0 < self.2 && self.1 < o.3 && o.1 < self.3
    }
    pub(super) fn inside(&self, o: &BoxPx) -> bool {
        self.0 >= o.0 && self.2 <= o.2 && self.1 >= o.1 && self.3 <= o.3
    }
}

pub(super) fn text_size<DB: DrawingBackend>(
    root: &Area<DB>,
    s: &str,
    style: &TextStyle,
) -> (i32, i32) {
    root.estimate_text_size(s, style)
        .map_or((s.chars().count() as i32 * 8, 16), |(w, h)| {
            (w as i32, h as i32)
        })
}

/// A dashed line between two pixels.
pub(super) fn dashed<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    a: (i32, i32),
    b: (i32, i32),
    style: ShapeStyle,
) -> Res
where
    DB::ErrorType: 'static,
{
    let (dx, dy) = (f64::from(b.0 - a.0), f64::from(b.1 - a.1));
    let len = (dx * dx + dy * dy).sqrt();
    let (dash, gap) = (f64::from(s.px(8)), f64::from(s.px(5)));
    let mut t = 0.0;
    while t < len {
        let e = (t + dash).min(len);
        let p = |u: f64| {
            (
                a.0 + (dx * u / len).round() as i32,
                a.1 + (dy * u / len).round() as i32,
            )
        };
        root.draw(&PathElement::new(vec![p(t), p(e)], style))?;
        t += dash + gap;
    }
    Ok(())
}

/// What a legend entry shows.
#[derive(Clone, Copy)]
pub(super) enum Swatch {
    Bar(RGBColor),
    Circle(RGBColor),
    Triangle(RGBColor),
    Whisker,
    Dashed(RGBColor),
    /// A marker crossed out.
    Cross(RGBColor),
    /// A marker ringed.
    Ring(RGBColor),
}

pub(super) fn draw_swatch<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    sw: Swatch,
    x: i32,
    y: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    let p = |v: i32| s.px(v);
    match sw {
        Swatch::Bar(c) => {
            root.draw(&Rectangle::new(
                [(x, y - p(7)), (x + p(22), y + p(7))],
                c.filled(),
            ))?;
        }
        Swatch::Circle(c) => draw_circle(root, s, (x + p(11), y), c)?,
        Swatch::Triangle(c) => draw_triangle(root, s, (x + p(11), y), c)?,
        Swatch::Whisker => {
            let st = s.line(INK, 2);
            let (cx, t, b) = (x + p(11), y - p(8), y + p(8));
            root.draw(&PathElement::new(vec![(cx, t), (cx, b)], st))?;
            root.draw(&PathElement::new(vec![(cx - p(5), t), (cx + p(5), t)], st))?;
            root.draw(&PathElement::new(vec![(cx - p(5), b), (cx + p(5), b)], st))?;
        }
        Swatch::Dashed(c) => dashed(root, s, (x, y), (x + p(24), y), s.line(c, 2))?,
        Swatch::Cross(c) => {
            draw_circle(root, s, (x + p(11), y), GREY)?;
            draw_cross(root, s, (x + p(11), y), c, 9)?;
        }
        Swatch::Ring(c) => draw_ring(root, s, (x + p(11), y), c, 10)?,
    }
    Ok(())
}

/// A filled circle marker with a dark outline.
pub(super) fn draw_circle<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    p: (i32, i32),
    c: RGBColor,
) -> Res
where
    DB::ErrorType: 'static,
{
    root.draw(&Circle::new(p, s.px(7), c.filled()))?;
    root.draw(&Circle::new(p, s.px(7), s.line(INK, 1)))?;
    Ok(())
}

/// A bold X of half-width `r` over the marker at `p`, with a white edge so it reads on any
/// marker colour.
pub(super) fn draw_cross<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    p: (i32, i32),
    c: RGBColor,
    r: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    let r = s.px(r);
    for (w, col) in [(7, WHITE), (4, c)] {
        root.draw(&PathElement::new(
            vec![(p.0 - r, p.1 - r), (p.0 + r, p.1 + r)],
            s.line(col, w),
        ))?;
        root.draw(&PathElement::new(
            vec![(p.0 - r, p.1 + r), (p.0 + r, p.1 - r)],
            s.line(col, w),
        ))?;
    }
    Ok(())
}

/// A thick ring of radius `r` round the marker at `p`.
pub(super) fn draw_ring<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    p: (i32, i32),
    c: RGBColor,
    r: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    root.draw(&Circle::new(p, s.px(r), s.line(c, 3)))?;
    Ok(())
}

/// An upward triangle marker centred on `p`, filled, with a dark outline.
pub(super) fn draw_triangle<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    p: (i32, i32),
    c: RGBColor,
) -> Res
where
    DB::ErrorType: 'static,
{
    let r = s.px(9);
    let pts = vec![
        (p.0, p.1 - r),
        (p.0 + r, p.1 + r * 3 / 4),
        (p.0 - r, p.1 + r * 3 / 4),
    ];
    root.draw(&Polygon::new(pts.clone(), c.filled()))?;
    let mut closed = pts;
    closed.push(closed[0]);
    root.draw(&PathElement::new(closed, s.line(INK, 1)))?;
    Ok(())
}

/// A line from label box `b` to the triangle mark at `p` when the box sits above or below it
/// (in another row, where it could be read as that row's); nothing when it is beside it.
pub(super) fn draw_leader<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    b: &BoxPx,
    p: (i32, i32),
    c: RGBColor,
) -> Res
where
    DB::ErrorType: 'static,
{
    if (b.1..=b.3).contains(&p.1) {
        return Ok(());
    }
    let (edge, tip) = if b.3 < p.1 {
        (b.3, p.1 - s.px(10))
    } else {
        (b.1, p.1 + s.px(10))
    };
    root.draw(&PathElement::new(
        vec![(p.0.clamp(b.0, b.2), edge), (p.0, tip)],
        s.line(c, 2),
    ))?;
    Ok(())
}

/// Title and a centred legend row (wrapped if needed); returns the height used.
pub(super) fn header<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    title: &str,
    legend: &[(String, Swatch)],
) -> Result<i32, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let (w, _) = root.dim_in_pixel();
    let w = w as i32;
    root.draw_text(
        title,
        &at(&s.bold(TITLE_PX), HPos::Center, VPos::Top),
        (w / 2, s.px(12)),
    )?;
    let mut y = s.px(12 + TITLE_PX + 12);
    if legend.is_empty() {
        return Ok(y + s.px(4));
    }
    let style = s.text(NOTE_PX + 1);
    let items: Vec<i32> = legend
        .iter()
        .map(|(t, _)| s.px(28) + text_size(root, t, &style).0)
        .collect();
    let gap = s.px(28);
    // Rows of items, each fitting in the width.
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0;
    for (i, iw) in items.iter().enumerate() {
        let row = rows.last_mut().expect("one row");
        if !row.is_empty() && used + gap + iw > w - s.px(60) {
            rows.push(vec![i]);
            used = *iw;
        } else {
            used += if row.is_empty() { *iw } else { gap + iw };
            row.push(i);
        }
    }
    for row in rows {
        let total: i32 = row.iter().map(|&i| items[i]).sum::<i32>() + gap * (row.len() as i32 - 1);
        let mut x = (w - total) / 2;
        let cy = y + s.px(10);
        for i in row {
            let (label, sw) = &legend[i];
            draw_swatch(root, s, *sw, x, cy)?;
            root.draw_text(
                label,
                &at(&style, HPos::Left, VPos::Center),
                (x + s.px(28), cy),
            )?;
            x += items[i] + gap;
        }
        y += s.px(26);
    }
    Ok(y + s.px(6))
}

/// Splits `name` at hyphens into lines no wider than `max_w` pixels.
pub(super) fn wrap<DB: DrawingBackend>(
    root: &Area<DB>,
    name: &str,
    style: &TextStyle,
    max_w: i32,
) -> Vec<String> {
    if text_size(root, name, style).0 <= max_w {
        return vec![name.to_string()];
    }
    let parts: Vec<&str> = name.split('-').collect();
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, p) in parts.iter().enumerate() {
        let piece = if i + 1 < parts.len() {
            format!("{p}-")
        } else {
            (*p).to_string()
        };
        let candidate = format!("{cur}{piece}");
        if !cur.is_empty() && text_size(root, &candidate, style).0 > max_w {
            lines.push(std::mem::take(&mut cur));
            cur = piece;
        } else {
            cur = candidate;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Room below a categorical axis for the wrapped variant names and the axis description.
pub(super) fn category_area<DB: DrawingBackend>(root: &Area<DB>, s: S, names: &[String]) -> u32 {
    let (w, _) = root.dim_in_pixel();
    let slot = (w as i32 - s.px(120)) / names.len().max(1) as i32;
    let lines = names
        .iter()
        .map(|n| wrap(root, n, &s.text(TICK_PX), slot - s.px(8)).len())
        .max()
        .unwrap_or(1) as i32;
    (s.px(12 + 18 * lines + 14 + DESC_PX + 6)) as u32
}

/// Variant names under a categorical x axis, wrapped to their slot.
pub(super) fn category_labels<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    centres: &[(i32, i32)],
    names: &[String],
    slot: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    let style = s.text(TICK_PX);
    for ((x, y), name) in centres.iter().zip(names) {
        root.draw(&PathElement::new(
            vec![(*x, *y), (*x, *y + s.px(5))],
            s.line(INK, 1),
        ))?;
        for (k, line) in wrap(root, name, &style, slot - s.px(8)).iter().enumerate() {
            let ly = y + s.px(9 + 18 * k as i32);
            root.draw_text(line, &at(&style, HPos::Center, VPos::Top), (*x, ly))?;
        }
    }
    Ok(())
}

/// A count with few digits: 0.5, 12, 170, 4.4k, 1.1M.
pub(super) fn short_num(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1e6 {
        trim(format!("{:.1}", x / 1e6)) + "M"
    } else if a >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if a >= 1e3 {
        trim(format!("{:.1}", x / 1e3)) + "k"
    } else if a >= 10.0 {
        format!("{x:.0}")
    } else {
        trim(format!("{x:.2}"))
    }
}

pub(super) fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Hours with as many decimals as a span of `span` hours needs to tell its ticks apart.
pub(super) fn hours_text(x: f64, span: f64) -> String {
    let decimals = if span < 0.02 {
        4
    } else if span < 0.2 {
        3
    } else {
        2
    };
    trim(format!("{x:.decimals$}"))
}

/// Rounds to 6 significant digits, so that 10^2.0000000001 prints as 100.
pub(super) fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let p = 10f64.powf(5.0 - x.abs().log10().floor());
    (x * p).round() / p
}

/// 1, 2 or 5 times a power of ten, about a fifth of `span`.
pub(super) fn nice_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

/// The mesh every chart shares: white minor lines, light grid, dark axes, readable labels. The
/// caller adds its axis descriptions, formatters and which grid lines to drop.
pub(super) fn mesh<'a, 'b, DB, XT, YT, X, Y>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    s: S,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
{
    let mut m = chart.configure_mesh();
    m.light_line_style(WHITE)
        .bold_line_style(s.line(GRID, 1))
        .axis_style(s.line(INK, 1))
        .set_all_tick_mark_size(s.px(5))
        .axis_desc_style(s.text(DESC_PX))
        .label_style(s.text(TICK_PX));
    m
}
