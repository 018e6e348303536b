//! Exports where people work: `results.xlsx`, one sheet per result table of a directory
//! with numbers as numbers in their formats, and the wide per-draw matrices of a PSA
//! (`psa_costs.csv`, `psa_effects.csv`) that BCEA's `bcea(e, c)` and dampack's
//! `make_psa_obj(cost, effectiveness)` take. The CSV tables stay the tidy originals;
//! these are written from them (or from `psa.csv`), so `trdsim plot` writes them again
//! byte for byte.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::analysis::read::PsaData;
use crate::model::table::split_csv_line;

use super::{OutputError, field, write_file};

/// The workbook's file name.
pub const WORKBOOK: &str = "results.xlsx";

/// The workbook of a scenario comparison (`trdsim compare`).
pub const COMPARE_WORKBOOK: &str = "compare.xlsx";

/// The per-draw effects (QALYs, the same in every perspective).
pub const EFFECTS: &str = "psa_effects.csv";

/// The tables copied into the workbook, in sheet order, with their sheet names (at most
/// 31 characters, Excel's limit). Per-draw and per-cycle tables (`psa.csv`, `draws.csv`,
/// `trace.csv`) are left out: they are data, not results.
const SHEETS: &[(&str, &str)] = &[
    ("results.csv", "Base case"),
    ("icer.csv", "Incremental analysis"),
    ("pairwise.csv", "Pairwise"),
    ("nmb.csv", "Net monetary benefit"),
    ("transitions.csv", "Transitions"),
    ("psa_summary.csv", "PSA summary"),
    ("ceac.csv", "CEAC"),
    ("evpi.csv", "EVPI"),
    ("evppi.csv", "EVPPI"),
    ("evsi.csv", "EVSI"),
    ("dsa.csv", "DSA"),
    ("dsa_two_way.csv", "DSA two-way"),
    ("threshold.csv", "Threshold"),
    ("threshold_nmb.csv", "Threshold NMB"),
    ("compare_results.csv", "Scenario results"),
    ("compare_inmb.csv", "Scenario INMB"),
    ("compare_inputs.csv", "Scenario inputs"),
    ("assumptions.csv", "Assumptions"),
];

/// The name of the cost matrix of `perspective`: `psa_costs.csv` when the run has one
/// perspective, `psa_costs_<perspective>.csv` when it has several.
#[must_use]
pub fn costs_name(perspectives: &[String], perspective: &str) -> String {
    if perspectives.len() == 1 {
        "psa_costs.csv".into()
    } else {
        format!("psa_costs_{perspective}.csv")
    }
}

/// Whether `name` is one of the files this module writes.
#[must_use]
pub fn is_export(name: &str) -> bool {
    name == WORKBOOK || name == EFFECTS || (name.starts_with("psa_costs") && name.ends_with(".csv"))
}

/// One wide matrix: a `draw` column, then one column per strategy (its id), one row per
/// draw in the order of `psa.csv`.
fn matrix(data: &PsaData, values: impl Fn(usize) -> f64) -> String {
    let mut s = String::from("draw");
    for name in &data.strategies {
        let _ = write!(s, ",{}", field(name));
    }
    s.push('\n');
    let n = data.strategies.len();
    for (d, draw) in data.draws.iter().enumerate() {
        let _ = write!(s, "{draw}");
        for k in 0..n {
            let _ = write!(s, ",{}", values(d * n + k));
        }
        s.push('\n');
    }
    s
}

/// Write the wide per-draw matrices of a PSA into `dir`: `psa_effects.csv` (discounted
/// QALYs) and the discounted costs of each perspective.
pub fn write_psa_matrices(dir: &Path, data: &PsaData) -> Result<(), OutputError> {
    let Some(first) = data.tables.first() else {
        return Ok(());
    };
    write_file(&dir.join(EFFECTS), &matrix(data, |i| first.effect[i]))?;
    for (persp, t) in data.perspectives.iter().zip(&data.tables) {
        let name = costs_name(&data.perspectives, persp);
        write_file(&dir.join(name), &matrix(data, |i| t.cost[i]))?;
    }
    Ok(())
}

/// How a column's numbers are shown.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Money,
    /// Monte Carlo and standard errors of money: with cents.
    MoneyFine,
    Qalys,
    Probability,
    General,
}

/// The kind of the numbers in column `header` of `file`; `measure` is the row's
/// `measure` (psa_summary.csv) or `outcome` (results.csv) where the column holds several.
fn kind(file: &str, header: &str, measure: Option<&str>) -> Kind {
    let by_measure = |m: &str| {
        if m.contains("qalys") || m.contains("life_years") {
            Kind::Qalys
        } else {
            Kind::Money
        }
    };
    match (file, header) {
        ("results.csv", "mean") | ("psa_summary.csv", "mean" | "low" | "high") => {
            by_measure(measure.unwrap_or(""))
        }
        ("results.csv", "mcse") => match by_measure(measure.unwrap_or("")) {
            Kind::Money => Kind::MoneyFine,
            k => k,
        },
        ("evppi.csv" | "evsi.csv", "se") => Kind::MoneyFine,
        ("transitions.csv", _) | ("dsa.csv" | "threshold.csv", "low" | "high") => Kind::General,
        (_, h) if h.starts_with("prob_") || h == "frontier_prob" || h == "probability" => {
            Kind::Probability
        }
        (_, h) if h.contains("qalys") || h.contains("life_years") => Kind::Qalys,
        (_, h) if h.ends_with("mcse") => Kind::MoneyFine,
        (_, h)
            if [
                "cost", "nmb", "icer", "wtp", "evpi", "evppi", "evsi", "enbs",
            ]
            .iter()
            .any(|m| h.contains(m)) =>
        {
            Kind::Money
        }
        _ => Kind::General,
    }
}

/// The number formats of a workbook, by kind.
struct Formats {
    header: Format,
    money: Format,
    money_fine: Format,
    qalys: Format,
    probability: Format,
}

impl Formats {
    fn new(currency: &str) -> Self {
        let symbol = match currency {
            "EUR" | "eur" => "\"€\"".to_string(),
            "" => String::new(),
            c => format!("\"{} \"", c.replace('"', "")),
        };
        Formats {
            header: Format::new().set_bold(),
            money: Format::new().set_num_format(format!("{symbol}#,##0")),
            money_fine: Format::new().set_num_format(format!("{symbol}#,##0.00")),
            qalys: Format::new().set_num_format("0.000"),
            probability: Format::new().set_num_format("0.0%"),
        }
    }

    fn of(&self, k: Kind) -> Option<&Format> {
        match k {
            Kind::Money => Some(&self.money),
            Kind::MoneyFine => Some(&self.money_fine),
            Kind::Qalys => Some(&self.qalys),
            Kind::Probability => Some(&self.probability),
            Kind::General => None,
        }
    }
}

/// The width in characters that a cell's text needs, shown in its format (roughly: the
/// digits, separators and symbol).
fn shown_width(text: &str, k: Kind) -> usize {
    match (text.parse::<f64>(), k) {
        (Ok(x), Kind::Money | Kind::MoneyFine) => {
            let digits = format!("{:.0}", x.abs()).len();
            digits + digits / 3 + 3 + if k == Kind::MoneyFine { 3 } else { 0 }
        }
        (Ok(x), Kind::Qalys) => format!("{x:.3}").len(),
        (Ok(_), Kind::Probability) => 6,
        (Ok(x), Kind::General) => format!("{x}").len().min(12),
        (Err(_), _) => text.chars().count(),
    }
}

/// Add one CSV table to the workbook as a sheet: header bold and frozen, numbers as
/// numbers in their formats, `true`/`false` as booleans, columns as wide as their text.
fn add_sheet(
    sheet: &mut Worksheet,
    file: &str,
    text: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let mut lines = text.lines();
    let header = lines.next().map(split_csv_line).unwrap_or_default();
    let measure_col = header.iter().position(|h| h == "measure" || h == "outcome");
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count() + 2).collect();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col(c), h, &formats.header)?;
    }
    for (r, line) in lines.enumerate() {
        let row = u32::try_from(r + 1).unwrap_or(u32::MAX);
        let cells = split_csv_line(line);
        let measure = measure_col.and_then(|m| cells.get(m)).map(String::as_str);
        for (c, cell) in cells.iter().enumerate() {
            let h = header.get(c).map_or("", String::as_str);
            let k = kind(file, h, measure);
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(shown_width(cell, k) + 2);
            }
            match (cell.as_str(), cell.parse::<f64>()) {
                ("", _) => {}
                ("true" | "false", _) => {
                    sheet.write_boolean(row, col(c), cell == "true")?;
                }
                (_, Ok(x)) if x.is_finite() => match formats.of(k) {
                    Some(f) => {
                        sheet.write_number_with_format(row, col(c), x, f)?;
                    }
                    None => {
                        sheet.write_number(row, col(c), x)?;
                    }
                },
                _ => {
                    sheet.write_string(row, col(c), cell)?;
                }
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(col(c), (*w).min(80) as f64)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The table `text` of `file` with a `label` column after the column of parameter ids
/// (`parameter`, or `name` in `evppi.csv`), for readers of the workbook; `labels` maps ids
/// to labels (`run.json`). Tables without such a column are returned as they are.
fn with_labels<'a>(file: &str, text: &'a str, labels: &[(String, String)]) -> Cow<'a, str> {
    let mut lines = text.lines();
    let header = lines.next().map(split_csv_line).unwrap_or_default();
    let id_col = if file == "evppi.csv" {
        "name"
    } else {
        "parameter"
    };
    let (Some(at), false) = (
        header.iter().position(|h| h == id_col),
        header.iter().any(|h| h == "label"),
    ) else {
        return Cow::Borrowed(text);
    };
    let kind_col = header.iter().position(|h| h == "kind");
    let mut out = String::with_capacity(text.len() * 2);
    let mut push = |cells: &[String], label: &str| {
        let mut row: Vec<String> = cells.iter().map(|c| field(c)).collect();
        row.insert((at + 1).min(row.len()), field(label));
        out.push_str(&row.join(","));
        out.push('\n');
    };
    push(&header, "label");
    for line in lines {
        let cells = split_csv_line(line);
        let id = cells.get(at).map_or("", String::as_str);
        let kind = kind_col
            .and_then(|k| cells.get(k))
            .map_or("parameter", String::as_str);
        push(&cells, &super::voi::target_label(id, kind, labels));
    }
    Cow::Owned(out)
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// The workbook of every result table found in `dirs` (each table from the first
/// directory holding it), in the currency `currency`, with each parameter's label from
/// `labels` (id → label) beside its id. Its creation date is fixed, so the same tables give
/// the same bytes.
pub fn workbook(
    dirs: &[&Path],
    currency: &str,
    labels: &[(String, String)],
) -> Result<Option<Vec<u8>>, OutputError> {
    let err = |e: XlsxError| OutputError(format!("cannot write the workbook: {e}"));
    let mut book = Workbook::new();
    // A fixed date (the zip epoch) rather than the time of writing: the file must be
    // reproducible.
    let epoch = ExcelDateTime::from_ymd(1980, 1, 1).map_err(err)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&epoch));
    let formats = Formats::new(currency);
    let mut any = false;
    for (file, title) in SHEETS {
        let Some(path) = dirs.iter().map(|d| d.join(file)).find(|p| p.is_file()) else {
            continue;
        };
        let text = fs::read_to_string(&path)
            .map_err(|e| OutputError(format!("cannot read `{}`: {e}", path.display())))?;
        let sheet = book.add_worksheet();
        sheet.set_name(*title).map_err(err)?;
        let text = with_labels(file, &text, labels);
        add_sheet(sheet, file, &text, &formats).map_err(err)?;
        any = true;
    }
    if !any {
        return Ok(None);
    }
    book.save_to_buffer().map(Some).map_err(err)
}

/// Write `results.xlsx` into `dir` from the tables in `dirs` (see [`workbook`]); nothing
/// when none of them holds a result table.
pub fn write_workbook(
    dir: &Path,
    dirs: &[&Path],
    currency: &str,
    labels: &[(String, String)],
) -> Result<(), OutputError> {
    write_workbook_named(&dir.join(WORKBOOK), dirs, currency, labels)
}

/// Write the workbook of the tables in `dirs` (see [`workbook`]) to `path`; nothing when
/// none of them holds a result table.
pub fn write_workbook_named(
    path: &Path,
    dirs: &[&Path],
    currency: &str,
    labels: &[(String, String)],
) -> Result<(), OutputError> {
    if let Some(bytes) = workbook(dirs, currency, labels)? {
        fs::write(path, bytes)
            .map_err(|e| OutputError(format!("cannot write `{}`: {e}", path.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_get_the_format_of_what_they_hold() {
        assert_eq!(kind("icer.csv", "cost", None), Kind::Money);
        assert_eq!(kind("icer.csv", "inc_qalys", None), Kind::Qalys);
        assert_eq!(kind("icer.csv", "icer", None), Kind::Money);
        assert_eq!(kind("ceac.csv", "prob_best", None), Kind::Probability);
        assert_eq!(kind("ceac.csv", "frontier_prob", None), Kind::Probability);
        assert_eq!(kind("ceac.csv", "wtp", None), Kind::Money);
        assert_eq!(kind("nmb.csv", "inmb_mcse", None), Kind::MoneyFine);
        assert_eq!(kind("pairwise.csv", "inc_qalys_mcse", None), Kind::Qalys);
        assert_eq!(
            kind("psa_summary.csv", "low", Some("inc_qalys")),
            Kind::Qalys
        );
        assert_eq!(kind("psa_summary.csv", "high", Some("inmb")), Kind::Money);
        assert_eq!(kind("results.csv", "mean", Some("life_years")), Kind::Qalys);
        assert_eq!(kind("results.csv", "mcse", Some("cost")), Kind::MoneyFine);
        assert_eq!(kind("dsa.csv", "low", None), Kind::General);
        assert_eq!(kind("evppi.csv", "se", None), Kind::MoneyFine);
        assert_eq!(kind("psa.csv", "draw", None), Kind::General);
    }

    #[test]
    fn cost_matrices_are_named_by_perspective_only_when_there_are_several() {
        let one = ["healthcare".to_string()];
        let two = ["healthcare".to_string(), "societal".to_string()];
        assert_eq!(costs_name(&one, "healthcare"), "psa_costs.csv");
        assert_eq!(costs_name(&two, "societal"), "psa_costs_societal.csv");
        assert!(is_export("psa_costs_societal.csv") && is_export(WORKBOOK));
        assert!(!is_export("psa.csv"));
    }
}
