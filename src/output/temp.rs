//! The temporary paths of this process and what becomes of them when it is interrupted.
//!
//! Everything that the program creates only for a while (a result directory being written,
//! the lock beside it, `verify`'s rerun directory, a report being written) is registered
//! here as a [`Temp`], which removes it when dropped. On SIGINT or SIGTERM a handler thread
//! removes every registered path, first stopping the child processes this one waits for,
//! and exits with 128 + the signal number (130, 143), as shells expect. The rename that
//! publishes results runs under the same lock as the handler ([`Temp::commit`]), so an
//! interrupted run leaves either the previous state or the complete new one, never a mix.
//!
//! This registry is the program's one piece of global state: a signal handler can reach
//! nothing else. The simulation never looks at it, so interruption costs the hot loop
//! nothing. A process killed with SIGKILL cannot clean up; the names of its temporary paths
//! carry its process id, and the next process that writes the same place removes those of
//! dead processes ([`remove_stale`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM};

/// How a registered path is removed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Removal {
    /// With everything in it.
    All,
    /// Only when it is an empty directory (a parent created for the results).
    IfEmpty,
}

struct Registry {
    /// Removed in reverse order of registration, so a directory's contents go before it.
    paths: Vec<(PathBuf, Removal)>,
    /// Child processes this process waits for; a signal is passed on to them.
    children: Vec<u32>,
    /// Lock files this process holds (`atomic`), so that it never waits for itself.
    locks: Vec<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    paths: Vec::new(),
    children: Vec::new(),
    locks: Vec::new(),
});

/// The last terminating signal received (0: none). Set inside the signal handler itself, so
/// it is visible before the handler thread runs.
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A path that this process created (or is about to create) and removes again: when the
/// guard is dropped, or on SIGINT/SIGTERM.
#[derive(Debug)]
pub struct Temp {
    path: PathBuf,
}

impl Temp {
    /// Register `path`, which is removed with everything in it.
    pub fn new(path: PathBuf) -> Temp {
        registry().paths.push((path.clone(), Removal::All));
        Temp { path }
    }

    /// Register `path` and create it with `create`, both under the registry lock, so that a
    /// signal handler either runs before (and nothing is created) or sees it registered.
    pub fn create(path: PathBuf, create: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<Temp> {
        create_registered(&path, Removal::All, create)?;
        Ok(Temp { path })
    }

    /// Run `open` under the registry lock and register `path` only if it returns `true` (it
    /// took ownership of the path, e.g. locked a lock file that may already have existed).
    pub fn create_if(
        path: PathBuf,
        open: impl FnOnce(&Path) -> io::Result<bool>,
    ) -> io::Result<Option<Temp>> {
        let mut reg = registry();
        if let Some(sig) = pending() {
            drop(reg);
            terminate(sig);
        }
        if !open(&path)? {
            return Ok(None);
        }
        reg.paths.push((path.clone(), Removal::All));
        Ok(Some(Temp { path }))
    }

    /// Register `path` and create it as an empty directory (replacing a leftover of a
    /// process that had the same id).
    pub fn create_dir(path: PathBuf) -> io::Result<Temp> {
        let _ = remove(&path, Removal::All);
        Temp::create(path, |p| fs::create_dir(p))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `publish` (a rename that moves this path into place) where no signal handler can
    /// interfere: a signal that arrived before leaves the results unpublished and
    /// terminates; one that arrives during waits until the rename is done. The guard still
    /// removes whatever is left at its path (after an exchange, the previous results).
    pub fn commit<T>(&self, publish: impl FnOnce(&Path) -> io::Result<T>) -> io::Result<T> {
        let reg = registry();
        if let Some(sig) = pending() {
            drop(reg);
            terminate(sig);
        }
        let result = publish(&self.path);
        drop(reg);
        result
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = remove(&self.path, Removal::All);
        unregister(&self.path);
    }
}

/// A directory created for results that is removed again only if it stayed empty.
#[derive(Debug)]
pub struct CreatedDir {
    path: PathBuf,
}

impl CreatedDir {
    /// Create `dir` and whichever of its ancestors are missing; returns a guard for each one
    /// created, outermost first.
    pub fn create_all(dir: &Path) -> io::Result<Vec<CreatedDir>> {
        let mut missing: Vec<&Path> = dir.ancestors().take_while(|p| !p.exists()).collect();
        missing.retain(|p| !p.as_os_str().is_empty());
        missing.reverse();
        let mut created = Vec::new();
        for p in missing {
            match create_registered(p, Removal::IfEmpty, |p| fs::create_dir(p)) {
                Ok(()) => created.push(CreatedDir {
                    path: p.to_path_buf(),
                }),
                // Created meanwhile by someone else: not ours to remove.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && p.is_dir() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(created)
    }
}

impl Drop for CreatedDir {
    fn drop(&mut self) {
        let _ = remove(&self.path, Removal::IfEmpty);
        unregister(&self.path);
    }
}

/// Register `path` and run `create`, under the registry lock; unregistered again if
/// `create` fails.
fn create_registered(
    path: &Path,
    how: Removal,
    create: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let mut reg = registry();
    if let Some(sig) = pending() {
        drop(reg);
        terminate(sig);
    }
    create(path)?;
    reg.paths.push((path.to_path_buf(), how));
    Ok(())
}

fn unregister(path: &Path) {
    let mut reg = registry();
    if let Some(i) = reg.paths.iter().rposition(|(p, _)| p == path) {
        reg.paths.remove(i);
    }
}

/// Remove a registered path; a missing path is not an error.
fn remove(path: &Path, how: Removal) -> io::Result<()> {
    let result = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
        Ok(m) if !m.is_dir() => fs::remove_file(path),
        Ok(_) if how == Removal::IfEmpty => fs::remove_dir(path),
        Ok(_) => fs::remove_dir_all(path),
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Whether this process holds the lock file `path` (see `atomic::claim`).
pub(super) fn holds_lock(path: &Path) -> bool {
    registry().locks.iter().any(|p| p == path)
}

/// Record that this process holds (`true`) or has released the lock file `path`.
pub(super) fn set_lock_held(path: &Path, held: bool) {
    let mut reg = registry();
    reg.locks.retain(|p| p != path);
    if held {
        reg.locks.push(path.to_path_buf());
    }
}

/// Run `cmd` to completion as a child that receives this process's SIGINT or SIGTERM and is
/// waited for before the temporary paths are removed.
pub fn run_child(cmd: &mut std::process::Command) -> io::Result<std::process::ExitStatus> {
    let mut child = {
        let mut reg = registry();
        if let Some(sig) = pending() {
            drop(reg);
            terminate(sig);
        }
        let child = cmd.spawn()?;
        reg.children.push(child.id());
        child
    };
    let status = child.wait();
    registry().children.retain(|c| *c != child.id());
    status
}

/// Whether process `pid` is running (or not yet reaped). A process id that cannot be checked
/// counts as running, so that nothing of a live process is ever removed.
pub fn is_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return true;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

/// Remove the entries of `dir` named `{prefix}{pid}` whose process is no longer running:
/// what a process killed with SIGKILL left behind. Errors are ignored (another process may be
/// removing the same entry).
pub fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != me && !is_alive(pid) {
            let _ = remove(&entry.path(), Removal::All);
        }
    }
}

/// The environment variable of the test-only pause before results are published.
pub const PAUSE_VAR: &str = "TRDSIM_TEST_PAUSE_BEFORE_RENAME_MS";
/// The environment variable naming a file whose appearance ends that pause early.
pub const RESUME_VAR: &str = "TRDSIM_TEST_RESUME_FILE";

/// Test hook: once the temporary files are complete, wait up to
/// `TRDSIM_TEST_PAUSE_BEFORE_RENAME_MS` milliseconds, or until the file named by
/// `TRDSIM_TEST_RESUME_FILE` exists, so that a test can deliver a signal or start a
/// competing run at that point deterministically. Unset (always, outside tests), it does
/// nothing.
pub fn pause_before_rename() {
    let Some(ms) = std::env::var(PAUSE_VAR)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return;
    };
    let resume = std::env::var_os(RESUME_VAR).map(PathBuf::from);
    let end = Instant::now() + Duration::from_millis(ms);
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        if resume.as_ref().is_some_and(|p| p.exists()) {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(10)));
    }
}

/// The signal received, if any.
fn pending() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => i32::try_from(s).ok(),
    }
}

/// Install the SIGINT and SIGTERM handlers (once per process). A signal that the process
/// was started with ignored (`nohup`, a background job of a script) stays ignored.
pub fn handle_signals() -> io::Result<()> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| result = install());
    result
}

fn install() -> io::Result<()> {
    let ignored = ignored_signals();
    let signals: Vec<i32> = [SIGINT, SIGTERM]
        .into_iter()
        .filter(|s| !ignored.contains(s))
        .collect();
    if signals.is_empty() {
        return Ok(());
    }
    for &sig in &signals {
        signal_hook::flag::register_usize(sig, &SIGNAL, sig as usize)?;
    }
    let mut iter = signal_hook::iterator::Signals::new(&signals)?;
    std::thread::Builder::new()
        .name("trdsim-signals".into())
        .spawn(move || {
            if let Some(sig) = iter.forever().next() {
                terminate(sig);
            }
        })?;
    Ok(())
}

/// The signals this process was started with ignored, from `/proc/self/status` (`SigIgn`,
/// a hexadecimal mask with bit n-1 for signal n); none where that cannot be read.
fn ignored_signals() -> Vec<i32> {
    let Ok(status) = fs::read_to_string("/proc/self/status") else {
        return Vec::new();
    };
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .unwrap_or(0);
    (1..=64).filter(|s| mask & (1u64 << (s - 1)) != 0).collect()
}

/// The exit code of the command: `code`, unless a signal arrived, in which case the
/// temporary paths are removed and the process exits with 128 + the signal number.
pub fn exit_code(code: i32) -> i32 {
    if let Some(sig) = pending() {
        terminate(sig);
    }
    code
}

/// Stop the children, remove every registered path and exit with 128 + `sig`. Runs on the
/// handler thread, or on the main thread when it notices the signal first; the registry lock
/// makes sure only one of them does the work, and whichever gets there first exits.
fn terminate(sig: i32) -> ! {
    let reg = registry();
    let signal = if sig == SIGTERM {
        rustix::process::Signal::TERM
    } else {
        rustix::process::Signal::INT
    };
    for &child in &reg.children {
        if let Some(pid) = i32::try_from(child)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, signal);
        }
    }
    // A child cleans up after itself; wait for it (bounded), so that nothing is written
    // into a directory after it was removed.
    let deadline = Instant::now() + Duration::from_secs(30);
    while reg.children.iter().any(|c| is_alive(*c)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    for (path, how) in reg.paths.iter().rev() {
        // Another thread may still be writing into a directory being removed: retry.
        for _ in 0..100 {
            if remove(path, *how).is_ok() || *how == Removal::IfEmpty {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    std::process::exit(128 + sig)
}
