//! What a real Amanda leaves behind, read back: its logs ([`log`]).
//!
//! This layer sits on `model` (it names dumpers, ports and outcomes with the model's types) and
//! below `scenario`: nothing here knows of scenario files or reports.

pub mod log;
