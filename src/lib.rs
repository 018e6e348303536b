//! trdsim: an individual-level Markov microsimulation for cost-effectiveness analysis,
//! built for oral esketamine versus ECT in treatment-resistant depression.
//!
//! Pipeline: `scenario::load` (YAML → validated `model::Model`) → `params` (parameter
//! sets) → `engine::simulate` or `cohort::evaluate` (→ `engine::SimOutput`) → `econ`
//! (incremental analysis) → `output` and `plot` (files). See the README's Architecture
//! section for the invariants of each stage.

pub mod cli;
pub mod cohort;
pub mod diag;
// Temporary alias while the restructuring lands; removed once every module says `params::dist`.
pub use params::dist;
pub mod dsa;
pub mod econ;
pub mod engine;
pub mod expr;
pub mod model;
pub mod output;
pub mod params;
pub mod plot;

pub mod psa_output;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod suggest;
pub mod table;
