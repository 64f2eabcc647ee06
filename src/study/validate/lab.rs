//! Real runs for `validate --real N`: the lab harness (`lab/portsim-lab.sh run`), once per run,
//! and reading captured run directories back (`--from`).
//!
//! The harness needs root, network namespaces and minutes per run (README, "The lab"); it
//! renders the scenario itself with `portsim lab-config`, so the real run and the simulated
//! nights start from the same file. Each run's directory keeps the rendered scenario in
//! `config/scenario.json`, which [`read_run`] compares with the scenario being validated.

use super::RealRun;
use crate::amanda::log::{self, ReadOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a real run could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The harness failed or refused.
    #[error("lab run {run}: `{cmd}` exited with {code}: {hint}")]
    Harness {
        /// Which run (1-based).
        run: usize,
        /// The command.
        cmd: String,
        /// Its exit code.
        code: String,
        /// What that code means.
        hint: &'static str,
    },
    /// The harness could not be started.
    #[error("lab: cannot start {cmd}: {source}")]
    Spawn {
        /// The command.
        cmd: String,
        /// Why.
        source: std::io::Error,
    },
    /// A run's logs could not be read.
    #[error("{0}")]
    Log(#[from] log::LogError),
}

/// Runs the harness `n` times on `scenario` (with `sets`), into `out_root/run-K`, and reads
/// each run back. `harness` is the script; `progress` is told of each run.
pub fn run_real(
    harness: &Path,
    scenario: &Path,
    sets: &[String],
    n: usize,
    out_root: &Path,
    mut progress: impl FnMut(usize, &Path),
) -> Result<Vec<PathBuf>, LabError> {
    let mut dirs = Vec::new();
    for k in 1..=n {
        let out = out_root.join(format!("run-{k}"));
        progress(k, &out);
        let mut cmd = Command::new(harness);
        cmd.arg("run").arg(scenario).arg(&out);
        for s in sets {
            cmd.arg("--set").arg(s);
        }
        let shown = format!("{cmd:?}");
        let status = cmd.status().map_err(|source| LabError::Spawn {
            cmd: shown.clone(),
            source,
        })?;
        if !status.success() {
            let hint = match status.code() {
                Some(2) => "the lab cannot express this scenario (see the harness's message)",
                Some(3) => "needs root and the lab's packages (`lab/portsim-lab.sh install`)",
                _ => "the lab itself failed (setup or a bounded wait); see its stderr",
            };
            return Err(LabError::Harness {
                run: k,
                cmd: shown,
                code: status.code().map_or("a signal".into(), |c| c.to_string()),
                hint,
            });
        }
        dirs.push(out);
    }
    Ok(dirs)
}

/// Reads a captured run directory; `scenario` is the validated scenario's file as loaded
/// (`Scenario::file` as JSON), compared with the run's `config/scenario.json` when it has one.
pub fn read_run(dir: &Path, scenario: &serde_json::Value) -> Result<RealRun, LabError> {
    let night = log::read(&[dir.to_path_buf()], ReadOptions::default())?;
    let rendered = dir.join("config").join("scenario.json");
    let same_scenario = std::fs::read_to_string(&rendered)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .map(|v| same_site(&v, scenario));
    Ok(RealRun {
        dir: dir.display().to_string(),
        night,
        same_scenario,
    })
}

/// Whether two scenario files describe the same site (names and descriptions aside).
fn same_site(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    let strip = |v: &serde_json::Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            for k in ["name", "description", "expect", "seed"] {
                m.remove(k);
            }
        }
        v
    };
    strip(a) == strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_do_not_make_another_site() {
        let a = json!({"name": "a", "server": {"inparallel": 15}});
        let b = json!({"name": "b", "server": {"inparallel": 15}});
        let c = json!({"name": "a", "server": {"inparallel": 14}});
        assert!(same_site(&a, &b));
        assert!(!same_site(&a, &c));
    }
}
