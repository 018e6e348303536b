//! Scenario loading: YAML text → raw serde mirror → validated `Model`.
//!
//! This is the only module that knows about YAML (serde-saphyr, which rejects duplicate
//! keys and alias bombs). Validation collects every problem before reporting, each with
//! file, line, column, dotted path, what was found and what was expected.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diag::{Diagnostic, LoadError, Severity};
use crate::dist::{self, Dist, DistKind, DistSpec};
use crate::expr::{self, Program, Resolver, Symbol};
use crate::model::{
    Attribute, AttributeDist, DirichletGroup, DiscountTiming, EmpiricalPopulation, Meta, Model,
    Param, ParamDef, ParamId, Perspective, Population, Probability, Settings, State, StateId,
    Strategy, StrategyId, TimeUnit, Transition, WithinCycle, var,
};
use crate::params;
use crate::suggest::did_you_mean;
use crate::table::{self, Interpolation, OutOfRange, Table, TableSpec};

/// The scenario format version this build reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest accepted number of individuals (memory does not grow with it, time does).
pub const MAX_INDIVIDUALS: f64 = 1e9;
/// Largest accepted number of cycles.
pub const MAX_CYCLES: f64 = 100_000.0;
/// Largest scenario file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------
// Raw serde mirror
// ---------------------------------------------------------------------------

/// A number or a text (a parameter name or an expression).
#[derive(Clone, Debug)]
pub enum Scalar {
    Num(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a parameter name or an expression")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Num(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A state name or a distribution over states.
#[derive(Clone, Debug)]
enum RawInitial {
    One(String),
    Shares(Vec<(String, f64)>),
}

impl<'de> Deserialize<'de> for RawInitial {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawInitial;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a state id or a mapping from state id to share")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawInitial, E> {
                Ok(RawInitial::One(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawInitial, A::Error> {
                let mut shares = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, f64>()? {
                    shares.push((k, v));
                }
                Ok(RawInitial::Shares(shares))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    version: Spanned<u32>,
    meta: RawMeta,
    settings: Spanned<RawSettings>,
    #[serde(default)]
    parameters: BTreeMap<String, Spanned<RawParam>>,
    #[serde(default)]
    dirichlet: BTreeMap<String, Spanned<RawDirichlet>>,
    #[serde(default)]
    tables: BTreeMap<String, Spanned<RawTable>>,
    #[serde(default)]
    population: Option<Spanned<RawPopulation>>,
    #[serde(default)]
    variables: BTreeMap<String, Spanned<RawVariable>>,
    #[serde(default)]
    correlation: Option<Spanned<RawCorrelation>>,
    states: Spanned<Vec<Spanned<RawState>>>,
    transitions: Spanned<Vec<Spanned<RawTransition>>>,
    strategies: Spanned<Vec<Spanned<RawStrategy>>>,
}

/// Only the `extends` key, to tell an overlay from a complete scenario.
#[derive(Deserialize, Debug)]
struct Probe {
    #[serde(default)]
    extends: Option<Spanned<String>>,
}

/// A scenario analysis: a base scenario and what it changes.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawOverlay {
    extends: Spanned<String>,
    #[serde(default)]
    version: Option<Spanned<u32>>,
    #[serde(default)]
    meta: Option<RawMetaOverlay>,
    #[serde(default)]
    settings: Option<Spanned<RawSettingsOverlay>>,
    #[serde(default)]
    parameters: BTreeMap<String, Spanned<RawParam>>,
    #[serde(default)]
    dirichlet: BTreeMap<String, Spanned<RawDirichlet>>,
    #[serde(default)]
    tables: BTreeMap<String, Spanned<RawTable>>,
    #[serde(default)]
    population: Option<Spanned<RawPopulation>>,
    #[serde(default)]
    variables: BTreeMap<String, Spanned<RawVariable>>,
    #[serde(default)]
    correlation: Option<Spanned<RawCorrelation>>,
    #[serde(default)]
    states: Vec<Spanned<RawState>>,
    #[serde(default)]
    transitions: Vec<Spanned<RawTransition>>,
    #[serde(default)]
    strategies: Vec<Spanned<RawStrategy>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawMetaOverlay {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    price_year: Option<i64>,
    #[serde(default)]
    references: Option<Vec<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawSettingsOverlay {
    #[serde(default)]
    cycle: Option<Spanned<RawDuration>>,
    #[serde(default)]
    horizon: Option<Spanned<RawDuration>>,
    #[serde(default)]
    discount: Option<Spanned<RawDiscount>>,
    #[serde(default)]
    within_cycle: Option<Spanned<String>>,
    #[serde(default)]
    individuals: Option<Spanned<f64>>,
    #[serde(default)]
    seed: Option<Spanned<u64>>,
    #[serde(default)]
    cost_categories: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    perspectives: Option<BTreeMap<String, Spanned<Vec<Spanned<String>>>>>,
    #[serde(default)]
    wtp: Option<Vec<Spanned<f64>>>,
    #[serde(default)]
    reference_strategy: Option<Spanned<String>>,
    #[serde(default)]
    psa: Option<Spanned<RawPsa>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    price_year: Option<i64>,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawDuration {
    length: Spanned<f64>,
    unit: Spanned<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawDiscount {
    costs: Spanned<f64>,
    effects: Spanned<f64>,
    #[serde(default)]
    timing: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    cycle: Spanned<RawDuration>,
    horizon: Spanned<RawDuration>,
    discount: Spanned<RawDiscount>,
    #[serde(default)]
    within_cycle: Option<Spanned<String>>,
    individuals: Spanned<f64>,
    seed: Spanned<u64>,
    cost_categories: Vec<Spanned<String>>,
    perspectives: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    wtp: Vec<Spanned<f64>>,
    #[serde(default)]
    reference_strategy: Option<Spanned<String>>,
    #[serde(default)]
    psa: Option<Spanned<RawPsa>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawPsa {
    #[serde(default)]
    draws: Option<Spanned<f64>>,
    #[serde(default)]
    individuals: Option<Spanned<f64>>,
    #[serde(default)]
    wtp_max: Option<Spanned<f64>>,
    #[serde(default)]
    wtp_steps: Option<Spanned<f64>>,
    #[serde(default)]
    population: Option<Spanned<RawPsaPopulation>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawPsaPopulation {
    per_year: Spanned<f64>,
    years: Spanned<f64>,
    #[serde(default)]
    discount: Option<Spanned<f64>>,
    #[serde(default)]
    #[allow(dead_code, reason = "the evidence for readers of the scenario")]
    source: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawCorrelation {
    parameters: Vec<Spanned<String>>,
    matrix: Vec<Vec<f64>>,
    #[serde(default)]
    #[allow(dead_code, reason = "the evidence for readers of the scenario")]
    source: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawDist {
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    alpha: Option<f64>,
    beta: Option<f64>,
    shape: Option<f64>,
    scale: Option<f64>,
    meanlog: Option<f64>,
    sdlog: Option<f64>,
    mean: Option<f64>,
    sd: Option<f64>,
    se: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    ci95: Option<Vec<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawParam {
    #[serde(default)]
    value: Option<Spanned<f64>>,
    #[serde(default)]
    expr: Option<Spanned<String>>,
    #[serde(default)]
    dist: Option<Spanned<RawDist>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    description: Option<String>,
    #[serde(default)]
    low: Option<Spanned<f64>>,
    #[serde(default)]
    high: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawDirichlet {
    alpha: BTreeMap<String, Spanned<f64>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    description: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawTable {
    file: Spanned<String>,
    value: Spanned<String>,
    #[serde(default)]
    numeric_key: Option<Spanned<String>>,
    #[serde(default)]
    categorical_keys: Vec<String>,
    #[serde(default)]
    lookup: Option<Spanned<String>>,
    #[serde(default)]
    out_of_range: Option<Spanned<String>>,
    #[serde(default)]
    filter: BTreeMap<String, Scalar>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawAttribute {
    #[serde(default)]
    dist: Option<Spanned<RawDist>>,
    #[serde(default)]
    categorical: Option<BTreeMap<String, Spanned<f64>>>,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawPopTable {
    file: Spanned<String>,
    columns: Vec<Spanned<String>>,
    #[serde(default)]
    weight: Option<Spanned<String>>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    #[serde(default)]
    attributes: BTreeMap<String, Spanned<RawAttribute>>,
    #[serde(default)]
    table: Option<Spanned<RawPopTable>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    expr: Spanned<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    description: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawState {
    id: Spanned<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    description: Option<String>,
    #[serde(default)]
    utility: Option<Spanned<Scalar>>,
    #[serde(default)]
    costs: Option<BTreeMap<String, Spanned<Scalar>>>,
    #[serde(default)]
    absorbing: bool,
    #[serde(default)]
    alive: Option<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    from: Spanned<String>,
    to: Spanned<String>,
    probability: Spanned<Scalar>,
    #[serde(default)]
    cost: BTreeMap<String, Spanned<Scalar>>,
    #[serde(default)]
    qaly_loss: Option<Spanned<Scalar>>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    note: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawStrategy {
    id: Spanned<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    description: Option<String>,
    initial: Spanned<RawInitial>,
    #[serde(default)]
    parameters: BTreeMap<String, Spanned<Scalar>>,
    #[serde(default)]
    start_costs: BTreeMap<String, Spanned<Scalar>>,
    #[serde(default)]
    transitions: Vec<Spanned<RawTransition>>,
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/// Load and validate a scenario file; warnings are returned inside the model.
pub fn load(path: &Path) -> Result<Model, LoadError> {
    let file = path.display().to_string();
    let fail = |message: String| LoadError {
        diagnostics: vec![Diagnostic {
            severity: Severity::Error,
            file: file.clone(),
            line: 0,
            column: 0,
            path: String::new(),
            message,
        }],
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(format!(
            "the file is {} bytes; a scenario may be at most {MAX_FILE_BYTES} bytes",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|e| fail(format!("the file is not valid UTF-8: {e}")))?;
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
    if let Ok(Probe { extends: Some(_) }) = serde_saphyr::from_str::<Probe>(text) {
        return load_overlay(text, file, name, dir);
    }
    let raw = parse_raw(text, file)?;
    validate(raw, file, name, dir, None)
}

fn yaml_error(file: &str, e: &serde_saphyr::Error) -> LoadError {
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

fn one_error(file: &str, at: (u64, u64), path: &str, message: String) -> LoadError {
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

fn load_overlay(text: &str, file: &str, name: &str, dir: &Path) -> Result<Model, LoadError> {
    let over: RawOverlay = serde_saphyr::from_str(text).map_err(|e| yaml_error(file, &e))?;
    let base_path = dir.join(&over.extends.value);
    let base_file = base_path.display().to_string();
    let base_text = std::fs::read(&base_path)
        .map_err(|e| {
            one_error(
                file,
                loc(&over.extends),
                "extends",
                format!("cannot read the base scenario `{base_file}`: {e}"),
            )
        })
        .and_then(|b| {
            String::from_utf8(b).map_err(|e| {
                one_error(
                    &base_file,
                    (0, 0),
                    "",
                    format!("the file is not valid UTF-8: {e}"),
                )
            })
        })?;
    if let Ok(Probe { extends: Some(_) }) = serde_saphyr::from_str::<Probe>(&base_text) {
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
    // Files named in the overlay are relative to the overlay.
    let rebase = |f: &mut Spanned<String>| f.value = dir.join(&f.value).display().to_string();
    let mut paths = Vec::new();
    if let Some(v) = over.version {
        paths.push("version".into());
        raw.version = v;
    }
    if let Some(m) = over.meta {
        if let Some(x) = m.title {
            raw.meta.title = x;
        }
        if let Some(x) = m.description {
            raw.meta.description = x;
        }
        if let Some(x) = m.currency {
            raw.meta.currency = x;
        }
        if let Some(x) = m.price_year {
            raw.meta.price_year = Some(x);
        }
        if let Some(x) = m.references {
            raw.meta.references = x;
        }
    }
    if let Some(st) = over.settings {
        let o = st.value;
        let b = &mut raw.settings.value;
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
        take!(individuals);
        take!(seed);
        take!(cost_categories);
        take!(perspectives);
        take!(wtp);
        take!(opt reference_strategy);
        take!(opt psa);
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
        rebase(&mut t.value.file);
    }
    merge_map(&mut raw.tables, tables, "tables", &mut paths);
    merge_map(&mut raw.variables, over.variables, "variables", &mut paths);
    if let Some(mut p) = over.population {
        if let Some(t) = &mut p.value.table {
            rebase(&mut t.value.file);
        }
        paths.push("population".into());
        raw.population = Some(p);
    }
    if let Some(c) = over.correlation {
        paths.push("correlation".into());
        raw.correlation = Some(c);
    }
    for st in over.states {
        let id = st.value.id.value.clone();
        match raw.states.value.iter().position(|x| x.value.id.value == id) {
            Some(i) => {
                paths.push(format!("states[{i}]"));
                raw.states.value[i] = st;
            }
            None => {
                paths.push(format!("states[{}]", raw.states.value.len()));
                raw.states.value.push(st);
            }
        }
    }
    for t in over.transitions {
        let key = (t.value.from.value.clone(), t.value.to.value.clone());
        match raw
            .transitions
            .value
            .iter()
            .position(|x| (x.value.from.value.clone(), x.value.to.value.clone()) == key)
        {
            Some(i) => {
                paths.push(format!("transitions[{i}]"));
                raw.transitions.value[i] = t;
            }
            None => {
                paths.push(format!("transitions[{}]", raw.transitions.value.len()));
                raw.transitions.value.push(t);
            }
        }
    }
    for st in over.strategies {
        let id = st.value.id.value.clone();
        match raw
            .strategies
            .value
            .iter()
            .position(|x| x.value.id.value == id)
        {
            Some(i) => {
                paths.push(format!("strategies[{i}]"));
                raw.strategies.value[i] = st;
            }
            None => {
                paths.push(format!("strategies[{}]", raw.strategies.value.len()));
                raw.strategies.value.push(st);
            }
        }
    }
    validate(
        raw,
        &base_file,
        name,
        &base_dir,
        Some((file.to_string(), paths)),
    )
}

fn parse_raw(text: &str, file: &str) -> Result<RawScenario, LoadError> {
    serde_saphyr::from_str(text).map_err(|e| yaml_error(file, &e))
}

/// Validate a parsed scenario into a model; `overlay` routes diagnostics into an overlay file.
fn validate(
    raw: RawScenario,
    file: &str,
    name: &str,
    dir: &Path,
    overlay: Option<(String, Vec<String>)>,
) -> Result<Model, LoadError> {
    let mut v = Validator {
        file: file.to_string(),
        dir: dir.to_path_buf(),
        inputs: overlay.iter().map(|_| PathBuf::from(file)).collect(),
        diags: Vec::new(),
        overlay,
    };
    let model = v.model(raw, name);
    let errors = v.diags.iter().any(|d| d.severity == Severity::Error);
    match model {
        Some(mut m) if !errors => {
            m.warnings = v.diags.iter().map(|d| d.to_string()).collect();
            Ok(m)
        }
        _ => Err(LoadError {
            diagnostics: v.diags,
        }),
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

fn loc<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

/// Map entries in file order (a BTreeMap sorts by key; the span restores the author's order).
fn in_file_order<T>(map: BTreeMap<String, Spanned<T>>) -> Vec<(String, Spanned<T>)> {
    let mut entries: Vec<_> = map.into_iter().collect();
    entries.sort_by_key(|(_, v)| (v.referenced.line(), v.referenced.column()));
    entries
}

struct Validator {
    file: String,
    dir: PathBuf,
    diags: Vec<Diagnostic>,
    /// For a scenario analysis: the overlay file and the paths whose values come from it;
    /// diagnostics under those paths point into the overlay.
    overlay: Option<(String, Vec<String>)>,
    /// Files read besides the scenario itself.
    inputs: Vec<PathBuf>,
}

/// Names an expression may use, depending on where it is.
struct Names<'a> {
    params: &'a HashMap<String, usize>,
    tables: &'a [Table],
    attributes: &'a [Attribute],
    levels: &'a [String],
    /// Whether individual variables (time, attributes, `variables`) are in scope.
    with_vars: bool,
    /// Names of the individual-level variables, after the attribute slots.
    variables: &'a [String],
    cycle_years: f64,
}

impl Resolver for Names<'_> {
    fn resolve(&self, name: &str) -> Option<Symbol> {
        if let Some(i) = self.params.get(name) {
            return Some(Symbol::Param(*i));
        }
        if let Some(i) = self.tables.iter().position(|t| t.name == name) {
            return Some(Symbol::Table {
                index: i,
                arity: self.tables[i].arity(),
            });
        }
        if name == "cycle_years" {
            return Some(Symbol::Const(self.cycle_years));
        }
        if !self.with_vars {
            return None;
        }
        if let Some(i) = var::BUILTIN.iter().position(|b| *b == name) {
            return Some(Symbol::Var(i));
        }
        if let Some(i) = self.attributes.iter().position(|a| a.name == name) {
            return Some(Symbol::Var(var::FIRST_ATTRIBUTE + i));
        }
        let first = var::FIRST_ATTRIBUTE + self.attributes.len();
        self.variables
            .iter()
            .position(|v| v == name)
            .map(|j| Symbol::Var(first + j))
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.params.keys().cloned().collect();
        names.sort();
        names.extend(self.tables.iter().map(|t| t.name.clone()));
        names.push("cycle_years".into());
        if self.with_vars {
            names.extend(var::BUILTIN.iter().map(|s| s.to_string()));
            names.extend(self.attributes.iter().map(|a| a.name.clone()));
            names.extend(self.variables.iter().cloned());
        }
        names
    }

    fn level(&self, var: usize, level: &str) -> Option<f64> {
        let attr = self
            .attributes
            .get(var.checked_sub(var::FIRST_ATTRIBUTE)?)?;
        match &attr.dist {
            AttributeDist::Categorical { levels, .. } => levels
                .iter()
                .find(|code| self.levels[**code] == level)
                .map(|code| *code as f64),
            AttributeDist::Continuous { .. } => None,
        }
    }

    fn levels(&self, var: usize) -> Vec<String> {
        let Some(attr) = var
            .checked_sub(var::FIRST_ATTRIBUTE)
            .and_then(|i| self.attributes.get(i))
        else {
            return Vec::new();
        };
        match &attr.dist {
            AttributeDist::Categorical { levels, .. } => {
                levels.iter().map(|c| self.levels[*c].clone()).collect()
            }
            AttributeDist::Continuous { .. } => Vec::new(),
        }
    }

    fn cycle_years(&self) -> f64 {
        self.cycle_years
    }
}

impl Validator {
    fn error(&mut self, at: (u64, u64), path: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Error, at, path.into(), message.into());
    }

    fn warning(&mut self, at: (u64, u64), path: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Warning, at, path.into(), message.into());
    }

    fn push(&mut self, severity: Severity, at: (u64, u64), path: String, message: String) {
        let file = match &self.overlay {
            Some((overlay, prefixes))
                if prefixes.iter().any(|p| {
                    path.strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
                }) =>
            {
                overlay.clone()
            }
            _ => self.file.clone(),
        };
        self.diags.push(Diagnostic {
            severity,
            file,
            line: at.0,
            column: at.1,
            path,
            message,
        });
    }

    fn unknown(&mut self, at: (u64, u64), path: &str, what: &str, name: &str, known: &[String]) {
        let hint = did_you_mean(name, known.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_else(|| {
                if known.is_empty() {
                    String::new()
                } else {
                    format!("; expected one of: {}", known.join(", "))
                }
            });
        self.error(at, path, format!("unknown {what} `{name}`{hint}"));
    }

    /// A finite number, or an error naming what was expected.
    fn finite(&mut self, v: &Spanned<f64>, path: &str) -> Option<f64> {
        if v.value.is_finite() {
            Some(v.value)
        } else {
            self.error(
                loc(v),
                path,
                format!("expected a finite number, found {}", v.value),
            );
            None
        }
    }

    fn compile(
        &mut self,
        at: (u64, u64),
        path: &str,
        scalar: &Scalar,
        names: &Names<'_>,
    ) -> Option<Program> {
        match scalar {
            Scalar::Num(x) if x.is_finite() => Some(Program::constant(*x)),
            Scalar::Num(x) => {
                self.error(at, path, format!("expected a finite number, found {x}"));
                None
            }
            Scalar::Text(src) => match expr::compile(src, names) {
                Ok(p) => Some(p),
                Err(e) => {
                    self.error(
                        at,
                        path,
                        format!(
                            "in expression `{src}` at character {}: {}",
                            e.offset + 1,
                            e.message
                        ),
                    );
                    None
                }
            },
        }
    }

    fn model(&mut self, raw: RawScenario, name: &str) -> Option<Model> {
        if raw.version.value != FORMAT_VERSION {
            self.error(
                loc(&raw.version),
                "version",
                format!(
                    "unsupported scenario format version {}; expected {FORMAT_VERSION}",
                    raw.version.value
                ),
            );
        }
        let meta = Meta {
            title: raw.meta.title,
            description: raw.meta.description,
            currency: raw.meta.currency,
            price_year: raw.meta.price_year,
            references: raw.meta.references,
        };

        // Names first, so every later reference can be checked.
        let states_at = loc(&raw.states);
        let raw_states = raw.states.value;
        let raw_transitions = raw.transitions.value;
        let strategies_at = loc(&raw.strategies);
        let raw_strategies = raw.strategies.value;
        self.unique_ids(
            raw_states.iter().map(|s| &s.value.id).collect(),
            ("states", "state", "states"),
            states_at,
        );
        if raw_states.len() > usize::from(u16::MAX) {
            self.error(
                states_at,
                "states",
                format!(
                    "{} states defined; expected at most {}",
                    raw_states.len(),
                    u16::MAX
                ),
            );
        }
        let strategy_names = self.unique_ids(
            raw_strategies.iter().map(|s| &s.value.id).collect(),
            ("strategies", "strategy", "strategies"),
            strategies_at,
        );
        let (categories, perspectives, settings_partial) =
            self.settings(&raw.settings, &strategy_names);

        let cycle_years = settings_partial
            .as_ref()
            .map(|s| s.cycle_years())
            .unwrap_or(1.0);

        // Categorical levels are global codes shared by attributes and tables.
        let mut levels: Vec<String> = Vec::new();
        let mut level_code = |s: &str| -> usize {
            levels.iter().position(|l| l == s).unwrap_or_else(|| {
                levels.push(s.to_string());
                levels.len() - 1
            })
        };

        let tables = self.tables(raw.tables, &mut level_code);
        let population = self.population(raw.population, &mut level_code);

        // Parameters: plain, Dirichlet members, derived.
        let mut params: Vec<Param> = Vec::new();
        let mut param_index: HashMap<String, usize> = HashMap::new();
        let mut param_locs: Vec<(u64, u64)> = Vec::new();
        let raw_params = in_file_order(raw.parameters);
        for (pname, p) in &raw_params {
            let clash = tables.iter().any(|t| t.name == *pname)
                || population.attributes.iter().any(|a| a.name == *pname)
                || var::BUILTIN.contains(&pname.as_str())
                || pname == "cycle_years";
            if !is_identifier(pname) || clash {
                self.error(loc(p), format!("parameters.{pname}"), format!("invalid parameter name `{pname}`; expected letters, digits and underscores, starting with a letter, and not the name of a table, attribute or built-in variable"));
            }
            param_index.insert(pname.clone(), params.len());
            param_locs.push(loc(p));
            params.push(Param {
                name: pname.clone(),
                def: ParamDef::Value {
                    value: f64::NAN,
                    dist: None,
                },
                source: p.value.source.clone(),
                low: None,
                high: None,
                expr: None,
            });
        }
        let mut dirichlet = Vec::new();
        for (gname, g) in in_file_order(raw.dirichlet) {
            let path = format!("dirichlet.{gname}");
            let at = loc(&g);
            if g.value.source.is_none() {
                self.warning(
                    at,
                    &path,
                    "no `source`: its members are listed as assumptions in every output",
                );
            }
            let members = in_file_order(g.value.alpha);
            let mut alpha = Vec::new();
            let mut ids = Vec::new();
            for (mname, a) in &members {
                let mpath = format!("{path}.alpha.{mname}");
                if param_index.contains_key(mname) {
                    self.error(
                        loc(a),
                        &mpath,
                        format!("parameter `{mname}` is defined twice; expected each name once across `parameters` and `dirichlet`"),
                    );
                    continue;
                }
                if !is_identifier(mname) {
                    self.error(loc(a), &mpath, format!("invalid parameter name `{mname}`; expected letters, digits and underscores, starting with a letter"));
                }
                let value = self.finite(a, &mpath).unwrap_or(1.0);
                param_index.insert(mname.clone(), params.len());
                param_locs.push(loc(a));
                ids.push(ParamId(params.len()));
                alpha.push(value);
                params.push(Param {
                    name: mname.clone(),
                    def: ParamDef::Dirichlet {
                        group: dirichlet.len(),
                        value: f64::NAN,
                    },
                    source: g.value.source.clone(),
                    low: None,
                    high: None,
                    expr: None,
                });
            }
            if let Err(e) = dist::check_dirichlet(&alpha) {
                self.error(at, format!("{path}.alpha"), e.to_string());
            } else {
                let total: f64 = alpha.iter().sum();
                for (id, a) in ids.iter().zip(&alpha) {
                    params[id.0].def = ParamDef::Dirichlet {
                        group: dirichlet.len(),
                        value: a / total,
                    };
                }
            }
            dirichlet.push(DirichletGroup {
                name: gname,
                members: ids,
                alpha,
                source: g.value.source,
            });
        }

        let param_names = Names {
            params: &param_index,
            tables: &tables,
            attributes: &population.attributes,
            levels: &levels,
            with_vars: false,
            variables: &[],
            cycle_years,
        };
        for (pname, p) in &raw_params {
            let path = format!("parameters.{pname}");
            let id = param_index[pname];
            let p = &p.value;
            if p.source.is_none() {
                self.warning(
                    param_locs[id],
                    &path,
                    "no `source`: the parameter is listed as an assumption in every output",
                );
            }
            params[id].low = p
                .low
                .as_ref()
                .and_then(|v| self.finite(v, &format!("{path}.low")));
            params[id].high = p
                .high
                .as_ref()
                .and_then(|v| self.finite(v, &format!("{path}.high")));
            if let (Some(lo), Some(hi), Some(at)) =
                (params[id].low, params[id].high, p.low.as_ref())
                && lo > hi
            {
                self.error(
                    loc(at),
                    format!("{path}.low"),
                    format!("`low` ({lo}) is above `high` ({hi}); expected low <= high"),
                );
            }
            match (&p.value, &p.expr) {
                (Some(v), None) => {
                    let value = self.finite(v, &format!("{path}.value")).unwrap_or(0.0);
                    let dist = p
                        .dist
                        .as_ref()
                        .and_then(|d| self.dist(d, Some(value), &format!("{path}.dist")));
                    params[id].def = ParamDef::Value { value, dist };
                }
                (None, Some(e)) => {
                    if let Some(d) = &p.dist {
                        self.error(
                            loc(d),
                            format!("{path}.dist"),
                            "a derived parameter (`expr`) takes its uncertainty from the parameters it uses; remove `dist` or give a `value`",
                        );
                    }
                    if let Some(prog) = self.compile(
                        loc(e),
                        &format!("{path}.expr"),
                        &Scalar::Text(e.value.clone()),
                        &param_names,
                    ) {
                        params[id].def = ParamDef::Derived(prog);
                        params[id].expr = Some(e.value.clone());
                    }
                }
                (Some(v), Some(_)) => self.error(
                    loc(v),
                    &path,
                    "both `value` and `expr` given; expected exactly one",
                ),
                (None, None) => self.error(
                    param_locs[id],
                    &path,
                    "neither `value` nor `expr` given; expected exactly one",
                ),
            }
        }

        // States.
        let all_state_names: Vec<String> = raw_states
            .iter()
            .map(|s| s.value.id.value.clone())
            .collect();
        let state_index: HashMap<String, usize> = all_state_names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .rev()
            .collect();
        // Individual-level variables: names first (they may use each other), then programs.
        let raw_variables = in_file_order(raw.variables);
        let variable_names: Vec<String> = raw_variables.iter().map(|(n, _)| n.clone()).collect();
        for (vname, v) in &raw_variables {
            let path = format!("variables.{vname}");
            let clash = param_index.contains_key(vname)
                || tables.iter().any(|t| t.name == *vname)
                || population.attributes.iter().any(|a| a.name == *vname)
                || var::BUILTIN.contains(&vname.as_str())
                || vname == "cycle_years";
            if !is_identifier(vname) || clash {
                self.error(loc(v), &path, format!("invalid variable name `{vname}`; expected an identifier not used by a parameter, table, attribute or built-in variable"));
            }
        }
        if raw_variables.len() > crate::model::MAX_VARIABLES {
            self.error(
                (0, 0),
                "variables",
                format!(
                    "{} variables defined; expected at most {}",
                    raw_variables.len(),
                    crate::model::MAX_VARIABLES
                ),
            );
        }
        let var_names = Names {
            with_vars: true,
            variables: &variable_names,
            ..param_names
        };
        let first_variable = var::FIRST_ATTRIBUTE + population.attributes.len();
        let mut variables = Vec::new();
        for (vname, v) in &raw_variables {
            let rv = &v.value;
            let program = self
                .compile(
                    loc(&rv.expr),
                    &format!("variables.{vname}.expr"),
                    &Scalar::Text(rv.expr.value.clone()),
                    &var_names,
                )
                .unwrap_or_else(|| Program::constant(f64::NAN));
            variables.push(crate::model::Variable {
                name: vname.clone(),
                program,
                source: rv.source.clone(),
            });
        }
        self.variable_cycles(&variables, first_variable, &raw_variables);
        let mut states = Vec::new();
        let mut state_has_payoff = Vec::new();
        for (i, s) in raw_states.iter().enumerate() {
            let path = format!("states[{i}]");
            let rs = &s.value;
            let mut costs = vec![None; categories.len()];
            if let Some(cmap) = &rs.costs {
                for (cat, c) in cmap {
                    let cpath = format!("{path}.costs.{cat}");
                    match categories.iter().position(|k| k == cat) {
                        Some(k) => costs[k] = self.compile(loc(c), &cpath, &c.value, &var_names),
                        None => self.unknown(loc(c), &cpath, "cost category", cat, &categories),
                    }
                }
            }
            let utility = rs
                .utility
                .as_ref()
                .and_then(|u| {
                    self.compile(loc(u), &format!("{path}.utility"), &u.value, &var_names)
                })
                .unwrap_or_else(|| Program::constant(0.0));
            state_has_payoff.push((rs.utility.is_some(), rs.costs.is_some()));
            states.push(State {
                name: rs.id.value.clone(),
                label: rs.label.clone().unwrap_or_else(|| rs.id.value.clone()),
                costs,
                utility,
                absorbing: rs.absorbing,
                alive: rs.alive.unwrap_or(true),
            });
        }

        // Base transitions, then strategies with their overrides.
        let base_rows = self.transitions(
            &raw_transitions,
            "transitions",
            &state_index,
            &all_state_names,
            &categories,
            &var_names,
        );

        let mut strategies = Vec::new();
        for (si, s) in raw_strategies.iter().enumerate() {
            let path = format!("strategies[{si}]");
            let rs = &s.value;
            let initial = self.initial(
                &rs.initial,
                &format!("{path}.initial"),
                &state_index,
                &all_state_names,
            );
            // Parameter overrides.
            let mut defs: Vec<ParamDef> = params.iter().map(|p| p.def.clone()).collect();
            let mut overridden = vec![false; params.len()];
            let known_params: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
            for (pname, o) in in_file_order(rs.parameters.clone()) {
                let ppath = format!("{path}.parameters.{pname}");
                let Some(&id) = param_index.get(&pname) else {
                    self.unknown(loc(&o), &ppath, "parameter", &pname, &known_params);
                    continue;
                };
                overridden[id] = true;
                defs[id] = match &o.value {
                    Scalar::Num(x) if x.is_finite() => ParamDef::Value {
                        value: *x,
                        dist: None,
                    },
                    other => match self.compile(loc(&o), &ppath, other, &param_names) {
                        Some(p) => ParamDef::Derived(p),
                        None => continue,
                    },
                };
            }
            let start_costs = self.cost_list(
                &rs.start_costs,
                &format!("{path}.start_costs"),
                &categories,
                &param_names,
            );
            let mut rows = base_rows.clone();
            let overrides = self.transitions(
                &rs.transitions,
                &format!("{path}.transitions"),
                &state_index,
                &all_state_names,
                &categories,
                &var_names,
            );
            for (from, row) in overrides.into_iter().enumerate() {
                for t in row {
                    match rows[from].iter_mut().find(|b| b.to == t.to) {
                        Some(b) => *b = t,
                        None => rows[from].push(t),
                    }
                }
            }
            let param_order = self.param_order(&defs, &params, &path, loc(s));
            strategies.push((
                Strategy {
                    name: rs.id.value.clone(),
                    label: rs.label.clone().unwrap_or_else(|| rs.id.value.clone()),
                    initial,
                    params: defs,
                    overridden,
                    param_order,
                    start_costs,
                    rows,
                },
                loc(s),
            ));
        }

        // Row rules that hold whatever the parameter values.
        for (si, (strategy, at)) in strategies.iter().enumerate() {
            for (from, row) in strategy.rows.iter().enumerate() {
                let complements = row
                    .iter()
                    .filter(|t| matches!(t.probability, Probability::Complement))
                    .count();
                let sname = &strategy.name;
                let fname = &states[from].name;
                if complements > 1 {
                    let origins: Vec<&str> = row
                        .iter()
                        .filter(|t| matches!(t.probability, Probability::Complement))
                        .map(|t| t.origin.as_str())
                        .collect();
                    self.error(
                        *at,
                        format!("strategies[{si}]"),
                        format!(
                            "strategy `{sname}`: the row from `{fname}` has {complements} `complement` probabilities ({}); expected at most one per row",
                            origins.join(", ")
                        ),
                    );
                }
                if states[from].absorbing && !row.is_empty() {
                    self.error(
                        *at,
                        format!("strategies[{si}]"),
                        format!(
                            "strategy `{sname}`: state `{fname}` is absorbing but has transitions out of it ({}); remove them or set `absorbing: false`",
                            row[0].origin
                        ),
                    );
                }
            }
        }

        // Reachability: every state reachable from a starting state needs a cost and a utility.
        let mut reachable = vec![false; states.len()];
        for (strategy, _) in &strategies {
            // Each strategy has its own rows, so each gets its own search.
            let mut seen = vec![false; states.len()];
            let mut stack: Vec<usize> = strategy.initial.iter().map(|(s, _)| s.0).collect();
            while let Some(s) = stack.pop() {
                if std::mem::replace(&mut seen[s], true) {
                    continue;
                }
                stack.extend(strategy.rows[s].iter().map(|t| t.to.0));
            }
            for (r, s) in reachable.iter_mut().zip(seen) {
                *r |= s;
            }
        }
        for (i, s) in raw_states.iter().enumerate() {
            let (has_utility, has_costs) = state_has_payoff[i];
            let path = format!("states[{i}]");
            let sname = &s.value.id.value;
            if reachable[i] {
                if !has_utility {
                    self.error(loc(s), &path, format!("state `{sname}` is reachable but has no `utility`; expected a number, a parameter or an expression (use 0 for death)"));
                }
                if !has_costs {
                    self.error(loc(s), &path, format!("state `{sname}` is reachable but has no `costs`; expected a mapping of cost category to cost per cycle (use `costs: {{}}` for none)"));
                }
                if !states[i].absorbing && strategies.iter().any(|(st, _)| st.rows[i].is_empty()) {
                    self.error(loc(s), &path, format!("state `{sname}` is not absorbing but has no transitions out of it; add transitions (use `complement` for staying) or set `absorbing: true`"));
                }
            } else if !strategies.is_empty() {
                self.warning(
                    loc(s),
                    &path,
                    format!(
                        "state `{sname}` cannot be reached from any strategy's starting states"
                    ),
                );
            }
        }

        let settings = settings_partial?;
        let mut model = Model {
            name: name.to_string(),
            meta,
            settings,
            params,
            dirichlet,
            tables,
            population,
            levels,
            variables,
            correlation: None,
            cost_categories: categories,
            perspectives,
            states,
            strategies: Vec::new(),
            warnings: Vec::new(),
            inputs: std::mem::take(&mut self.inputs),
        };
        let mut strategy_locs = Vec::new();
        for (s, at) in strategies {
            strategy_locs.push(at);
            model.strategies.push(s);
        }
        if let Some(c) = &raw.correlation {
            model.correlation = self.correlation(c, &model);
        }
        if self.diags.iter().any(|d| d.severity == Severity::Error) {
            return None;
        }
        // Numbers at the point values: probabilities in [0, 1], rows that sum to one.
        let base = params::point_values(&model);
        let mut reported = std::collections::HashSet::new();
        for (si, strategy) in model.strategies.iter().enumerate() {
            let values = params::evaluate(&model, strategy, &base);
            for (pi, v) in values.iter().enumerate() {
                if !v.is_finite() {
                    let p = &model.params[pi];
                    self.error(
                        strategy_locs[si],
                        format!("strategies[{si}]"),
                        format!(
                            "strategy `{}`: parameter `{}` evaluates to {v}; expected a finite number",
                            strategy.name, p.name
                        ),
                    );
                }
            }
            for problem in params::check_rows(&model, strategy, &values) {
                // A row shared by strategies that do not override it is reported once.
                if reported.insert((problem.at, problem.message.clone())) {
                    let message = format!("strategy `{}`: {}", strategy.name, problem.message);
                    self.error(problem.at, format!("strategies[{si}]"), message);
                }
            }
        }
        Some(model)
    }

    /// Check ids for form and uniqueness; `names` is (section, singular, plural).
    fn unique_ids(
        &mut self,
        ids: Vec<&Spanned<String>>,
        (section, what, plural): (&str, &str, &str),
        at: (u64, u64),
    ) -> Vec<String> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut names = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let n = id.value.as_str();
            if !is_identifier(n) {
                self.error(loc(id), format!("{section}[{i}].id"), format!("invalid {what} id `{n}`; expected letters, digits and underscores, starting with a letter"));
            }
            if let Some(first) = seen.insert(n, i) {
                self.error(
                    loc(id),
                    format!("{section}[{i}].id"),
                    format!("duplicate {what} id `{n}` (first defined at {section}[{first}])"),
                );
            }
            names.push(n.to_string());
        }
        if ids.is_empty() {
            self.error(
                at,
                section,
                format!("no {plural} defined; expected at least one"),
            );
        }
        names
    }

    fn settings(
        &mut self,
        s: &Spanned<RawSettings>,
        strategy_names: &[String],
    ) -> (Vec<String>, Vec<Perspective>, Option<Settings>) {
        let rs = &s.value;
        let mut ok = true;
        let unit =
            |v: &mut Self, d: &Spanned<RawDuration>, path: &str| -> Option<(f64, TimeUnit)> {
                let length = v.finite(&d.value.length, &format!("{path}.length"))?;
                if length <= 0.0 {
                    v.error(
                        loc(&d.value.length),
                        format!("{path}.length"),
                        format!("expected a positive length, found {length}"),
                    );
                    return None;
                }
                let u = match d.value.unit.value.as_str() {
                    "days" | "day" => TimeUnit::Days,
                    "weeks" | "week" => TimeUnit::Weeks,
                    "months" | "month" => TimeUnit::Months,
                    "years" | "year" => TimeUnit::Years,
                    other => {
                        let known: Vec<String> = ["days", "weeks", "months", "years"]
                            .iter()
                            .map(|s| s.to_string())
                            .collect();
                        v.unknown(
                            loc(&d.value.unit),
                            &format!("{path}.unit"),
                            "time unit",
                            other,
                            &known,
                        );
                        return None;
                    }
                };
                Some((length, u))
            };
        let cycle = unit(self, &rs.cycle, "settings.cycle");
        let horizon = unit(self, &rs.horizon, "settings.horizon");
        let mut n_cycles = 0usize;
        if let (Some((cl, cu)), Some((hl, hu))) = (cycle, horizon) {
            let ratio = hl * hu.years() / (cl * cu.years());
            let rounded = ratio.round();
            if (ratio - rounded).abs() > 1e-6 * ratio.max(1.0) || rounded < 1.0 {
                self.error(loc(&rs.horizon), "settings.horizon", format!("the horizon ({hl} {}) is {ratio:.4} cycles of {cl} {}; expected a whole number of cycles, at least one", hu.as_str(), cu.as_str()));
                ok = false;
            } else if rounded > MAX_CYCLES {
                self.error(loc(&rs.horizon), "settings.horizon", format!("the horizon is {rounded} cycles; expected at most {MAX_CYCLES} (use a longer cycle)"));
                ok = false;
            } else {
                n_cycles = rounded as usize;
            }
        } else {
            ok = false;
        }
        let d = &rs.discount.value;
        let mut rate = |v: &mut Self, x: &Spanned<f64>, path: &str| -> f64 {
            match v.finite(x, path) {
                Some(r) if (0.0..1.0).contains(&r) => r,
                Some(r) => {
                    v.error(
                        loc(x),
                        path,
                        format!(
                            "expected an annual discount rate in [0, 1) such as 0.03, found {r}"
                        ),
                    );
                    ok = false;
                    0.0
                }
                None => {
                    ok = false;
                    0.0
                }
            }
        };
        let rc = rate(self, &d.costs, "settings.discount.costs");
        let re = rate(self, &d.effects, "settings.discount.effects");
        let timing = match d.timing.as_ref().map(|t| t.value.as_str()) {
            None | Some("start") => DiscountTiming::Start,
            Some("middle") => DiscountTiming::Middle,
            Some(other) => {
                let t = d.timing.as_ref().map(loc).unwrap_or((0, 0));
                self.unknown(
                    t,
                    "settings.discount.timing",
                    "discount timing",
                    other,
                    &["start".into(), "middle".into()],
                );
                ok = false;
                DiscountTiming::Start
            }
        };
        let within = match rs.within_cycle.as_ref().map(|t| t.value.as_str()) {
            None | Some("none") => WithinCycle::None,
            Some("half-cycle") => WithinCycle::HalfCycle,
            Some("trapezoid") => WithinCycle::Trapezoid,
            Some("simpson") => WithinCycle::Simpson,
            Some(other) => {
                let t = rs.within_cycle.as_ref().map(loc).unwrap_or((0, 0));
                let known: Vec<String> = ["none", "half-cycle", "trapezoid", "simpson"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                self.unknown(
                    t,
                    "settings.within_cycle",
                    "within-cycle correction",
                    other,
                    &known,
                );
                ok = false;
                WithinCycle::None
            }
        };
        let n_individuals = match self.finite(&rs.individuals, "settings.individuals") {
            Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= MAX_INDIVIDUALS => n as usize,
            Some(n) => {
                self.error(loc(&rs.individuals), "settings.individuals", format!("expected a whole number of individuals from 1 to {MAX_INDIVIDUALS:e}, found {n}"));
                ok = false;
                0
            }
            None => {
                ok = false;
                0
            }
        };
        let mut categories = Vec::new();
        for (i, c) in rs.cost_categories.iter().enumerate() {
            if !is_identifier(&c.value) {
                self.error(
                    loc(c),
                    format!("settings.cost_categories[{i}]"),
                    format!(
                        "invalid cost category `{}`; expected letters, digits and underscores",
                        c.value
                    ),
                );
            }
            if categories.contains(&c.value) {
                self.error(
                    loc(c),
                    format!("settings.cost_categories[{i}]"),
                    format!("duplicate cost category `{}`", c.value),
                );
            }
            categories.push(c.value.clone());
        }
        let mut perspectives = Vec::new();
        for (pname, list) in in_file_order(rs.perspectives.clone()) {
            if !is_identifier(&pname) {
                self.error(loc(&list), format!("settings.perspectives.{pname}"), format!("invalid perspective name `{pname}`; expected letters, digits and underscores, starting with a letter"));
            }
            let mut includes = vec![false; categories.len()];
            for (i, c) in list.value.iter().enumerate() {
                match categories.iter().position(|k| *k == c.value) {
                    Some(k) => includes[k] = true,
                    None => self.unknown(
                        loc(c),
                        &format!("settings.perspectives.{pname}[{i}]"),
                        "cost category",
                        &c.value,
                        &categories,
                    ),
                }
            }
            perspectives.push(Perspective {
                name: pname,
                includes,
            });
        }
        if perspectives.is_empty() {
            self.error(
                loc(s),
                "settings.perspectives",
                "no perspective defined; expected at least one, e.g. `societal: [all categories]`",
            );
            ok = false;
        }
        let mut wtp = Vec::new();
        for (i, w) in rs.wtp.iter().enumerate() {
            match self.finite(w, &format!("settings.wtp[{i}]")) {
                Some(x) if x >= 0.0 => wtp.push(x),
                Some(x) => self.error(
                    loc(w),
                    format!("settings.wtp[{i}]"),
                    format!("expected a non-negative willingness to pay per QALY, found {x}"),
                ),
                None => {}
            }
        }
        let reference = match &rs.reference_strategy {
            None => 0,
            Some(r) => match strategy_names.iter().position(|n| *n == r.value) {
                Some(i) => i,
                None => {
                    self.unknown(
                        loc(r),
                        "settings.reference_strategy",
                        "strategy",
                        &r.value,
                        strategy_names,
                    );
                    ok = false;
                    0
                }
            },
        };
        let (cycle_length, cycle_unit) = cycle.unwrap_or((1.0, TimeUnit::Years));
        let settings = Settings {
            cycle_length,
            cycle_unit,
            n_cycles,
            discount_rate_costs_annual: rc,
            discount_rate_effects_annual: re,
            discount_timing: timing,
            within_cycle: within,
            n_individuals,
            seed: rs.seed.value,
            wtp_per_qaly: wtp,
            reference_strategy: StrategyId(reference),
            psa: self.psa(rs.psa.as_ref(), n_individuals, &mut ok),
        };
        (categories, perspectives, ok.then_some(settings))
    }

    fn dist(&mut self, d: &Spanned<RawDist>, value: Option<f64>, path: &str) -> Option<Dist> {
        let rd = &d.value;
        let at = loc(d);
        let kinds = ["fixed", "beta", "gamma", "lognormal", "normal", "uniform"];
        let Some(kind_name) = rd.kind.as_ref() else {
            self.error(
                at,
                path,
                format!("no `type`; expected one of: {}", kinds.join(", ")),
            );
            return None;
        };
        let kind = match kind_name.value.as_str() {
            "fixed" => DistKind::Fixed,
            "beta" => DistKind::Beta,
            "gamma" => DistKind::Gamma,
            "lognormal" => DistKind::LogNormal,
            "normal" => DistKind::Normal,
            "uniform" => DistKind::Uniform,
            other => {
                let known: Vec<String> = kinds.iter().map(|s| s.to_string()).collect();
                self.unknown(
                    loc(kind_name),
                    &format!("{path}.type"),
                    "distribution",
                    other,
                    &known,
                );
                return None;
            }
        };
        // Which keys were given, and which each form of this kind accepts.
        let given: Vec<&str> = [
            ("alpha", rd.alpha.is_some()),
            ("beta", rd.beta.is_some()),
            ("shape", rd.shape.is_some()),
            ("scale", rd.scale.is_some()),
            ("meanlog", rd.meanlog.is_some()),
            ("sdlog", rd.sdlog.is_some()),
            ("mean", rd.mean.is_some()),
            ("sd", rd.sd.is_some()),
            ("se", rd.se.is_some()),
            ("min", rd.min.is_some()),
            ("max", rd.max.is_some()),
            ("ci95", rd.ci95.is_some()),
        ]
        .iter()
        .filter(|(_, g)| *g)
        .map(|(k, _)| *k)
        .collect();
        let natural_keys: &[&str] = match kind {
            DistKind::Fixed => &["mean"],
            DistKind::Beta => &["alpha", "beta"],
            DistKind::Gamma => &["shape", "scale"],
            DistKind::LogNormal => &["meanlog", "sdlog"],
            DistKind::Normal => &["mean", "sd"],
            DistKind::Uniform => &["min", "max"],
        };
        let form_keys: &[&str] = if rd.ci95.is_some() {
            &["ci95", "mean"]
        } else if rd.se.is_some() {
            &["se", "mean"]
        } else {
            natural_keys
        };
        let stray: Vec<&str> = given
            .iter()
            .copied()
            .filter(|k| !form_keys.contains(k))
            .collect();
        if !stray.is_empty() {
            self.error(
                at,
                path,
                format!(
                    "{} {} not apply to this {} distribution given by {}; expected only {}",
                    stray
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if stray.len() == 1 { "does" } else { "do" },
                    kind_name.value,
                    if rd.ci95.is_some() {
                        "`ci95`"
                    } else if rd.se.is_some() {
                        "`se`"
                    } else {
                        "its natural parameters"
                    },
                    form_keys
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return None;
        }
        if value.is_none()
            && rd.mean.is_none()
            && matches!(kind, DistKind::Fixed | DistKind::Normal)
            && rd.ci95.is_none()
        {
            self.error(at, path, format!("a {} distribution here needs `mean` (there is no parameter value to default to)", kind_name.value));
            return None;
        }
        let natural = match kind {
            DistKind::Fixed => Some(Dist::Fixed(rd.mean.or(value).unwrap_or(0.0))),
            DistKind::Beta => rd
                .alpha
                .zip(rd.beta)
                .map(|(alpha, beta)| Dist::Beta { alpha, beta }),
            DistKind::Gamma => rd
                .shape
                .zip(rd.scale)
                .map(|(shape, scale)| Dist::Gamma { shape, scale }),
            DistKind::LogNormal => rd
                .meanlog
                .zip(rd.sdlog)
                .map(|(meanlog, sdlog)| Dist::LogNormal { meanlog, sdlog }),
            DistKind::Normal => rd.sd.map(|sd| Dist::Normal {
                mean: rd.mean.or(value).unwrap_or(0.0),
                sd,
            }),
            DistKind::Uniform => rd
                .min
                .zip(rd.max)
                .map(|(min, max)| Dist::Uniform { min, max }),
        };
        let spec = if let Some(ci) = &rd.ci95 {
            if ci.len() != 2 {
                self.error(
                    at,
                    format!("{path}.ci95"),
                    format!("expected two numbers [low, high], found {}", ci.len()),
                );
                return None;
            }
            if let Some(v) = value
                && ci[0] < ci[1]
                && !(ci[0]..=ci[1]).contains(&v)
            {
                self.error(
                    at,
                    format!("{path}.ci95"),
                    format!("the parameter value {v} is outside its 95% interval [{}, {}]; expected the point estimate inside its interval", ci[0], ci[1]),
                );
                return None;
            }
            DistSpec::Ci95 {
                kind,
                low: ci[0],
                high: ci[1],
                mean: rd.mean,
            }
        } else if let Some(se) = rd.se {
            let Some(mean) = rd.mean.or(value) else {
                self.error(at, path, "`se` given without `mean` or a parameter `value`");
                return None;
            };
            DistSpec::MeanSe { kind, mean, se }
        } else if let Some(n) = natural {
            DistSpec::Natural(n)
        } else {
            let expected = match kind {
                DistKind::Fixed => "nothing else",
                DistKind::Beta => {
                    "`alpha` and `beta`, or `se` (with `mean` or the value), or `ci95`"
                }
                DistKind::Gamma => "`shape` and `scale`, or `se`, or `ci95`",
                DistKind::LogNormal => "`meanlog` and `sdlog`, or `se`, or `ci95`",
                DistKind::Normal => "`sd`, or `se`, or `ci95`",
                DistKind::Uniform => "`min` and `max`, or `ci95`",
            };
            self.error(
                at,
                path,
                format!(
                    "incomplete {} distribution; expected {expected}",
                    kind_name.value
                ),
            );
            return None;
        };
        match dist::fit(&spec) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(at, path, e.to_string());
                None
            }
        }
    }

    fn tables(
        &mut self,
        raw: BTreeMap<String, Spanned<RawTable>>,
        level_code: &mut dyn FnMut(&str) -> usize,
    ) -> Vec<Table> {
        let mut tables = Vec::new();
        for (tname, t) in in_file_order(raw) {
            let path = format!("tables.{tname}");
            let rt = &t.value;
            let interpolation = match rt.lookup.as_ref().map(|l| l.value.as_str()) {
                None | Some("step") => Interpolation::Step,
                Some("linear") => Interpolation::Linear,
                Some(other) => {
                    let at = rt.lookup.as_ref().map(loc).unwrap_or((0, 0));
                    self.unknown(
                        at,
                        &format!("{path}.lookup"),
                        "lookup rule",
                        other,
                        &["step".into(), "linear".into()],
                    );
                    continue;
                }
            };
            let out_of_range = match rt.out_of_range.as_ref().map(|l| l.value.as_str()) {
                None | Some("clamp") => OutOfRange::Clamp,
                Some("error") => OutOfRange::Error,
                Some(other) => {
                    let at = rt.out_of_range.as_ref().map(loc).unwrap_or((0, 0));
                    self.unknown(
                        at,
                        &format!("{path}.out_of_range"),
                        "out-of-range rule",
                        other,
                        &["clamp".into(), "error".into()],
                    );
                    continue;
                }
            };
            let file = self.dir.join(&rt.file.value);
            self.inputs.push(file.clone());
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    self.error(
                        loc(&rt.file),
                        format!("{path}.file"),
                        format!("cannot read table file `{}`: {e}", file.display()),
                    );
                    continue;
                }
            };
            let filters: Vec<(String, String)> = rt
                .filter
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Scalar::Num(x) => format!("{x}"),
                        Scalar::Text(s) => s.clone(),
                    };
                    (k.clone(), v)
                })
                .collect();
            let spec = TableSpec {
                name: &tname,
                numeric_key: rt.numeric_key.as_ref().map(|k| k.value.as_str()),
                categorical_keys: &rt.categorical_keys,
                value: &rt.value.value,
                interpolation,
                out_of_range,
                filters: &filters,
            };
            match table::parse(&text, &spec, level_code) {
                Ok(mut table) => {
                    if rt.source.is_none() {
                        self.warning(
                            loc(&t),
                            &path,
                            "no `source`: say where the table's numbers come from",
                        );
                    }
                    table.source = rt.source.clone();
                    tables.push(table)
                }
                Err(e) => {
                    // The problem is inside the CSV: point there, and name the scenario field.
                    self.diags.push(Diagnostic {
                        severity: Severity::Error,
                        file: file.display().to_string(),
                        line: e.line as u64,
                        column: 1,
                        path: format!("{path} (in {})", self.file),
                        message: e.message,
                    });
                }
            }
        }
        tables
    }

    fn population(
        &mut self,
        raw: Option<Spanned<RawPopulation>>,
        level_code: &mut dyn FnMut(&str) -> usize,
    ) -> Population {
        let mut pop = Population::default();
        let Some(raw) = raw else { return pop };
        for (aname, a) in in_file_order(raw.value.attributes) {
            let path = format!("population.attributes.{aname}");
            if !is_identifier(&aname) || var::BUILTIN.contains(&aname.as_str()) {
                self.error(
                    loc(&a),
                    &path,
                    format!(
                        "invalid attribute name `{aname}`; expected an identifier other than {}",
                        var::BUILTIN.join(", ")
                    ),
                );
                continue;
            }
            let ra = &a.value;
            let dist = match (&ra.dist, &ra.categorical) {
                (Some(d), None) => {
                    let Some(dist) = self.dist(d, None, &format!("{path}.dist")) else {
                        continue;
                    };
                    let (lo, hi) = dist.support();
                    let min = ra.min.unwrap_or(lo);
                    let max = ra.max.unwrap_or(hi);
                    if min.is_nan() || max.is_nan() || min > max {
                        self.error(
                            loc(&a),
                            &path,
                            format!("expected min <= max, found min {min} and max {max}"),
                        );
                        continue;
                    }
                    AttributeDist::Continuous { dist, min, max }
                }
                (None, Some(levels)) => {
                    let mut codes = Vec::new();
                    let mut probs = Vec::new();
                    for (level, p) in in_file_order(levels.clone()) {
                        let Some(x) = self.finite(&p, &format!("{path}.categorical.{level}"))
                        else {
                            continue;
                        };
                        if !(0.0..=1.0).contains(&x) {
                            self.error(
                                loc(&p),
                                format!("{path}.categorical.{level}"),
                                format!("expected a probability in [0, 1], found {x}"),
                            );
                        }
                        codes.push(level_code(&level));
                        probs.push(x);
                    }
                    let total: f64 = probs.iter().sum();
                    if (total - 1.0).abs() > 1e-9 {
                        self.error(
                            loc(&a),
                            format!("{path}.categorical"),
                            format!("the level probabilities sum to {total}; expected 1"),
                        );
                    }
                    AttributeDist::Categorical {
                        levels: codes,
                        probs,
                    }
                }
                _ => {
                    self.error(
                        loc(&a),
                        &path,
                        "expected exactly one of `dist` or `categorical`",
                    );
                    continue;
                }
            };
            if aname == "age" {
                pop.age = Some(pop.attributes.len());
            }
            pop.attributes.push(Attribute {
                name: aname,
                dist,
                source: ra.source.clone(),
            });
        }
        if let Some(t) = raw.value.table {
            let path = "population.table";
            let rt = &t.value;
            let file = self.dir.join(&rt.file.value);
            self.inputs.push(file.clone());
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    self.error(
                        loc(&rt.file),
                        format!("{path}.file"),
                        format!("cannot read population file `{}`: {e}", file.display()),
                    );
                    return pop;
                }
            };
            match empirical(&text, rt, &mut pop, level_code) {
                Ok(e) => pop.empirical = Some(e),
                Err(e) => self.diags.push(Diagnostic {
                    severity: Severity::Error,
                    file: file.display().to_string(),
                    line: e.line as u64,
                    column: 1,
                    path: format!("{path} (in {})", self.file),
                    message: e.message,
                }),
            }
        }
        pop
    }

    fn initial(
        &mut self,
        raw: &Spanned<RawInitial>,
        path: &str,
        index: &HashMap<String, usize>,
        names: &[String],
    ) -> Vec<(StateId, f64)> {
        let shares = match &raw.value {
            RawInitial::One(s) => vec![(s.clone(), 1.0)],
            RawInitial::Shares(v) => v.clone(),
        };
        let mut out = Vec::new();
        for (s, p) in shares {
            match index.get(&s) {
                Some(i) if p.is_finite() && (0.0..=1.0).contains(&p) => out.push((StateId(*i), p)),
                Some(_) => self.error(
                    loc(raw),
                    format!("{path}.{s}"),
                    format!("expected a share in [0, 1], found {p}"),
                ),
                None => self.unknown(loc(raw), path, "state", &s, names),
            }
        }
        let total: f64 = out.iter().map(|x| x.1).sum();
        if !out.is_empty() && (total - 1.0).abs() > 1e-9 {
            self.error(
                loc(raw),
                path,
                format!("the starting shares sum to {total}; expected 1"),
            );
        }
        out
    }

    fn cost_list(
        &mut self,
        raw: &BTreeMap<String, Spanned<Scalar>>,
        path: &str,
        categories: &[String],
        names: &Names<'_>,
    ) -> Vec<(usize, Program)> {
        let mut out = Vec::new();
        for (cat, c) in raw {
            let cpath = format!("{path}.{cat}");
            match categories.iter().position(|k| k == cat) {
                Some(k) => {
                    if let Some(p) = self.compile(loc(c), &cpath, &c.value, names) {
                        out.push((k, p));
                    }
                }
                None => self.unknown(loc(c), &cpath, "cost category", cat, categories),
            }
        }
        out
    }

    fn transitions(
        &mut self,
        raw: &[Spanned<RawTransition>],
        section: &str,
        index: &HashMap<String, usize>,
        names: &[String],
        categories: &[String],
        resolver: &Names<'_>,
    ) -> Vec<Vec<Transition>> {
        let mut rows: Vec<Vec<Transition>> = vec![Vec::new(); names.len()];
        for (i, t) in raw.iter().enumerate() {
            let path = format!("{section}[{i}]");
            let rt = &t.value;
            let from = index.get(&rt.from.value).copied();
            if from.is_none() {
                self.unknown(
                    loc(&rt.from),
                    &format!("{path}.from"),
                    "state",
                    &rt.from.value,
                    names,
                );
            }
            let to = index.get(&rt.to.value).copied();
            if to.is_none() {
                self.unknown(
                    loc(&rt.to),
                    &format!("{path}.to"),
                    "state",
                    &rt.to.value,
                    names,
                );
            }
            let probability = match &rt.probability.value {
                Scalar::Text(s) if s.trim() == "complement" => Some(Probability::Complement),
                Scalar::Num(x) if !(0.0..=1.0).contains(x) => {
                    self.error(
                        loc(&rt.probability),
                        format!("{path}.probability"),
                        format!("expected a probability in [0, 1], found {x}"),
                    );
                    None
                }
                other => self
                    .compile(
                        loc(&rt.probability),
                        &format!("{path}.probability"),
                        other,
                        resolver,
                    )
                    .map(Probability::Expr),
            };
            let costs = self.cost_list(&rt.cost, &format!("{path}.cost"), categories, resolver);
            let qaly_loss = rt.qaly_loss.as_ref().and_then(|q| {
                self.compile(loc(q), &format!("{path}.qaly_loss"), &q.value, resolver)
            });
            let (Some(from), Some(to), Some(probability)) = (from, to, probability) else {
                continue;
            };
            if let Some(prev) = rows[from].iter().find(|x| x.to.0 == to) {
                self.error(loc(&rt.to), format!("{path}.to"), format!("a second transition from `{}` to `{}` (first at {}); expected one per pair", rt.from.value, rt.to.value, prev.origin));
                continue;
            }
            rows[from].push(Transition {
                to: StateId(to),
                probability,
                costs,
                qaly_loss,
                origin: path,
                at: loc(t),
                text: match &rt.probability.value {
                    Scalar::Num(x) => x.to_string(),
                    Scalar::Text(t) => t.trim().to_string(),
                },
            });
        }
        rows
    }

    /// Topological order of the parameters for one strategy; reports cycles.
    fn param_order(
        &mut self,
        defs: &[ParamDef],
        params: &[Param],
        path: &str,
        at: (u64, u64),
    ) -> Vec<ParamId> {
        let n = defs.len();
        // 0 = unvisited, 1 = in progress, 2 = done.
        let mut mark = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        let mut reported = false;
        for start in 0..n {
            if mark[start] != 0 {
                continue;
            }
            // Iterative DFS so a long chain cannot overflow the stack.
            let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, deps(&defs[start]))];
            mark[start] = 1;
            while let Some((node, pending)) = stack.last_mut() {
                let node = *node;
                match pending.pop() {
                    Some(d) if mark[d] == 0 => {
                        mark[d] = 1;
                        stack.push((d, deps(&defs[d])));
                    }
                    Some(d) if mark[d] == 1 => {
                        if !reported {
                            let mut cycle: Vec<&str> = stack
                                .iter()
                                .map(|(x, _)| params[*x].name.as_str())
                                .skip_while(|x| *x != params[d].name)
                                .collect();
                            cycle.push(&params[d].name);
                            self.error(at, path, format!("cyclic derived parameters: {}; expected each parameter to depend only on parameters defined without it", cycle.join(" → ")));
                            reported = true;
                        }
                    }
                    Some(_) => {}
                    None => {
                        mark[node] = 2;
                        order.push(ParamId(node));
                        stack.pop();
                    }
                }
            }
        }
        order
    }
}

impl Validator {
    /// A whole number in [lo, hi] from a YAML number.
    fn count(&mut self, v: &Spanned<f64>, path: &str, lo: f64, hi: f64) -> Option<usize> {
        match self.finite(v, path) {
            Some(n) if n.fract() == 0.0 && (lo..=hi).contains(&n) => Some(n as usize),
            Some(n) => {
                self.error(
                    loc(v),
                    path,
                    format!("expected a whole number from {lo} to {hi:e}, found {n}"),
                );
                None
            }
            None => None,
        }
    }

    fn psa(
        &mut self,
        raw: Option<&Spanned<RawPsa>>,
        individuals: usize,
        ok: &mut bool,
    ) -> crate::model::PsaSettings {
        let mut psa = crate::model::PsaSettings {
            n_individuals: individuals.clamp(1, 1000),
            ..Default::default()
        };
        let Some(raw) = raw else { return psa };
        let r = &raw.value;
        let before = self.diags.len();
        if let Some(v) = &r.draws {
            psa.n_draws = self
                .count(v, "settings.psa.draws", 1.0, 1e7)
                .unwrap_or(psa.n_draws);
        }
        if let Some(v) = &r.individuals {
            psa.n_individuals = self
                .count(v, "settings.psa.individuals", 1.0, MAX_INDIVIDUALS)
                .unwrap_or(psa.n_individuals);
        }
        if let Some(v) = &r.wtp_max {
            match self.finite(v, "settings.psa.wtp_max") {
                Some(x) if x > 0.0 => psa.wtp_max = x,
                Some(x) => self.error(
                    loc(v),
                    "settings.psa.wtp_max",
                    format!("expected a positive willingness to pay, found {x}"),
                ),
                None => {}
            }
        }
        if let Some(v) = &r.wtp_steps {
            psa.wtp_steps = self
                .count(v, "settings.psa.wtp_steps", 1.0, 10_000.0)
                .unwrap_or(psa.wtp_steps);
        }
        if let Some(p) = &r.population {
            let rp = &p.value;
            match self.finite(&rp.per_year, "settings.psa.population.per_year") {
                Some(x) if x >= 0.0 => psa.population_per_year = x,
                Some(x) => self.error(
                    loc(&rp.per_year),
                    "settings.psa.population.per_year",
                    format!("expected a non-negative number of people per year, found {x}"),
                ),
                None => {}
            }
            psa.population_years = self
                .count(&rp.years, "settings.psa.population.years", 0.0, 1000.0)
                .unwrap_or(0) as u32;
            if let Some(d) = &rp.discount {
                match self.finite(d, "settings.psa.population.discount") {
                    Some(x) if (0.0..1.0).contains(&x) => psa.population_discount = x,
                    Some(x) => self.error(
                        loc(d),
                        "settings.psa.population.discount",
                        format!("expected an annual rate in [0, 1), found {x}"),
                    ),
                    None => {}
                }
            }
        }
        if self.diags.len() > before {
            *ok = false;
        }
        psa
    }

    fn correlation(
        &mut self,
        raw: &Spanned<RawCorrelation>,
        model: &Model,
    ) -> Option<crate::model::Correlation> {
        let at = loc(raw);
        let rc = &raw.value;
        let n = rc.parameters.len();
        let mut ids = Vec::new();
        let names: Vec<String> = model.params.iter().map(|p| p.name.clone()).collect();
        for (i, name) in rc.parameters.iter().enumerate() {
            let path = format!("correlation.parameters[{i}]");
            match model.params.iter().position(|p| p.name == name.value) {
                Some(id) => match &model.params[id].def {
                    ParamDef::Value { dist: Some(d), .. } if !matches!(d, Dist::Fixed(_)) => {
                        if ids.contains(&ParamId(id)) {
                            self.error(loc(name), path, format!("parameter `{}` listed twice", name.value));
                        }
                        ids.push(ParamId(id));
                    }
                    _ => self.error(loc(name), path, format!("parameter `{}` has no (non-fixed) distribution; expected a parameter with `value` and `dist` (Dirichlet members cannot be correlated)", name.value)),
                },
                None => self.unknown(loc(name), &path, "parameter", &name.value, &names),
            }
        }
        if rc.matrix.len() != n || rc.matrix.iter().any(|r| r.len() != n) {
            self.error(
                at,
                "correlation.matrix",
                format!("expected a {n} × {n} matrix (one row and column per listed parameter)"),
            );
            return None;
        }
        for i in 0..n {
            for j in 0..n {
                let x = rc.matrix[i][j];
                if !x.is_finite() || !(-1.0..=1.0).contains(&x) {
                    self.error(
                        at,
                        format!("correlation.matrix[{i}][{j}]"),
                        format!("expected a correlation in [-1, 1], found {x}"),
                    );
                    return None;
                }
                if (x - rc.matrix[j][i]).abs() > 1e-12 {
                    self.error(
                        at,
                        format!("correlation.matrix[{i}][{j}]"),
                        format!(
                            "the matrix is not symmetric: {x} vs {} at [{j}][{i}]",
                            rc.matrix[j][i]
                        ),
                    );
                    return None;
                }
            }
            if rc.matrix[i][i] != 1.0 {
                self.error(
                    at,
                    format!("correlation.matrix[{i}][{i}]"),
                    format!("expected 1 on the diagonal, found {}", rc.matrix[i][i]),
                );
                return None;
            }
        }
        // Cholesky–Banachiewicz; a non-positive pivot means the matrix is not positive definite.
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let sum: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
                if i == j {
                    let d = rc.matrix[i][i] - sum;
                    if d <= 1e-12 {
                        self.error(at, "correlation.matrix", "the correlation matrix is not positive definite; expected a valid correlation matrix");
                        return None;
                    }
                    l[i * n + j] = d.sqrt();
                } else {
                    l[i * n + j] = (rc.matrix[i][j] - sum) / l[j * n + j];
                }
            }
        }
        (ids.len() == n).then_some(crate::model::Correlation {
            params: ids,
            cholesky: l,
        })
    }

    /// Report a cycle among individual-level variables (they must form a DAG).
    fn variable_cycles(
        &mut self,
        variables: &[crate::model::Variable],
        first: usize,
        raw: &[(String, Spanned<RawVariable>)],
    ) {
        let n = variables.len();
        let deps: Vec<Vec<usize>> = variables
            .iter()
            .map(|v| {
                v.program
                    .vars()
                    .filter_map(|x| x.checked_sub(first))
                    .filter(|j| *j < n)
                    .collect()
            })
            .collect();
        // Kahn's algorithm: whatever cannot be ordered lies on or behind a cycle.
        let mut indegree = vec![0usize; n];
        for d in &deps {
            for j in d {
                indegree[*j] += 1;
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|i| indegree[*i] == 0).collect();
        let mut done = 0;
        while let Some(i) = ready.pop() {
            done += 1;
            for j in &deps[i] {
                indegree[*j] -= 1;
                if indegree[*j] == 0 {
                    ready.push(*j);
                }
            }
        }
        if done < n {
            let stuck: Vec<&str> = (0..n)
                .filter(|i| indegree[*i] > 0)
                .map(|i| variables[i].name.as_str())
                .collect();
            let at = (0..n)
                .find(|i| indegree[*i] > 0)
                .map(|i| loc(&raw[i].1))
                .unwrap_or((0, 0));
            self.error(at, "variables", format!("cyclic variables: {} use each other; expected each variable to depend only on variables defined without it", stuck.join(", ")));
        }
    }
}

fn deps(def: &ParamDef) -> Vec<usize> {
    match def {
        ParamDef::Derived(p) => p.params().collect(),
        _ => Vec::new(),
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn empirical(
    text: &str,
    rt: &RawPopTable,
    pop: &mut Population,
    level_code: &mut dyn FnMut(&str) -> usize,
) -> Result<EmpiricalPopulation, table::TableError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or(table::TableError {
        line: 1,
        message: "the file is empty; expected a header row".into(),
    })?;
    let header = table::split_csv_line(header);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| table::TableError {
                line: 1,
                message: format!(
                    "no column `{name}` in the header (columns: {})",
                    header.join(", ")
                ),
            })
    };
    let cols = rt
        .columns
        .iter()
        .map(|c| col(&c.value))
        .collect::<Result<Vec<_>, _>>()?;
    let weight_col = rt.weight.as_ref().map(|w| col(&w.value)).transpose()?;
    let data: Vec<(usize, Vec<String>)> = lines
        .map(|(i, l)| (i + 1, table::split_csv_line(l)))
        .collect();
    if data.is_empty() {
        return Err(table::TableError {
            line: 1,
            message: "no data rows".into(),
        });
    }
    let mut slots = Vec::new();
    let mut rows = vec![0.0; data.len() * cols.len()];
    for (j, (&c, name)) in cols.iter().zip(&rt.columns).enumerate() {
        let numeric = data.iter().all(|(_, f)| {
            f.get(c)
                .is_some_and(|v| v.parse::<f64>().is_ok_and(f64::is_finite))
        });
        let mut levels = Vec::new();
        for (r, (line, fields)) in data.iter().enumerate() {
            let raw = fields.get(c).ok_or(table::TableError {
                line: *line,
                message: format!("expected {} fields, found {}", header.len(), fields.len()),
            })?;
            rows[r * cols.len() + j] = if numeric {
                raw.parse::<f64>().unwrap_or(f64::NAN)
            } else {
                let code = level_code(raw);
                if !levels.contains(&code) {
                    levels.push(code);
                }
                code as f64
            };
        }
        let slot = match pop.attributes.iter().position(|a| a.name == name.value) {
            Some(s) => s,
            None => {
                pop.attributes.push(Attribute {
                    name: name.value.clone(),
                    dist: if numeric {
                        AttributeDist::Continuous {
                            dist: Dist::Fixed(f64::NAN),
                            min: f64::NEG_INFINITY,
                            max: f64::INFINITY,
                        }
                    } else {
                        let n = levels.len();
                        AttributeDist::Categorical {
                            levels,
                            probs: vec![1.0 / n as f64; n],
                        }
                    },
                    source: rt.source.clone(),
                });
                pop.attributes.len() - 1
            }
        };
        if name.value == "age" {
            pop.age = Some(slot);
        }
        slots.push(slot);
    }
    let mut cumulative = Vec::with_capacity(data.len());
    let mut total = 0.0;
    for (line, fields) in &data {
        let w = match weight_col {
            Some(c) => match fields.get(c).and_then(|v| v.parse::<f64>().ok()) {
                Some(w) if w.is_finite() && w >= 0.0 => w,
                _ => {
                    return Err(table::TableError {
                        line: *line,
                        message: format!("column `{}`: expected a non-negative weight", header[c]),
                    });
                }
            },
            None => 1.0,
        };
        total += w;
        cumulative.push(total);
    }
    if total.is_nan() || total <= 0.0 {
        return Err(table::TableError {
            line: 1,
            message: "the weights sum to zero".into(),
        });
    }
    for c in &mut cumulative {
        *c /= total;
    }
    Ok(EmpiricalPopulation {
        columns: slots,
        rows,
        cumulative_weights: cumulative,
    })
}
