//! Scenario analyses (`extends:`): an overlay names a complete base scenario (relative to
//! the overlay) and the values it changes. The changes are merged into the base's raw
//! mirror, and the dotted paths they cover are remembered so that diagnostics about those
//! values point into the overlay file rather than the base.

use std::collections::BTreeMap;
use std::path::Path;

use serde_saphyr::Spanned;

use crate::model::Model;
use crate::scenario::diag::LoadError;

use super::input::read_input;
use super::raw::{
    RawMeta, RawMetaOverlay, RawOverlay, RawScenario, RawSettings, RawSettingsOverlay, loc,
};
use super::read::{is_overlay, one_error, parse_raw, yaml_error};
use super::validate::validate;

/// Load a scenario analysis: its base scenario with the overlay's changes applied.
pub(super) fn load_overlay(
    text: &str,
    file: &str,
    name: &str,
    dir: &Path,
) -> Result<Model, LoadError> {
    let over: RawOverlay = serde_saphyr::from_str(text).map_err(|e| yaml_error(file, &e))?;
    let base_path = dir.join(&over.extends.value);
    let base_file = base_path.display().to_string();
    let base_text = read_base(&over.extends, &base_path, &base_file, file)?;
    if is_overlay(&base_text) {
        return Err(one_error(
            file,
            loc(&over.extends),
            "extends",
            format!("`{base_file}` is itself an overlay; expected a complete scenario as the base"),
        ));
    }
    let mut raw = parse_raw(&base_text, &base_file)?;
    let base_dir = base_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let paths = apply(over, &mut raw, dir);
    validate(
        raw,
        &base_file,
        name,
        &base_dir,
        Some((file.to_string(), paths)),
    )
}

/// The base scenario's text; a base that cannot be read (missing, not a regular file, too
/// large) is an error at the overlay's `extends`, invalid UTF-8 an error in the base.
fn read_base(
    extends: &Spanned<String>,
    base_path: &Path,
    base_file: &str,
    file: &str,
) -> Result<String, LoadError> {
    read_input(base_path).map_err(|e| match e.at() {
        Some(at) => one_error(base_file, at, "", e.to_string()),
        None => one_error(
            file,
            loc(extends),
            "extends",
            e.describe(&format!("the base scenario `{base_file}`")),
        ),
    })
}

/// Apply the overlay to the base; returns the dotted paths whose values now come from the
/// overlay. Files named in the overlay are relative to the overlay's directory `dir`.
fn apply(over: RawOverlay, raw: &mut RawScenario, dir: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    if let Some(v) = over.version {
        paths.push("version".into());
        raw.version = v;
    }
    if let Some(m) = over.meta {
        apply_meta(m, &mut raw.meta, &mut paths);
    }
    if let Some(st) = over.settings {
        apply_settings(st.value, &mut raw.settings.value, &mut paths);
    }
    merge_map(
        &mut raw.parameters,
        over.parameters,
        "parameters",
        &mut paths,
    );
    merge_map(&mut raw.dirichlet, over.dirichlet, "dirichlet", &mut paths);
    let mut tables = over.tables;
    for t in tables.values_mut() {
        rebase(dir, &mut t.value.file);
    }
    merge_map(&mut raw.tables, tables, "tables", &mut paths);
    merge_map(&mut raw.variables, over.variables, "variables", &mut paths);
    merge_map(&mut raw.trackers, over.trackers, "trackers", &mut paths);
    if let Some(mut p) = over.population {
        if let Some(t) = &mut p.value.table {
            rebase(dir, &mut t.value.file);
        }
        paths.push("population".into());
        raw.population = Some(p);
    }
    if let Some(c) = over.correlation {
        paths.push("correlation".into());
        raw.correlation = Some(c);
    }
    merge_map(
        &mut raw.voi_groups,
        over.voi_groups,
        "voi_groups",
        &mut paths,
    );
    merge_list(
        &mut raw.states.value,
        over.states,
        "states",
        |s| s.id.value.clone(),
        &mut paths,
    );
    merge_list(
        &mut raw.transitions.value,
        over.transitions,
        "transitions",
        |t| (t.from.value.clone(), t.to.value.clone()),
        &mut paths,
    );
    merge_list(
        &mut raw.strategies.value,
        over.strategies,
        "strategies",
        |s| s.id.value.clone(),
        &mut paths,
    );
    paths
}

/// Make a file named in the overlay relative to the overlay's directory.
fn rebase(dir: &Path, f: &mut Spanned<String>) {
    f.value = dir.join(&f.value).display().to_string();
}

/// Replace each descriptive field the overlay gives; the title and the currency (the only
/// ones checked, for their length) are recorded as paths.
fn apply_meta(m: RawMetaOverlay, meta: &mut RawMeta, paths: &mut Vec<String>) {
    if let Some(x) = m.title {
        paths.push("meta.title".into());
        meta.title = x;
    }
    if let Some(x) = m.description {
        meta.description = x;
    }
    if let Some(x) = m.currency {
        paths.push("meta.currency".into());
        meta.currency = Some(x);
    }
    if let Some(x) = m.price_year {
        meta.price_year = Some(x);
    }
    if let Some(x) = m.references {
        meta.references = x;
    }
}

/// Replace each setting the overlay gives.
fn apply_settings(o: RawSettingsOverlay, b: &mut RawSettings, paths: &mut Vec<String>) {
    macro_rules! take {
        ($field:ident) => {
            if let Some(x) = o.$field {
                paths.push(concat!("settings.", stringify!($field)).to_string());
                b.$field = x;
            }
        };
        (opt $field:ident) => {
            if let Some(x) = o.$field {
                paths.push(concat!("settings.", stringify!($field)).to_string());
                b.$field = Some(x);
            }
        };
    }
    take!(cycle);
    take!(horizon);
    take!(discount);
    take!(opt within_cycle);
    take!(opt transition_timing);
    take!(individuals);
    take!(seed);
    take!(cost_categories);
    take!(perspectives);
    take!(wtp);
    take!(opt reference_strategy);
    take!(opt psa);
    take!(opt price_index);
}

/// Replace entries with the same key and append new ones, keeping the base's order.
fn merge_map<T>(
    base: &mut BTreeMap<String, Spanned<T>>,
    over: BTreeMap<String, Spanned<T>>,
    section: &str,
    paths: &mut Vec<String>,
) {
    for (k, v) in over {
        paths.push(format!("{section}.{k}"));
        base.insert(k, v);
    }
}

/// Replace list items with the same key (a state's id, a transition's from and to, a
/// strategy's id) in place and append new ones.
fn merge_list<T, K: PartialEq>(
    base: &mut Vec<Spanned<T>>,
    over: Vec<Spanned<T>>,
    section: &str,
    key: impl Fn(&T) -> K,
    paths: &mut Vec<String>,
) {
    for item in over {
        let k = key(&item.value);
        match base.iter().position(|x| key(&x.value) == k) {
            Some(i) => {
                paths.push(format!("{section}[{i}]"));
                base[i] = item;
            }
            None => {
                paths.push(format!("{section}[{}]", base.len()));
                base.push(item);
            }
        }
    }
}
