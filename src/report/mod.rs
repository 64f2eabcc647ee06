//! What users read: the run report in text and JSON, and the event trace; [`schemas`] describe
//! the JSON forms.

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
