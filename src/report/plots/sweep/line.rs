//! One panel of the one-setting chart: a measure's mean line and 95% band against the setting,
//! the busiest link's floor, invalid points, the scenario's own value and the window's knee.

use super::*;

/// What a panel draws.
pub(super) struct Spec<'a> {
    pub(super) measure: &'static str,
    pub(super) y_desc: &'static str,
    /// Draw the busiest link's floor and the knee.
    pub(super) floor: bool,
    pub(super) x_desc: Option<&'a str>,
}

/// The panel's data, in value units; `px` maps a value pair to a pixel of the root.
struct Line<'a> {
    s: &'a Sweep,
    sc: S,
    xs: Vec<f64>,
    /// (mean, low, high) per point; None when invalid.
    data: Vec<Option<(f64, f64, f64)>>,
    floors: Vec<Option<f64>>,
    /// Runs of consecutive valid points: the line and band break at an invalid one.
    runs: Vec<Vec<usize>>,
}

type Px<'a> = &'a dyn Fn(f64, f64) -> (i32, i32);

impl Line<'_> {
    fn band<DB: DrawingBackend>(&self, root: &Area<DB>, px: Px) -> Res
    where
        DB::ErrorType: 'static,
    {
        let band = SKY.mix(0.35).filled();
        for run in self.runs.iter().filter(|r| !r.is_empty()) {
            let value = |i: usize| self.data[i].expect("valid");
            if run.len() == 1 {
                let (_, lo, hi) = value(run[0]);
                let x = self.xs[run[0]];
                root.draw(&PathElement::new(
                    vec![px(x, lo), px(x, hi)],
                    self.sc.line(SKY, 6),
                ))?;
                continue;
            }
            let mut poly: Vec<(i32, i32)> =
                run.iter().map(|&i| px(self.xs[i], value(i).2)).collect();
            poly.extend(run.iter().rev().map(|&i| px(self.xs[i], value(i).1)));
            root.draw(&Polygon::new(poly, band))?;
        }
        Ok(())
    }

    fn floor<DB: DrawingBackend>(&self, root: &Area<DB>, px: Px) -> Res
    where
        DB::ErrorType: 'static,
    {
        for run in self.runs.iter().filter(|r| r.len() > 1) {
            for w in run.windows(2) {
                if let (Some(a), Some(b)) = (self.floors[w[0]], self.floors[w[1]]) {
                    let (pa, pb) = (px(self.xs[w[0]], a), px(self.xs[w[1]], b));
                    dashed(root, self.sc, pa, pb, self.sc.line(VERMILION, 2))?;
                }
            }
        }
        Ok(())
    }

    fn mean<DB: DrawingBackend>(&self, root: &Area<DB>, px: Px) -> Res
    where
        DB::ErrorType: 'static,
    {
        for run in self.runs.iter().filter(|r| !r.is_empty()) {
            let pts: Vec<(i32, i32)> = run
                .iter()
                .map(|&i| px(self.xs[i], self.data[i].expect("valid").0))
                .collect();
            root.draw(&PathElement::new(pts, self.sc.line(OKABE_BLUE, 3)))?;
        }
        if self.xs.len() <= 40 {
            for (i, d) in self.data.iter().enumerate() {
                if let Some((m, _, _)) = d {
                    let c = Circle::new(px(self.xs[i], *m), self.sc.px(3), OKABE_BLUE.filled());
                    root.draw(&c)?;
                }
            }
        }
        Ok(())
    }

    /// Invalid points as crosses on the axis; the own value as a dashed line and a triangle.
    fn marks<DB: DrawingBackend>(&self, root: &Area<DB>, px: Px, y1: f64) -> Res
    where
        DB::ErrorType: 'static,
    {
        let sc = self.sc;
        for (i, d) in self.data.iter().enumerate() {
            if d.is_none() {
                let p = px(self.xs[i], 0.0);
                let (r, st) = (sc.px(6), sc.line(VERMILION, 2));
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
        if let Some(i) = self.s.axes[0].own_index {
            let x = self.xs[i];
            dashed(root, sc, px(x, y1), px(x, 0.0), sc.line(INK, 1))?;
            if let Some((m, _, _)) = self.data[i] {
                draw_triangle(root, sc, px(x, m), VERMILION)?;
            }
        }
        Ok(())
    }

    /// The window's knee: circled, with a label up and to the right, inside the panel.
    fn knee<DB: DrawingBackend>(&self, root: &Area<DB>, area: &Area<DB>, px: Px) -> Res
    where
        DB::ErrorType: 'static,
    {
        let Some(k) = study::knee(self.s) else {
            return Ok(());
        };
        let sc = self.sc;
        let (m, _, _) = self.data[k].expect("the knee is a valid point");
        let p = px(self.xs[k], m);
        let label = format!(
            "knee at {}: the link binds, more buys nothing",
            study::show(&self.s.axes[0].values[k])
        );
        let style = sc.text(NOTE_PX + 1);
        let (tw, _) = text_size(root, &label, &style);
        let (aw, _) = area.dim_in_pixel();
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
        Ok(())
    }
}

fn line_data<'a>(s: &'a Sweep, sc: S, measure: &str) -> Line<'a> {
    let xs: Vec<f64> = s.axes[0]
        .values
        .iter()
        .map(|v| v.as_f64().unwrap_or(0.0))
        .collect();
    let data: Vec<Option<(f64, f64, f64)>> = s.points.iter().map(|p| est(p, measure)).collect();
    let floors = s
        .points
        .iter()
        .map(|p| p.get(LINK_BUSY).map(|m| m.stats.mean))
        .collect();
    let mut runs: Vec<Vec<usize>> = vec![Vec::new()];
    for (i, d) in data.iter().enumerate() {
        match d {
            Some(_) => runs.last_mut().expect("a run").push(i),
            None => runs.push(Vec::new()),
        }
    }
    Line {
        s,
        sc,
        xs,
        data,
        floors,
        runs,
    }
}

/// One panel: `spec.measure` against the setting, in `area` of `root`.
pub(super) fn panel<DB: DrawingBackend>(
    root: &Area<DB>,
    area: &Area<DB>,
    sc: S,
    s: &Sweep,
    spec: &Spec,
) -> Res
where
    DB::ErrorType: 'static,
{
    let l = line_data(s, sc, spec.measure);
    let integral = s.axes[0].values.iter().all(|v| v.is_i64() || v.is_u64());
    let (first, last) = (l.xs[0], *l.xs.last().expect("a point"));
    let pad = ((last - first) * 0.03).max(if integral { 0.5 } else { 1e-6 });
    let hi = l
        .data
        .iter()
        .flatten()
        .map(|e| e.2)
        .chain(l.floors.iter().flatten().copied().filter(|_| spec.floor))
        .fold(0.0, f64::max);
    let y1 = if hi > 0.0 { hi * 1.12 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .margin_left(sc.px(10))
        .margin_right(sc.px(30))
        .margin_top(sc.px(8))
        .margin_bottom(sc.px(4))
        .x_label_area_size(sc.px(if spec.x_desc.is_some() { 64 } else { 30 }))
        .y_label_area_size(sc.px(76))
        .build_cartesian_2d(
            Axis::new(first - pad..last + pad, ticks(first, last, integral)),
            Axis::new(0.0..y1, ticks(0.0, y1, false)),
        )?;
    let mut m = mesh(&mut chart, sc);
    m.y_desc(spec.y_desc)
        .x_label_formatter(&|x| label_num(*x))
        .y_label_formatter(&|y| label_num(*y));
    if let Some(d) = spec.x_desc {
        m.x_desc(d);
    }
    m.draw()?;
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    l.band(root, &px)?;
    if spec.floor {
        l.floor(root, &px)?;
    }
    l.mean(root, &px)?;
    l.marks(root, &px, y1)?;
    if spec.floor {
        l.knee(root, area, &px)?;
    }
    Ok(())
}
