//! What the report reads from result directories: a CSV table as rows of text and an SVG
//! figure ready to inline. A file that is missing or unreadable is simply left out.

use std::fs;
use std::path::Path;

use serde::Serialize;

use super::format::significant;
use crate::model::table::split_csv_line;

/// A CSV file of a result directory; numbers with a decimal point are shown to 6
/// significant digits. The template gives the caption.
#[derive(Clone, Debug, Serialize)]
pub struct CsvTable {
    /// The file name, shown beside the caption.
    pub file: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// An SVG figure of a result directory. The template gives the caption.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    /// The file stem; the figure's HTML id is `fig-<stem>`.
    pub stem: String,
    /// The SVG document without its XML declaration, inlined as it is.
    pub svg: String,
}

/// `dir/name` as a table, or `None` if it cannot be read or is empty.
pub fn csv_table(dir: &Path, name: &str) -> Option<CsvTable> {
    let text = fs::read_to_string(dir.join(name)).ok()?;
    let mut lines = text.lines();
    let header = split_csv_line(lines.next()?);
    let rows = lines
        .map(|line| split_csv_line(line).into_iter().map(shown).collect())
        .collect();
    Some(CsvTable {
        file: name.to_string(),
        header,
        rows,
    })
}

/// A CSV field as shown: decimals to 6 significant digits, anything else as written.
fn shown(field: String) -> String {
    match field.parse::<f64>() {
        Ok(x) if field.contains('.') => format!("{}", significant(x, 6)),
        _ => field,
    }
}

/// `dir/<stem>.svg` from its `<svg` tag on, or `None` if it cannot be read or has none.
pub fn figure(dir: &Path, stem: &str) -> Option<Figure> {
    let svg = fs::read_to_string(dir.join(format!("{stem}.svg"))).ok()?;
    let start = svg.find("<svg")?;
    Some(Figure {
        stem: stem.to_string(),
        svg: svg[start..].to_string(),
    })
}
