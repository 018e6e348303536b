//! `trdsim report` (the HTML report of a result directory) and `trdsim plot` (its figures
//! redrawn from its files).

use std::path::Path;

use crate::analysis::manifest;
use crate::analysis::read::read_run_json;
use crate::output;
use crate::report::ReportError;

use super::{EXIT_FAILURE, EXIT_INVALID, EXIT_OK, fail_with, load, out};

/// Write `report.html` for a result directory, with the other analyses of `extras`.
pub fn report(dir: &Path, extras: crate::report::Extras) -> i32 {
    // The model shown must be the one the results came from.
    let scenario = match read_run_json(dir).and_then(|json| manifest::check_inputs(dir, &json)) {
        Ok(s) => s,
        Err(e) => return fail_with(EXIT_INVALID, e),
    };
    let model = match load(Path::new(&scenario)) {
        Ok(m) => m,
        Err(code) => return code,
    };
    match crate::report::write(dir, &model, &extras) {
        Ok(warnings) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            out(&format!(
                "report written to {}\n",
                dir.join("report.html").display()
            ));
            EXIT_OK
        }
        Err(e @ ReportError::Input(_)) => fail_with(EXIT_INVALID, e),
        Err(e) => fail_with(EXIT_FAILURE, e),
    }
}

/// Redraw every figure of a result directory.
pub fn plot(dir: &Path) -> i32 {
    let read = || {
        let run = manifest::open(dir, &output::redrawn)?;
        let shape = run.shape()?;
        let trace = run.trace(&shape)?;
        let psa = run.psa(&shape)?;
        Ok::<_, crate::analysis::read::ReadError>((run, trace, psa))
    };
    let (run, trace, psa) = match read() {
        Ok(r) => r,
        Err(e) => return fail_with(EXIT_INVALID, e),
    };
    let figures = &run.json["figures"];
    match output::update_files(dir, |tmp| {
        output::render_from(tmp, figures, &trace, psa.as_ref())
    }) {
        Ok(_) => {
            out(&format!("figures redrawn in {}\n", dir.display()));
            EXIT_OK
        }
        Err(e) => fail_with(EXIT_FAILURE, e),
    }
}
