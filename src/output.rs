//! Writing output files and report directories: nothing half-written after an interruption,
//! and nothing replaced or deleted that portsim did not write.
//!
//! - [`write_output`] writes a file the user named (`--trace`, `--junit`): `-` is standard
//!   output, otherwise as [`write_atomic`].
//! - [`write_atomic`] replaces a regular file through a temporary file and a rename, keeping its
//!   mode; a symbolic link is followed and its target replaced (the link stays a link); a FIFO, a
//!   character device or a link into `/proc` (`/dev/stdout`) is written in place, never
//!   replaced. A regular file with other hard links is written in place too, so that every name
//!   sees the new content.
//! - [`write_report_dir`] writes a report directory and records the files it wrote in a
//!   manifest, [`MANIFEST`]. It replaces only those files and refuses a non-empty directory that
//!   has no manifest, unless every file in it has a name the report writes.
//!
//! Temporary files are named `.NAME.tmpPID` beside their target; those a killed run left behind
//! (their process is gone) are removed by the next write of the same target, and so are the
//! `.DIR.tmpPID` / `.DIR.oldPID` directories that earlier versions built beside a report directory.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The file in a report directory that lists the files portsim wrote there, one name a line.
pub const MANIFEST: &str = ".portsim-report";

/// First line of the manifest, so that a person who finds the file knows what it is.
const MANIFEST_HEADER: &str = "# files written by `portsim compare`; it replaces only these";

/// Symbolic links followed before giving up (the kernel's own limit).
const MAX_LINKS: usize = 40;

/// Writes `bytes` to the file the user named: `-` is standard output; any other path as
/// [`write_atomic`]. A closed standard output (a reader that went away) is not an error.
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if path.as_os_str() == "-" {
        return write_stream(&mut io::stdout().lock(), bytes);
    }
    write_atomic(path, bytes)
}

/// Writes `bytes` to `path` without replacing what is not a regular file of its own: a new or
/// regular file is replaced by a rename (keeping its mode), a symlink's target likewise, a FIFO
/// or character device is written in place, `/dev/stdout` and `/dev/stderr` go to this process's
/// own streams. Directories, block devices and sockets are refused.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match target_of(path)? {
        Target::Replace(p) => replace_file(&p, bytes),
        Target::InPlace { truncate } => write_in_place(path, bytes, truncate),
        Target::Stdout => write_stream(&mut io::stdout().lock(), bytes),
        Target::Stderr => write_stream(&mut io::stderr().lock(), bytes),
    }
}

/// How a path is written.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// Replace this regular (or not yet existing) file by a rename.
    Replace(PathBuf),
    /// Open the given path and write into it, emptying it first if `truncate`.
    InPlace {
        /// Empty a regular file first (not an open file reached through `/proc`).
        truncate: bool,
    },
    /// This process's standard output (`/dev/stdout`).
    Stdout,
    /// This process's standard error (`/dev/stderr`).
    Stderr,
}

/// Follows `path`'s symlinks to what will be written, and decides how.
fn target_of(path: &Path) -> io::Result<Target> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match fs::symlink_metadata(&p) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Target::Replace(p)),
            other => other?,
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let (dir, name) = split(&p)?;
            // A link in /proc (`/dev/stdout` leads to `/proc/self/fd/1`) names an open file,
            // which a rename would not reach and a reopen would write at the wrong offset.
            let dir = fs::canonicalize(dir)?;
            if dir.starts_with("/proc") {
                return Ok(open_file_target(&dir, &name));
            }
            let link = fs::read_link(&p)?;
            p = if link.is_relative() {
                dir.join(link)
            } else {
                link
            };
        } else if ft.is_file() {
            return Ok(if meta.nlink() > 1 {
                Target::InPlace { truncate: true }
            } else {
                Target::Replace(p)
            });
        } else if ft.is_fifo() || ft.is_char_device() {
            return Ok(Target::InPlace { truncate: false });
        } else {
            let what = if ft.is_dir() {
                "a directory"
            } else if ft.is_block_device() {
                "a block device"
            } else {
                "a socket"
            };
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("is {what}; name a file to write"),
            ));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

/// The target for `/proc/PID/fd/N` (`dir` canonical): this process's own standard output or
/// error, or else the open file, written where it is.
fn open_file_target(dir: &Path, name: &str) -> Target {
    let own = Path::new("/proc")
        .join(std::process::id().to_string())
        .join("fd");
    match (dir == own, name) {
        (true, "1") => Target::Stdout,
        (true, "2") => Target::Stderr,
        _ => Target::InPlace { truncate: false },
    }
}

/// Writes `bytes` to a standard stream; a reader that went away is not an error.
fn write_stream(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Opens `path` (following links, creating nothing) and writes `bytes` into it.
fn write_in_place(path: &Path, bytes: &[u8], truncate: bool) -> io::Result<()> {
    let mut f = fs::OpenOptions::new().write(true).open(path)?;
    if truncate {
        f.set_len(0)?;
    }
    f.write_all(bytes)?;
    f.flush()
}

/// Replaces the regular file `path` (which may not exist yet) by a temporary file and a rename,
/// keeping the old file's permission bits.
fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (dir, name) = split(path)?;
    remove_stale_temps(dir, &[name.as_str()]);
    let tmp = dir.join(temp_name(&name));
    let mode = match fs::metadata(path) {
        Ok(m) => Some(m.permissions().mode()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let result = write_new(&tmp, bytes, mode).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates `path` (which must not exist), writes `bytes`, sets `mode` if given, syncs.
fn write_new(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    if let Some(mode) = mode {
        f.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    f.sync_all()
}

/// The directory (`.` for a bare name) and the file name of `path`.
fn split(path: &Path) -> io::Result<(&Path, String)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?
        .to_string_lossy()
        .into_owned();
    Ok((dir, name))
}

/// This process's temporary name for `name`.
fn temp_name(name: &str) -> String {
    format!(".{name}.tmp{}", std::process::id())
}

/// The pid in `entry` if it is `.{name}.{kind}PID` for one of `names`.
fn leftover_pid(entry: &str, names: &[&str], kind: &str) -> Option<u32> {
    names.iter().find_map(|name| {
        let pid = entry
            .strip_prefix('.')?
            .strip_prefix(*name)?
            .strip_prefix('.')?
            .strip_prefix(kind)?;
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        pid.parse().ok()
    })
}

/// Whether process `pid` still runs (another portsim may be writing its temporary file).
fn running(pid: u32) -> bool {
    pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes the `.NAME.tmpPID` files in `dir` for `names` whose process is gone.
fn remove_stale_temps(dir: &Path, names: &[&str]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let entry = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = leftover_pid(&entry, names, "tmp")
            && !running(pid)
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Writes the report directory `dir` holding `files` (name, bytes).
///
/// Refused before anything is written: `dir` is not a directory; `dir` is not empty and holds
/// neither a [`MANIFEST`] nor only files of the names in `files`. Otherwise every file is first
/// written under a temporary name inside `dir` (a read-only directory fails here, with nothing
/// replaced); then the manifest is widened to old and new names, the files are renamed into
/// place, the files of the old manifest that this report no longer writes are removed, and the
/// manifest is set to the new names. Any other file in `dir` is left alone.
pub fn write_report_dir(dir: &Path, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    let new: BTreeSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    if let Some(bad) = new.iter().find(|n| !plain_name(n) || *n == MANIFEST) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cannot write a report file named {bad:?}"),
        ));
    }
    recover_old_swap(dir, &new)?;
    let old = check_report_dir(dir, &new)?;
    fs::create_dir_all(dir)?;
    let names: Vec<&str> = new
        .iter()
        .chain(&old)
        .map(String::as_str)
        .chain([MANIFEST])
        .collect();
    remove_stale_temps(dir, &names);

    let staged = stage(dir, files)?;
    let all: BTreeSet<String> = old.union(&new).cloned().collect();
    let swapped = write_manifest(dir, &all).and_then(|()| {
        for (tmp, name) in &staged {
            fs::rename(tmp, dir.join(name))?;
        }
        Ok(())
    });
    if let Err(e) = swapped {
        for (tmp, _) in &staged {
            let _ = fs::remove_file(tmp);
        }
        return Err(e);
    }
    for gone in old.difference(&new) {
        match fs::remove_file(dir.join(gone)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    write_manifest(dir, &new)
}

/// Checks that `dir` may receive a report of the files `new`, writing nothing; returns the names
/// its manifest lists (empty when it has none or does not exist yet).
pub fn check_report_dir(dir: &Path, new: &BTreeSet<String>) -> io::Result<BTreeSet<String>> {
    let meta = match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        other => other?,
    };
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a directory; name a directory (new, empty, or an earlier report) with --out",
        ));
    }
    if let Some(listed) = read_manifest(dir)? {
        return Ok(listed);
    }
    let ours: Vec<&str> = new.iter().map(String::as_str).chain([MANIFEST]).collect();
    for e in fs::read_dir(dir)? {
        let e = e?;
        let entry = e.file_name().to_string_lossy().into_owned();
        let is_report_file = new.contains(&entry) && e.file_type()?.is_file();
        if !is_report_file && leftover_pid(&entry, &ours, "tmp").is_none() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "the directory is not empty and has no {MANIFEST} in it, so portsim did not \
                     write it ({entry:?} is not a report file); name a new or empty directory \
                     with --out, or use --no-out"
                ),
            ));
        }
    }
    Ok(BTreeSet::new())
}

/// A name that stays inside the directory.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

/// The names `dir`'s manifest lists, or `None` when it has no manifest. Lines that are not plain
/// file names (a hand-edited manifest) are ignored, so nothing outside `dir` is ever removed.
fn read_manifest(dir: &Path) -> io::Result<Option<BTreeSet<String>>> {
    match fs::read_to_string(dir.join(MANIFEST)) {
        Ok(text) => Ok(Some(
            text.lines()
                .filter(|l| !l.starts_with('#') && plain_name(l) && *l != MANIFEST)
                .map(str::to_string)
                .collect(),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Replaces `dir`'s manifest by one listing `names`.
fn write_manifest(dir: &Path, names: &BTreeSet<String>) -> io::Result<()> {
    let mut text = format!("{MANIFEST_HEADER}\n");
    for n in names {
        text.push_str(n);
        text.push('\n');
    }
    replace_file(&dir.join(MANIFEST), text.as_bytes())
}

/// Writes every file under its temporary name in `dir`; on failure removes what it wrote.
fn stage(dir: &Path, files: &[(String, Vec<u8>)]) -> io::Result<Vec<(PathBuf, String)>> {
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let tmp = dir.join(temp_name(name));
        let mode = fs::metadata(dir.join(name))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.permissions().mode());
        if let Err(e) = write_new(&tmp, bytes, mode) {
            let _ = fs::remove_file(&tmp);
            for (t, _) in &staged {
                let _ = fs::remove_file(t);
            }
            return Err(e);
        }
        staged.push((tmp, name.clone()));
    }
    Ok(staged)
}

/// Cleans up after an earlier portsim that swapped whole directories (`.DIR.tmpPID` built beside
/// `dir`, the previous report moved to `.DIR.oldPID`) and was killed: a moved-aside report comes
/// back when `dir` is gone; leftovers that hold only report files are removed; anything else is
/// left in place with a warning, since it may hold files the user put in the report directory.
fn recover_old_swap(dir: &Path, new: &BTreeSet<String>) -> io::Result<()> {
    let Ok((parent, name)) = split(dir) else {
        return Ok(());
    };
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    let mut leftovers: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let entry = e.file_name().to_string_lossy().into_owned();
            let kind = ["old", "tmp"].into_iter().find(|k| {
                leftover_pid(&entry, &[name.as_str()], k).is_some_and(|pid| !running(pid))
            })?;
            Some((kind.to_string(), e.path()))
        })
        .collect();
    // The moved-aside report first, so that it can be restored before anything is removed.
    leftovers.sort();
    for (kind, path) in leftovers {
        if kind == "old" && fs::symlink_metadata(dir).is_err() {
            // It was this report directory: restore it and record which of its files are the
            // report's, so that the files the user had put there stay.
            fs::rename(&path, dir)?;
            let report: BTreeSet<String> = fs::read_dir(dir)?
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| new.contains(n))
                .collect();
            write_manifest(dir, &report)?;
            continue;
        }
        let only_report_files = fs::read_dir(&path)?.all(|e| {
            e.is_ok_and(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                e.file_type().is_ok_and(|t| t.is_file()) && (new.contains(&n) || n == MANIFEST)
            })
        });
        if only_report_files {
            fs::remove_dir_all(&path)?;
        } else {
            eprintln!(
                "portsim: warning: {} was left by an interrupted run and holds files portsim \
                 did not write; it is left in place",
                path.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory, removed when the test ends.
    struct Tmp(PathBuf);

    impl std::ops::Deref for Tmp {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn tmp(name: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("portsim-output-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(n, b)| (n.to_string(), b.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn a_new_file_is_written_and_no_temporary_is_left() {
        let d = tmp("new");
        write_atomic(&d.join("a.txt"), b"one").unwrap();
        assert_eq!(fs::read_to_string(d.join("a.txt")).unwrap(), "one");
        assert_eq!(names(&d), ["a.txt"]);
    }

    #[test]
    fn a_replaced_file_keeps_its_mode() {
        let d = tmp("mode");
        let f = d.join("a.txt");
        fs::write(&f, "old and longer").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&f, b"new").unwrap();
        assert_eq!(fs::read_to_string(&f).unwrap(), "new");
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_symlink_stays_a_link_and_its_target_is_replaced() {
        let d = tmp("link");
        fs::create_dir(d.join("sub")).unwrap();
        fs::write(d.join("sub/real"), "old").unwrap();
        std::os::unix::fs::symlink("sub/real", d.join("link")).unwrap();
        std::os::unix::fs::symlink("link", d.join("link2")).unwrap();
        write_atomic(&d.join("link2"), b"new").unwrap();
        assert!(fs::symlink_metadata(d.join("link2")).unwrap().is_symlink());
        assert!(fs::symlink_metadata(d.join("link")).unwrap().is_symlink());
        assert_eq!(fs::read_to_string(d.join("sub/real")).unwrap(), "new");
        assert_eq!(names(&d.join("sub")), ["real"]);
    }

    #[test]
    fn a_dangling_symlink_creates_its_target() {
        let d = tmp("dangling");
        std::os::unix::fs::symlink("target", d.join("link")).unwrap();
        write_atomic(&d.join("link"), b"x").unwrap();
        assert!(fs::symlink_metadata(d.join("link")).unwrap().is_symlink());
        assert_eq!(fs::read_to_string(d.join("target")).unwrap(), "x");
    }

    #[test]
    fn a_hard_linked_file_is_written_in_place_for_every_name() {
        let d = tmp("hard");
        fs::write(d.join("a"), "old content").unwrap();
        fs::hard_link(d.join("a"), d.join("b")).unwrap();
        write_atomic(&d.join("a"), b"new").unwrap();
        assert_eq!(fs::read_to_string(d.join("b")).unwrap(), "new");
    }

    #[test]
    fn links_into_proc_and_devices_are_written_in_place() {
        assert_eq!(
            target_of(Path::new("/dev/null")).unwrap(),
            Target::InPlace { truncate: false }
        );
        assert_eq!(target_of(Path::new("/dev/stdout")).unwrap(), Target::Stdout);
        assert_eq!(
            target_of(Path::new("/proc/self/fd/2")).unwrap(),
            Target::Stderr
        );
        let err = target_of(Path::new("/")).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let d = tmp("stale");
        fs::write(d.join(".a.txt.tmp999999999"), "half").unwrap();
        fs::write(d.join(".a.txt.tmpx1"), "not ours").unwrap();
        fs::write(d.join(".b.txt.tmp999999999"), "another target's").unwrap();
        write_atomic(&d.join("a.txt"), b"whole").unwrap();
        assert_eq!(names(&d), [".a.txt.tmpx1", ".b.txt.tmp999999999", "a.txt"]);
    }

    #[test]
    fn leftover_names_are_parsed_exactly() {
        assert_eq!(leftover_pid(".a.tmp12", &["a"], "tmp"), Some(12));
        assert_eq!(leftover_pid(".a.tmp", &["a"], "tmp"), None);
        assert_eq!(leftover_pid(".a.tmp1x", &["a"], "tmp"), None);
        assert_eq!(leftover_pid(".ab.tmp1", &["a"], "tmp"), None);
        assert_eq!(leftover_pid(".a.old7", &["a"], "old"), Some(7));
    }

    #[test]
    fn a_report_dir_keeps_foreign_files_and_drops_its_obsolete_ones() {
        let t = tmp("report");
        let d = t.join("rep");
        write_report_dir(&d, &files(&[("r.md", "1"), ("old.png", "x")])).unwrap();
        fs::write(d.join("notes.txt"), "mine").unwrap();
        write_report_dir(&d, &files(&[("r.md", "2")])).unwrap();
        assert_eq!(names(&d), [MANIFEST, "notes.txt", "r.md"]);
        assert_eq!(fs::read_to_string(d.join("r.md")).unwrap(), "2");
        assert_eq!(
            fs::read_to_string(d.join(MANIFEST)).unwrap(),
            format!("{MANIFEST_HEADER}\nr.md\n")
        );
    }

    #[test]
    fn a_directory_of_report_files_only_is_adopted() {
        let d = tmp("adopt");
        fs::write(d.join("r.md"), "from a version without manifests").unwrap();
        write_report_dir(&d, &files(&[("r.md", "new"), ("r.json", "{}")])).unwrap();
        assert_eq!(names(&d), [MANIFEST, "r.json", "r.md"]);
    }

    #[test]
    fn a_foreign_directory_is_refused_untouched() {
        let d = tmp("foreign");
        fs::write(d.join("notes.txt"), "mine").unwrap();
        let err = write_report_dir(&d, &files(&[("r.md", "1")])).unwrap_err();
        assert!(err.to_string().contains(MANIFEST), "{err}");
        assert_eq!(names(&d), ["notes.txt"]);
    }

    #[test]
    fn a_file_is_refused_untouched() {
        let d = tmp("file");
        fs::write(d.join("f"), "precious").unwrap();
        let err = write_report_dir(&d.join("f"), &files(&[("r.md", "1")])).unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
        assert_eq!(names(&d), ["f"]);
        assert_eq!(fs::read_to_string(d.join("f")).unwrap(), "precious");
    }

    #[test]
    fn a_failure_while_staging_replaces_nothing() {
        let t = tmp("stage");
        let d = t.join("rep");
        write_report_dir(&d, &files(&[("a", "old a"), ("b", "old b")])).unwrap();
        // This process's temporary name for `b` is taken by a directory: staging `b` fails
        // after `a` was staged.
        fs::create_dir(d.join(temp_name("b"))).unwrap();
        assert!(write_report_dir(&d, &files(&[("a", "new a"), ("b", "new b")])).is_err());
        assert_eq!(fs::read_to_string(d.join("a")).unwrap(), "old a");
        assert_eq!(fs::read_to_string(d.join("b")).unwrap(), "old b");
        fs::remove_dir(d.join(temp_name("b"))).unwrap();
        assert_eq!(names(&d), [MANIFEST, "a", "b"]);
    }

    #[test]
    fn a_manifest_cannot_name_files_outside_the_directory() {
        let base = tmp("escape");
        let d = base.join("rep");
        fs::create_dir(&d).unwrap();
        fs::write(base.join("victim"), "keep").unwrap();
        fs::write(d.join(MANIFEST), "../victim\n/etc/passwd\nr.md\n").unwrap();
        write_report_dir(&d, &files(&[("x.md", "1")])).unwrap();
        assert_eq!(fs::read_to_string(base.join("victim")).unwrap(), "keep");
        assert_eq!(names(&d), [MANIFEST, "x.md"]);
    }

    #[test]
    fn report_file_names_must_stay_inside_the_directory() {
        let d = tmp("names");
        for bad in ["../x", "", "..", MANIFEST] {
            assert!(write_report_dir(&d.join("rep"), &files(&[(bad, "1")])).is_err());
        }
        assert!(names(&d).is_empty());
    }
}
