//! Writing files so that an interrupted run leaves nothing half-written.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Replaces directory `dir` with one holding exactly `files` (name, bytes): built beside it under a
/// temporary name, then swapped in by renames, so a reader never sees half a report.
pub fn write_dir_atomic(dir: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = dir
        .file_name()
        .ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory name")
        })?
        .to_string_lossy()
        .into_owned();
    let pid = std::process::id();
    let fresh = parent.join(format!(".{name}.tmp{pid}"));
    let old = parent.join(format!(".{name}.old{pid}"));
    let _ = std::fs::remove_dir_all(&fresh);
    let built = (|| {
        std::fs::create_dir(&fresh)?;
        for (file, bytes) in files {
            let mut f = std::fs::File::create(fresh.join(file))?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        Ok(())
    })();
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(e);
    }
    let had_old = dir.exists();
    if had_old {
        std::fs::rename(dir, &old)?;
    }
    if let Err(e) = std::fs::rename(&fresh, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(e);
    }
    if had_old {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}
