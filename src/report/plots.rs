//! Charts of a comparison (work in progress: filled in by the plots change).

use crate::compare::{Comparison, Variant};

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
pub fn render_all(_variants: &[Variant], _c: &Comparison, _timeline: Option<&str>) -> Vec<Plot> {
    Vec::new()
}
