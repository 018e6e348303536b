//! `trdsim report` (the HTML report of a result directory) and `trdsim plot` (its figures
//! redrawn from its files).

use std::path::Path;

use crate::analysis::read::read_run_json;
use crate::output;

use super::{EXIT_FAILURE, EXIT_INVALID, EXIT_OK, fail, fail_with, load, out};

/// Write `report.html` for a result directory, with a DSA and a comparison if given.
pub fn report(dir: &Path, dsa: Option<&Path>, compare: Option<&Path>) -> i32 {
    let json = match read_run_json(dir) {
        Ok(j) => j,
        Err(e) => return fail(None, &e),
    };
    let Some(path) = json["scenario"]["path"].as_str() else {
        eprintln!("error: {}: no scenario path in run.json", dir.display());
        return EXIT_INVALID;
    };
    let model = match load(Path::new(path)) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let extras = crate::report::Extras { dsa, compare };
    match crate::report::write(dir, &model, &extras) {
        Ok(()) => {
            out(&format!(
                "report written to {}\n",
                dir.join("report.html").display()
            ));
            EXIT_OK
        }
        Err(e) => fail_with(EXIT_FAILURE, e),
    }
}

/// Redraw every figure of a result directory.
pub fn plot(dir: &Path) -> i32 {
    let info = match read_run_json(dir) {
        Ok(j) => j,
        Err(e) => return fail_with(EXIT_FAILURE, e),
    };
    match output::update_files(dir, |tmp| output::render(tmp, &info["figures"])) {
        Ok(_) => {
            out(&format!("figures redrawn in {}\n", dir.display()));
            EXIT_OK
        }
        Err(e) => fail_with(EXIT_FAILURE, e),
    }
}
