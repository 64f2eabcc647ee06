//! Real Amanda, outside the simulator: the configuration text a scenario stands for ([`emit`]) and
//! Amanda's own files read as Amanda reads them ([`import`]).
//!
//! This layer sits between `scenario` and the studies: it reads validated scenarios and the
//! model's types, and never the reverse.

pub mod emit;
pub mod import;
