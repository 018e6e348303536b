//! `trdsim run`: a base case and, with `--draws`, a probabilistic analysis.

use std::path::Path;
use std::time::Instant;

use crate::analysis::run::{self, RunPlan, RunRequest, RunResult};
use crate::model::Model;
use crate::output;

use super::args::RunArgs;
use super::progress::Bars;
use super::{EXIT_FAILURE, EXIT_INVALID, EXIT_OK, claim, console, fail, fail_with, load, out};

pub fn run(args: &RunArgs) -> i32 {
    let started = Instant::now();
    let mut model = match load(&args.scenario) {
        Ok(m) => m,
        Err(code) => return code,
    };
    for w in &model.warnings {
        eprintln!("{w}");
    }
    let req = RunRequest {
        individuals: args.individuals,
        seed: args.seed,
        threads: args.threads,
        cohort: args.cohort,
        draws: args.draws,
        draw_range: args.draw_range.clone(),
        draw_individuals: args.draw_individuals,
        trajectories: args.trajectories,
    };
    let plan = match run::plan(&mut model, &req) {
        Ok(p) => p,
        Err(e) => return fail(Some(&args.scenario), &e),
    };
    let voi = args.voi.then(|| {
        super::voi::request(
            &args.voi_params,
            &args.voi_groups,
            &args.voi_method,
            (args.voi_outer, args.voi_inner, args.voi_individuals),
        )
    });
    if voi.is_some() && plan.psa.is_none() {
        eprintln!(
            "error: --voi: the value of information needs a probabilistic analysis; add --draws N"
        );
        return EXIT_INVALID;
    }
    if let Some(req) = &voi
        && let Err(e) = crate::analysis::voi::check(&model, req)
    {
        return fail(Some(&args.scenario), &e);
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&model));
    let _claim = match claim(&dir, args.force) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let scenario_bytes = match std::fs::read(&args.scenario) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", args.scenario.display());
            return EXIT_INVALID;
        }
    };
    let loaded = started.elapsed().as_secs_f64();
    let progress = Bars { quiet: args.quiet };
    let result = match run::run(&model, &plan, &progress) {
        Ok(r) => r,
        Err(e) => return fail(Some(&args.scenario), &e),
    };
    let findings = match write(
        &dir,
        args.force,
        &args.scenario,
        &scenario_bytes,
        &model,
        &plan,
        &result,
        loaded,
        voi.as_ref(),
    ) {
        Ok(f) => f,
        Err(e) => return fail_with(EXIT_FAILURE, e),
    };
    if args.report {
        match crate::report::write(&dir, &model, &crate::report::Extras::default()) {
            Ok(warnings) => {
                for w in warnings {
                    eprintln!("warning: {w}");
                }
            }
            Err(e) => return fail_with(EXIT_FAILURE, e),
        }
    }
    out(&console::report(&model, &result.sim));
    if let Some(f) = &findings {
        out(&console::psa_report(f));
    }
    out(&format!("results written to {}\n", dir.display()));
    EXIT_OK
}

/// Write a run's result directory; returns the PSA findings when there was a PSA.
#[allow(clippy::too_many_arguments)]
fn write(
    dir: &Path,
    force: bool,
    scenario: &Path,
    scenario_bytes: &[u8],
    model: &Model,
    plan: &RunPlan,
    result: &RunResult,
    loaded: f64,
    voi: Option<&crate::analysis::voi::VoiRequest>,
) -> Result<Option<crate::analysis::psa::PsaFindings>, output::OutputError> {
    let mut timings = vec![("load", loaded)];
    timings.extend(result.timings.iter().copied());
    let info = output::RunInfo {
        scenario_path: scenario.display().to_string(),
        scenario_sha256: output::sha256_hex(scenario_bytes),
        command: std::env::args().collect(),
        seed: model.settings.seed,
        n_individuals: if plan.cohort {
            0
        } else {
            model.settings.n_individuals
        },
        threads: plan.threads,
        trajectories: plan.trajectories,
        method: if plan.cohort {
            "cohort"
        } else {
            "microsimulation"
        },
        timings_s: timings,
    };
    output::write_run_with_voi(dir, force, model, &info, result, voi)
}
