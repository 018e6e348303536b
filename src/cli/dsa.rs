//! `trdsim dsa`: one-way (tornado) or two-way (heat map) sensitivity analysis.

use std::path::PathBuf;

use crate::analysis::dsa::{self, DsaRequest};
use crate::output;

use super::args::DsaArgs;
use super::progress::Bars;
use super::{EXIT_FAILURE, EXIT_OK, claim, fail, fail_with, load, out};

pub fn dsa(args: &DsaArgs) -> i32 {
    let model = match load(&args.scenario) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let req = DsaRequest {
        params: args.params.clone(),
        two_way: args.two_way.clone(),
        grid: args.grid,
        wtp: args.wtp,
        perspective: args.perspective.clone(),
        individuals: args.individuals,
    };
    let plan = match dsa::plan(&model, &req) {
        Ok(p) => p,
        Err(e) => return fail(Some(&args.scenario), &e),
    };
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}-dsa", model.name)));
    let _claim = match claim(&dir, args.force) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let result = match dsa::run(&model, &plan, &Bars { quiet: args.quiet }) {
        Ok(r) => r,
        Err(e) => return fail(Some(&args.scenario), &e),
    };
    if let Err(e) = output::write_dsa(&dir, args.force, &model, &args.scenario, &plan, &result) {
        return fail_with(EXIT_FAILURE, e);
    }
    let what = match &result.two_way {
        Some(t) => format!(
            "two-way sensitivity analysis of `{}` and `{}`",
            model.params[t.x.param].name, model.params[t.y.param].name
        ),
        None => format!(
            "one-way sensitivity analysis of {} parameters",
            plan.ranges.len()
        ),
    };
    out(&format!("{what} written to {}\n", dir.display()));
    EXIT_OK
}
