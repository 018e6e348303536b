//! The `population` section: individual attributes drawn from a distribution (continuous,
//! truncated to [min, max]) or categorical levels, and an optional empirical population
//! table whose rows are resampled (read by `empirical`).

use serde_saphyr::Spanned;

use crate::model::{Attribute, AttributeDist, Population, var};

use super::super::input::read_input;
use super::super::raw::{RawAttribute, RawPopTable, RawPopulation, in_file_order, loc};
use super::empirical::empirical;
use super::{Validator, is_identifier};

impl Validator {
    /// The population; categorical levels get codes from `level_code`.
    pub(super) fn population(
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
            let Some(dist) = self.attribute(&a, &path, level_code) else {
                continue;
            };
            if aname == "age" {
                pop.age = Some(pop.attributes.len());
            }
            pop.attributes.push(Attribute {
                name: aname,
                dist,
                source: a.value.source.clone(),
            });
        }
        if let Some(t) = raw.value.table {
            self.population_table(&t, &mut pop, level_code);
        }
        pop
    }

    /// An attribute's distribution: exactly one of `dist` or `categorical`.
    fn attribute(
        &mut self,
        a: &Spanned<RawAttribute>,
        path: &str,
        level_code: &mut dyn FnMut(&str) -> usize,
    ) -> Option<AttributeDist> {
        let ra = &a.value;
        match (&ra.dist, &ra.categorical) {
            (Some(d), None) => {
                let dist = self.dist(d, None, &format!("{path}.dist"))?;
                let (lo, hi) = dist.support();
                let min = ra.min.unwrap_or(lo);
                let max = ra.max.unwrap_or(hi);
                if min.is_nan() || max.is_nan() || min > max {
                    self.error(
                        loc(a),
                        path,
                        format!("expected min <= max, found min {min} and max {max}"),
                    );
                    return None;
                }
                Some(AttributeDist::Continuous { dist, min, max })
            }
            (None, Some(levels)) => {
                let mut codes = Vec::new();
                let mut probs = Vec::new();
                for (level, p) in in_file_order(levels.clone()) {
                    let Some(x) = self.finite(&p, &format!("{path}.categorical.{level}")) else {
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
                        loc(a),
                        format!("{path}.categorical"),
                        format!("the level probabilities sum to {total}; expected 1"),
                    );
                }
                Some(AttributeDist::Categorical {
                    levels: codes,
                    probs,
                })
            }
            _ => {
                self.error(
                    loc(a),
                    path,
                    "expected exactly one of `dist` or `categorical`",
                );
                None
            }
        }
    }

    /// Read the empirical population table (relative to the scenario) into `pop`.
    fn population_table(
        &mut self,
        t: &Spanned<RawPopTable>,
        pop: &mut Population,
        level_code: &mut dyn FnMut(&str) -> usize,
    ) {
        let path = "population.table";
        let rt = &t.value;
        let file = self.dir.join(&rt.file.value);
        self.inputs.push(file.clone());
        let text = match read_input(&file) {
            Ok(t) => t,
            Err(e) => {
                self.input_error(
                    &file,
                    &e,
                    (loc(&rt.file), &format!("{path}.file")),
                    "population file",
                );
                return;
            }
        };
        match empirical(&text, rt, pop, level_code) {
            Ok(e) => pop.empirical = Some(e),
            Err(e) => self.file_error(&file, e.line, path, e.message),
        }
    }
}
