//! Validation: the raw mirror of a scenario checked section by section and turned into a
//! `Model`. The `Validator` collects every problem (it does not stop at the first), each
//! with file, line, column, dotted path, what was found and what was expected.
//!
//! The driver (`Validator::model`) checks the sections in a fixed order: version, ids,
//! settings, tables, population, parameters, variables, trackers, states, transitions,
//! strategies, counted transitions, row rules, reachability, correlation, value-of-information
//! groups, the numbers at the point values, then the plausibility warnings (utilities,
//! distributions of probabilities, clamped ages). That order is the order of the diagnostics,
//! which tests compare byte for byte: keep it. Each section lives in its own file as an
//! `impl Validator` block.
//!
//! Invariants: a model is returned only when no error was found; a diagnostic about a value
//! taken from a scenario analysis points into the overlay file. This folder reads only the
//! raw mirror (`super::raw`), the bounded file reader (`super::input`, for tables) and
//! lower stages (`model`, `expr`, `dist`, `table`, `params`, `diag`, `suggest`); it must
//! not depend on loading (`super::read`, `super::overlay`).

mod conventions;
mod correlation;
mod distributions;
mod empirical;
mod names;
mod parameters;
mod plausibility;
mod population;
mod prices;
mod settings;
mod states;
mod strategies;
mod tables;
mod text;
mod trackers;
mod transitions;
mod variables;
mod voi_groups;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_saphyr::Spanned;

use crate::expr::{self, Program};
use crate::model::{Meta, Model, SourceAt, var};
use crate::scenario::diag::{Diagnostic, LoadError, Severity};
use crate::suggest::did_you_mean;

use super::input::InputError;
use super::raw::{RawMeta, RawScenario, RawState, RawStrategy, Scalar, in_file_order, loc};
use names::Names;
use plausibility::Sources;
use states::StateNames;
use strategies::Scope;

pub use settings::{MAX_CYCLES, MAX_INDIVIDUALS, MAX_POPULATION_PER_YEAR, MAX_WTP};
pub use text::{MAX_LABEL_CHARS, MAX_NAME_CHARS};

/// The scenario format version this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// Collects diagnostics while the sections of one scenario are checked.
struct Validator {
    file: Arc<str>,
    dir: PathBuf,
    diags: Vec<Diagnostic>,
    /// For a scenario analysis: the overlay file and the paths whose values come from it;
    /// diagnostics under those paths point into the overlay.
    overlay: Option<(Arc<str>, Vec<String>)>,
    /// Files read besides the scenario itself.
    inputs: Vec<PathBuf>,
}

/// Validate a parsed scenario into a model; `overlay` routes diagnostics into an overlay file.
pub(super) fn validate(
    raw: RawScenario,
    file: &str,
    name: &str,
    dir: &Path,
    overlay: Option<(String, Vec<String>)>,
) -> Result<Model, LoadError> {
    let mut v = Validator {
        file: Arc::from(file),
        dir: dir.to_path_buf(),
        inputs: overlay.iter().map(|_| PathBuf::from(file)).collect(),
        diags: Vec::new(),
        overlay: overlay.map(|(f, paths)| (Arc::from(f), paths)),
    };
    let model = v.model(raw, name);
    let errors = v.has_errors();
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

impl Validator {
    /// Check every section, in the order its diagnostics are reported, and build the model;
    /// `None` when a section could not be built or an error was found.
    fn model(&mut self, raw: RawScenario, name: &str) -> Option<Model> {
        self.version(&raw.version);
        self.name_lengths(&raw);
        let meta = self.meta(raw.meta);

        // Names first, so every later reference can be checked.
        let strategy_names = self.ids(&raw.states, &raw.strategies);
        let raw_states = raw.states.value;
        let raw_transitions = raw.transitions.value;
        let raw_strategies = raw.strategies.value;
        let (categories, perspectives, settings_partial) =
            self.settings(&raw.settings, &strategy_names);

        let cycle_years = settings_partial.as_ref().map_or(1.0, |s| s.cycle_years());

        // Categorical levels are global codes shared by attributes and tables.
        let mut levels: Vec<String> = Vec::new();
        let mut level_code = |s: &str| -> usize {
            levels.iter().position(|l| l == s).unwrap_or_else(|| {
                levels.push(s.to_string());
                levels.len() - 1
            })
        };

        let table_locs = plausibility::table_locs(&raw.tables);
        let tables = self.tables(raw.tables, &mut level_code);
        let population = self.population(raw.population, &mut level_code);

        // Parameters: plain, Dirichlet members, derived.
        let raw_params = in_file_order(raw.parameters);
        let mut declared = self.declare_params(&raw_params, &tables, &population);
        let dirichlet = self.dirichlet(raw.dirichlet, &mut declared);
        let param_names = Names {
            params: &declared.index,
            tables: &tables,
            attributes: &population.attributes,
            levels: &levels,
            with_vars: false,
            trackers: &[],
            variables: &[],
            cycle_years,
        };
        let prices = (raw.settings.value.price_index.as_ref(), meta.price_year);
        self.define_params(
            &raw_params,
            &mut declared.params,
            &declared.locs,
            &param_names,
            prices,
        );

        let state_names = StateNames::new(&raw_states);
        // Individual-level variables: names first (they may use each other), then programs.
        let raw_variables = in_file_order(raw.variables);
        let variable_names: Vec<String> = raw_variables.iter().map(|(n, _)| n.clone()).collect();
        self.variable_names(&raw_variables, &param_names);
        let raw_trackers = in_file_order(raw.trackers);
        let trackers = self.trackers(&raw_trackers, &param_names, &variable_names, &state_names);
        let var_names = Names {
            with_vars: true,
            trackers: &trackers,
            variables: &variable_names,
            ..param_names
        };
        let variables = self.variables(&raw_variables, &var_names);
        let (states, state_has_payoff) = self.states(&raw_states, &categories, &var_names);

        // Base transitions, then strategies with their overrides.
        let base_rows = self.transitions(
            &raw_transitions,
            "transitions",
            &state_names,
            &categories,
            &var_names,
        );
        let scope = Scope {
            params: &declared.params,
            param_names: &param_names,
            var_names: &var_names,
            states: &state_names,
            categories: &categories,
            base_rows: &base_rows,
        };
        let strategies = self.strategies(&raw_strategies, &scope);
        self.tracked_transitions(&raw_trackers, &trackers, &strategies, &state_names);
        self.row_rules(&strategies, &states);
        self.reachability(&raw_states, &state_has_payoff, &states, &strategies);

        let settings = settings_partial?;
        let (strategies, strategy_locs): (Vec<_>, Vec<_>) = strategies.into_iter().unzip();
        let mut model = Model {
            name: name.to_string(),
            meta,
            settings,
            params: declared.params,
            dirichlet,
            tables,
            population,
            levels,
            variables,
            trackers,
            correlation: None,
            voi_groups: Vec::new(),
            cost_categories: categories,
            perspectives,
            states,
            strategies,
            warnings: Vec::new(),
            inputs: std::mem::take(&mut self.inputs),
        };
        self.groups(&mut model, raw.correlation.as_ref(), raw.voi_groups);
        if self.has_errors() {
            return None;
        }
        self.point_values(&model, &strategy_locs);
        let src = Sources::new(&raw_states, &raw_params, &raw_strategies, &raw_variables);
        self.plausibility(&model, &src, &table_locs);
        Some(model)
    }

    /// The correlation and the value-of-information groups, which refer to the built model.
    fn groups(
        &mut self,
        model: &mut Model,
        correlation: Option<&Spanned<super::raw::RawCorrelation>>,
        voi: std::collections::BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    ) {
        if let Some(c) = correlation {
            model.correlation = self.correlation(c, model);
        }
        model.voi_groups = self.voi_groups(voi, model);
    }

    /// The descriptive fields as written, the title and the currency (which the figures
    /// draw) bounded in length.
    fn meta(&mut self, raw: RawMeta) -> Meta {
        Meta {
            title: self.label(&raw.title, "meta.title"),
            description: raw.description,
            currency: raw
                .currency
                .map(|c| self.label(&c, "meta.currency"))
                .unwrap_or_default(),
            price_year: raw.price_year,
            references: raw.references,
        }
    }

    fn version(&mut self, version: &Spanned<u32>) {
        if version.value != FORMAT_VERSION {
            self.error(
                loc(version),
                "version",
                format!(
                    "unsupported scenario format version {}; expected {FORMAT_VERSION}",
                    version.value
                ),
            );
        }
    }

    /// Check the state and strategy ids (and the number of states, stored as `u16`);
    /// returns the strategy names.
    fn ids(
        &mut self,
        states: &Spanned<Vec<Spanned<RawState>>>,
        strategies: &Spanned<Vec<Spanned<RawStrategy>>>,
    ) -> Vec<String> {
        let states_at = loc(states);
        self.unique_ids(
            states.value.iter().map(|s| &s.value.id).collect(),
            ("states", "state", "states"),
            states_at,
        );
        if states.value.len() > usize::from(u16::MAX) {
            self.error(
                states_at,
                "states",
                format!(
                    "{} states defined; expected at most {}",
                    states.value.len(),
                    u16::MAX
                ),
            );
        }
        self.unique_ids(
            strategies.value.iter().map(|s| &s.value.id).collect(),
            ("strategies", "strategy", "strategies"),
            loc(strategies),
        )
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

    fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| d.severity == Severity::Error)
    }

    fn error(&mut self, at: (u64, u64), path: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Error, at, path.into(), message.into());
    }

    fn warning(&mut self, at: (u64, u64), path: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Warning, at, path.into(), message.into());
    }

    /// Record a diagnostic, in the overlay file when its path's value comes from there.
    fn push(&mut self, severity: Severity, at: (u64, u64), path: String, message: String) {
        let file = self.file_of(&path).to_string();
        self.diags.push(Diagnostic {
            severity,
            file,
            line: at.0,
            column: at.1,
            path,
            message,
        });
    }

    /// The file the value at a dotted path was read from: the overlay when the path (or
    /// one above it) was given there, else the scenario (or the base).
    fn file_of(&self, path: &str) -> &Arc<str> {
        match &self.overlay {
            Some((overlay, prefixes))
                if prefixes.iter().any(|p| {
                    path.strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
                }) =>
            {
                overlay
            }
            _ => &self.file,
        }
    }

    /// Where the value at `path`, written at `at`, is defined: its file, line and column.
    fn source_at(&self, at: (u64, u64), path: &str) -> SourceAt {
        SourceAt {
            file: Arc::clone(self.file_of(path)),
            line: at.0,
            column: at.1,
        }
    }

    /// An error at a place already resolved to its file (a transition's definition).
    fn error_at(&mut self, at: &SourceAt, path: impl Into<String>, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            severity: Severity::Error,
            file: at.file.to_string(),
            line: at.line,
            column: at.column,
            path: path.into(),
            message: message.into(),
        });
    }

    /// A problem inside a CSV file the scenario reads: the diagnostic points into the file
    /// and names the scenario field that reads it.
    fn file_error(&mut self, file: &Path, line: usize, path: &str, message: String) {
        self.diags.push(Diagnostic {
            severity: Severity::Error,
            file: file.display().to_string(),
            line: line as u64,
            column: 1,
            path: format!("{path} (in {})", self.file),
            message,
        });
    }

    /// A file that cannot be read, named by the field at `at` with dotted path `path`
    /// (`what` says what the file is): invalid UTF-8 is reported in the file, anything else
    /// at the field.
    fn input_error(
        &mut self,
        file: &Path,
        e: &InputError,
        (at, path): ((u64, u64), &str),
        what: &str,
    ) {
        match e.at() {
            Some((line, column)) => self.diags.push(Diagnostic {
                severity: Severity::Error,
                file: file.display().to_string(),
                line,
                column,
                path: format!("{path} (in {})", self.file_of(path)),
                message: e.describe("the file"),
            }),
            None => self.error(
                at,
                path,
                e.describe(&format!("{what} `{}`", file.display())),
            ),
        }
    }

    /// An unknown name, with a suggestion or the list of known names.
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

    /// A number or an expression compiled against the names in scope.
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
}

/// Whether a name may be used as an id: a letter, then letters, digits and underscores.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether a name is taken by a built-in: an individual variable or `cycle_years`.
fn is_builtin(name: &str) -> bool {
    var::BUILTIN.contains(&name) || name == "cycle_years"
}
