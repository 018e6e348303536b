//! Value of information: the expected value of partial perfect information (EVPPI) of
//! single parameters and of groups, per person and per population, at every point of the
//! willingness-to-pay grid of a probabilistic run.
//!
//! Two methods: `regression` reads a run directory's `draws.csv` and `psa.csv` and
//! smooths the per-draw outcomes against the parameters (`econ::voi`, after Strong, Oakley
//! & Brennan 2014 and the R package voi); `nested` simulates, for outer draws of the
//! parameters of interest, inner draws of all the others with the engine itself (the
//! oracle, Brennan et al. 2007). Targets are single parameters, the Dirichlet groups,
//! the groups of correlated parameters, the scenario's `voi_groups`, and groups named on
//! the command line.

pub mod evsi;
mod nested;
mod regression;
pub mod slice;
mod targets;

use std::fs;
use std::path::Path;

use crate::econ::psa;
use crate::econ::voi::{Estimate, Method};
use crate::model::Model;

use super::psa::AnalysisSettings;
use super::read::{self, DrawsData, PsaData};
use super::{AnalysisError, Progress};

pub use nested::{DEFAULT_INNER, DEFAULT_OUTER, OuterMeans};
pub use targets::{Target, TargetKind, targets};

/// How the EVPPI is estimated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VoiMethod {
    /// Nonparametric regression on the run's draws.
    #[default]
    Regression,
    /// Nested two-level Monte Carlo with the engine.
    Nested,
}

impl VoiMethod {
    /// The name on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            VoiMethod::Regression => "regression",
            VoiMethod::Nested => "nested",
        }
    }
}

/// What to compute.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VoiRequest {
    /// Single parameters (none and no groups: every drawn parameter and every group).
    pub params: Vec<String>,
    /// Groups: a known group's name, `all`, or `NAME=a+b+c`.
    pub groups: Vec<String>,
    pub method: VoiMethod,
    /// Nested: outer draws [default: [`DEFAULT_OUTER`]].
    pub outer: Option<usize>,
    /// Nested: inner draws per outer draw [default: [`DEFAULT_INNER`]].
    pub inner: Option<usize>,
    /// Nested: individuals per inner simulation [default: `settings.psa.individuals`].
    pub individuals: Option<usize>,
}

impl VoiRequest {
    /// The `trdsim run` options that ask for the same analysis (`--voi` not included), as
    /// recorded in `run.json` so that `trdsim verify` can rerun it.
    #[must_use]
    pub fn run_arguments(&self) -> Vec<String> {
        let mut args = Vec::new();
        if !self.params.is_empty() {
            args.extend(["--voi-params".into(), self.params.join(",")]);
        }
        if !self.groups.is_empty() {
            args.extend(["--voi-groups".into(), self.groups.join(",")]);
        }
        if self.method == VoiMethod::Nested {
            args.extend(["--voi-method".into(), "nested".into()]);
        }
        for (flag, value) in [
            ("--voi-outer", self.outer),
            ("--voi-inner", self.inner),
            ("--voi-individuals", self.individuals),
        ] {
            if let Some(v) = value {
                args.extend([flag.into(), v.to_string()]);
            }
        }
        args
    }
}

/// The EVPPI of one target in one perspective over the willingness-to-pay grid.
#[derive(Clone, Debug)]
pub struct TargetEstimate {
    pub method: Method,
    /// One estimate per point of the grid.
    pub estimates: Vec<Estimate>,
    /// Nested only: the estimated upward bias from the inner sample at each point of the
    /// grid (half-samples' mean estimate less the full sample's).
    pub inner_bias: Option<Vec<f64>>,
}

/// Everything a value-of-information analysis computed.
#[derive(Clone, Debug)]
pub struct VoiResult {
    pub targets: Vec<Target>,
    pub perspectives: Vec<String>,
    /// The willingness-to-pay grid (the thresholds included).
    pub grid: Vec<f64>,
    /// The thresholds of `settings.wtp`.
    pub thresholds: Vec<f64>,
    /// Population EVPPI per person EVPPI.
    pub population_factor: f64,
    /// `[perspective][target]`.
    pub estimates: Vec<Vec<TargetEstimate>>,
    /// EVPI per person on the grid, `[perspective]`.
    pub evpi: Vec<Vec<f64>>,
    pub method: VoiMethod,
    /// Nested: (outer, inner, individuals).
    pub nested: Option<(usize, usize, usize)>,
    pub warnings: Vec<String>,
}

/// Check a request against the model before anything is simulated: the targets exist and
/// vary between draws, and the nested options are usable.
pub fn check(model: &Model, req: &VoiRequest) -> Result<(), AnalysisError> {
    let targets = targets(model, req)?;
    if req.method == VoiMethod::Nested {
        nested::plan(model, req, &targets)?;
    }
    Ok(())
}

/// Compute the EVPPI for a run directory `dir` holding `psa.csv` (and, for regression,
/// `draws.csv`); `model` is the run's scenario with the run's seed, `a` its analysis
/// settings.
pub fn analyse(
    dir: &Path,
    a: &AnalysisSettings,
    model: &Model,
    req: &VoiRequest,
    progress: &dyn Progress,
) -> Result<VoiResult, AnalysisError> {
    let (data, reference, targets, grid) = prepare(dir, a, model, req)?;
    let (estimates, nested) = match req.method {
        VoiMethod::Regression => {
            let draws = read_draws(dir)?;
            let e = regression::regression(&data, &draws, &targets, reference, &grid)?;
            (e, None)
        }
        VoiMethod::Nested => {
            let plan = nested::plan(model, req, &targets)?;
            let e = nested::nested(model, &data.perspectives, &targets, &plan, &grid, progress)?;
            (
                e.estimates,
                Some((plan.outer, plan.inner, plan.individuals)),
            )
        }
    };
    finish(&data, a, targets, grid, estimates, req.method, nested)
}

/// What every analysis of `dir` starts from: its PSA, the index of the reference strategy,
/// the targets and the willingness-to-pay grid.
fn prepare(
    dir: &Path,
    a: &AnalysisSettings,
    model: &Model,
    req: &VoiRequest,
) -> Result<(PsaData, usize, Vec<Target>, Vec<f64>), AnalysisError> {
    let data = read_psa(dir)?;
    let reference = data.reference_index(&a.reference)?;
    let targets = targets(model, req)?;
    let grid = psa::wtp_grid(a.wtp_max, a.wtp_steps, &a.thresholds);
    Ok((data, reference, targets, grid))
}

/// The result of the estimates: with the EVPI, the population, warnings, checked finite.
fn finish(
    data: &PsaData,
    a: &AnalysisSettings,
    targets: Vec<Target>,
    grid: Vec<f64>,
    estimates: Vec<Vec<TargetEstimate>>,
    method: VoiMethod,
    nested: Option<(usize, usize, usize)>,
) -> Result<VoiResult, AnalysisError> {
    let evpi: Vec<Vec<f64>> = data.tables.iter().map(|t| psa::evpi(t, &grid)).collect();
    let mut result = VoiResult {
        targets,
        perspectives: data.perspectives.clone(),
        grid,
        thresholds: a.thresholds.clone(),
        population_factor: psa::population_factor(
            a.population_per_year,
            a.population_years,
            a.population_discount,
        ),
        estimates,
        evpi,
        method,
        nested,
        warnings: Vec::new(),
    };
    result.warnings = warnings(&result);
    super::finite::check_voi(data, &result)?;
    Ok(result)
}

/// Run `f` on a pool of `threads` worker threads (default: the global pool); the results
/// do not depend on the number.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> Result<T, AnalysisError> + Send,
) -> Result<T, AnalysisError> {
    let Some(n) = threads else {
        return f();
    };
    if n == 0 || n > 1024 {
        return Err(AnalysisError::Invalid(format!(
            "--threads: expected a number from 1 to 1024, found {n}"
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| AnalysisError::Failed(format!("cannot start {n} threads: {e}")))?;
    pool.install(f)
}

/// An estimate above the EVPI by more than twice its error at a threshold is a sign of a
/// poor regression fit (or too few inner draws); say so.
fn warnings(r: &VoiResult) -> Vec<String> {
    let mut out = Vec::new();
    for (p, persp) in r.perspectives.iter().enumerate() {
        for (t, te) in r.targets.iter().zip(&r.estimates[p]) {
            for (w, (e, evpi)) in r.grid.iter().zip(te.estimates.iter().zip(&r.evpi[p])) {
                if !r.thresholds.contains(w) {
                    continue;
                }
                if e.value > evpi + 2.0 * e.se + 1e-9 * evpi.abs() {
                    out.push(format!(
                        "{persp} perspective, {} at {w}/QALY: EVPPI {} exceeds the EVPI {} by more than twice its standard error {}; check the regression (more draws) or the nested inner sample",
                        t.name, e.value, evpi, e.se
                    ));
                }
            }
            let Some(bias) = &te.inner_bias else {
                continue;
            };
            for ((w, e), b) in r.grid.iter().zip(&te.estimates).zip(bias) {
                if r.thresholds.contains(w) && *b > e.se.max(0.05 * e.value) {
                    out.push(format!(
                        "{persp} perspective, {} at {w}/QALY: the nested estimate {} may be biased upwards by about {b} from the inner sample (standard error {}); use more inner draws (--inner)",
                        t.name, e.value, e.se
                    ));
                }
            }
        }
    }
    out
}

fn read_text(dir: &Path, name: &str) -> Result<(String, String), AnalysisError> {
    let file = dir.join(name);
    let shown = file.display().to_string();
    let text = fs::read_to_string(&file).map_err(|e| {
        AnalysisError::Invalid(format!(
            "cannot read `{shown}`: {e} (value of information needs a run with --draws)"
        ))
    })?;
    Ok((text, shown))
}

pub(super) fn read_psa(dir: &Path) -> Result<PsaData, AnalysisError> {
    let (text, file) = read_text(dir, "psa.csv")?;
    let data = read::parse_psa(&text, &file)?;
    super::finite::check_inputs(&data)?;
    Ok(data)
}

pub(super) fn read_draws(dir: &Path) -> Result<DrawsData, AnalysisError> {
    let (text, file) = read_text(dir, "draws.csv")?;
    let data = read::parse_draws(&text, &file)?;
    super::finite::check_draws(&data)?;
    Ok(data)
}
