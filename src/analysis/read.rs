//! Result directories read back: `run.json`, and `psa.csv` parsed into per-perspective
//! tables of costs and effects by draw and strategy, checked line by line. Every error is a
//! [`ReadError`] naming the file (and the line).

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
pub fn read_run_json(dir: &Path) -> Result<serde_json::Value, ReadError> {
    let file = dir.join("run.json");
    let name = file.display().to_string();
    if !dir.is_dir() {
        return Err(ReadError::Unreadable {
            file: dir.display().to_string(),
            reason: "no such directory; expected a result directory".into(),
        });
    }
    let bytes = fs::read(&file).map_err(|e| ReadError::Unreadable {
        file: name.clone(),
        reason: format!("{e} (every result directory has one; is this a result directory?)"),
    })?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| ReadError::Line {
        file: name.clone(),
        line: e.line().max(1),
        what: format!("not valid JSON: {e}"),
    })?;
    if !json.is_object() {
        return Err(ReadError::Line {
            file: name,
            line: 1,
            what: "expected a JSON object".into(),
        });
    }
    Ok(json)
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

impl PsaData {
    /// The position of strategy `name` (the analysis's reference) among the strategies.
    pub fn reference_index(&self, name: &str) -> Result<usize, AnalysisError> {
        self.strategies
            .iter()
            .position(|s| s == name)
            .ok_or_else(|| {
                AnalysisError::Failed(format!("the reference strategy `{name}` is not in psa.csv"))
            })
    }
}

/// Why a result directory cannot be read or trusted. Every variant names the file; the
/// command line exits with 1 for all of them (the directory is invalid input).
#[derive(Clone, Debug, PartialEq)]
pub enum ReadError {
    /// The file cannot be read (absent, unreadable, not UTF-8, not JSON).
    Unreadable { file: String, reason: String },
    /// `run.json` lacks something a reader needs, or records something else than asked for.
    Manifest { file: String, what: String },
    /// The file's bytes do not match the SHA-256 that `run.json` records for it.
    Altered {
        file: String,
        recorded: String,
        actual: String,
    },
    /// `run.json` records the file but it is absent.
    Missing { file: String },
    /// The file is in the directory but `run.json` does not record it.
    Unrecorded { file: String },
    /// The scenario or a file it read has changed since the run.
    InputChanged {
        file: String,
        recorded: String,
        actual: String,
    },
    /// A line of a file is malformed or disagrees with what `run.json` records.
    Line {
        file: String,
        line: usize,
        what: String,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Unreadable { file, reason } => write!(f, "cannot read `{file}`: {reason}"),
            ReadError::Manifest { file, what } => write!(f, "{file}: {what}"),
            ReadError::Altered {
                file,
                recorded,
                actual,
            } => write!(
                f,
                "{file}: changed since it was written (SHA-256 {actual}; run.json records {recorded})"
            ),
            ReadError::Missing { file } => write!(f, "{file}: recorded in run.json but missing"),
            ReadError::Unrecorded { file } => write!(
                f,
                "{file}: not recorded in run.json (the run did not write it)"
            ),
            ReadError::InputChanged {
                file,
                recorded,
                actual,
            } => write!(
                f,
                "`{file}` has changed since the run (SHA-256 {actual} now, {recorded} recorded in run.json)"
            ),
            ReadError::Line { file, line, what } => write!(f, "{file}:{line}: {what}"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<ReadError> for AnalysisError {
    fn from(e: ReadError) -> Self {
        AnalysisError::Invalid(e.to_string())
    }
}

fn bad(file: &str, line: usize, what: impl std::fmt::Display) -> ReadError {
    ReadError::Line {
        file: file.to_string(),
        line,
        what: what.to_string(),
    }
}

/// Fail unless `text` is a whole CSV file: a header, and a line break after the last line
/// (every file trdsim writes ends with one, so its absence means the file was cut).
pub fn check_complete(text: &str, file: &str) -> Result<(), ReadError> {
    if text.trim().is_empty() {
        return Err(bad(file, 1, "empty file; expected a header line"));
    }
    if !text.ends_with('\n') {
        return Err(bad(
            file,
            text.lines().count(),
            "incomplete last line (the file does not end with a line break: it was cut)",
        ));
    }
    Ok(())
}

/// A number of a result file: finite, or an error naming the line and column.
pub fn finite(field: &str, column: &str, file: &str, line: usize) -> Result<f64, ReadError> {
    match field.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(bad(
            file,
            line,
            format!("column `{column}`: expected a finite number, found `{field}`"),
        )),
    }
}

/// What `run.json` and the directory record about `psa.csv`; `None` means "as found".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PsaExpect {
    /// Strategy ids in the model's order.
    pub strategies: Option<Vec<String>>,
    /// Perspective names in the model's order.
    pub perspectives: Option<Vec<String>>,
    /// The first and last draw (`psa.draw_range`).
    pub draws: Option<(u64, u64)>,
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
pub fn parse_psa(text: &str, file: &str) -> Result<PsaData, ReadError> {
    parse_psa_expecting(text, file, &PsaExpect::default())
}

/// Parse `psa.csv` text and check it against what is recorded: consecutive draws (those of
/// `expect.draws` when given), each with one row per strategy and perspective in the order
/// of the first draw, every number finite. Errors name the line.
pub fn parse_psa_expecting(
    text: &str,
    file: &str,
    expect: &PsaExpect,
) -> Result<PsaData, ReadError> {
    check_complete(text, file)?;
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or_else(|| bad(file, 1, "empty file"))?;
    let header = split_csv_line(header);
    let wtp = psa_thresholds(&header, file)?;
    let mut names = Names {
        strategies: expect.strategies.clone().unwrap_or_default(),
        perspectives: expect.perspectives.clone().unwrap_or_default(),
        fixed_strategies: expect.strategies.is_some(),
        fixed_perspectives: expect.perspectives.is_some(),
    };
    let mut blocks = Blocks::default();
    let mut rows = Vec::new();
    for (i, line) in lines {
        let row = psa_row(&header, line, i + 1, file, &mut names)?;
        blocks.add(&row, i + 1, file, &names, expect)?;
        rows.push(row);
    }
    blocks.finish(text.lines().count() + 1, file, &names, expect)?;
    let (ns, np) = (names.strategies.len(), names.perspectives.len());
    let draws = blocks.draws;
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
        strategies: names.strategies,
        perspectives: names.perspectives,
        wtp,
        draws,
        tables,
        inmb_se,
    })
}

/// Strategy and perspective names of `psa.csv`, given or in first-seen order.
struct Names {
    strategies: Vec<String>,
    perspectives: Vec<String>,
    fixed_strategies: bool,
    fixed_perspectives: bool,
}

/// The draws of `psa.csv` seen so far: each draw is a block of rows, one per strategy and
/// perspective, in the order of the first block.
#[derive(Default)]
struct Blocks {
    draws: Vec<u64>,
    /// `(strategy, perspective)` of each row of the first block.
    order: Vec<(usize, usize)>,
    /// Rows of the current block so far.
    k: usize,
}

impl Blocks {
    fn add(
        &mut self,
        r: &PsaRow,
        line: usize,
        file: &str,
        names: &Names,
        expect: &PsaExpect,
    ) -> Result<(), ReadError> {
        let pair = (r.s, r.p);
        let Some(&current) = self.draws.last() else {
            let first = expect.draws.map_or(r.draw, |(a, _)| a);
            if r.draw != first {
                return Err(bad(
                    file,
                    line,
                    format!(
                        "expected draw {first} (the first draw recorded in run.json), found draw {}",
                        r.draw
                    ),
                ));
            }
            self.draws.push(r.draw);
            self.order.push(pair);
            self.k = 1;
            return Ok(());
        };
        if r.draw == current {
            if self.draws.len() == 1 {
                if self.order.contains(&pair) {
                    return Err(bad(
                        file,
                        line,
                        format!("draw {current} has two rows for {}", names.pair(pair)),
                    ));
                }
                self.order.push(pair);
            } else if self.order.get(self.k) != Some(&pair) {
                return Err(bad(
                    file,
                    line,
                    match self.order.get(self.k) {
                        Some(want) => format!(
                            "draw {current}: expected the row for {} (the order of draw {}), found {}",
                            names.pair(*want),
                            self.draws[0],
                            names.pair(pair)
                        ),
                        None => format!(
                            "draw {current} has more than {} rows (one per strategy and perspective)",
                            self.order.len()
                        ),
                    },
                ));
            }
            self.k += 1;
            return Ok(());
        }
        self.check_block(line, file, names, &format!("draw {} begins", r.draw))?;
        if r.draw != current + 1 {
            let again = if self.draws.contains(&r.draw) {
                " again"
            } else {
                ""
            };
            return Err(bad(
                file,
                line,
                format!(
                    "expected draw {} after draw {current}, found draw {}{again}",
                    current + 1,
                    r.draw
                ),
            ));
        }
        if let Some((_, last)) = expect.draws
            && r.draw > last
        {
            return Err(bad(
                file,
                line,
                format!(
                    "draw {} is outside the draws {}..{last} recorded in run.json",
                    r.draw, self.draws[0]
                ),
            ));
        }
        self.draws.push(r.draw);
        self.k = 0;
        self.add(r, line, file, names, expect)
    }

    /// The current block is whole: the first has every strategy and perspective once, the
    /// others as many rows as the first.
    fn check_block(
        &self,
        line: usize,
        file: &str,
        names: &Names,
        when: &str,
    ) -> Result<(), ReadError> {
        let current = self.draws.last().copied().unwrap_or_default();
        if self.draws.len() == 1 {
            for s in 0..names.strategies.len() {
                for p in 0..names.perspectives.len() {
                    if !self.order.contains(&(s, p)) {
                        return Err(bad(
                            file,
                            line,
                            format!(
                                "{when}, but draw {current} has no row for {}",
                                names.pair((s, p))
                            ),
                        ));
                    }
                }
            }
        } else if self.k < self.order.len() {
            return Err(bad(
                file,
                line,
                format!(
                    "{when}, but draw {current} has {} of its {} rows (one per strategy and perspective); it lacks {}",
                    self.k,
                    self.order.len(),
                    names.pair(self.order[self.k])
                ),
            ));
        }
        Ok(())
    }

    fn finish(
        &self,
        line: usize,
        file: &str,
        names: &Names,
        expect: &PsaExpect,
    ) -> Result<(), ReadError> {
        let Some(&last) = self.draws.last() else {
            return Err(bad(file, line, "no draws after the header"));
        };
        self.check_block(line, file, names, "the file ends")?;
        if let Some((first, want)) = expect.draws
            && last != want
        {
            return Err(bad(
                file,
                line,
                format!("the file ends after draw {last}; run.json records draws {first}..{want}"),
            ));
        }
        Ok(())
    }
}

impl Names {
    fn pair(&self, (s, p): (usize, usize)) -> String {
        format!(
            "strategy `{}`, perspective `{}`",
            self.strategies[s], self.perspectives[p]
        )
    }

    /// The index of `name` in `list`: added when the list is open, an error when fixed.
    fn index(
        list: &mut Vec<String>,
        fixed: bool,
        name: &str,
        what: &str,
        file: &str,
        line: usize,
    ) -> Result<usize, ReadError> {
        if let Some(k) = list.iter().position(|x| x == name) {
            return Ok(k);
        }
        if fixed {
            return Err(bad(
                file,
                line,
                format!(
                    "unknown {what} `{name}`; the run has {}",
                    list.iter()
                        .map(|x| format!("`{x}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        list.push(name.to_string());
        Ok(list.len() - 1)
    }
}

/// The thresholds of the `inmb_mcse_<wtp>` columns after the fixed ones.
fn psa_thresholds(header: &[String], file: &str) -> Result<Vec<f64>, ReadError> {
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
                .filter(|w| w.is_finite())
                .ok_or_else(|| bad(file, 1, format!("unexpected column `{h}`")))
        })
        .collect()
}

/// One data row, with its strategy and perspective numbered.
fn psa_row(
    header: &[String],
    line: &str,
    line_no: usize,
    file: &str,
    names: &mut Names,
) -> Result<PsaRow, ReadError> {
    let f = split_csv_line(line);
    if f.len() != header.len() {
        return Err(bad(
            file,
            line_no,
            format!("expected {} fields, found {}", header.len(), f.len()),
        ));
    }
    let num = |k: usize| finite(&f[k], &header[k], file, line_no);
    let draw = f[0].parse::<u64>().map_err(|_| {
        bad(
            file,
            line_no,
            format!("expected a draw number, found `{}`", f[0]),
        )
    })?;
    let s = Names::index(
        &mut names.strategies,
        names.fixed_strategies,
        &f[1],
        "strategy",
        file,
        line_no,
    )?;
    let p = Names::index(
        &mut names.perspectives,
        names.fixed_perspectives,
        &f[2],
        "perspective",
        file,
        line_no,
    )?;
    num(5)?;
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
pub fn parse_draws(text: &str, file: &str) -> Result<DrawsData, ReadError> {
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
