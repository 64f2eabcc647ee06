//! `portsim generate`: the scenario as loaded, written out with its `host_templates` replaced by
//! the hosts they make, for those who want the whole disklist in one file.

use super::args::ScenarioArgs;
use super::error::{CliError, Status};
use super::print::Printer;
use crate::output::write_output;
use clap::Args;
use std::path::PathBuf;

/// Options of `generate`.
#[derive(Debug, Args, Clone)]
pub struct GenerateArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Where to write the expanded scenario (JSON); `-` for standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// `portsim generate`: loads (templates expand and everything is validated), then writes the
/// file as loaded, its name given explicitly so that it runs as the same scenario anywhere.
pub fn cmd(args: &GenerateArgs, p: Printer) -> Result<Status, CliError> {
    let sc = args.scenario.load()?;
    let mut file = sc.file.clone();
    file.name = Some(sc.config.name.clone());
    let mut text = serde_json::to_string_pretty(&file).expect("a scenario serialises");
    text.push('\n');
    // A file portsim could not read back is no use: refuse it before writing anything.
    let limit = crate::scenario::text::MAX_BYTES;
    if text.len() as u64 > limit {
        return Err(CliError::arg(
            format!("-o {}", args.output.display()),
            format!(
                "the expanded scenario ({} hosts, {} DLEs) is {:.1} MiB, and a scenario file may be at most {} MiB, so it could not be read back: lower the templates' counts or disks, or run the scenario with its templates as it is",
                sc.hosts.len(),
                sc.dles.len(),
                text.len() as f64 / (1024.0 * 1024.0),
                limit / (1024 * 1024)
            ),
        ));
    }
    write_output(&args.output, text.as_bytes()).map_err(|e| CliError::write(&args.output, e))?;
    if args.output.as_os_str() != "-" {
        p.note(&format!(
            "portsim: generate: {} hosts, {} DLEs written to {}",
            sc.hosts.len(),
            sc.dles.len(),
            args.output.display()
        ));
    }
    Ok(Status::Ok)
}
