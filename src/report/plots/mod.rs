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

use crate::model::outcome::{DleFate, Outcome};
use crate::model::ports::BindKind;
use crate::model::site::{RunResult, TraceEvent};
use crate::model::version::FailurePause;
use crate::scenario::Scenario;
use crate::sim::SimTime;
use crate::study::compare::{Comparison, Showcase, VariantReport};
use crate::study::explain::Ladder;
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
pub fn render_all(c: &Comparison, shown: &Showcase) -> Vec<Plot> {
    if c.variants.is_empty() {
        return Vec::new();
    }
    register_fonts();
    let data = Data::prepare(c, shown);
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let Some(title) = data.title(kind) else {
            continue;
        };
        let (svg, png) = render(&Chart {
            data: &data,
            kind,
            title: &title,
        });
        out.push(Plot {
            title: title.clone(),
            file: format!("{}.svg", kind.file()),
            bytes: svg.into_bytes(),
        });
        out.push(Plot {
            title,
            file: format!("{}.png", kind.file()),
            bytes: png,
        });
    }
    out
}

/// Something drawn the same way into SVG and into the PNG's bitmap.
trait Picture {
    /// Width and height of the SVG (the PNG has the same).
    fn size(&self) -> (u32, u32);
    /// Draws it at scale `s`.
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, s: S)
    where
        DB::ErrorType: 'static;
}

/// One of the comparison's charts.
struct Chart<'a> {
    data: &'a Data,
    kind: Kind,
    title: &'a str,
}

impl Picture for Chart<'_> {
    fn size(&self) -> (u32, u32) {
        self.kind.size()
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, s: S)
    where
        DB::ErrorType: 'static,
    {
        draw_chart(root, self.data, self.kind, self.title, s);
    }
}

/// The SVG text and the PNG bytes of a picture.
fn render<P: Picture>(p: &P) -> (String, Vec<u8>) {
    let (w, h) = p.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        p.draw(&root, S(1));
        root.present().expect("SVG into memory");
    }
    let big = S(2);
    let (bw, bh) = (big.u(w), big.u(h));
    let mut rgb = vec![0u8; bw as usize * bh as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (bw, bh)).into_drawing_area();
        p.draw(&root, big);
        root.present().expect("bitmap into memory");
    }
    (svg, encode_png(w, h, &halve(&rgb, w as usize, h as usize)))
}

/// `portsim timeline`: night `r` of `sc` (run with its trace), titled `title`, as SVG text and
/// PNG bytes.
pub fn timeline_picture(sc: &Scenario, r: &RunResult, title: &str) -> (String, Vec<u8>) {
    register_fonts();
    let night = Night::of(&sc.name, r, sc);
    let range_text = sc.server.range.map_or_else(
        || "the range".to_string(),
        |r| format!("{}-{}", r.low.0, r.high.0),
    );
    render(&timeline::Single {
        night,
        title: title.to_string(),
        range_text,
    })
}

/// `portsim ladder`: one DLE's attempts as a sequence diagram, SVG text and PNG bytes.
pub fn ladder_picture(l: &Ladder) -> (String, Vec<u8>) {
    register_fonts();
    render(l)
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

mod axis;
mod data;
mod dumpers;
mod failures;
mod ladder;
mod style;
pub mod sweep;
mod timeline;
mod tradeoff;
mod validation;
mod window;

use axis::*;
use data::*;
use dumpers::dumpers;
use failures::failures;
use style::*;
use timeline::timeline;
use tradeoff::*;
pub use validation::render_validation;
use window::window;

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
    use crate::scenario::{Source, load, read};
    use crate::study::compare::remedy::RemedyKind;
    use crate::study::compare::{Options, Variant, run_all, summarise, variants as build_variants};

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
        let plots = render_all(&c, &Showcase::of(&vs, &c, None));
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
        let again = render_all(&c, &Showcase::of(&vs, &c, None));
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
        let plots = render_all(&c, &Showcase::of(&vs, &c, None));
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
                    "dumper10 · ",
                    "dump done",
                    "TRY-AGAIN (retried)",
                    "ports outside 850-859",
                    "estimate phase",
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
        let chosen =
            crate::study::compare::pick_timeline(&c, None).map(|i| c.variants[i].name.as_str());
        assert_eq!(chosen, Some("lower-inparallel"));
        let plots = render_all(&c, &Showcase::of(&vs, &c, Some("widen-range")));
        let s = svg(&plots, "timeline");
        assert!(s.contains("Timeline of night 0: baseline and widen-range"));
        // The second panel is titled with the remedy named.
        assert!(s.contains("widen-range: ") && s.contains(" failed attempt"));
    }

    #[test]
    fn a_remedy_that_loses_dles_is_not_drawn_as_the_best() {
        let (_, mut c) = comparison();
        // lower-inparallel (index 2) would win on reachable ports; make it lose DLEs to
        // estimate failures, which are not failed attempts.
        for m in &mut c.variants[2].measures {
            if m.measure == "failed_dles" {
                m.stats.mean = 1.5;
            }
        }
        let chosen =
            crate::study::compare::pick_timeline(&c, None).map(|i| c.variants[i].name.as_str());
        assert_eq!(chosen, Some("widen-range"));
    }

    #[test]
    fn the_tradeoff_crosses_out_a_remedy_that_loses_dles_and_never_rings_it() {
        let (vs, mut c) = comparison();
        let plots = render_all(&c, &Showcase::of(&vs, &c, None));
        let s = svg(&plots, "tradeoff");
        // Both remedies are clean; lower-inparallel is the least exposed, so it is ringed.
        let line = |s: &str, name: &str| {
            s.lines()
                .find(|l| l.starts_with(&format!("{name} (")))
                .unwrap_or_else(|| panic!("{name} labelled"))
                .to_string()
        };
        let clean = line(s, "lower-inparallel");
        assert!(
            clean.contains("recommended") && !clean.contains("loses"),
            "{clean}"
        );
        // The baseline loses DLEs on the incident: it is crossed out too.
        assert!(line(s, "baseline").contains("DLEs/night"));
        // lower-inparallel now loses DLEs in half its nights (estimates, not failed attempts).
        for m in &mut c.variants[2].measures {
            if m.measure == "failed_dles" {
                for (r, v) in m.values.iter_mut().enumerate() {
                    *v = if r % 2 == 0 { 3.0 } else { 0.0 };
                }
                m.stats.mean = 1.5;
            }
        }
        assert_eq!(crate::report::compare::least_exposed(&c), Some(1));
        let plots = render_all(&c, &Showcase::of(&vs, &c, None));
        let s = svg(&plots, "tradeoff");
        let loses = line(s, "lower-inparallel");
        assert!(loses.contains("loses 1.5 DLEs/night"), "{loses}");
        assert!(!loses.contains("recommended"), "{loses}");
        assert!(s.contains("loses DLEs: broken, never recommended"));
        // The ring moved to the clean remedy.
        let widen = line(s, "widen-range");
        assert!(widen.contains("recommended"), "{widen}");
        // The cross is drawn in its own red, two strokes each: the legend's, the baseline's
        // (the incident loses DLEs) and lower-inparallel's.
        let red = s.matches("stroke=\"#CC0000\"").count();
        assert_eq!(red, 6, "{red} red strokes");
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
        let plots = render_all(&c, &Showcase::of(&vs, &c, None));
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
