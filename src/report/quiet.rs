//! Catching a panic of a dependency without its message reaching stderr: layout-rs
//! asserts its own invariants and panics on some graphs (see `diagram`), which the report
//! survives by catching it, and then says so in one warning instead of a backtrace.
//!
//! The panic hook is process-global, so swapping it around the call (`take_hook`, then
//! `set_hook`, then restoring) would race with other threads: a panic elsewhere in that
//! window would be silenced, and two threads swapping at once can leave the silent hook
//! installed for good (the second takes the first's silent hook as "the previous one" and
//! restores it). Instead a hook is installed once, for the life of the process, that
//! silences only panics on a thread currently inside [`catch_quietly`] (a thread-local
//! flag) and hands every other panic to the hook it replaced, unchanged. The report is
//! drawn on the calling thread, but tests draw diagrams on many threads at once, and this
//! stays correct there.

use std::cell::{Cell, RefCell};
use std::panic::{self, PanicHookInfo, UnwindSafe};
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`catch_quietly`].
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// The message of the panic caught there.
    static MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// The panic's message and where it was raised: `assertion failed: x (file.rs:34)`.
fn describe(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string());
    match info.location() {
        Some(l) => {
            let file = l.file().rsplit(['/', '\\']).next().unwrap_or(l.file());
            format!("{text} ({file}:{})", l.line())
        }
        None => text,
    }
}

/// `f()`, or the message of its panic, which is not printed.
pub(super) fn catch_quietly<T>(f: impl FnOnce() -> T + UnwindSafe) -> Result<T, String> {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                MESSAGE.with(|m| *m.borrow_mut() = Some(describe(info)));
            } else {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = panic::catch_unwind(f);
    QUIET.with(|q| q.set(false));
    let message = MESSAGE.with(|m| m.borrow_mut().take());
    result.map_err(|_| message.unwrap_or_else(|| "panic".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_gives_its_message_and_other_threads_keep_theirs() {
        assert_eq!(catch_quietly(|| 2 + 2), Ok(4));
        let e = catch_quietly(|| -> usize { panic!("broken invariant {}", 7) }).unwrap_err();
        assert!(e.starts_with("broken invariant 7 (quiet.rs:"), "{e}");
        // Outside catch_quietly the flag is off, so a panic goes to the previous hook
        // (here the test harness's), on this thread and on others.
        assert!(!QUIET.with(Cell::get));
        let other = std::thread::spawn(|| QUIET.with(Cell::get)).join().unwrap();
        assert!(!other);
    }
}
