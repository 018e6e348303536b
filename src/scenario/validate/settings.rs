//! The `settings` section: cycle and horizon, discounting (its timing conventions are in
//! `conventions`), the number of individuals, cost categories and perspectives,
//! willingness to pay, the reference strategy and the PSA settings.

use serde_saphyr::Spanned;

use crate::model::{Perspective, PsaSettings, Settings, StrategyId, TimeUnit};

use super::super::raw::{RawDuration, RawPsa, RawSettings, in_file_order, loc};
use super::{Validator, is_identifier};

/// Largest accepted number of individuals (memory does not grow with it, time does).
pub const MAX_INDIVIDUALS: f64 = 1e9;
/// Largest accepted number of cycles.
pub const MAX_CYCLES: f64 = 100_000.0;
/// Largest accepted willingness to pay per QALY (`wtp`, `psa.wtp_max`): a trillion, far above
/// any threshold in any currency, and far enough from the largest `f64` that wtp × QALYs and
/// the acceptability grid cannot overflow.
pub const MAX_WTP: f64 = 1e12;
/// Largest accepted population per year for population EVPI: more than the world's population.
pub const MAX_POPULATION_PER_YEAR: f64 = 1e10;

impl Validator {
    /// The settings, with the cost categories and perspectives they define; the settings
    /// are `None` when one of them is unusable (the other sections are still checked).
    pub(super) fn settings(
        &mut self,
        s: &Spanned<RawSettings>,
        strategy_names: &[String],
    ) -> (Vec<String>, Vec<Perspective>, Option<Settings>) {
        let rs = &s.value;
        let mut ok = true;
        let cycle = self.duration(&rs.cycle, "settings.cycle");
        let horizon = self.duration(&rs.horizon, "settings.horizon");
        let n_cycles = self.n_cycles(rs, cycle, horizon, &mut ok);
        let d = &rs.discount.value;
        let rc = self.rate(&d.costs, "settings.discount.costs", &mut ok);
        let re = self.rate(&d.effects, "settings.discount.effects", &mut ok);
        let timing = self.discount_timing(d, &mut ok);
        let compounding = self.compounding(d, &mut ok);
        let cycle_years = cycle.map_or(1.0, |(l, u)| l * u.years());
        let within = self.within_cycle(rs, n_cycles, cycle_years, &mut ok);
        let transition_timing = self.transition_timing(rs, &mut ok);
        let n_individuals = self.individuals(&rs.individuals, &mut ok);
        let categories = self.cost_categories(&rs.cost_categories);
        let perspectives = self.perspectives(s, &categories, &mut ok);
        let wtp = self.wtp(&rs.wtp);
        let reference = self.reference_strategy(rs, strategy_names, &mut ok);
        let (cycle_length, cycle_unit) = cycle.unwrap_or((1.0, TimeUnit::Years));
        let settings = Settings {
            cycle_length,
            cycle_unit,
            n_cycles,
            discount_rate_costs_annual: rc,
            discount_rate_effects_annual: re,
            discount_timing: timing,
            discount_compounding: compounding,
            within_cycle: within,
            transition_timing,
            n_individuals,
            seed: rs.seed.value,
            wtp_per_qaly: wtp,
            reference_strategy: StrategyId(reference),
            psa: self.psa(rs.psa.as_ref(), n_individuals, &mut ok),
        };
        (categories, perspectives, ok.then_some(settings))
    }

    /// A positive length in a known time unit.
    fn duration(&mut self, d: &Spanned<RawDuration>, path: &str) -> Option<(f64, TimeUnit)> {
        let length = self.finite(&d.value.length, &format!("{path}.length"))?;
        if length <= 0.0 {
            self.error(
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
                self.unknown(
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
    }

    /// The horizon as a whole number of cycles (0 when it is not one).
    fn n_cycles(
        &mut self,
        rs: &RawSettings,
        cycle: Option<(f64, TimeUnit)>,
        horizon: Option<(f64, TimeUnit)>,
        ok: &mut bool,
    ) -> usize {
        let (Some((cl, cu)), Some((hl, hu))) = (cycle, horizon) else {
            *ok = false;
            return 0;
        };
        let ratio = hl * hu.years() / (cl * cu.years());
        let rounded = ratio.round();
        if (ratio - rounded).abs() > 1e-6 * ratio.max(1.0) || rounded < 1.0 {
            self.error(loc(&rs.horizon), "settings.horizon", format!("the horizon ({hl} {}) is {ratio:.4} cycles of {cl} {}; expected a whole number of cycles, at least one", hu.as_str(), cu.as_str()));
            *ok = false;
            0
        } else if rounded > MAX_CYCLES {
            self.error(loc(&rs.horizon), "settings.horizon", format!("the horizon is {rounded} cycles; expected at most {MAX_CYCLES} (use a longer cycle)"));
            *ok = false;
            0
        } else {
            rounded as usize
        }
    }

    /// An annual discount rate in [0, 1).
    fn rate(&mut self, x: &Spanned<f64>, path: &str, ok: &mut bool) -> f64 {
        match self.finite(x, path) {
            Some(r) if (0.0..1.0).contains(&r) => r,
            Some(r) => {
                self.error(
                    loc(x),
                    path,
                    format!("expected an annual discount rate in [0, 1) such as 0.03, found {r}"),
                );
                *ok = false;
                0.0
            }
            None => {
                *ok = false;
                0.0
            }
        }
    }

    fn individuals(&mut self, v: &Spanned<f64>, ok: &mut bool) -> usize {
        match self.finite(v, "settings.individuals") {
            Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= MAX_INDIVIDUALS => n as usize,
            Some(n) => {
                self.error(loc(v), "settings.individuals", format!("expected a whole number of individuals from 1 to {MAX_INDIVIDUALS:e}, found {n}"));
                *ok = false;
                0
            }
            None => {
                *ok = false;
                0
            }
        }
    }

    /// The cost categories as written (invalid or repeated ones reported, still listed).
    fn cost_categories(&mut self, raw: &[Spanned<String>]) -> Vec<String> {
        let mut categories = Vec::new();
        for (i, c) in raw.iter().enumerate() {
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
        categories
    }

    /// Each perspective: which cost categories it counts. At least one is required.
    fn perspectives(
        &mut self,
        s: &Spanned<RawSettings>,
        categories: &[String],
        ok: &mut bool,
    ) -> Vec<Perspective> {
        let mut perspectives = Vec::new();
        for (pname, list) in in_file_order(s.value.perspectives.clone()) {
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
                        categories,
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
            *ok = false;
        }
        perspectives
    }

    /// Willingness-to-pay thresholds; invalid ones are reported and left out.
    fn wtp(&mut self, raw: &[Spanned<f64>]) -> Vec<f64> {
        let mut wtp = Vec::new();
        for (i, w) in raw.iter().enumerate() {
            match self.finite(w, &format!("settings.wtp[{i}]")) {
                Some(x) if (0.0..=MAX_WTP).contains(&x) => wtp.push(x),
                Some(x) if x < 0.0 => self.error(
                    loc(w),
                    format!("settings.wtp[{i}]"),
                    format!("expected a non-negative willingness to pay per QALY, found {x}"),
                ),
                Some(x) => self.error(
                    loc(w),
                    format!("settings.wtp[{i}]"),
                    format!(
                        "expected a willingness to pay per QALY of at most {MAX_WTP:e}, found {x:e}"
                    ),
                ),
                None => {}
            }
        }
        wtp
    }

    /// The index of the reference strategy (the first when none is named).
    fn reference_strategy(
        &mut self,
        rs: &RawSettings,
        strategy_names: &[String],
        ok: &mut bool,
    ) -> usize {
        match &rs.reference_strategy {
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
                    *ok = false;
                    0
                }
            },
        }
    }

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

    /// The `settings.psa` block, with defaults for what it leaves out; any problem in it
    /// makes the settings unusable (`ok` turns false).
    fn psa(
        &mut self,
        raw: Option<&Spanned<RawPsa>>,
        individuals: usize,
        ok: &mut bool,
    ) -> PsaSettings {
        let mut psa = PsaSettings {
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
                Some(x) if x > 0.0 && x <= MAX_WTP => psa.wtp_max = x,
                Some(x) if x <= 0.0 => self.error(
                    loc(v),
                    "settings.psa.wtp_max",
                    format!("expected a positive willingness to pay, found {x}"),
                ),
                Some(x) => self.error(
                    loc(v),
                    "settings.psa.wtp_max",
                    format!("expected a willingness to pay of at most {MAX_WTP:e}, found {x:e}"),
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
                Some(x) if (0.0..=MAX_POPULATION_PER_YEAR).contains(&x) => {
                    psa.population_per_year = x
                }
                Some(x) if x < 0.0 => self.error(
                    loc(&rp.per_year),
                    "settings.psa.population.per_year",
                    format!("expected a non-negative number of people per year, found {x}"),
                ),
                Some(x) => self.error(
                    loc(&rp.per_year),
                    "settings.psa.population.per_year",
                    format!("expected at most {MAX_POPULATION_PER_YEAR:e} people per year (more than the world's population), found {x:e}"),
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
}
