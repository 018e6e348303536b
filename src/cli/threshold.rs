//! `trdsim threshold`: the value of one parameter at which the preferred strategy changes.

use std::path::PathBuf;

use crate::analysis::threshold::{self, ThresholdRequest};
use crate::output;

use super::args::ThresholdArgs;
use super::progress::Bars;
use super::{EXIT_FAILURE, EXIT_OK, fail, fail_with, load, out};

pub fn threshold(args: &ThresholdArgs) -> i32 {
    let mut model = match load(&args.scenario) {
        Ok(m) => m,
        Err(code) => return code,
    };
    if !args.range.is_empty() && args.range.len() != 2 {
        let e = crate::analysis::AnalysisError::Invalid(format!(
            "--range: expected two numbers LOW,HIGH, found {}",
            args.range.len()
        ));
        return fail(Some(&args.scenario), &e);
    }
    let req = ThresholdRequest {
        param: args.param.clone(),
        range: (args.range.len() == 2).then(|| (args.range[0], args.range[1])),
        wtp: args.wtp,
        perspective: args.perspective.clone(),
        individuals: args.individuals,
        steps: Some(args.steps),
    };
    let plan = match threshold::plan(&mut model, &req) {
        Ok(p) => p,
        Err(e) => return fail(Some(&args.scenario), &e),
    };
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("outputs").join(format!("{}-threshold-{}", model.name, args.param))
    });
    let _claim = match super::claim(&dir, args.force) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let result = match threshold::run(&model, &plan, &Bars { quiet: args.quiet }) {
        Ok(r) => r,
        Err(e) => return fail(Some(&args.scenario), &e),
    };
    if let Err(e) =
        output::write_threshold(&dir, args.force, &model, &args.scenario, &plan, &result)
    {
        return fail_with(EXIT_FAILURE, e);
    }
    out(&output::threshold_summary(&model, &plan, &result));
    out(&format!(
        "threshold analysis written to {}\n",
        dir.display()
    ));
    EXIT_OK
}
