//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run the `trdsim` binary with arguments, from the repository root.
pub fn trdsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trdsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the trdsim binary runs")
}

/// Exit code of a finished process (a signal, i.e. a crash, is reported as -1).
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh temporary directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory can be created")
}

/// Path as &str for argument lists.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// Every file of a result directory with its bytes.
pub fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("the result directory exists")
        .map(|e| {
            let p = e.expect("a readable entry").path();
            let name = p
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("a readable file"))
        })
        .collect()
}

/// A base-case simulation of `n` individuals with the scenario's seed.
pub fn spec(model: &trdsim::model::Model, n: usize) -> trdsim::engine::SimSpec {
    trdsim::engine::SimSpec {
        draw: 0,
        n_individuals: n,
        seed: model.settings.seed,
        trajectories: 0,
    }
}

/// A small flagship run with a PSA and `--report` in `dir`; returns the report's text.
pub fn report_run(dir: &Path) -> String {
    let sc = root().join("scenarios/eko-vs-ect.yaml");
    let out = trdsim(&[
        "run",
        s(&sc),
        "--out",
        s(dir),
        "--individuals",
        "500",
        "--draws",
        "8",
        "--draw-individuals",
        "100",
        "--report",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::fs::read_to_string(dir.join("report.html")).expect("the run wrote report.html")
}

/// A study's EVSI (`trdsim evsi`, the admitted share of ECT, with a cost) of the PSA run in
/// `run`, and a threshold analysis (`trdsim threshold`) of the flagship's admitted share,
/// both small; their directories in `dir`.
pub fn research_dirs(run: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let (evsi, threshold) = (dir.join("evsi"), dir.join("threshold"));
    let out = trdsim(&[
        "evsi",
        s(run),
        "--target",
        "share_ect_inpatient",
        "--sizes",
        "0,50,1000",
        "--cost-fixed",
        "100000",
        "--out",
        s(&evsi),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = trdsim(&[
        "threshold",
        s(&root().join("scenarios/eko-vs-ect.yaml")),
        "--param",
        "share_ect_inpatient",
        "--range",
        "0,1",
        "--steps",
        "5",
        "--individuals",
        "200",
        "--out",
        s(&threshold),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    (evsi, threshold)
}
