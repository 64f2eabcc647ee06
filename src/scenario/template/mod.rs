//! `host_templates`: many hosts alike, made at load, before validation, so that every command
//! sees them as if they were listed under `hosts`.
//!
//! ```json
//! "host_templates": [
//!   {"count": 120, "name": "lan-{i:03}", "zone": "LAN", "maxdumps": 2, "disks": 3,
//!    "full_gb": {"mean": 40, "sigma": 0.8}, "rate_mb_s": [5, 20], "estimate_s": 10}
//! ]
//! ```
//!
//! Each template appends `count` hosts after the listed ones, in template order, named by its
//! [`pattern`]. Every disk's `full_gb`, `rate_mb_s` and `estimate_s` is drawn from the scenario's
//! seed on stream [`HOST_TEMPLATES`] (replication 0: the site is the same every night), each
//! template and quantity from its own word position, in host then disk order: the same seed
//! makes the same hosts on any machine and thread count, raising a `count` adds hosts without
//! changing the others, and no other stream draws differently. Drawn values are rounded to
//! thousandths (1 MB, 1 ms), so that `portsim generate`'s JSON reads back to the very same
//! numbers.

mod pattern;

use super::load::InputError;
use super::schema::{DiskFile, DisksFile, DrawFile, HostFile, HostTemplateFile, ScenarioFile};
use crate::model::workload::{HOST_TEMPLATES, Spread};
use crate::sim::rng::{Stream, stream};
use pattern::Pattern;
use std::collections::HashMap;
use std::ops::Range;

/// Most hosts a scenario may have, listed and made together (the loader's limit on `hosts`).
pub const MAX_HOSTS: u64 = u16::MAX as u64;

/// Most DLEs hosts and templates may make together: twice the largest site the benchmarks run
/// (100k DLEs in about 120 MB), about what a 16 MiB file could list.
pub const MAX_DLES: u64 = 200_000;

/// Largest value a template may give or draw from: an exabyte, a petabyte a second, 30 years;
/// the night's own bounds (30 days, a terabyte a second) refuse far less.
pub const MAX_VALUE: f64 = 1e9;

/// Widest log-normal sigma, as `workload.jitter` allows.
pub const MAX_SIGMA: f64 = 2.0;

/// Where the hosts the templates made sit in `hosts`, to name the template in later errors.
#[derive(Debug, Default)]
pub struct Made {
    /// Per template that made hosts: its index and the indices of its hosts.
    spans: Vec<(usize, Range<usize>)>,
}

impl Made {
    /// Points an error about a made host (`hosts[140].disks[2].full_gb`) at its template
    /// (`host_templates[1].full_gb`), naming the host; other errors pass unchanged.
    pub fn locate(&self, e: InputError, origin_of: &dyn Fn(&str) -> String) -> InputError {
        let InputError::Invalid { origin, path, msg } = e else {
            return e;
        };
        let Some((k, rest)) = host_index(&path) else {
            return InputError::Invalid { origin, path, msg };
        };
        let Some((t, span)) = self.spans.iter().find(|(_, r)| r.contains(&k)) else {
            return InputError::Invalid { origin, path, msg };
        };
        // A disk's field is the template's field; a whole disk or host is the template.
        let field = match rest.strip_prefix(".disks[") {
            Some(d) => d.split_once(']').map_or("", |(_, f)| f),
            None => rest,
        };
        let path = format!("host_templates[{t}]{field}");
        InputError::Invalid {
            origin: origin_of(&path),
            msg: format!(
                "{msg} (in host {} of the {} this template makes)",
                k - span.start + 1,
                span.len()
            ),
            path,
        }
    }
}

/// `hosts[K]REST` as (K, REST).
fn host_index(path: &str) -> Option<(usize, &str)> {
    let rest = path.strip_prefix("hosts[")?;
    let (k, rest) = rest.split_once(']')?;
    Some((k.parse().ok()?, rest))
}

fn invalid(origin_of: &dyn Fn(&str) -> String, path: String, msg: String) -> InputError {
    InputError::Invalid {
        origin: origin_of(&path),
        path,
        msg,
    }
}

/// A template checked: its pattern, disk names and distributions.
struct Checked {
    pattern: Pattern,
    disks: Vec<String>,
    spreads: [Spread; 3],
}

/// Replaces `file.host_templates` by the hosts they make, appended to `file.hosts`.
pub fn expand(
    file: &mut ScenarioFile,
    origin_of: &dyn Fn(&str) -> String,
) -> Result<Made, InputError> {
    let templates = std::mem::take(&mut file.host_templates);
    let mut made = Made::default();
    if templates.is_empty() {
        return Ok(made);
    }
    let checked = templates
        .iter()
        .enumerate()
        .map(|(i, t)| check(i, t, origin_of))
        .collect::<Result<Vec<_>, _>>()?;
    sizes(file, &templates, &checked, origin_of)?;
    let mut owners: HashMap<String, String> = HashMap::new();
    for (k, h) in file.hosts.iter().enumerate() {
        owners
            .entry(h.name.clone())
            .or_insert_with(|| format!("hosts[{k}]"));
    }
    let base = stream(file.seed, 0, HOST_TEMPLATES);
    for (i, (t, c)) in templates.iter().zip(&checked).enumerate() {
        let start = file.hosts.len();
        let mut rngs: [Stream; 3] = std::array::from_fn(|q| {
            let mut s = base.clone();
            // 2^44 words per template and quantity: far more than MAX_DLES draws need.
            s.set_word_pos(((3 * i + q) as u128) << 44);
            s
        });
        for h in 0..u64::from(t.count) {
            let name = c.pattern.render(u64::from(t.first) + h);
            let at = format!("host_templates[{i}]");
            if let Some(owner) = owners.insert(name.clone(), at.clone()) {
                return Err(invalid(
                    origin_of,
                    format!("{at}.name"),
                    format!(
                        "{:?} makes host {name:?}, which {owner} already names: change the pattern or `first`",
                        t.name
                    ),
                ));
            }
            file.hosts.push(host(t, c, name, &mut rngs));
        }
        made.spans.push((i, start..file.hosts.len()));
    }
    Ok(made)
}

/// One made host, its disks drawn in order from the template's streams.
fn host(t: &HostTemplateFile, c: &Checked, name: String, rngs: &mut [Stream; 3]) -> HostFile {
    let [rs, rr, re] = rngs;
    let [fs, fr, fe] = c.spreads;
    let disks = c
        .disks
        .iter()
        .map(|d| DiskFile {
            name: d.clone(),
            // A size or rate must stay above 0 once rounded.
            full_gb: thousandths(fs.draw(rs)).max(0.001),
            rate_mb_s: thousandths(fr.draw(rr)).max(0.001),
            estimate_s: thousandths(fe.draw(re)),
            spindle: t.spindle,
        })
        .collect();
    HostFile {
        name,
        zone: t.zone.clone(),
        maxdumps: t.maxdumps,
        disks,
    }
}

/// `x` rounded to thousandths: n / 1000 with n below 2^53, which JSON writes and reads back
/// exactly (serde_json divides the integer by 10^3, one correctly rounded step).
pub fn thousandths(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A template's own fields, before any host is made.
fn check(
    i: usize,
    t: &HostTemplateFile,
    origin_of: &dyn Fn(&str) -> String,
) -> Result<Checked, InputError> {
    let at = format!("host_templates[{i}]");
    let fail = |field: &str, msg: String| Err(invalid(origin_of, format!("{at}.{field}"), msg));
    let pattern = match Pattern::parse(&t.name) {
        Ok(p) => p,
        Err(msg) => return fail("name", msg),
    };
    let disks: Vec<String> = match &t.disks {
        DisksFile::Count(n) => (1..=*n).map(|j| format!("/disk{j}")).collect(),
        DisksFile::Names(names) => names.clone(),
    };
    if disks.is_empty() {
        return fail(
            "disks",
            "each host needs at least one disk: a count (3) or names ([\"/\", \"/var\"])".into(),
        );
    }
    if let Some(j) =
        (0..disks.len()).find(|&j| disks[j].is_empty() || disks[..j].contains(&disks[j]))
    {
        return fail(
            &format!("disks[{j}]"),
            format!(
                "disk {:?} is empty or named twice: give each disk its own name",
                disks[j]
            ),
        );
    }
    let spreads = [
        spread(&at, "full_gb", t.full_gb, true, origin_of)?,
        spread(&at, "rate_mb_s", t.rate_mb_s, true, origin_of)?,
        spread(&at, "estimate_s", t.estimate_s, false, origin_of)?,
    ];
    Ok(Checked {
        pattern,
        disks,
        spreads,
    })
}

/// The distribution `d` of `field`; `positive`: its values must be above 0, else 0 or more.
fn spread(
    at: &str,
    field: &str,
    d: DrawFile,
    positive: bool,
    origin_of: &dyn Fn(&str) -> String,
) -> Result<Spread, InputError> {
    let ok =
        |x: f64| x.is_finite() && x <= MAX_VALUE && (if positive { x > 0.0 } else { x >= 0.0 });
    let range = if positive { "above 0" } else { "0 or more" };
    let (bad, how) = match d {
        DrawFile::Fixed(x) if ok(x) => return Ok(Spread::Fixed(x)),
        DrawFile::Fixed(x) => (format!("{x}"), "a number"),
        DrawFile::Uniform([lo, hi]) if ok(lo) && ok(hi) && lo <= hi => {
            return Ok(Spread::Uniform(lo, hi));
        }
        DrawFile::Uniform([lo, hi]) => (
            format!("[{lo}, {hi}]"),
            "[low, high] with low <= high, each",
        ),
        DrawFile::LogNormal(l) if ok(l.mean) && (0.0..=MAX_SIGMA).contains(&l.sigma) => {
            return Ok(Spread::LogNormal {
                mean: l.mean,
                sigma: l.sigma,
            });
        }
        DrawFile::LogNormal(l) => (
            format!("mean {} sigma {}", l.mean, l.sigma),
            "sigma 0 to 2 and a mean",
        ),
    };
    Err(invalid(
        origin_of,
        format!("{at}.{field}"),
        format!("{bad}: give {how} {range}, at most {MAX_VALUE:e}"),
    ))
}

/// The hosts and DLEs of the listed hosts and every template, within [`MAX_HOSTS`] and
/// [`MAX_DLES`], checked before any is made.
fn sizes(
    file: &ScenarioFile,
    templates: &[HostTemplateFile],
    checked: &[Checked],
    origin_of: &dyn Fn(&str) -> String,
) -> Result<(), InputError> {
    let mut hosts = file.hosts.len() as u64;
    let mut dles: u64 = file.hosts.iter().map(|h| h.disks.len() as u64).sum();
    for (i, (t, c)) in templates.iter().zip(checked).enumerate() {
        hosts += u64::from(t.count);
        dles += u64::from(t.count) * c.disks.len() as u64;
        if hosts > MAX_HOSTS || dles > MAX_DLES {
            return Err(invalid(
                origin_of,
                format!("host_templates[{i}].count"),
                format!(
                    "count {}: with the hosts before it that makes {hosts} hosts and {dles} DLEs; a scenario has at most {MAX_HOSTS} hosts and {MAX_DLES} DLEs: lower the count or the disks",
                    t.count
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
