//! The CSV tables of a result directory read back: whole (a header, a line break at the
//! end, as many fields on every line as in the header), every number finite, and
//! consistent with what the run recorded (strategies, perspectives, states, row counts).

use crate::model::table::split_csv_line;

use super::manifest::Shape;
use super::read::{ReadError, check_complete, finite};

/// A CSV file of a result directory: its header and rows of text fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The file, as named in errors.
    pub file: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The line on which each row starts.
    pub lines: Vec<usize>,
}

/// Columns that hold numbers wherever they occur (an empty field means "none").
const NUMERIC: [&str; 34] = [
    "draw",
    "cycle",
    "wtp",
    "cost",
    "qalys",
    "life_years",
    "mean",
    "mcse",
    "share",
    "per_person",
    "inc_cost",
    "inc_cost_mcse",
    "inc_qalys",
    "inc_qalys_mcse",
    "icer",
    "nmb",
    "nmb_mcse",
    "inmb_vs_reference",
    "inmb_mcse",
    "low",
    "high",
    "prob_best",
    "prob_better_than_reference",
    "frontier_prob",
    "evpi_per_person",
    "evpi_population",
    "base_inmb",
    "inmb_at_low",
    "inmb_at_high",
    "inc_cost_at_low",
    "inc_cost_at_high",
    "inc_qalys_at_low",
    "inc_qalys_at_high",
    "individual",
];

/// Prefixes of numeric columns named after a threshold.
const NUMERIC_PREFIXES: [&str; 2] = ["inmb_mcse_", "prob_cost_effective_"];

fn numeric(column: &str) -> bool {
    NUMERIC.contains(&column) || NUMERIC_PREFIXES.iter().any(|p| column.starts_with(p))
}

/// Parse a CSV file written by trdsim (RFC 4180 quoting, a field may span lines).
pub fn parse_table(text: &str, file: &str) -> Result<Table, ReadError> {
    check_complete(text, file)?;
    let mut records = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let (start, record) = match pending.take() {
            Some((start, mut r)) => {
                r.push('\n');
                r.push_str(line);
                (start, r)
            }
            None => (i + 1, line.to_string()),
        };
        // An odd number of quotes leaves a quoted field open across the line break.
        if record.matches('"').count() % 2 == 1 {
            pending = Some((start, record));
        } else {
            records.push((start, record));
        }
    }
    if let Some((start, _)) = pending {
        return Err(bad(file, start, "a quoted field is not closed"));
    }
    let mut records = records.into_iter();
    let (_, header) = records
        .next()
        .ok_or_else(|| bad(file, 1, "empty file; expected a header line"))?;
    let header = split_csv_line(&header);
    let mut table = Table {
        file: file.to_string(),
        header,
        rows: Vec::new(),
        lines: Vec::new(),
    };
    for (line, record) in records {
        let fields = split_csv_line(&record);
        if fields.len() != table.header.len() {
            return Err(bad(
                file,
                line,
                format!(
                    "expected {} fields ({}), found {}",
                    table.header.len(),
                    table.header.join(","),
                    fields.len()
                ),
            ));
        }
        for (value, column) in fields.iter().zip(&table.header) {
            if numeric(column) && !value.is_empty() {
                finite(value, column, file, line)?;
            }
        }
        table.rows.push(fields);
        table.lines.push(line);
    }
    Ok(table)
}

fn bad(file: &str, line: usize, what: impl std::fmt::Display) -> ReadError {
    ReadError::Line {
        file: file.to_string(),
        line,
        what: what.to_string(),
    }
}

impl Table {
    /// An error at a line of this table.
    pub fn error(&self, line: usize, what: impl std::fmt::Display) -> ReadError {
        bad(&self.file, line, what)
    }

    /// The line after the last one, for errors about what is missing.
    fn end_line(&self) -> usize {
        self.lines.last().map_or(2, |l| l + 1)
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The perspectives of `results.csv` (its total-cost rows of `strategy`), in order.
    pub fn perspectives(&self, strategy: &str) -> Vec<String> {
        let (Some(s), Some(o), Some(c), Some(p)) = (
            self.column("strategy"),
            self.column("outcome"),
            self.column("category"),
            self.column("perspective"),
        ) else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for r in &self.rows {
            if r[s] == strategy && r[o] == "cost" && r[c] == "total" && !out.contains(&r[p]) {
                out.push(r[p].clone());
            }
        }
        out
    }

    /// Check names and row counts against the run: every strategy, perspective and state
    /// named is one of the run's; the base-case tables have one row per strategy and
    /// perspective (and threshold); per-strategy tables have as many rows per strategy.
    pub fn check_shape(&self, name: &str, shape: &Shape) -> Result<(), ReadError> {
        let lists: [(&str, &[String]); 6] = [
            ("strategy", &shape.strategies),
            ("reference", &shape.strategies),
            ("perspective", &shape.perspectives),
            ("state", &shape.states),
            ("from", &shape.states),
            ("to", &shape.states),
        ];
        for (column, list) in lists {
            let Some(k) = self.column(column) else {
                continue;
            };
            for (row, line) in self.rows.iter().zip(&self.lines) {
                // Rows of results.csv that belong to no perspective leave it empty.
                let blank = row[k].is_empty() && column == "perspective";
                if !blank && !list.contains(&row[k]) {
                    return Err(self.error(
                        *line,
                        format!(
                            "column `{column}`: `{}` is not one of the run's ({})",
                            row[k],
                            list.join(", ")
                        ),
                    ));
                }
            }
        }
        let (ns, np) = (shape.strategies.len(), shape.perspectives.len());
        let rows = match name {
            "icer.csv" => Some((ns * np, "strategy and perspective")),
            "pairwise.csv" => Some((
                ns.saturating_sub(1) * np,
                "strategy other than the reference and perspective",
            )),
            "nmb.csv" => Some((
                ns * np * shape.n_thresholds,
                "strategy, perspective and threshold",
            )),
            "results.csv" | "trace.csv" | "ceac.csv" => return self.same_rows_per_strategy(ns),
            _ => None,
        };
        if let Some((want, what)) = rows
            && self.rows.len() != want
        {
            return Err(self.error(
                self.end_line(),
                format!(
                    "expected {want} rows (one per {what}), found {}",
                    self.rows.len()
                ),
            ));
        }
        Ok(())
    }

    /// Tables with rows per strategy and something the same for all (outcomes, cycle
    /// boundaries, thresholds) have as many rows for each strategy.
    fn same_rows_per_strategy(&self, ns: usize) -> Result<(), ReadError> {
        let Some(k) = self.column("strategy") else {
            return Ok(());
        };
        if ns == 0 || !self.rows.len().is_multiple_of(ns) {
            return Err(self.error(
                self.end_line(),
                format!(
                    "{} rows do not divide among the {ns} strategies: the file is incomplete",
                    self.rows.len()
                ),
            ));
        }
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for r in &self.rows {
            *counts.entry(r[k].as_str()).or_default() += 1;
        }
        if counts.len() != ns || counts.values().any(|c| *c != self.rows.len() / ns) {
            return Err(self.error(
                self.end_line(),
                format!(
                    "expected as many rows for each of the {ns} strategies, found {}",
                    counts
                        .iter()
                        .map(|(s, c)| format!("{c} for `{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// The Markov trace read back: `[strategy][state]` → `(cycle, share)` at each boundary.
pub type Trace = Vec<Vec<Vec<(f64, f64)>>>;

/// `trace.csv` as `[strategy][state]` → `(cycle, share)`: every strategy and state at
/// every cycle boundary from 0 (`n_points` of them when known), shares finite.
pub fn parse_trace(
    text: &str,
    file: &str,
    strategies: &[String],
    states: &[String],
    n_points: Option<usize>,
) -> Result<Trace, ReadError> {
    let table = parse_table(text, file)?;
    if strategies.is_empty() || states.is_empty() {
        return Err(bad(file, 1, "run.json records no strategies or states"));
    }
    if table.header != ["strategy", "cycle", "state", "share"] {
        return Err(bad(
            file,
            1,
            "expected the columns strategy,cycle,state,share",
        ));
    }
    let mut points = vec![vec![Vec::new(); states.len()]; strategies.len()];
    for (f, line) in table.rows.iter().zip(&table.lines) {
        let unknown = |what: &str, name: &str, list: &[String]| {
            bad(
                file,
                *line,
                format!("unknown {what} `{name}`; the run has {}", list.join(", ")),
            )
        };
        let s = strategies
            .iter()
            .position(|id| *id == f[0])
            .ok_or_else(|| unknown("strategy", &f[0], strategies))?;
        let k = states
            .iter()
            .position(|id| *id == f[2])
            .ok_or_else(|| unknown("state", &f[2], states))?;
        let series: &mut Vec<(f64, f64)> = &mut points[s][k];
        let t: f64 = finite(&f[1], "cycle", file, *line)?;
        if t != series.len() as f64 {
            return Err(bad(
                file,
                *line,
                format!(
                    "expected cycle {} of strategy `{}`, state `{}`, found `{}`",
                    series.len(),
                    f[0],
                    f[2],
                    f[1]
                ),
            ));
        }
        series.push((t, finite(&f[3], "share", file, *line)?));
    }
    let want = n_points.unwrap_or_else(|| points[0][0].len()).max(1);
    for (s, row) in points.iter().enumerate() {
        for (k, series) in row.iter().enumerate() {
            if series.len() != want {
                return Err(bad(
                    file,
                    table.end_line(),
                    format!(
                        "the file ends with {} of the {want} cycle boundaries of strategy `{}`, state `{}`",
                        series.len(),
                        strategies[s],
                        states[k]
                    ),
                ));
            }
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(e: ReadError) -> (usize, String) {
        match e {
            ReadError::Line { line, what, .. } => (line, what),
            other => panic!("expected a line error, found {other:?}"),
        }
    }

    #[test]
    fn a_quoted_field_may_span_lines_and_rows_keep_their_first_line() {
        let t = parse_table("name,cost\n\"a\nb\",1\nc,2\n", "t.csv").unwrap();
        assert_eq!(t.rows, vec![vec!["a\nb", "1"], vec!["c", "2"]]);
        assert_eq!(t.lines, vec![2, 4]);
    }

    #[test]
    fn cut_or_malformed_tables_are_errors_at_their_line() {
        let err = |text: &str| line_of(parse_table(text, "t.csv").unwrap_err());
        assert_eq!(err("").0, 1);
        assert_eq!(err("name,cost\nc,2").0, 2);
        assert_eq!(err("name,cost\n\"a\n").0, 2);
        let (line, what) = err("name,cost\nc,2\nd\n");
        assert_eq!(line, 3);
        assert!(what.contains("expected 2 fields"), "{what}");
        for bad in ["NaN", "inf", "-inf", "x"] {
            let (line, what) = err(&format!("name,cost\nc,2\nd,{bad}\n"));
            assert_eq!(line, 3);
            assert_eq!(
                what,
                format!("column `cost`: expected a finite number, found `{bad}`")
            );
        }
        // An empty numeric field means "none" (an ICER of a reference strategy).
        assert!(parse_table("name,icer\nc,\n", "t.csv").is_ok());
    }

    #[test]
    fn a_trace_must_have_every_cycle_of_every_strategy_and_state() {
        let ids = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (strategies, states) = (ids(&["a"]), ids(&["x", "y"]));
        let text = "strategy,cycle,state,share\na,0,x,1\na,0,y,0\na,1,x,0.5\na,1,y,0.5\n";
        let trace = parse_trace(text, "t.csv", &strategies, &states, Some(2)).unwrap();
        assert_eq!(trace[0][1], vec![(0.0, 0.0), (1.0, 0.5)]);
        let cut = "strategy,cycle,state,share\na,0,x,1\na,0,y,0\na,1,x,0.5\n";
        let (line, what) =
            line_of(parse_trace(cut, "t.csv", &strategies, &states, Some(2)).unwrap_err());
        assert_eq!(line, 5);
        assert!(what.contains("1 of the 2 cycle boundaries"), "{what}");
    }
}
