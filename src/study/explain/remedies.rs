//! The same night under each remedy, transformed exactly as `compare` does.

use super::*;

pub(super) type RemedyNight = (RemedyKind, serde_json::Value, Result<RunResult, String>);

/// Night `rep` again under each remedy, transformed exactly as `compare` does.
pub(super) fn remedy_nights(
    source: &Source,
    sets: &[String],
    sc: &Scenario,
    rep: u64,
) -> Vec<RemedyNight> {
    let tree = crate::scenario::read(source);
    RemedyKind::ALL
        .iter()
        .map(|&kind| {
            let built = tree.as_ref().map_err(|e| e.to_string()).and_then(|tree| {
                compare::variants(source, tree, sets, sc.clone(), &[kind], &[])
                    .map_err(|e| e.to_string())
            });
            match built {
                Ok(mut vs) => {
                    let v = vs.pop().expect("the remedy's variant");
                    let params = v
                        .remedy
                        .as_ref()
                        .map_or(serde_json::Value::Null, |r| r.params.clone());
                    (kind, params, Ok(site::run(&v.sc, rep, false)))
                }
                Err(e) => (kind, serde_json::Value::Null, Err(e)),
            }
        })
        .collect()
}

pub(super) fn remedy_run(
    kind: RemedyKind,
    params: &serde_json::Value,
    r: Result<&RunResult, &String>,
    d: DleId,
) -> RemedyRun {
    let mut out = RemedyRun {
        remedy: kind.name(),
        params: params.clone(),
        not_applicable: None,
        fate: None,
        attempts: 0,
        failed_attempts: 0,
        dumper: None,
        port: None,
        done_at: None,
        night_lost: 0,
        clean: false,
    };
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            out.not_applicable = Some(e.clone());
            return out;
        }
    };
    let mine: Vec<&site::Attempt> = r.attempts.iter().filter(|a| a.dle == d).collect();
    let st = &r.dles[d.0 as usize];
    out.fate = st.fate;
    out.attempts = mine.len() as u32;
    out.failed_attempts = mine
        .iter()
        .filter(|a| a.outcome != Some(Outcome::Done))
        .count() as u32;
    out.dumper = mine.last().map(|a| a.dumper.0);
    out.port = mine.last().and_then(|a| a.port).map(|p| p.0);
    out.done_at = (st.fate == Some(DleFate::Dumped)).then_some(At(st.decided));
    out.night_lost = r
        .dles
        .iter()
        .filter(|x| x.fate != Some(DleFate::Dumped))
        .count();
    out.clean = st.fate == Some(DleFate::Dumped) && out.failed_attempts == 0;
    out
}
