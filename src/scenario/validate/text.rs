//! Bounded text: what the figures and the report draw must be short enough to lay out
//! quickly. Labels and titles (`meta.title`, `meta.currency`, state and strategy labels) are
//! cut to `MAX_LABEL_CHARS` characters, ending in `…`, with a warning naming the field; the
//! model holds only the cut text, so every consumer sees the same. Names (ids of states,
//! strategies, parameters, tables, attributes, variables, cost categories, perspectives)
//! are drawn too and become parts of file names (`two_way_<a>_<b>.png`), but cutting one
//! would change what it refers to: a name longer than `MAX_NAME_CHARS` is an error.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::super::raw::{RawScenario, loc};
use super::Validator;

/// Longest label or title kept, in characters (longer ones are cut, with a warning).
pub const MAX_LABEL_CHARS: usize = 200;

/// Longest name (id) accepted, in characters; two names and a prefix still make a file
/// name well under the usual limit of 255 bytes.
pub const MAX_NAME_CHARS: usize = 64;

impl Validator {
    /// The text of a label or title, cut to `MAX_LABEL_CHARS` characters (the last one `…`)
    /// with a warning at `path` when it is longer.
    pub(super) fn label(&mut self, text: &Spanned<String>, path: &str) -> String {
        let n = text.value.chars().count();
        if n <= MAX_LABEL_CHARS {
            return text.value.clone();
        }
        let mut cut: String = text.value.chars().take(MAX_LABEL_CHARS - 1).collect();
        cut.push('…');
        self.warning(
            loc(text),
            path,
            format!(
                "the text is {n} characters long; cut to its first {} characters and `…` (labels and titles are at most {MAX_LABEL_CHARS} characters)",
                MAX_LABEL_CHARS - 1
            ),
        );
        cut
    }

    /// Every name defined in the scenario is at most `MAX_NAME_CHARS` characters long.
    pub(super) fn name_lengths(&mut self, raw: &RawScenario) {
        for (i, s) in raw.states.value.iter().enumerate() {
            let id = &s.value.id;
            self.name_length(&id.value, loc(id), format!("states[{i}].id"), None);
        }
        for (i, s) in raw.strategies.value.iter().enumerate() {
            let id = &s.value.id;
            self.name_length(&id.value, loc(id), format!("strategies[{i}].id"), None);
        }
        for (i, c) in raw.settings.value.cost_categories.iter().enumerate() {
            let path = format!("settings.cost_categories[{i}]");
            self.name_length(&c.value, loc(c), path, None);
        }
        self.key_lengths(&raw.settings.value.perspectives, "settings.perspectives");
        self.key_lengths(&raw.parameters, "parameters");
        self.key_lengths(&raw.dirichlet, "dirichlet");
        for (group, d) in &raw.dirichlet {
            self.key_lengths(&d.value.alpha, &format!("dirichlet.{group}.alpha"));
        }
        self.key_lengths(&raw.tables, "tables");
        self.key_lengths(&raw.variables, "variables");
        if let Some(p) = &raw.population {
            self.key_lengths(&p.value.attributes, "population.attributes");
        }
    }

    /// The keys of one section are names (each reported at its value).
    fn key_lengths<T>(&mut self, map: &BTreeMap<String, Spanned<T>>, section: &str) {
        for (name, v) in map {
            self.name_length(name, loc(v), format!("{section}.{name}"), Some(section));
        }
    }

    /// An error when `name` is too long. `path` is its dotted path (which says whether it
    /// was read from an overlay); a key's path is shown as its `section` with the name cut.
    fn name_length(&mut self, name: &str, at: (u64, u64), path: String, section: Option<&str>) {
        let n = name.chars().count();
        if n <= MAX_NAME_CHARS {
            return;
        }
        let start: String = name.chars().take(20).collect();
        let at = self.source_at(at, &path);
        let shown = match section {
            Some(section) => format!("{section}.{start}…"),
            None => path,
        };
        self.error_at(
            &at,
            shown,
            format!(
                "the name `{start}…` is {n} characters long; expected at most {MAX_NAME_CHARS}"
            ),
        );
    }
}
