//! Printing a command's result: nothing with `--quiet`; a closed pipe ends the command quietly
//! (exit 0, as ripgrep does); any other error writing standard output (a full disk) is exit 2
//! naming it. Rust ignores SIGPIPE, so a closed pipe arrives here as an `EPIPE` error.

use super::error::CliError;
use crate::output::write_stdout;

/// Where a command's result goes.
#[derive(Clone, Copy, Debug)]
pub struct Printer {
    /// `--quiet`: print nothing but errors.
    pub quiet: bool,
}

impl Printer {
    /// Prints `text` to standard output unless quiet.
    pub fn out(self, text: &str) -> Result<(), CliError> {
        if self.quiet {
            return Ok(());
        }
        write_stdout(text.as_bytes()).map_err(|source| CliError::Write {
            path: "standard output".into(),
            source,
        })
    }

    /// Tells the user, on standard error, something beside the result (where a report went).
    pub fn note(self, text: &str) {
        if !self.quiet {
            use std::io::Write;
            // A closed standard error has no one to tell; it must not stop the command.
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
    }
}
