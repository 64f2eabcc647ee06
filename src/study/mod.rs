//! Studies: what many simulated nights say. [`compare`] measures remedies against the baseline;
//! [`check`] judges scenarios' expectations for CI; [`sweep`] varies one or two settings over a
//! grid; [`plan`] searches what a site can change for the configuration that meets a target at
//! the least cost. Sweep and plan run their nights through [`nights`], which pairs night r of
//! every configuration (same seed, same streams). A study computes results; the report layer
//! renders them and the command line drives them.

pub mod check;
pub mod compare;
pub mod nights;
pub mod plan;
pub mod sweep;
