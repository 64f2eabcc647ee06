//! The built-in incident: `scenarios/tokyo.json`, compiled into the binary.

/// The incident scenario's JSON text.
pub const TOKYO: &str = include_str!("../../scenarios/tokyo.json");

/// The name the built-in scenario is reported under.
pub const TOKYO_NAME: &str = "tokyo";
