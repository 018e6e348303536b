//! Economics: incremental analysis over per-strategy means (`incremental`) and the
//! statistics of a probabilistic analysis over per-draw outcomes (`psa`: acceptability
//! curves and frontier, EVPI, intervals, Monte Carlo error), and the value of partial
//! information (`voi`: EVPPI by regression and from nested conditional means), and the
//! summaries of the cost-effectiveness plane (`plane`: mean, covariance, quadrants).
//!
//! Everything here is pure arithmetic over (cost, effect) numbers: it knows nothing of
//! models, the engine, files or figures, and results are bit-for-bit reproducible for
//! the same inputs.

mod incremental;
pub mod plane;
pub mod psa;
pub mod voi;

pub use incremental::{
    IcerRow, IcerStatus, Outcome, PairRow, Quadrant, incremental, nmb, pairwise,
};
