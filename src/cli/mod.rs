//! The command line: argument definitions, one small function per command that builds a
//! plan, calls `analysis`, hands the result to `output`, and maps errors to exit codes.
//!
//! Exit codes: 0 success, 1 invalid scenario or arguments, 2 failure while running or
//! writing, 130 and 143 after SIGINT and SIGTERM (temporary files removed first).
//! Diagnostics go to stderr; summaries go to stdout.
//!
//! No statistics, no loops over draws and no file comparisons live here (ripgrep's
//! `crates/core` is the model: flags parsed into arguments; the rest is glue).

mod args;
mod compare;
mod console;
mod dsa;
mod evsi;
mod merge;
mod progress;
mod report;
mod run;
mod threshold;
mod verify;
mod voi;

use std::path::{Path, PathBuf};

use clap::Parser;

use crate::analysis::AnalysisError;
use crate::engine;
use crate::model::Model;
use crate::output;
use crate::scenario;

use args::{Cli, Command};

pub use console::{psa_report, report, summary};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: invalid scenario or arguments.
pub const EXIT_INVALID: i32 = 1;
/// Exit code: failure while running or writing.
pub const EXIT_FAILURE: i32 = 2;

/// Parse arguments and run; returns the process exit code.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_INVALID
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return code;
        }
    };
    if !matches!(cli.command, Command::Validate { .. })
        && let Err(e) = output::handle_signals()
    {
        eprintln!("warning: cannot handle SIGINT and SIGTERM: {e}");
    }
    let code = match cli.command {
        Command::Validate { scenario } => validate(&scenario),
        Command::Run(args) => run::run(&args),
        Command::Merge { dirs, out, force } => merge::merge(&dirs, &out, force),
        Command::Verify { dir } => verify::verify(&dir),
        Command::Report {
            dir,
            dsa,
            compare,
            evsi,
            threshold,
        } => report::report(
            &dir,
            crate::report::Extras {
                dsa: dsa.as_deref(),
                compare: compare.as_deref(),
                evsi: evsi.iter().map(PathBuf::as_path).collect(),
                threshold: threshold.iter().map(PathBuf::as_path).collect(),
            },
        ),
        Command::Dsa(args) => dsa::dsa(&args),
        Command::Threshold(args) => threshold::threshold(&args),
        Command::Evsi(args) => evsi::evsi(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Voi(args) => voi::voi(&args),
        Command::Plot { dir } => report::plot(&dir),
    };
    output::exit_code(code)
}

/// Print an analysis error (at the scenario's path or line when it concerns the scenario)
/// and return its exit code.
fn fail(scenario: Option<&Path>, e: &AnalysisError) -> i32 {
    match (e, scenario) {
        (AnalysisError::Invalid(m), _) => {
            eprintln!("error: {m}");
            EXIT_INVALID
        }
        (AnalysisError::Scenario(m), Some(path)) => {
            eprintln!("{}: error: {m}", path.display());
            EXIT_INVALID
        }
        (AnalysisError::Scenario(m), None) => {
            eprintln!("error: {m}");
            EXIT_INVALID
        }
        (AnalysisError::Simulation(e), Some(path)) => {
            report_sim_error(path, e);
            EXIT_FAILURE
        }
        (AnalysisError::Simulation(e), None) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
        (AnalysisError::Failed(m), _) => {
            eprintln!("error: {m}");
            EXIT_FAILURE
        }
    }
}

/// Claim the result directory `dir` (see `output::claim`), or print why not and return the
/// exit code: 1 when it may not be written, 2 when another process is writing it.
fn claim(dir: &Path, force: bool) -> Result<output::Claim, i32> {
    output::claim(dir, force).map_err(|e| {
        let code = if e.is_invalid() {
            EXIT_INVALID
        } else {
            EXIT_FAILURE
        };
        fail_with(code, e)
    })
}

/// Print an error of writing or reading files and return exit code `code`.
fn fail_with(code: i32, e: impl std::fmt::Display) -> i32 {
    eprintln!("error: {e}");
    code
}

/// Print a run-time error at the definition of the transition concerned (in the file that
/// defines it: the scenario, an overlay or its base), else at the scenario.
fn report_sim_error(scenario: &Path, e: &engine::SimError) {
    match &e.at {
        Some(at) => eprintln!("{at}: error: {}", e.message),
        None => eprintln!("{}: error: {}", scenario.display(), e.message),
    }
}

/// Write to stdout, ignoring a closed pipe (`trdsim run ... | head` must not panic).
fn out(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().write_all(text.as_bytes());
}

fn load(path: &Path) -> Result<Model, i32> {
    scenario::load(path).map_err(|e| {
        eprintln!("{e}");
        EXIT_INVALID
    })
}

fn validate(path: &Path) -> i32 {
    let model = match load(path) {
        Ok(m) => m,
        Err(code) => return code,
    };
    for w in &model.warnings {
        eprintln!("{w}");
    }
    out(&summary(&model));
    EXIT_OK
}
