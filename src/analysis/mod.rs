//! The analyses as library functions: a base case and a probabilistic analysis (`run`,
//! `psa`), one- and two-way sensitivity analysis (`dsa`), scenario comparison (`compare`),
//! combining PSA slices (`merge`) and checking a recorded run (`verify`), with `read` for
//! result directories read back.
//!
//! Each takes a model (or result directories) and a plan, and returns a result struct; a
//! front end (the command line, a test, a bench) decides what to print and hands the result
//! to `output` to write. Nothing here writes a file or prints; only `read`, `merge` and
//! `verify` read result directories. Progress is reported through [`Progress`].
//!
//! Depends on `model`, `params`, `engine`, `cohort`, `econ` and `scenario` (for its limits);
//! never on `output`, `plot`, `report` or `cli`.

pub mod compare;
pub mod dsa;
mod finite;
pub mod merge;
pub mod psa;
pub mod read;
pub mod run;
pub mod verify;

use std::fmt;

use crate::engine::SimError;

/// Why an analysis could not be done.
#[derive(Clone, Debug, PartialEq)]
pub enum AnalysisError {
    /// The request does not fit the model or the inputs (the command line exits with 1).
    Invalid(String),
    /// The scenario cannot be analysed as asked (exit 1; printed at the scenario's path).
    Scenario(String),
    /// A probability left [0, 1] or a payoff was not finite while simulating; `at` names the
    /// scenario line when known (exit 2).
    Simulation(SimError),
    /// Something failed while computing or reading results (exit 2).
    Failed(String),
}

impl fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnalysisError::Invalid(m) | AnalysisError::Scenario(m) | AnalysisError::Failed(m) => {
                f.write_str(m)
            }
            AnalysisError::Simulation(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AnalysisError {}

impl From<SimError> for AnalysisError {
    fn from(e: SimError) -> Self {
        AnalysisError::Simulation(e)
    }
}

/// Progress of a long computation, told in phases (individuals, draws, grid points…).
pub trait Progress: Sync {
    /// A phase of `total` units named `unit` begins; the computation advances the returned
    /// counter, and the phase ends when the counter is dropped.
    fn phase(&self, total: u64, unit: &'static str) -> Box<dyn Phase + '_>;
}

/// The counter of one phase.
pub trait Phase: Sync {
    /// `k` more units are done.
    fn advance(&self, k: u64);
}

/// Progress that nobody watches.
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: u64, _: &'static str) -> Box<dyn Phase + '_> {
        Box::new(Silent)
    }
}

impl Phase for Silent {
    fn advance(&self, _: u64) {}
}

/// Check a number of individuals against the scenario format's limit.
pub(crate) fn check_individuals(flag: &str, n: usize) -> Result<usize, AnalysisError> {
    if n == 0 || n as f64 > crate::scenario::MAX_INDIVIDUALS {
        return Err(AnalysisError::Invalid(format!(
            "{flag}: expected a number from 1 to {:e}, found {n}",
            crate::scenario::MAX_INDIVIDUALS
        )));
    }
    Ok(n)
}

/// The largest number of PSA draws accepted.
pub const MAX_DRAWS: usize = 10_000_000;
