//! `trdsim merge`: PSA slices combined into one run.

use std::path::{Path, PathBuf};

use crate::analysis::merge;
use crate::output;

use super::{EXIT_FAILURE, EXIT_INVALID, EXIT_OK, console, fail, fail_with, out};

pub fn merge(dirs: &[PathBuf], dir: &Path, force: bool) -> i32 {
    if let Err(e) = output::check_target(dir, force) {
        return fail_with(EXIT_INVALID, e);
    }
    let merged = match merge::read_slices(dirs) {
        Ok(m) => m,
        Err(e) => return fail(None, &e),
    };
    let n = merged.n_slices;
    match output::write_merged(dir, force, merged) {
        Ok(f) => {
            out(&console::psa_report(&f));
            out(&format!("merged {n} slices into {}\n", dir.display()));
            EXIT_OK
        }
        Err(e) => fail_with(EXIT_FAILURE, e),
    }
}
