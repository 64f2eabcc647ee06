//! The scenario's `server` section: the Amanda version and its UDP range from the build, the
//! dumper parameters and timeouts from amanda.conf.

use super::Options;
use super::conf::{Conf, Param};
use super::provenance::{Prov, conf_int, param_err};
use super::source::{ImportError, SourceText};
use super::version::{self, Build};
use serde_json::{Value, json};

/// The `server` values, each read or defaulted (provenance says which).
pub(super) struct Server {
    pub(super) version: String,
    pub(super) udpportrange: Option<[u32; 2]>,
    pub(super) inparallel: i64,
    pub(super) dumporder: String,
    pub(super) netusage: i64,
    pub(super) ctimeout: i64,
    pub(super) dtimeout: i64,
    pub(super) etimeout: i64,
}

impl Server {
    /// Whether the version is 3.x, whose defaults and settings differ from 2.x's.
    pub(super) fn three(&self) -> bool {
        self.version.starts_with('3')
    }
}

/// Builds the `server` values from the version output and amanda.conf.
pub(super) fn server(
    opts: &Options,
    conf: &Conf,
    inputs: &mut Vec<String>,
    prov: &mut Prov,
) -> Result<Server, ImportError> {
    let (build, version_src) = match &opts.version_output {
        Some(p) => {
            let src = SourceText::read(p, "amadmin version output (--version-output)")?;
            inputs.push(src.path.display().to_string());
            (Some(version::parse(&src)?), Some(src))
        }
        None => (None, None),
    };
    let version = release(build.as_ref(), version_src.as_ref(), prov)?;
    let udpportrange = udpportrange(opts, conf, build.as_ref(), &version, prov)?;
    let (inparallel, ip_param) = conf_int(conf, "inparallel", "server.inparallel", 10, prov)?;
    if let Some(p) = ip_param
        && !(1..=63).contains(&inparallel)
    {
        return Err(param_err(
            p,
            format!("inparallel {inparallel}: Amanda allows 1 to 63"),
        ));
    }
    let dumporder = dumporder(conf, prov)?;
    let (netusage, nu_param) = conf_int(conf, "netusage", "server.netusage", 300, prov)?;
    if let Some(p) = nu_param
        && netusage <= 0
    {
        return Err(param_err(
            p,
            "netusage: a positive rate in KB/s is expected (e.g. 8000 Kbps)",
        ));
    }
    let (ctimeout, dtimeout, etimeout) = timeouts(conf, prov)?;
    Ok(Server {
        version,
        udpportrange,
        inparallel,
        dumporder,
        netusage,
        ctimeout,
        dtimeout,
        etimeout,
    })
}

/// The version profile for the release the build reports, or the schema's default.
fn release(
    build: Option<&Build>,
    version_src: Option<&SourceText>,
    prov: &mut Prov,
) -> Result<String, ImportError> {
    match build.and_then(|b| b.release.clone()) {
        Some((release, loc)) => {
            let Some((profile, note)) = version::profile_for(&release) else {
                let text = version_src
                    .map(|s| s.line_text(loc.line).to_string())
                    .unwrap_or_default();
                return Err(ImportError::Syntax {
                    text,
                    msg: format!("Amanda {release}: portsim models 2.4 to 3.x"),
                    loc,
                });
            };
            prov.read("server.version", json!(profile), loc.file_line());
            if let Some(n) = note {
                prov.guess("server.version", json!(profile), n);
            }
            Ok(profile)
        }
        None => {
            prov.guess(
                "server.version",
                json!("2.4"),
                "no --version-output: the schema's default; give `amadmin CONF version` output or --set server.version=...",
            );
            Ok("2.4".into())
        }
    }
}

/// A UDP range as amanda.conf sets it, with the parameter that sets it.
type ConfRange<'c> = ((u16, u16), &'c Param);

/// amanda.conf's `reserved-udp-port`, checked, with its parameter.
fn conf_range(conf: &Conf) -> Result<Option<ConfRange<'_>>, ImportError> {
    let Some(p) = conf.params.get("reserved-udp-port") else {
        return Ok(None);
    };
    let (lo, hi) = p.range("reserved-udp-port")?;
    let ok = |v: i64| (1..=65535).contains(&v);
    if !ok(lo) || !ok(hi) || lo > hi {
        return Err(param_err(
            p,
            "reserved-udp-port: two ports LOW,HIGH with LOW <= HIGH",
        ));
    }
    Ok(Some(((lo as u16, hi as u16), p)))
}

/// The UDP range: the flag, else 3.x's amanda.conf setting, else the compile-time range, else
/// 3.x's default; 2.x without a known range is taken as built without one.
fn udpportrange(
    opts: &Options,
    conf: &Conf,
    build: Option<&Build>,
    version: &str,
    prov: &mut Prov,
) -> Result<Option<[u32; 2]>, ImportError> {
    let three = version.starts_with('3');
    let conf_range = conf_range(conf)?;
    Ok(if let Some((lo, hi)) = opts.udpportrange {
        prov.read(
            "server.udpportrange",
            json!([lo, hi]),
            "--udpportrange".into(),
        );
        Some([lo.into(), hi.into()])
    } else if let Some(((lo, hi), p)) = conf_range.filter(|_| three) {
        prov.read("server.udpportrange", json!([lo, hi]), p.loc.file_line());
        Some([lo.into(), hi.into()])
    } else if let Some(((lo, hi), loc)) = build.and_then(|b| b.udpportrange.clone()) {
        if let Some((_, p)) = conf_range {
            prov.warn(
                p.loc.clone(),
                format!("reserved-udp-port is a 3.x setting; Amanda {version} uses its compile-time range {lo},{hi}"),
            );
        }
        prov.read("server.udpportrange", json!([lo, hi]), loc.file_line());
        Some([lo.into(), hi.into()])
    } else if three {
        prov.read(
            "server.udpportrange",
            json!([512, 1023]),
            "Amanda 3.x's default reserved-udp-port (not set, no configure range)".into(),
        );
        Some([512, 1023])
    } else {
        let loc = conf_range.map(|(_, p)| p.loc.clone());
        prov.guess(
            "server.udpportrange",
            Value::Null,
            "no --version-output or --udpportrange: taken as built without --with-udpportrange",
        );
        if let Some(l) = loc {
            prov.warn(
                l,
                "reserved-udp-port is a 3.x setting; 2.x uses only its compile-time range",
            );
        }
        None
    })
}

/// `dumporder`, checked letter by letter, or Amanda's default.
fn dumporder(conf: &Conf, prov: &mut Prov) -> Result<String, ImportError> {
    match conf.params.get("dumporder") {
        Some(p) => {
            let s = p.string("dumporder")?;
            if let Some(bad) = s.chars().find(|c| !"tTsSbB".contains(*c)) {
                return Err(param_err(
                    p,
                    format!("dumporder: `{bad}` is not one of t T s S b B"),
                ));
            }
            prov.read("server.dumporder", json!(s), p.loc.file_line());
            Ok(s)
        }
        None => {
            prov.read(
                "server.dumporder",
                json!("ttt"),
                "Amanda's default (dumporder is not set)".into(),
            );
            Ok("ttt".into())
        }
    }
}

/// `ctimeout`, `dtimeout` and `etimeout`, in that order.
fn timeouts(conf: &Conf, prov: &mut Prov) -> Result<(i64, i64, i64), ImportError> {
    let (ctimeout, _) = conf_int(conf, "ctimeout", "server.ctimeout", 30, prov)?;
    let (dtimeout, _) = conf_int(conf, "dtimeout", "server.dtimeout", 1800, prov)?;
    // Negative: a total per host, in the scenario as in amanda.conf.
    let (etimeout, _) = conf_int(conf, "etimeout", "server.etimeout", 300, prov)?;
    for (key, p) in [
        ("ctimeout", "server.ctimeout"),
        ("dtimeout", "server.dtimeout"),
    ] {
        if let Some(param) = conf.params.get(key)
            && param.int(key)? < 0
        {
            return Err(param_err(param, format!("{key}: seconds, 0 or more ({p})")));
        }
    }
    Ok((ctimeout, dtimeout, etimeout))
}

/// The workload's cycle in nights: `runspercycle` when set, else `dumpcycle` days; also
/// returns `dumpcycle` itself, which per-dumptype cycles are compared with.
pub(super) fn nights(conf: &Conf, prov: &mut Prov) -> Result<(i64, u32), ImportError> {
    let (dumpcycle_days, _) = conf_int(conf, "dumpcycle", "workload.dumpcycle", 10, prov)?;
    let runs = match conf.params.get("runspercycle") {
        Some(p) => p.int("runspercycle")?,
        None => 0,
    };
    let nights = if runs > 0 {
        runs
    } else {
        dumpcycle_days.max(1)
    };
    if runs > 0 {
        prov.read(
            "workload.dumpcycle",
            json!(nights),
            conf.params["runspercycle"].loc.file_line(),
        );
    } else if dumpcycle_days <= 0 {
        prov.guess(
            "workload.dumpcycle",
            json!(1),
            "dumpcycle 0: a full dump every run",
        );
    }
    Ok((
        dumpcycle_days,
        u32::try_from(nights.max(1)).unwrap_or(u32::MAX),
    ))
}
