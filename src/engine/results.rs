//! What a simulation returns: estimates per strategy and pair, trajectories, per-draw
//! outcomes, and the run-time error.

use std::fmt;

use crate::model::SourceAt;

use super::layout::Layout;

/// Mean and standard error of one outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    /// Monte Carlo standard error (zero for the cohort evaluation).
    pub se: f64,
}

/// What one strategy produced.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategySim {
    /// Per-person outcomes, indexed by `Layout`.
    pub outcomes: Vec<Estimate>,
    /// Share of the cohort in each state at each boundary: `trace[t * n_states + s]`.
    pub trace: Vec<f64>,
    /// Mean number of transitions per person: `transitions[from * n_states + to]`.
    pub transitions: Vec<f64>,
}

/// What to simulate on one parameter set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimSpec {
    /// Probabilistic draw index (0 for the base case); keys the random streams.
    pub draw: u64,
    pub n_individuals: usize,
    pub seed: u64,
    /// Record the state path of the first this-many individuals (0: none).
    pub trajectories: usize,
}

/// The state of one individual at every boundary t = 0..=T, in one strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    pub individual: usize,
    pub strategy: usize,
    pub states: Vec<u16>,
}

/// Results of simulating every strategy on one parameter set.
#[derive(Clone, Debug, PartialEq)]
pub struct SimOutput {
    pub layout: Layout,
    pub n_individuals: usize,
    pub n_states: usize,
    pub n_cycles: usize,
    pub strategies: Vec<StrategySim>,
    /// Differences `strategy j − strategy i` for every pair i < j, in order (0,1), (0,2), …, (1,2), …
    pub pairs: Vec<Vec<Estimate>>,
    /// Recorded state paths, by individual then strategy (empty unless asked for).
    pub trajectories: Vec<Trajectory>,
}

impl SimOutput {
    /// The difference `b − a` in outcome `k`, from the pair table.
    pub fn difference(&self, a: usize, b: usize, k: usize) -> Estimate {
        if a == b {
            return Estimate::default();
        }
        let (lo, hi, sign) = if a < b { (a, b, 1.0) } else { (b, a, -1.0) };
        let e = self.pairs[pair_index(self.strategies.len(), lo, hi)][k];
        Estimate {
            mean: sign * e.mean,
            se: e.se,
        }
    }
}

/// Index of pair (i, j), i < j, among `n` strategies.
pub fn pair_index(n: usize, i: usize, j: usize) -> usize {
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

/// A run-time problem: a probability that leaves [0, 1] for some individual.
#[derive(Clone, Debug, PartialEq)]
pub struct SimError {
    pub message: String,
    /// Where the transition concerned is defined (file, line, column), when known.
    pub at: Option<SourceAt>,
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SimError {}

/// What one probabilistic draw produced: its base parameter values and per-person outcomes.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawOutcome {
    /// Draw number (1-based; 0 is the deterministic base case).
    pub draw: u64,
    /// Base parameter values of the draw (derived parameters are NaN).
    pub params: Vec<f64>,
    /// Per strategy, the outcome vector (indexed by `Layout`).
    pub outcomes: Vec<Vec<f64>>,
    /// Per strategy, the Monte Carlo standard error of the strategy's NMB minus the
    /// reference's, per perspective and threshold (`Layout::nmb` order).
    pub inmb_se: Vec<Vec<f64>>,
}
