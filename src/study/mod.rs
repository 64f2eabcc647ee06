//! Studies: what many simulated nights say, or one night read closely. [`compare`] measures
//! remedies against the baseline; [`check`] judges scenarios' expectations for CI; [`sweep`]
//! varies one or two settings over a grid; [`plan`] searches what a site can change for the
//! configuration that meets a target at the least cost (both run their nights through
//! [`nights`], which pairs night r of every configuration); [`explain`] tells one night's story
//! with its causes; [`validate`] puts real Amanda nights beside simulated ones; [`suggest`] finds
//! the name a typo meant. A study computes results; the report layer renders them and the command
//! line drives them.

pub mod check;
pub mod compare;
pub mod explain;
pub mod nights;
pub mod plan;
pub mod suggest;
pub mod sweep;
pub mod validate;
