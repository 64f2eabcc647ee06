//! Input files held in memory with the positions and error type every parser shares.

use std::fmt;
use std::path::{Path, PathBuf};

/// One input file's text, and the name errors give it.
#[derive(Clone, Debug)]
pub struct SourceText {
    /// The path as the user gave it (errors print it).
    pub path: PathBuf,
    /// The whole text.
    pub text: String,
}

impl SourceText {
    /// Reads a file; the error names the file and the flag that named it.
    pub fn read(path: &Path, what: &str) -> Result<SourceText, ImportError> {
        let bytes = std::fs::read(path).map_err(|e| ImportError::Read {
            file: path.display().to_string(),
            what: what.to_string(),
            source: e,
        })?;
        Ok(SourceText {
            path: path.to_path_buf(),
            // Config files are ASCII in practice; a stray Latin-1 byte must not stop the import.
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// A text that did not come from disk (tests, fuzzing).
    pub fn inline(name: &str, text: &str) -> SourceText {
        SourceText {
            path: PathBuf::from(name),
            text: text.to_string(),
        }
    }

    /// A position in this file.
    pub fn loc(&self, line: usize, col: usize) -> Loc {
        Loc {
            file: self.path.display().to_string(),
            line,
            col,
        }
    }

    /// The text of line `n` (from 1), without its newline.
    pub fn line_text(&self, n: usize) -> &str {
        self.text.lines().nth(n.saturating_sub(1)).unwrap_or("")
    }

    /// A syntax error at (line, col) quoting the offending line.
    pub fn syntax(&self, line: usize, col: usize, msg: impl Into<String>) -> ImportError {
        ImportError::Syntax {
            loc: self.loc(line, col),
            msg: msg.into(),
            text: self.line_text(line).to_string(),
        }
    }

    /// Line and column (from 1, in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A place in an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    /// The file, as given.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

impl Loc {
    /// `file:line`, the form warnings use.
    pub fn file_line(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// Something found in an input that the scenario cannot express, or expresses only roughly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub loc: Loc,
    /// What, and what was done instead.
    pub msg: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc.file_line(), self.msg)
    }
}

/// Why an import stopped: always bad input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An input file could not be read.
    #[error("{file}: cannot read the {what}: {source}")]
    Read {
        /// The file.
        file: String,
        /// Which input it is (`--conf`, ...).
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// An input is not in its format.
    #[error("{loc}: {msg}\n    {text}\n    {caret}", caret = caret(loc.col, text))]
    Syntax {
        /// Where.
        loc: Loc,
        /// What is wrong and what would be accepted.
        msg: String,
        /// The offending line.
        text: String,
    },
    /// The imported scenario, after `--set`, does not validate.
    #[error(transparent)]
    Scenario(#[from] crate::scenario::InputError),
    /// The output could not be written.
    #[error("{file}: cannot write: {source}")]
    Write {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// A flag's value is wrong.
    #[error("{flag}: {msg}")]
    Flag {
        /// The flag as given.
        flag: String,
        /// What is wrong and the fix.
        msg: String,
    },
}

/// A caret under column `col` of `line`, tabs kept so that it lines up.
fn caret(col: usize, line: &str) -> String {
    let mut s: String = line
        .chars()
        .take(col.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    s.push('^');
    s
}
