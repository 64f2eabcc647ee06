//! Studies: many configurations of a site over many nights, on common random numbers.
//!
//! [`sweep`] varies one or two settings over a grid; [`plan`] searches what a site can change
//! for the configuration that meets a target at the least cost. Both run their nights through
//! [`nights`], which pairs night r of every configuration (same seed, same streams).

pub mod nights;
pub mod plan;
pub mod sweep;
