//! `trdsim merge`: PSA slices combined into one run.

use std::path::{Path, PathBuf};

use crate::analysis::merge;
use crate::output;

use super::{EXIT_FAILURE, EXIT_OK, claim, console, fail, fail_with, out};

pub fn merge(dirs: &[PathBuf], dir: &Path, force: bool) -> i32 {
    let _claim = match claim(dir, force) {
        Ok(c) => c,
        Err(code) => return code,
    };
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
