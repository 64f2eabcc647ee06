//! The dumptypes' `auth` to the scenario's `server.auth`. Amanda sets the security driver per
//! dumptype; the scenario has one for the whole site (`bsdudp`: UDP requests and replies to the
//! dumper's port; `bsdtcp`: one TCP connection per client, Amanda 3.x). So: `bsd`/`bsdudp` are
//! UDP, `bsdtcp` TCP; a dumptype with no `auth` gets its release's default (conffile.c: BSDTCP
//! in 3.x, BSD in 2.x). Every DLE on TCP makes the site `bsdtcp` (when the release has it);
//! any DLE on UDP keeps `bsdudp`, the side the firewall's holes are for, and each TCP DLE is a
//! warning. Kinds the model has no transport for (`krb5`, `ssh`, `local`, ...) are warnings
//! naming file:line and follow the site's choice.

use super::disklist::Entry;
use super::provenance::Prov;
use super::source::{ImportError, Loc};
use crate::model::version::Version;
use crate::scenario::schema::AuthFile;
use serde_json::json;

/// One DLE's transport, and where it comes from.
pub(super) struct DleAuth {
    /// `host:disk`.
    name: String,
    /// UDP or TCP.
    kind: AuthFile,
    /// The `auth` line, or the disklist line when the release's default applies.
    loc: Loc,
    /// Whether it is the release's default (no `auth` in the dumptype).
    default: bool,
}

/// The DLE's transport; `None` (with a warning) for kinds the model cannot express.
pub(super) fn of(e: &Entry, three: bool, prov: &mut Prov) -> Result<Option<DleAuth>, ImportError> {
    let name = format!("{}:{}", e.host, e.disk);
    let Some(p) = e.dumptype.params.get("auth") else {
        let kind = if three {
            AuthFile::Bsdtcp
        } else {
            AuthFile::Bsdudp
        };
        return Ok(Some(DleAuth {
            name,
            kind,
            loc: e.loc.clone(),
            default: true,
        }));
    };
    let a = p.string("auth")?.to_ascii_lowercase();
    let kind = match a.as_str() {
        "bsd" | "bsdudp" => AuthFile::Bsdudp,
        "bsdtcp" => AuthFile::Bsdtcp,
        _ => {
            prov.warn(
                p.loc.clone(),
                format!(
                    "auth {a} (for {name}): the model carries only bsd/bsdudp (UDP) and bsdtcp (TCP); this DLE follows server.auth"
                ),
            );
            return Ok(None);
        }
    };
    Ok(Some(DleAuth {
        name,
        kind,
        loc: p.loc.clone(),
        default: false,
    }))
}

/// The site's `server.auth` from every DLE's; what it cannot say of a DLE is a warning.
pub(super) fn server_auth(dles: &[DleAuth], version: &str, prov: &mut Prov) -> AuthFile {
    let tcp: Vec<&DleAuth> = dles.iter().filter(|d| d.kind == AuthFile::Bsdtcp).collect();
    let udp = dles.len() - tcp.len();
    let has_tcp = Version::parse(version).is_some_and(|v| v.profile().planner_3x);
    let why = match (tcp.is_empty(), udp, has_tcp) {
        (true, _, _) => {
            let from = dles
                .iter()
                .find(|d| !d.default)
                .map_or("Amanda 2.x's default bsd".to_string(), |d| {
                    d.loc.file_line()
                });
            prov.read(
                "server.auth",
                json!("bsdudp"),
                format!("every DLE uses bsd/bsdudp ({from})"),
            );
            return AuthFile::Bsdudp;
        }
        (false, 0, true) => {
            let from = tcp.iter().find(|d| !d.default).map_or_else(
                || "Amanda 3.x's default: no dumptype sets auth".to_string(),
                |d| d.loc.file_line(),
            );
            prov.read(
                "server.auth",
                json!("bsdtcp"),
                format!("every DLE uses bsdtcp ({from})"),
            );
            return AuthFile::Bsdtcp;
        }
        (false, 0, false) => {
            format!("the model's bsdtcp is Amanda 3.4 and later's, not {version}'s")
        }
        (false, _, _) => {
            format!("{udp} other DLEs use UDP and the scenario has one auth for all hosts")
        }
    };
    for d in tcp {
        let head = if d.default {
            format!(
                "{}: its dumptype sets no auth, and Amanda 3.x then uses bsdtcp",
                d.name
            )
        } else {
            format!("auth bsdtcp (for {})", d.name)
        };
        prov.warn(d.loc.clone(), format!("{head}; {why}: modelled as bsdudp"));
    }
    prov.guess("server.auth", json!("bsdudp"), why);
    AuthFile::Bsdudp
}
