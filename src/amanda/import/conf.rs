//! amanda.conf as Amanda's `conffile.c` reads it: top-level parameters, `includefile` (relative
//! to the including file), `define dumptype` with inheritance, `define interface`, and numbers
//! with Amanda's unit words.
//!
//! Units follow `get_number`: the base unit is the parameter's own (KB, KB/s, days), `K`/`KB`/
//! `Kbps`/`B`/`bytes` multiply by 1, `M`/`MB`/`Mbps` by 1024, `G` by 1024², `T` by 1024³,
//! `WEEK(S)` by 7, `INF` is unlimited. Amanda makes no distinction between kinds of suffix.

use super::lexer::{Stmt, Tok, TokKind, statements, tokenize};
use super::source::{ImportError, Loc, SourceText, Warning};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How deep `includefile` may nest before it is taken for a loop.
const MAX_INCLUDE_DEPTH: usize = 16;

/// A parameter's value tokens and where it was set.
#[derive(Clone, Debug)]
pub struct Param {
    /// The tokens after the keyword.
    pub toks: Vec<Tok>,
    /// Where the keyword is.
    pub loc: Loc,
    /// The line's text, for errors about the value.
    pub text: String,
}

/// A dumptype or interface with its inheritance resolved: later settings win.
#[derive(Clone, Debug, Default)]
pub struct Section {
    /// Its name as written.
    pub name: String,
    /// Where it was defined.
    pub loc: Option<Loc>,
    /// Parameters by normalised keyword.
    pub params: BTreeMap<String, Param>,
}

/// amanda.conf, parsed.
#[derive(Clone, Debug, Default)]
pub struct Conf {
    /// Every file read, the main one first.
    pub files: Vec<String>,
    /// Top-level parameters by normalised keyword.
    pub params: BTreeMap<String, Param>,
    /// `define dumptype`, by lower-case name.
    pub dumptypes: BTreeMap<String, Section>,
    /// `define interface`, by lower-case name.
    pub interfaces: BTreeMap<String, Section>,
    /// What was read but means nothing to portsim's model.
    pub warnings: Vec<Warning>,
}

/// Keywords are case-insensitive and `-` and `_` are interchangeable.
pub fn normalise(key: &str) -> String {
    key.to_ascii_lowercase().replace('_', "-")
}

/// Dumptype parameters that may stand alone on their line (booleans meaning "yes").
const BARE_PARAMS: &[&str] = &[
    "index",
    "record",
    "kencrypt",
    "skip-incr",
    "skip-full",
    "ignore",
    "holdingdisk",
    "allow-split",
];

/// Top-level parameters portsim reads; Amanda rejects a second definition of any parameter.
const MODEL_PARAMS: &[&str] = &[
    "inparallel",
    "netusage",
    "dumporder",
    "etimeout",
    "ctimeout",
    "dtimeout",
    "dumpcycle",
    "runspercycle",
    "reserved-udp-port",
    "reserved-tcp-port",
    "unreserved-tcp-port",
];

impl Conf {
    /// Reads amanda.conf and everything it includes.
    pub fn read(path: &Path) -> Result<Conf, ImportError> {
        let mut conf = Conf::default();
        conf.include(path, 0, &mut Vec::new())?;
        Ok(conf)
    }

    /// Parses amanda.conf text that includes nothing (tests, fuzzing).
    pub fn parse(src: &SourceText) -> Result<Conf, ImportError> {
        let mut conf = Conf::default();
        conf.files.push(src.path.display().to_string());
        conf.statements(src, 0, &mut Vec::new())?;
        Ok(conf)
    }

    fn include(
        &mut self,
        path: &Path,
        depth: usize,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(), ImportError> {
        let src = SourceText::read(path, "amanda.conf (--conf or includefile)")?;
        self.files.push(path.display().to_string());
        let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        stack.push(canon);
        self.statements(&src, depth, stack)?;
        stack.pop();
        Ok(())
    }

    fn statements(
        &mut self,
        src: &SourceText,
        depth: usize,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(), ImportError> {
        let toks = tokenize(src)?;
        for st in statements(src, &toks)? {
            self.statement(src, &st, depth, stack)?;
        }
        Ok(())
    }

    fn statement(
        &mut self,
        src: &SourceText,
        st: &Stmt,
        depth: usize,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(), ImportError> {
        let Some(first) = st.toks.first() else {
            let (line, col) = st
                .block
                .as_ref()
                .and_then(|b| b.first())
                .and_then(|s| s.toks.first())
                .map_or((1, 1), |t| (t.line, t.col));
            return Err(src.syntax(line, col, "a block must follow a keyword and a name"));
        };
        let Some(word) = first.ident() else {
            return Err(src.syntax(
                first.line,
                first.col,
                format!("a keyword is expected here, not `{}`", first.text()),
            ));
        };
        let key = normalise(word);
        if let Some(t) = st.after.first() {
            return Err(src.syntax(t.line, t.col, "nothing may follow `}` on its line"));
        }
        match (key.as_str(), &st.block) {
            ("includefile", None) => self.includefile(src, st, first, word, depth, stack),
            ("define", Some(body)) => self.define(src, st, first, body),
            ("define", None) => Err(src.syntax(
                first.line,
                first.col,
                "define needs a block: define TYPE NAME {, then its settings, then }",
            )),
            (_, Some(_)) => Ok(()), // holdingdisk NAME { ... } and other blocks of no interest
            _ => self.param(src, st, first, word, key),
        }
    }

    /// `includefile "NAME"`, relative to the including file; a cycle is an error.
    fn includefile(
        &mut self,
        src: &SourceText,
        st: &Stmt,
        first: &Tok,
        word: &str,
        depth: usize,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(), ImportError> {
        let Some(name) = st.toks.get(1).and_then(Tok::ident) else {
            return Err(src.syntax(
                first.line,
                first.col + word.len() + 1,
                "includefile needs a file name: includefile \"dumptypes.conf\"",
            ));
        };
        let base = src.path.parent().unwrap_or(Path::new("."));
        let target = base.join(name);
        let canon = target.canonicalize().unwrap_or_else(|_| target.clone());
        if depth + 1 > MAX_INCLUDE_DEPTH || stack.contains(&canon) {
            return Err(src.syntax(
                first.line,
                first.col,
                format!("includefile {name} includes itself (directly or through others)"),
            ));
        }
        self.include(&target, depth + 1, stack)
    }

    /// `define dumptype|interface NAME { ... }`; other kinds are of no interest to the model.
    fn define(
        &mut self,
        src: &SourceText,
        st: &Stmt,
        first: &Tok,
        body: &[Stmt],
    ) -> Result<(), ImportError> {
        let kind = st.toks.get(1).and_then(Tok::ident).map(normalise);
        let name = st.toks.get(2).and_then(Tok::ident);
        let (Some(kind), Some(name)) = (kind, name) else {
            return Err(src.syntax(
                first.line,
                first.col,
                "write define TYPE NAME { ... }, e.g. define dumptype comp-user {",
            ));
        };
        match kind.as_str() {
            "dumptype" => {
                let sec = self.section(src, name, st.loc(src), body, true)?;
                self.dumptypes.insert(name.to_ascii_lowercase(), sec);
            }
            "interface" => {
                let sec = self.section(src, name, st.loc(src), body, false)?;
                self.interfaces.insert(name.to_ascii_lowercase(), sec);
            }
            // Tapes, holding disks, changers, applications: nothing the model runs.
            _ => {}
        }
        Ok(())
    }

    /// A global parameter; a model parameter given twice is an error.
    fn param(
        &mut self,
        src: &SourceText,
        st: &Stmt,
        first: &Tok,
        word: &str,
        key: String,
    ) -> Result<(), ImportError> {
        let param = Param {
            toks: st.toks[1..].to_vec(),
            loc: st.loc(src),
            text: src.line_text(first.line).to_string(),
        };
        if MODEL_PARAMS.contains(&key.as_str())
            && let Some(prev) = self.params.get(&key)
        {
            return Err(src.syntax(
                first.line,
                first.col,
                format!(
                    "duplicate parameter {word}; previous definition at {}",
                    prev.loc.file_line()
                ),
            ));
        }
        self.params.insert(key, param);
        Ok(())
    }

    /// Resolves a dumptype or interface body: a lone name inherits a dumptype defined before.
    pub fn section(
        &mut self,
        src: &SourceText,
        name: &str,
        loc: Loc,
        body: &[Stmt],
        dumptype: bool,
    ) -> Result<Section, ImportError> {
        let mut sec = Section {
            name: name.to_string(),
            loc: Some(loc),
            params: BTreeMap::new(),
        };
        for st in body {
            let Some(first) = st.toks.first() else {
                continue;
            };
            if st.block.is_some() {
                return Err(src.syntax(
                    first.line,
                    first.col,
                    "blocks do not nest inside a definition",
                ));
            }
            let Some(word) = first.ident() else {
                return Err(src.syntax(
                    first.line,
                    first.col,
                    format!("a parameter name is expected, not `{}`", first.text()),
                ));
            };
            let key = normalise(word);
            let parent = if dumptype {
                self.dumptypes.get(&word.to_ascii_lowercase())
            } else {
                self.interfaces.get(&word.to_ascii_lowercase())
            };
            if st.toks.len() == 1
                && let Some(parent) = parent
            {
                for (k, v) in &parent.params {
                    sec.params.insert(k.clone(), v.clone());
                }
                continue;
            }
            if st.toks.len() == 1 && !BARE_PARAMS.contains(&key.as_str()) {
                self.warnings.push(Warning {
                    loc: src.loc(first.line, first.col),
                    msg: format!(
                        "`{word}` in {name} is neither a {} defined above nor a parameter; ignored",
                        if dumptype { "dumptype" } else { "interface" }
                    ),
                });
                continue;
            }
            sec.params.insert(
                key,
                Param {
                    toks: st.toks[1..].to_vec(),
                    loc: src.loc(first.line, first.col),
                    text: src.line_text(first.line).to_string(),
                },
            );
        }
        Ok(sec)
    }
}

/// A number as Amanda's `get_number` reads it: an integer, then an optional unit word.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A finite value in the parameter's base unit.
    Finite(i64),
    /// `INF`.
    Infinite,
}

fn multiplier(unit: &str) -> Option<Option<i64>> {
    let u = unit.to_ascii_uppercase();
    Some(Some(match u.as_str() {
        "B" | "BPS" | "BYTE" | "BYTES" | "DAY" | "DAYS" | "TAPE" | "TAPES" => 1,
        "K" | "KB" | "KBPS" | "KBYTE" | "KBYTES" | "KILOBYTE" | "KILOBYTES" | "KPS" => 1,
        "M" | "MB" | "MBPS" | "MBYTE" | "MBYTES" | "MEG" | "MEGABYTE" | "MEGABYTES" | "MPS" => 1024,
        "G" | "GB" | "GBPS" | "GBYTE" | "GBYTES" | "GIG" | "GIGABYTE" | "GIGABYTES" | "GPS" => {
            1024 * 1024
        }
        "T" | "TB" | "TBPS" | "TBYTE" | "TBYTES" | "TERA" | "TERABYTE" | "TERABYTES" | "TPS" => {
            1024 * 1024 * 1024
        }
        "WEEK" | "WEEKS" => 7,
        "INF" => return Some(None),
        _ => return None,
    }))
}

impl Param {
    fn err(&self, tok: Option<&Tok>, msg: impl Into<String>) -> ImportError {
        let (line, col) = tok.map_or((self.loc.line, self.loc.col), |t| (t.line, t.col));
        ImportError::Syntax {
            loc: Loc {
                file: self.loc.file.clone(),
                line,
                col,
            },
            msg: msg.into(),
            text: self.text.clone(),
        }
    }

    fn end_after(&self, n: usize, what: &str) -> Result<(), ImportError> {
        match self.toks.get(n) {
            None => Ok(()),
            Some(t) => Err(self.err(
                Some(t),
                format!(
                    "{what}: unexpected `{}`; a unit word or the end of the line is expected",
                    t.text()
                ),
            )),
        }
    }

    /// An integer with an optional unit word (Amanda's `get_int`).
    pub fn number(&self, what: &str) -> Result<Number, ImportError> {
        let value = match self.toks.first().map(|t| &t.kind) {
            Some(TokKind::Int(i)) => Number::Finite(*i),
            Some(TokKind::Word(w)) if w.eq_ignore_ascii_case("inf") => Number::Infinite,
            other => {
                let got = other.map_or("nothing".to_string(), |_| {
                    format!("`{}`", self.toks[0].text())
                });
                return Err(self.err(
                    self.toks.first(),
                    format!("{what}: an integer is expected, got {got}"),
                ));
            }
        };
        let Some(unit) = self.toks.get(1) else {
            return Ok(value);
        };
        let mult = unit.ident().and_then(multiplier);
        match (value, mult) {
            (_, None) => Err(self.err(
                Some(unit),
                format!(
                    "{what}: `{}` is not a unit Amanda knows (K, KB, Kbps, M, MB, Mbps, G, weeks, ...)",
                    unit.text()
                ),
            )),
            (_, Some(None)) | (Number::Infinite, _) => {
                self.end_after(2, what)?;
                Ok(Number::Infinite)
            }
            (Number::Finite(v), Some(Some(m))) => {
                self.end_after(2, what)?;
                v.checked_mul(m)
                    .map(Number::Finite)
                    .ok_or_else(|| self.err(Some(unit), format!("{what}: value too large")))
            }
        }
    }

    /// An integer that must be finite.
    pub fn int(&self, what: &str) -> Result<i64, ImportError> {
        match self.number(what)? {
            Number::Finite(v) => Ok(v),
            Number::Infinite => Err(self.err(
                self.toks.first(),
                format!("{what}: a finite number is expected"),
            )),
        }
    }

    /// A word or string.
    pub fn string(&self, what: &str) -> Result<String, ImportError> {
        match self.toks.first() {
            Some(t) if t.ident().is_some() => {
                if let Some(extra) = self.toks.get(1) {
                    return Err(self.err(
                        Some(extra),
                        format!("{what}: one value is expected; quote it if it has spaces"),
                    ));
                }
                Ok(t.ident().unwrap_or_default().to_string())
            }
            Some(t) => Ok(t.text()),
            None => Err(self.err(None, format!("{what}: a value is expected"))),
        }
    }

    /// All value tokens as words, lower case (`compress client fast`, `strategy skip`).
    pub fn words(&self) -> Vec<String> {
        self.toks
            .iter()
            .map(|t| t.text().to_ascii_lowercase())
            .collect()
    }

    /// `LOW,HIGH` (Amanda's `get_intrange`).
    pub fn range(&self, what: &str) -> Result<(i64, i64), ImportError> {
        let k: Vec<&TokKind> = self.toks.iter().map(|t| &t.kind).collect();
        match k.as_slice() {
            [TokKind::Int(a), TokKind::Comma, TokKind::Int(b)] => Ok((*a, *b)),
            _ => Err(self.err(
                self.toks.first(),
                format!("{what}: write two ports separated by a comma, e.g. {what} 850,859"),
            )),
        }
    }

    /// A yes/no value; a bare keyword means yes.
    pub fn boolean(&self, what: &str) -> Result<bool, ImportError> {
        match self.toks.first() {
            None => Ok(true),
            Some(t) => match t.text().to_ascii_lowercase().as_str() {
                "y" | "yes" | "t" | "true" | "on" | "1" => Ok(true),
                "n" | "no" | "f" | "false" | "off" | "0" => Ok(false),
                _ => Err(self.err(Some(t), format!("{what}: yes or no is expected"))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(text: &str) -> Conf {
        Conf::parse(&SourceText::inline("amanda.conf", text)).unwrap()
    }

    #[test]
    fn units_as_amanda_reads_them() {
        let c = conf("netusage 8000 Kbps\ndumpcycle 4 weeks\nbumpsize 20 Mb\netimeout -600\n");
        assert_eq!(c.params["netusage"].int("netusage").unwrap(), 8000);
        assert_eq!(c.params["dumpcycle"].int("dumpcycle").unwrap(), 28);
        assert_eq!(c.params["bumpsize"].int("bumpsize").unwrap(), 20 * 1024);
        assert_eq!(c.params["etimeout"].int("etimeout").unwrap(), -600);
        let c = conf("maxdumpsize inf\nnetusage 300 KB\n");
        assert_eq!(
            c.params["maxdumpsize"].number("maxdumpsize").unwrap(),
            Number::Infinite
        );
        assert_eq!(c.params["netusage"].int("netusage").unwrap(), 300);
    }

    #[test]
    fn bad_values_name_file_line_and_column() {
        let c = conf("inparallel twenty\n");
        let e = c.params["inparallel"]
            .int("inparallel")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("amanda.conf:1:12: inparallel: an integer is expected, got `twenty`"),
            "{e}"
        );
        let c = conf("netusage 8000 furlongs\n");
        let e = c.params["netusage"]
            .int("netusage")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("amanda.conf:1:15: netusage: `furlongs`"),
            "{e}"
        );
    }

    #[test]
    fn dumptypes_inherit_in_order_and_later_settings_win() {
        let c = conf(
            "define dumptype global {\n  maxdumps 2\n  auth \"bsd\"\n}\n\
             define dumptype dmz {\n  maxdumps 1\n  global\n  comment \"x\"\n}\n\
             define dumptype late {\n  global\n  maxdumps 3\n}\n",
        );
        // `global` comes after `maxdumps 1` in dmz, so its maxdumps 2 wins.
        assert_eq!(c.dumptypes["dmz"].params["maxdumps"].int("m").unwrap(), 2);
        assert_eq!(c.dumptypes["late"].params["maxdumps"].int("m").unwrap(), 3);
        assert_eq!(
            c.dumptypes["dmz"].params["auth"].string("a").unwrap(),
            "bsd"
        );
    }

    #[test]
    fn keywords_ignore_case_and_dashes() {
        let c = conf("RESERVED_UDP_PORT 850,859\nInParallel 20\n");
        assert_eq!(
            c.params["reserved-udp-port"]
                .range("reserved-udp-port")
                .unwrap(),
            (850, 859)
        );
        assert_eq!(c.params["inparallel"].int("i").unwrap(), 20);
    }

    #[test]
    fn duplicate_model_parameter_is_an_error() {
        let e = Conf::parse(&SourceText::inline(
            "a.conf",
            "inparallel 4\ninparallel 20\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with(
                "a.conf:2:1: duplicate parameter inparallel; previous definition at a.conf:1"
            ),
            "{e}"
        );
    }

    #[test]
    fn includefile_is_relative_to_the_including_file() {
        let dir = std::env::temp_dir().join(format!("portsim-conf-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(
            dir.join("sub/amanda.conf"),
            "includefile \"types.conf\"\ninparallel 3\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("sub/types.conf"),
            "define interface le0 {\n use 400 kbps\n}\n",
        )
        .unwrap();
        let c = Conf::read(&dir.join("sub/amanda.conf")).unwrap();
        assert_eq!(c.interfaces["le0"].params["use"].int("use").unwrap(), 400);
        std::fs::write(dir.join("sub/types.conf"), "includefile \"amanda.conf\"\n").unwrap();
        let e = Conf::read(&dir.join("sub/amanda.conf"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("types.conf:1:1: includefile amanda.conf includes itself"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
