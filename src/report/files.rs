//! What the report reads from result directories as it is: an SVG figure ready to inline.
//! The directory has been checked against its manifest, so a file it does not have was not written by the run and is left out; a file that is there must
//! be whole and consistent with the run, or the report is not written.

use serde::Serialize;

use crate::analysis::manifest::ResultDir;
use crate::analysis::read::ReadError;

/// An SVG figure of a result directory. The template gives the caption.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    /// The file stem; the figure's HTML id is `fig-<stem>`.
    pub stem: String,
    /// The SVG document without its XML declaration, inlined as it is.
    pub svg: String,
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
