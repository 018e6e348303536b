//! Reading scenario text: a regular file within the size limit and in UTF-8 (`input`),
//! parsed by serde-saphyr (which rejects duplicate keys and alias bombs) into the raw
//! mirror, and YAML errors worded as diagnostics.

use std::path::Path;

use crate::scenario::diag::{Diagnostic, LoadError, Severity};

use super::input::read_input;
use super::raw::{Probe, RawScenario};

/// The text of a scenario file (see `input::read_input`). `file` is the name diagnostics
/// give the file; an invalid UTF-8 sequence is reported at its line and column.
pub(super) fn read_text(path: &Path, file: &str) -> Result<String, LoadError> {
    read_input(path).map_err(|e| one_error(file, e.at().unwrap_or((0, 0)), "", e.to_string()))
}

/// Whether the text is a scenario analysis (it has an `extends:` key).
pub(super) fn is_overlay(text: &str) -> bool {
    matches!(
        serde_saphyr::from_str::<Probe>(text),
        Ok(Probe { extends: Some(_) })
    )
}

/// Parse a complete scenario into the raw mirror.
pub(super) fn parse_raw(text: &str, file: &str) -> Result<RawScenario, LoadError> {
    serde_saphyr::from_str(text).map_err(|e| yaml_error(file, &e))
}

/// A YAML (syntax or shape) error as a one-diagnostic load error.
pub(super) fn yaml_error(file: &str, e: &serde_saphyr::Error) -> LoadError {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    LoadError {
        diagnostics: vec![Diagnostic {
            severity: Severity::Error,
            file: file.to_string(),
            line,
            column,
            path: String::new(),
            message: first_line(&e.to_string()),
        }],
    }
}

/// A load error of one diagnostic at a place in a file.
pub(super) fn one_error(file: &str, at: (u64, u64), path: &str, message: String) -> LoadError {
    LoadError {
        diagnostics: vec![Diagnostic {
            severity: Severity::Error,
            file: file.to_string(),
            line: at.0,
            column: at.1,
            path: path.to_string(),
            message,
        }],
    }
}

/// serde-saphyr renders a source snippet after the first line; keep only the message.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message);
    // "error: line 4 column 3: duplicate mapping key: x, ..." → drop the repeated position.
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = match line.find(": ") {
        Some(i) if line.starts_with("line ") => &line[i + 2..],
        _ => line,
    };
    // Say what the user did and what is expected, in our words, for the common cases.
    if let Some(key) = line.strip_prefix("duplicate mapping key: ") {
        let key = key.split(", set DuplicateKeyPolicy").next().unwrap_or(key);
        return format!("duplicate key `{key}`; expected each key at most once in a mapping");
    }
    if line.starts_with("budget breached") {
        return format!(
            "the document expands too much through anchors and aliases (an alias bomb?); expected a scenario of ordinary size ({line})"
        );
    }
    if line.starts_with("non-finite float") {
        let found = line.split('`').nth(1).unwrap_or("a non-finite number");
        return format!("expected a finite number, found {found}");
    }
    line.to_string()
}
