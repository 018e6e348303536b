//! The raw serde mirror of the scenario YAML: one struct per section, as written, with
//! source spans (`Spanned`) on every value a diagnostic may point at. Nothing here checks
//! meaning; `validate` turns these into a `Model`. Also the overlay mirror (`extends:`)
//! and the two span helpers every stage of loading uses.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

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

/// A label: text, or a number or boolean taken as its text (`label: 2024` reads as
/// "2024"); a list or a mapping is an error that says a text was expected.
#[derive(Clone, Debug)]
pub(super) struct RawLabel(pub(super) String);

impl<'de> Deserialize<'de> for RawLabel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawLabel;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text (the label readers see)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawLabel, E> {
                Ok(RawLabel(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawLabel, E> {
                Ok(RawLabel(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawLabel, E> {
                Ok(RawLabel(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawLabel, E> {
                Ok(RawLabel(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawLabel, E> {
                Ok(RawLabel(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A state name or a distribution over states.
#[derive(Clone, Debug)]
pub(super) enum RawInitial {
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
pub(super) struct RawScenario {
    pub(super) version: Spanned<u32>,
    pub(super) meta: RawMeta,
    pub(super) settings: Spanned<RawSettings>,
    #[serde(default)]
    pub(super) parameters: BTreeMap<String, Spanned<RawParam>>,
    #[serde(default)]
    pub(super) dirichlet: BTreeMap<String, Spanned<RawDirichlet>>,
    #[serde(default)]
    pub(super) tables: BTreeMap<String, Spanned<RawTable>>,
    #[serde(default)]
    pub(super) population: Option<Spanned<RawPopulation>>,
    #[serde(default)]
    pub(super) variables: BTreeMap<String, Spanned<RawVariable>>,
    #[serde(default)]
    pub(super) trackers: BTreeMap<String, Spanned<RawTracker>>,
    #[serde(default)]
    pub(super) correlation: Option<Spanned<RawCorrelation>>,
    /// Named groups of parameters for the EVPPI: group name → parameter names.
    #[serde(default)]
    pub(super) voi_groups: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    pub(super) states: Spanned<Vec<Spanned<RawState>>>,
    pub(super) transitions: Spanned<Vec<Spanned<RawTransition>>>,
    pub(super) strategies: Spanned<Vec<Spanned<RawStrategy>>>,
}

/// Only the `extends` key, to tell an overlay from a complete scenario.
#[derive(Deserialize, Debug)]
pub(super) struct Probe {
    #[serde(default)]
    pub(super) extends: Option<Spanned<String>>,
}

/// A scenario analysis: a base scenario and what it changes.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOverlay {
    pub(super) extends: Spanned<String>,
    #[serde(default)]
    pub(super) version: Option<Spanned<u32>>,
    #[serde(default)]
    pub(super) meta: Option<RawMetaOverlay>,
    #[serde(default)]
    pub(super) settings: Option<Spanned<RawSettingsOverlay>>,
    #[serde(default)]
    pub(super) parameters: BTreeMap<String, Spanned<RawParam>>,
    #[serde(default)]
    pub(super) dirichlet: BTreeMap<String, Spanned<RawDirichlet>>,
    #[serde(default)]
    pub(super) tables: BTreeMap<String, Spanned<RawTable>>,
    #[serde(default)]
    pub(super) population: Option<Spanned<RawPopulation>>,
    #[serde(default)]
    pub(super) variables: BTreeMap<String, Spanned<RawVariable>>,
    #[serde(default)]
    pub(super) trackers: BTreeMap<String, Spanned<RawTracker>>,
    #[serde(default)]
    pub(super) correlation: Option<Spanned<RawCorrelation>>,
    #[serde(default)]
    pub(super) voi_groups: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) states: Vec<Spanned<RawState>>,
    #[serde(default)]
    pub(super) transitions: Vec<Spanned<RawTransition>>,
    #[serde(default)]
    pub(super) strategies: Vec<Spanned<RawStrategy>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetaOverlay {
    #[serde(default)]
    pub(super) title: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) currency: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) price_year: Option<i64>,
    #[serde(default)]
    pub(super) references: Option<Vec<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettingsOverlay {
    #[serde(default)]
    pub(super) cycle: Option<Spanned<RawDuration>>,
    #[serde(default)]
    pub(super) horizon: Option<Spanned<RawDuration>>,
    #[serde(default)]
    pub(super) discount: Option<Spanned<RawDiscount>>,
    #[serde(default)]
    pub(super) within_cycle: Option<Spanned<RawWithinCycle>>,
    #[serde(default)]
    pub(super) transition_timing: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) individuals: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) seed: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) cost_categories: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(super) perspectives: Option<BTreeMap<String, Spanned<Vec<Spanned<String>>>>>,
    #[serde(default)]
    pub(super) wtp: Option<Vec<Spanned<f64>>>,
    #[serde(default)]
    pub(super) reference_strategy: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) psa: Option<Spanned<RawPsa>>,
    #[serde(default)]
    pub(super) price_index: Option<Spanned<RawPriceIndex>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeta {
    pub(super) title: Spanned<String>,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) currency: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) price_year: Option<i64>,
    #[serde(default)]
    pub(super) references: Vec<String>,
}

/// `settings.within_cycle`: a named option, or `{weights: EXPRESSION}`.
#[derive(Clone, Debug)]
pub(super) enum RawWithinCycle {
    Named(String),
    Weights(Scalar),
}

impl<'de> Deserialize<'de> for RawWithinCycle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawWithinCycle;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the name of a within-cycle correction or `{weights: EXPRESSION}`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawWithinCycle, E> {
                Ok(RawWithinCycle::Named(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawWithinCycle, A::Error> {
                let mut weights = None;
                while let Some(k) = map.next_key::<String>()? {
                    if k != "weights" {
                        return Err(de::Error::unknown_field(&k, &["weights"]));
                    }
                    if weights.is_some() {
                        return Err(de::Error::duplicate_field("weights"));
                    }
                    weights = Some(map.next_value::<Scalar>()?);
                }
                weights
                    .map(RawWithinCycle::Weights)
                    .ok_or_else(|| de::Error::missing_field("weights"))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDuration {
    pub(super) length: Spanned<f64>,
    pub(super) unit: Spanned<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscount {
    pub(super) costs: Spanned<f64>,
    pub(super) effects: Spanned<f64>,
    #[serde(default)]
    pub(super) timing: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) compounding: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub(super) cycle: Spanned<RawDuration>,
    pub(super) horizon: Spanned<RawDuration>,
    pub(super) discount: Spanned<RawDiscount>,
    #[serde(default)]
    pub(super) within_cycle: Option<Spanned<RawWithinCycle>>,
    #[serde(default)]
    pub(super) transition_timing: Option<Spanned<String>>,
    pub(super) individuals: Spanned<f64>,
    pub(super) seed: Spanned<u64>,
    pub(super) cost_categories: Vec<Spanned<String>>,
    pub(super) perspectives: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) wtp: Vec<Spanned<f64>>,
    #[serde(default)]
    pub(super) reference_strategy: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) psa: Option<Spanned<RawPsa>>,
    #[serde(default)]
    pub(super) price_index: Option<Spanned<RawPriceIndex>>,
}

/// `settings.price_index`: the table that indexes prices to `meta.price_year`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPriceIndex {
    pub(super) table: Spanned<String>,
    pub(super) kind: Spanned<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "the evidence for readers of the scenario")]
    pub(super) source: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPsa {
    #[serde(default)]
    pub(super) draws: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) individuals: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) wtp_max: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) wtp_steps: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) population: Option<Spanned<RawPsaPopulation>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPsaPopulation {
    pub(super) per_year: Spanned<f64>,
    pub(super) years: Spanned<f64>,
    #[serde(default)]
    pub(super) discount: Option<Spanned<f64>>,
    #[serde(default)]
    #[allow(dead_code, reason = "the evidence for readers of the scenario")]
    pub(super) source: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCorrelation {
    pub(super) parameters: Vec<Spanned<String>>,
    pub(super) matrix: Vec<Vec<f64>>,
    #[serde(default)]
    #[allow(dead_code, reason = "the evidence for readers of the scenario")]
    pub(super) source: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDist {
    #[serde(rename = "type")]
    pub(super) kind: Option<Spanned<String>>,
    pub(super) alpha: Option<f64>,
    pub(super) beta: Option<f64>,
    pub(super) shape: Option<f64>,
    pub(super) scale: Option<f64>,
    pub(super) meanlog: Option<f64>,
    pub(super) sdlog: Option<f64>,
    pub(super) mean: Option<f64>,
    pub(super) sd: Option<f64>,
    pub(super) se: Option<f64>,
    pub(super) min: Option<f64>,
    pub(super) max: Option<f64>,
    pub(super) ci95: Option<Vec<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParam {
    #[serde(default)]
    pub(super) label: Option<Spanned<RawLabel>>,
    #[serde(default)]
    pub(super) value: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) expr: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) dist: Option<Spanned<RawDist>>,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) low: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) high: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) price_year: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDirichlet {
    pub(super) alpha: BTreeMap<String, Spanned<f64>>,
    /// Labels of members, by member name (a member has no entry of its own to carry one).
    #[serde(default)]
    pub(super) labels: BTreeMap<String, Spanned<RawLabel>>,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    pub(super) description: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    pub(super) file: Spanned<String>,
    pub(super) value: Spanned<String>,
    #[serde(default)]
    pub(super) numeric_key: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) categorical_keys: Vec<String>,
    #[serde(default)]
    pub(super) lookup: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) out_of_range: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) filter: BTreeMap<String, Scalar>,
    #[serde(default)]
    pub(super) source: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAttribute {
    #[serde(default)]
    pub(super) dist: Option<Spanned<RawDist>>,
    #[serde(default)]
    pub(super) categorical: Option<BTreeMap<String, Spanned<f64>>>,
    #[serde(default)]
    pub(super) min: Option<f64>,
    #[serde(default)]
    pub(super) max: Option<f64>,
    #[serde(default)]
    pub(super) source: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPopTable {
    pub(super) file: Spanned<String>,
    pub(super) columns: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) weight: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) source: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPopulation {
    #[serde(default)]
    pub(super) attributes: BTreeMap<String, Spanned<RawAttribute>>,
    #[serde(default)]
    pub(super) table: Option<Spanned<RawPopTable>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVariable {
    pub(super) expr: Spanned<String>,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    pub(super) description: Option<String>,
}

/// A clock or counter per individual (`trackers`); which fields apply depends on `type`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTracker {
    #[serde(rename = "type")]
    pub(super) kind: Spanned<String>,
    #[serde(default)]
    pub(super) states: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) restart: Option<Spanned<bool>>,
    #[serde(default)]
    pub(super) outside: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) enter: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) transitions: Option<Spanned<Vec<Spanned<RawTrackedTransition>>>>,
    #[serde(default)]
    pub(super) initial: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) max: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    pub(super) description: Option<String>,
}

/// A transition a counter counts.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrackedTransition {
    pub(super) from: Spanned<String>,
    pub(super) to: Spanned<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawState {
    pub(super) id: Spanned<String>,
    #[serde(default)]
    pub(super) label: Option<Spanned<String>>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) utility: Option<Spanned<Scalar>>,
    #[serde(default)]
    pub(super) costs: Option<BTreeMap<String, Spanned<Scalar>>>,
    #[serde(default)]
    pub(super) absorbing: bool,
    #[serde(default)]
    pub(super) alive: Option<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransition {
    pub(super) from: Spanned<String>,
    pub(super) to: Spanned<String>,
    pub(super) probability: Spanned<Scalar>,
    #[serde(default)]
    pub(super) cost: BTreeMap<String, Spanned<Scalar>>,
    #[serde(default)]
    pub(super) qaly_loss: Option<Spanned<Scalar>>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    pub(super) note: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStrategy {
    pub(super) id: Spanned<String>,
    #[serde(default)]
    pub(super) label: Option<Spanned<String>>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text for readers of the scenario")]
    pub(super) description: Option<String>,
    pub(super) initial: Spanned<RawInitial>,
    #[serde(default)]
    pub(super) parameters: BTreeMap<String, Spanned<Scalar>>,
    #[serde(default)]
    pub(super) start_costs: BTreeMap<String, Spanned<Scalar>>,
    #[serde(default)]
    pub(super) transitions: Vec<Spanned<RawTransition>>,
}

/// The (line, column) a spanned value starts at.
pub(super) fn loc<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

/// Map entries in file order (a BTreeMap sorts by key; the span restores the author's order).
pub(super) fn in_file_order<T>(map: BTreeMap<String, Spanned<T>>) -> Vec<(String, Spanned<T>)> {
    let mut entries: Vec<_> = map.into_iter().collect();
    entries.sort_by_key(|(_, v)| (v.referenced.line(), v.referenced.column()));
    entries
}
