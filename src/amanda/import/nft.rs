//! `nft -j list ruleset`: the JSON form of an nftables ruleset (libnftables-json(5)). Base
//! chains of type filter give their hook and policy; rules' match expressions on addresses,
//! ports, interfaces and `ct state` are read; named sets are expanded.

use super::fw::{Chain, FwRule, Hook, L4, Ruleset, Verdict};
use super::source::{ImportError, Loc, SourceText, Warning};
use super::zones::Cidr;
use serde_json::Value;

/// Byte offsets of the elements of the top-level `nftables` array.
fn element_offsets(text: &str) -> Vec<usize> {
    let (mut depth, mut in_str, mut esc, mut expecting) = (0usize, false, false, false);
    let mut out = Vec::new();
    for (i, c) in text.bytes().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        let start = |out: &mut Vec<usize>, expecting: &mut bool| {
            if depth == 2 && *expecting {
                out.push(i);
                *expecting = false;
            }
        };
        match c {
            b'"' => {
                start(&mut out, &mut expecting);
                in_str = true;
            }
            b'{' | b'[' => {
                start(&mut out, &mut expecting);
                depth += 1;
                if depth == 2 && c == b'[' {
                    expecting = true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 2 => expecting = true,
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' => {}
            _ => start(&mut out, &mut expecting),
        }
    }
    out
}

/// A named set's elements.
struct NamedSet {
    name: String,
    table: String,
    elems: Vec<Value>,
}

/// Parses the JSON ruleset.
pub fn parse(src: &SourceText) -> Result<Ruleset, ImportError> {
    let root: Value = serde_json::from_str(&src.text).map_err(|e| {
        src.syntax(
            e.line().max(1),
            e.column().max(1),
            format!("not valid JSON: {e}"),
        )
    })?;
    let Some(items) = root.get("nftables").and_then(Value::as_array) else {
        return Err(src.syntax(
            1,
            1,
            "expected {\"nftables\": [...]}, the output of `nft -j list ruleset`",
        ));
    };
    let offsets = element_offsets(&src.text);
    let mut cx = Cx {
        src,
        offsets,
        sets: Vec::new(),
        helper_object: None,
        amanda_helpers: Vec::new(),
        helper_set: false,
    };
    cx.declarations(items);
    let mut rs = Ruleset {
        dialect: "nft".into(),
        ..Ruleset::default()
    };
    for (k, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            let l = cx.loc_of(k);
            return Err(src.syntax(l.line, l.col, "each element of \"nftables\" is an object"));
        };
        if let Some(c) = obj.get("chain") {
            rs.chains.push(cx.chain(k, c)?);
        }
        if let Some(r) = obj.get("rule") {
            cx.rule(k, r, &mut rs)?;
        }
    }
    if cx.helper_set {
        rs.helper = cx.helper_object;
    }
    Ok(rs)
}

/// What the parse knows across elements: where they are, named sets, the amanda helper.
struct Cx<'a> {
    src: &'a SourceText,
    offsets: Vec<usize>,
    sets: Vec<NamedSet>,
    /// Where a `ct helper` object of type amanda is declared.
    helper_object: Option<Loc>,
    /// The names of those objects.
    amanda_helpers: Vec<String>,
    /// Some rule attaches one of them.
    helper_set: bool,
}

/// A string field of a JSON object, or "".
fn field<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

impl Cx<'_> {
    /// Where element `k` starts.
    fn loc_of(&self, k: usize) -> Loc {
        let (l, c) = self.src.line_col(self.offsets.get(k).copied().unwrap_or(0));
        self.src.loc(l, c)
    }

    /// Named sets and `ct helper` objects, which rules may use before they appear.
    fn declarations(&mut self, items: &[Value]) {
        for (k, item) in items.iter().enumerate() {
            if let Some(s) = item.get("set") {
                self.sets.push(NamedSet {
                    name: field(s, "name").to_string(),
                    table: field(s, "table").to_string(),
                    elems: match s.get("elem") {
                        Some(Value::Array(a)) => a.clone(),
                        _ => Vec::new(),
                    },
                });
            }
            if let Some(h) = item.get("ct helper")
                && h.get("type").and_then(Value::as_str) == Some("amanda")
            {
                self.helper_object = Some(self.loc_of(k));
                if let Some(n) = h.get("name").and_then(Value::as_str) {
                    self.amanda_helpers.push(n.to_string());
                }
            }
        }
    }

    /// A chain: base chains of type filter in the ip and inet families get a hook and policy.
    fn chain(&self, k: usize, c: &Value) -> Result<Chain, ImportError> {
        let family = field(c, "family");
        let Some(name) = c.get("name").and_then(Value::as_str) else {
            let l = self.loc_of(k);
            return Err(self.src.syntax(l.line, l.col, "a chain without a \"name\""));
        };
        let table = field(c, "table");
        let filter = c.get("type").and_then(Value::as_str) == Some("filter");
        let hook = match (filter, family, c.get("hook").and_then(Value::as_str)) {
            (true, "ip" | "inet", Some("input")) => Some(Hook::Input),
            (true, "ip" | "inet", Some("forward")) => Some(Hook::Forward),
            (true, "ip" | "inet", Some("output")) => Some(Hook::Output),
            _ => None,
        };
        let policy = hook.map(|_| match c.get("policy").and_then(Value::as_str) {
            Some("drop") => Verdict::Drop,
            _ => Verdict::Accept,
        });
        Ok(Chain {
            name: format!("{family} {table} {name}"),
            hook,
            policy,
            rules: Vec::new(),
            loc: self.loc_of(k),
        })
    }

    /// A rule: its expressions up to the verdict, added to its chain.
    fn rule(&mut self, k: usize, r: &Value, rs: &mut Ruleset) -> Result<(), ImportError> {
        let src = self.src;
        let l = self.loc_of(k);
        let (family, table) = (field(r, "family"), field(r, "table"));
        let Some(chain) = r.get("chain").and_then(Value::as_str) else {
            return Err(src.syntax(l.line, l.col, "a rule without a \"chain\""));
        };
        let key = format!("{family} {table} {chain}");
        let Some(exprs) = r.get("expr").and_then(Value::as_array) else {
            return Err(src.syntax(l.line, l.col, "a rule without an \"expr\" list"));
        };
        let handle = r.get("handle").and_then(Value::as_u64).unwrap_or(0);
        let mut rule = FwRule::new(l.clone());
        rule.name = r
            .get("comment")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| Some(format!("{chain}#{handle}")));
        let label = format!("rule handle {handle} in chain {chain}");
        let (decided, sets_helper) = self.exprs(&l, exprs, table, &mut rule)?;
        if !family.is_empty() && family != "ip" && family != "inet" {
            return Ok(());
        }
        if !decided && sets_helper {
            return Ok(());
        }
        if !decided {
            rs.warnings.push(Warning {
                loc: l,
                msg: format!("{label} has no verdict (it only counts or logs); ignored"),
            });
            return Ok(());
        }
        for u in &mut rule.unmappable {
            *u = format!("{label}: {u}");
        }
        let Some(ch) = rs.chains.iter_mut().find(|c| c.name == key) else {
            return Err(src.syntax(
                l.line,
                l.col,
                format!("{label}: chain {chain} is not declared before it"),
            ));
        };
        ch.rules.push(rule);
        Ok(())
    }

    /// Reads a rule's expressions into it, up to its verdict; says whether it has a verdict
    /// and whether it attaches the amanda helper.
    fn exprs(
        &mut self,
        l: &Loc,
        exprs: &[Value],
        table: &str,
        rule: &mut FwRule,
    ) -> Result<(bool, bool), ImportError> {
        let mut sets_helper = false;
        for e in exprs {
            if self.attaches_helper(e) {
                self.helper_set = true;
                sets_helper = true;
                continue;
            }
            if let Some(v) = verdict(e) {
                rule.verdict = v;
                return Ok((true, sets_helper));
            }
            expr(self.src, l, e, table, &self.sets, rule)?;
        }
        Ok((false, sets_helper))
    }

    /// `ct helper set "NAME"` with an amanda helper: nft 1.0 prints {"ct helper": "NAME"};
    /// older releases a mangle of the ct helper key.
    fn attaches_helper(&self, e: &Value) -> bool {
        let named = e.get("ct helper").and_then(Value::as_str);
        let mangled = e
            .get("mangle")
            .and_then(|m| m.get("key"))
            .and_then(|k| k.get("ct"))
            .and_then(|c| c.get("key"))
            .and_then(Value::as_str)
            == Some("helper");
        mangled || named.is_some_and(|n| self.amanda_helpers.iter().any(|h| h == n))
    }
}

fn verdict(e: &Value) -> Option<Verdict> {
    let o = e.as_object()?;
    if o.contains_key("accept") {
        return Some(Verdict::Accept);
    }
    if o.contains_key("drop") {
        return Some(Verdict::Drop);
    }
    if o.contains_key("reject") {
        return Some(Verdict::Reject);
    }
    if o.contains_key("return") {
        return Some(Verdict::Return);
    }
    for k in ["jump", "goto"] {
        if let Some(t) = o
            .get(k)
            .and_then(|j| j.get("target"))
            .and_then(Value::as_str)
        {
            return Some(Verdict::Jump(t.to_string()));
        }
    }
    None
}

/// The values a match's right-hand side stands for: a literal, an anonymous set, a named set.
fn values(right: &Value, table: &str, sets: &[NamedSet]) -> Vec<Value> {
    match right {
        Value::Object(o) if o.contains_key("set") => match &o["set"] {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        },
        Value::Array(a) => a.clone(),
        Value::String(s) if s.starts_with('@') => sets
            .iter()
            .find(|n| n.name == s[1..] && (n.table == table || n.table.is_empty()))
            .map(|n| n.elems.clone())
            .unwrap_or_default(),
        other => vec![other.clone()],
    }
}

fn expr(
    src: &SourceText,
    l: &Loc,
    e: &Value,
    table: &str,
    sets: &[NamedSet],
    r: &mut FwRule,
) -> Result<(), ImportError> {
    let bad = |msg: String| src.syntax(l.line, l.col, msg);
    let Some(obj) = e.as_object() else {
        return Err(bad("an expression is a JSON object".into()));
    };
    if obj.contains_key("counter") || obj.contains_key("log") {
        return Ok(());
    }
    let Some(m) = obj.get("match") else {
        let k = obj.keys().next().cloned().unwrap_or_default();
        r.unmappable.push(format!("statement {k}"));
        return Ok(());
    };
    let op = m.get("op").and_then(Value::as_str).unwrap_or("==");
    let (Some(left), Some(right)) = (m.get("left"), m.get("right")) else {
        return Err(bad("a match needs \"left\" and \"right\"".into()));
    };
    if op != "==" && op != "in" {
        r.unmappable.push(format!("match with op {op}"));
        return Ok(());
    }
    let vals = values(right, table, sets);
    if let Some(p) = left.get("payload") {
        return payload(&bad, p, &vals, r);
    }
    if let Some(k) = left
        .get("meta")
        .and_then(|m| m.get("key"))
        .and_then(Value::as_str)
    {
        meta(k, &vals, r);
        return Ok(());
    }
    if left
        .get("ct")
        .and_then(|c| c.get("key"))
        .and_then(Value::as_str)
        == Some("state")
    {
        let states: Vec<String> = vals
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect();
        r.states = Some(states);
        return Ok(());
    }
    r.unmappable.push(format!("match on {left}"));
    Ok(())
}

/// A match on a packet field: addresses, the protocol, ports.
fn payload(
    bad: &dyn Fn(String) -> ImportError,
    p: &Value,
    vals: &[Value],
    r: &mut FwRule,
) -> Result<(), ImportError> {
    let proto = field(p, "protocol");
    let field = field(p, "field");
    match (proto, field) {
        ("ip", "saddr") => r.src = addresses(bad, vals, r)?,
        ("ip", "daddr") => r.dst = addresses(bad, vals, r)?,
        ("ip", "protocol") => set_proto(r, vals),
        ("ip6", _) => r.unmappable.push("an IPv6 match".into()),
        ("udp" | "tcp" | "th", "sport" | "dport") => {
            if proto != "th" {
                set_proto(r, &[Value::String(proto.into())]);
            }
            let ranges = vals
                .iter()
                .map(|v| port(v).ok_or_else(|| bad(format!("{v} is not a port or port range"))))
                .collect::<Result<Vec<_>, _>>()?;
            if field == "sport" {
                r.sport = ranges;
            } else {
                r.dport = ranges;
            }
        }
        _ => r.unmappable.push(format!("match on {proto} {field}")),
    }
    Ok(())
}

/// IPv4 addresses and prefixes; other values (ranges, IPv6) cannot be mapped.
fn addresses(
    bad: &dyn Fn(String) -> ImportError,
    vals: &[Value],
    r: &mut FwRule,
) -> Result<Vec<Cidr>, ImportError> {
    let mut nets = Vec::new();
    for v in vals {
        match net(v) {
            Some(c) => nets.push(c),
            None => {
                if v.is_string() || v.get("prefix").is_some() {
                    return Err(bad(format!("{v} is not an IPv4 address or prefix")));
                }
                r.unmappable.push(format!("address match {v}"));
            }
        }
    }
    Ok(nets)
}

/// A match on packet metadata: the protocol, interfaces, the family.
fn meta(k: &str, vals: &[Value], r: &mut FwRule) {
    match k {
        "l4proto" => set_proto(r, vals),
        "iifname" | "iif" | "oifname" | "oif" => {
            let name = vals.first().and_then(Value::as_str).map(str::to_string);
            if vals.len() != 1 || name.is_none() {
                r.unmappable.push(format!("{k} in a set"));
            } else if k.starts_with('i') {
                r.iif = name;
            } else {
                r.oif = name;
            }
        }
        "nfproto" => {
            if vals.iter().any(|v| v.as_str() == Some("ipv6")) {
                r.unmappable.push("an IPv6-only rule".into());
            }
        }
        other => r.unmappable.push(format!("meta {other}")),
    }
}

fn set_proto(r: &mut FwRule, vals: &[Value]) {
    let names: Vec<String> = vals
        .iter()
        .map(|v| match v {
            Value::Number(n) => match n.as_u64() {
                Some(6) => "tcp".into(),
                Some(17) => "udp".into(),
                _ => n.to_string(),
            },
            other => other.as_str().unwrap_or("").to_ascii_lowercase(),
        })
        .collect();
    r.proto = L4::from_names(&names);
}

fn net(v: &Value) -> Option<Cidr> {
    match v {
        Value::String(s) => Cidr::parse(s),
        Value::Object(o) => {
            let p = o.get("prefix")?;
            let addr = p.get("addr")?.as_str()?;
            let len = p.get("len")?.as_u64()?;
            Cidr::parse(&format!("{addr}/{len}"))
        }
        _ => None,
    }
}

fn port(v: &Value) -> Option<(u16, u16)> {
    let one = |x: &Value| x.as_u64().and_then(|p| u16::try_from(p).ok());
    match v {
        Value::Number(_) => one(v).map(|p| (p, p)),
        Value::Object(o) => {
            let r = o.get("range")?.as_array()?;
            let (lo, hi) = (one(r.first()?)?, one(r.get(1)?)?);
            (lo <= hi).then_some((lo, hi))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_find_each_element() {
        let t = r#"{"nftables": [{"a": [1, {"b": 2}]}, "x", {"c": "]"}]}"#;
        let o = element_offsets(t);
        assert_eq!(o.len(), 3);
        assert_eq!(&t[o[1]..o[1] + 3], "\"x\"");
        assert_eq!(&t[o[2]..o[2] + 2], "{\"");
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse(&SourceText::inline(
            "n.json",
            "{\"nftables\": [\n  {\"rule\": }\n]}",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("n.json:2:12: not valid JSON"), "{e}");
        let e = parse(&SourceText::inline("n.json", "{\"x\": 1}"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("n.json:1:1: expected {\"nftables\""), "{e}");
    }
}
