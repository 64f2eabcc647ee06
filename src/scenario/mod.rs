//! Scenarios: the file format ([`schema`], with its raw [`expect`] blocks), building on another
//! file ([`base`]), loading, `--set` and validation into the model's types ([`load`]), and the
//! built-in incident ([`builtin`]); [`bounds`] keeps every size, count and time within a night. [`text`] reads a file's text within bounds, [`strict`]
//! parses it refusing duplicate keys; [`template`] makes the hosts of `host_templates` at load. A [`Scenario`] is the validated [`SiteConfig`] together with
//! the file it came from.

pub mod base;
pub mod bounds;
pub mod builtin;
pub mod expect;
pub mod load;
pub mod schema;
pub mod strict;
pub mod template;
pub mod text;
mod validate;

pub use load::{InputError, Source, load, load_value, read};

use crate::model::config::SiteConfig;
use std::ops::{Deref, DerefMut};

/// A validated scenario: the site the model runs, and the file as loaded (after `--set`), for
/// transforms (remedies), expectations and echoes.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The validated site, in the model's units.
    pub config: SiteConfig,
    /// The file as loaded (after `--set`).
    pub file: schema::ScenarioFile,
}

/// A scenario reads as its site: `sc.server`, `site::run(&sc, ..)`.
impl Deref for Scenario {
    type Target = SiteConfig;
    fn deref(&self) -> &SiteConfig {
        &self.config
    }
}

impl DerefMut for Scenario {
    fn deref_mut(&mut self) -> &mut SiteConfig {
        &mut self.config
    }
}
