//! One heatmap of the two-setting chart: a measure's mean per point, the edge of the region
//! where no night lost a DLE, invalid points crossed, the scenario's own point outlined.

use super::*;

/// Viridis, light end first: light for few lost DLEs or a short window, dark for many or long.
fn ramp(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 6] = [
        (253, 231, 37),
        (122, 209, 81),
        (34, 168, 132),
        (42, 120, 142),
        (65, 68, 135),
        (68, 1, 84),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn dark(c: RGBColor) -> bool {
    0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2) < 140.0
}

/// Category ticks for `values`: those on a round step when the values are numbers, so that
/// `room_px` holds them at `label_px` each; else every k-th.
fn category_ticks(values: &[serde_json::Value], room_px: i32, label_px: i32) -> Vec<f64> {
    let n = values.len();
    let fit = (room_px / label_px.max(1)).max(1) as usize;
    let nums: Vec<f64> = values
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    if nums.len() == n && n > 1 {
        let span = nums[n - 1] - nums[0];
        let mut step = nice_step(span);
        // nice_step aims at five ticks; grow it until the labels fit.
        while (span / step) as usize + 1 > fit {
            step *= 2.0;
        }
        let on: Vec<f64> = (0..n)
            .filter(|&i| {
                let q = nums[i] / step;
                (q - q.round()).abs() < 1e-6
            })
            .map(|i| i as f64)
            .collect();
        if on.len() >= 2 {
            return on;
        }
    }
    let k = n.div_ceil(fit).max(1);
    (0..n).step_by(k).map(|i| i as f64).collect()
}

type Px<'a> = &'a dyn Fn(f64, f64) -> (i32, i32);

/// One map: means per point, axis 1 across, axis 0 up.
struct Map<'a> {
    s: &'a Sweep,
    sc: S,
    nx: usize,
    ny: usize,
    vals: Vec<Option<f64>>,
    lo: f64,
    hi: f64,
    decimals: usize,
}

impl Map<'_> {
    fn colour(&self, v: f64) -> RGBColor {
        ramp(if self.hi > self.lo {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            0.0
        })
    }

    /// A cell's pixel box: (left, top), (right, bottom).
    fn cell(px: Px, x: f64, y: f64) -> [(i32, i32); 2] {
        [px(x - 0.5, y + 0.5), px(x + 0.5, y - 0.5)]
    }

    fn cells<DB: DrawingBackend>(&self, root: &Area<DB>, px: Px) -> Res
    where
        DB::ErrorType: 'static,
    {
        let sc = self.sc;
        let [p0, p1] = Map::cell(px, 0.0, 0.0);
        let (cell_w, cell_h) = ((p1.0 - p0.0).abs(), (p1.1 - p0.1).abs());
        let cell_text = sc.text(NOTE_PX - 1);
        // Every cell labelled, or none: a few numbers scattered over the map mislead.
        let d = self.decimals;
        let labels: Vec<String> = self
            .vals
            .iter()
            .map(|v| v.map_or(String::new(), |v| format!("{v:.d$}")))
            .collect();
        let fits = labels.iter().all(|l| {
            let (tw, th) = text_size(root, l, &cell_text);
            tw + sc.px(4) <= cell_w && th + sc.px(2) <= cell_h
        });
        for (k, v) in self.vals.iter().enumerate() {
            let (x, y) = ((k % self.nx) as f64, (k / self.nx) as f64);
            let Some(v) = v else {
                root.draw(&Rectangle::new(Map::cell(px, x, y), GRID.filled()))?;
                let p = px(x, y);
                let (r, st) = ((cell_w.min(cell_h) / 4).max(sc.px(2)), sc.line(GREY, 1));
                root.draw(&PathElement::new(
                    vec![(p.0 - r, p.1 - r), (p.0 + r, p.1 + r)],
                    st,
                ))?;
                root.draw(&PathElement::new(
                    vec![(p.0 - r, p.1 + r), (p.0 + r, p.1 - r)],
                    st,
                ))?;
                continue;
            };
            let c = self.colour(*v);
            root.draw(&Rectangle::new(Map::cell(px, x, y), c.filled()))?;
            if fits {
                let style = if dark(c) {
                    cell_text.color(&WHITE)
                } else {
                    cell_text.clone()
                };
                let style = at(&style, HPos::Center, VPos::Center);
                root.draw_text(&labels[k], &style, px(x, y))?;
            }
        }
        Ok(())
    }

    /// The edge of the region where no night lost a DLE.
    fn edge<DB: DrawingBackend>(&self, root: &Area<DB>, px: Px) -> Res
    where
        DB::ErrorType: 'static,
    {
        let (nx, ny) = (self.nx as isize, self.ny as isize);
        let clean = |i: isize, j: isize| -> bool {
            (0..ny).contains(&i)
                && (0..nx).contains(&j)
                && self.s.points[(i * nx + j) as usize].nights_with_loss == Some(0)
        };
        let inside = |i: isize, j: isize| (0..ny).contains(&i) && (0..nx).contains(&j);
        let edge = self.sc.line(INK, 2);
        for i in 0..ny {
            for j in (0..nx).filter(|&j| clean(i, j)) {
                let (x, y) = (j as f64, i as f64);
                let sides = [
                    ((i, j - 1), (x - 0.5, y - 0.5), (x - 0.5, y + 0.5)),
                    ((i, j + 1), (x + 0.5, y - 0.5), (x + 0.5, y + 0.5)),
                    ((i - 1, j), (x - 0.5, y - 0.5), (x + 0.5, y - 0.5)),
                    ((i + 1, j), (x - 0.5, y + 0.5), (x + 0.5, y + 0.5)),
                ];
                // A side on the map's border is not an edge of the region.
                for ((oi, oj), p, q) in sides {
                    if inside(oi, oj) && !clean(oi, oj) {
                        let line = vec![px(p.0, p.1), px(q.0, q.1)];
                        root.draw(&PathElement::new(line, edge))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The scenario's own point, outlined.
    fn own<DB: DrawingBackend>(&self, root: &Area<DB>, px: Px) -> Res
    where
        DB::ErrorType: 'static,
    {
        let (Some(i), Some(j)) = (self.s.axes[0].own_index, self.s.axes[1].own_index) else {
            return Ok(());
        };
        let sc = self.sc;
        let [p0, p1] = Map::cell(px, j as f64, i as f64);
        root.draw(&Rectangle::new([p0, p1], sc.line(VERMILION, 3)))?;
        root.draw(&Rectangle::new(
            [
                (p0.0 + sc.px(3), p0.1 + sc.px(3)),
                (p1.0 - sc.px(3), p1.1 - sc.px(3)),
            ],
            sc.line(WHITE, 1),
        ))?;
        Ok(())
    }

    /// The colour bar from `x0` to `x1` at height `y`, with its ends' values.
    fn colour_bar<DB: DrawingBackend>(&self, root: &Area<DB>, x0: i32, x1: i32, y: i32) -> Res
    where
        DB::ErrorType: 'static,
    {
        let sc = self.sc;
        let width = x1 - x0;
        let steps = 60;
        for k in 0..steps {
            let (xa, xb) = (x0 + width * k / steps, x0 + width * (k + 1) / steps);
            root.draw(&Rectangle::new(
                [(xa, y), (xb, y + sc.px(14))],
                ramp(f64::from(k) / f64::from(steps - 1)).filled(),
            ))?;
        }
        root.draw(&Rectangle::new(
            [(x0, y), (x1, y + sc.px(14))],
            sc.line(MUTED, 1),
        ))?;
        let st = sc.text(NOTE_PX);
        let d = self.decimals;
        let ends = [
            (trim(format!("{:.d$}", self.lo)), HPos::Left, x0),
            (trim(format!("{:.d$}", self.hi)), HPos::Right, x1),
            (
                "colour: mean over the nights".into(),
                HPos::Center,
                (x0 + x1) / 2,
            ),
        ];
        for (text, h, x) in ends {
            let style = if matches!(h, HPos::Center) {
                st.color(&MUTED)
            } else {
                st.clone()
            };
            root.draw_text(&text, &at(&style, h, VPos::Top), (x, y + sc.px(18)))?;
        }
        Ok(())
    }
}

/// One heatmap of `measure` in `area` of `root`, titled `what`.
pub(super) fn heatmap<DB: DrawingBackend>(
    root: &Area<DB>,
    area: &Area<DB>,
    sc: S,
    s: &Sweep,
    (measure, what, decimals): (&str, &str, usize),
) -> Res
where
    DB::ErrorType: 'static,
{
    let (a, b) = (&s.axes[0], &s.axes[1]);
    let vals: Vec<Option<f64>> = s
        .points
        .iter()
        .map(|p| p.get(measure).map(|m| m.stats.mean))
        .collect();
    let lo = vals.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let hi = vals
        .iter()
        .flatten()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let map = Map {
        s,
        sc,
        nx: b.values.len(),
        ny: a.values.len(),
        vals,
        lo,
        hi,
        decimals,
    };
    let (aw, ah) = area.dim_in_pixel();
    let bar_h = sc.px(64);
    let (plot_area, bar_area) = area.split_vertically(ah as i32 - bar_h);
    let xl: Vec<String> = b.values.iter().map(study::show).collect();
    let yl: Vec<String> = a.values.iter().map(study::show).collect();
    let widest = |ls: &[String]| {
        ls.iter()
            .map(|l| text_size(root, l, &sc.text(TICK_PX)).0)
            .max()
            .unwrap_or(10)
    };
    let xt = category_ticks(&b.values, aw as i32 - sc.px(120), widest(&xl) + sc.px(10));
    let yt = category_ticks(&a.values, ah as i32 - bar_h - sc.px(90), sc.px(TICK_PX + 6));
    let (nx, ny) = (map.nx as f64, map.ny as f64);
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(sc.px(8))
        .margin_right(sc.px(16))
        .margin_top(sc.px(30))
        .x_label_area_size(sc.px(56))
        .y_label_area_size(sc.px(20) + widest(&yl) + sc.px(30))
        .build_cartesian_2d(Axis::new(-0.5..nx - 0.5, xt), Axis::new(-0.5..ny - 0.5, yt))?;
    let fx = |x: &f64| xl.get(x.round() as usize).cloned().unwrap_or_default();
    let fy = |y: &f64| yl.get(y.round() as usize).cloned().unwrap_or_default();
    mesh(&mut chart, sc)
        .disable_mesh()
        .x_desc(b.setting.as_str())
        .y_desc(a.setting.as_str())
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .draw()?;
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    map.cells(root, &px)?;
    if measure == "failed_dles" {
        map.edge(root, &px)?;
    }
    map.own(root, &px)?;
    // The panel's title above the cells; the colour bar below, as wide as they are.
    let (x0, top) = px(-0.5, ny - 0.5);
    let (x1, _) = px(nx - 0.5, ny - 0.5);
    let title = at(&sc.bold(DESC_PX), HPos::Center, VPos::Bottom);
    root.draw_text(what, &title, ((x0 + x1) / 2, top - sc.px(8)))?;
    let y = bar_area.get_base_pixel().1 - root.get_base_pixel().1 + sc.px(12);
    map.colour_bar(root, x0, x1, y)
}
