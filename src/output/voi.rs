//! The value-of-information files: `evppi.csv`, its figures (the ranking at each threshold
//! and the curves against willingness to pay), and the `voi` record of `run.json`.
//!
//! The figures are drawn from `evppi.csv` and `evpi.csv` alone, so `trdsim plot` redraws
//! them byte for byte. `trdsim voi RUN_DIR` adds these files to an existing result
//! directory: they and the new `run.json` (with their SHA-256) are written into a temporary
//! directory; then the previous EVPPI files are removed and the new ones moved in, `run.json`
//! last, all before a SIGINT/SIGTERM can interrupt.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::analysis::voi::{VoiRequest, VoiResult};
use crate::model::table::split_csv_line;
use crate::plot;

use super::temp::{Temp, pause_before_rename, remove_stale};
use super::{OutputError, field, figures::money, sha256_hex, write_file};

/// Columns of `evppi.csv`.
const COLUMNS: &str =
    "perspective,name,kind,parameters,wtp,evppi_per_person,evppi_population,method,se,inner_bias";

/// Parameters and groups drawn in the curves figure: those with the highest EVPPI.
const MAX_CURVES: usize = 8;

/// Whether a file belongs to the value-of-information outputs.
fn is_voi_file(name: &str) -> bool {
    name.starts_with("evppi")
}

/// `evppi.csv`: per perspective, target and point of the willingness-to-pay grid, the
/// EVPPI per person and per population, how it was estimated, its standard error, and
/// (nested only) the estimated upward bias from the inner sample.
#[must_use]
pub fn evppi_csv(r: &VoiResult) -> String {
    let mut s = String::from(COLUMNS);
    s.push('\n');
    for (p, persp) in r.perspectives.iter().enumerate() {
        for (t, te) in r.targets.iter().zip(&r.estimates[p]) {
            let params = t.names.join("+");
            for (i, (w, e)) in r.grid.iter().zip(&te.estimates).enumerate() {
                let bias = te
                    .inner_bias
                    .as_ref()
                    .map(|b| format!("{}", b[i]))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "{},{},{},{},{w},{},{},{},{},{bias}",
                    field(persp),
                    field(&t.name),
                    t.kind.as_str(),
                    field(&params),
                    e.value,
                    e.value * r.population_factor,
                    te.method.as_str(),
                    e.se
                );
            }
        }
    }
    s
}

/// The `voi` record of `run.json`: how the EVPPI was computed (with the `trdsim run`
/// options that reproduce it), the estimates at the thresholds, and warnings.
#[must_use]
pub fn voi_json(r: &VoiResult, req: &VoiRequest) -> serde_json::Value {
    use serde_json::json;
    let mut at_thresholds = Vec::new();
    for (p, persp) in r.perspectives.iter().enumerate() {
        for (t, te) in r.targets.iter().zip(&r.estimates[p]) {
            for (w, e) in r.grid.iter().zip(&te.estimates) {
                if r.thresholds.contains(w) {
                    at_thresholds.push(json!({
                        "perspective": persp, "name": t.name, "kind": t.kind.as_str(),
                        "wtp": w, "evppi_per_person": e.value, "se": e.se,
                        "method": te.method.as_str(),
                    }));
                }
            }
        }
    }
    let mut v = json!({
        "method": r.method.as_str(),
        "arguments": req.run_arguments(),
        "evppi": at_thresholds,
        "warnings": r.warnings,
    });
    if let Some((outer, inner, individuals)) = r.nested {
        v["nested"] = json!({"outer": outer, "inner": inner, "individuals": individuals});
    }
    v
}

/// Write `evppi.csv` and its figures into `dir` (whose `evpi.csv` the figures read).
pub fn write_voi(dir: &Path, r: &VoiResult, info: &serde_json::Value) -> Result<(), OutputError> {
    write_file(&dir.join("evppi.csv"), &evppi_csv(r))?;
    voi_figures(dir, info)
}

/// Add the EVPPI files to an existing result directory and record them in its `run.json`,
/// replacing the EVPPI files of an earlier analysis.
pub fn add_voi(dir: &Path, r: &VoiResult, req: &VoiRequest) -> Result<(), OutputError> {
    let mut json = super::read_run_json(dir)?;
    // Registered, so that SIGINT/SIGTERM removes it; those of killed processes go first.
    remove_stale(dir, ".voi.tmp-");
    let path = dir.join(format!(".voi.tmp-{}", std::process::id()));
    let tmp = Temp::create_dir(path.clone())
        .map_err(|e| OutputError(format!("cannot create `{}`: {e}", path.display())))?;
    let new = (|| -> Result<Vec<String>, OutputError> {
        fs::copy(dir.join("evpi.csv"), path.join("evpi.csv")).map_err(|e| {
            OutputError(format!(
                "cannot read `{}`: {e}",
                dir.join("evpi.csv").display()
            ))
        })?;
        write_voi(&path, r, &json["figures"])?;
        // The workbook gains the EVPPI sheet; every other table is the directory's.
        let currency = json["figures"]["currency"].as_str().unwrap_or_default();
        let labels = crate::analysis::read::label_map(&json["figures"], "parameters");
        super::write_workbook(&path, &[&path, dir], currency, &labels)?;
        fs::remove_file(path.join("evpi.csv"))
            .map_err(|e| OutputError(format!("cannot tidy `{}`: {e}", path.display())))?;
        let new = listing(&path)?;
        // `run.json` with the new files' hashes, moved in last.
        write_run_json(&path, &new, &mut json, r, req)?;
        Ok(new)
    })()?;
    pause_before_rename();
    // Moved in where a signal cannot interrupt (it waits for the moves).
    let moved = tmp.commit(|from| {
        Ok((|| -> Result<(), OutputError> {
            for old in listing(dir)?.iter().filter(|n| is_voi_file(n)) {
                fs::remove_file(dir.join(old))
                    .map_err(|e| OutputError(format!("cannot replace `{old}`: {e}")))?;
            }
            for name in new.iter().map(String::as_str).chain(["run.json"]) {
                fs::rename(from.join(name), dir.join(name))
                    .map_err(|e| OutputError(format!("cannot move `{name}` into place: {e}")))?;
            }
            Ok(())
        })())
    });
    drop(tmp);
    moved.map_err(|e| OutputError(format!("cannot write into `{}`: {e}", dir.display())))?
}

/// Write into `tmp` the `run.json` of the directory once the EVPPI files `new` (in `tmp`)
/// replace the previous ones: the `voi` record and their SHA-256.
fn write_run_json(
    tmp: &Path,
    new: &[String],
    json: &mut serde_json::Value,
    r: &VoiResult,
    req: &VoiRequest,
) -> Result<(), OutputError> {
    let mut files = json["files"].as_object().cloned().unwrap_or_default();
    files.retain(|name, _| !is_voi_file(name));
    for name in new {
        let bytes = fs::read(tmp.join(name))
            .map_err(|e| OutputError(format!("cannot read back `{name}`: {e}")))?;
        files.insert(name.clone(), serde_json::Value::String(sha256_hex(&bytes)));
    }
    json["files"] = serde_json::Value::Object(files.into_iter().collect());
    json["voi"] = voi_json(r, req);
    let text = serde_json::to_string_pretty(json)
        .map_err(|e| OutputError(format!("cannot encode run.json: {e}")))?;
    write_file(&tmp.join("run.json"), &(text + "\n"))
}

/// File names in a directory, sorted.
fn listing(dir: &Path) -> Result<Vec<String>, OutputError> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| OutputError(format!("cannot list `{}`: {e}", dir.display())))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// One row of `evppi.csv` as the figures need it.
struct Row {
    perspective: String,
    name: String,
    kind: String,
    wtp: f64,
    value: f64,
    se: f64,
}

/// `(perspective, wtp, EVPI per person)` rows of `evpi.csv`.
type EvpiRows = Vec<(String, f64, f64)>;

/// Read `evppi.csv` (or `evpi.csv`'s `perspective,wtp,evpi_per_person` columns).
fn read_rows(dir: &Path) -> Result<(Vec<Row>, EvpiRows), OutputError> {
    let read = |name: &str| {
        let file = dir.join(name);
        fs::read_to_string(&file)
            .map_err(|e| OutputError(format!("cannot read `{}`: {e}", file.display())))
    };
    let bad = |name: &str, line: usize| {
        OutputError(format!(
            "{}:{line}: unexpected row",
            dir.join(name).display()
        ))
    };
    let num = |s: &str| s.parse::<f64>().ok();
    let mut rows = Vec::new();
    for (i, line) in read("evppi.csv")?.lines().enumerate().skip(1) {
        let f = split_csv_line(line);
        let parsed = (f.len() == 10).then(|| {
            Some(Row {
                perspective: f[0].clone(),
                name: f[1].clone(),
                kind: f[2].clone(),
                wtp: num(&f[4])?,
                value: num(&f[5])?,
                se: num(&f[8])?,
            })
        });
        rows.push(parsed.flatten().ok_or_else(|| bad("evppi.csv", i + 1))?);
    }
    let mut evpi = Vec::new();
    for (i, line) in read("evpi.csv")?.lines().enumerate().skip(1) {
        let f = split_csv_line(line);
        let parsed = (f.len() >= 3).then(|| Some((f[0].clone(), num(&f[1])?, num(&f[2])?)));
        evpi.push(parsed.flatten().ok_or_else(|| bad("evpi.csv", i + 1))?);
    }
    Ok((rows, evpi))
}

/// Draw the EVPPI figures of `dir` from `evppi.csv` and `evpi.csv`: per perspective, the
/// ranking at each threshold (`evppi_rank_<perspective>_<wtp>`) and the curves of the
/// parameters and groups with the highest EVPPI (`evppi_<perspective>`).
pub fn voi_figures(dir: &Path, info: &serde_json::Value) -> Result<(), OutputError> {
    let (rows, evpi) = read_rows(dir)?;
    let a = crate::analysis::read::analysis_from_info(info);
    let labels = crate::analysis::read::label_map(info, "parameters");
    let err = |e: plot::PlotError| OutputError(e.to_string());
    let mut perspectives: Vec<&str> = Vec::new();
    for r in &rows {
        if !perspectives.contains(&r.perspective.as_str()) {
            perspectives.push(&r.perspective);
        }
    }
    for persp in perspectives {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.perspective == persp).collect();
        let evpi_at = |w: f64| {
            evpi.iter()
                .find(|(p, x, _)| p == persp && *x == w)
                .map_or(f64::NAN, |e| e.2)
        };
        let label = |r: &Row| target_label(&r.name, &r.kind, &labels);
        for &w in &a.thresholds {
            let labels: Vec<(String, f64, f64)> = mine
                .iter()
                .filter(|r| r.wtp == w)
                .map(|r| (label(r), r.value, r.se))
                .collect();
            let bars: Vec<(&str, f64, f64)> = labels
                .iter()
                .map(|(l, v, s)| (l.as_str(), *v, *s))
                .collect();
            let e = evpi_at(w);
            plot::evppi_rank(
                &dir.join(format!("evppi_rank_{persp}_{w}")),
                &format!(
                    "EVPPI per person at {}/QALY, {persp} perspective",
                    money(w, &a.currency)
                ),
                &a.currency,
                if e.is_finite() { e } else { 0.0 },
                &bars,
            )
            .map_err(err)?;
        }
        let c = Curves {
            evpi: &evpi,
            currency: &a.currency,
            thresholds: &a.thresholds,
            labels: &labels,
        };
        curves(dir, persp, &mine, &c)?;
    }
    Ok(())
}

/// How a target of `evppi.csv` is shown: a parameter by its label (recorded in
/// `run.json`, the id when a directory of an earlier version has none), a group by its
/// name.
pub(super) fn target_label(name: &str, kind: &str, labels: &[(String, String)]) -> String {
    match kind {
        "parameter" => labels
            .iter()
            .find(|(id, _)| id == name)
            .map_or_else(|| name.to_string(), |(_, label)| label.clone()),
        _ => format!("{name} (group)"),
    }
}

/// What the curves figures of every perspective share.
struct Curves<'a> {
    evpi: &'a [(String, f64, f64)],
    currency: &'a str,
    thresholds: &'a [f64],
    labels: &'a [(String, String)],
}

/// The curves figure of one perspective.
fn curves(dir: &Path, persp: &str, rows: &[&Row], c: &Curves<'_>) -> Result<(), OutputError> {
    let Curves {
        evpi,
        currency,
        thresholds,
        labels,
    } = *c;
    let grid: Vec<f64> = evpi.iter().filter(|e| e.0 == persp).map(|e| e.1).collect();
    let evpi_values: Vec<f64> = evpi.iter().filter(|e| e.0 == persp).map(|e| e.2).collect();
    let mut names: Vec<(&str, &str, f64)> = Vec::new();
    for r in rows {
        match names.iter_mut().find(|(n, _, _)| *n == r.name) {
            Some(entry) => entry.2 = entry.2.max(r.value),
            None => names.push((&r.name, &r.kind, r.value)),
        }
    }
    // The highest first; equal peaks keep the file's order.
    names.sort_by(|a, b| b.2.total_cmp(&a.2));
    names.truncate(MAX_CURVES);
    let series: Vec<(String, Vec<f64>)> = names
        .iter()
        .map(|(name, kind, _)| {
            let values = grid
                .iter()
                .map(|w| {
                    rows.iter()
                        .find(|r| r.name == *name && r.wtp == *w)
                        .map_or(f64::NAN, |r| r.value)
                })
                .collect();
            (target_label(name, kind, labels), values)
        })
        .collect();
    let refs: Vec<(&str, &[f64])> = series
        .iter()
        .map(|(l, v)| (l.as_str(), v.as_slice()))
        .collect();
    plot::evppi_curves(
        &dir.join(format!("evppi_{persp}")),
        &format!("Expected value of partial perfect information per person, {persp} perspective"),
        currency,
        &grid,
        &evpi_values,
        &refs,
        thresholds,
    )
    .map_err(|e| OutputError(e.to_string()))
}
