//! A ruleset mapped onto the scenario's one first-match filter between zones: the chain chosen,
//! its rules flattened, each rule mapped (or skipped with a warning), state rules turned into
//! `firewall.state`, and lists expanded into one rule per combination.

use super::site::Side;
use super::{Chain, FwRule, Hook, L4, Mapped, Note, Ruleset, Site, Verdict};
use crate::amanda::import::source::Warning;
use crate::scenario::schema::{
    ActionFile, FirewallFile, PortsFile, ProtoFile, RuleFile, StateFile,
};

/// What the mapping has built so far.
struct Mapper<'a> {
    rs: &'a Ruleset,
    site: &'a Site<'a>,
    /// The chosen chain's hook: in INPUT every packet is for the server.
    hook: Hook,
    notes: Vec<Note>,
    warnings: Vec<Warning>,
    rules: Vec<RuleFile>,
    state: Option<StateFile>,
}

impl Ruleset {
    /// Maps the ruleset onto the site's zones.
    pub fn map(&self, site: &Site) -> Mapped {
        let mut warnings = self.warnings.clone();
        let (chosen, hook) = self.choose(&mut warnings);
        let mut m = Mapper {
            rs: self,
            site,
            hook,
            notes: Vec::new(),
            warnings,
            rules: Vec::new(),
            state: None,
        };
        let Some(chain) = chosen else {
            m.note(
                "firewall.default",
                serde_json::json!("accept"),
                format!(
                    "the {} ruleset filters nothing in INPUT or FORWARD",
                    self.dialect
                ),
            );
            return m.finish(ActionFile::Accept);
        };
        m.note(
            "firewall",
            serde_json::Value::String(chain.name.clone()),
            format!(
                "{}: chain {} is the filter between zones{}",
                chain.loc.file_line(),
                chain.name,
                if hook == Hook::Input {
                    " (INPUT: every packet is for the server)"
                } else {
                    ""
                }
            ),
        );
        let mut default = chain
            .policy
            .as_ref()
            .and_then(action)
            .unwrap_or(ActionFile::Accept);
        let mut flat = self.flatten(chain, 0, &mut m.warnings);
        // A final rule with no condition is the effective policy.
        if let Some(last) = flat.last()
            && last.unconditional()
            && let Some(a) = action(&last.verdict)
        {
            m.note(
                "firewall.default",
                serde_json::to_value(a).unwrap_or_default(),
                format!(
                    "{}: the last rule matches everything: it is the policy",
                    last.loc.file_line()
                ),
            );
            default = a;
            flat.pop();
        }
        for r in &flat {
            m.rule(r);
        }
        m.finish(default)
    }

    /// The chain that filters between zones (FORWARD when it filters anything, else INPUT),
    /// with a warning for every other chain that filters.
    fn choose(&self, warnings: &mut Vec<Warning>) -> (Option<&Chain>, Hook) {
        let base = |h: Hook| self.chains.iter().filter(move |c| c.hook == Some(h));
        let filters = |c: &&Chain| {
            !c.rules.is_empty() || c.policy.as_ref().is_some_and(|p| *p != Verdict::Accept)
        };
        let forward: Vec<&Chain> = base(Hook::Forward).filter(filters).collect();
        let input: Vec<&Chain> = base(Hook::Input).filter(filters).collect();
        let (chosen, hook) = match (forward.first(), input.first()) {
            (Some(c), _) => (Some(*c), Hook::Forward),
            (None, Some(c)) => (Some(*c), Hook::Input),
            _ => (None, Hook::Forward),
        };
        let extra_input = if hook == Hook::Input {
            &input[1..]
        } else {
            &[][..]
        };
        let mut warn = |c: &Chain, msg: String| {
            warnings.push(Warning {
                loc: c.loc.clone(),
                msg,
            })
        };
        for extra in forward.iter().skip(1).chain(extra_input) {
            warn(
                extra,
                format!(
                    "chain {} also filters; the scenario holds one filter, so only {} is mapped",
                    extra.name,
                    chosen.map_or("none", |c| c.name.as_str())
                ),
            );
        }
        if hook == Hook::Forward {
            for c in &input {
                warn(
                    c,
                    format!(
                        "chain {} filters packets for the firewall itself; the model's filter sits between zones, so it is not mapped",
                        c.name
                    ),
                );
            }
        }
        for c in base(Hook::Output).filter(filters) {
            warn(
                c,
                format!(
                    "chain {} filters what the firewall sends; not modelled",
                    c.name
                ),
            );
        }
        (chosen, hook)
    }
}

impl Mapper<'_> {
    fn note(&mut self, path: &str, value: serde_json::Value, why: String) {
        self.notes.push(Note {
            path: path.into(),
            value,
            why,
        });
    }

    fn skip(&mut self, r: &FwRule, why: String) {
        self.warnings.push(Warning {
            loc: r.loc.clone(),
            msg: format!("{why}; rule skipped"),
        });
    }

    fn finish(self, default: ActionFile) -> Mapped {
        Mapped {
            firewall: FirewallFile {
                default,
                rules: self.rules,
                state: self.state,
            },
            notes: self.notes,
            warnings: self.warnings,
        }
    }

    /// One flattened rule: mapped to scenario rules, taken as state, or skipped with a warning.
    fn rule(&mut self, r: &FwRule) {
        if !r.unmappable.is_empty() {
            self.skip(r, r.unmappable.join("; "));
            return;
        }
        let proto = match &r.proto {
            L4::Any => ProtoFile::Any,
            L4::Udp => ProtoFile::Udp,
            L4::Tcp => ProtoFile::Tcp,
            L4::Other(p) => {
                self.skip(
                    r,
                    format!("protocol {p}: the model carries only UDP and TCP"),
                );
                return;
            }
        };
        let Some(act) = action(&r.verdict) else {
            self.skip(r, "RETURN outside a user chain".into());
            return;
        };
        if let Some(states) = &r.states
            && self.state_rule(r, states, proto, act)
        {
            return;
        }
        let from = match self.site.side(&r.src, &r.iif, &mut self.notes, &r.loc) {
            Ok(s) => s,
            Err(e) => return self.skip(r, e),
        };
        let to = if self.hook == Hook::Input {
            Side::Names(vec!["server".into()])
        } else {
            match self.site.side(&r.dst, &r.oif, &mut self.notes, &r.loc) {
                Ok(s) => s,
                Err(e) => return self.skip(r, e),
            }
        };
        if r.keep_state && act == ActionFile::Accept && proto != ProtoFile::Tcp {
            self.pf_state(r, &from);
        }
        self.expand(r, act, proto, &from, &to);
    }

    /// A rule on connection states: ESTABLISHED replies accepted become `firewall.state`,
    /// INVALID ones are left out; true when the rule is consumed so. Other states are mapped
    /// as stateless rules, with a warning.
    fn state_rule(
        &mut self,
        r: &FwRule,
        states: &[String],
        proto: ProtoFile,
        act: ActionFile,
    ) -> bool {
        let replies = states.iter().all(|s| s == "established" || s == "related");
        if replies && act == ActionFile::Accept {
            if proto == ProtoFile::Tcp {
                self.note(
                    "firewall.state",
                    serde_json::Value::Null,
                    format!(
                        "{}: the state rule is TCP-only: UDP replies get no state; the model never filters TCP replies (its data connections go from server to client)",
                        r.loc.file_line()
                    ),
                );
            } else if self.state.is_none() {
                let helper = self.rs.helper.is_some();
                let kind = if helper {
                    "conntrack+helper"
                } else {
                    "conntrack"
                };
                self.note(
                    "firewall.state.kind",
                    serde_json::Value::String(kind.into()),
                    format!(
                        "{}: ESTABLISHED replies accepted: Linux conntrack assumed with a kernel 5.0 or later{}; its addresses and interfaces are not kept (the model's state admits replies of any flow the server's zone opened)",
                        r.loc.file_line(),
                        if helper { " and the amanda helper attached" } else { "" }
                    ),
                );
                self.state = Some(state_file(kind));
            }
            return true;
        }
        if states.iter().all(|s| s == "invalid") {
            self.note(
                "firewall.rules",
                serde_json::Value::Null,
                format!(
                    "{}: a rule for INVALID packets: the model sends none; left out",
                    r.loc.file_line()
                ),
            );
            return true;
        }
        self.warnings.push(Warning {
            loc: r.loc.clone(),
            msg: format!(
                "state {} cannot be expressed: mapped as a stateless rule, which also matches packets of established flows",
                states.join(",")
            ),
        });
        false
    }

    /// pf: the first non-TCP pass rule from the server's side that keeps state makes the
    /// scenario's state a pf state table, with the ruleset's `set timeout` values.
    fn pf_state(&mut self, r: &FwRule, from: &Side) {
        if self.state.is_some() {
            return;
        }
        let from_server = match from {
            Side::Any => true,
            Side::Names(n) => n
                .iter()
                .any(|n| n == "server" || n == self.site.server_zone),
        };
        if !from_server {
            return;
        }
        let mut s = state_file("pf");
        for (name, secs, loc) in &self.rs.timeouts {
            let slot = match name.as_str() {
                "udp.first" => &mut s.first_s,
                "udp.single" => &mut s.one_way_s,
                "udp.multiple" => &mut s.two_way_s,
                "tcp.established" => &mut s.tcp_s,
                _ => continue,
            };
            *slot = Some(*secs);
            self.notes.push(Note {
                path: "firewall.state".into(),
                value: serde_json::json!(secs),
                why: format!("{}: set timeout {name}", loc.file_line()),
            });
        }
        self.note(
            "firewall.state.kind",
            serde_json::Value::String("pf".into()),
            format!(
                "{}: a pass rule from the server's side keeps state (pf's default): replies of those flows pass",
                r.loc.file_line()
            ),
        );
        self.state = Some(s);
    }

    /// One scenario rule per (from, to, source ports, destination ports) combination, named
    /// after the rule (`NAME#k` when there are several).
    fn expand(&mut self, r: &FwRule, act: ActionFile, proto: ProtoFile, from: &Side, to: &Side) {
        let names = |s: &Side| match s {
            Side::Any => vec!["any".to_string()],
            Side::Names(n) => n.clone(),
        };
        let (froms, tos) = (names(from), names(to));
        let (sps, dps) = (ports(&r.sport), ports(&r.dport));
        let count = froms.len() * tos.len() * sps.len() * dps.len();
        let base_name = r.name.clone().unwrap_or_else(|| r.loc.file_line());
        let mut k = 0;
        for f in &froms {
            for t in &tos {
                for sp in &sps {
                    for dp in &dps {
                        k += 1;
                        self.rules.push(RuleFile {
                            name: Some(if count > 1 {
                                format!("{base_name}#{k}")
                            } else {
                                base_name.clone()
                            }),
                            action: act,
                            proto,
                            from: f.clone(),
                            to: t.clone(),
                            src_ports: *sp,
                            dst_ports: *dp,
                        });
                    }
                }
            }
        }
    }
}

/// The scenario's action for a terminal verdict.
fn action(v: &Verdict) -> Option<ActionFile> {
    match v {
        Verdict::Accept => Some(ActionFile::Accept),
        Verdict::Drop => Some(ActionFile::Drop),
        Verdict::Reject => Some(ActionFile::Reject),
        _ => None,
    }
}

/// Port ranges as the scenario writes them; none is one "any".
fn ports(r: &[(u16, u16)]) -> Vec<Option<PortsFile>> {
    if r.is_empty() {
        return vec![None];
    }
    r.iter()
        .map(|&(lo, hi)| {
            Some(if lo == hi {
                PortsFile::One(u32::from(lo))
            } else {
                PortsFile::Range([u32::from(lo), u32::from(hi)])
            })
        })
        .collect()
}

/// A state table of `kind` with the model's default timeouts.
fn state_file(kind: &str) -> StateFile {
    StateFile {
        kind: kind.into(),
        first_s: None,
        one_way_s: None,
        two_way_s: None,
        tcp_s: None,
        master_timeout_s: None,
        expect_timeout_s: None,
        max_entries: None,
        pf_multiple: None,
    }
}
