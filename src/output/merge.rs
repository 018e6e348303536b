//! A merged PSA written as one run: the first slice's base-case files, the concatenated
//! per-draw files, and the analysis of them (so a merged run equals a single run).

use std::path::Path;

use crate::analysis::merge::{BASE_CASE_FILES, Merged};
use crate::analysis::psa::PsaFindings;

use super::{OutputError, render, write_atomically, write_file};

/// Write merged slices into `out`; returns the PSA findings.
pub fn write_merged(out: &Path, force: bool, m: Merged) -> Result<PsaFindings, OutputError> {
    let figures = m.run_json["figures"].clone();
    let mut findings = None;
    write_atomically(out, force, m.run_json, |tmp| {
        for name in BASE_CASE_FILES {
            std::fs::copy(m.base_dir.join(name), tmp.join(name))
                .map_err(|e| OutputError(format!("cannot copy `{name}`: {e}")))?;
        }
        write_file(&tmp.join("draws.csv"), &m.draws_csv)?;
        write_file(&tmp.join("psa.csv"), &m.psa_csv)?;
        let f = render(tmp, &figures)?;
        let mut extra = serde_json::Map::new();
        if let Some(f) = &f {
            extra.insert("psa_results".into(), super::findings_json(f));
        }
        findings = f;
        Ok(extra)
    })?;
    findings.ok_or_else(|| OutputError("no PSA results were produced".into()))
}
