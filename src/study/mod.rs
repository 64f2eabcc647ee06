//! Studies: what many simulated nights say, or one night read closely. [`compare`] measures
//! remedies against the baseline; [`check`] judges scenarios' expectations for CI; [`explain`]
//! tells one night's story with its causes; [`validate`] puts real Amanda nights beside
//! simulated ones. A study computes results; the report layer renders them and the command line
//! drives them. [`suggest`] finds the name a typo meant.

pub mod check;
pub mod compare;
pub mod explain;
pub mod suggest;
pub mod validate;
