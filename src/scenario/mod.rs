//! Scenario loading: YAML text → raw serde mirror → validated `Model`.
//!
//! This is the only module that knows about YAML (serde-saphyr, which rejects duplicate
//! keys and alias bombs). Validation collects every problem before reporting, each with
//! file, line, column, dotted path, what was found and what was expected.
//!
//! - `input`: any input file read with bounded memory (regular files only, size limit,
//!   UTF-8 errors at a line and column);
//! - `read`: a scenario file's text and YAML parsing;
//! - `raw`: the serde mirror of the YAML, with source spans;
//! - `overlay`: scenario analyses (`extends:`) merged into their base;
//! - `validate`: the raw mirror checked and turned into a `Model`, one file per section;
//! - `diag`: diagnostics (file, line, column, dotted path, message) and the load error.
//!
//! Invariants: a `Model` leaves this module only when no error was found (warnings travel
//! inside it); diagnostics keep the order in which the sections are checked. This module
//! depends only on lower stages (`model`, `expr`, `dist`, `params`, `suggest`), never on simulation, economics or output.

pub mod diag;
mod input;
mod overlay;
mod raw;
mod read;
mod validate;

use std::path::Path;

use crate::model::Model;
use diag::LoadError;

pub use input::MAX_FILE_BYTES;
pub use raw::Scalar;
pub use validate::{
    FORMAT_VERSION, MAX_CYCLES, MAX_INDIVIDUALS, MAX_LABEL_CHARS, MAX_NAME_CHARS,
    MAX_POPULATION_PER_YEAR, MAX_WTP,
};

/// Load and validate a scenario file; warnings are returned inside the model.
pub fn load(path: &Path) -> Result<Model, LoadError> {
    let file = path.display().to_string();
    let text = read::read_text(path, &file)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_str(&text, &file, &name, &dir)
}

/// Load and validate scenario text; `dir` is where relative table paths are resolved.
/// A document with `extends:` is a scenario analysis: the named base scenario (relative to
/// `dir`) with the overlay's changes applied.
pub fn load_str(text: &str, file: &str, name: &str, dir: &Path) -> Result<Model, LoadError> {
    if read::is_overlay(text) {
        return overlay::load_overlay(text, file, name, dir);
    }
    let raw = read::parse_raw(text, file)?;
    validate::validate(raw, file, name, dir, None)
}
