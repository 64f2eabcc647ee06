//! The teaching commands: `explain`, `ladder` and `timeline` (issue 14).

use crate::cli::{CliError, ScenarioArgs, Status};
use crate::output::write_atomic;
use crate::report::explain as render;
use crate::scenario::InputError;
use crate::study::explain::{self, Selector};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// Output formats of `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Numbered steps in sentences.
    Text,
    /// JSON (schema `portsim.explain/1`): every step's facts and its sentence.
    Json,
}

/// Options of `explain`.
#[derive(Debug, Args, Clone)]
pub struct ExplainArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Explain this DLE, `HOST:DISK` (e.g. `www2:/`).
    #[arg(long, value_name = "HOST:DISK", group = "what")]
    pub dle: Option<String>,
    /// Explain this dumper: its port, its attempts and the DLEs that failed on it.
    #[arg(long, value_name = "N", group = "what")]
    pub dumper: Option<u16>,
    /// Explain every DLE not dumped tonight (the default).
    #[arg(long, group = "what")]
    pub failed: bool,
    /// Replication number: which night of the seed to draw.
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

/// Options of `ladder`.
#[derive(Debug, Args, Clone)]
pub struct LadderArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The DLE whose attempts are drawn, `HOST:DISK`.
    #[arg(long, value_name = "HOST:DISK")]
    pub dle: String,
    /// Replication number: which night of the seed to draw.
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Where to write the picture: FILE.svg or FILE.png.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Options of `timeline`.
#[derive(Debug, Args, Clone)]
pub struct TimelineArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Replication number: which night of the seed to draw.
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Where to write the picture: FILE.svg or FILE.png.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `portsim explain`.
pub fn explain_cmd(args: &ExplainArgs) -> Result<Status, CliError> {
    let sc = args.scenario.load()?;
    let sel = match (&args.dle, args.dumper) {
        (Some(d), _) => Selector::Dle(d.clone()),
        (None, Some(n)) => Selector::Dumper(n),
        (None, None) => Selector::Failed,
    };
    let e = explain::explain(
        &args.scenario.source(),
        &args.scenario.sets(),
        &sc,
        args.replication,
        &sel,
    )?;
    match args.format {
        ExplainFormat::Text => print!("{}", render::text(&e)),
        ExplainFormat::Json => print!("{}", render::json(&e)),
    }
    Ok(Status::Ok)
}

/// The picture format a file name asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PictureFormat {
    /// SVG.
    Svg,
    /// PNG.
    Png,
}

fn picture_format(path: &Path) -> Result<PictureFormat, InputError> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("svg") => Ok(PictureFormat::Svg),
        Some(e) if e.eq_ignore_ascii_case("png") => Ok(PictureFormat::Png),
        _ => Err(InputError::Set {
            arg: format!("--out {}", path.display()),
            msg: "name a .svg or .png file".into(),
        }),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_atomic(path, bytes).map_err(|e| CliError::Write {
        path: path.display().to_string(),
        source: e,
    })
}

/// ` with server.inparallel=10, ...` for a title, or nothing.
fn with_sets(sets: &[String]) -> String {
    if sets.is_empty() {
        String::new()
    } else {
        format!(" with {}", sets.join(", "))
    }
}

/// `portsim ladder`.
pub fn ladder_cmd(args: &LadderArgs) -> Result<Status, CliError> {
    let format = picture_format(&args.out)?;
    let sc = args.scenario.load()?;
    let d = explain::find_dle(&sc, &args.dle)?;
    let night = explain::Night::run(&sc, args.replication);
    let mut ladder = night.ladder(d, args.replication);
    ladder.title = format!(
        "{}{} on night {}: {}",
        ladder.dle,
        with_sets(&args.scenario.sets),
        args.replication,
        ladder.fate
    );
    let (svg, png) = crate::report::plots::ladder_picture(&ladder);
    write(
        &args.out,
        &match format {
            PictureFormat::Svg => svg.into_bytes(),
            PictureFormat::Png => png,
        },
    )?;
    Ok(Status::Ok)
}

/// `portsim timeline`.
pub fn timeline_cmd(args: &TimelineArgs) -> Result<Status, CliError> {
    let format = picture_format(&args.out)?;
    let sc = args.scenario.load()?;
    let title = format!(
        "Timeline of {}{}, night {}",
        sc.name,
        with_sets(&args.scenario.sets),
        args.replication
    );
    let (svg, png) = crate::report::plots::timeline_picture(&sc, args.replication, &title);
    write(
        &args.out,
        &match format {
            PictureFormat::Svg => svg.into_bytes(),
            PictureFormat::Png => png,
        },
    )?;
    Ok(Status::Ok)
}
