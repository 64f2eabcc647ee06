//! Jumps to user chains inlined: a chain as one first-match list.

use super::{Chain, FwRule, L4, Ruleset, Verdict};
use crate::amanda::import::source::Warning;

/// Merges a jump's conditions into a rule of the chain it jumps to; `None` when both constrain
/// the same field differently (the scenario cannot express the intersection).
fn merge(jump: &FwRule, r: &FwRule) -> Option<FwRule> {
    fn one<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Option<Vec<T>> {
        match (a.is_empty(), b.is_empty()) {
            (true, _) => Some(b.to_vec()),
            (_, true) => Some(a.to_vec()),
            _ if a == b => Some(a.to_vec()),
            _ => None,
        }
    }
    fn opt<T: Clone + PartialEq>(a: &Option<T>, b: &Option<T>) -> Option<Option<T>> {
        match (a, b) {
            (None, x) | (x, None) => Some(x.clone()),
            (Some(x), Some(y)) if x == y => Some(Some(x.clone())),
            _ => None,
        }
    }
    let proto = match (&jump.proto, &r.proto) {
        (L4::Any, p) | (p, L4::Any) => p.clone(),
        (a, b) if a == b => a.clone(),
        _ => return None,
    };
    let mut m = r.clone();
    m.proto = proto;
    m.src = one(&jump.src, &r.src)?;
    m.dst = one(&jump.dst, &r.dst)?;
    m.sport = one(&jump.sport, &r.sport)?;
    m.dport = one(&jump.dport, &r.dport)?;
    m.iif = opt(&jump.iif, &r.iif)?;
    m.oif = opt(&jump.oif, &r.oif)?;
    m.states = opt(&jump.states, &r.states)?;
    m.unmappable.extend(jump.unmappable.iter().cloned());
    Some(m)
}

impl Ruleset {
    /// Flattens a chain: jumps to user chains are replaced by that chain's rules.
    pub(super) fn flatten(
        &self,
        chain: &Chain,
        depth: usize,
        warnings: &mut Vec<Warning>,
    ) -> Vec<FwRule> {
        let mut out = Vec::new();
        for r in &chain.rules {
            match &r.verdict {
                Verdict::Jump(target) => {
                    let Some(sub) = self.chains.iter().find(|c| &c.name == target) else {
                        warnings.push(Warning {
                            loc: r.loc.clone(),
                            msg: format!(
                                "jump to chain {target}, which is not in the ruleset; rule skipped"
                            ),
                        });
                        continue;
                    };
                    if depth > 8 {
                        warnings.push(Warning {
                            loc: r.loc.clone(),
                            msg: "jumps nest more than 8 deep; rule skipped".into(),
                        });
                        continue;
                    }
                    for s in self.flatten(sub, depth + 1, warnings) {
                        if s.verdict == Verdict::Return {
                            if s.unconditional() {
                                break;
                            }
                            warnings.push(Warning {
                                loc: s.loc.clone(),
                                msg: "a conditional RETURN cannot be expressed as first-match rules; ignored".into(),
                            });
                            continue;
                        }
                        match merge(r, &s) {
                            Some(m) => out.push(m),
                            None => warnings.push(Warning {
                                loc: s.loc.clone(),
                                msg: format!(
                                    "reached through the jump at {}, whose conditions conflict with this rule's; skipped",
                                    r.loc.file_line()
                                ),
                            }),
                        }
                    }
                }
                _ => out.push(r.clone()),
            }
        }
        out
    }
}
