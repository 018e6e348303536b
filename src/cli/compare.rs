//! `trdsim compare`: several scenarios side by side.

use std::path::PathBuf;

use crate::analysis::compare::{self, CompareRequest};
use crate::output;

use super::args::CompareArgs;
use super::progress::Bars;
use super::{EXIT_FAILURE, EXIT_OK, claim, fail, fail_with, load, out};

pub fn compare(args: &CompareArgs) -> i32 {
    let mut models = Vec::new();
    for sc in &args.scenarios {
        match load(sc) {
            Ok(m) => models.push(m),
            Err(code) => return code,
        }
    }
    let req = CompareRequest {
        individuals: args.individuals,
        draws: args.draws,
    };
    if let Err(e) = compare::check(&req) {
        return fail(None, &e);
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join("compare"));
    let _claim = match claim(&dir, args.force) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let comparison = match compare::compare(&models, &req, &Bars { quiet: args.quiet }) {
        Ok(c) => c,
        Err((i, e)) => return fail(Some(&args.scenarios[i]), &e),
    };
    let names: Vec<String> = args
        .scenarios
        .iter()
        .map(|s| s.display().to_string())
        .collect();
    if let Err(e) = output::write_comparison(&dir, args.force, &names, &comparison, args.draws) {
        return fail_with(EXIT_FAILURE, e);
    }
    out(&format!(
        "compared {} scenarios; written to {}\n",
        models.len(),
        dir.display()
    ));
    EXIT_OK
}
