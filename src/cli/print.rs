//! Printing a command's result: nothing with `--quiet`; a closed pipe ends the command quietly
//! (exit 0, as ripgrep does); any other error writing standard output (a full disk) is exit 2
//! naming it. Rust ignores SIGPIPE, so a closed pipe arrives here as an `EPIPE` error.
//! Every command prints through a [`Printer`], never with `print!` (which panics on `EPIPE`).

use super::error::CliError;
use crate::output::{write_output, write_stdout};
use std::path::Path;

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

    /// Writes a file the user named (`--trace FILE`, `-o -`): `-` is standard output, written
    /// even with `--quiet` (the user asked for it there), with the same rules as [`Printer::out`].
    pub fn file(self, path: &Path, bytes: &[u8]) -> Result<(), CliError> {
        write_output(path, bytes).map_err(|source| CliError::Write {
            path: if path.as_os_str() == "-" {
                "standard output".into()
            } else {
                path.display().to_string()
            },
            source,
        })
    }

    /// Shows a progress bar: on a terminal, never with `--quiet`, when piped or under `CI`.
    pub fn progress(self) -> bool {
        !self.quiet && crate::study::nights::show_progress()
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
