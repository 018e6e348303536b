//! A slice of the nested EVPPI's outer draws (`trdsim voi --outer-range`): `nested.csv`
//! with the conditional means of its outer draws, and `run.json`, written atomically.

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::voi::slice::{COLUMNS, MEANS_FILE, NestedSlice, SAMPLES, rows};

use super::{OutputError, field, write_atomically, write_file};

/// `nested.csv`: per target, outer draw, inner sample (all, each half), strategy and
/// perspective, the conditional mean cost and QALYs, as shortest round-trip numbers (so
/// that they are read back exactly).
#[must_use]
pub fn nested_slice_csv(slice: &NestedSlice) -> String {
    let mut s = String::from(COLUMNS);
    s.push('\n');
    for (t, k, m, st, p) in rows(slice) {
        let means = &slice.means[t][(k - slice.range.0) as usize];
        let _ = writeln!(
            s,
            "{},{k},{},{},{},{},{}",
            field(&slice.targets[t]),
            SAMPLES[m],
            field(&slice.strategies[st]),
            field(&slice.perspectives[p]),
            means.cost[m][p][st],
            means.effect[m][st]
        );
    }
    s
}

/// Write the slice directory `dir`; `run_dir` is the result directory it was computed from.
pub fn write_nested_slice(
    dir: &Path,
    force: bool,
    slice: &NestedSlice,
    run_dir: &Path,
) -> Result<(), OutputError> {
    write_atomically(dir, force, slice.manifest(run_dir), |tmp| {
        write_file(&tmp.join(MEANS_FILE), &nested_slice_csv(slice))?;
        Ok(serde_json::Map::new())
    })
}
