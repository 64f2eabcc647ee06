//! Pictures the teaching commands write: SVG or PNG, chosen by the file's extension.

use super::error::CliError;
use super::print::Printer;
use crate::scenario::InputError;
use std::path::Path;

/// The picture format a file name asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PictureFormat {
    /// SVG.
    Svg,
    /// PNG.
    Png,
}

/// The format `path` asks for: `-` is SVG on standard output; anything but `-`, `.svg` or
/// `.png` is bad input, refused before anything runs.
pub fn format_of(path: &Path) -> Result<PictureFormat, InputError> {
    if path.as_os_str() == "-" {
        return Ok(PictureFormat::Svg);
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("svg") => Ok(PictureFormat::Svg),
        Some(e) if e.eq_ignore_ascii_case("png") => Ok(PictureFormat::Png),
        _ => Err(InputError::Set {
            arg: format!("--out {}", path.display()),
            msg: "name a .svg or .png file, or - for SVG on standard output".into(),
        }),
    }
}

/// Writes the picture in the format asked for.
pub fn write(
    path: &Path,
    format: PictureFormat,
    svg: String,
    png: Vec<u8>,
    p: Printer,
) -> Result<(), CliError> {
    let bytes = match format {
        PictureFormat::Svg => svg.into_bytes(),
        PictureFormat::Png => png,
    };
    p.file(path, &bytes)
}

/// ` with server.inparallel=10, ...` for a title, or nothing.
pub fn with_sets(sets: &[String]) -> String {
    if sets.is_empty() {
        String::new()
    } else {
        format!(" with {}", sets.join(", "))
    }
}
