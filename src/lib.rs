//! trdsim: an individual-level Markov microsimulation for cost-effectiveness analysis,
//! built for oral esketamine versus ECT in treatment-resistant depression.
//!
//! The modules, in the order of the pipeline (see the README's Architecture section for
//! each one's invariants and what it must not depend on):
//!
//! 1. `scenario`: YAML files → a validated `model::Model` (with its lookup tables,
//!    `model::table`), with located diagnostics; `expr` compiles the expressions and
//!    `suggest` says "did you mean".
//! 2. `dist` (parameter distributions, a leaf that the model's definitions and `params`
//!    share) and `params`: parameter sets (point values, draws); `rng` keys the random
//!    streams.
//! 3. `engine` (the microsimulation) and `cohort` (its expected-value oracle): a model and
//!    a parameter set → `engine::SimOutput`.
//! 4. `econ`: incremental analysis and the statistics of a probabilistic analysis.
//! 5. `analysis`: base case, PSA, DSA, compare, merge and verify as library functions.
//! 6. `output` (files), `plot` (figures) and `report` (the HTML report).
//! 7. `cli`: arguments in, exit codes out.

pub mod suggest;

pub mod expr;
pub mod model;
pub mod scenario;

pub mod dist;
pub mod params;
pub mod rng;

pub mod cohort;
pub mod engine;

pub mod econ;

pub mod analysis;

pub mod output;
pub mod plot;
pub mod report;

pub mod cli;
