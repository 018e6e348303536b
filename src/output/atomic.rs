//! Result directories: where they go by default, claiming one, and writing one atomically (a
//! temporary directory renamed into place when every file is complete).
//!
//! A result directory `DIR` is claimed before anything is computed: an exclusive lock
//! (`flock`) on `.DIR.lock` beside it, holding the process id, so that a second process
//! writing the same place fails at once and names the first. The lock is released by the
//! kernel when its process dies, however it dies; the file itself is removed on the way out.
//! Results are written into `.DIR.tmp-PID` and published by one rename: with no-replace
//! semantics for a new directory, or by atomically exchanging it with the old one under
//! `--force` (`renameat2(2)` with `RENAME_NOREPLACE` / `RENAME_EXCHANGE`), so an existing
//! directory is never replaced unasked and never missing for a moment.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{CWD, RenameFlags, renameat_with};
use rustix::io::Errno;

use crate::model::Model;

use super::temp::{self, CreatedDir, Temp, pause_before_rename, remove_stale};
use super::{OutputError, sha256_hex, write_file};

/// Where results go by default: `outputs/<scenario name>/`.
pub fn default_dir(model: &Model) -> PathBuf {
    Path::new("outputs").join(&model.name)
}

/// Why a result directory cannot be claimed.
#[derive(Debug)]
pub enum TargetError {
    /// The path cannot be a result directory, or it exists and `--force` was not given.
    Invalid(String),
    /// Another process is writing it.
    Busy(String),
    /// Its parent cannot be created, or the lock cannot be taken.
    Io(String),
}

impl TargetError {
    /// Whether this is an invalid argument (exit code 1) rather than a failure (2).
    pub fn is_invalid(&self) -> bool {
        matches!(self, TargetError::Invalid(_))
    }
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::Invalid(m) | TargetError::Busy(m) | TargetError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TargetError {}

impl From<TargetError> for OutputError {
    fn from(e: TargetError) -> Self {
        OutputError(e.to_string())
    }
}

/// This process's claim on a result directory; released when dropped.
#[derive(Debug)]
pub struct Claim {
    dir: PathBuf,
    parent: PathBuf,
    name: OsString,
    force: bool,
    /// `None` when this process already held the lock (a nested claim).
    _lock: Option<Lock>,
    /// Parents created for the results; removed on release if they stayed empty.
    _created: Vec<CreatedDir>,
}

/// A held lock file: removed (while still locked) and then closed.
#[derive(Debug)]
struct Lock {
    path: Temp,
    _file: File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        temp::set_lock_held(self.path.path(), false);
    }
}

/// `.NAME` followed by `suffix`, beside the result directory.
fn dotted(name: &OsStr, suffix: &str) -> OsString {
    let mut s = OsString::from(".");
    s.push(name);
    s.push(suffix);
    s
}

/// The parent directory and the name of a result directory; `.`, `..`, `/` and paths ending
/// in them have no name of their own and cannot be one.
fn split(dir: &Path) -> Result<(PathBuf, OsString), TargetError> {
    let text = dir.as_os_str().as_encoded_bytes();
    let mut trimmed = text;
    while let [rest @ .., b'/'] = trimmed {
        trimmed = rest;
    }
    let last = trimmed.rsplit(|b| *b == b'/').next().unwrap_or_default();
    let name = match dir.components().next_back() {
        Some(Component::Normal(name)) if last != b"." && last != b".." => name.to_os_string(),
        _ => {
            return Err(TargetError::Invalid(format!(
                "`{}` cannot be a result directory: it names no directory of its own (`.`, `..` or `/`); choose a new directory with --out, e.g. `{}`",
                dir.display(),
                Path::new(&dir).join("results").display()
            )));
        }
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// Claim `dir` for writing results: check that it may be written (a new directory, or an
/// existing one with `force`), create its parent, take the lock beside it and remove what
/// killed processes left there. Fails with [`TargetError::Busy`] naming the other process
/// when one is writing the same directory.
pub fn claim(dir: &Path, force: bool) -> Result<Claim, TargetError> {
    let (parent, name) = split(dir)?;
    check_existing(dir, force)?;
    let created = CreatedDir::create_all(&parent)
        .map_err(|e| TargetError::Io(format!("cannot create `{}`: {e}", parent.display())))?;
    if !parent.is_dir() {
        return Err(TargetError::Io(format!(
            "cannot create `{}`: it exists and is not a directory",
            parent.display()
        )));
    }
    let lock_path = parent.join(dotted(&name, ".lock"));
    let lock = if temp::holds_lock(&lock_path) {
        None
    } else {
        Some(take_lock(dir, &lock_path)?)
    };
    if lock.is_some()
        && let Some(name) = name.to_str()
    {
        remove_stale(&parent, &format!(".{name}.tmp-"));
        remove_stale(&parent, &format!(".{name}.old-"));
    }
    // Checked again under the lock: the answer now holds until the results are published.
    check_existing(dir, force)?;
    Ok(Claim {
        dir: dir.to_path_buf(),
        parent,
        name,
        force,
        _lock: lock,
        _created: created,
    })
}

fn check_existing(dir: &Path, force: bool) -> Result<(), TargetError> {
    if fs::symlink_metadata(dir).is_err() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(TargetError::Invalid(format!(
            "`{}` exists and is not a directory; expected a result directory (choose another --out)",
            dir.display()
        )));
    }
    if !force {
        return Err(TargetError::Invalid(format!(
            "the result directory `{}` already exists; use --force to replace it or --out to choose another",
            dir.display()
        )));
    }
    Ok(())
}

/// Take the exclusive lock `path`, or fail naming the process that holds it.
fn take_lock(dir: &Path, path: &Path) -> Result<Lock, TargetError> {
    let io = |e: io::Error| TargetError::Io(format!("cannot lock `{}`: {e}", path.display()));
    // The holder may remove the file between our open and our lock: then lock the new one.
    for _ in 0..100 {
        let mut file = None;
        let attempt = Temp::create_if(path.to_path_buf(), |p| {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(p)?;
            match f.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Ok(false),
                Err(fs::TryLockError::Error(e)) => return Err(e),
            }
            let same = fs::metadata(p).map(|m| (m.dev(), m.ino()));
            let ours = f.metadata().map(|m| (m.dev(), m.ino()))?;
            if same.ok() != Some(ours) {
                return Ok(false);
            }
            file = Some(f);
            Ok(true)
        })
        .map_err(io)?;
        match (attempt, file) {
            (Some(temp), Some(mut f)) => {
                f.set_len(0).map_err(io)?;
                f.write_all(format!("{}\n", std::process::id()).as_bytes())
                    .map_err(io)?;
                temp::set_lock_held(path, true);
                return Ok(Lock {
                    path: temp,
                    _file: f,
                });
            }
            _ => {
                if let Some(pid) = lock_holder(path) {
                    return Err(TargetError::Busy(format!(
                        "`{}` is being written by another trdsim process (PID {pid}); wait for it to finish, or choose another --out",
                        dir.display()
                    )));
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Err(TargetError::Busy(format!(
        "`{}` is being written by another process (it holds `{}`); wait for it to finish, or choose another --out",
        dir.display(),
        path.display()
    )))
}

/// The process id written in a lock file that someone holds.
fn lock_holder(path: &Path) -> Option<u32> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

impl Claim {
    /// `.NAME{suffix}PID` beside the result directory.
    fn sibling(&self, suffix: &str) -> PathBuf {
        self.parent.join(dotted(
            &self.name,
            &format!("{suffix}{}", std::process::id()),
        ))
    }

    /// Move the finished temporary directory `tmp` into place: with no-replace semantics, or
    /// by exchanging it with the existing directory under `--force`.
    fn publish(&self, tmp: &Temp) -> Result<(), OutputError> {
        // Used only where the file system cannot exchange two directories atomically.
        let old = Temp::new(self.sibling(".old-"));
        let result = tmp.commit(|from| {
            if fs::symlink_metadata(&self.dir).is_ok() {
                if !self.force {
                    return Err(io::ErrorKind::AlreadyExists.into());
                }
                if !self.dir.is_dir() {
                    return Err(io::ErrorKind::NotADirectory.into());
                }
                exchange(from, &self.dir, old.path())
            } else {
                rename_no_replace(from, &self.dir)
            }
        });
        result.map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => OutputError(format!(
                "`{}` was created by another process while this run was writing; it was left as it is and these results were discarded",
                self.dir.display()
            )),
            io::ErrorKind::NotADirectory => OutputError(format!(
                "`{}` was replaced by something that is not a directory while this run was writing; it was left as it is and these results were discarded",
                self.dir.display()
            )),
            _ => OutputError(format!(
                "cannot move the results into `{}`: {e}; nothing was changed",
                self.dir.display()
            )),
        })
    }
}

/// Whether a `renameat2` flag is unsupported here (the file system, or an old kernel).
fn unsupported(e: Errno) -> bool {
    e == Errno::INVAL || e == Errno::NOSYS || e == Errno::OPNOTSUPP
}

fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(e) if unsupported(e) => {
            if fs::symlink_metadata(to).is_ok() {
                return Err(io::ErrorKind::AlreadyExists.into());
            }
            fs::rename(from, to)
        }
        Err(e) => Err(e.into()),
    }
}

/// Swap `from` and `to`; where that is unsupported, move `to` aside to `old` first.
fn exchange(from: &Path, to: &Path, old: &Path) -> io::Result<()> {
    match renameat_with(CWD, from, CWD, to, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        Err(e) if unsupported(e) => {
            fs::rename(to, old)?;
            fs::rename(from, to).inspect_err(|_| {
                let _ = fs::rename(old, to);
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Write files into a fresh temporary directory and move it to `dir` when all succeeded.
///
/// `write` receives the temporary directory; `run.json` is then added with the SHA-256
/// of every file. `dir` is claimed first unless this process holds it already.
pub fn write_atomically(
    dir: &Path,
    force: bool,
    run_json: serde_json::Value,
    write: impl FnOnce(&Path) -> Result<serde_json::Map<String, serde_json::Value>, OutputError>,
) -> Result<(), OutputError> {
    let claim = claim(dir, force)?;
    let path = claim.sibling(".tmp-");
    let tmp = Temp::create_dir(path.clone())
        .map_err(|e| OutputError(format!("cannot create `{}`: {e}", path.display())))?;
    let extra = write(tmp.path())?;
    write_run_json(tmp.path(), run_json, extra)?;
    pause_before_rename();
    claim.publish(&tmp)
}

/// Add `run.json` to the finished directory `tmp`, with the SHA-256 of every file.
fn write_run_json(
    tmp: &Path,
    run_json: serde_json::Value,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Result<(), OutputError> {
    let mut files = serde_json::Map::new();
    let mut names: Vec<String> = fs::read_dir(tmp)
        .map_err(|e| OutputError(format!("cannot list `{}`: {e}", tmp.display())))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    for name in names {
        let bytes = fs::read(tmp.join(&name))
            .map_err(|e| OutputError(format!("cannot read back `{name}`: {e}")))?;
        files.insert(name, serde_json::Value::String(sha256_hex(&bytes)));
    }
    let mut json = run_json;
    if let Some(obj) = json.as_object_mut() {
        obj.extend(extra);
        obj.insert("files".into(), serde_json::Value::Object(files));
    }
    let text = serde_json::to_string_pretty(&json)
        .map_err(|e| OutputError(format!("cannot encode run.json: {e}")))?;
    write_file(&tmp.join("run.json"), &(text + "\n"))
}

/// Replace the file `path` with `text` atomically: written beside it as `.NAME.tmp-PID`,
/// then renamed over it.
pub fn replace_file(path: &Path, text: &str) -> Result<(), OutputError> {
    let (dir, name) = split(path).map_err(OutputError::from)?;
    if let Some(name) = name.to_str() {
        remove_stale(&dir, &format!(".{name}.tmp-"));
    }
    let tmp_path = dir.join(dotted(&name, &format!(".tmp-{}", std::process::id())));
    let tmp = Temp::create(tmp_path.clone(), |p| File::create(p).map(drop))
        .map_err(|e| OutputError(format!("cannot write `{}`: {e}", tmp_path.display())))?;
    write_file(tmp.path(), text)?;
    pause_before_rename();
    tmp.commit(|from| fs::rename(from, path))
        .map_err(|e| OutputError(format!("cannot write `{}`: {e}", path.display())))
}

/// Rewrite files of the existing result directory `dir` atomically: `write` gets a
/// temporary directory inside it (`.update.tmp-PID`) holding a copy of every file, and what
/// it leaves there is moved back into `dir`, each file by one rename, all of them before a
/// signal can interrupt. Error messages name the files of `dir`, not their copies.
pub fn update_files<T>(
    dir: &Path,
    write: impl FnOnce(&Path) -> Result<T, OutputError>,
) -> Result<T, OutputError> {
    remove_stale(dir, ".update.tmp-");
    let path = dir.join(format!(".update.tmp-{}", std::process::id()));
    let tmp = Temp::create_dir(path.clone())
        .map_err(|e| OutputError(format!("cannot create `{}`: {e}", path.display())))?;
    let (tmp_name, dir_name) = (path.display().to_string(), dir.display().to_string());
    let in_dir = |e: OutputError| OutputError(e.0.replace(&tmp_name, &dir_name));
    let names = |d: &Path| -> Result<Vec<OsString>, OutputError> {
        let entries = fs::read_dir(d)
            .map_err(|e| OutputError(format!("cannot list `{}`: {e}", d.display())))?;
        Ok(entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name())
            .filter(|n| !n.as_encoded_bytes().starts_with(b"."))
            .collect())
    };
    for name in names(dir)? {
        fs::copy(dir.join(&name), path.join(&name)).map_err(|e| {
            OutputError(format!("cannot copy `{}`: {e}", dir.join(&name).display()))
        })?;
    }
    let value = write(tmp.path()).map_err(in_dir)?;
    let written = names(tmp.path()).map_err(in_dir)?;
    pause_before_rename();
    tmp.commit(|from| {
        written
            .iter()
            .try_for_each(|name| fs::rename(from.join(name), dir.join(name)))
    })
    .map_err(|e| OutputError(format!("cannot write into `{}`: {e}", dir.display())))?;
    Ok(value)
}
