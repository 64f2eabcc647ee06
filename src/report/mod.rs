//! What users read: the run report in text and JSON, and the event trace; [`schemas`] describe
//! the JSON forms.

pub mod apply;
pub mod check;
pub mod compare;
pub mod diagnose;
pub mod explain;
pub mod json;
pub mod plan;
pub mod plots;
pub mod real;
pub mod schemas;
pub mod sweep;
pub mod text;
pub mod validate;

pub use json::RunReport;

/// A Markdown report's "Plots" section: one heading and image per (title, file); nothing when
/// there are none.
fn plots_section(o: &mut String, plots: &[(&str, &str)]) {
    use std::fmt::Write;
    if !plots.is_empty() {
        let _ = writeln!(o, "\n## Plots\n");
        for (title, file) in plots {
            let _ = writeln!(o, "### {title}\n\n![{title}]({file})\n");
        }
    }
}
