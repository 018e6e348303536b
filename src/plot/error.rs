//! The error type of plotting, [`PlotError`], and the file names it reports.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// Error from rendering or writing a figure; its message names the file that
/// was being written.
#[derive(Debug)]
pub struct PlotError(pub String);

impl PlotError {
    /// Builds an error naming `path`, the file that was being written.
    pub(super) fn at(path: &Path, what: impl fmt::Display) -> Self {
        Self(format!("cannot write figure {}: {what}", path.display()))
    }
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlotError {}

/// An error about the figure `{stem}.png` (the first file written).
pub(super) fn failure(stem: &Path, what: impl fmt::Display) -> PlotError {
    PlotError::at(&with_extension(stem, "png"), what)
}

/// `{stem}.{ext}`, appended rather than substituted so that a stem containing
/// a dot (`trace.v2`) keeps its full name.
pub(super) fn with_extension(stem: &Path, ext: &str) -> PathBuf {
    let mut name = OsString::from(stem.as_os_str());
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stem_with_dot_keeps_its_name() {
        assert_eq!(
            with_extension(Path::new("out/trace.v2"), "png"),
            PathBuf::from("out/trace.v2.png")
        );
    }
}
