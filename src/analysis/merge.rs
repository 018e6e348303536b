//! Combining the result directories of PSA slices (`--draw-range`) into the inputs of one
//! run: each checked against its manifest and its recorded draws, then checked to come
//! from the same scenario and settings, to cover every draw once, and to share the same
//! base case.

use std::path::{Path, PathBuf};

use super::AnalysisError;
use super::manifest;
use super::read::ReadError;

/// Files of the deterministic base case, which every slice computes identically.
pub const BASE_CASE_FILES: [&str; 9] = [
    "results.csv",
    "icer.csv",
    "pairwise.csv",
    "nmb.csv",
    "trace.csv",
    "transitions.csv",
    "assumptions.csv",
    "trace.png",
    "trace.svg",
];

/// Slices read and checked, ready to be written as one run.
#[derive(Clone, Debug)]
pub struct Merged {
    /// `run.json` of the combined run (without its file list and PSA results).
    pub run_json: serde_json::Value,
    /// The slice whose base-case files are copied.
    pub base_dir: PathBuf,
    pub draws_csv: String,
    pub psa_csv: String,
    pub n_slices: usize,
}

/// One slice: its draw range, directory, manifest, and its checked per-draw files.
struct Slice {
    first: u64,
    last: u64,
    dir: PathBuf,
    json: serde_json::Value,
    draws_csv: String,
    psa_csv: String,
}

/// Read and check the slices in `dirs` (in any order). Each slice must match its
/// manifest (every file with its recorded SHA-256), and its `draws.csv` and `psa.csv` must
/// hold exactly the draws of its recorded range; errors name the slice's file and line.
pub fn read_slices(dirs: &[PathBuf]) -> Result<Merged, AnalysisError> {
    let mut slices = Vec::new();
    for d in dirs {
        slices.push(read_slice(d)?);
    }
    slices.sort_by_key(|s| s.first);
    let total = check_coverage(&slices)?;
    let (draws_csv, psa_csv) = concatenate(&slices)?;
    let mut json = slices[0].json.clone();
    json["psa"]["draw_range"] = serde_json::json!([1, total]);
    json["command"] = serde_json::json!(std::env::args().collect::<Vec<_>>());
    json["merged_from"] = serde_json::json!(
        slices
            .iter()
            .map(|s| s.dir.display().to_string())
            .collect::<Vec<_>>()
    );
    if let Some(obj) = json.as_object_mut() {
        obj.remove("files");
        obj.remove("psa_results");
    }
    Ok(Merged {
        run_json: json,
        base_dir: slices[0].dir.clone(),
        draws_csv,
        psa_csv,
        n_slices: slices.len(),
    })
}

/// One slice read and checked against its manifest.
fn read_slice(d: &Path) -> Result<Slice, AnalysisError> {
    let slice = manifest::open(d, &|_| false)?;
    let no_draws = || {
        AnalysisError::Invalid(format!(
            "`{}` has no probabilistic draws (run with --draws or --draw-range)",
            d.display()
        ))
    };
    let (first, last) = slice.draw_range()?.ok_or_else(no_draws)?;
    let shape = slice.shape()?;
    let draws_csv = slice.draws_csv()?.ok_or_else(no_draws)?;
    slice.psa(&shape)?;
    let psa_csv = slice.text("psa.csv")?.ok_or_else(|| {
        AnalysisError::from(ReadError::Missing {
            file: slice.file("psa.csv"),
        })
    })?;
    Ok(Slice {
        first,
        last,
        dir: d.to_path_buf(),
        json: slice.json,
        draws_csv,
        psa_csv,
    })
}

/// Check that sorted slices share scenario and settings and cover every draw once;
/// returns the number of draws.
fn check_coverage(slices: &[Slice]) -> Result<u64, AnalysisError> {
    let invalid = |m: String| AnalysisError::Invalid(m);
    let head = &slices[0].json;
    let same = |json: &serde_json::Value, key: &[&str]| {
        let get = |j: &serde_json::Value| key.iter().fold(j.clone(), |v, k| v[*k].clone());
        get(json) == get(head)
    };
    let total = head["psa"]["draws_total"].as_u64().unwrap_or(0);
    let mut expected = 1;
    for s in slices {
        for key in [
            &["scenario", "sha256"][..],
            &["seed"],
            &["psa", "draws_total"],
            &["psa", "individuals_per_draw"],
            &["individuals"],
            &["method"],
        ] {
            if !same(&s.json, key) {
                return Err(invalid(format!(
                    "`{}` differs from `{}` in {}: the slices must come from the same scenario and settings",
                    s.dir.display(),
                    slices[0].dir.display(),
                    key.join(".")
                )));
            }
        }
        if s.first != expected {
            return Err(invalid(format!(
                "draws {expected}..{} are missing or overlap: `{}` starts at draw {}",
                s.first.max(expected) - 1,
                s.dir.display(),
                s.first
            )));
        }
        expected = s.last + 1;
    }
    if expected != total + 1 {
        return Err(invalid(format!(
            "the slices cover draws 1..{} of {total}; expected all of them",
            expected - 1
        )));
    }
    Ok(total)
}

/// `draws.csv` and `psa.csv` of every slice, in draw order under one header; checks that
/// the base-case files are the same in every slice.
fn concatenate(slices: &[Slice]) -> Result<(String, String), AnalysisError> {
    let invalid = |m: String| AnalysisError::Invalid(m);
    let mut draws_csv = String::new();
    let mut psa_csv = String::new();
    for (i, s) in slices.iter().enumerate() {
        let d = &s.dir;
        for (name, text, acc) in [
            ("draws.csv", &s.draws_csv, &mut draws_csv),
            ("psa.csv", &s.psa_csv, &mut psa_csv),
        ] {
            let mut lines = text.split_inclusive('\n');
            let header = lines.next().unwrap_or_default();
            if i == 0 {
                acc.push_str(header);
            } else if !acc.starts_with(header) {
                return Err(invalid(format!(
                    "{}:1: other columns than in `{}`",
                    d.join(name).display(),
                    slices[0].dir.join(name).display()
                )));
            }
            lines.for_each(|l| acc.push_str(l));
        }
        if i > 0 {
            for name in BASE_CASE_FILES {
                let a = std::fs::read(slices[0].dir.join(name)).ok();
                let b = std::fs::read(d.join(name)).ok();
                if a != b {
                    return Err(invalid(format!(
                        "`{}` differs from `{}`; expected the same base case in every slice",
                        d.join(name).display(),
                        slices[0].dir.join(name).display()
                    )));
                }
            }
        }
    }
    Ok((draws_csv, psa_csv))
}
