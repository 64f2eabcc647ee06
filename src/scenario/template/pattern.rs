//! A template's name pattern: text with `{i}` (the host's number) or `{i:0N}` (the number
//! zero-padded to N digits); `{{` and `}}` stand for braces.

/// One piece of a parsed pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Literal text.
    Text(String),
    /// The host's number, zero-padded to this many digits (0: as it is).
    Number(usize),
}

/// Widest zero padding `{i:0N}` takes: more digits than any host number has.
pub const MAX_WIDTH: usize = 20;

/// A parsed name pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern(Vec<Piece>);

impl Pattern {
    /// Parses `text`; the error says what is wrong and how to write it.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek()) {
                ('{', Some('{')) | ('}', Some('}')) => {
                    chars.next();
                    lit.push(c);
                }
                ('{', _) => {
                    let mut field = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        field.push(c);
                    }
                    if !closed {
                        return Err(format!(
                            "{text:?} opens '{{' without closing it: write {{i}} for the host's number, '{{{{' for a brace"
                        ));
                    }
                    let width = placeholder(&field)?;
                    if !lit.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut lit)));
                    }
                    pieces.push(Piece::Number(width));
                }
                ('}', _) => {
                    return Err(format!(
                        "{text:?} has a lone '}}': write '}}}}' for a brace, {{i}} for the host's number"
                    ));
                }
                _ => lit.push(c),
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Text(lit));
        }
        if !pieces.iter().any(|p| matches!(p, Piece::Number(_))) {
            return Err(format!(
                "{text:?} names every host alike: put {{i}} (or {{i:03}}) where each host's number goes, e.g. \"dmz-{{i:03}}\""
            ));
        }
        Ok(Pattern(pieces))
    }

    /// The name of host number `n`.
    pub fn render(&self, n: u64) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Number(w) => out.push_str(&format!("{n:0w$}")),
            }
        }
        out
    }
}

/// The width of `{FIELD}`: `i` or `i:0N`.
fn placeholder(field: &str) -> Result<usize, String> {
    let bad = || {
        format!(
            "{{{field}}} is not a placeholder: write {{i}} for the host's number or {{i:03}} for it zero-padded to 3 digits ({{{{ for a brace)"
        )
    };
    match field.split_once(':') {
        None if field == "i" => Ok(0),
        Some(("i", spec)) => {
            let digits = spec.strip_prefix('0').ok_or_else(bad)?;
            let w: usize = digits.parse().map_err(|_| bad())?;
            if (1..=MAX_WIDTH).contains(&w) {
                Ok(w)
            } else {
                Err(format!(
                    "{{{field}}}: pad to 1 to {MAX_WIDTH} digits, e.g. {{i:03}}"
                ))
            }
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn numbers_padding_and_braces() {
        let p = Pattern::parse("dmz-{i:03}").unwrap();
        assert_eq!(p.render(7), "dmz-007");
        assert_eq!(p.render(1234), "dmz-1234", "padding is a minimum");
        assert_eq!(Pattern::parse("h{i}").unwrap().render(42), "h42");
        assert_eq!(
            Pattern::parse("{{x}}-{i}-{i:02}").unwrap().render(5),
            "{x}-5-05"
        );
    }

    #[test]
    fn bad_patterns_say_how_to_write_them() {
        for (bad, says) in [
            ("web", "put {i}"),
            ("web-{n}", "{n} is not a placeholder"),
            ("web-{i:3}", "{i:3} is not a placeholder"),
            ("web-{i:00}", "pad to 1 to 20 digits"),
            ("web-{i:021}", "pad to 1 to 20 digits"),
            ("web-}", "lone '}'"),
            ("web-{i", "without closing it"),
        ] {
            let e = Pattern::parse(bad).map(|_| ()).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
