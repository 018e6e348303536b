//! Validation warnings: each file in `tests/warnings/` is a complete, valid scenario with one
//! value a careful modeller would want flagged, and its first line names the warning
//! `trdsim validate` must print:
//!
//! ```text
//! # warn: LINE: FRAGMENT
//! ```
//!
//! The scenario must still validate (exit 0), and the warning must be the only one. The
//! numbers in the fragments are worked out by hand on each file's comment lines.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{code, root, s, stderr, stdout, tempdir, trdsim};

const DIR: &str = "tests/warnings";

/// Validate `path` and check the warning its first line promises.
fn check(path: &Path) -> Result<(), String> {
    let text = fs::read_to_string(root().join(path)).map_err(|e| e.to_string())?;
    let first = text.lines().next().unwrap_or_default();
    let spec = first
        .strip_prefix("# warn: ")
        .ok_or_else(|| format!("{}: no `# warn: LINE: FRAGMENT` line", path.display()))?;
    let (line, fragment) = spec
        .split_once(": ")
        .ok_or_else(|| format!("{}: no fragment", path.display()))?;
    let out = trdsim(&["validate", s(path)]);
    let err = stderr(&out);
    let fail = |why: &str| Err(format!("{}: {why}\nstderr:\n{err}", path.display()));
    if code(&out) != 0 || !stdout(&out).contains(": valid") {
        return fail("the scenario does not validate");
    }
    let prefix = format!("{}:{line}:", path.display());
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains(": warning: ")).collect();
    if !warnings
        .iter()
        .any(|w| w.starts_with(&prefix) && w.contains(fragment))
    {
        return fail(&format!(
            "no warning at line {line} containing `{fragment}`"
        ));
    }
    if warnings.len() != 1 {
        return fail("expected exactly one warning");
    }
    Ok(())
}

fn files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join(DIR))
        .expect("the warnings directory exists")
        .map(|e| Path::new(DIR).join(e.expect("an entry").file_name()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_warning_scenario_validates_with_its_warning() {
    let files = files();
    assert!(files.len() >= 6, "warning scenarios missing: {files:?}");
    let failures: Vec<String> = files.iter().filter_map(|f| check(f).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_shipped_examples_give_no_plausibility_warning() {
    // Utilities within [-0.446, 1], beta distributions on probabilities, and ages that stay
    // inside the life table: nothing to flag.
    for scenario in [
        "scenarios/examples/three-state.yaml",
        "scenarios/examples/relapse-life-table.yaml",
        "scenarios/eko-vs-ect.yaml",
    ] {
        let out = trdsim(&["validate", scenario]);
        let err = stderr(&out);
        assert_eq!(code(&out), 0, "{scenario}: {err}");
        for needle in ["utility", "used as a probability", "ages "] {
            assert!(
                !err.lines()
                    .any(|l| l.contains(": warning: ") && l.contains(needle)),
                "{scenario}: unexpected warning about `{needle}`:\n{err}"
            );
        }
    }
}

/// three-state.yaml with `old` (once) replaced by `new`, validated; returns stderr.
fn validate_three_state_with(old: &str, new: &str) -> String {
    let text =
        fs::read_to_string(root().join("scenarios/examples/three-state.yaml")).expect("readable");
    assert_eq!(text.matches(old).count(), 1, "`{old}` occurs once");
    let dir = tempdir();
    let path = dir.path().join("scenario.yaml");
    fs::write(&path, text.replace(old, new)).expect("written");
    let out = trdsim(&["validate", s(&path)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stderr(&out)
}

#[test]
fn utilities_at_the_bounds_are_not_flagged() {
    // 1 (full health) and -0.446 (the worst Dutch EQ-5D-5L state) are both possible values.
    for u in ["1", "-0.446"] {
        let err = validate_three_state_with("utility: u_sick", &format!("utility: {u}"));
        assert!(!err.contains("utility"), "utility {u}:\n{err}");
    }
    let err = validate_three_state_with("utility: u_sick", "utility: -0.447");
    assert!(err.contains("utility -0.447 below -0.446"), "{err}");
}

#[test]
fn a_utility_that_varies_between_individuals_is_not_checked() {
    // No single point value: `model_time` differs per cycle (documented).
    let err = validate_three_state_with("utility: u_sick", "utility: \"u_sick + model_time\"");
    assert!(!err.contains("utility"), "{err}");
}

#[test]
fn a_uniform_inside_the_unit_interval_is_not_flagged() {
    let err = validate_three_state_with(
        "dist: {type: beta, se: 0.05}",
        "dist: {type: uniform, min: 0.3, max: 0.7}",
    );
    assert!(!err.contains("used as a probability"), "{err}");
}

#[test]
fn a_normal_on_a_parameter_not_used_as_a_probability_is_not_flagged() {
    // c_healthy is a cost: a normal can draw a negative cost, but that is another matter.
    let err = validate_three_state_with(
        "dist: {type: gamma, se: 200}",
        "dist: {type: normal, mean: 2000, sd: 200}",
    );
    assert!(!err.contains("used as a probability"), "{err}");
}

#[test]
fn an_age_attribute_without_an_upper_bound_runs_past_the_table() {
    // Without `max`, a normal age has no oldest individual: every cycle may be past the
    // table's last age, 360 cycles × 20000 individuals at most.
    let file = root().join("tests/warnings/ages-past-the-end-of-a-life-table.yaml");
    let text = fs::read_to_string(&file).expect("readable");
    let table = root().join("scenarios/data/nl_cbs37360ned_qx_by_sex_2019.csv");
    let text = text.replace("      max: 85.2\n", "").replace(
        "../../scenarios/data/nl_cbs37360ned_qx_by_sex_2019.csv",
        s(&table),
    );
    let dir = tempdir();
    let path = dir.path().join("scenario.yaml");
    fs::write(&path, text).expect("written");
    let out = trdsim(&["validate", s(&path)]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(
        err.contains("ages run past the table's last age 99: the age attribute has no upper bound (`max`), so individuals can be of any age, and `out_of_range: clamp` gives them the row for 99; at most 7200000 individual-cycles are affected (20000 individuals of settings.individuals × 360 of the 360 cycles;"),
        "{err}"
    );
}
