//! What applying a remedy changes at a site, as text to type: each of Amanda's files and the
//! firewall rendered before and after the remedy's scenario transform, and their unified diff.
//!
//! The transform itself is the caller's (remedies are scenario transforms owned by the study
//! layer); this module only compares two validated scenarios.

use super::{Addressing, EmitError, FwDialect, Placement, conf, firewall};
use crate::scenario::Scenario;
use serde::Serialize;

/// What `apply` prints: Amanda's files only, or those and the firewall in one dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// amanda.conf, configure flags, services.
    Amanda,
    /// Those, and the firewall as an nft ruleset.
    Nft,
    /// Those, and the firewall as an iptables-save file.
    Iptables,
    /// Those, and the firewall as pf.conf lines.
    Pf,
}

impl Dialect {
    /// The dialect's name, as `--dialect` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Amanda => "amanda",
            Dialect::Nft => "nft",
            Dialect::Iptables => "iptables",
            Dialect::Pf => "pf",
        }
    }

    /// The firewall dialect, if any.
    pub fn firewall(self) -> Option<FwDialect> {
        match self {
            Dialect::Amanda => None,
            Dialect::Nft => Some(FwDialect::Nft),
            Dialect::Iptables => Some(FwDialect::Iptables),
            Dialect::Pf => Some(FwDialect::Pf),
        }
    }
}

/// One file before and after.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    /// What it is: `amanda.conf`, `configure`, `services`, `nft`, `sysctl.conf`, ...
    pub name: String,
    /// Where it goes at the site.
    pub file: String,
    /// Rendered from the scenario as it is.
    pub before: String,
    /// Rendered from the remedied scenario.
    pub after: String,
    /// Unified diff, `before` to `after`; empty when unchanged.
    pub diff: String,
}

impl Section {
    fn new(name: &str, file: &str, before: String, after: String) -> Section {
        let diff = if before == after {
            String::new()
        } else {
            similar::TextDiff::from_lines(&before, &after)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("a/{}", file.trim_start_matches('/')),
                    &format!("b/{}", file.trim_start_matches('/')),
                )
                .to_string()
        };
        Section {
            name: name.into(),
            file: file.into(),
            before,
            after,
            diff,
        }
    }

    /// Whether the remedy changes this file.
    pub fn changed(&self) -> bool {
        !self.diff.is_empty()
    }
}

/// Everything a remedy changes at the site, section by section.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// The sections, Amanda's first.
    pub sections: Vec<Section>,
    /// Which addresses are placeholders.
    pub placeholders: Vec<String>,
}

/// How the firewall is rendered.
#[derive(Clone, Debug)]
pub struct FwOptions {
    /// The dialect printed.
    pub dialect: Dialect,
    /// Where the filter runs.
    pub placement: Placement,
    /// The site's base dumptype.
    pub base_dumptype: String,
}

/// Renders `before` and `after` (the remedied scenario) and compares them.
pub fn change(
    before: &Scenario,
    after: &Scenario,
    addr_before: &Addressing,
    addr_after: &Addressing,
    opt: &FwOptions,
) -> Result<Change, EmitError> {
    let mut sections = vec![Section::new(
        "amanda.conf",
        "amanda.conf",
        conf::amanda_conf(before, &opt.base_dumptype)?,
        conf::amanda_conf(after, &opt.base_dumptype)?,
    )];
    let flags = |sc: &Scenario| {
        let f = conf::configure_flags(sc);
        if f.is_empty() {
            String::new()
        } else {
            format!("./configure {}\n", f.join(" "))
        }
    };
    let (fb, fa) = (flags(before), flags(after));
    if !(fb.is_empty() && fa.is_empty()) {
        sections.push(Section::new("configure", "configure", fb, fa));
    }
    sections.push(Section::new(
        "services",
        "/etc/services",
        conf::services(before),
        conf::services(after),
    ));
    if let Some(d) = opt.dialect.firewall() {
        let b = firewall(before, d, addr_before, opt.placement)?;
        let a = firewall(after, d, addr_after, opt.placement)?;
        let file = match d {
            FwDialect::Nft => "portsim.nft",
            FwDialect::Iptables => "rules.v4",
            FwDialect::Pf => "pf.conf",
        };
        sections.push(Section::new(d.name(), file, b.ruleset, a.ruleset));
        if !(b.sysctl.is_empty() && a.sysctl.is_empty()) {
            sections.push(Section::new(
                "sysctl",
                "/etc/sysctl.d/portsim.conf",
                b.sysctl,
                a.sysctl,
            ));
        }
        if !(b.modprobe.is_empty() && a.modprobe.is_empty()) {
            sections.push(Section::new(
                "modprobe",
                "/etc/modprobe.d/portsim.conf",
                b.modprobe,
                a.modprobe,
            ));
        }
    }
    let mut placeholders = addr_after.placeholders.clone();
    if opt.dialect == Dialect::Amanda {
        placeholders.clear();
    }
    Ok(Change {
        sections,
        placeholders,
    })
}

impl Change {
    /// The change for people: each changed section's diff, and which are unchanged.
    pub fn text(&self) -> String {
        let mut o = String::new();
        for s in &self.sections {
            if s.changed() {
                o.push_str(&format!("== {} ({}) ==\n{}", s.name, s.file, s.diff));
            } else {
                o.push_str(&format!("== {} ({}): unchanged ==\n", s.name, s.file));
            }
        }
        if !self.placeholders.is_empty() {
            o.push_str("addresses:\n");
            for p in &self.placeholders {
                o.push_str(&format!("  {p}\n"));
            }
        }
        o
    }
}

/// The lines one file gains and loses, without context: what a report shows of a change.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct FileLines {
    /// What it is: `amanda.conf`, `configure`, `services`, `nft`, `sysctl`, ...
    pub name: String,
    /// Where it goes at the site.
    pub file: String,
    /// Lines taken out (comments left out).
    pub removed: Vec<String>,
    /// Lines put in (comments left out).
    pub added: Vec<String>,
}

/// What `portsim apply` changes at the site, as the lines each changed file gains and loses:
/// what the `compare` and `plan` reports show beside a remedy.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ApplyLines {
    /// The firewall's dialect the rules are written in.
    pub dialect: Dialect,
    /// Each changed file, Amanda's first; empty when no file can express the change.
    pub files: Vec<FileLines>,
    /// Why no file expresses it (a code patch), when none does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_expressible: Option<String>,
}

impl Section {
    /// The lines this file gains and loses, comments left out; None when it has neither.
    fn lines(&self) -> Option<FileLines> {
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        let diff = similar::TextDiff::from_lines(&self.before, &self.after);
        for op in diff.iter_all_changes() {
            let line = op.value().trim_end().to_string();
            if line.trim_start().starts_with('#') || line.trim().is_empty() {
                continue;
            }
            match op.tag() {
                similar::ChangeTag::Delete => removed.push(line),
                similar::ChangeTag::Insert => added.push(line),
                similar::ChangeTag::Equal => {}
            }
        }
        (!(removed.is_empty() && added.is_empty())).then(|| FileLines {
            name: self.name.clone(),
            file: self.file.clone(),
            removed,
            added,
        })
    }
}

/// What changing `before` into `after` asks of the site, in `dialect`, with placeholder
/// addresses and a router's filter (as `portsim apply` prints without address options).
pub fn lines(before: &Scenario, after: &Scenario, dialect: Dialect) -> ApplyLines {
    let addr = |sc: &Scenario| Addressing::new(sc, &super::addr::AddrArgs::default());
    let opt = FwOptions {
        dialect,
        placement: Placement::Router,
        base_dumptype: "global".into(),
    };
    let changed = addr(before)
        .and_then(|ab| addr(after).map(|aa| (ab, aa)))
        .and_then(|(ab, aa)| change(before, after, &ab, &aa, &opt));
    match changed {
        Ok(c) => ApplyLines {
            dialect,
            files: c.sections.iter().filter_map(Section::lines).collect(),
            not_expressible: None,
        },
        Err(e) => ApplyLines {
            dialect,
            files: Vec::new(),
            not_expressible: Some(e.to_string()),
        },
    }
}
