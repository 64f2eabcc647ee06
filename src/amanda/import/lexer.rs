//! The tokens of Amanda's configuration language (`conffile.c`), shared by amanda.conf and the
//! disklist: `#` comments, double-quoted strings with backslash escapes, numbers, words, braces,
//! commas and significant newlines.

use super::source::{ImportError, Loc, SourceText};

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum TokKind {
    /// A bare word: a keyword, a name, a unit.
    Word(String),
    /// A double-quoted string, escapes resolved.
    Str(String),
    /// An integer (Amanda's `CONF_INT`/`CONF_AM64`), sign included.
    Int(i64),
    /// A number with a fraction (`CONF_REAL`).
    Real(f64),
    /// `{`
    Open,
    /// `}`
    Close,
    /// `,`
    Comma,
    /// End of a line.
    Newline,
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Tok {
    /// What it is.
    pub kind: TokKind,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

impl Tok {
    /// The token as text: words and strings as written, numbers in decimal.
    pub fn text(&self) -> String {
        match &self.kind {
            TokKind::Word(s) | TokKind::Str(s) => s.clone(),
            TokKind::Int(i) => i.to_string(),
            TokKind::Real(r) => r.to_string(),
            TokKind::Open => "{".into(),
            TokKind::Close => "}".into(),
            TokKind::Comma => ",".into(),
            TokKind::Newline => "end of line".into(),
        }
    }

    /// A word or a string (Amanda accepts either where it wants an identifier).
    pub fn ident(&self) -> Option<&str> {
        match &self.kind {
            TokKind::Word(s) | TokKind::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Splits `src` into tokens; an unterminated string is a syntax error at its opening quote.
pub fn tokenize(src: &SourceText) -> Result<Vec<Tok>, ImportError> {
    let mut out = Vec::new();
    for (i, raw) in src.text.split('\n').enumerate() {
        let line = i + 1;
        let chars: Vec<char> = raw.chars().collect();
        let mut c = 0;
        while c < chars.len() {
            let ch = chars[c];
            let col = c + 1;
            match ch {
                ' ' | '\t' | '\r' | '\x0c' | '\x0b' => c += 1,
                '#' => break,
                '{' | '}' | ',' => {
                    let kind = match ch {
                        '{' => TokKind::Open,
                        '}' => TokKind::Close,
                        _ => TokKind::Comma,
                    };
                    out.push(Tok { kind, line, col });
                    c += 1;
                }
                '"' => {
                    let Some((s, end)) = quoted(&chars, c) else {
                        return Err(src.syntax(
                            line,
                            col,
                            "string not terminated: close it with \" on the same line",
                        ));
                    };
                    c = end;
                    out.push(Tok {
                        kind: TokKind::Str(s),
                        line,
                        col,
                    });
                }
                _ => {
                    let start = c;
                    while c < chars.len()
                        && !matches!(
                            chars[c],
                            ' ' | '\t' | '\r' | '\x0c' | '\x0b' | '#' | '{' | '}' | ',' | '"'
                        )
                    {
                        c += 1;
                    }
                    let word: String = chars[start..c].iter().collect();
                    out.push(Tok {
                        kind: number(&word).unwrap_or(TokKind::Word(word)),
                        line,
                        col,
                    });
                }
            }
        }
        out.push(Tok {
            kind: TokKind::Newline,
            line,
            col: chars.len() + 1,
        });
    }
    Ok(out)
}

/// The string opening at `chars[open]`, escapes decoded, and the index past its closing quote;
/// `None` when the line ends first (Amanda's strings do not span lines).
fn quoted(chars: &[char], open: usize) -> Option<(String, usize)> {
    let mut s = String::new();
    let mut c = open + 1;
    while c < chars.len() {
        match chars[c] {
            '"' => return Some((s, c + 1)),
            '\\' if c + 1 < chars.len() => {
                c += 1;
                let (decoded, used) = escape(&chars[c..]);
                s.push(decoded);
                c += used;
            }
            other => {
                s.push(other);
                c += 1;
            }
        }
    }
    None
}

/// One escape after a backslash: `\n`, `\t`, `\\`, `\"`, octal `\NNN`; anything else stands for
/// itself, as in Amanda's lexer.
fn escape(rest: &[char]) -> (char, usize) {
    match rest[0] {
        'n' => ('\n', 1),
        't' => ('\t', 1),
        'r' => ('\r', 1),
        'f' => ('\x0c', 1),
        '0'..='7' => {
            let digits: String = rest.iter().take(3).take_while(|d| d.is_digit(8)).collect();
            let v = u32::from_str_radix(&digits, 8).unwrap_or(0);
            (char::from_u32(v).unwrap_or('?'), digits.len())
        }
        other => (other, 1),
    }
}

fn number(w: &str) -> Option<TokKind> {
    let digits = w.strip_prefix(['-', '+']).unwrap_or(w);
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if let Ok(i) = w.parse::<i64>() {
        return Some(TokKind::Int(i));
    }
    if digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return w.parse::<f64>().ok().map(TokKind::Real);
    }
    None
}

/// A statement: the tokens of one logical line, and the block it opens, if any.
#[derive(Clone, Debug)]
pub struct Stmt {
    /// The line's tokens before any `{`.
    pub toks: Vec<Tok>,
    /// The `{ ... }` body it opens.
    pub block: Option<Vec<Stmt>>,
    /// Tokens after the block's `}` on the same line (a disklist's spindle and interface).
    pub after: Vec<Tok>,
}

impl Stmt {
    /// Where the statement starts.
    pub fn loc(&self, src: &SourceText) -> Loc {
        self.toks
            .first()
            .map_or_else(|| src.loc(1, 1), |t| src.loc(t.line, t.col))
    }
}

/// Groups tokens into statements, with `{` ending a line and `}` alone before the closing
/// line's remainder, as Amanda requires.
pub fn statements(src: &SourceText, toks: &[Tok]) -> Result<Vec<Stmt>, ImportError> {
    let mut pos = 0;
    let body = block(src, toks, &mut pos, None)?;
    Ok(body)
}

fn block(
    src: &SourceText,
    toks: &[Tok],
    pos: &mut usize,
    open: Option<&Tok>,
) -> Result<Vec<Stmt>, ImportError> {
    let mut out = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    while *pos < toks.len() {
        let t = &toks[*pos];
        *pos += 1;
        match t.kind {
            TokKind::Newline => {
                if !cur.is_empty() {
                    out.push(Stmt {
                        toks: std::mem::take(&mut cur),
                        block: None,
                        after: Vec::new(),
                    });
                }
            }
            TokKind::Open => {
                match toks.get(*pos).map(|n| &n.kind) {
                    Some(TokKind::Newline) | None => {}
                    Some(_) => {
                        let n = &toks[*pos];
                        return Err(src.syntax(
                            n.line,
                            n.col,
                            "nothing may follow `{` on its line: start the block's settings on the next line",
                        ));
                    }
                }
                let inner = block(src, toks, pos, Some(t))?;
                let mut after = Vec::new();
                while let Some(n) = toks.get(*pos) {
                    *pos += 1;
                    if n.kind == TokKind::Newline {
                        break;
                    }
                    after.push(n.clone());
                }
                out.push(Stmt {
                    toks: std::mem::take(&mut cur),
                    block: Some(inner),
                    after,
                });
            }
            TokKind::Close => {
                if open.is_none() {
                    return Err(src.syntax(t.line, t.col, "`}` closes no block: remove it"));
                }
                if !cur.is_empty() {
                    return Err(src.syntax(
                        t.line,
                        t.col,
                        "`}` must stand at the start of its own line",
                    ));
                }
                return Ok(out);
            }
            _ => cur.push(t.clone()),
        }
    }
    if let Some(o) = open {
        return Err(src.syntax(
            o.line,
            o.col,
            "this `{` is never closed: add a line with `}`",
        ));
    }
    if !cur.is_empty() {
        out.push(Stmt {
            toks: cur,
            block: None,
            after: Vec::new(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokKind> {
        tokenize(&SourceText::inline("t", text))
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn comments_strings_numbers_and_units() {
        assert_eq!(
            kinds("netusage 8000 Kbps # KB/s\norg \"a \\\"b\\\" # c\""),
            vec![
                TokKind::Word("netusage".into()),
                TokKind::Int(8000),
                TokKind::Word("Kbps".into()),
                TokKind::Newline,
                TokKind::Word("org".into()),
                TokKind::Str("a \"b\" # c".into()),
                TokKind::Newline,
            ]
        );
        assert_eq!(
            kinds("reserved-udp-port 850,859"),
            vec![
                TokKind::Word("reserved-udp-port".into()),
                TokKind::Int(850),
                TokKind::Comma,
                TokKind::Int(859),
                TokKind::Newline,
            ]
        );
        assert_eq!(kinds("etimeout -600")[1], TokKind::Int(-600));
        assert_eq!(kinds("comprate 0.5")[1], TokKind::Real(0.5));
    }

    #[test]
    fn unterminated_string_points_at_its_quote() {
        let e = tokenize(&SourceText::inline("a.conf", "x 1\norg \"abc\n"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a.conf:2:5: string not terminated"), "{e}");
        assert!(e.contains("org \"abc"), "{e}");
    }

    #[test]
    fn blocks_nest_and_must_close() {
        let src = SourceText::inline("a", "define dumptype x {\n  global\n  maxdumps 2\n}\n");
        let st = statements(&src, &tokenize(&src).unwrap()).unwrap();
        assert_eq!(st.len(), 1);
        assert_eq!(st[0].block.as_ref().unwrap().len(), 2);
        let src = SourceText::inline("a", "define dumptype x {\n  global\n");
        let e = statements(&src, &tokenize(&src).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a:1:19: this `{` is never closed"), "{e}");
        let src = SourceText::inline("a", "inparallel 4 }\n");
        let e = statements(&src, &tokenize(&src).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a:1:14: `}` closes no block"), "{e}");
    }
}
