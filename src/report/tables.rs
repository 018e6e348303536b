//! The result tables of the report, built from the result files with labels instead of
//! ids and every number written by [`super::format`]: what a reader sees, not the CSV.
//!
//! Words used throughout: the *comparator* is `settings.reference_strategy`, against which
//! increments, ICERs and net benefits are given; the *frontier* is the efficiency frontier
//! of the full incremental analysis, whose ICERs are against the previous strategy on it.

use std::collections::HashMap;

use serde::Serialize;

use super::format::{Money, number, percent, qalys};
use crate::analysis::read::ReadError;
use crate::analysis::table::Table as Csv;
use crate::model::Model;

/// A formatted table: its caption, column headings and rows.
#[derive(Clone, Debug, Serialize)]
pub struct Table {
    pub caption: String,
    /// The name of the result file it shows, beside the caption.
    pub file: String,
    pub header: Vec<String>,
    /// The number of columns, which a group row spans.
    pub columns: usize,
    /// Per column: numbers (right-aligned, and checked by the browser test).
    pub numeric: Vec<bool>,
    pub rows: Vec<Row>,
}

/// A row: cells, or a heading spanning the table (`group`, e.g. a perspective).
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub group: Option<String>,
}

/// A cell: its text and an optional second line in smaller type.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    pub text: String,
    pub note: String,
}

impl Table {
    pub fn new(caption: String, file: &str, columns: &[(&str, bool)]) -> Table {
        Table {
            caption,
            file: std::path::Path::new(file)
                .file_name()
                .map_or(file.to_string(), |f| f.to_string_lossy().into_owned()),
            header: columns.iter().map(|(h, _)| h.to_string()).collect(),
            columns: columns.len(),
            numeric: columns.iter().map(|(_, n)| *n).collect(),
            rows: Vec::new(),
        }
    }

    pub fn group(&mut self, heading: String) {
        self.rows.push(Row {
            cells: Vec::new(),
            group: Some(heading),
        });
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(Row { cells, group: None });
    }
}

/// A cell of one line.
pub fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        note: String::new(),
    }
}

/// A cell with a second line.
pub fn noted(text: impl Into<String>, note: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        note: note.into(),
    }
}

/// What the tables need from the model: labels, the currency and the comparator.
pub struct Names {
    labels: HashMap<String, String>,
    /// Parameter labels by id (`Model::param_label`).
    params: HashMap<String, String>,
    pub money: Money,
    /// The comparator's id and label.
    pub comparator: String,
    pub comparator_label: String,
}

impl Names {
    pub fn new(model: &Model) -> Names {
        let comparator = &model.strategies[model.settings.reference_strategy.0];
        Names {
            labels: model
                .strategies
                .iter()
                .map(|s| (s.name.clone(), s.label.clone()))
                .collect(),
            params: (0..model.params.len())
                .map(|i| (model.params[i].name.clone(), model.param_label(i)))
                .collect(),
            money: Money::new(&model.meta.currency),
            comparator: comparator.name.clone(),
            comparator_label: comparator.label.clone(),
        }
    }

    /// A strategy's label (its id when the model has no such strategy).
    pub fn strategy(&self, id: &str) -> String {
        self.labels
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// A parameter's label (its id when the model has no such parameter, as for the name
    /// of a group).
    pub fn parameter(&self, id: &str) -> String {
        self.params
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// A perspective's name as a heading: `Societal perspective`.
pub fn perspective(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => format!("{}{} perspective", c.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// Columns of a result file by name, and its numbers.
pub struct Columns<'a> {
    pub csv: &'a Csv,
    index: HashMap<&'a str, usize>,
}

impl<'a> Columns<'a> {
    /// `csv` with the columns it must have.
    pub fn new(csv: &'a Csv, required: &[&str]) -> Result<Columns<'a>, ReadError> {
        let index = csv
            .header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.as_str(), i))
            .collect::<HashMap<_, _>>();
        if let Some(missing) = required.iter().find(|c| !index.contains_key(**c)) {
            return Err(csv.error(1, format!("expected a column `{missing}`")));
        }
        Ok(Columns { csv, index })
    }

    /// The text of `column` in row `r` (empty when the file has no such column).
    pub fn text(&self, r: usize, column: &str) -> &'a str {
        self.index
            .get(column)
            .and_then(|&c| self.csv.rows[r].get(c))
            .map_or("", String::as_str)
    }

    /// The number in `column` of row `r`; `None` when empty.
    pub fn num(&self, r: usize, column: &str) -> Result<Option<f64>, ReadError> {
        match self.text(r, column) {
            "" => Ok(None),
            t => t.parse::<f64>().map(Some).map_err(|_| {
                self.csv.error(
                    self.csv.lines[r],
                    format!("`{column}`: expected a number, found `{t}`"),
                )
            }),
        }
    }

    /// Row indices in file order, grouped by the value of `column` (first appearance first).
    pub fn groups(&self, column: &str) -> Vec<(String, Vec<usize>)> {
        let mut out: Vec<(String, Vec<usize>)> = Vec::new();
        for r in 0..self.csv.rows.len() {
            let key = self.text(r, column).to_string();
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, rows)) => rows.push(r),
                None => out.push((key, vec![r])),
            }
        }
        out
    }
}

/// An optional number as text, `—` when absent.
fn or_dash(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or_else(|| "—".to_string(), f)
}

/// A status of the full incremental analysis in words.
pub fn status(status: &str, versus: &str, dominated_by: &str) -> String {
    match status {
        "reference" => "on the frontier (least costly)".to_string(),
        "non-dominated" => format!("on the frontier, ICER against {versus}"),
        "dominated" if !dominated_by.is_empty() => format!("dominated by {dominated_by}"),
        other => other.to_string(),
    }
}

/// `icer.csv`: the full incremental analysis per perspective.
pub fn icer(csv: &Csv, n: &Names) -> Result<Table, ReadError> {
    let c = Columns::new(csv, &["perspective", "strategy", "cost", "qalys", "status"])?;
    let mut t = Table::new(
        "Full incremental analysis (discounted, per person): strategies by cost, increments and ICERs against the previous strategy on the efficiency frontier".into(),
        &csv.file,
        &[
            ("Strategy", false),
            ("Cost", true),
            ("QALYs", true),
            ("Incremental cost", true),
            ("Incremental QALYs", true),
            ("ICER", true),
            ("Status", false),
        ],
    );
    for (persp, rows) in c.groups("perspective") {
        t.group(perspective(&persp));
        for r in rows {
            let m = &n.money;
            let versus = n.strategy(c.text(r, "compared_to"));
            t.row(vec![
                cell(n.strategy(c.text(r, "strategy"))),
                cell(or_dash(c.num(r, "cost")?, |x| m.amount(x))),
                cell(or_dash(c.num(r, "qalys")?, qalys)),
                cell(or_dash(c.num(r, "inc_cost")?, |x| m.amount(x))),
                cell(or_dash(c.num(r, "inc_qalys")?, qalys)),
                cell(or_dash(c.num(r, "icer")?, |x| m.per_qaly(x))),
                cell(status(
                    c.text(r, "status"),
                    &versus,
                    &n.strategy(c.text(r, "dominated_by")),
                )),
            ]);
        }
    }
    Ok(t)
}

/// `pairwise.csv`: each strategy against the comparator, with Monte Carlo errors.
pub fn pairwise(csv: &Csv, n: &Names) -> Result<Table, ReadError> {
    let c = Columns::new(csv, &["perspective", "strategy", "inc_cost", "inc_qalys"])?;
    let mut t = Table::new(
        format!(
            "Against the comparator, {}: increments per person with their Monte Carlo standard errors",
            n.comparator_label
        ),
        &csv.file,
        &[
            ("Strategy", false),
            ("Incremental cost", true),
            ("Incremental QALYs", true),
            ("ICER", true),
        ],
    );
    for (persp, rows) in c.groups("perspective") {
        t.group(perspective(&persp));
        for r in rows {
            let m = &n.money;
            let (dc, dq) = (c.num(r, "inc_cost")?, c.num(r, "inc_qalys")?);
            let se = |x: Option<f64>, f: &dyn Fn(f64) -> String| {
                x.map_or(String::new(), |v| format!("MCSE {}", f(v)))
            };
            t.row(vec![
                cell(n.strategy(c.text(r, "strategy"))),
                noted(
                    or_dash(dc, |x| m.amount(x)),
                    se(c.num(r, "inc_cost_mcse")?, &|x| m.amount(x)),
                ),
                noted(
                    or_dash(dq, qalys),
                    se(c.num(r, "inc_qalys_mcse")?, &|x| number(x, 2)),
                ),
                cell(match (dc, dq) {
                    (Some(a), Some(b)) => m.icer(a, b),
                    _ => "—".into(),
                }),
            ]);
        }
    }
    Ok(t)
}

/// `nmb.csv`: net monetary benefit per threshold, and the increment over the comparator.
pub fn nmb(csv: &Csv, n: &Names) -> Result<Table, ReadError> {
    let c = Columns::new(csv, &["perspective", "wtp", "strategy", "nmb", "best"])?;
    let mut t = Table::new(
        format!(
            "Net monetary benefit per person (willingness to pay × QALYs − cost), and its increment over the comparator, {}",
            n.comparator_label
        ),
        &csv.file,
        &[
            ("Willingness to pay", true),
            ("Strategy", false),
            ("Net monetary benefit", true),
            ("Incremental net benefit", true),
            ("Highest net benefit", false),
        ],
    );
    let m = &n.money;
    for (persp, rows) in c.groups("perspective") {
        t.group(perspective(&persp));
        for r in rows {
            let mcse = |col: &str| -> Result<String, ReadError> {
                Ok(c.num(r, col)?
                    .map_or(String::new(), |x| format!("MCSE {}", m.amount(x))))
            };
            t.row(vec![
                cell(or_dash(c.num(r, "wtp")?, |x| m.per_qaly(x))),
                cell(n.strategy(c.text(r, "strategy"))),
                noted(
                    or_dash(c.num(r, "nmb")?, |x| m.amount(x)),
                    mcse("nmb_mcse")?,
                ),
                noted(
                    or_dash(c.num(r, "inmb_vs_reference")?, |x| m.amount(x)),
                    mcse("inmb_mcse")?,
                ),
                cell(if c.text(r, "best") == "true" {
                    "yes"
                } else {
                    ""
                }),
            ]);
        }
    }
    Ok(t)
}

/// `psa_summary.csv`: probabilistic means and 95% intervals.
pub fn psa_summary(csv: &Csv, n: &Names) -> Result<Table, ReadError> {
    let c = Columns::new(
        csv,
        &["perspective", "strategy", "measure", "mean", "low", "high"],
    )?;
    let mut t = Table::new(
        "Probabilistic results: means over the draws and 95% intervals (2.5th to 97.5th percentile), per person".into(),
        &csv.file,
        &[
            ("Strategy", false),
            ("Outcome", false),
            ("Mean", true),
            ("95% interval", true),
        ],
    );
    let m = &n.money;
    let vs = &n.comparator_label;
    for (persp, rows) in c.groups("perspective") {
        t.group(perspective(&persp));
        for r in rows {
            let measure = c.text(r, "measure");
            let wtp = c.num(r, "wtp")?.map_or(String::new(), |w| m.per_qaly(w));
            let (what, show): (String, &dyn Fn(f64) -> String) = match measure {
                "cost" => ("Cost".into(), &|x| m.amount(x)),
                "qalys" => ("QALYs".into(), &qalys),
                "inc_cost" => (format!("Incremental cost against {vs}"), &|x| m.amount(x)),
                "inc_qalys" => (format!("Incremental QALYs against {vs}"), &qalys),
                "inmb" => (
                    format!("Incremental net benefit against {vs} at {wtp}"),
                    &|x| m.amount(x),
                ),
                "icer" => ("Incremental analysis of the means".into(), &|x| m.amount(x)),
                other => (other.to_string(), &|x| number(x, 3)),
            };
            let (mean, low, high) = (c.num(r, "mean")?, c.num(r, "low")?, c.num(r, "high")?);
            let (value, interval) = match (mean, low, high) {
                (Some(x), Some(lo), Some(hi)) => (show(x), format!("{} to {}", show(lo), show(hi))),
                _ => (status(c.text(r, "status"), "", ""), String::new()),
            };
            t.row(vec![
                cell(n.strategy(c.text(r, "strategy"))),
                cell(what),
                cell(value),
                cell(interval),
            ]);
        }
    }
    Ok(t)
}

/// A threshold and the probability of each strategy there.
type ByWtp = (f64, HashMap<String, f64>);

/// The probability that each strategy is cost-effective at each threshold, from the
/// `prob_cost_effective` records of `run.json`: one row per threshold, a column per strategy.
pub fn probabilities(records: &[serde_json::Value], n: &Names, strategies: &[String]) -> Table {
    let mut columns = vec![("Willingness to pay", true)];
    let labels: Vec<String> = strategies.iter().map(|s| n.strategy(s)).collect();
    columns.extend(labels.iter().map(|l| (l.as_str(), true)));
    let mut t = Table::new(
        "Probability that each strategy is cost-effective (has the highest net benefit), over the draws".into(),
        "run.json",
        &columns,
    );
    let mut groups: Vec<(String, Vec<ByWtp>)> = Vec::new();
    for rec in records {
        let persp = rec["perspective"].as_str().unwrap_or_default().to_string();
        let wtp = rec["wtp"].as_f64().unwrap_or(f64::NAN);
        let strategy = rec["strategy"].as_str().unwrap_or_default().to_string();
        let p = rec["probability"].as_f64().unwrap_or(f64::NAN);
        let idx = match groups.iter().position(|(k, _)| *k == persp) {
            Some(i) => i,
            None => {
                groups.push((persp, Vec::new()));
                groups.len() - 1
            }
        };
        let rows = &mut groups[idx].1;
        match rows.iter_mut().find(|(w, _)| *w == wtp) {
            Some((_, by)) => {
                by.insert(strategy, p);
            }
            None => rows.push((wtp, HashMap::from([(strategy, p)]))),
        }
    }
    for (persp, rows) in groups {
        t.group(perspective(&persp));
        for (wtp, by) in rows {
            let mut cells = vec![cell(n.money.per_qaly(wtp))];
            cells.extend(
                strategies
                    .iter()
                    .map(|s| cell(by.get(s).map_or("—".into(), |p| percent(*p)))),
            );
            t.row(cells);
        }
    }
    t
}

/// `evpi.csv` at the thresholds `wtp`: per person and for the population, or why not.
pub fn evpi(
    csv: &Csv,
    n: &Names,
    wtp: &[f64],
    population: Option<String>,
) -> Result<Table, ReadError> {
    let c = Columns::new(
        csv,
        &["perspective", "wtp", "evpi_per_person", "evpi_population"],
    )?;
    let caption = match &population {
        Some(p) => format!("Expected value of perfect information (EVPI) per person and for the population ({p})"),
        None => "Expected value of perfect information (EVPI) per person; the scenario sets no population (settings.psa.population), so no population EVPI is given".into(),
    };
    let mut t = Table::new(
        caption,
        &csv.file,
        &[
            ("Willingness to pay", true),
            ("EVPI per person", true),
            ("EVPI for the population", true),
        ],
    );
    let m = &n.money;
    for (persp, rows) in c.groups("perspective") {
        t.group(perspective(&persp));
        for r in rows {
            let Some(w) = c.num(r, "wtp")? else { continue };
            if !wtp.contains(&w) {
                continue;
            }
            t.row(vec![
                cell(m.per_qaly(w)),
                cell(or_dash(c.num(r, "evpi_per_person")?, |x| m.amount(x))),
                cell(match population {
                    Some(_) => or_dash(c.num(r, "evpi_population")?, |x| m.amount(x)),
                    None => "no population set".into(),
                }),
            ]);
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perspectives_and_statuses_read_as_words() {
        assert_eq!(perspective("societal"), "Societal perspective");
        assert_eq!(
            status("reference", "", ""),
            "on the frontier (least costly)"
        );
        assert_eq!(status("dominated", "", "EKO"), "dominated by EKO");
        assert_eq!(
            status("non-dominated", "ECT", ""),
            "on the frontier, ICER against ECT"
        );
        assert_eq!(
            status("extendedly dominated", "", ""),
            "extendedly dominated"
        );
    }
}
