//! `portsim ladder`: one DLE's attempts as sequence diagrams, one column per attempt.
//!
//! Each column has three lifelines: the dumper (with its port), the firewall and the client's
//! amandad. Time runs down; rows are spaced by the time between events but never closer than
//! a line of text, so simultaneous packets stay apart (the clock on the left is exact). A packet
//! the firewall drops stops at the firewall with the rule's name; packets of another peer of the
//! same client (a REP still being resent for an earlier request) are grey; timers are bars on
//! their lifeline.

use super::*;
use crate::model::site::PacketKind;
use crate::study::explain::{LadderColumn, Rung, Side};

const COL_W: i32 = 860;
const TOP: i32 = 170;
const ROW_MIN: i32 = 28;
const ROW_MAX: i32 = 64;
/// Pixels per second between rows, before the clamp.
const PX_PER_S: f64 = 4.0;

/// Row positions of a column: (time, y) for every rung that takes a row, in order.
fn rows(c: &LadderColumn) -> Vec<(SimTime, i32)> {
    let mut out: Vec<(SimTime, i32)> = Vec::new();
    let mut y = TOP;
    for r in &c.rungs {
        if matches!(r, Rung::Timer { .. }) {
            continue;
        }
        if let Some(&(prev, _)) = out.last() {
            let dt = r.t().since(prev).as_secs_f64();
            y += ((dt * PX_PER_S) as i32).clamp(ROW_MIN, ROW_MAX);
        }
        out.push((r.t(), y));
    }
    out
}

/// The y of time `t` in a column: the first row at or after it.
fn y_at(rows: &[(SimTime, i32)], t: SimTime) -> i32 {
    rows.iter()
        .find(|(rt, _)| *rt >= t)
        .or(rows.last())
        .map_or(TOP, |r| r.1)
}

fn height(l: &Ladder) -> u32 {
    let deepest = l
        .columns
        .iter()
        .map(|c| rows(c).last().map_or(TOP, |r| r.1))
        .max()
        .unwrap_or(TOP);
    (deepest + 60) as u32
}

impl Picture for Ladder {
    fn size(&self) -> (u32, u32) {
        (
            COL_W as u32 * self.columns.len().max(1) as u32,
            height(self),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, s: S)
    where
        DB::ErrorType: 'static,
    {
        let r = root.fill(&WHITE).map_err(Into::into).and_then(|()| {
            let legend = [
                ("packet let through".to_string(), Swatch::Bar(INK)),
                (
                    "dropped at the firewall".to_string(),
                    Swatch::Bar(VERMILION),
                ),
                ("another request's packet".to_string(), Swatch::Bar(GREY)),
                ("dumper's timer".to_string(), Swatch::Bar(OKABE_BLUE)),
                ("client's timer".to_string(), Swatch::Bar(ORANGE)),
            ];
            header(root, s, &self.title, &legend)?;
            for (i, c) in self.columns.iter().enumerate() {
                column(root, s, self, c, i as i32 * COL_W)?;
            }
            if self.columns.is_empty() {
                root.draw_text(
                    "no attempt: the DLE was never given to a dumper",
                    &s.text(DESC_PX),
                    (s.px(40), s.px(TOP)),
                )?;
            }
            Ok::<(), Box<dyn Error>>(())
        });
        if let Err(e) = r {
            panic!("drawing the ladder: {e}");
        }
    }
}

fn packet_name(k: PacketKind) -> &'static str {
    match k {
        PacketKind::Req => "REQ",
        PacketKind::Ack => "ACK",
        PacketKind::Nak => "NAK",
        PacketKind::Rep => "REP",
        PacketKind::Prep => "PREP",
        PacketKind::RepAck => "ACK of REP",
        PacketKind::Syn => "SYN (data)",
    }
}

fn arrow_head<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    tip: (i32, i32),
    rightwards: bool,
    c: RGBColor,
) -> Res
where
    DB::ErrorType: 'static,
{
    let d = if rightwards { -s.px(9) } else { s.px(9) };
    root.draw(&Polygon::new(
        vec![
            tip,
            (tip.0 + d, tip.1 - s.px(5)),
            (tip.0 + d, tip.1 + s.px(5)),
        ],
        c.filled(),
    ))?;
    Ok(())
}

fn column<DB: DrawingBackend>(root: &Area<DB>, s: S, l: &Ladder, c: &LadderColumn, x0: i32) -> Res
where
    DB::ErrorType: 'static,
{
    let p = |v: i32| s.px(v);
    let xd = x0 + 300;
    let xf = x0 + 510;
    let xc = x0 + 710;
    let rows = rows(c);
    let bottom = rows.last().map_or(TOP, |r| r.1) + 30;
    // Column title and the three lifeline heads.
    let result = match c.outcome {
        Some(Outcome::Done) => "DONE".to_string(),
        Some(Outcome::TryAgain) => format!("TRY-AGAIN {}", c.message),
        Some(Outcome::Failed) => format!("FAILED {}", c.message),
        None => "unfinished".into(),
    };
    root.draw_text(
        &format!("Attempt {} at {}: {result}", c.attempt, c.start),
        &at(&s.bold(DESC_PX - 2), HPos::Center, VPos::Top),
        (p(x0 + COL_W / 2), p(82)),
    )?;
    let port = match c.port {
        Some(pt) if c.in_range => format!("port {pt} (in range)"),
        Some(pt) => format!("port {pt} (OUTSIDE range)"),
        None => "no port".into(),
    };
    let heads = [
        (xd, format!("dumper{}", c.dumper), port),
        (xf, "firewall".to_string(), String::new()),
        (xc, l.host.clone(), format!("{}, amandad :10080", l.zone)),
    ];
    for (x, a, b) in &heads {
        let box_c = if *x == xf { GREY } else { INK };
        root.draw(&Rectangle::new(
            [(p(x - 95), p(110)), (p(x + 95), p(152))],
            s.line(box_c, 1),
        ))?;
        root.draw_text(
            a,
            &at(&s.bold(NOTE_PX), HPos::Center, VPos::Top),
            (p(*x), p(114)),
        )?;
        root.draw_text(
            b,
            &at(&s.text(NOTE_PX - 2), HPos::Center, VPos::Top),
            (p(*x), p(133)),
        )?;
        let line = if *x == xf {
            s.line(GREY, 2)
        } else {
            s.line(MUTED, 1)
        };
        root.draw(&PathElement::new(
            vec![(p(*x), p(152)), (p(*x), p(bottom))],
            line,
        ))?;
    }
    let small = s.text(NOTE_PX - 2);
    // Timers first, under the packets.
    for r in &c.rungs {
        let Rung::Timer {
            from,
            to,
            side,
            label,
        } = r
        else {
            continue;
        };
        let (ya, yb) = (y_at(&rows, *from), y_at(&rows, *to));
        let (x, col) = match side {
            Side::Dumper => (xd, OKABE_BLUE),
            Side::Client => (xc, ORANGE),
        };
        // A pixel of white at each end, so that back-to-back waits show as separate bars.
        root.draw(&Rectangle::new(
            [
                (p(x - 4), p(ya) + s.px(1)),
                (p(x + 4), p(yb.max(ya + 4)) - s.px(1)),
            ],
            col.mix(0.75).filled(),
        ))?;
        let secs = to.since(*from).as_secs_f64();
        let text = format!("{label} ({secs:.0} s)");
        let mid = p((ya + yb) / 2);
        match side {
            Side::Dumper => root.draw_text(
                &text,
                &at(&small.color(&OKABE_BLUE), HPos::Right, VPos::Center),
                (p(x - 10), mid),
            )?,
            Side::Client => root.draw_text(
                &format!("{secs:.0} s"),
                &at(&small.color(&ORANGE), HPos::Left, VPos::Center),
                (p(x + 10), mid),
            )?,
        }
    }
    // The other rungs, one row each.
    let mut k = 0usize;
    for r in &c.rungs {
        if matches!(r, Rung::Timer { .. }) {
            continue;
        }
        let (t, y) = rows[k];
        k += 1;
        let y = p(y);
        root.draw_text(
            &t.to_string(),
            &at(&small.color(&MUTED), HPos::Left, VPos::Center),
            (p(x0 + 10), y),
        )?;
        match r {
            Rung::Start(_) => {
                root.draw_text(
                    "driver starts the dump",
                    &at(&s.text(NOTE_PX - 1), HPos::Left, VPos::Center),
                    (p(xd + 12), y),
                )?;
            }
            Rung::End(_, o) => {
                let (text, col) = match o {
                    Outcome::Done => ("dumper reports DONE".to_string(), INK),
                    Outcome::TryAgain => {
                        (format!("dumper reports TRY-AGAIN {}", c.message), ORANGE)
                    }
                    Outcome::Failed => (format!("dumper reports FAILED {}", c.message), VERMILION),
                };
                root.draw(&Circle::new((p(xd), y), p(6), col.filled()))?;
                root.draw_text(
                    &text,
                    &at(&s.bold(NOTE_PX - 1).color(&INK), HPos::Left, VPos::Center),
                    (p(xd + 12), y),
                )?;
            }
            Rung::Swallow(_) => {
                root.draw(&Circle::new((p(xc), y), p(6), GREY.filled()))?;
                root.draw_text(
                    "REQ ignored: amandad waits for another peer's ACK",
                    &at(&small, HPos::Right, VPos::Center),
                    (p(xc - 12), y),
                )?;
            }
            Rung::Packet {
                kind,
                from_server,
                passed,
                rule,
                own,
                note,
                ..
            } => {
                let col: &'static RGBColor = if !own {
                    &GREY
                } else if *passed {
                    &INK
                } else {
                    &VERMILION
                };
                let (from, to) = if *from_server { (xd, xc) } else { (xc, xd) };
                let stop = if *passed { to } else { xf };
                root.draw(&PathElement::new(
                    vec![(p(from), y), (p(stop), y)],
                    s.line(*col, 2),
                ))?;
                if *passed {
                    arrow_head(root, s, (p(to), y), *from_server, *col)?;
                } else {
                    let d = p(7);
                    let cross = s.line(VERMILION, 3);
                    root.draw(&PathElement::new(
                        vec![(p(xf) - d, y - d), (p(xf) + d, y + d)],
                        cross,
                    ))?;
                    root.draw(&PathElement::new(
                        vec![(p(xf) - d, y + d), (p(xf) + d, y - d)],
                        cross,
                    ))?;
                }
                // The packet's name near its sender, the rule at the firewall.
                let name = if *own {
                    packet_name(*kind).to_string()
                } else {
                    format!("{} {note}", packet_name(*kind))
                };
                let label_x = if *from_server {
                    p(from + 10)
                } else {
                    p(from - 10)
                };
                let hp = if *from_server {
                    HPos::Left
                } else {
                    HPos::Right
                };
                root.draw_text(
                    &name,
                    &at(&small.color(col), hp, VPos::Bottom),
                    (label_x, y - p(3)),
                )?;
                let rule_style = if *passed {
                    small.color(&MUTED)
                } else {
                    s.bold(NOTE_PX - 2).color(&VERMILION)
                };
                let rule_text = if *passed {
                    rule.clone()
                } else {
                    format!("dropped: {rule}")
                };
                root.draw_text(
                    &rule_text,
                    &at(&rule_style, HPos::Left, VPos::Top),
                    (p(xf + 12), y + p(3)),
                )?;
            }
            Rung::Timer { .. } => {}
        }
    }
    if x0 > 0 {
        root.draw(&PathElement::new(
            vec![(p(x0), p(70)), (p(x0), p(bottom))],
            s.line(GRID, 2),
        ))?;
    }
    Ok(())
}
