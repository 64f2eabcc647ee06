//! portsim: a discrete-event simulator of Amanda dumpers, a reserved UDP port range and
//! firewall filters. See README.md for the commands and docs/model.md for the facts modelled.
//!
//! Layers, each importing only itself and the layers below it (`tests/layers.rs` enforces it):
//! 0. [`sim`], the kernel (time, queue, seeded streams), knows nothing of Amanda; [`output`]
//!    writes files atomically.
//! 1. [`model`] is Amanda, its clients, the network and the firewall, with its own typed
//!    configuration ([`model::config`]); it knows no file format.
//! 2. [`scenario`] reads the file format, builds on bases, applies `--set` and validates into the
//!    model's types; `expect` blocks stay raw data there.
//! 3. [`amanda`]: interop with real Amanda: the configuration a scenario stands for
//!    ([`amanda::emit`]), imports of a site's files ([`amanda::import`]), its logs read back
//!    ([`amanda::log`]).
//! 4. [`study`] runs many nights: [`study::compare`], [`study::check`], [`study::sweep`],
//!    [`study::plan`], [`study::validate`]; or reads one closely: [`study::explain`].
//! 5. [`report`] renders results it is given: text, JSON, CSV, Markdown, plots.
//! 6. [`cli`] holds every clap argument and one module per command body.

pub mod amanda;
pub mod cli;
pub mod model;
pub mod output;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod study;
