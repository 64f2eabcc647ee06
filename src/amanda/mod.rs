//! Real Amanda, outside the simulator: the configuration text a scenario stands for ([`emit`]),
//! Amanda's own files read as Amanda reads them ([`import`]), and what a real Amanda leaves
//! behind, read back from its logs ([`log`]).
//!
//! This layer sits between `scenario` and the studies: it reads validated scenarios and the
//! model's types, and never the reverse (the log reader uses only the model's types).

pub mod emit;
pub mod import;
pub mod log;
