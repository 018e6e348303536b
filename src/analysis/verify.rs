//! Checking a recorded run: every file against the SHA-256 that `run.json` records, the
//! command that reruns it (after checking that the scenario and every input it read are
//! unchanged), and the comparison of two result directories.

use std::path::Path;

use super::AnalysisError;
use super::manifest::{check_inputs, problems};
use super::read::{ReadError, read_run_json, sha256_hex};

/// How to rerun a recorded run: the arguments of `trdsim` except `--out`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rerun {
    pub scenario: String,
    pub args: Vec<String>,
}

/// Read a result directory's `run.json` and check that its scenario and inputs are
/// unchanged; returns the arguments that rerun it.
pub fn rerun(dir: &Path) -> Result<Rerun, AnalysisError> {
    let json = read_run_json(dir)?;
    let scenario = check_inputs(dir, &json).map_err(|e| match e {
        // The recorded run exists but cannot be reproduced: a failure, not bad input.
        ReadError::InputChanged { .. } => {
            AnalysisError::Failed(format!("{e}; the run cannot be reproduced from it"))
        }
        e => AnalysisError::from(e),
    })?;
    Ok(Rerun {
        args: rerun_args(&scenario, &json),
        scenario,
    })
}

/// One way in which a recorded result directory is not what was written or not what the
/// rerun gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// The file's name in the directory.
    pub file: String,
    pub what: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.what)
    }
}

/// Every way in which a recorded result directory differs from its manifest: a file whose
/// bytes do not match the SHA-256 recorded in `run.json` (`report.html` included), a
/// recorded file that is absent, a file that is present but not recorded.
pub fn manifest_differences(dir: &Path) -> Vec<Difference> {
    let json = match read_run_json(dir) {
        Ok(j) => j,
        Err(e) => {
            return vec![Difference {
                file: "run.json".into(),
                what: e.to_string(),
            }];
        }
    };
    let name = |file: &str| {
        Path::new(file)
            .file_name()
            .map_or(file.to_string(), |n| n.to_string_lossy().into_owned())
    };
    problems(dir, &json, &|_| false)
        .into_iter()
        .map(|e| match e {
            ReadError::Altered {
                file,
                recorded,
                actual,
            } => Difference {
                file: name(&file),
                what: format!(
                    "altered since it was written (SHA-256 {actual}, recorded {recorded})"
                ),
            },
            ReadError::Missing { file } => Difference {
                file: name(&file),
                what: "recorded in run.json but missing".into(),
            },
            ReadError::Unrecorded { file } => Difference {
                file: name(&file),
                what: "present but not recorded in run.json".into(),
            },
            e => Difference {
                file: "run.json".into(),
                what: e.to_string(),
            },
        })
        .collect()
}

/// The `trdsim run` arguments that reproduce what `run.json` records.
fn rerun_args(scenario: &str, json: &serde_json::Value) -> Vec<String> {
    let mut args: Vec<String> = vec!["run".into(), scenario.into(), "--quiet".into()];
    let seed = json["seed"].as_u64().unwrap_or(0);
    args.extend(["--seed".into(), seed.to_string()]);
    if json["method"] == "cohort" {
        args.push("--cohort".into());
    } else if let Some(n) = json["individuals"].as_u64() {
        args.extend(["--individuals".into(), n.to_string()]);
    }
    if let Some(n) = json["trajectories"].as_u64().filter(|n| *n > 0) {
        args.extend(["--trajectories".into(), n.to_string()]);
    }
    if let (Some(total), Some(range), Some(per)) = (
        json["psa"]["draws_total"].as_u64(),
        json["psa"]["draw_range"].as_array(),
        json["psa"]["individuals_per_draw"].as_u64(),
    ) {
        let a = range.first().and_then(|x| x.as_u64()).unwrap_or(1);
        let b = range.get(1).and_then(|x| x.as_u64()).unwrap_or(total);
        args.extend([
            "--draws".into(),
            total.to_string(),
            "--draw-range".into(),
            format!("{a}..{b}"),
            "--draw-individuals".into(),
            per.to_string(),
        ]);
    }
    // The EVPPI added by `run --voi` or `trdsim voi`, with the options that reproduce it.
    if let Some(voi) = json["voi"]["arguments"].as_array() {
        args.push("--voi".into());
        args.extend(voi.iter().filter_map(|a| a.as_str().map(str::to_string)));
    }
    args
}

/// Every difference between a recorded result directory and a rerun, one line per file:
/// for CSV files the first differing row and column.
pub fn compare_dirs(recorded: &Path, rerun: &Path) -> Vec<Difference> {
    let names = |d: &Path| -> std::collections::BTreeSet<String> {
        std::fs::read_dir(d)
            .map(|it| {
                it.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    // run.json records times; report.html is not rerun (`manifest_differences`
                    // checks it against its SHA-256 instead).
                    .filter(|n| n != "run.json" && n != "report.html")
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (names(recorded), names(rerun));
    let mut diffs = Vec::new();
    let mut push = |file: &str, what: String| {
        diffs.push(Difference {
            file: file.to_string(),
            what,
        })
    };
    for n in a.difference(&b) {
        push(
            n,
            "in the recorded run but not produced by the rerun".into(),
        );
    }
    for n in b.difference(&a) {
        push(
            n,
            "produced by the rerun but missing from the recorded run".into(),
        );
    }
    for n in a.intersection(&b) {
        let (x, y) = (
            std::fs::read(recorded.join(n)),
            std::fs::read(rerun.join(n)),
        );
        let (Ok(x), Ok(y)) = (x, y) else {
            push(n, "cannot be read".into());
            continue;
        };
        if x == y {
            continue;
        }
        if n.ends_with(".csv") {
            let (tx, ty) = (String::from_utf8_lossy(&x), String::from_utf8_lossy(&y));
            let (lx, ly): (Vec<&str>, Vec<&str>) = (tx.lines().collect(), ty.lines().collect());
            let header: Vec<String> = lx
                .first()
                .map(|h| crate::model::table::split_csv_line(h))
                .unwrap_or_default();
            let row = (0..lx.len().max(ly.len()))
                .find(|i| lx.get(*i) != ly.get(*i))
                .unwrap_or(0);
            let fx = lx
                .get(row)
                .map(|l| crate::model::table::split_csv_line(l))
                .unwrap_or_default();
            let fy = ly
                .get(row)
                .map(|l| crate::model::table::split_csv_line(l))
                .unwrap_or_default();
            let col = (0..fx.len().max(fy.len()))
                .find(|i| fx.get(*i) != fy.get(*i))
                .unwrap_or(0);
            let name = header
                .get(col)
                .cloned()
                .unwrap_or_else(|| format!("{}", col + 1));
            push(
                n,
                format!(
                    "row {}, column `{name}`: recorded `{}`, rerun `{}`",
                    row + 1,
                    fx.get(col).map(String::as_str).unwrap_or("(none)"),
                    fy.get(col).map(String::as_str).unwrap_or("(none)")
                ),
            );
        } else {
            push(
                n,
                format!(
                    "differs (SHA-256 recorded {}, rerun {})",
                    sha256_hex(&x),
                    sha256_hex(&y)
                ),
            );
        }
    }
    diffs
}
