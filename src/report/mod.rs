//! What users read: the run report in text and JSON, and the event trace.

pub mod diagnose;
pub mod check;
pub mod compare;
pub mod validate;
pub mod json;
pub mod plots;
pub mod real;
pub mod text;

pub use json::RunReport;
