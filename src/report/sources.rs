//! What the report reads from result directories: a CSV table as rows of text and an SVG
//! figure ready to inline. The directory has been checked against its manifest, so a file
//! it does not have was not written by the run and is left out; a file that is there must
//! be whole and consistent with the run, or the report is not written.

use serde::Serialize;

use super::format::significant;
use crate::analysis::manifest::{ResultDir, Shape};
use crate::analysis::read::ReadError;

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

/// `name` of a result directory as a table, checked against the run's `shape` when given;
/// `None` when the directory does not have it (which its manifest then confirms).
pub fn csv_table(
    dir: &ResultDir,
    name: &str,
    shape: Option<&Shape>,
) -> Result<Option<CsvTable>, ReadError> {
    let Some(table) = dir.table(name, shape)? else {
        return Ok(None);
    };
    let rows = table
        .rows
        .into_iter()
        .map(|row| row.into_iter().map(shown).collect())
        .collect();
    Ok(Some(CsvTable {
        file: name.to_string(),
        header: table.header,
        rows,
    }))
}

/// A CSV field as shown: decimals to 6 significant digits, anything else as written.
fn shown(field: String) -> String {
    match field.parse::<f64>() {
        Ok(x) if field.contains('.') => format!("{}", significant(x, 6)),
        _ => field,
    }
}

/// `<stem>.svg` of a result directory from its `<svg` tag on; `None` when the directory
/// does not have it, an error when it is not a whole SVG document.
pub fn figure(dir: &ResultDir, stem: &str) -> Result<Option<Figure>, ReadError> {
    let name = format!("{stem}.svg");
    let Some(svg) = dir.text(&name)? else {
        return Ok(None);
    };
    let (Some(start), true) = (svg.find("<svg"), svg.trim_end().ends_with("</svg>")) else {
        return Err(ReadError::Line {
            file: dir.file(&name),
            line: 1,
            what: "not a whole SVG figure (expected <svg ...> ... </svg>)".into(),
        });
    };
    Ok(Some(Figure {
        stem: stem.to_string(),
        svg: svg[start..].to_string(),
    }))
}
