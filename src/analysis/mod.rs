//! The analyses as library functions: a base case and a probabilistic analysis (`run`,
//! `psa`), one- and two-way sensitivity analysis (`dsa`), threshold (break-even) analysis
//! (`threshold`), scenario comparison (`compare`),
//! combining PSA slices (`merge`), checking a recorded run (`verify`) and the value of
//! partial perfect information (`voi`), with `read`, `table` and `manifest` for result
//! directories read back and checked against their manifest (`run.json`).
//!
//! Each takes a model (or result directories) and a plan, and returns a result struct; a
//! front end (the command line, a test, a bench) decides what to print and hands the result
//! to `output` to write. Nothing here writes a file or prints; only `read`, `table`,
//! `manifest`, `merge` and `verify` read result directories. Progress is reported through
//! [`Progress`].
//!
//! Depends on `model`, `params`, `engine`, `cohort`, `econ` and `scenario` (for its limits);
//! never on `output`, `plot`, `report` or `cli`.

pub mod compare;
pub mod dsa;
mod finite;
pub mod manifest;
pub mod merge;
pub mod psa;
pub mod read;
pub mod run;
pub mod table;
pub mod threshold;
pub mod verify;
pub mod voi;

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

/// The largest number of PSA draws accepted on the command line; the memory budget below
/// usually binds first.
pub const MAX_DRAWS: usize = 10_000_000;

/// The memory a probabilistic analysis may plan to use (1 GiB). A PSA keeps every draw's
/// outcomes in memory (the per-draw files are written from them and read back for the
/// analysis), so its memory grows with the number of draws; a request whose estimate
/// ([`psa_bytes_per_draw`] × draws) exceeds this is refused before anything runs.
pub const PSA_MEMORY_BUDGET: usize = 1 << 30;

/// A conservative estimate of the bytes one PSA draw of `model` holds at the peak of a run:
/// the draw's parameter values and outcomes, its rows of `draws.csv` and `psa.csv` as text
/// (written, then read back), and the parsed table the analysis works on. Each vector also
/// costs its header and allocation (40 bytes); a number written as text about 20 bytes.
/// Measured on 2026-12-01 for the flagship (81 parameters, 2 strategies, 2 perspectives,
/// 3 thresholds): 2.7 kB per draw at peak (maximum resident set of 20,000 against 2,000
/// draws); this estimate gives 4.3 kB.
pub fn psa_bytes_per_draw(model: &crate::model::Model) -> usize {
    const VEC: usize = 40;
    const TEXT: usize = 20;
    let n_params = model.params.len();
    let n_drawn = model.params.iter().filter(|p| p.has_distribution()).count();
    let n_s = model.strategies.len();
    let n_p = model.perspectives.len();
    let n_w = model.settings.wtp_per_qaly.len();
    let k = crate::engine::Layout::of(model).len();
    let outcome =
        8 * n_params + VEC + n_s * (8 * k + VEC) + VEC + n_s * (8 * n_p * n_w + VEC) + VEC;
    let draws_text = TEXT * (n_drawn + 1);
    let psa_text = n_s * n_p * TEXT * (6 + n_w);
    let parsed = n_s * n_p * (48 + 8 * n_w + VEC) + n_p * (16 * n_s + VEC + n_s * (8 * n_w + VEC));
    outcome + draws_text + 2 * psa_text + parsed
}

/// Refuse a PSA of `n_draws` draws whose memory estimate exceeds [`PSA_MEMORY_BUDGET`].
pub(crate) fn check_psa_memory(
    model: &crate::model::Model,
    n_draws: usize,
) -> Result<(), AnalysisError> {
    let per = psa_bytes_per_draw(model);
    let need = per.saturating_mul(n_draws);
    if need > PSA_MEMORY_BUDGET {
        return Err(AnalysisError::Invalid(format!(
            "--draws: {n_draws} draws of this model need about {} MiB ({per} bytes per draw), more than the {} MiB a PSA may use; use at most {} draws",
            need >> 20,
            PSA_MEMORY_BUDGET >> 20,
            PSA_MEMORY_BUDGET / per
        )));
    }
    Ok(())
}
