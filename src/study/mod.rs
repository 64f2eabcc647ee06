//! Studies built on many runs or on one run read closely.

pub mod explain;
