//! Result directories read back: `run.json`, and `psa.csv` parsed into per-perspective
//! tables of costs and effects by draw and strategy.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::econ::psa::PsaTable;
use crate::model::table::split_csv_line;

use super::AnalysisError;
use super::psa::AnalysisSettings;

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Read `run.json` of a result directory.
pub fn read_run_json(dir: &Path) -> Result<serde_json::Value, AnalysisError> {
    let file = dir.join("run.json");
    let bytes = fs::read(&file)
        .map_err(|e| AnalysisError::Invalid(format!("cannot read `{}`: {e}", file.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| AnalysisError::Invalid(format!("`{}` is not valid JSON: {e}", file.display())))
}

/// The `(id, label)` pairs recorded under `key` (states or strategies).
pub fn label_map(info: &serde_json::Value, key: &str) -> Vec<(String, String)> {
    info[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    let id = x["id"].as_str().unwrap_or_default().to_string();
                    let label = x["label"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| id.clone());
                    (id, label)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Analysis settings recorded in `run.json`.
pub fn analysis_from_info(info: &serde_json::Value) -> AnalysisSettings {
    AnalysisSettings {
        title: info["title"].as_str().unwrap_or_default().to_string(),
        currency: info["currency"].as_str().unwrap_or_default().to_string(),
        reference: info["reference"].as_str().unwrap_or_default().to_string(),
        thresholds: info["thresholds"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default(),
        wtp_max: info["wtp_max"].as_f64().unwrap_or(100_000.0),
        wtp_steps: info["wtp_steps"].as_u64().unwrap_or(100) as usize,
        population_per_year: info["population_per_year"].as_f64().unwrap_or(0.0),
        population_years: info["population_years"].as_u64().unwrap_or(0) as u32,
        population_discount: info["population_discount"].as_f64().unwrap_or(0.0),
        labels: label_map(info, "strategies"),
    }
}

/// `psa.csv` read back.
#[derive(Clone, Debug, PartialEq)]
pub struct PsaData {
    pub strategies: Vec<String>,
    pub perspectives: Vec<String>,
    pub wtp: Vec<f64>,
    pub draws: Vec<u64>,
    /// `[perspective]` → table of costs and QALYs by draw and strategy.
    pub tables: Vec<PsaTable>,
    /// `[perspective][draw][strategy][wtp]` within-draw MCSE of INMB.
    pub inmb_se: Vec<Vec<Vec<Vec<f64>>>>,
}

fn bad(file: &str, line: usize, message: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Failed(format!("{file}:{line}: {message}"))
}

/// The fixed leading columns of `psa.csv`.
const PSA_COLUMNS: [&str; 6] = [
    "draw",
    "strategy",
    "perspective",
    "cost",
    "qalys",
    "life_years",
];

/// One row of `psa.csv`.
struct PsaRow {
    draw: u64,
    s: usize,
    p: usize,
    cost: f64,
    qalys: f64,
    se: Vec<f64>,
}

/// Parse `psa.csv` text; strategies and perspectives keep their first-seen order.
pub fn parse_psa(text: &str, file: &str) -> Result<PsaData, AnalysisError> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or_else(|| bad(file, 1, "empty file"))?;
    let header = split_csv_line(header);
    let wtp = psa_thresholds(&header, file)?;
    let mut strategies: Vec<String> = Vec::new();
    let mut perspectives: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, line) in lines {
        rows.push(psa_row(
            &header,
            line,
            i + 1,
            file,
            &mut strategies,
            &mut perspectives,
        )?);
    }
    let (ns, np) = (strategies.len(), perspectives.len());
    let mut draws: Vec<u64> = Vec::new();
    for r in &rows {
        if draws.last() != Some(&r.draw) {
            if draws.contains(&r.draw) {
                return Err(bad(
                    file,
                    0,
                    format!("draw {} appears in two places", r.draw),
                ));
            }
            draws.push(r.draw);
        }
    }
    if ns == 0 || rows.len() != draws.len() * ns * np {
        return Err(bad(
            file,
            0,
            format!(
                "expected one row per draw, strategy and perspective ({} × {ns} × {np}), found {}",
                draws.len(),
                rows.len()
            ),
        ));
    }
    let mut tables = vec![PsaTable::new(ns); np];
    let mut inmb_se = vec![vec![vec![vec![0.0; wtp.len()]; ns]; draws.len()]; np];
    let mut cost = vec![vec![0.0; ns]; np];
    let mut effect = vec![vec![0.0; ns]; np];
    for (d, chunk) in rows.chunks(ns * np).enumerate() {
        for r in chunk {
            cost[r.p][r.s] = r.cost;
            effect[r.p][r.s] = r.qalys;
            inmb_se[r.p][d][r.s] = r.se.clone();
        }
        for p in 0..np {
            tables[p].push_draw(&cost[p], &effect[p]);
        }
    }
    Ok(PsaData {
        strategies,
        perspectives,
        wtp,
        draws,
        tables,
        inmb_se,
    })
}

/// The thresholds of the `inmb_mcse_<wtp>` columns after the fixed ones.
fn psa_thresholds(header: &[String], file: &str) -> Result<Vec<f64>, AnalysisError> {
    let fixed = PSA_COLUMNS;
    if header.len() < fixed.len() || header[..fixed.len()] != fixed {
        return Err(bad(
            file,
            1,
            format!("expected the columns {}", fixed.join(",")),
        ));
    }
    header[fixed.len()..]
        .iter()
        .map(|h| {
            h.strip_prefix("inmb_mcse_")
                .and_then(|w| w.parse::<f64>().ok())
                .ok_or_else(|| bad(file, 1, format!("unexpected column `{h}`")))
        })
        .collect()
}

/// One data row, with its strategy and perspective numbered in first-seen order.
fn psa_row(
    header: &[String],
    line: &str,
    line_no: usize,
    file: &str,
    strategies: &mut Vec<String>,
    perspectives: &mut Vec<String>,
) -> Result<PsaRow, AnalysisError> {
    let f = split_csv_line(line);
    if f.len() != header.len() {
        return Err(bad(
            file,
            line_no,
            format!("expected {} fields, found {}", header.len(), f.len()),
        ));
    }
    let num = |k: usize| {
        f[k].parse::<f64>().map_err(|_| {
            bad(
                file,
                line_no,
                format!(
                    "column `{}`: expected a number, found `{}`",
                    header[k], f[k]
                ),
            )
        })
    };
    let draw = f[0].parse::<u64>().map_err(|_| {
        bad(
            file,
            line_no,
            format!("expected a draw number, found `{}`", f[0]),
        )
    })?;
    let index = |list: &mut Vec<String>, name: &str| match list.iter().position(|x| x == name) {
        Some(k) => k,
        None => {
            list.push(name.to_string());
            list.len() - 1
        }
    };
    let s = index(strategies, &f[1]);
    let p = index(perspectives, &f[2]);
    let se = (PSA_COLUMNS.len()..header.len())
        .map(num)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PsaRow {
        draw,
        s,
        p,
        cost: num(3)?,
        qalys: num(4)?,
        se,
    })
}

/// `draws.csv` read back: the drawn value of every varying parameter in every draw.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawsData {
    /// Parameter names, in column order.
    pub names: Vec<String>,
    /// Draw numbers, in row order.
    pub draws: Vec<u64>,
    /// `[column][row]`: the values of each parameter.
    pub values: Vec<Vec<f64>>,
}

/// Parse `draws.csv` text (a `draw` column, then one column per parameter).
pub fn parse_draws(text: &str, file: &str) -> Result<DrawsData, AnalysisError> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or_else(|| bad(file, 1, "empty file"))?;
    let header = split_csv_line(header);
    if header.first().map(String::as_str) != Some("draw") {
        return Err(bad(file, 1, "expected `draw` as the first column"));
    }
    let names = header[1..].to_vec();
    let mut draws = Vec::new();
    let mut values = vec![Vec::new(); names.len()];
    for (i, line) in lines {
        let f = split_csv_line(line);
        if f.len() != header.len() {
            return Err(bad(
                file,
                i + 1,
                format!("expected {} fields, found {}", header.len(), f.len()),
            ));
        }
        let draw = f[0].parse::<u64>().map_err(|_| {
            bad(
                file,
                i + 1,
                format!("expected a draw number, found `{}`", f[0]),
            )
        })?;
        draws.push(draw);
        for (k, column) in values.iter_mut().enumerate() {
            let v = f[k + 1]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    bad(
                        file,
                        i + 1,
                        format!(
                            "column `{}`: expected a finite number, found `{}`",
                            names[k],
                            f[k + 1]
                        ),
                    )
                })?;
            column.push(v);
        }
    }
    Ok(DrawsData {
        names,
        draws,
        values,
    })
}
