//! portsim: a discrete-event simulator of Amanda dumpers, a reserved UDP port range and
//! firewall filters. See README.md for the commands and ../shared/MODEL.md for the facts modelled.
//!
//! Layers: [`sim`] is the kernel (time, queue, seeded streams) and knows nothing of Amanda;
//! [`model`] is Amanda, its clients and the firewall; [`scenario`] reads and validates input;
//! [`report`] renders results; [`cli`] ties them to the command line.

pub mod check;
pub mod cli;
pub mod compare;
pub mod model;
pub mod output;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod study;
