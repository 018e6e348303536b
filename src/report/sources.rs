//! Which parts of a modeller's `source` text a reader of the report sees.
//!
//! The rule: a source is shown as the modeller wrote it, less every internal note. An
//! internal note is a part of the text that points into the project rather than to the
//! literature: it names a seed document (`seed 002`), the project's brief (`as listed in
//! the project's domain brief`), or a file of the repository (`scenarios/data/...csv`,
//! `docs/...md`). The parts are the comma-separated items inside parentheses and the
//! comma- or semicolon-separated clauses outside them; a parenthesis left empty goes too.
//! A source that is nothing but internal notes is not shown. A source that says it is an
//! assumption is shown as the modeller's reasoning, marked as an assumption, not as a
//! citation.

/// Words that mark a part of a source as an internal note (compared in lower case).
const INTERNAL: [&str; 11] = [
    "seed 0",
    "seed 1",
    "domain brief",
    "project's",
    "the brief",
    "scenarios/",
    "docs/",
    "tests/",
    ".md",
    ".csv",
    ".yaml",
];

/// A source as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// A citation (or other published basis), internal notes removed.
    Citation(String),
    /// The modeller's reasoning for an assumption, without the leading `assumption:`.
    Assumption(String),
    /// Nothing to show: no source, or only internal notes.
    Nothing,
}

/// True when `part` is an internal note.
pub fn is_internal(part: &str) -> bool {
    let lower = part.to_lowercase();
    INTERNAL.iter().any(|m| lower.contains(m))
}

/// `text` without its internal notes, and with tidy spaces and punctuation.
pub fn clean(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    // Outside parentheses: clauses end at `, ` or `; ` (kept with the clause before).
    while !rest.is_empty() {
        let (clause, tail) = split_clause(rest);
        rest = tail;
        let (kept, sep) = match clause
            .strip_suffix(", ")
            .or_else(|| clause.strip_suffix("; "))
        {
            Some(body) => (body, &clause[body.len()..]),
            None => (clause, ""),
        };
        let kept = clean_parentheses(kept);
        if kept.trim().is_empty() || is_internal(&without_parentheses(&kept)) {
            continue;
        }
        out.push_str(&kept);
        out.push_str(sep);
    }
    let out = out.trim().trim_end_matches([',', ';']).trim_end();
    out.replace("  ", " ").replace(" ,", ",").replace(" ;", ";")
}

/// The first clause of `text` (up to and including a `, ` or `; ` outside parentheses)
/// and the rest.
fn split_clause(text: &str) -> (&str, &str) {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' | b';' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                return text.split_at(i + 2);
            }
            _ => {}
        }
    }
    (text, "")
}

/// `text` with the internal items of each parenthesis removed, and an emptied
/// parenthesis with the space before it.
fn clean_parentheses(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let Some(len) = rest[open..].find(')') else {
            break;
        };
        let inner = &rest[open + 1..open + len];
        let items: Vec<&str> = inner
            .split(", ")
            .filter(|item| !is_internal(item))
            .collect();
        out.push_str(&rest[..open]);
        if items.is_empty() {
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
        } else {
            out.push('(');
            out.push_str(&items.join(", "));
            out.push(')');
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
    out
}

/// `text` without anything in parentheses, to judge a clause by its own words.
fn without_parentheses(text: &str) -> String {
    let mut depth = 0usize;
    text.chars()
        .filter(|c| {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => return depth == 0,
            }
            false
        })
        .collect()
}

/// How a parameter's source is shown.
pub fn shown(source: Option<&str>) -> Shown {
    let Some(source) = source else {
        return Shown::Nothing;
    };
    let trimmed = source.trim();
    if trimmed.to_ascii_lowercase().starts_with("assumption") {
        let reason = trimmed["assumption".len()..].trim_start_matches([':', ' ']);
        return Shown::Assumption(clean(reason));
    }
    match clean(trimmed) {
        text if text.is_empty() => Shown::Nothing,
        text => Shown::Citation(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_notes_are_removed_and_citations_kept() {
        let cases = [
            (
                "RESET-TRD protocol: phase 1 lasts 8 weeks (seed 002); a second course is given the same length",
                "RESET-TRD protocol: phase 1 lasts 8 weeks; a second course is given the same length",
            ),
            (
                "Kostenhandleiding 2024: medical specialist, per patient-related hour, 2022 (as listed in the project's domain brief)",
                "Kostenhandleiding 2024: medical specialist, per patient-related hour, 2022",
            ),
            (
                "0.75 contacts per week averages the protocol's online monitoring (RESET-TRD, seed 002)",
                "0.75 contacts per week averages the protocol's online monitoring (RESET-TRD)",
            ),
            (
                "response 0.50 (review in seed 000, about 50%), partial response 0.14",
                "response 0.50 (about 50%), partial response 0.14",
            ),
            (
                "Kolovos et al. 2017, Qual Life Res: EQ-5D-3L in remission 0.70 (0.67-0.73), scenarios/data/nl_depression_utilities_kolovos2017_excerpt.csv",
                "Kolovos et al. 2017, Qual Life Res: EQ-5D-3L in remission 0.70 (0.67-0.73)",
            ),
            ("Jelovac et al. 2013", "Jelovac et al. 2013"),
        ];
        for (source, expected) in cases {
            assert_eq!(clean(source), expected, "{source}");
        }
        assert_eq!(shown(Some("(seed 002)")), Shown::Nothing);
        assert_eq!(shown(None), Shown::Nothing);
        assert_eq!(
            shown(Some("assumption: two contacts a month (seed 002)")),
            Shown::Assumption("two contacts a month".into())
        );
        assert_eq!(
            shown(Some("Sapin et al. 2004")),
            Shown::Citation("Sapin et al. 2004".into())
        );
    }

    /// Every source and reference of every shipped scenario, as shown, is free of
    /// internal notes and keeps the citations (an author and year where one was written).
    #[test]
    fn shipped_scenarios_show_no_internal_notes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["scenarios", "scenarios/analyses", "scenarios/examples"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 20, "{files:?}");
        let (mut n_sources, mut n_changed) = (0, 0);
        for file in files {
            let model = crate::scenario::load(&file).unwrap();
            let sources = model
                .params
                .iter()
                .map(|p| p.source.clone())
                .chain(model.dirichlet.iter().map(|g| g.source.clone()))
                .flatten()
                .chain(model.meta.references.clone());
            for source in sources {
                n_sources += 1;
                let text = match shown(Some(&source)) {
                    Shown::Citation(t) | Shown::Assumption(t) => t,
                    Shown::Nothing => String::new(),
                };
                n_changed += usize::from(text != source);
                let lower = text.to_lowercase();
                for marker in ["seed 0", "brief", "scenarios/", ".csv", ".md"] {
                    assert!(!lower.contains(marker), "{file:?}: {source} -> {text}");
                }
                assert!(!text.contains("()") && !text.ends_with(','), "{text}");
                if source.contains(" et al. ") && !is_internal(&source) {
                    assert!(text.contains(" et al. "), "{source} -> {text}");
                }
            }
        }
        assert!(n_sources > 200 && n_changed > 10, "{n_sources} {n_changed}");
    }
}
