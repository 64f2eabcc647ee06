//! What users read: the run report in text and JSON, and the event trace.

pub mod check;
pub mod compare;
pub mod json;
pub mod plan;
pub mod plots;
pub mod sweep;
pub mod text;

pub use json::RunReport;
