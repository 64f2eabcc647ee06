//! Charts of a sweep.

use super::*;
use crate::study::sweep::Sweep;

/// Renders the sweep's charts as SVG and PNG.
pub fn render(_s: &Sweep) -> Vec<Plot> {
    Vec::new()
}
