//! One integration-test binary (compiled once): end-to-end runs, invalid scenarios,
//! bad input, and the microsimulation against its oracles.

mod analysis;
mod architecture;
mod bad_input;
mod browser;
mod common;
mod dsa;
mod end_to_end;
mod flagship;
mod invalid;
mod oracle;
mod overflow;
mod psa;
mod voi;
mod warnings;
