//! `iptables-save` output: `*table`, `:CHAIN POLICY [p:b]`, `-A CHAIN match... -j TARGET`,
//! `COMMIT`. The filter table's chains become a [`Ruleset`]; the raw table is read only for
//! `-j CT --helper amanda`.

use super::fw::{Chain, FwRule, Hook, L4, Ruleset, Verdict};
use super::source::{ImportError, SourceText, Warning};
use super::zones::Cidr;

/// A shell-like word and its column.
struct Word {
    text: String,
    col: usize,
}

/// Splits a line into words; double quotes group (iptables-save quotes comments that way).
fn words(src: &SourceText, line: usize, raw: &str) -> Result<Vec<Word>, ImportError> {
    let mut out = Vec::new();
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let col = i + 1;
        let mut text = String::new();
        while i < chars.len() && !chars[i].is_whitespace() {
            if chars[i] == '"' {
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        '\\' if i + 1 < chars.len() => {
                            text.push(chars[i + 1]);
                            i += 2;
                        }
                        c => {
                            text.push(c);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    return Err(src.syntax(line, col, "unterminated quote"));
                }
            } else {
                text.push(chars[i]);
                i += 1;
            }
        }
        out.push(Word { text, col });
    }
    Ok(out)
}

fn port_range(s: &str) -> Option<(u16, u16)> {
    match s.split_once(':') {
        Some((a, b)) => {
            let lo = if a.is_empty() { 0 } else { a.parse().ok()? };
            let hi = if b.is_empty() { 65535 } else { b.parse().ok()? };
            (lo <= hi).then_some((lo, hi))
        }
        None => s.parse().ok().map(|p| (p, p)),
    }
}

fn hook_of(chain: &str) -> Option<Hook> {
    match chain {
        "INPUT" => Some(Hook::Input),
        "FORWARD" => Some(Hook::Forward),
        "OUTPUT" => Some(Hook::Output),
        _ => None,
    }
}

/// Parses iptables-save output.
pub fn parse(src: &SourceText) -> Result<Ruleset, ImportError> {
    let mut rs = Ruleset {
        dialect: "iptables".into(),
        ..Ruleset::default()
    };
    let mut table: Option<String> = None;
    let mut seen_filter = false;
    for (i, raw) in src.text.lines().enumerate() {
        let n = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let col0 = raw.len() - raw.trim_start().len() + 1;
        if let Some(name) = t.strip_prefix('*') {
            if name.is_empty() {
                return Err(src.syntax(n, col0 + 1, "a table name is expected after `*`"));
            }
            table = Some(name.to_string());
            seen_filter |= name == "filter";
            continue;
        }
        if t == "COMMIT" {
            if table.take().is_none() {
                return Err(src.syntax(n, col0, "COMMIT outside a table"));
            }
            continue;
        }
        let Some(tb) = table.clone() else {
            return Err(src.syntax(
                n,
                col0,
                "a rule or chain before any `*table` line: this is not iptables-save output",
            ));
        };
        let line = Line { src, n, raw, col0 };
        if let Some(decl) = t.strip_prefix(':') {
            chain_decl(&line, decl, &tb, &mut rs)?;
        } else {
            append(&line, &tb, &mut rs)?;
        }
    }
    if table.is_some() {
        let n = src.text.lines().count().max(1);
        return Err(src.syntax(n, 1, "the last table has no COMMIT line"));
    }
    if !seen_filter {
        rs.warnings.push(Warning {
            loc: src.loc(1, 1),
            msg: "no *filter table: nothing is filtered".into(),
        });
    }
    Ok(rs)
}

/// One line of the file, with where its text starts.
struct Line<'a> {
    src: &'a SourceText,
    n: usize,
    raw: &'a str,
    col0: usize,
}

/// `:CHAIN POLICY [packets:bytes]`: a chain of the filter table, with its policy.
fn chain_decl(l: &Line, decl: &str, table: &str, rs: &mut Ruleset) -> Result<(), ImportError> {
    let (src, n, col0) = (l.src, l.n, l.col0);
    let mut parts = decl.split_whitespace();
    let name = parts.next().unwrap_or("");
    let pol = match parts.next() {
        Some("ACCEPT") => Some(Verdict::Accept),
        Some("DROP") => Some(Verdict::Drop),
        Some("-") => None,
        Some(p) => {
            let col = l.raw.find(p).map_or(col0, |b| b + 1);
            return Err(src.syntax(n, col, format!("policy {p}: ACCEPT, DROP or - is expected")));
        }
        None => {
            return Err(src.syntax(
                n,
                col0 + decl.len() + 1,
                "a policy is expected: :CHAIN POLICY [0:0]",
            ));
        }
    };
    if name.is_empty() {
        return Err(src.syntax(n, col0 + 1, "a chain name is expected after `:`"));
    }
    if table == "filter" {
        rs.chains.push(Chain {
            name: name.to_string(),
            hook: hook_of(name),
            policy: pol,
            rules: Vec::new(),
            loc: src.loc(n, col0),
        });
    }
    Ok(())
}

/// `-A CHAIN ...`: a rule, kept when it is in the filter table.
fn append(l: &Line, table: &str, rs: &mut Ruleset) -> Result<(), ImportError> {
    let (src, n, col0) = (l.src, l.n, l.col0);
    let w = words(src, n, l.raw)?;
    if w[0].text != "-A" && w[0].text != "--append" {
        return Err(src.syntax(
            n,
            w[0].col,
            format!(
                "`{}`: a line of iptables-save output starts with *, :, -A or COMMIT",
                w[0].text
            ),
        ));
    }
    let Some(chain_w) = w.get(1) else {
        return Err(src.syntax(n, col0 + 3, "-A needs a chain name"));
    };
    let Some(rule) = rule(src, n, &w[2..], rs)? else {
        return Ok(());
    };
    match table {
        "filter" => {
            let Some(chain) = rs.chains.iter_mut().find(|c| c.name == chain_w.text) else {
                return Err(src.syntax(
                    n,
                    chain_w.col,
                    format!(
                        "chain {} is not declared in *filter (`:{} - [0:0]`)",
                        chain_w.text, chain_w.text
                    ),
                ));
            };
            chain.rules.push(rule);
        }
        "nat" => rs.warnings.push(Warning {
            loc: src.loc(n, col0),
            msg: "a NAT rule: the model has no address translation; ignored".into(),
        }),
        _ => {}
    }
    Ok(())
}

/// The words of one `-A` line after the chain name, and where they are.
struct Opts<'a> {
    src: &'a SourceText,
    n: usize,
    w: &'a [Word],
}

impl<'a> Opts<'a> {
    /// The value after the option at `i`.
    fn value(&self, i: usize) -> Result<&'a Word, ImportError> {
        let opt = &self.w[i];
        self.w.get(i + 1).ok_or_else(|| {
            self.src.syntax(
                self.n,
                opt.col + opt.text.chars().count(),
                format!("{} needs a value", opt.text),
            )
        })
    }
}

/// What one option did: consumed some words, or ended the rule with its target.
enum Step {
    /// Go on after this many words.
    Next(usize),
    /// The target: a verdict, or `None` for targets that decide nothing (LOG, CT).
    Target(Option<Verdict>),
}

/// One `-A` line's matches and target; `None` for lines that decide nothing (LOG, counters, CT).
fn rule(
    src: &SourceText,
    n: usize,
    w: &[Word],
    rs: &mut Ruleset,
) -> Result<Option<FwRule>, ImportError> {
    let mut r = FwRule::new(src.loc(n, w.first().map_or(1, |x| x.col)));
    let o = Opts { src, n, w };
    let mut neg = false;
    let mut i = 0;
    while i < w.len() {
        let flag = w[i].text.as_str();
        if flag == "!" {
            neg = true;
            i += 1;
            continue;
        }
        if std::mem::take(&mut neg) {
            r.unmappable.push(format!("negated match `! {flag}`"));
        }
        match option(&o, i, &mut r, rs)? {
            Step::Next(k) => i += k,
            Step::Target(Some(v)) => {
                r.verdict = v;
                return Ok(Some(r));
            }
            Step::Target(None) => return Ok(None),
        }
    }
    rs.warnings.push(Warning {
        loc: r.loc.clone(),
        msg: "a rule with no target only counts packets; ignored".into(),
    });
    Ok(None)
}

/// The option at `i`, by kind.
fn option(o: &Opts, i: usize, r: &mut FwRule, rs: &mut Ruleset) -> Result<Step, ImportError> {
    let flag = o.w[i].text.as_str();
    match flag {
        "-s" | "--source" => r.src = addresses(o, i, r)?,
        "-d" | "--destination" => r.dst = addresses(o, i, r)?,
        "-p" | "--protocol" => r.proto = protocol(&o.value(i)?.text),
        "-i" | "--in-interface" => r.iif = Some(o.value(i)?.text.clone()),
        "-o" | "--out-interface" => r.oif = Some(o.value(i)?.text.clone()),
        "-m" | "--match" => match o.value(i)?.text.as_str() {
            "udp" | "tcp" | "state" | "conntrack" | "comment" | "multiport" | "limit" => {}
            other => r.unmappable.push(format!("match module {other}")),
        },
        "--sport" | "--source-port" | "--sports" | "--source-ports" => r.sport = ports(o, i)?,
        "--dport" | "--destination-port" | "--dports" | "--destination-ports" => {
            r.dport = ports(o, i)?
        }
        "--state" | "--ctstate" => {
            let v = o.value(i)?;
            r.states = Some(v.text.split(',').map(|s| s.to_ascii_lowercase()).collect());
        }
        "--comment" => r.name = Some(o.value(i)?.text.clone()),
        "--limit" | "--limit-burst" => {}
        "-j" | "--jump" | "-g" | "--goto" => return Ok(Step::Target(target(o, i, rs)?)),
        f if f.starts_with('-') => return Ok(Step::Next(module_option(o, i, r))),
        other => {
            return Err(o.src.syntax(
                o.n,
                o.w[i].col,
                format!("`{other}`: an option is expected here"),
            ));
        }
    }
    Ok(Step::Next(2))
}

/// `-s`/`-d` ADDR[,ADDR...]: IPv4 networks; IPv6 ones cannot be mapped.
fn addresses(o: &Opts, i: usize, r: &mut FwRule) -> Result<Vec<Cidr>, ImportError> {
    let v = o.value(i)?;
    let mut nets = Vec::new();
    for part in v.text.split(',') {
        if part.contains(':') {
            r.unmappable.push("an IPv6 address".into());
            continue;
        }
        nets.push(Cidr::parse(part).ok_or_else(|| {
            o.src
                .syntax(o.n, v.col, format!("`{part}` is not an address or network"))
        })?);
    }
    Ok(nets)
}

/// `-p PROTO`, by name or number.
fn protocol(p: &str) -> L4 {
    match p.to_ascii_lowercase().as_str() {
        "udp" | "17" => L4::Udp,
        "tcp" | "6" => L4::Tcp,
        "all" | "0" => L4::Any,
        p => L4::Other(p.to_string()),
    }
}

/// `--sport`/`--dports` PORT[,LOW:HIGH...].
fn ports(o: &Opts, i: usize) -> Result<Vec<(u16, u16)>, ImportError> {
    let v = o.value(i)?;
    v.text
        .split(',')
        .map(|part| {
            port_range(part).ok_or_else(|| {
                o.src.syntax(
                    o.n,
                    v.col,
                    format!("`{part}` is not a port or LOW:HIGH range"),
                )
            })
        })
        .collect()
}

/// `-j TARGET`: a verdict, a user chain, or `None` for targets that decide nothing.
fn target(o: &Opts, i: usize, rs: &mut Ruleset) -> Result<Option<Verdict>, ImportError> {
    let v = o.value(i)?;
    // Target options (--reject-with, --log-prefix, --helper) follow; only CT's helper matters.
    Ok(Some(match v.text.as_str() {
        "ACCEPT" => Verdict::Accept,
        "DROP" => Verdict::Drop,
        "REJECT" => Verdict::Reject,
        "RETURN" => Verdict::Return,
        "CT" => {
            let rest = &o.w[i..];
            if rest.iter().any(|x| x.text == "--helper") && rest.iter().any(|x| x.text == "amanda")
            {
                rs.helper = Some(o.src.loc(o.n, o.w[i].col));
            }
            return Ok(None);
        }
        chain if rs.chains.iter().any(|c| c.name == chain) => Verdict::Jump(chain.to_string()),
        t if t.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
            // LOG, NFLOG, MARK, ...: no effect on the verdict.
            rs.warnings.push(Warning {
                loc: o.src.loc(o.n, v.col),
                msg: format!("target {t} does not decide a packet's fate; ignored"),
            });
            return Ok(None);
        }
        chain => Verdict::Jump(chain.to_string()),
    }))
}

/// An option of some match module: it narrows the rule in a way the model cannot say; its
/// values (`--tcp-flags SYN,ACK SYN` has two) follow it. Returns how many words it takes.
fn module_option(o: &Opts, i: usize, r: &mut FwRule) -> usize {
    r.unmappable.push(format!("option {}", o.w[i].text));
    let mut k = 1;
    while o
        .w
        .get(i + k)
        .is_some_and(|x| !x.text.starts_with('-') && x.text != "!")
    {
        k += 1;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_filter_table() {
        let rs = parse(&SourceText::inline(
            "fw",
            "# Generated by iptables-save\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [3:120]\n:OUTPUT ACCEPT [0:0]\n\
             -A FORWARD -s 192.0.2.0/24 -d 10.1.0.5/32 -p udp -m udp --sport 10080 --dport 850:859 -m comment --comment \"amanda replies\" -j ACCEPT\n\
             -A FORWARD -p tcp -m state --state RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n",
        ))
        .unwrap();
        let fwd = rs.chains.iter().find(|c| c.name == "FORWARD").unwrap();
        assert_eq!(fwd.policy, Some(Verdict::Drop));
        let tcp = parse(&SourceText::inline(
            "fw",
            "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST,ACK SYN -m set --match-set lan src -j DROP\nCOMMIT\n",
        ))
        .unwrap();
        let r = &tcp.chains[0].rules[0];
        assert_eq!(
            r.unmappable,
            [
                "option --tcp-flags",
                "match module set",
                "option --match-set"
            ]
        );
        let r = &fwd.rules[0];
        assert_eq!(r.name.as_deref(), Some("amanda replies"));
        assert_eq!(
            (r.sport.clone(), r.dport.clone()),
            (vec![(10080, 10080)], vec![(850, 859)])
        );
        assert_eq!(r.proto, L4::Udp);
        assert_eq!(
            fwd.rules[1].states.as_deref(),
            Some(&["related".to_string(), "established".to_string()][..])
        );
    }

    #[test]
    fn errors_have_line_and_column() {
        let e = parse(&SourceText::inline(
            "fw",
            "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -s 10.0.0.300 -j ACCEPT\nCOMMIT\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("fw:3:15: `10.0.0.300` is not an address"),
            "{e}"
        );
        let e = parse(&SourceText::inline(
            "fw",
            "*filter\n:FORWARD DROP [0:0]\n-A NOPE -j ACCEPT\nCOMMIT\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("fw:3:4: chain NOPE is not declared"), "{e}");
        let e = parse(&SourceText::inline("fw", "*filter\n:FORWARD DROP [0:0]\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no COMMIT"), "{e}");
        let e = parse(&SourceText::inline("fw", "table inet filter {\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("fw:1:1: a rule or chain before any `*table`"),
            "{e}"
        );
    }
}
