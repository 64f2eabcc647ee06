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

/// A column's lifelines, in 1000-pixel units: left edge, dumper, firewall, client.
#[derive(Clone, Copy)]
struct Lanes {
    x0: i32,
    xd: i32,
    xf: i32,
    xc: i32,
}

fn column<DB: DrawingBackend>(root: &Area<DB>, s: S, l: &Ladder, c: &LadderColumn, x0: i32) -> Res
where
    DB::ErrorType: 'static,
{
    let lanes = Lanes {
        x0,
        xd: x0 + 300,
        xf: x0 + 510,
        xc: x0 + 710,
    };
    let rows = rows(c);
    let bottom = rows.last().map_or(TOP, |r| r.1) + 30;
    heads(root, s, l, c, lanes, bottom)?;
    timers(root, s, c, lanes, &rows)?;
    let small = s.text(NOTE_PX - 2);
    let events = c.rungs.iter().filter(|r| !matches!(r, Rung::Timer { .. }));
    for (r, &(t, y)) in events.zip(&rows) {
        let y = s.px(y);
        let clock = at(&small.color(&MUTED), HPos::Left, VPos::Center);
        root.draw_text(&t.to_string(), &clock, (s.px(x0 + 10), y))?;
        rung(root, s, c, lanes, r, y)?;
    }
    if x0 > 0 {
        let sep = vec![(s.px(x0), s.px(70)), (s.px(x0), s.px(bottom))];
        root.draw(&PathElement::new(sep, s.line(GRID, 2)))?;
    }
    Ok(())
}

/// The column's title and its three lifelines with their heads.
fn heads<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    l: &Ladder,
    c: &LadderColumn,
    lanes: Lanes,
    bottom: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    let p = |v: i32| s.px(v);
    let result = match c.outcome {
        Some(Outcome::Done) => "DONE".to_string(),
        Some(Outcome::TryAgain) => format!("TRY-AGAIN {}", c.message),
        Some(Outcome::Failed) => format!("FAILED {}", c.message),
        None => "unfinished".into(),
    };
    root.draw_text(
        &format!("Attempt {} at {}: {result}", c.attempt, c.start),
        &at(&s.bold(DESC_PX - 2), HPos::Center, VPos::Top),
        (p(lanes.x0 + COL_W / 2), p(82)),
    )?;
    let port = match c.port {
        Some(pt) if c.in_range => format!("port {pt} (in range)"),
        Some(pt) => format!("port {pt} (OUTSIDE range)"),
        None => "no port".into(),
    };
    let heads = [
        (lanes.xd, format!("dumper{}", c.dumper), port),
        (lanes.xf, "firewall".to_string(), String::new()),
        (
            lanes.xc,
            l.host.clone(),
            format!("{}, amandad :10080", l.zone),
        ),
    ];
    for (x, a, b) in &heads {
        let filter = *x == lanes.xf;
        let box_c = if filter { GREY } else { INK };
        let frame = [(p(x - 95), p(110)), (p(x + 95), p(152))];
        root.draw(&Rectangle::new(frame, s.line(box_c, 1)))?;
        let bold = at(&s.bold(NOTE_PX), HPos::Center, VPos::Top);
        root.draw_text(a, &bold, (p(*x), p(114)))?;
        let text = at(&s.text(NOTE_PX - 2), HPos::Center, VPos::Top);
        root.draw_text(b, &text, (p(*x), p(133)))?;
        let line = if filter {
            s.line(GREY, 2)
        } else {
            s.line(MUTED, 1)
        };
        root.draw(&PathElement::new(
            vec![(p(*x), p(152)), (p(*x), p(bottom))],
            line,
        ))?;
    }
    Ok(())
}

/// Timers as bars on their lifeline, under the packets.
fn timers<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    c: &LadderColumn,
    lanes: Lanes,
    rows: &[(SimTime, i32)],
) -> Res
where
    DB::ErrorType: 'static,
{
    let p = |v: i32| s.px(v);
    let small = s.text(NOTE_PX - 2);
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
        let (ya, yb) = (y_at(rows, *from), y_at(rows, *to));
        let (x, col) = match side {
            Side::Dumper => (lanes.xd, OKABE_BLUE),
            Side::Client => (lanes.xc, ORANGE),
        };
        // A pixel of white at each end, so that back-to-back waits show as separate bars.
        let bar = [
            (p(x - 4), p(ya) + s.px(1)),
            (p(x + 4), p(yb.max(ya + 4)) - s.px(1)),
        ];
        root.draw(&Rectangle::new(bar, col.mix(0.75).filled()))?;
        let secs = to.since(*from).as_secs_f64();
        let mid = p((ya + yb) / 2);
        match side {
            Side::Dumper => root.draw_text(
                &format!("{label} ({secs:.0} s)"),
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
    Ok(())
}

/// One row: the dump's start or end, an ignored REQ, or a packet.
fn rung<DB: DrawingBackend>(
    root: &Area<DB>,
    s: S,
    c: &LadderColumn,
    lanes: Lanes,
    r: &Rung,
    y: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    let p = |v: i32| s.px(v);
    match r {
        Rung::Start(_) => {
            let style = at(&s.text(NOTE_PX - 1), HPos::Left, VPos::Center);
            root.draw_text("driver starts the dump", &style, (p(lanes.xd + 12), y))?;
        }
        Rung::End(_, o) => {
            let (text, col) = match o {
                Outcome::Done => ("dumper reports DONE".to_string(), INK),
                Outcome::TryAgain => (format!("dumper reports TRY-AGAIN {}", c.message), ORANGE),
                Outcome::Failed => (format!("dumper reports FAILED {}", c.message), VERMILION),
            };
            root.draw(&Circle::new((p(lanes.xd), y), p(6), col.filled()))?;
            let style = at(&s.bold(NOTE_PX - 1).color(&INK), HPos::Left, VPos::Center);
            root.draw_text(&text, &style, (p(lanes.xd + 12), y))?;
        }
        Rung::Swallow(_) => {
            root.draw(&Circle::new((p(lanes.xc), y), p(6), GREY.filled()))?;
            root.draw_text(
                "REQ ignored: amandad waits for another peer's ACK",
                &at(&s.text(NOTE_PX - 2), HPos::Right, VPos::Center),
                (p(lanes.xc - 12), y),
            )?;
        }
        Rung::Packet { .. } => packet(root, s, lanes, r, y)?,
        Rung::Timer { .. } => {}
    }
    Ok(())
}

/// A packet's arrow: through the firewall to its receiver, or stopped at it with a cross; its
/// name near the sender and the deciding rule at the firewall.
fn packet<DB: DrawingBackend>(root: &Area<DB>, s: S, lanes: Lanes, r: &Rung, y: i32) -> Res
where
    DB::ErrorType: 'static,
{
    let Rung::Packet {
        kind,
        from_server,
        passed,
        rule,
        own,
        note,
        ..
    } = r
    else {
        return Ok(());
    };
    let p = |v: i32| s.px(v);
    let small = s.text(NOTE_PX - 2);
    let col: &'static RGBColor = if !own {
        &GREY
    } else if *passed {
        &INK
    } else {
        &VERMILION
    };
    let xf = lanes.xf;
    let (from, to) = if *from_server {
        (lanes.xd, lanes.xc)
    } else {
        (lanes.xc, lanes.xd)
    };
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
    let name = if *own {
        packet_name(*kind).to_string()
    } else {
        format!("{} {note}", packet_name(*kind))
    };
    let (label_x, hp) = if *from_server {
        (p(from + 10), HPos::Left)
    } else {
        (p(from - 10), HPos::Right)
    };
    root.draw_text(
        &name,
        &at(&small.color(col), hp, VPos::Bottom),
        (label_x, y - p(3)),
    )?;
    let (rule_style, rule_text) = if *passed {
        (small.color(&MUTED), rule.clone())
    } else {
        (
            s.bold(NOTE_PX - 2).color(&VERMILION),
            format!("dropped: {rule}"),
        )
    };
    let style = at(&rule_style, HPos::Left, VPos::Top);
    root.draw_text(&rule_text, &style, (p(xf + 12), y + p(3)))?;
    Ok(())
}
