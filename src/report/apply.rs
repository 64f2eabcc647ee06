//! What `portsim apply` changes at a site, as the `compare` and `plan` reports show it: each
//! changed file's lines taken out (`-`) and put in (`+`), without context.

use crate::amanda::emit::apply::ApplyLines;
use std::fmt::Write;

/// The lines for a terminal, each file under its name, indented by `indent`.
pub fn text(a: &ApplyLines, indent: &str) -> String {
    let mut o = String::new();
    if let Some(why) = &a.not_expressible {
        let _ = writeln!(o, "{indent}no file expresses it: {why}");
        return o;
    }
    if a.files.is_empty() {
        let _ = writeln!(o, "{indent}nothing to change");
    }
    for f in &a.files {
        let _ = writeln!(o, "{indent}{} ({}):", f.name, f.file);
        for l in &f.removed {
            let _ = writeln!(o, "{indent}  - {l}");
        }
        for l in &f.added {
            let _ = writeln!(o, "{indent}  + {l}");
        }
    }
    o
}

/// The lines in Markdown: a `diff` block per file, named by where it goes.
pub fn markdown(a: &ApplyLines) -> String {
    let mut o = String::new();
    if let Some(why) = &a.not_expressible {
        let _ = writeln!(o, "No file expresses it: {why}.\n");
        return o;
    }
    if a.files.is_empty() {
        let _ = writeln!(o, "Nothing to change.\n");
    }
    for f in &a.files {
        if f.file == f.name {
            let _ = writeln!(o, "`{}`:\n\n```diff", f.file);
        } else {
            let _ = writeln!(o, "`{}` ({}):\n\n```diff", f.file, f.name);
        }
        for l in &f.removed {
            let _ = writeln!(o, "-{l}");
        }
        for l in &f.added {
            let _ = writeln!(o, "+{l}");
        }
        let _ = writeln!(o, "```\n");
    }
    o
}
