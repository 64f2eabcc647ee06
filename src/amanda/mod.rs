//! Amanda's own files read as Amanda reads them: the configuration, the disklist, build facts.

pub mod import;
