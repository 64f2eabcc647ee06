//! Charts of a comparison, each as SVG and PNG: failures, backup window, the exposure/window
//! trade-off, the per-dumper failure share and a one-night timeline.
//!
//! Deterministic by construction: everything is drawn in a fixed order (no `Histogram`, no hash
//! maps), the font is embedded (DejaVu Sans, registered once), and the PNG is encoded here from
//! the raw pixels, so the same comparison gives byte-identical files. The palette is Okabe-Ito,
//! safe for the common colour-vision deficiencies, and every colour also differs in shape,
//! position or a label.
//!
//! The PNG is drawn at twice its size and averaged down 2x2: plotters' glyph placement is off by
//! up to two pixels per letter, and its lines are not anti-aliased; both are halved and smoothed.

use crate::compare::{Comparison, Variant, VariantReport};
use crate::model::outcome::Outcome;
use crate::model::ports::BindKind;
use crate::model::site::{self, RunResult};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::error::Error;
use std::sync::Once;

/// One rendered chart file.
pub struct Plot {
    /// Title, for the report.
    pub title: String,
    /// File name inside the report directory.
    pub file: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Renders every chart of `c` as SVG and PNG.
///
/// `timeline` names the variant drawn beside the baseline in the timeline chart; without it, the
/// remedy with the fewest failed attempts (then the fewest reachable ports, then the first).
pub fn render_all(variants: &[Variant], c: &Comparison, timeline: Option<&str>) -> Vec<Plot> {
    if c.variants.is_empty() {
        return Vec::new();
    }
    register_fonts();
    let data = Data::prepare(variants, c, timeline);
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let Some(title) = data.title(kind) else {
            continue;
        };
        let (w, h) = kind.size();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            draw_chart(&root, &data, kind, &title, S(1));
            root.present().expect("SVG into memory");
        }
        let big = S(2);
        let (bw, bh) = (big.u(w), big.u(h));
        let mut rgb = vec![0u8; bw as usize * bh as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (bw, bh)).into_drawing_area();
            draw_chart(&root, &data, kind, &title, big);
            root.present().expect("bitmap into memory");
        }
        out.push(Plot {
            title: title.clone(),
            file: format!("{}.svg", kind.file()),
            bytes: svg.into_bytes(),
        });
        out.push(Plot {
            title,
            file: format!("{}.png", kind.file()),
            bytes: encode_png(w, h, &halve(&rgb, w as usize, h as usize)),
        });
    }
    out
}

/// Averages each 2x2 block of a (2w x 2h) RGB image.
fn halve(big: &[u8], w: usize, h: usize) -> Vec<u8> {
    let stride = 2 * w * 3;
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            for ch in 0..3 {
                let at = |dy: usize, dx: usize| {
                    u16::from(big[(2 * y + dy) * stride + (2 * x + dx) * 3 + ch])
                };
                out.push(((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1) + 2) / 4) as u8);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Style

const FONT: &str = "sans-serif";
const INK: RGBColor = RGBColor(34, 34, 34);
const MUTED: RGBColor = RGBColor(90, 90, 90);
const GRID: RGBColor = RGBColor(225, 225, 225);
// Okabe-Ito.
const BLUE: RGBColor = RGBColor(0, 114, 178);
const ORANGE: RGBColor = RGBColor(230, 159, 0);
const VERMILION: RGBColor = RGBColor(213, 94, 0);
const SKY: RGBColor = RGBColor(86, 180, 233);
const GREY: RGBColor = RGBColor(153, 153, 153);

const TITLE_PX: i32 = 24;
const DESC_PX: i32 = 18;
const TICK_PX: i32 = 15;
const NOTE_PX: i32 = 14;

fn register_fonts() {
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
struct S(i32);

impl S {
    fn px(self, v: i32) -> i32 {
        v * self.0
    }
    fn u(self, v: u32) -> u32 {
        v * self.0 as u32
    }
    fn text(self, size: i32) -> TextStyle<'static> {
        TextStyle::from((FONT, f64::from(self.px(size))).into_font()).color(&INK)
    }
    fn bold(self, size: i32) -> TextStyle<'static> {
        TextStyle::from((FONT, f64::from(self.px(size)), FontStyle::Bold).into_font()).color(&INK)
    }
    fn line(self, c: RGBColor, w: u32) -> ShapeStyle {
        c.stroke_width(self.u(w))
    }
}

fn at(style: &TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

type Res = Result<(), Box<dyn Error>>;
type Area<DB> = DrawingArea<DB, Shift>;

/// A pixel rectangle: left, top, right, bottom.
#[derive(Clone, Copy, Debug, PartialEq)]
struct BoxPx(i32, i32, i32, i32);

impl BoxPx {
    fn overlaps(&self, o: &BoxPx) -> bool {
        self.0 < o.2 && o.0 < self.2 && self.1 < o.3 && o.1 < self.3
    }
    fn inside(&self, o: &BoxPx) -> bool {
        self.0 >= o.0 && self.2 <= o.2 && self.1 >= o.1 && self.3 <= o.3
    }
}

fn text_size<DB: DrawingBackend>(root: &Area<DB>, s: &str, style: &TextStyle) -> (i32, i32) {
    root.estimate_text_size(s, style)
        .map_or((s.chars().count() as i32 * 8, 16), |(w, h)| {
            (w as i32, h as i32)
        })
}

/// A dashed line between two pixels.
fn dashed<DB: DrawingBackend>(
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
enum Swatch {
    Bar(RGBColor),
    Circle(RGBColor),
    Triangle(RGBColor),
    Whisker,
    Dashed(RGBColor),
}

fn draw_swatch<DB: DrawingBackend>(root: &Area<DB>, s: S, sw: Swatch, x: i32, y: i32) -> Res
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
    }
    Ok(())
}

/// A filled circle marker with a dark outline.
fn draw_circle<DB: DrawingBackend>(root: &Area<DB>, s: S, p: (i32, i32), c: RGBColor) -> Res
where
    DB::ErrorType: 'static,
{
    root.draw(&Circle::new(p, s.px(7), c.filled()))?;
    root.draw(&Circle::new(p, s.px(7), s.line(INK, 1)))?;
    Ok(())
}

/// An upward triangle marker centred on `p`, filled, with a dark outline.
fn draw_triangle<DB: DrawingBackend>(root: &Area<DB>, s: S, p: (i32, i32), c: RGBColor) -> Res
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

/// Title and a centred legend row (wrapped if needed); returns the height used.
fn header<DB: DrawingBackend>(
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
fn wrap<DB: DrawingBackend>(
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
fn category_area<DB: DrawingBackend>(root: &Area<DB>, s: S, names: &[String]) -> u32 {
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
fn category_labels<DB: DrawingBackend>(
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
fn short_num(x: f64) -> String {
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

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Rounds to 6 significant digits, so that 10^2.0000000001 prints as 100.
fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let p = 10f64.powf(5.0 - x.abs().log10().floor());
    (x * p).round() / p
}

/// 1, 2 or 5 times a power of ten, about a fifth of `span`.
fn nice_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

// ---------------------------------------------------------------------------------------------
// Data

#[derive(Clone, Copy, Debug, Default)]
struct Est {
    mean: f64,
    low: f64,
    high: f64,
}

fn est(v: &VariantReport, measure: &str) -> Est {
    let Some(m) = v.measures.iter().find(|m| m.measure == measure) else {
        return Est::default();
    };
    let mean = if m.stats.mean.is_finite() {
        m.stats.mean
    } else {
        0.0
    };
    let fin = |x: f64| if x.is_finite() { x } else { mean };
    Est {
        mean,
        low: fin(m.stats.low).min(mean),
        high: fin(m.stats.high).max(mean),
    }
}

/// One night's attempts of one variant, for the timeline.
struct Night {
    name: String,
    /// (dumper, start h, end h, outcome)
    bars: Vec<(u16, f64, f64, Option<Outcome>)>,
    dumpers: usize,
    /// First dumper without an in-range port, if any lacks one.
    boundary: Option<usize>,
    failed: usize,
    /// DLEs not dumped (failed, or never scheduled because their estimate failed).
    lost: usize,
    /// When the driver got the schedule.
    estimates_h: f64,
    window_h: f64,
}

impl Night {
    fn of(name: &str, r: &RunResult) -> Night {
        let bars = r
            .attempts
            .iter()
            .filter(|a| a.end >= a.start)
            .map(|a| {
                (
                    a.dumper.0,
                    a.start.as_secs_f64() / 3600.0,
                    a.end.as_secs_f64() / 3600.0,
                    a.outcome,
                )
            })
            .collect();
        Night {
            name: name.to_string(),
            bars,
            dumpers: r.dumpers.len(),
            boundary: boundary(r),
            failed: r
                .attempts
                .iter()
                .filter(|a| a.outcome != Some(Outcome::Done))
                .count(),
            lost: r
                .dles
                .iter()
                .filter(|d| d.fate != Some(crate::model::outcome::DleFate::Dumped))
                .count(),
            estimates_h: r.estimates_end.as_secs_f64() / 3600.0,
            window_h: r.window.as_secs_f64() / 3600.0,
        }
    }
}

fn boundary(r: &RunResult) -> Option<usize> {
    r.dumpers
        .iter()
        .position(|d| d.bind != Some(BindKind::InRange))
}

/// Everything the charts need, computed once for both formats.
struct Data {
    names: Vec<String>,
    replications: usize,
    failed_dles: Vec<Est>,
    failed_attempts: Vec<Est>,
    window: Vec<Est>,
    pinhole: Vec<Est>,
    spoofable: Vec<bool>,
    /// Baseline share of failed attempts by dumper.
    share: Vec<f64>,
    /// Baseline dumpers' in-range flags (replication 0).
    in_range: Vec<bool>,
    range_text: String,
    baseline_night: Option<Night>,
    other_night: Option<Night>,
}

impl Data {
    fn prepare(variants: &[Variant], c: &Comparison, timeline: Option<&str>) -> Data {
        let all = |m: &str| c.variants.iter().map(|v| est(v, m)).collect::<Vec<_>>();
        let base = &c.variants[0];
        let find = |name: &str| variants.iter().find(|v| v.name == name);
        let base_run = find(&base.name).map(|v| site::run(&v.sc, 0, false));
        let in_range = base_run.as_ref().map_or_else(Vec::new, |r| {
            r.dumpers
                .iter()
                .map(|d| d.bind == Some(BindKind::InRange))
                .collect()
        });
        let range_text = find(&base.name)
            .and_then(|v| v.sc.server.range)
            .map_or_else(
                || "the range".to_string(),
                |r| format!("{}-{}", r.low.0, r.high.0),
            );
        let other = pick_timeline(c, timeline).and_then(|i| {
            let name = &c.variants[i].name;
            find(name).map(|v| Night::of(name, &site::run(&v.sc, 0, false)))
        });
        Data {
            names: c.variants.iter().map(|v| v.name.clone()).collect(),
            replications: c.replications,
            failed_dles: all("failed_dles"),
            failed_attempts: all("failed_attempts"),
            window: all("window_h"),
            pinhole: all("pinhole_port_hours"),
            spoofable: all("rests_on_source_port")
                .iter()
                .map(|e| e.mean > 0.0)
                .collect(),
            share: base.failure_share_by_dumper.clone(),
            in_range,
            range_text,
            baseline_night: base_run.as_ref().map(|r| Night::of(&base.name, r)),
            other_night: other,
        }
    }

    fn title(&self, kind: Kind) -> Option<String> {
        let n = self.replications;
        Some(match kind {
            Kind::Failures => {
                format!("Failures per night by variant (mean and 95% CI, {n} nights)")
            }
            Kind::Window => format!("Backup window by variant (mean and 95% CI, {n} nights)"),
            Kind::Tradeoff => format!("Exposure against backup window (means, {n} nights)"),
            Kind::Dumpers => {
                if self.share.is_empty() {
                    return None;
                }
                format!("Share of failed attempts by dumper (baseline, {n} nights)")
            }
            Kind::Timeline => {
                let b = self.baseline_night.as_ref()?;
                match &self.other_night {
                    Some(o) => format!("Timeline of night 0: {} and {}", b.name, o.name),
                    None => format!("Timeline of night 0: {}", b.name),
                }
            }
        })
    }
}

/// The remedy drawn beside the baseline: the one named, else the fewest failed attempts, then the
/// fewest reachable ports, then the first.
fn pick_timeline(c: &Comparison, timeline: Option<&str>) -> Option<usize> {
    if let Some(i) = timeline.and_then(|n| c.variants.iter().position(|v| v.name == n)) {
        return Some(i);
    }
    (1..c.variants.len()).min_by(|&a, &b| {
        let (va, vb) = (&c.variants[a], &c.variants[b]);
        est(va, "failed_attempts")
            .mean
            .total_cmp(&est(vb, "failed_attempts").mean)
            .then(
                est(va, "reachable_ports")
                    .mean
                    .total_cmp(&est(vb, "reachable_ports").mean),
            )
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Failures,
    Window,
    Tradeoff,
    Dumpers,
    Timeline,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Failures,
        Kind::Window,
        Kind::Tradeoff,
        Kind::Dumpers,
        Kind::Timeline,
    ];

    fn file(self) -> &'static str {
        match self {
            Kind::Failures => "failures",
            Kind::Window => "window",
            Kind::Tradeoff => "tradeoff",
            Kind::Dumpers => "dumpers",
            Kind::Timeline => "timeline",
        }
    }

    fn size(self) -> (u32, u32) {
        match self {
            Kind::Timeline => (1000, 820),
            _ => (1000, 600),
        }
    }
}

fn draw_chart<DB: DrawingBackend>(root: &Area<DB>, d: &Data, kind: Kind, title: &str, s: S)
where
    DB::ErrorType: 'static,
{
    let r = root
        .fill(&WHITE)
        .map_err(Into::into)
        .and_then(|()| match kind {
            Kind::Failures => failures(root, s, d, title),
            Kind::Window => window(root, s, d, title),
            Kind::Tradeoff => tradeoff(root, s, d, title),
            Kind::Dumpers => dumpers(root, s, d, title),
            Kind::Timeline => timeline(root, s, d, title),
        });
    if let Err(e) = r {
        // Only a missing font can fail a drawing into memory, and the font is embedded.
        panic!("drawing the {} chart: {e}", kind.file());
    }
}

// ---------------------------------------------------------------------------------------------
// Charts

/// A linear axis with the tick marks given (plotters' own `with_key_points` loses the formatter).
#[derive(Clone, Debug)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Axis {
    fn new(r: std::ops::Range<f64>, ticks: Vec<f64>) -> Axis {
        Axis {
            lo: r.start,
            hi: r.end,
            ticks,
        }
    }
}

impl Ranged for Axis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = if self.hi > self.lo {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            0.5
        };
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Categorical x range: one slot per variant, centred on 0, 1, ...
fn slots(n: usize) -> Axis {
    Axis::new(-0.5..n as f64 - 0.5, Vec::new())
}

fn failures<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let legend = [
        ("failed DLEs (not dumped)".to_string(), Swatch::Bar(BLUE)),
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
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(s.line(GRID, 1))
        .axis_style(s.line(INK, 1))
        .set_all_tick_mark_size(s.px(5))
        .y_desc("per night (count)")
        .x_desc("variant (baseline first, then the remedies)")
        .axis_desc_style(s.text(DESC_PX))
        .label_style(s.text(TICK_PX))
        .y_label_formatter(&|y| trim(format!("{y:.2}")))
        .draw()?;
    let half = 0.36;
    for (i, (dl, fa)) in d.failed_dles.iter().zip(&d.failed_attempts).enumerate() {
        let x = i as f64;
        for (e, x0, x1, col) in [
            (dl, x - half, x - 0.02, BLUE),
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

fn window<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let legend = [
        ("mean".to_string(), Swatch::Circle(BLUE)),
        ("95% CI".to_string(), Swatch::Whisker),
        ("baseline mean".to_string(), Swatch::Dashed(GREY)),
    ];
    let top = header(root, s, title, &legend)?;
    let (_, body) = root.split_vertically(top);
    let n = d.names.len();
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
    let mut chart = ChartBuilder::on(&body)
        .margin_left(s.px(10))
        .margin_right(s.px(30))
        .margin_bottom(s.px(4))
        .x_label_area_size(category_area(root, s, &d.names))
        .y_label_area_size(s.px(76))
        .build_cartesian_2d(slots(n), y0..y1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(s.line(GRID, 1))
        .axis_style(s.line(INK, 1))
        .set_all_tick_mark_size(s.px(5))
        .y_desc(desc)
        .x_desc("variant (baseline first, then the remedies)")
        .axis_desc_style(s.text(DESC_PX))
        .label_style(s.text(TICK_PX))
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
        draw_circle(root, s, p, BLUE)?;
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

fn tradeoff<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let legend = [
        (
            "acceptance rests on source port 10080 (chosen by the sender)".to_string(),
            Swatch::Triangle(VERMILION),
        ),
        (
            "does not rest on the source port".to_string(),
            Swatch::Circle(BLUE),
        ),
        ("95% CI".to_string(), Swatch::Whisker),
    ];
    let top = header(root, s, title, &legend)?;
    let (_, body) = root.split_vertically(top);
    // y: log10 of port-hours, a third of a decade beyond the data; zeros sit on a floor below it.
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
    let ly = |v: f64| {
        if v > 0.0 {
            v.log10()
        } else {
            floor.unwrap_or(ylo)
        }
    };
    let axis_lo = floor.map_or(ylo, |f| f - 0.3);
    // x: window, with room for the intervals.
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
    let fmt = move |v: &f64| -> String {
        if floor.is_some_and(|f| (v - f).abs() < 1e-9) {
            "0".into()
        } else {
            short_num(round_sig(10f64.powf(*v)))
        }
    };
    let mut chart = ChartBuilder::on(&body)
        .margin_left(s.px(10))
        .margin_right(s.px(30))
        .margin_top(s.px(6))
        .margin_bottom(s.px(4))
        .x_label_area_size(s.px(64))
        .y_label_area_size(s.px(76))
        .build_cartesian_2d(x0..x1, Axis::new(axis_lo..yhi, ticks))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(s.line(GRID, 1))
        .axis_style(s.line(INK, 1))
        .set_all_tick_mark_size(s.px(5))
        .x_desc("backup window (h)")
        .y_desc(if has_zero {
            "pinhole (port x peer) hours, log scale; 0 at the bottom"
        } else {
            "pinhole (port x peer) hours, log scale"
        })
        .axis_desc_style(s.text(DESC_PX))
        .label_style(s.text(TICK_PX))
        .x_label_formatter(&|x| trim(format!("{x:.2}")))
        .y_label_formatter(&fmt)
        .draw()?;
    let plot = {
        let (a, b) = (
            chart.backend_coord(&(x0, yhi)),
            chart.backend_coord(&(x1, axis_lo)),
        );
        BoxPx(a.0 + s.px(2), a.1 + s.px(2), b.0 - s.px(2), b.1 - s.px(2))
    };
    if let Some(f) = floor {
        // The axis break between the zero floor and the log scale.
        let a = chart.backend_coord(&(x0, f + 0.25));
        let b = chart.backend_coord(&(x1, f + 0.25));
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
    }
    // Whiskers first, markers over them, labels last.
    let st = s.line(GREY, 1);
    for (w, p) in d.window.iter().zip(&d.pinhole) {
        let y = ly(p.mean);
        chart.draw_series([
            PathElement::new(vec![(w.low, y), (w.high, y)], st),
            PathElement::new(vec![(w.mean, ly(p.low.max(0.0))), (w.mean, ly(p.high))], st),
        ])?;
        let cap = (yhi - axis_lo) * 0.012;
        chart.draw_series([
            PathElement::new(vec![(w.low, y - cap), (w.low, y + cap)], st),
            PathElement::new(vec![(w.high, y - cap), (w.high, y + cap)], st),
        ])?;
    }
    let points: Vec<(i32, i32)> = d
        .window
        .iter()
        .zip(&d.pinhole)
        .map(|(w, p)| chart.backend_coord(&(w.mean, ly(p.mean))))
        .collect();
    // The markers that do not rest on the source port first, so a spoofable one stays on top.
    for spoof in [false, true] {
        for (i, p) in points.iter().enumerate() {
            match (d.spoofable[i], spoof) {
                (true, true) => draw_triangle(root, s, *p, VERMILION)?,
                (false, false) => draw_circle(root, s, *p, BLUE)?,
                _ => {}
            }
        }
    }
    // One label per spot: variants that coincide share it.
    let mut groups: Vec<(usize, Vec<&str>)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let near =
            |j: usize| (points[j].0 - p.0).abs() <= s.px(2) && (points[j].1 - p.1).abs() <= s.px(2);
        match groups.iter_mut().find(|(j, _)| near(*j)) {
            Some((_, names)) => names.push(&d.names[i]),
            None => groups.push((i, vec![&d.names[i]])),
        }
    }
    let mut taken: Vec<BoxPx> = points
        .iter()
        .map(|p| {
            BoxPx(
                p.0 - s.px(10),
                p.1 - s.px(10),
                p.0 + s.px(10),
                p.1 + s.px(10),
            )
        })
        .collect();
    let style = s.text(NOTE_PX + 1);
    for (i, names) in groups {
        let p = points[i];
        let label = format!(
            "{} ({})",
            names.join(", "),
            short_num(round_sig(d.pinhole[i].mean))
        );
        let (tw, th) = text_size(root, &label, &style);
        let (bx, near) = place_label(s, p, tw, th, &taken, &plot);
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

/// Places a `w` x `h` label near `p` without touching `taken`, inside `plot`. Returns the box
/// and whether it sits next to the point (else a leader line is wanted).
fn place_label(
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

fn dumpers<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let range = &d.range_text;
    let boundary = d.in_range.iter().position(|r| !r);
    let mut legend = vec![
        (format!("dumper with a port in {range}"), Swatch::Bar(BLUE)),
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
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(s.line(GRID, 1))
        .axis_style(s.line(INK, 1))
        .set_all_tick_mark_size(s.px(5))
        .x_desc("dumper index (fork order)")
        .y_desc("share of failed attempts (%)")
        .axis_desc_style(s.text(DESC_PX))
        .label_style(s.text(TICK_PX))
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .y_label_formatter(&|y| trim(format!("{y:.1}")))
        .draw()?;
    for (i, v) in d.share.iter().enumerate() {
        let col = if d.in_range.get(i).copied().unwrap_or(false) {
            BLUE
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
        let style = s.text(NOTE_PX + 1);
        let left_edge = chart.backend_coord(&(-0.5, 0.0)).0;
        let right_edge = chart.backend_coord(&(n as f64 - 0.5, 0.0)).0;
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
    }
    Ok(())
}

fn timeline<DB: DrawingBackend>(root: &Area<DB>, s: S, d: &Data, title: &str) -> Res
where
    DB::ErrorType: 'static,
{
    let Some(base) = &d.baseline_night else {
        return Ok(());
    };
    let nights: Vec<&Night> = std::iter::once(base)
        .chain(d.other_night.as_ref())
        .collect();
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
        let caption = format!(
            "{}: {} failed attempt{}, {} DLE{} not dumped, estimates until {:.2} h, window {:.2} h",
            night.name,
            night.failed,
            if night.failed == 1 { "" } else { "s" },
            night.lost,
            if night.lost == 1 { "" } else { "s" },
            night.estimates_h,
            night.window_h
        );
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
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .bold_line_style(s.line(GRID, 1))
            .axis_style(s.line(INK, 1))
            .set_all_tick_mark_size(s.px(5))
            .x_desc("time since amdump started (h)")
            .y_desc("dumper")
            .axis_desc_style(s.text(DESC_PX))
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

/// PNG bytes of an 8-bit RGB buffer, encoded in memory by the `png` crate (no time chunk, so the
/// same pixels always give the same bytes).
fn encode_png(w: u32, h: u32, rgb: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().expect("in-memory PNG header");
    writer.write_image_data(rgb).expect("in-memory PNG data");
    writer.finish().expect("in-memory PNG end");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::remedy::RemedyKind;
    use crate::compare::{Options, run_all, summarise, variants as build_variants};
    use crate::scenario::{Source, load, read};

    fn comparison() -> (Vec<Variant>, Comparison) {
        let base = load(&Source::Builtin, &[]).expect("built-in incident loads");
        let tree = read(&Source::Builtin).expect("built-in incident reads");
        let kinds = [RemedyKind::WidenRange, RemedyKind::LowerInparallel];
        let vs = build_variants(&Source::Builtin, &tree, &[], base, &kinds, &[])
            .expect("remedies apply");
        let opt = Options {
            replications: 4,
            jobs: 2,
            confidence: 0.95,
            progress: false,
        };
        let cells = run_all(&vs, opt);
        let c = summarise(&vs, &cells, opt.confidence);
        (vs, c)
    }

    fn svg<'a>(plots: &'a [Plot], name: &str) -> &'a str {
        let p = plots
            .iter()
            .find(|p| p.file == format!("{name}.svg"))
            .expect("chart rendered");
        std::str::from_utf8(&p.bytes).expect("SVG is UTF-8")
    }

    #[test]
    fn renders_five_charts_as_svg_and_png_deterministically() {
        let (vs, c) = comparison();
        let plots = render_all(&vs, &c, None);
        let files: Vec<&str> = plots.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "failures.svg",
                "failures.png",
                "window.svg",
                "window.png",
                "tradeoff.svg",
                "tradeoff.png",
                "dumpers.svg",
                "dumpers.png",
                "timeline.svg",
                "timeline.png"
            ]
        );
        for p in &plots {
            if p.file.ends_with(".png") {
                assert!(
                    p.bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
                    "{} is a PNG",
                    p.file
                );
                assert!(
                    p.bytes.ends_with(b"IEND\xae\x42\x60\x82"),
                    "{} ends with IEND",
                    p.file
                );
            } else {
                let s = std::str::from_utf8(&p.bytes).expect("SVG is UTF-8");
                assert!(s.starts_with("<svg"), "{} is an SVG", p.file);
                assert!(
                    s.contains(&p.title),
                    "{} holds its title {:?}",
                    p.file,
                    p.title
                );
            }
        }
        let again = render_all(&vs, &c, None);
        for (a, b) in plots.iter().zip(&again) {
            assert!(
                a.bytes == b.bytes,
                "{} differs between two renderings",
                a.file
            );
        }
    }

    #[test]
    fn charts_carry_their_axis_labels_and_legends() {
        let (vs, c) = comparison();
        let plots = render_all(&vs, &c, None);
        let expect: [(&str, &[&str]); 5] = [
            (
                "failures",
                &[
                    "per night (count)",
                    "variant (baseline first",
                    "failed DLEs",
                    "failed attempts",
                    "95% CI",
                ],
            ),
            (
                "window",
                &[
                    "backup window (h)",
                    "variant (baseline first",
                    "baseline mean",
                ],
            ),
            (
                "tradeoff",
                &[
                    "backup window (h)",
                    "pinhole (port x peer) hours, log scale",
                    "acceptance rests on source port",
                ],
            ),
            (
                "dumpers",
                &[
                    "dumper index (fork order)",
                    "share of failed attempts (%)",
                    "range boundary",
                    "dumpers 10-19",
                ],
            ),
            (
                "timeline",
                &[
                    "time since amdump started (h)",
                    "dumper",
                    "done",
                    "try-again",
                    "failed",
                ],
            ),
        ];
        for (name, labels) in expect {
            let s = svg(&plots, name);
            for l in labels {
                assert!(s.contains(l), "{name}.svg lacks {l:?}");
            }
        }
        for v in &c.variants {
            assert!(
                svg(&plots, "failures").contains(&v.name),
                "failures names {}",
                v.name
            );
            assert!(
                svg(&plots, "tradeoff").contains(&v.name),
                "tradeoff names {}",
                v.name
            );
        }
    }

    #[test]
    fn timeline_shows_the_best_remedy_unless_told() {
        let (vs, c) = comparison();
        // Both remedies clear every failure; lower-inparallel keeps 10 ports, widen-range opens 26.
        let chosen = pick_timeline(&c, None).map(|i| c.variants[i].name.as_str());
        assert_eq!(chosen, Some("lower-inparallel"));
        let plots = render_all(&vs, &c, Some("widen-range"));
        let s = svg(&plots, "timeline");
        assert!(s.contains("Timeline of night 0: baseline and widen-range"));
        // The second panel is titled with the remedy named.
        assert!(s.contains("widen-range: ") && s.contains(" failed attempt"));
    }

    #[test]
    fn zero_exposure_sits_on_a_labelled_floor() {
        let (vs, mut c) = comparison();
        for m in &mut c.variants[2].measures {
            if m.measure == "pinhole_port_hours" {
                m.stats.mean = 0.0;
                m.stats.low = 0.0;
                m.stats.high = 0.0;
            }
        }
        let plots = render_all(&vs, &c, None);
        let s = svg(&plots, "tradeoff");
        assert!(s.contains("0 at the bottom"));
        assert!(s.contains("lower-inparallel (0)"));
    }

    #[test]
    fn labels_avoid_each_other() {
        let plot = BoxPx(0, 0, 400, 300);
        let mut taken = vec![BoxPx(91, 91, 109, 109)];
        for _ in 0..4 {
            let (b, _) = place_label(S(1), (100, 100), 80, 16, &taken, &plot);
            assert!(b.inside(&plot));
            assert!(!taken.iter().any(|t| t.overlaps(&b)));
            taken.push(b);
        }
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_num(0.0), "0");
        assert_eq!(short_num(170.4), "170");
        assert_eq!(short_num(4400.0), "4.4k");
        assert_eq!(short_num(1_115_024.0), "1.1M");
        assert_eq!(short_num(0.5), "0.5");
        assert_eq!(round_sig(10f64.powf(2.0)), 100.0);
    }
}
