//! Economics: incremental analysis over per-strategy means (`incremental`) and the
//! statistics of a probabilistic analysis over per-draw outcomes (`psa`: acceptability
//! curves and frontier, EVPI, intervals, Monte Carlo error).
//!
//! Everything here is pure arithmetic over (cost, effect) numbers: it knows nothing of
//! models, the engine, files or figures, and results are bit-for-bit reproducible for
//! the same inputs.

mod incremental;
pub mod psa;

pub use incremental::{
    IcerRow, IcerStatus, Outcome, PairRow, Quadrant, incremental, nmb, pairwise,
};
