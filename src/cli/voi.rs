//! `trdsim voi`: the EVPPI of a PSA result directory's parameters and groups, added to it.

use std::path::Path;

use crate::analysis::manifest;
use crate::analysis::read::{ReadError, analysis_from_info, read_run_json};
use crate::analysis::verify;
use crate::analysis::voi::{self, VoiMethod, VoiRequest, VoiResult};
use crate::output;

use super::args::VoiArgs;
use super::progress::Bars;
use super::{EXIT_FAILURE, EXIT_INVALID, EXIT_OK, fail, fail_with, load, out};

/// Parameters and groups listed per perspective and threshold on the console.
const SHOWN: usize = 10;

/// The request the options describe.
pub(super) fn request(
    params: &[String],
    groups: &[String],
    method: &str,
    nested: (Option<usize>, Option<usize>, Option<usize>),
) -> VoiRequest {
    VoiRequest {
        params: params.to_vec(),
        groups: groups.to_vec(),
        method: if method == "nested" {
            VoiMethod::Nested
        } else {
            VoiMethod::Regression
        },
        outer: nested.0,
        inner: nested.1,
        individuals: nested.2,
    }
}

/// Compute the EVPPI of a result directory and add it (and its figures) to the directory.
/// A PSA result directory checked against its manifest, with the model it was run with
/// (the recorded scenario, checked unchanged, with the run's seed), `run.json` and the
/// scenario's path; or the exit code, with the error printed.
pub(super) struct RunModel {
    pub model: crate::model::Model,
    pub info: serde_json::Value,
    pub scenario: std::path::PathBuf,
}

pub(super) fn run_model(dir: &Path) -> Result<RunModel, i32> {
    let rerun = verify::rerun(dir).map_err(|e| fail(None, &e))?;
    check_dir(dir).map_err(|e| fail_with(EXIT_INVALID, e))?;
    let scenario = std::path::PathBuf::from(&rerun.scenario);
    let mut model = load(&scenario)?;
    let info = read_run_json(dir).map_err(|e| fail(None, &e.into()))?;
    if let Some(seed) = info["seed"].as_u64() {
        model.settings.seed = seed;
    }
    Ok(RunModel {
        model,
        info,
        scenario,
    })
}

pub fn voi(args: &VoiArgs) -> i32 {
    let dir = &args.dir;
    // The recorded scenario, checked unchanged, gives the groups and the nested model.
    let run = match run_model(dir) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let req = request(
        &args.params,
        &args.groups,
        &args.method,
        (args.outer, args.inner, args.individuals),
    );
    let settings = analysis_from_info(&run.info["figures"]);
    let progress = Bars { quiet: args.quiet };
    let scenario = run.scenario.as_path();
    if let (Some(range), Some(target)) = (&args.outer_range, &args.out) {
        return slice(args, &run, &req, (range, target));
    }
    let computed = if args.merge.is_empty() {
        voi::with_threads(args.threads, || {
            voi::analyse(dir, &settings, &run.model, &req, &progress)
        })
        .map(|r| (r, req))
    } else {
        merge_slices(dir, &settings, &run, &args.merge)
    };
    let (result, req) = match computed {
        Ok(r) => r,
        Err(e) => return fail(Some(scenario), &e),
    };
    if let Err(e) = output::add_voi(dir, &result, &req) {
        return fail_with(EXIT_FAILURE, e);
    }
    out(&report(&result));
    out(&format!(
        "EVPPI written to {}\n",
        dir.join("evppi.csv").display()
    ));
    EXIT_OK
}

/// `--outer-range A..B --out SLICE_DIR`: outer draws A..B of the nested analysis, written
/// as a slice; the run directory is only read.
fn slice(args: &VoiArgs, run: &RunModel, req: &VoiRequest, (range, target): (&str, &Path)) -> i32 {
    let scenario = run.scenario.as_path();
    let plan = match voi::slice::plan(&run.model, req, range) {
        Ok(p) => p,
        Err(e) => return fail(Some(scenario), &e),
    };
    let _claim = match super::claim(target, args.force) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let progress = Bars { quiet: args.quiet };
    let computed = voi::with_threads(args.threads, || {
        voi::slice::compute(&run.model, &run.info, req, &plan, &progress)
    });
    let slice = match computed {
        Ok(s) => s,
        Err(e) => return fail(Some(scenario), &e),
    };
    if let Err(e) = output::write_nested_slice(target, args.force, &slice, &args.dir) {
        return fail_with(EXIT_FAILURE, e);
    }
    out(&format!(
        "outer draws {}..{} of {} written to {}\n",
        slice.range.0,
        slice.range.1,
        slice.plan.0,
        target.display()
    ));
    EXIT_OK
}

/// `--merge SLICE_DIR...`: the slices read, checked and combined.
fn merge_slices(
    dir: &Path,
    settings: &crate::analysis::psa::AnalysisSettings,
    run: &RunModel,
    dirs: &[std::path::PathBuf],
) -> Result<(VoiResult, VoiRequest), crate::analysis::AnalysisError> {
    let mut slices = Vec::new();
    for d in dirs {
        slices.push((d.clone(), voi::slice::read(d)?));
    }
    voi::slice::combine(dir, settings, &run.model, &run.info, slices)
}

/// The directory must be as the run wrote it (the EVPPI files of an earlier `voi` excepted:
/// they are written again), with `psa.csv` and `draws.csv` whole and of the recorded draws.
pub(super) fn check_dir(dir: &Path) -> Result<(), ReadError> {
    let evppi = |n: &str| {
        n == "evppi.csv"
            || (n.starts_with("evppi_") && (n.ends_with(".png") || n.ends_with(".svg")))
    };
    let run = manifest::open(dir, &evppi)?;
    let shape = run.shape()?;
    run.psa(&shape)?;
    run.draws_csv()?;
    Ok(())
}

/// The largest EVPPI per person at each threshold, and the warnings.
pub(super) fn report(r: &VoiResult) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for (p, persp) in r.perspectives.iter().enumerate() {
        for (wi, w) in r.grid.iter().enumerate() {
            if !r.thresholds.contains(w) {
                continue;
            }
            let _ = writeln!(
                s,
                "EVPPI per person, {persp}, at {w}/QALY (EVPI {:.2}):",
                r.evpi[p][wi]
            );
            let mut rows: Vec<(&str, f64, f64, &str)> = r
                .targets
                .iter()
                .zip(&r.estimates[p])
                .map(|(t, te)| {
                    let e = te.estimates[wi];
                    (t.name.as_str(), e.value, e.se, te.method.as_str())
                })
                .collect();
            rows.sort_by(|a, b| b.1.total_cmp(&a.1));
            for (name, v, se, method) in rows.iter().take(SHOWN) {
                let _ = writeln!(s, "  {name:<32} {v:>12.2}  (se {se:.2}, {method})");
            }
        }
    }
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}
