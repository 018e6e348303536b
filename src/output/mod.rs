//! Writing results: CSV tables, figures, the run manifest (`run.json`), atomically.
//!
//! A run is written into a temporary directory next to the target and renamed into
//! place only when every file is complete, so a failed or interrupted run leaves no
//! half-written result directory. Numbers are written with Rust's shortest round-trip
//! formatting, so the same results always give the same bytes.
//!
//! Files: `atomic` (claiming and replacing result directories), `temp` (temporary paths,
//! removed on SIGINT/SIGTERM and, when stale, by the next run), `manifest` (`run.json`),
//! `base_case`, `psa`, `dsa` and `compare` (the CSV tables of each analysis), `run` (a run's directory), `merge`
//! (a merged PSA), `figures` (drawing every figure of a result directory from its files),
//! `voi` (the EVPPI table and figures, also added to an existing result directory),
//! `nested_slice` (a slice of the nested EVPPI's outer draws),
//! `export` (`results.xlsx` and the wide per-draw matrices for R).
//!
//! This is the only stage that writes files. It takes results from `analysis`, `engine`
//! and `econ` and never computes statistics of its own; it knows nothing of the command
//! line.

mod atomic;
mod base_case;
mod compare;
mod dsa;
mod evsi;
mod export;
mod figures;
mod finite;
mod manifest;
mod merge;
mod nested_slice;
mod psa;
mod run;
mod temp;
mod threshold;
mod voi;

use std::fs;
use std::path::Path;

pub use crate::analysis::read::sha256_hex;
pub use atomic::{
    Claim, TargetError, claim, default_dir, replace_file, update_files, write_atomically,
};
pub use base_case::{
    assumptions_csv, icer_csv, nmb_csv, pairwise_csv, results_csv, trace_csv, trajectories_csv,
    transitions_csv, write_base_case,
};
pub use compare::write_comparison;
pub use dsa::{dsa_csv, tornado_figures, two_way_csv, two_way_figure, write_dsa};
pub use evsi::{evsi_csv, evsi_summary, write_evsi};
pub use export::{EFFECTS, WORKBOOK, costs_name, workbook, write_psa_matrices, write_workbook};
pub use figures::{redrawn, render, render_from, trace_figure};
pub use manifest::{RunInfo, add_file, figure_info, run_json};
pub use merge::write_merged;
pub use nested_slice::{nested_slice_csv, write_nested_slice};
pub use psa::{draws_csv, findings_json, psa_csv, write_psa_analysis};
pub use run::{write_run, write_run_with_voi};
pub use temp::{
    PAUSE_VAR, RESUME_VAR, Temp, exit_code, handle_signals, is_alive, remove_stale, run_child,
};
pub use threshold::{threshold_csv, threshold_nmb_csv, threshold_summary, write_threshold};
pub use voi::{add_voi, evppi_csv, voi_figures, voi_json, write_voi};

/// A failure while writing results.
#[derive(Debug)]
pub struct OutputError(pub String);

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OutputError {}

impl From<crate::analysis::read::ReadError> for OutputError {
    fn from(e: crate::analysis::read::ReadError) -> Self {
        OutputError(e.to_string())
    }
}

impl From<crate::analysis::AnalysisError> for OutputError {
    fn from(e: crate::analysis::AnalysisError) -> Self {
        OutputError(e.to_string())
    }
}

/// Quote a CSV field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

/// Write one text file, naming it in the error; a CSV file must hold only finite numbers.
pub fn write_file(path: &Path, text: &str) -> Result<(), OutputError> {
    if path.extension().is_some_and(|e| e == "csv") {
        finite::check_csv(path, text)?;
    }
    fs::write(path, text)
        .map_err(|e| OutputError(format!("cannot write `{}`: {e}", path.display())))
}

/// Read `run.json` of a result directory.
pub fn read_run_json(dir: &Path) -> Result<serde_json::Value, OutputError> {
    crate::analysis::read::read_run_json(dir).map_err(OutputError::from)
}
