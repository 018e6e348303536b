//! One integration-test binary (compiled once): end-to-end runs, invalid scenarios,
//! bad input, and the microsimulation against its oracles.

mod analysis;
mod architecture;
mod bad_input;
mod bounded_input;
mod browser;
mod common;
mod conventions;
mod dsa;
mod end_to_end;
mod evsi;
mod exports;
mod flagship;
mod fuzz;
mod interrupt;
mod invalid;
mod labels;
mod oracle;
mod overflow;
mod prepared;
mod prices;
mod psa;
mod r_export;
mod report_research;
mod slurm;
mod tampered;
mod threshold;
mod trackers;
mod voi;
mod voi_slices;
mod warnings;
