//! A self-contained HTML report of a result directory for reimbursement advisors: inline
//! styles and SVG figures, no external files, no scripts, no network.
//!
//! The report is built in two steps: [`context`] gathers what the report shows into plain
//! serializable structs (every number already formatted as text), and [`render`] fills the
//! templates under `templates/` with it. The templates hold the document itself (section
//! order, headings, captions, fixed text), so the report can be read and changed as a
//! document; they are embedded in the binary, which therefore needs no files at run time.
//! The context comes from [`summary`] (the key results shown first), [`tables`] and
//! [`analyses`] (the result tables, with labels and every number written by [`format`]),
//! [`sources`] (which parts of a modeller's source text a reader sees) and [`files`]
//! (the SVG figures, inlined as written).
//!
//! Invariants: the report is a leaf. Like the figures, it reads finished files (`run.json`,
//! the CSV tables, the SVG figures) and the validated model for its structure and parameter
//! table, and computes nothing statistical. It depends on `model`, `dist`, `params`, `table`,
//! `analysis` (to read result directories back, checked against their manifests) and
//! `output` only; nothing but the command line depends on it. Writing it never panics: an
//! altered, incomplete or inconsistent input or a template fault is a [`ReportError`].
//! Its SHA-256 is recorded in `run.json`, so `trdsim verify` detects a later change.

mod analyses;
mod context;
mod diagram;
mod files;
mod format;
mod quiet;
mod render;
mod research;
mod sources;
mod summary;
mod tables;

use std::path::Path;

use crate::analysis::manifest::{self, Regenerated, ResultDir, Shape};
use crate::analysis::read::ReadError;
use crate::model::Model;
use crate::output::OutputError;

/// Other result directories whose results the report includes.
#[derive(Clone, Debug, Default)]
pub struct Extras<'a> {
    /// A `trdsim dsa` result directory (tornado diagrams, `dsa.csv`).
    pub dsa: Option<&'a Path>,
    /// A `trdsim compare` result directory (`compare_results.csv`, `compare_inputs.csv`).
    pub compare: Option<&'a Path>,
    /// `trdsim evsi` result directories computed from this run's draws.
    pub evsi: Vec<&'a Path>,
    /// `trdsim threshold` result directories of this run's scenario.
    pub threshold: Vec<&'a Path>,
}

/// Why the report could not be written.
#[derive(Debug)]
pub enum ReportError {
    /// A result directory is incomplete, altered since it was written, or inconsistent
    /// with its manifest (invalid input: the command line exits with 1).
    Input(ReadError),
    /// Writing `report.html` failed.
    Output(OutputError),
    /// A template did not compile or render (for instance it refers to something the
    /// context does not provide): a fault of this program, not of the inputs.
    Template(minijinja::Error),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Input(e) => e.fmt(f),
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
            ReportError::Input(e) => Some(e),
            ReportError::Output(e) => Some(e),
            ReportError::Template(e) => Some(e),
        }
    }
}

impl From<ReadError> for ReportError {
    fn from(e: ReadError) -> Self {
        ReportError::Input(e)
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

/// The result directories of [`Extras`], checked against their manifests.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub dsa: Option<ResultDir>,
    pub compare: Option<ResultDir>,
    pub evsi: Vec<ResultDir>,
    pub threshold: Vec<ResultDir>,
}

impl Sources {
    /// Open the directories of `extras`: each must match its manifest and be of the kind
    /// asked for, and a one-way analysis must be of the run's scenario (same SHA-256).
    fn open(run: &ResultDir, extras: &Extras) -> Result<Sources, ReadError> {
        let none: Regenerated = &|_| false;
        // An analysis of a scenario must be of the run's (the same SHA-256).
        let of_scenario = |d: &Path, (analysis, noun, by): (&str, &str, &str)| {
            let r = manifest::open(d, none)?;
            r.expect_analysis(analysis, by)?;
            let sha = |j: &serde_json::Value| j["scenario"]["sha256"].clone();
            if sha(&r.json) != sha(&run.json) {
                return Err(ReadError::Manifest {
                    file: r.file("run.json"),
                    what: format!(
                        "the {noun} is of scenario {} (SHA-256 {}), not of the run's {} (SHA-256 {})",
                        r.json["scenario"]["path"],
                        sha(&r.json),
                        run.json["scenario"]["path"],
                        sha(&run.json)
                    ),
                });
            }
            Ok::<_, ReadError>(r)
        };
        let dsa = extras
            .dsa
            .map(|d| of_scenario(d, ("one-way sensitivity", "one-way analysis", "trdsim dsa")))
            .transpose()?;
        let threshold = extras
            .threshold
            .iter()
            .map(|d| of_scenario(d, ("threshold", "threshold analysis", "trdsim threshold")))
            .collect::<Result<_, _>>()?;
        // A value of information study must be of the run's draws.
        let evsi = extras
            .evsi
            .iter()
            .map(|d| {
                let r = manifest::open(d, none)?;
                r.expect_analysis("expected value of sample information", "trdsim evsi")?;
                let psa = &run.json["files"]["psa.csv"];
                if r.json["run_psa_sha256"] != *psa {
                    return Err(ReadError::Manifest {
                        file: r.file("run.json"),
                        what: format!(
                            "the EVSI was computed from the draws of {} (psa.csv SHA-256 {}), not from this run's (SHA-256 {psa})",
                            r.json["run"], r.json["run_psa_sha256"]
                        ),
                    });
                }
                Ok(r)
            })
            .collect::<Result<_, _>>()?;
        let compare = match extras.compare {
            Some(c) => {
                let compare = manifest::open(c, none)?;
                compare.expect_analysis("scenario comparison", "trdsim compare")?;
                Some(compare)
            }
            None => None,
        };
        Ok(Sources {
            dsa,
            compare,
            evsi,
            threshold,
        })
    }
}

/// The model shown must be the one the results came from: its strategies, states and
/// perspectives are those `run.json` and `results.csv` record, in the same order. This
/// holds even when `run.json` was edited to name another scenario with its true SHA-256.
fn check_model(run: &ResultDir, shape: &Shape, model: &Model) -> Result<(), ReadError> {
    let lists: [(&str, &Vec<String>, Vec<String>); 3] = [
        (
            "strategies",
            &shape.strategies,
            model.strategies.iter().map(|s| s.name.clone()).collect(),
        ),
        (
            "states",
            &shape.states,
            model.states.iter().map(|s| s.name.clone()).collect(),
        ),
        (
            "perspectives",
            &shape.perspectives,
            model.perspectives.iter().map(|p| p.name.clone()).collect(),
        ),
    ];
    for (what, recorded, model_has) in lists {
        if *recorded != model_has {
            return Err(ReadError::Manifest {
                file: run.file("run.json"),
                what: format!(
                    "the results are of {what} {}, but the scenario `{}` has {what} {}: they are not results of this model",
                    recorded.join(", "),
                    run.json["scenario"]["path"].as_str().unwrap_or_default(),
                    model_has.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// Files the report writes itself: the report, and its and run.json's temporary copies.
const WRITTEN: [&str; 3] = ["report.html", ".report.html.tmp", ".run.json.tmp"];

/// Write `report.html` into `dir` from its files and the model it was run with, and
/// record its SHA-256 in `run.json`. Every file of `dir` (and of the extra directories)
/// must match its manifest, and the tables must agree with the run. Returns warnings for
/// the user: what the report had to leave out (a state diagram that could not be laid out).
pub fn write(dir: &Path, model: &Model, extras: &Extras) -> Result<Vec<String>, ReportError> {
    let run = manifest::open(dir, &|name| WRITTEN.contains(&name))?;
    let shape = run.shape()?;
    check_model(&run, &shape, model)?;
    run.trace(&shape)?;
    run.psa(&shape)?;
    let sources = Sources::open(&run, extras)?;
    let report = context::gather(&run, &shape, model, &sources)?;
    let html = render::render(&report)?;
    // Written beside and renamed, so a failure never leaves a half-written report.
    crate::output::add_file(dir, "report.html", &html)?;
    let warnings = report.structure.diagram.failure.iter().map(|e| {
        format!("the state diagram could not be laid out (layout-rs: {e}); the report shows the table of numbered transitions instead")
    });
    Ok(warnings.collect())
}
