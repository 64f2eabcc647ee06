//! What a command tells `main`: how it ended, or why it stopped (exit 2).

use crate::scenario::InputError;
use std::path::Path;

/// Why a command stopped; every variant is bad input or an unwritable output (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The scenario or an override is wrong.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A command-line option is malformed or does not fit the others.
    #[error("{arg}: {msg}")]
    Arg {
        /// The option as given.
        arg: String,
        /// What is wrong and how to write it.
        msg: String,
    },
    /// An output file could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// What a finished command tells `main`.
pub enum Status {
    /// All went as expected (exit 0).
    Ok,
    /// It ran, but an expectation failed (exit 1).
    ExpectationFailed,
}

impl CliError {
    /// An output file `path` could not be written.
    pub fn write(path: &Path, source: std::io::Error) -> CliError {
        CliError::Write {
            path: path.display().to_string(),
            source,
        }
    }
}
