//! Studies: what many simulated nights say. [`compare`] measures remedies against the baseline;
//! [`check`] judges scenarios' expectations for CI; [`validate`] puts real Amanda nights beside
//! simulated ones. A study computes results; the report layer
//! renders them and the command line drives them.

pub mod check;
pub mod compare;
pub mod validate;
