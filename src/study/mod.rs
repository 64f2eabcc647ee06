//! Studies: what many simulated nights say. [`compare`] measures remedies against the baseline;
//! [`check`] judges scenarios' expectations for CI. A study computes results; the report layer
//! renders them and the command line drives them. [`suggest`] finds the name a typo meant.

pub mod check;
pub mod compare;
pub mod suggest;
