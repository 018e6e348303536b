//! A result directory checked against its manifest, `run.json`, before anything is read
//! from it: every file it records is present with the recorded SHA-256, nothing else is
//! there, and the scenario and the files it read are unchanged. The tables are then read
//! back checked against what `run.json` records (strategies, perspectives, states, draws).
//!
//! Readers (`merge`, `report`, `plot`) fail on the first problem; `verify` lists them all.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::read::{
    PsaData, PsaExpect, ReadError, check_complete, label_map, parse_psa_expecting, read_run_json,
    sha256_hex,
};
use super::table::{Table, Trace, parse_table, parse_trace};

/// Files that a reader writes again itself, so that their recorded state does not matter.
pub type Regenerated<'a> = &'a dyn Fn(&str) -> bool;

/// The SHA-256 of each file as `run.json` records it.
pub fn recorded_files(dir: &Path, json: &Value) -> Result<BTreeMap<String, String>, ReadError> {
    let manifest = |what: String| ReadError::Manifest {
        file: dir.join("run.json").display().to_string(),
        what,
    };
    let Some(files) = json["files"].as_object() else {
        return Err(manifest(
            "no `files` object with the SHA-256 of every file".into(),
        ));
    };
    let mut out = BTreeMap::new();
    for (name, hash) in files {
        let plain = Path::new(name)
            .file_name()
            .is_some_and(|f| f == name.as_str());
        let Some(hash) = hash.as_str().filter(|_| plain && name != "run.json") else {
            return Err(manifest(format!(
                "`files` records `{name}`, which is not a file of this directory with a SHA-256"
            )));
        };
        out.insert(name.clone(), hash.to_string());
    }
    Ok(out)
}

/// Every way in which `dir` differs from its manifest: a recorded file altered or absent,
/// a file present but not recorded. Files for which `regenerated` is true are left out.
pub fn problems(dir: &Path, json: &Value, regenerated: Regenerated) -> Vec<ReadError> {
    let recorded = match recorded_files(dir, json) {
        Ok(r) => r,
        Err(e) => return vec![e],
    };
    let file = |name: &str| dir.join(name).display().to_string();
    let mut out = Vec::new();
    for (name, want) in recorded.iter().filter(|(n, _)| !regenerated(n)) {
        match fs::read(dir.join(name)) {
            Ok(bytes) if sha256_hex(&bytes) == *want => {}
            Ok(bytes) => out.push(ReadError::Altered {
                file: file(name),
                recorded: want.clone(),
                actual: sha256_hex(&bytes),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(ReadError::Missing { file: file(name) })
            }
            Err(e) => out.push(ReadError::Unreadable {
                file: file(name),
                reason: e.to_string(),
            }),
        }
    }
    let mut present: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect(),
        Err(e) => {
            out.push(ReadError::Unreadable {
                file: dir.display().to_string(),
                reason: e.to_string(),
            });
            Vec::new()
        }
    };
    present.sort();
    for name in present {
        if name != "run.json" && !recorded.contains_key(&name) && !regenerated(&name) {
            out.push(ReadError::Unrecorded { file: file(&name) });
        }
    }
    out
}

/// The first way in which `dir` differs from its manifest, if any.
pub fn check(dir: &Path, json: &Value, regenerated: Regenerated) -> Result<(), ReadError> {
    match problems(dir, json, regenerated).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Check that the scenario and every file it read (the base of an overlay, tables) are
/// the ones the run used, by their SHA-256; returns the scenario's path.
pub fn check_inputs(dir: &Path, json: &Value) -> Result<String, ReadError> {
    let run_json = dir.join("run.json").display().to_string();
    let Some(scenario) = json["scenario"]["path"].as_str() else {
        return Err(ReadError::Manifest {
            file: run_json,
            what: "no scenario path".into(),
        });
    };
    let mut inputs = vec![(scenario, json["scenario"]["sha256"].as_str())];
    for input in json["inputs"].as_array().into_iter().flatten() {
        inputs.push((
            input["path"].as_str().unwrap_or_default(),
            input["sha256"].as_str(),
        ));
    }
    for (path, want) in inputs {
        let Some(want) = want else {
            return Err(ReadError::Manifest {
                file: run_json,
                what: format!("no SHA-256 recorded for `{path}`"),
            });
        };
        let bytes = fs::read(path).map_err(|e| ReadError::Unreadable {
            file: path.to_string(),
            reason: format!(
                "{e} (it is recorded in `{run_json}`; run from the directory the run was made in)"
            ),
        })?;
        let now = sha256_hex(&bytes);
        if now != want {
            return Err(ReadError::InputChanged {
                file: path.to_string(),
                recorded: want.to_string(),
                actual: now,
            });
        }
    }
    Ok(scenario.to_string())
}

/// What `run.json` and `results.csv` say the run contains; tables must agree with it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shape {
    /// Strategy ids in the model's order.
    pub strategies: Vec<String>,
    /// Perspective names in the model's order (from `results.csv`).
    pub perspectives: Vec<String>,
    /// State ids in the model's order.
    pub states: Vec<String>,
    /// The number of willingness-to-pay thresholds.
    pub n_thresholds: usize,
}

/// A result directory that matches its manifest.
#[derive(Clone, Debug)]
pub struct ResultDir {
    pub dir: PathBuf,
    pub json: Value,
}

/// Open a result directory: read `run.json` and check every file against it, except the
/// files the caller is about to write again.
pub fn open(dir: &Path, regenerated: Regenerated) -> Result<ResultDir, ReadError> {
    let json = read_run_json(dir)?;
    check(dir, &json, regenerated)?;
    Ok(ResultDir {
        dir: dir.to_path_buf(),
        json,
    })
}

impl ResultDir {
    /// The path of a file of the directory, for messages.
    pub fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn manifest_error(&self, what: String) -> ReadError {
        ReadError::Manifest {
            file: self.file("run.json"),
            what,
        }
    }

    /// `run.json`'s `analysis` (`one-way sensitivity`, `scenario comparison`), or an error
    /// naming what was expected.
    pub fn expect_analysis(&self, analysis: &str, made_by: &str) -> Result<(), ReadError> {
        if self.json["analysis"].as_str() == Some(analysis) {
            return Ok(());
        }
        Err(self.manifest_error(format!(
            "expected the result directory of `{made_by}` ({analysis}), found {}",
            self.json["analysis"]
                .as_str()
                .map_or("a run".to_string(), |a| format!("one of a {a}"))
        )))
    }

    /// The text of a file, `None` when it is absent (it is then not recorded either).
    pub fn text(&self, name: &str) -> Result<Option<String>, ReadError> {
        let path = self.dir.join(name);
        match fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|e| ReadError::Unreadable {
                    file: self.file(name),
                    reason: format!("not UTF-8 ({e})"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ReadError::Unreadable {
                file: self.file(name),
                reason: e.to_string(),
            }),
        }
    }

    /// The text of a file the directory must have.
    fn required(&self, name: &str) -> Result<String, ReadError> {
        self.text(name)?.ok_or_else(|| ReadError::Missing {
            file: self.file(name),
        })
    }

    /// Strategies, states and thresholds from `run.json`, perspectives from `results.csv`.
    pub fn shape(&self) -> Result<Shape, ReadError> {
        let figures = &self.json["figures"];
        let ids = |key: &str| -> Vec<String> {
            label_map(figures, key)
                .into_iter()
                .map(|(id, _)| id)
                .collect()
        };
        let (strategies, states) = (ids("strategies"), ids("states"));
        if strategies.is_empty() || states.is_empty() {
            return Err(self.manifest_error(
                "no strategies or states under `figures` (expected the run of a scenario)".into(),
            ));
        }
        let results = parse_table(&self.required("results.csv")?, &self.file("results.csv"))?;
        let perspectives = results.perspectives(&strategies[0]);
        let shape = Shape {
            strategies,
            perspectives,
            states,
            n_thresholds: figures["thresholds"].as_array().map_or(0, Vec::len),
        };
        results.check_shape("results.csv", &shape)?;
        Ok(shape)
    }

    /// A CSV table of the directory checked against `shape` when given (names of
    /// strategies, perspectives and states; the number of rows of the base-case tables);
    /// `None` when the run did not write it.
    pub fn table(&self, name: &str, shape: Option<&Shape>) -> Result<Option<Table>, ReadError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        let table = parse_table(&text, &self.file(name))?;
        if let Some(shape) = shape {
            table.check_shape(name, shape)?;
        }
        Ok(Some(table))
    }

    /// The recorded draw range, `None` for a run without a PSA.
    pub fn draw_range(&self) -> Result<Option<(u64, u64)>, ReadError> {
        let psa = &self.json["psa"];
        if psa.is_null() {
            return Ok(None);
        }
        let range = psa["draw_range"]
            .as_array()
            .and_then(|r| Some((r.first()?.as_u64()?, r.get(1)?.as_u64()?)))
            .filter(|(a, b)| 1 <= *a && a <= b);
        match range {
            Some(r) => Ok(Some(r)),
            None => Err(self.manifest_error(format!(
                "`psa.draw_range` is {}; expected [first, last] with 1 ≤ first ≤ last",
                psa["draw_range"]
            ))),
        }
    }

    /// `psa.csv` checked against the recorded draws, strategies and perspectives; `None`
    /// for a run without a PSA.
    pub fn psa(&self, shape: &Shape) -> Result<Option<PsaData>, ReadError> {
        let Some(draws) = self.draw_range()? else {
            return Ok(None);
        };
        let text = self.required("psa.csv")?;
        let expect = PsaExpect {
            strategies: Some(shape.strategies.clone()),
            perspectives: Some(shape.perspectives.clone()),
            draws: Some(draws),
        };
        parse_psa_expecting(&text, &self.file("psa.csv"), &expect).map(Some)
    }

    /// `draws.csv` checked to hold exactly the recorded draws, one line each, every value
    /// finite; returns its text. `None` for a run without a PSA.
    pub fn draws_csv(&self) -> Result<Option<String>, ReadError> {
        let Some((first, last)) = self.draw_range()? else {
            return Ok(None);
        };
        let file = self.file("draws.csv");
        let text = self.required("draws.csv")?;
        check_complete(&text, &file)?;
        let table = parse_table(&text, &file)?;
        if table.header.first().map(String::as_str) != Some("draw") {
            return Err(table.error(1, "expected `draw` as the first column"));
        }
        let mut want = first;
        for (row, line) in table.rows.iter().zip(&table.lines) {
            if row[0] != want.to_string() || want > last {
                return Err(table.error(
                    *line,
                    format!(
                        "expected {}, found draw `{}` (run.json records draws {first}..{last})",
                        if want > last {
                            "the end of the file".to_string()
                        } else {
                            format!("draw {want}")
                        },
                        row[0]
                    ),
                ));
            }
            for (value, column) in row.iter().zip(&table.header).skip(1) {
                super::read::finite(value, column, &file, *line)?;
            }
            want += 1;
        }
        if want <= last {
            return Err(table.error(
                text.lines().count() + 1,
                format!("the file ends before draw {want}; run.json records draws {first}..{last}"),
            ));
        }
        Ok(Some(text))
    }

    /// `trace.csv` as `[strategy][state]` → `(cycle, share)`, every strategy and state with
    /// each cycle boundary of the run.
    pub fn trace(&self, shape: &Shape) -> Result<Trace, ReadError> {
        let n_points = self.json["cycles"].as_u64().map(|c| c as usize + 1);
        parse_trace(
            &self.required("trace.csv")?,
            &self.file("trace.csv"),
            &shape.strategies,
            &shape.states,
            n_points,
        )
    }
}
