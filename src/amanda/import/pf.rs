//! A subset of OpenBSD pf.conf: macros, `table <name> { ... }`, `set timeout`, and `pass`/`block`
//! rules (`in`/`out`, `quick`, `on IF`, `proto`, `from ... port ... to ... port ...`,
//! `keep state`/`no state`). pf evaluates last-match-wins unless `quick`; the rules are
//! reordered into the scenario's first-match order: quick rules in order, then the others in
//! reverse. pf's default is pass.

use super::fw::{Chain, FwRule, Hook, L4, Ruleset, Verdict};
use super::source::{ImportError, SourceText, Warning};
use super::zones::Cidr;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
struct T {
    s: String,
    col: usize,
}

fn lex(src: &SourceText, line: usize, raw: &str) -> Result<Vec<T>, ImportError> {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            break;
        }
        if c == '"' {
            let start = i + 1;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += 1;
            }
            if i >= chars.len() {
                return Err(src.syntax(line, col, "unterminated quote"));
            }
            out.push(T {
                s: chars[start..i].iter().collect(),
                col,
            });
            i += 1;
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        if matches!(two.as_str(), "!=" | "<=" | ">=" | "><" | "<>") {
            out.push(T { s: two, col });
            i += 2;
            continue;
        }
        if c == '<' {
            let start = i;
            while i < chars.len() && chars[i] != '>' {
                i += 1;
            }
            if i >= chars.len() {
                return Err(src.syntax(line, col, "a table name needs its closing `>`"));
            }
            i += 1;
            out.push(T {
                s: chars[start..i].iter().collect(),
                col,
            });
            continue;
        }
        if "{}(),!=<>".contains(c) {
            out.push(T {
                s: c.to_string(),
                col,
            });
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && !"{}(),!=<>#\"".contains(chars[i]) {
            i += 1;
        }
        out.push(T {
            s: chars[start..i].iter().collect(),
            col,
        });
    }
    Ok(out)
}

struct P<'a> {
    src: &'a SourceText,
    line: usize,
    t: Vec<T>,
    i: usize,
    end_col: usize,
}

impl P<'_> {
    fn peek(&self) -> Option<&str> {
        self.t.get(self.i).map(|t| t.s.as_str())
    }
    fn col(&self) -> usize {
        self.t.get(self.i).map_or(self.end_col, |t| t.col)
    }
    fn next(&mut self, what: &str) -> Result<T, ImportError> {
        let t = self.t.get(self.i).cloned().ok_or_else(|| {
            self.src.syntax(
                self.line,
                self.end_col,
                format!("{what} expected at the end of the line"),
            )
        })?;
        self.i += 1;
        Ok(t)
    }
    fn err(&self, msg: impl Into<String>) -> ImportError {
        self.src.syntax(self.line, self.col(), msg)
    }
    fn eat(&mut self, s: &str) -> bool {
        if self.peek() == Some(s) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// A single item or a `{ a, b c }` list.
    fn list(&mut self, what: &str) -> Result<Vec<T>, ImportError> {
        if self.eat("{") {
            let mut out = Vec::new();
            loop {
                let t = self.next(&format!("`}}` closing the {what} list"))?;
                match t.s.as_str() {
                    "}" => return Ok(out),
                    "," => {}
                    _ => out.push(t),
                }
            }
        }
        Ok(vec![self.next(what)?])
    }
}

fn port_item(p: &mut P, r: &mut FwRule) -> Result<Vec<(u16, u16)>, ImportError> {
    let num = |p: &P, t: &T| -> Result<u16, ImportError> {
        match t.s.as_str() {
            "amanda" => Ok(10080),
            s => s.parse().map_err(|_| {
                p.src
                    .syntax(p.line, t.col, format!("`{s}` is not a port number"))
            }),
        }
    };
    let op = p.peek().map(str::to_string);
    match op.as_deref() {
        Some("=") => {
            p.i += 1;
            let t = p.next("a port")?;
            let v = num(p, &t)?;
            Ok(vec![(v, v)])
        }
        Some("!=") | Some("<") | Some(">") | Some("<=") | Some(">=") => {
            p.i += 1;
            let t = p.next("a port")?;
            let v = num(p, &t)?;
            Ok(match op.as_deref() {
                Some("<") if v > 0 => vec![(0, v - 1)],
                Some("<=") => vec![(0, v)],
                Some(">") if v < u16::MAX => vec![(v + 1, u16::MAX)],
                Some(">=") => vec![(v, u16::MAX)],
                _ => {
                    r.unmappable
                        .push(format!("port {} {v}", op.unwrap_or_default()));
                    Vec::new()
                }
            })
        }
        _ => {
            let mut out = Vec::new();
            for t in p.list("port")? {
                if let Some((a, b)) = t.s.split_once(':') {
                    let lo = num(
                        p,
                        &T {
                            s: a.into(),
                            col: t.col,
                        },
                    )?;
                    let hi = num(
                        p,
                        &T {
                            s: b.into(),
                            col: t.col,
                        },
                    )?;
                    if lo > hi {
                        return Err(p.src.syntax(p.line, t.col, "a port range reads LOW:HIGH"));
                    }
                    out.push((lo, hi));
                } else {
                    let lo = num(p, &t)?;
                    if p.peek() == Some("><") || p.peek() == Some("<>") {
                        let o = p.next("an operator")?;
                        let hi_t = p.next("a port")?;
                        let hi = num(p, &hi_t)?;
                        if o.s == "><" && lo < hi.saturating_sub(1) {
                            out.push((lo + 1, hi - 1));
                        } else {
                            r.unmappable.push(format!("port {lo} {} {hi}", o.s));
                        }
                    } else {
                        out.push((lo, lo));
                    }
                }
            }
            Ok(out)
        }
    }
}

fn addrs(
    p: &mut P,
    tables: &BTreeMap<String, Vec<Cidr>>,
    r: &mut FwRule,
) -> Result<Option<Vec<Cidr>>, ImportError> {
    if p.eat("any") {
        return Ok(None);
    }
    if p.eat("!") {
        r.unmappable.push("a negated address".into());
    }
    let mut out = Vec::new();
    for t in p.list("address")? {
        if t.s == "!" {
            r.unmappable.push("a negated address".into());
            continue;
        }
        if t.s == "any" {
            return Ok(None);
        }
        if let Some(name) = t.s.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
            let Some(nets) = tables.get(name) else {
                return Err(p.src.syntax(
                    p.line,
                    t.col,
                    format!("table <{name}> is not defined above"),
                ));
            };
            out.extend(nets.iter().copied());
            continue;
        }
        if t.s.contains(':') && t.s.parse::<std::net::Ipv6Addr>().is_ok() {
            r.unmappable.push("an IPv6 address".into());
            continue;
        }
        match Cidr::parse(&t.s) {
            Some(c) => out.push(c),
            None if t.s == "self" || t.s.contains(":network") || t.s.starts_with('(') => {
                r.unmappable.push(format!("address {}", t.s));
            }
            None => {
                return Err(p.src.syntax(
                    p.line,
                    t.col,
                    format!("`{}` is not an address, network or <table>", t.s),
                ));
            }
        }
    }
    Ok(Some(out))
}

/// Joins `\`-continued lines; each logical line keeps its first physical line's number.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut cont = false;
    for (i, raw) in text.lines().enumerate() {
        let (body, more) = match raw.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (raw, false),
        };
        if cont && let Some(last) = out.last_mut() {
            last.1.push(' ');
            last.1.push_str(body);
        } else {
            out.push((i + 1, body.to_string()));
        }
        cont = more;
    }
    out
}

/// Parses pf.conf.
pub fn parse(src: &SourceText) -> Result<Ruleset, ImportError> {
    let mut rs = Ruleset {
        dialect: "pf".into(),
        ..Ruleset::default()
    };
    let mut macros: BTreeMap<String, String> = BTreeMap::new();
    let mut tables: BTreeMap<String, Vec<Cidr>> = BTreeMap::new();
    let mut quick = Vec::new();
    let mut last = Vec::new();
    for (n, raw) in logical_lines(&src.text) {
        let toks = lex(src, n, &raw)?;
        if toks.is_empty() {
            continue;
        }
        // Macro definition: name = "value".
        if toks.len() >= 3 && toks[1].s == "=" && !toks[0].s.contains('$') {
            let value = toks[2..]
                .iter()
                .map(|t| t.s.clone())
                .collect::<Vec<_>>()
                .join(" ");
            macros.insert(toks[0].s.clone(), value);
            continue;
        }
        let mut p = P {
            src,
            line: n,
            t: expand_macros(src, n, toks, &macros)?,
            i: 0,
            end_col: raw.chars().count() + 1,
        };
        let head = p.next("a keyword")?;
        match head.s.as_str() {
            "table" => {
                let (name, nets) = table(&mut p, &mut rs)?;
                tables.insert(name, nets);
            }
            "set" => set(&mut p, &mut rs)?,
            "pass" | "block" => {
                let (r, is_quick) = pass_or_block(&mut p, &head, &tables)?;
                if is_quick {
                    quick.push(r);
                } else {
                    last.push(r);
                }
            }
            "scrub" | "match" | "antispoof" | "nat" | "rdr" | "binat" | "anchor" | "load"
            | "altq" | "queue" => {
                rs.warnings.push(Warning {
                    loc: src.loc(n, head.col),
                    msg: format!("`{}` rules are not modelled; ignored", head.s),
                });
            }
            other => {
                return Err(src.syntax(
                    n,
                    head.col,
                    format!(
                        "`{other}`: a pf.conf line starts with a macro, table, set, pass or block"
                    ),
                ));
            }
        }
    }
    if !last.is_empty() {
        rs.notes
            .push("pf: quick rules first, then the others in reverse (last match wins)".into());
    }
    last.reverse();
    quick.extend(last);
    rs.chains.push(Chain {
        name: "pf".into(),
        hook: Some(Hook::Forward),
        policy: Some(Verdict::Accept),
        rules: quick,
        loc: src.loc(1, 1),
    });
    Ok(rs)
}

/// Expands `$macros` (a macro's tokens take the column of its use).
fn expand_macros(
    src: &SourceText,
    n: usize,
    toks: Vec<T>,
    macros: &BTreeMap<String, String>,
) -> Result<Vec<T>, ImportError> {
    let mut t = Vec::new();
    for tok in toks {
        if let Some(name) = tok.s.strip_prefix('$') {
            let Some(v) = macros.get(name) else {
                return Err(src.syntax(n, tok.col, format!("macro ${name} is not defined above")));
            };
            for mut x in lex(src, n, v)? {
                x.col = tok.col;
                t.push(x);
            }
        } else {
            t.push(tok);
        }
    }
    Ok(t)
}

/// `table <name> [persist|const|counters] { addresses }`; a table loaded from a file is empty.
fn table(p: &mut P, rs: &mut Ruleset) -> Result<(String, Vec<Cidr>), ImportError> {
    let (src, n) = (p.src, p.line);
    let name_t = p.next("a <name>")?;
    let Some(name) = name_t.s.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return Err(src.syntax(n, name_t.col, "write table <name> { addresses }"));
    };
    while matches!(p.peek(), Some("persist" | "const" | "counters")) {
        p.i += 1;
    }
    let mut nets = Vec::new();
    if p.peek() == Some("{") {
        for a in p.list("address")? {
            nets.push(Cidr::parse(&a.s).ok_or_else(|| {
                src.syntax(
                    n,
                    a.col,
                    format!("`{}` is not an IPv4 address or network", a.s),
                )
            })?);
        }
    } else if p.peek().is_some() {
        rs.warnings.push(Warning {
            loc: src.loc(n, p.col()),
            msg: format!("table <{name}> loads its addresses from elsewhere; taken as empty"),
        });
    }
    Ok((name.to_string(), nets))
}

/// `set timeout NAME SECONDS` or `set timeout { NAME SECONDS, ... }`; other options are
/// of no interest.
fn set(p: &mut P, rs: &mut Ruleset) -> Result<(), ImportError> {
    let (src, n) = (p.src, p.line);
    if !p.eat("timeout") {
        return Ok(());
    }
    let items = if p.peek() == Some("{") {
        p.list("timeout")?
    } else {
        vec![p.next("a timeout name")?, p.next("seconds")?]
    };
    for pair in items.chunks(2) {
        let [name, secs] = pair else {
            return Err(src.syntax(n, pair[0].col, "set timeout NAME SECONDS"));
        };
        let v: f64 = secs.s.parse().map_err(|_| {
            src.syntax(
                n,
                secs.col,
                format!("`{}` is not a number of seconds", secs.s),
            )
        })?;
        rs.timeouts.push((name.s.clone(), v, src.loc(n, name.col)));
    }
    Ok(())
}

/// The parts of a `pass`/`block` rule that are not the rule's match: direction, quick, iface.
#[derive(Default)]
struct Head {
    dir: Option<String>,
    quick: bool,
    iface: Option<String>,
}

/// A `pass` or `block` rule, and whether it is `quick`.
fn pass_or_block(
    p: &mut P,
    head: &T,
    tables: &BTreeMap<String, Vec<Cidr>>,
) -> Result<(FwRule, bool), ImportError> {
    let mut r = FwRule::new(p.src.loc(p.line, head.col));
    r.verdict = if head.s == "pass" {
        Verdict::Accept
    } else {
        Verdict::Drop
    };
    r.keep_state = head.s == "pass";
    if head.s == "block" {
        if p.eat("return") || p.eat("return-icmp") || p.eat("return-rst") {
            r.verdict = Verdict::Reject;
        } else {
            p.eat("drop");
        }
    }
    let mut h = Head::default();
    while let Some(word) = p.peek().map(str::to_string) {
        rule_option(p, &word, &mut h, &mut r, tables)?;
    }
    match h.dir.as_deref() {
        Some("out") => r.oif = h.iface,
        _ => r.iif = h.iface,
    }
    Ok((r, h.quick))
}

/// One option of a `pass`/`block` rule, by its keyword.
fn rule_option(
    p: &mut P,
    word: &str,
    h: &mut Head,
    r: &mut FwRule,
    tables: &BTreeMap<String, Vec<Cidr>>,
) -> Result<(), ImportError> {
    match word {
        "in" | "out" => h.dir = Some(p.next("")?.s),
        "log" | "inet" | "all" => p.i += 1,
        "quick" => {
            p.i += 1;
            h.quick = true;
        }
        "on" => {
            p.i += 1;
            h.iface = Some(p.next("an interface")?.s);
        }
        "inet6" => {
            p.i += 1;
            r.unmappable.push("an IPv6 rule".into());
        }
        "proto" => {
            p.i += 1;
            let ps: Vec<String> = p.list("protocol")?.into_iter().map(|t| t.s).collect();
            r.proto = L4::from_names(&ps);
        }
        "from" => from_to(p, r, tables)?,
        "keep" | "modulate" | "synproxy" | "no" => state_option(p, r)?,
        "flags" => {
            p.i += 1;
            let f = p.next("TCP flags (S/SA)")?;
            r.unmappable.push(format!(
                "flags {}: a match on TCP flags, which the model does not carry",
                f.s
            ));
        }
        "label" | "tag" | "tagged" => {
            let k = p.next("")?.s;
            let v = p.next("a value")?.s;
            if k == "label" {
                r.name = Some(v);
            } else {
                r.unmappable.push(format!("{k} {v}"));
            }
        }
        other => {
            return Err(p.err(format!(
                "`{other}` is not part of the pf rules portsim reads"
            )));
        }
    }
    Ok(())
}

/// `from SRC [port P] to DST [port P]`.
fn from_to(
    p: &mut P,
    r: &mut FwRule,
    tables: &BTreeMap<String, Vec<Cidr>>,
) -> Result<(), ImportError> {
    p.i += 1;
    if let Some(a) = addrs(p, tables, r)? {
        r.src = a;
    }
    if p.eat("port") {
        r.sport = port_item(p, r)?;
    }
    if !p.eat("to") {
        return Err(p.err("`to` is expected after the source"));
    }
    if let Some(a) = addrs(p, tables, r)? {
        r.dst = a;
    }
    if p.eat("port") {
        r.dport = port_item(p, r)?;
    }
    Ok(())
}

/// `keep state [(options)]`, `modulate state`, `synproxy state`, `no state`.
fn state_option(p: &mut P, r: &mut FwRule) -> Result<(), ImportError> {
    if p.eat("no") {
        if !p.eat("state") {
            return Err(p.err("`state` is expected after `no`"));
        }
        r.keep_state = false;
        return Ok(());
    }
    p.i += 1;
    if !p.eat("state") {
        return Err(p.err("`state` is expected"));
    }
    r.keep_state = true;
    if p.peek() == Some("(") {
        while let Ok(t) = p.next("`)`") {
            if t.s == ")" {
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_match_becomes_first_match() {
        let rs = parse(&SourceText::inline(
            "pf.conf",
            "dmz = \"192.0.2.0/24\"\nset timeout { udp.first 60, udp.single 30, udp.multiple 60 }\n\
             block all\npass quick proto udp from $dmz port 10080 to 10.1.0.5 port 850:859 no state\n\
             pass proto tcp from 10.1.0.0/24 to $dmz\n",
        ))
        .unwrap();
        let r = &rs.chains[0].rules;
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].dport, vec![(850, 859)]);
        assert!(!r[0].keep_state);
        assert_eq!(r[1].proto, L4::Tcp);
        assert!(r[1].keep_state);
        assert_eq!(r[2].verdict, Verdict::Drop);
        assert_eq!(rs.timeouts.len(), 3);
    }

    #[test]
    fn errors_point_at_the_token() {
        let e = parse(&SourceText::inline(
            "pf.conf",
            "pass from 10.0.0.1 port 10080 10.0.0.2\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("pf.conf:1:31: `to` is expected"), "{e}");
        let e = parse(&SourceText::inline("pf.conf", "pass from $nope to any\n"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("pf.conf:1:11: macro $nope"), "{e}");
        let e = parse(&SourceText::inline("pf.conf", "allow all\n"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("pf.conf:1:1: `allow`"), "{e}");
    }
}
