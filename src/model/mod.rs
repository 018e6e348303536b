//! The validated, immutable model: everything the engine needs, referenced by index.
//!
//! A `Model` can only be built by `scenario::load`, which validates every reference,
//! expression and number first; after that an invalid model cannot be represented.
//! Nothing here knows about YAML.

pub mod conventions;
mod label;
pub mod table;
pub mod tracker;

use crate::dist::Dist;
use crate::expr::Program;
use crate::model::table::Table;

pub use conventions::{
    BoundaryWeights, Compounding, DiscountTiming, TransitionTiming, WithinCycle,
};
pub use tracker::{Tracker, TrackerKind};

/// Index of a state in `Model::states`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StateId(pub usize);

/// Index of a strategy in `Model::strategies`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StrategyId(pub usize);

/// Index of a parameter in `Model::params`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParamId(pub usize);

/// Where a definition is written, for diagnostics while running: the file (the scenario,
/// or for a scenario analysis its base or the overlay, whichever defined it), line and
/// column. Displays as `file:line:column`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceAt {
    pub file: std::sync::Arc<str>,
    pub line: u64,
    pub column: u64,
}

impl std::fmt::Display for SourceAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Variable slots an expression can read per individual (see `Model::var_names`).
pub mod var {
    /// Cycle number since the start of the model, 1 in the first cycle (heemod's `model_time`).
    pub const MODEL_TIME: usize = 0;
    /// Cycle number within the current state, 1 in the first cycle spent there (heemod's `state_time`).
    pub const STATE_TIME: usize = 1;
    /// Years elapsed since the start of the model at the start of the cycle.
    pub const MODEL_YEARS: usize = 2;
    /// Years already spent in the current state at the start of the cycle.
    pub const STATE_YEARS: usize = 3;
    /// First slot holding a population attribute.
    pub const FIRST_ATTRIBUTE: usize = 4;
    /// Names of the built-in slots, in slot order.
    pub const BUILTIN: [&str; 4] = ["model_time", "state_time", "model_years", "state_years"];
}

/// Calendar unit of cycle length and horizon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Days,
    Weeks,
    Months,
    Years,
}

impl TimeUnit {
    /// Length of one unit in years: a year is 365.25 days, a month a twelfth of a year.
    pub fn years(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0 / 365.25,
            TimeUnit::Weeks => 7.0 / 365.25,
            TimeUnit::Months => 1.0 / 12.0,
            TimeUnit::Years => 1.0,
        }
    }

    /// The unit's plural name as written in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Months => "months",
            TimeUnit::Years => "years",
        }
    }
}

/// Descriptive metadata copied from the scenario.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub title: String,
    pub description: String,
    pub currency: String,
    pub price_year: Option<i64>,
    pub references: Vec<String>,
}

/// A named set of cost categories counted together (for example `societal`).
#[derive(Clone, Debug)]
pub struct Perspective {
    pub name: String,
    /// One flag per cost category.
    pub includes: Vec<bool>,
}

/// Run settings after validation.
#[derive(Clone, Debug)]
pub struct Settings {
    pub cycle_length: f64,
    pub cycle_unit: TimeUnit,
    pub n_cycles: usize,
    pub discount_rate_costs_annual: f64,
    pub discount_rate_effects_annual: f64,
    pub discount_timing: DiscountTiming,
    pub discount_compounding: Compounding,
    pub within_cycle: WithinCycle,
    pub transition_timing: TransitionTiming,
    pub n_individuals: usize,
    pub seed: u64,
    pub wtp_per_qaly: Vec<f64>,
    pub reference_strategy: StrategyId,
    /// Probabilistic sensitivity analysis settings (defaults when the scenario has none).
    pub psa: PsaSettings,
}

/// How a probabilistic sensitivity analysis is run and summarised.
#[derive(Clone, Debug, PartialEq)]
pub struct PsaSettings {
    /// Number of parameter draws (`--draws` overrides).
    pub n_draws: usize,
    /// Individuals simulated per draw.
    pub n_individuals: usize,
    /// Willingness-to-pay grid for acceptability curves and EVPI: 0 to `wtp_max` in `wtp_steps` steps, plus the thresholds.
    pub wtp_max: f64,
    pub wtp_steps: usize,
    /// Population EVPI: people affected per year, for how many years, discounted at this annual rate.
    pub population_per_year: f64,
    pub population_years: u32,
    pub population_discount: f64,
}

impl Default for PsaSettings {
    fn default() -> Self {
        PsaSettings {
            n_draws: 1000,
            n_individuals: 1000,
            wtp_max: 100_000.0,
            wtp_steps: 100,
            population_per_year: 0.0,
            population_years: 0,
            population_discount: 0.0,
        }
    }
}

/// Correlated parameters, sampled through a Gaussian copula (Briggs et al. 2006, ch. 4).
#[derive(Clone, Debug, PartialEq)]
pub struct Correlation {
    pub params: Vec<ParamId>,
    /// Lower-triangular Cholesky factor of the correlation matrix, row-major n × n.
    pub cholesky: Vec<f64>,
}

impl Settings {
    /// Cycle length in years.
    pub fn cycle_years(&self) -> f64 {
        self.cycle_length * self.cycle_unit.years()
    }
}

/// A named group of drawn parameters for value-of-information analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct VoiGroup {
    pub name: String,
    pub members: Vec<ParamId>,
}

/// How a parameter gets its value.
#[derive(Clone, Debug)]
pub enum ParamDef {
    /// A point value, with the distribution used in probabilistic analyses.
    Value { value: f64, dist: Option<Dist> },
    /// A member of a Dirichlet group; its point value is its share of the concentrations.
    Dirichlet { group: usize, value: f64 },
    /// An expression over other parameters and tables, evaluated once per parameter set.
    Derived(Program),
}

/// One parameter of the model.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    /// The label the scenario gives (`label:`), cut to the length figures can lay out;
    /// without one, [`Model::param_label`] derives one from the name.
    pub label: Option<String>,
    pub def: ParamDef,
    pub source: Option<String>,
    /// Optional bounds for one-way sensitivity analysis.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// The expression as written, for a derived parameter (shown in reports).
    pub expr: Option<String>,
    /// For a price given in another year than `meta.price_year`: that year and the factor
    /// its value, distribution and bounds were multiplied by.
    pub price: Option<PriceIndexing>,
}

/// How one price was indexed to the scenario's price year.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PriceIndexing {
    /// The year the scenario gives the price in.
    pub year: i64,
    /// The index factor from that year to `meta.price_year`.
    pub factor: f64,
}

impl Param {
    /// True when the source is missing or says it is an assumption.
    pub fn is_assumption(&self) -> bool {
        self.source
            .as_deref()
            .is_none_or(|s| s.trim().to_ascii_lowercase().starts_with("assumption"))
    }

    /// True when the parameter varies between probabilistic draws (its own distribution or
    /// a Dirichlet group).
    pub fn has_distribution(&self) -> bool {
        matches!(
            self.def,
            ParamDef::Value { dist: Some(_), .. } | ParamDef::Dirichlet { .. }
        )
    }
}

/// Parameters that share a Dirichlet distribution and always sum to one.
#[derive(Clone, Debug)]
pub struct DirichletGroup {
    pub name: String,
    pub members: Vec<ParamId>,
    pub alpha: Vec<f64>,
    pub source: Option<String>,
}

/// How one population attribute is drawn.
#[derive(Clone, Debug)]
pub enum AttributeDist {
    /// A continuous distribution, optionally truncated to `[min, max]` by inverse-CDF sampling.
    Continuous { dist: Dist, min: f64, max: f64 },
    /// Levels (global level codes) with their probabilities.
    Categorical { levels: Vec<usize>, probs: Vec<f64> },
}

/// A per-individual attribute, fixed for the whole run.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub dist: AttributeDist,
    pub source: Option<String>,
}

impl Attribute {
    /// True when every individual gets the same value.
    pub fn fixed_value(&self) -> Option<f64> {
        match &self.dist {
            AttributeDist::Continuous {
                dist: Dist::Fixed(v),
                ..
            } => Some(*v),
            AttributeDist::Continuous { min, max, .. } if min == max => Some(*min),
            AttributeDist::Categorical { levels, probs } => {
                let mut nonzero = levels.iter().zip(probs).filter(|(_, p)| **p > 0.0);
                match (nonzero.next(), nonzero.next()) {
                    (Some((level, _)), None) => Some(*level as f64),
                    _ => None,
                }
            }
            AttributeDist::Continuous { .. } => None,
        }
    }

    /// True when the attribute holds categorical level codes.
    pub fn is_categorical(&self) -> bool {
        matches!(self.dist, AttributeDist::Categorical { .. })
    }
}

/// An empirical population: rows of attribute values sampled with replacement by weight.
#[derive(Clone, Debug)]
pub struct EmpiricalPopulation {
    /// Attribute slot (index into `Population::attributes`) of each column.
    pub columns: Vec<usize>,
    /// Row-major values, `columns.len()` per row.
    pub rows: Vec<f64>,
    /// Cumulative normalised weights, one per row, ending at 1.
    pub cumulative_weights: Vec<f64>,
}

/// Who is simulated.
#[derive(Clone, Debug, Default)]
pub struct Population {
    pub attributes: Vec<Attribute>,
    /// Attribute slot of `age`, which ages with model time.
    pub age: Option<usize>,
    pub empirical: Option<EmpiricalPopulation>,
}

/// A named expression over individual variables, evaluated at most once per individual and
/// cycle, and only when something reads it (a common subexpression of transitions and payoffs).
#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub program: Program,
    pub source: Option<String>,
}

/// Largest number of individual-level `variables` a scenario may define.
pub const MAX_VARIABLES: usize = 64;

/// Largest number of `trackers` a scenario may define.
pub const MAX_TRACKERS: usize = 64;

/// A health state.
#[derive(Clone, Debug)]
pub struct State {
    pub name: String,
    pub label: String,
    /// Per-cycle cost per category; `None` where the state has no cost in that category.
    pub costs: Vec<Option<Program>>,
    /// Utility per cycle spent in the state (QALYs accrue as utility × cycle length in years).
    pub utility: Program,
    pub absorbing: bool,
    /// Counts towards life-years.
    pub alive: bool,
}

/// The probability of one transition.
#[derive(Clone, Debug)]
pub enum Probability {
    Expr(Program),
    /// One minus the other probabilities of the row.
    Complement,
}

/// One transition out of a state, resolved for one strategy.
#[derive(Clone, Debug)]
pub struct Transition {
    pub to: StateId,
    pub probability: Probability,
    /// One-off costs when the transition happens: (category, amount).
    pub costs: Vec<(usize, Program)>,
    /// One-off QALY loss when the transition happens.
    pub qaly_loss: Option<Program>,
    /// Where it was defined, for run-time diagnostics (`transitions[3]`).
    pub origin: String,
    /// Where it is defined: the file, line and column.
    pub at: SourceAt,
    /// The probability as written (a number, a name, an expression or `complement`).
    pub text: String,
}

/// A strategy (intervention) with its own parameter values and transitions.
#[derive(Clone, Debug)]
pub struct Strategy {
    pub name: String,
    pub label: String,
    /// Starting distribution over states; shares sum to one.
    pub initial: Vec<(StateId, f64)>,
    /// Definition of every parameter for this strategy (base definitions with overrides applied).
    pub params: Vec<ParamDef>,
    /// True where the strategy overrides the parameter; others read the base value or draw.
    pub overridden: Vec<bool>,
    /// Evaluation order of `params` (derived parameters after what they use).
    pub param_order: Vec<ParamId>,
    /// One-off costs at time zero: (category, amount).
    pub start_costs: Vec<(usize, Program)>,
    /// Outgoing transitions per state, indexed by `StateId`.
    pub rows: Vec<Vec<Transition>>,
}

/// The whole validated model.
#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub meta: Meta,
    pub settings: Settings,
    pub params: Vec<Param>,
    pub dirichlet: Vec<DirichletGroup>,
    pub tables: Vec<Table>,
    pub population: Population,
    /// Every categorical level name in the scenario; level codes index this list.
    pub levels: Vec<String>,
    /// Individual-level variables; variable j occupies slot `first_variable() + j`.
    pub variables: Vec<Variable>,
    /// Clocks and counters per individual; their readings occupy the slots after the
    /// attributes (`Tracker::slot`).
    pub trackers: Vec<Tracker>,
    /// Correlation between parameters in probabilistic draws, if any.
    pub correlation: Option<Correlation>,
    /// Named groups of parameters whose joint EVPPI is reported (`voi_groups`).
    pub voi_groups: Vec<VoiGroup>,
    pub cost_categories: Vec<String>,
    pub perspectives: Vec<Perspective>,
    pub states: Vec<State>,
    pub strategies: Vec<Strategy>,
    /// Warnings found while loading (for example parameters without a source).
    pub warnings: Vec<String>,
    /// Other files the scenario was built from (an overlay's base, CSV tables), as read.
    pub inputs: Vec<std::path::PathBuf>,
}

impl Model {
    /// Names of the variable slots, in slot order.
    pub fn var_names(&self) -> Vec<String> {
        var::BUILTIN
            .iter()
            .map(|s| s.to_string())
            .chain(self.population.attributes.iter().map(|a| a.name.clone()))
            .chain(self.trackers.iter().flat_map(|t| {
                let years = t.is_clock().then(|| format!("{}_years", t.name));
                std::iter::once(t.name.clone()).chain(years)
            }))
            .chain(self.variables.iter().map(|v| v.name.clone()))
            .collect()
    }

    /// Number of variable slots held per individual (built-ins, attributes and tracker
    /// readings).
    pub fn n_vars(&self) -> usize {
        self.first_tracker_slot() + self.trackers.iter().map(Tracker::n_slots).sum::<usize>()
    }

    /// Slot of the first tracker reading (after built-ins and attributes).
    pub fn first_tracker_slot(&self) -> usize {
        var::FIRST_ATTRIBUTE + self.population.attributes.len()
    }

    /// Slot of the first individual-level variable (after built-ins, attributes and trackers).
    pub fn first_variable(&self) -> usize {
        self.n_vars()
    }

    /// Parameters whose source is missing or marked as an assumption.
    pub fn assumptions(&self) -> Vec<&Param> {
        self.params.iter().filter(|p| p.is_assumption()).collect()
    }
}
