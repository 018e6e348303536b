//! The R snippet of `docs/exports.md`, run for real: Rscript reads a PSA's wide matrices
//! (`psa_costs*.csv`, `psa_effects.csv`), computes the acceptability curve at the run's
//! thresholds in base R, and must give `ceac.csv`'s `prob_best`. The snippet is taken from
//! the document itself, so the two cannot drift apart.
//!
//! Without `Rscript` the test says it was skipped, unless `TRDSIM_REQUIRE_R` is set (as
//! `.ci/run` does), when it fails.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{code, root, s, stderr, tempdir, trdsim};

const DOC: &str = "docs/exports.md";
const MARKER: &str = "<!-- r-ceac:";

/// The fenced R block that follows the `r-ceac` marker in the document.
fn snippet() -> String {
    let doc = fs::read_to_string(root().join(DOC)).unwrap();
    let after = &doc[doc
        .find(MARKER)
        .expect("the r-ceac marker in docs/exports.md")..];
    let start = after.find("```r\n").expect("an R block after the marker") + "```r\n".len();
    let len = after[start..].find("```").expect("the end of the R block");
    after[start..start + len].to_string()
}

fn rscript_available() -> bool {
    let found = Command::new("Rscript").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("TRDSIM_REQUIRE_R").is_none(),
            "TRDSIM_REQUIRE_R is set but Rscript cannot be run (install r-base-core)"
        );
        eprintln!("skipped: Rscript not found (install Debian's r-base-core to run this test)");
    }
    found
}

/// `(wtp, strategy) -> prob_best` of one perspective of `ceac.csv`.
fn ceac_csv(dir: &Path, perspective: &str) -> Vec<(f64, String, f64)> {
    let text = fs::read_to_string(dir.join("ceac.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[0] == perspective)
        .map(|f| {
            (
                f[1].parse().unwrap(),
                f[2].to_string(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

/// Run the documented snippet on `dir` for `perspective` at `wtp`; returns its `ceac`
/// rows, written at full precision.
fn run_snippet(dir: &Path, perspective: &str, wtp: &[f64]) -> Vec<(f64, String, f64)> {
    let out_file = dir.with_extension("ceac.txt");
    let wtp_r: Vec<String> = wtp.iter().map(|w| format!("{w}")).collect();
    let script = format!(
        "dir <- \"{}\"\nperspective <- \"{perspective}\"\nwtp <- c({})\n{}\n\
         writeLines(sprintf(\"%.17g,%s,%.17g\", ceac$wtp, ceac$strategy, ceac$prob_best), \"{}\")\n",
        s(dir),
        wtp_r.join(", "),
        snippet(),
        s(&out_file),
    );
    let script_file = dir.with_extension("R");
    fs::write(&script_file, script).unwrap();
    let out = Command::new("Rscript")
        .arg("--vanilla")
        .arg(&script_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Rscript failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].to_string(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

/// Run `scenario` with a PSA into `dir`; returns its thresholds (settings.wtp).
fn psa_run(dir: &Path, scenario: &str) -> Vec<f64> {
    let sc = root().join(scenario);
    let out = trdsim(&[
        "run",
        s(&sc),
        "--out",
        s(dir),
        "--individuals",
        "100",
        "--draws",
        "60",
        "--draw-individuals",
        "40",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("run.json")).unwrap()).unwrap();
    json["figures"]["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64().unwrap())
        .collect()
}

#[test]
fn the_documented_r_snippet_reproduces_ceac_csv_from_the_wide_matrices() {
    if !rscript_available() {
        return;
    }
    let tmp = tempdir();
    // One perspective and four strategies whose curves cross near the threshold
    // (psa_costs.csv), and two perspectives (psa_costs_<perspective>.csv).
    let runs = [
        (
            "scenarios/examples/sick-sicker-darth.yaml",
            vec!["healthcare"],
            4,
        ),
        (
            "scenarios/examples/three-state.yaml",
            vec!["healthcare", "societal"],
            2,
        ),
    ];
    let mut varied = false;
    for (i, (scenario, perspectives, n_strategies)) in runs.iter().enumerate() {
        let dir = tmp.path().join(format!("r{i}"));
        let thresholds = psa_run(&dir, scenario);
        assert!(!thresholds.is_empty());
        for perspective in perspectives {
            let from_r = run_snippet(&dir, perspective, &thresholds);
            let expected: Vec<(f64, String, f64)> = ceac_csv(&dir, perspective)
                .into_iter()
                .filter(|(w, _, _)| thresholds.contains(w))
                .collect();
            assert_eq!(from_r.len(), thresholds.len() * n_strategies, "{from_r:?}");
            assert_eq!(from_r.len(), expected.len());
            for (r, e) in from_r.iter().zip(&expected) {
                assert_eq!((r.0, &r.1), (e.0, &e.1), "row order");
                // ceac.csv writes shortest round-trip numbers: the same double.
                assert_eq!(
                    r.2, e.2,
                    "{scenario}, {perspective}: R {r:?}, ceac.csv {e:?}"
                );
                varied |= r.2 > 0.0 && r.2 < 1.0;
            }
        }
    }
    assert!(
        varied,
        "every probability was 0 or 1: the comparison shows little"
    );
}
