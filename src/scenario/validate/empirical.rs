//! An empirical population: a CSV file of individuals (one row each, optionally weighted)
//! whose columns become attributes; simulated individuals are drawn from its rows.
//! Numeric columns stay numbers, other columns become categorical level codes.

use crate::dist::Dist;
use crate::model::table::{self, TableError};
use crate::model::{Attribute, AttributeDist, EmpiricalPopulation, Population};

use super::super::raw::RawPopTable;

/// Data rows: the file's line number and the fields.
type Rows = [(usize, Vec<String>)];

/// Parse the population file; its columns are added to `pop`'s attributes (or fill the
/// attributes of the same name).
pub(super) fn empirical(
    text: &str,
    rt: &RawPopTable,
    pop: &mut Population,
    level_code: &mut dyn FnMut(&str) -> usize,
) -> Result<EmpiricalPopulation, TableError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or(TableError {
        line: 1,
        message: "the file is empty; expected a header row".into(),
    })?;
    let header = table::split_csv_line(header);
    let cols = rt
        .columns
        .iter()
        .map(|c| column(&header, &c.value))
        .collect::<Result<Vec<_>, _>>()?;
    let weight_col = rt
        .weight
        .as_ref()
        .map(|w| column(&header, &w.value))
        .transpose()?;
    let data: Vec<(usize, Vec<String>)> = lines
        .map(|(i, l)| (i + 1, table::split_csv_line(l)))
        .collect();
    if data.is_empty() {
        return Err(TableError {
            line: 1,
            message: "no data rows".into(),
        });
    }
    let mut slots = Vec::new();
    let mut rows = vec![0.0; data.len() * cols.len()];
    for (j, (&c, name)) in cols.iter().zip(&rt.columns).enumerate() {
        let numeric = data.iter().all(|(_, f)| {
            f.get(c)
                .is_some_and(|v| v.parse::<f64>().is_ok_and(f64::is_finite))
        });
        let levels = read_column(&data, c, header.len(), numeric, level_code, |r, x| {
            rows[r * cols.len() + j] = x;
        })?;
        let slot = attribute_slot(pop, &name.value, numeric, levels, rt);
        if name.value == "age" {
            pop.age = Some(slot);
        }
        slots.push(slot);
    }
    let cumulative = cumulative_weights(&data, weight_col, &header)?;
    Ok(EmpiricalPopulation {
        columns: slots,
        rows,
        cumulative_weights: cumulative,
    })
}

/// The position of a named column in the header.
fn column(header: &[String], name: &str) -> Result<usize, TableError> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| TableError {
            line: 1,
            message: format!(
                "no column `{name}` in the header (columns: {})",
                header.join(", ")
            ),
        })
}

/// Store column `c` of every row through `set(row, value)`: numbers as they are, other
/// values as level codes. Returns the level codes seen, in order of appearance.
fn read_column(
    data: &Rows,
    c: usize,
    n_fields: usize,
    numeric: bool,
    level_code: &mut dyn FnMut(&str) -> usize,
    mut set: impl FnMut(usize, f64),
) -> Result<Vec<usize>, TableError> {
    let mut levels = Vec::new();
    for (r, (line, fields)) in data.iter().enumerate() {
        let raw = fields.get(c).ok_or(TableError {
            line: *line,
            message: format!("expected {n_fields} fields, found {}", fields.len()),
        })?;
        set(
            r,
            if numeric {
                raw.parse::<f64>().unwrap_or(f64::NAN)
            } else {
                let code = level_code(raw);
                if !levels.contains(&code) {
                    levels.push(code);
                }
                code as f64
            },
        );
    }
    Ok(levels)
}

/// The attribute slot a column fills: the attribute of that name, or a new one (a
/// placeholder distribution: its values come from the table).
fn attribute_slot(
    pop: &mut Population,
    name: &str,
    numeric: bool,
    levels: Vec<usize>,
    rt: &RawPopTable,
) -> usize {
    if let Some(s) = pop.attributes.iter().position(|a| a.name == name) {
        return s;
    }
    pop.attributes.push(Attribute {
        name: name.to_string(),
        dist: if numeric {
            AttributeDist::Continuous {
                dist: Dist::Fixed(f64::NAN),
                min: f64::NEG_INFINITY,
                max: f64::INFINITY,
            }
        } else {
            let n = levels.len();
            AttributeDist::Categorical {
                levels,
                probs: vec![1.0 / n as f64; n],
            }
        },
        source: rt.source.clone(),
    });
    pop.attributes.len() - 1
}

/// The normalised cumulative row weights (all rows weigh 1 without a weight column).
fn cumulative_weights(
    data: &Rows,
    weight_col: Option<usize>,
    header: &[String],
) -> Result<Vec<f64>, TableError> {
    let mut cumulative = Vec::with_capacity(data.len());
    let mut total = 0.0;
    for (line, fields) in data {
        let w = match weight_col {
            Some(c) => match fields.get(c).and_then(|v| v.parse::<f64>().ok()) {
                Some(w) if w.is_finite() && w >= 0.0 => w,
                _ => {
                    return Err(TableError {
                        line: *line,
                        message: format!("column `{}`: expected a non-negative weight", header[c]),
                    });
                }
            },
            None => 1.0,
        };
        total += w;
        cumulative.push(total);
    }
    if total.is_nan() || total <= 0.0 {
        return Err(TableError {
            line: 1,
            message: "the weights sum to zero".into(),
        });
    }
    for c in &mut cumulative {
        *c /= total;
    }
    Ok(cumulative)
}
