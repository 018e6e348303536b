//! A self-contained HTML report of a result directory for reimbursement advisors: inline
//! styles and SVG figures, no external files, no scripts, no network.
//!
//! The report is built in two steps: [`context`] gathers what the report shows into plain
//! serializable structs (every number already formatted as text), and [`render`] fills the
//! templates under `templates/` with it. The templates hold the document itself (section
//! order, headings, captions, fixed text), so the report can be read and changed as a
//! document; they are embedded in the binary, which therefore needs no files at run time.
//!
//! Invariants: the report is a leaf. Like the figures, it reads finished files (`run.json`,
//! the CSV tables, the SVG figures) and the validated model for its structure and parameter
//! table, and computes nothing statistical. It depends on `model`, `dist`, `params`, `table`
//! and `output` only; nothing but the command line depends on it. Writing it never panics:
//! a missing input or a template fault is a [`ReportError`].

mod context;
mod diagram;
mod format;
mod render;
mod sources;

use std::path::Path;

use crate::model::Model;
use crate::output::OutputError;

/// Other result directories whose results the report includes.
#[derive(Clone, Debug, Default)]
pub struct Extras<'a> {
    /// A `trdsim dsa` result directory (tornado diagrams, `dsa.csv`).
    pub dsa: Option<&'a Path>,
    /// A `trdsim compare` result directory (`compare_results.csv`, `compare_inputs.csv`).
    pub compare: Option<&'a Path>,
}

/// Why the report could not be written.
#[derive(Debug)]
pub enum ReportError {
    /// Reading the result directory or writing `report.html` failed.
    Output(OutputError),
    /// A template did not compile or render (for instance it refers to something the
    /// context does not provide): a fault of this program, not of the inputs.
    Template(minijinja::Error),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Output(e) => e.fmt(f),
            ReportError::Template(e) => {
                write!(f, "cannot render the report: {e}")?;
                // Errors in included templates say where only in their causes.
                let mut cause = std::error::Error::source(e);
                while let Some(c) = cause {
                    write!(f, ": {c}")?;
                    cause = c.source();
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportError::Output(e) => Some(e),
            ReportError::Template(e) => Some(e),
        }
    }
}

impl From<OutputError> for ReportError {
    fn from(e: OutputError) -> Self {
        ReportError::Output(e)
    }
}

impl From<minijinja::Error> for ReportError {
    fn from(e: minijinja::Error) -> Self {
        ReportError::Template(e)
    }
}

/// Write `report.html` into `dir` from its files and the model it was run with.
pub fn write(dir: &Path, model: &Model, extras: &Extras) -> Result<(), ReportError> {
    let json = crate::output::read_run_json(dir)?;
    let report = context::gather(dir, model, extras, &json);
    let html = render::render(&report)?;
    // Written beside and renamed, so a failure or a signal never leaves a half-written report.
    crate::output::replace_file(&dir.join("report.html"), &html)?;
    Ok(())
}
