//! One night as a timeline: a row per dumper labelled with its port, in-range and out-of-range
//! rows grouped and shaded, the estimate phase, the driver's sleeps, failures coloured by
//! outcome and lost DLEs marked and named. `compare` draws the baseline beside a remedy;
//! `portsim timeline` draws one night.

use super::*;
use plotters::coord::types::RangedCoordf64;

/// The compare report's chart: night 0 of the baseline and of the remedy drawn beside it.
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
    panels(root, s, &nights, title, &d.range_text)
}

/// `portsim timeline`: one night.
pub(super) struct Single {
    pub(super) night: Night,
    pub(super) title: String,
    pub(super) range_text: String,
}

impl Single {
    /// The hours around the failures, for a second, zoomed panel (None: nothing failed).
    fn zoom(&self) -> Option<(f64, f64)> {
        let fails = self
            .night
            .bars
            .iter()
            .filter(|b| b.3 != Some(Outcome::Done));
        let (lo, hi) = fails.fold((f64::MAX, f64::MIN), |(lo, hi), b| {
            (lo.min(b.1), hi.max(b.2))
        });
        let hi = self
            .night
            .lost_marks
            .iter()
            .map(|m| m.1)
            .fold(hi, f64::max)
            .max(self.night.sleeps.iter().map(|x| x.1).fold(hi, f64::max))
            .max(self.night.requeues.iter().map(|x| x.2).fold(hi, f64::max));
        if lo > hi {
            return None;
        }
        let pad = ((hi - lo) * 0.08).max(0.01);
        Some(((lo - pad).max(0.0), hi + pad))
    }
}

impl Picture for Single {
    fn size(&self) -> (u32, u32) {
        if self.zoom().is_some() {
            (1000, 1160)
        } else {
            (1000, 640)
        }
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, s: S)
    where
        DB::ErrorType: 'static,
    {
        let r = root.fill(&WHITE).map_err(Into::into).and_then(|()| {
            let legend = legend_for(&[&self.night], &self.range_text);
            let top = header(root, s, &self.title, &legend)?;
            let (_, body) = root.split_vertically(top);
            let full = (0.0, full_width(&[&self.night]));
            match self.zoom() {
                None => panel_of(root, &body, s, &self.night, full, None, &self.range_text),
                Some(z) => {
                    let halves = body.split_evenly((2, 1));
                    // The lost DLEs' names go in the zoomed panel only, where they have room.
                    let top = Night {
                        lost_names: false,
                        ..self.night.clone()
                    };
                    panel_of(root, &halves[0], s, &top, full, None, &self.range_text)?;
                    let what = if self.night.requeues.is_empty() {
                        "pause"
                    } else {
                        "requeue"
                    };
                    let caption = format!(
                        "The same night, {}-{} h: every failure and {what}",
                        hours_text(z.0, z.1 - z.0),
                        hours_text(z.1, z.1 - z.0)
                    );
                    panel_of(
                        root,
                        &halves[1],
                        s,
                        &self.night,
                        z,
                        Some(caption),
                        &self.range_text,
                    )
                }
            }
        });
        if let Err(e) = r {
            panic!("drawing the timeline: {e}");
        }
    }
}

fn full_width(nights: &[&Night]) -> f64 {
    let xmax = nights
        .iter()
        .flat_map(|n| n.bars.iter().map(|b| b.2).chain([n.window_h]))
        .fold(0.0f64, f64::max);
    if xmax > 0.0 { xmax * 1.02 } else { 1.0 }
}

const IN_RANGE_BG: RGBColor = RGBColor(232, 244, 250);
const OUTSIDE_BG: RGBColor = RGBColor(253, 236, 226);
const ESTIMATE_BG: RGBColor = RGBColor(238, 238, 238);
const SLEEP: RGBColor = RGBColor(204, 121, 167);
const REQUEUE: RGBColor = RGBColor(0, 158, 115);

/// Rows from the top: the driver's row, then in-range dumpers, then the others.
fn row_order(n: &Night) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..n.dumpers).filter(|&i| n.ports[i].1).collect();
    rows.extend((0..n.dumpers).filter(|&i| !n.ports[i].1));
    rows
}

fn legend_for(nights: &[&Night], range_text: &str) -> Vec<(String, Swatch)> {
    let any = |f: &dyn Fn(&Night) -> bool| nights.iter().any(|n| f(n));
    let has = |o: Option<Outcome>| any(&|n: &Night| n.bars.iter().any(|b| b.3 == o));
    let mut legend = Vec::new();
    if has(Some(Outcome::Done)) {
        legend.push(("dump done".to_string(), Swatch::Bar(SKY)));
    }
    if has(Some(Outcome::TryAgain)) {
        legend.push(("TRY-AGAIN (retried)".to_string(), Swatch::Circle(ORANGE)));
    }
    if has(Some(Outcome::Failed)) {
        legend.push(("FAILED".to_string(), Swatch::Circle(VERMILION)));
    }
    if has(None) {
        legend.push(("unfinished".to_string(), Swatch::Bar(GREY)));
    }
    if any(&|n: &Night| !n.lost_marks.is_empty()) {
        legend.push((
            "DLE lost (given up)".to_string(),
            Swatch::Triangle(VERMILION),
        ));
    }
    if any(&|n: &Night| !n.sleeps.is_empty() || !n.rests.is_empty()) {
        legend.push(("15 s pause after a failure".to_string(), Swatch::Bar(SLEEP)));
    }
    if any(&|n: &Night| !n.requeues.is_empty()) {
        legend.push((
            "3.x requeue, no pause: failure to the retry's request".to_string(),
            Swatch::Bar(REQUEUE),
        ));
    }
    if any(&|n: &Night| n.estimates_h > 0.0) {
        legend.push(("estimate phase".to_string(), Swatch::Bar(ESTIMATE_BG)));
    }
    if any(&|n: &Night| n.ports.iter().any(|p| p.1)) {
        legend.push((format!("port in {range_text}"), Swatch::Bar(IN_RANGE_BG)));
    }
    if any(&|n: &Night| n.ports.iter().any(|p| !p.1)) {
        legend.push((
            format!("port outside {range_text}"),
            Swatch::Bar(OUTSIDE_BG),
        ));
    }
    legend
}

fn panels<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    nights: &[&Night],
    title: &str,
    range_text: &str,
) -> Res
where
    DB::ErrorType: 'static,
{
    let legend = legend_for(nights, range_text);
    let top = header(root, s, title, &legend)?;
    let (_, body) = root.split_vertically(top);
    let panels = body.split_evenly((nights.len(), 1));
    let xmax = full_width(nights);
    for (night, panel) in nights.iter().zip(&panels) {
        panel_of(root, panel, s, night, (0.0, xmax), None, range_text)?;
    }
    Ok(())
}

/// The plotting area of a panel: hours across, rows up.
type PlotArea<DB> = DrawingArea<DB, Cartesian2d<RangedCoordf64, Axis>>;

/// A panel's geometry: its hours and its rows (row 0 is the driver's, at the top).
struct Layout<'n> {
    night: &'n Night,
    order: Vec<usize>,
    row_of: Vec<usize>,
    rows: usize,
    xmin: f64,
    xmax: f64,
    /// Hours per pixel.
    per_px: f64,
}

impl<'n> Layout<'n> {
    fn new(night: &'n Night, (xmin, xmax): (f64, f64)) -> Layout<'n> {
        let order = row_order(night);
        let mut row_of = vec![0usize; night.dumpers];
        for (k, &d) in order.iter().enumerate() {
            row_of[d] = k + 1;
        }
        Layout {
            night,
            rows: order.len() + 1,
            order,
            row_of,
            xmin,
            xmax,
            per_px: 0.0,
        }
    }
    fn y(&self, row: usize) -> f64 {
        (self.rows - 1 - row) as f64
    }
    fn y_dumper(&self, d: u16) -> f64 {
        self.y(self.row_of[usize::from(d)])
    }
    /// Everything drawn is clipped to the panel's hours.
    fn clip(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        (b >= self.xmin && a <= self.xmax).then(|| (a.max(self.xmin), b.min(self.xmax)))
    }
    fn n_in(&self) -> usize {
        self.order
            .iter()
            .filter(|&&d| self.night.ports[d].1)
            .count()
    }
    fn labels(&self) -> Vec<String> {
        std::iter::once("driver".to_string())
            .chain(self.order.iter().map(|&d| match self.night.ports[d].0 {
                Some(p) => format!("dumper{d} · {p}"),
                None => format!("dumper{d} · no port"),
            }))
            .collect()
    }
    /// Of rows `k`, the one whose dumps end first: a label there covers no bar.
    fn free_row(&self, rows: std::ops::RangeInclusive<usize>) -> usize {
        rows.map(|k| {
            let d = self.order[k - 1] as u16;
            let end = self
                .night
                .bars
                .iter()
                .filter(|b| b.0 == d)
                .map(|b| b.2)
                .fold(0.0f64, f64::max);
            (k, end)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        .map_or(1, |(k, _)| k)
    }
}

fn caption_of(night: &Night) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let never = if night.not_scheduled > 0 {
        format!(
            " ({} never scheduled: estimate failed)",
            night.not_scheduled
        )
    } else {
        String::new()
    };
    format!(
        "{}: {} failed attempt{}, {} DLE{} not dumped{never}, estimates until {} h, window {} h",
        night.name,
        night.failed,
        plural(night.failed),
        night.lost,
        plural(night.lost),
        hours_text(night.estimates_h, night.window_h),
        hours_text(night.window_h, night.window_h)
    )
}

fn panel_of<DB: DrawingBackend>(
    root: &Area<DB>,
    panel: &Area<DB>,
    s: S,
    night: &Night,
    hours: (f64, f64),
    caption: Option<String>,
    range_text: &str,
) -> Res
where
    DB::ErrorType: 'static,
{
    let mut l = Layout::new(night, hours);
    let labels = l.labels();
    let rows = l.rows;
    let ticks: Vec<f64> = (0..rows).map(|r| r as f64).collect();
    let span = l.xmax - l.xmin;
    let mut chart = ChartBuilder::on(panel)
        .caption(
            caption.unwrap_or_else(|| caption_of(night)),
            s.bold(DESC_PX - 2),
        )
        .margin_left(s.px(10))
        .margin_right(s.px(30))
        .margin_bottom(s.px(4))
        .x_label_area_size(s.px(50))
        .y_label_area_size(s.px(120))
        .build_cartesian_2d(l.xmin..l.xmax, Axis::new(-0.5..rows as f64 - 0.5, ticks))?;
    let row_label = |y: &f64| {
        let row = rows as i64 - 1 - y.round() as i64;
        usize::try_from(row)
            .ok()
            .and_then(|r| labels.get(r).cloned())
            .unwrap_or_default()
    };
    mesh(&mut chart, s)
        .disable_y_mesh()
        .x_desc("time since amdump started (h)")
        .label_style(s.text(TICK_PX - 3))
        .x_label_formatter(&|x| hours_text(*x, span))
        .y_label_formatter(&row_label)
        .draw()?;
    let area = chart.plotting_area();
    let px_w =
        (area.map_coordinate(&(l.xmax, 0.0)).0 - area.map_coordinate(&(l.xmin, 0.0)).0).max(1);
    l.per_px = (l.xmax - l.xmin) / f64::from(px_w);
    shade(area, &l)?;
    pauses(area, s, &l)?;
    bars(root, area, s, &l)?;
    requeues(area, s, &l)?;
    let notes = group_labels(root, area, s, &l, range_text)?;
    lost_marks(root, area, s, &l, notes)
}

/// The in-range and out-of-range bands, and the estimate phase across every row.
fn shade<DB: DrawingBackend>(area: &PlotArea<DB>, l: &Layout) -> Res
where
    DB::ErrorType: 'static,
{
    let band = |first: usize, last: usize| [(l.xmin, l.y(first) + 0.5), (l.xmax, l.y(last) - 0.5)];
    let n_in = l.n_in();
    if n_in > 0 {
        area.draw(&Rectangle::new(band(1, n_in), IN_RANGE_BG.filled()))?;
    }
    if n_in < l.order.len() {
        area.draw(&Rectangle::new(
            band(n_in + 1, l.order.len()),
            OUTSIDE_BG.filled(),
        ))?;
    }
    if let Some((a, b)) = l
        .clip(0.0, l.night.estimates_h)
        .filter(|_| l.night.estimates_h > 0.0)
    {
        let r = [(a, l.rows as f64 - 0.5), (b, -0.5)];
        area.draw(&Rectangle::new(r, ESTIMATE_BG.mix(0.8).filled()))?;
    }
    Ok(())
}

/// The driver's sleeps on its own row, and 2.5+ rests on the dumpers' rows.
fn pauses<DB: DrawingBackend>(area: &PlotArea<DB>, s: S, l: &Layout) -> Res
where
    DB::ErrorType: 'static,
{
    let min = l.per_px * f64::from(s.px(5));
    for &(a, b) in &l.night.sleeps {
        if let Some((a, b)) = l.clip(a, b.max(a + min)) {
            let r = [(a, l.y(0) - 0.32), (b, l.y(0) + 0.32)];
            area.draw(&Rectangle::new(r, SLEEP.filled()))?;
        }
    }
    for &(d, a, b) in &l.night.rests {
        if let Some((a, b)) = l.clip(a, b.max(a + min)) {
            let y = l.y_dumper(d);
            area.draw(&Rectangle::new(
                [(a, y - 0.12), (b, y + 0.12)],
                SLEEP.filled(),
            ))?;
        }
    }
    Ok(())
}

/// 3.x's requeues, under the retry's dumper's bars (drawn after them, in the gap between rows):
/// from the failure to the retry's request, at least 10 px wide so that a second shows.
fn requeues<DB: DrawingBackend>(area: &PlotArea<DB>, s: S, l: &Layout) -> Res
where
    DB::ErrorType: 'static,
{
    let min = l.per_px * f64::from(s.px(10));
    for &(d, a, b) in &l.night.requeues {
        if let Some((a, b)) = l.clip(a, b.max(a + min)) {
            let y = l.y_dumper(d);
            area.draw(&Rectangle::new(
                [(a, y - 0.36), (b, y - 0.5)],
                REQUEUE.filled(),
            ))?;
        }
    }
    Ok(())
}

/// A failed attempt's bar: at least 8 px wide so that a short timeout shows.
fn failure_bar(l: &Layout, s: S, start: f64, end: f64) -> Option<(f64, f64)> {
    l.clip(start, end.max(start + l.per_px * f64::from(s.px(8))))
}

/// Dumps first, failures over them with a large dot at their end.
fn bars<DB: DrawingBackend>(root: &Area<DB>, area: &PlotArea<DB>, s: S, l: &Layout) -> Res
where
    DB::ErrorType: 'static,
{
    for &(dumper, start, end, o) in &l.night.bars {
        let Some((start, end)) = l.clip(start, end).filter(|_| o == Some(Outcome::Done)) else {
            continue;
        };
        let y = l.y_dumper(dumper);
        let r = [(start, y - 0.34), (end, y + 0.34)];
        area.draw(&Rectangle::new(r, SKY.filled()))?;
        area.draw(&Rectangle::new(r, s.line(WHITE, 1)))?;
    }
    for &(dumper, start, end, o) in &l.night.bars {
        let col = match o {
            Some(Outcome::Done) => continue,
            Some(Outcome::TryAgain) => ORANGE,
            Some(Outcome::Failed) => VERMILION,
            None => GREY,
        };
        let Some((start, end)) = failure_bar(l, s, start, end) else {
            continue;
        };
        let y = l.y_dumper(dumper);
        let r = [(start, y - 0.34), (end, y + 0.34)];
        area.draw(&Rectangle::new(r, col.filled()))?;
        area.draw(&Rectangle::new(r, s.line(INK, 1)))?;
        if o.is_some() {
            draw_circle(root, s, area.map_coordinate(&(end, y)), col)?;
        }
    }
    Ok(())
}

/// Each band's label (how many client replies the firewall dropped to its ports), and the
/// estimate phase's name where it fits.
fn group_labels<DB: DrawingBackend>(
    root: &Area<DB>,
    area: &PlotArea<DB>,
    s: S,
    l: &Layout,
    range_text: &str,
) -> Result<Vec<BoxPx>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let note = s.text(NOTE_PX - 1).color(&MUTED);
    let drawn = std::cell::RefCell::new(Vec::new());
    let right = at(&note, HPos::Right, VPos::Center);
    let label = |text: String, row: usize| -> Res {
        let p = area.map_coordinate(&(l.xmax, l.y(row)));
        let (w, h) = text_size(root, &text, &note);
        let (x, y) = (p.0 - s.px(6), p.1);
        let bg = [
            (x - w - s.px(4), y - h / 2 - s.px(2)),
            (x + s.px(2), y + h / 2 + s.px(2)),
        ];
        root.draw(&Rectangle::new(bg, WHITE.mix(0.7).filled()))?;
        root.draw_text(&text, &right, (x, y))?;
        drawn
            .borrow_mut()
            .push(BoxPx(bg[0].0, bg[0].1, bg[1].0, bg[1].1));
        Ok(())
    };
    let dropped = |n: u64| match n {
        0 => "no client reply dropped".to_string(),
        1 => "1 client reply dropped".to_string(),
        n => format!("{n} client replies dropped"),
    };
    let (n_in, n) = (l.n_in(), l.order.len());
    if n_in > 0 {
        let text = format!(
            "ports in {range_text}: {}",
            dropped(l.night.dropped_in_out.0)
        );
        label(text, l.free_row(1..=n_in))?;
    }
    if n_in < n {
        let text = format!(
            "ports outside {range_text}: {}",
            dropped(l.night.dropped_in_out.1)
        );
        label(text, l.free_row(n_in + 1..=n))?;
    }
    if let Some((a, b)) = l
        .clip(0.0, l.night.estimates_h)
        .filter(|_| l.night.estimates_h > 0.0)
    {
        let p = area.map_coordinate(&((a + b) / 2.0, l.y(0)));
        let w = text_size(root, "estimates", &note).0;
        let space = area.map_coordinate(&(b, 0.0)).0 - area.map_coordinate(&(a, 0.0)).0;
        if w < space {
            root.draw_text("estimates", &at(&note, HPos::Center, VPos::Center), p)?;
        }
    }
    Ok(drawn.into_inner())
}

/// Lost DLEs: a triangle just right of the failure's dot where the driver gave up, named
/// beside it where no failure bar or other mark is.
fn lost_marks<DB: DrawingBackend>(
    root: &Area<DB>,
    area: &PlotArea<DB>,
    s: S,
    l: &Layout,
    notes: Vec<BoxPx>,
) -> Res
where
    DB::ErrorType: 'static,
{
    let (x0, y0) = area.map_coordinate(&(l.xmin, l.rows as f64 - 0.5));
    let (x1, y1) = area.map_coordinate(&(l.xmax, -0.5));
    let plot = BoxPx(x0, y0, x1, y1);
    let mut taken: Vec<BoxPx> = l
        .night
        .bars
        .iter()
        .filter(|b| b.3 != Some(Outcome::Done))
        .filter_map(|&(d, a, b, _)| {
            let (a, b) = failure_bar(l, s, a, b)?;
            let p = area.map_coordinate(&(a, l.y_dumper(d) + 0.34));
            let q = area.map_coordinate(&(b, l.y_dumper(d) - 0.34));
            Some(BoxPx(p.0, p.1, q.0 + s.px(8), q.1))
        })
        .collect();
    taken.extend(notes);
    let mark = |dumper: u16, t: f64| {
        let p = area.map_coordinate(&(t, l.y_dumper(dumper)));
        (p.0 + s.px(16), p.1)
    };
    let shown: Vec<&(u16, f64, String)> = l
        .night
        .lost_marks
        .iter()
        .filter(|m| m.1 >= l.xmin && m.1 <= l.xmax)
        .collect();
    for (dumper, t, _) in &shown {
        let p = mark(*dumper, *t);
        taken.push(BoxPx(
            p.0 - s.px(10),
            p.1 - s.px(10),
            p.0 + s.px(10),
            p.1 + s.px(10),
        ));
    }
    let lab = s.bold(NOTE_PX);
    for (dumper, t, name) in &shown {
        let p = mark(*dumper, *t);
        draw_triangle(root, s, p, VERMILION)?;
        if !l.night.lost_names {
            continue;
        }
        let text = format!("{name} lost");
        let (w, h) = text_size(root, &text, &lab);
        let (b, _) = place_label(s, p, w + s.px(6), h + s.px(4), &taken, &plot);
        root.draw(&Rectangle::new(
            [(b.0, b.1), (b.2, b.3)],
            WHITE.mix(0.85).filled(),
        ))?;
        let style = at(&lab.color(&VERMILION), HPos::Left, VPos::Center);
        root.draw_text(&text, &style, (b.0 + s.px(3), (b.1 + b.3) / 2))?;
        // Drawn last, as the box may reach the mark.
        draw_leader(root, s, &b, p, VERMILION)?;
        taken.push(b);
    }
    Ok(())
}
