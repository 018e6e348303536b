//! A progress bar on stderr that appears only after a second, and only on a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::analysis::{Phase, Progress};

/// Progress bars for the phases of an analysis, unless `quiet`.
pub struct Bars {
    pub quiet: bool,
}

impl Progress for Bars {
    fn phase(&self, total: u64, unit: &'static str) -> Box<dyn Phase + '_> {
        Box::new(Bar::new(total, unit, self.quiet))
    }
}

/// One phase's bar; cleared when dropped.
struct Bar {
    bar: ProgressBar,
    shown: AtomicBool,
    started: Instant,
    enabled: bool,
}

impl Bar {
    fn new(total: u64, unit: &'static str, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {unit} (ETA {{eta}})"
        )) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar {
            bar,
            shown: AtomicBool::new(false),
            started: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }
}

impl Phase for Bar {
    fn advance(&self, k: u64) {
        self.bar.inc(k);
        if self.enabled
            && self.started.elapsed().as_secs_f64() > 1.0
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if self.shown.load(Ordering::Relaxed) {
            self.bar.finish_and_clear();
        }
    }
}
