//! The disklist as Amanda's `diskfile.c` reads it: `host disk [diskdevice] dumptype [spindle
//! [interface]]`, or the dumptype written inline as `{ ... }` with spindle and interface after the
//! closing brace.

use super::conf::{Conf, Section};
use super::lexer::{Stmt, Tok, TokKind, statements, tokenize};
use super::source::{ImportError, Loc, SourceText};

/// One disklist entry, its dumptype resolved.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Client host name.
    pub host: String,
    /// Disk name (the DLE's name).
    pub disk: String,
    /// The device, when it differs from the disk name.
    pub device: Option<String>,
    /// The dumptype's name (`inline` for `{ ... }`).
    pub dumptype_name: String,
    /// The dumptype, inheritance resolved.
    pub dumptype: Section,
    /// Spindle number; -1 for none.
    pub spindle: i32,
    /// Interface name, if given.
    pub interface: Option<String>,
    /// Where the entry starts.
    pub loc: Loc,
}

/// Reads every entry; an unknown dumptype or a malformed line is a syntax error.
pub fn parse(src: &SourceText, conf: &mut Conf) -> Result<Vec<Entry>, ImportError> {
    let toks = tokenize(src)?;
    let mut out = Vec::new();
    for st in statements(src, &toks)? {
        out.push(entry(src, conf, &st)?);
    }
    Ok(out)
}

/// A name-like token's text: a word, a string, or a number (Amanda reads `1` as a host too).
fn word(src: &SourceText, t: &Tok, what: &str) -> Result<String, ImportError> {
    t.ident()
        .map(str::to_string)
        .or_else(|| match t.kind {
            TokKind::Int(_) | TokKind::Real(_) => Some(t.text()),
            _ => None,
        })
        .ok_or_else(|| {
            src.syntax(
                t.line,
                t.col,
                format!("{what} expected, not `{}`", t.text()),
            )
        })
}

/// One entry: `host disk`, then the dumptype part, then spindle and interface.
fn entry(src: &SourceText, conf: &mut Conf, st: &Stmt) -> Result<Entry, ImportError> {
    let loc = st.loc(src);
    let Some(first) = st.toks.first() else {
        return Err(src.syntax(
            loc.line,
            loc.col,
            "a disklist entry starts with a host name",
        ));
    };
    let host = word(src, first, "a host name")?;
    let Some(disk_tok) = st.toks.get(1) else {
        return Err(src.syntax(
            first.line,
            first.col + host.chars().count() + 1,
            "a disk name is expected after the host: HOST DISK DUMPTYPE",
        ));
    };
    let disk = word(src, disk_tok, "a disk name")?;
    let rest = &st.toks[2..];
    let dt = match &st.block {
        Some(body) => {
            let name = format!("{host}:{disk}");
            inline_dumptype(src, conf, (&name, &loc), rest, body, &st.after)?
        }
        None => named_dumptype(src, conf, disk_tok, &disk, rest)?,
    };
    let (spindle, interface) = spindle_and_interface(src, dt.tail)?;
    Ok(Entry {
        host,
        disk,
        device: dt.device,
        dumptype_name: dt.name,
        dumptype: dt.section,
        spindle,
        interface,
        loc,
    })
}

/// The `[device] dumptype` part of an entry, and the tokens after it.
struct DumptypePart<'t> {
    device: Option<String>,
    name: String,
    section: Section,
    tail: &'t [Tok],
}

/// `HOST DISK [DEVICE] { ... }`: the dumptype written inline.
fn inline_dumptype<'t>(
    src: &SourceText,
    conf: &mut Conf,
    (name, loc): (&str, &Loc),
    rest: &[Tok],
    body: &[Stmt],
    after: &'t [Tok],
) -> Result<DumptypePart<'t>, ImportError> {
    if rest.len() > 1 {
        let t = &rest[1];
        return Err(src.syntax(t.line, t.col, "write HOST DISK [DEVICE] { on one line"));
    }
    let device = rest.first().map(|t| word(src, t, "a device")).transpose()?;
    let section = conf.section(src, name, loc.clone(), body, true)?;
    Ok(DumptypePart {
        device,
        name: "inline".to_string(),
        section,
        tail: after,
    })
}

/// `HOST DISK [DEVICE] DUMPTYPE`: a dumptype defined in amanda.conf.
fn named_dumptype<'t>(
    src: &SourceText,
    conf: &Conf,
    disk_tok: &Tok,
    disk: &str,
    rest: &'t [Tok],
) -> Result<DumptypePart<'t>, ImportError> {
    let second_is_name = rest
        .get(1)
        .is_some_and(|t| matches!(t.kind, TokKind::Word(_) | TokKind::Str(_)));
    let (device, dt, tail) = if second_is_name {
        (Some(word(src, &rest[0], "a device")?), &rest[1], &rest[2..])
    } else if let Some(dt) = rest.first() {
        (None, dt, &rest[1..])
    } else {
        return Err(src.syntax(
            disk_tok.line,
            disk_tok.col + disk.chars().count() + 1,
            "a dumptype is expected after the disk: HOST DISK DUMPTYPE, or { ... }",
        ));
    };
    let name = word(src, dt, "a dumptype name")?;
    let Some(sec) = conf.dumptypes.get(&name.to_ascii_lowercase()) else {
        return Err(src.syntax(
            dt.line,
            dt.col,
            format!("dumptype {name} is not defined in amanda.conf"),
        ));
    };
    Ok(DumptypePart {
        device,
        name,
        section: sec.clone(),
        tail,
    })
}

/// `[spindle [interface]]` after the dumptype; nothing may follow.
fn spindle_and_interface(
    src: &SourceText,
    tail: &[Tok],
) -> Result<(i32, Option<String>), ImportError> {
    let spindle = match tail.first() {
        None => -1,
        Some(Tok {
            kind: TokKind::Int(i),
            ..
        }) if i32::try_from(*i).is_ok() => *i as i32,
        Some(t) => {
            return Err(src.syntax(
                t.line,
                t.col,
                format!("a spindle number is expected here, not `{}`", t.text()),
            ));
        }
    };
    let interface = tail
        .get(1)
        .map(|t| word(src, t, "an interface name"))
        .transpose()?;
    if let Some(t) = tail.get(2) {
        return Err(src.syntax(
            t.line,
            t.col,
            format!("`{}` after the interface: an entry ends there", t.text()),
        ));
    }
    Ok((spindle, interface))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "define dumptype comp-user {\n  maxdumps 2\n}\n";

    fn entries(text: &str) -> Result<Vec<Entry>, ImportError> {
        let mut conf = Conf::parse(&SourceText::inline("amanda.conf", CONF)).unwrap();
        parse(&SourceText::inline("disklist", text), &mut conf)
    }

    #[test]
    fn every_form_of_entry() {
        let e = entries(
            "salty sd0g comp-user\n\
             master sd0a comp-user -1 local\n\
             hosta /diskA/all /diskA comp-user 1\n\
             slowsrv /usr {\n  comp-user\n  compress server fast\n} 2 le0\n\
             \"www1\" \"/var/spool mail\" comp-user # quoted names\n",
        )
        .unwrap();
        assert_eq!(e.len(), 5);
        assert_eq!(
            (e[0].host.as_str(), e[0].disk.as_str(), e[0].spindle),
            ("salty", "sd0g", -1)
        );
        assert_eq!(e[1].interface.as_deref(), Some("local"));
        assert_eq!(e[2].device.as_deref(), Some("/diskA"));
        assert_eq!(e[2].spindle, 1);
        assert_eq!(e[3].dumptype_name, "inline");
        assert_eq!(e[3].dumptype.params["maxdumps"].int("m").unwrap(), 2);
        assert_eq!((e[3].spindle, e[3].interface.as_deref()), (2, Some("le0")));
        assert_eq!(e[4].disk, "/var/spool mail");
    }

    #[test]
    fn errors_point_at_the_bad_token() {
        let e = entries("www1 / nosuch\n").unwrap_err().to_string();
        assert!(
            e.starts_with("disklist:1:8: dumptype nosuch is not defined"),
            "{e}"
        );
        let e = entries("www1 /\n").unwrap_err().to_string();
        assert!(e.starts_with("disklist:1:8: a dumptype is expected"), "{e}");
        let e = entries("www1 / comp-user 1.5\n").unwrap_err().to_string();
        assert!(e.starts_with("disklist:1:18: a spindle number"), "{e}");
        let e = entries("www1 / comp-user 1 le0 x\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("disklist:1:24: `x` after the interface"),
            "{e}"
        );
    }
}
