//! Emitters: a validated scenario as the text a site types in — `amanda.conf` lines, the 2.x
//! configure flag, the disklist, `/etc/services` lines, and the firewall as an nft ruleset, an
//! `iptables-save` file or a pf.conf subset.
//!
//! Every renderer is a pure function of a [`Scenario`] (and, for firewalls, an [`Addressing`] and
//! a [`Placement`]). A scenario setting with no equivalent in the target is an
//! [`EmitError::Unsupported`] naming the scenario field and why, never a silent omission.

pub mod addr;
pub mod apply;
pub mod conf;
pub mod fw;
pub mod iptables;
pub mod lab;
pub mod nft;
pub mod pf;

pub use addr::Addressing;
pub use fw::Placement;

use crate::scenario::Scenario;
use serde::Serialize;

/// Why a scenario could not be rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// A scenario setting the target cannot express.
    #[error("{field}: {target} cannot express it: {why}")]
    Unsupported {
        /// The scenario field (JSON path), e.g. `firewall.state.kind`.
        field: String,
        /// What was being written: `nft`, `iptables`, `pf`, `amanda.conf`, `the lab`.
        target: String,
        /// Why, and what would work instead.
        why: String,
    },
    /// An address given on the command line is wrong or names nothing.
    #[error("{arg}: {msg}")]
    Address {
        /// The argument as given (`--zone DMZ=...`).
        arg: String,
        /// What is wrong.
        msg: String,
    },
}

impl EmitError {
    /// An [`EmitError::Unsupported`] for `field` in `target`.
    pub fn unsupported(field: &str, target: &str, why: impl Into<String>) -> EmitError {
        EmitError::Unsupported {
            field: field.into(),
            target: target.into(),
            why: why.into(),
        }
    }
}

/// A firewall language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FwDialect {
    /// An `nft -f` ruleset.
    Nft,
    /// An `iptables-save` / `iptables-restore` file.
    Iptables,
    /// A pf.conf subset.
    Pf,
}

impl FwDialect {
    /// The dialect's name in errors and reports.
    pub fn name(self) -> &'static str {
        match self {
            FwDialect::Nft => "nft",
            FwDialect::Iptables => "iptables",
            FwDialect::Pf => "pf",
        }
    }
}

/// A rendered firewall: the ruleset and the host settings it relies on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FwText {
    /// The ruleset file.
    pub ruleset: String,
    /// `sysctl.conf` lines (conntrack timeouts and limits); empty when the defaults hold.
    pub sysctl: String,
    /// `/etc/modprobe.d` lines (the amanda helper's parameters); empty when the defaults hold.
    pub modprobe: String,
}

/// Renders the scenario's firewall in `dialect`.
pub fn firewall(
    sc: &Scenario,
    dialect: FwDialect,
    addr: &Addressing,
    placement: Placement,
) -> Result<FwText, EmitError> {
    let lowered = fw::lower(sc, addr, placement, dialect)?;
    match dialect {
        FwDialect::Nft => nft::render(sc, &lowered, addr),
        FwDialect::Iptables => iptables::render(sc, &lowered, addr),
        FwDialect::Pf => pf::render(sc, &lowered, addr),
    }
}

/// Whether the scenario's server is Amanda 3.x (the range is an amanda.conf setting there).
pub fn is_3x(sc: &Scenario) -> bool {
    let v = sc.file.server.version.trim();
    v == "3" || v.starts_with("3.")
}

#[cfg(test)]
mod tests;
