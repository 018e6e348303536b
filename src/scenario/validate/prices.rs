//! Prices in one price year: `settings.price_index` names a lookup table by year, and a
//! parameter with `price_year` has its value, distribution and one-way bounds multiplied by
//! the index factor from that year to `meta.price_year`. The arithmetic is done here, once,
//! so every later stage sees prices of one year and the report says which were indexed.

use std::collections::HashMap;

use serde_saphyr::Spanned;

use crate::model::table::Table;
use crate::model::{Param, ParamDef, PriceIndexing};

use super::super::raw::{RawParam, RawPriceIndex, loc};
use super::Validator;

/// What the index table's value column holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum IndexKind {
    /// A price level (for example CPI, 2015 = 100): factor = level(target) / level(year).
    Level,
    /// The factor that converts a price of that year to the table's base year (as CBS and
    /// the tatooheene package publish them): factor = F(year) / F(target).
    Factor,
}

/// The resolved `settings.price_index`.
pub(super) struct PriceIndex {
    table: usize,
    kind: IndexKind,
    /// The table's value in `meta.price_year`.
    at_target: f64,
}

/// Years a price index can name: whole numbers in a plausible range.
const YEARS: std::ops::RangeInclusive<f64> = 1800.0..=2200.0;

impl Validator {
    /// Resolve `settings.price_index` and index every parameter that names a price year.
    pub(super) fn index_prices(
        &mut self,
        raw: Option<&Spanned<RawPriceIndex>>,
        price_year: Option<i64>,
        raw_params: &[(String, Spanned<RawParam>)],
        tables: &[Table],
        index_of: &HashMap<String, usize>,
        params: &mut [Param],
    ) {
        let index = self.price_index(raw, tables, price_year);
        for (pname, p) in raw_params {
            let Some(&id) = index_of.get(pname) else {
                continue;
            };
            let path = format!("parameters.{pname}");
            self.index_price(&p.value, &path, index.as_ref(), tables, &mut params[id]);
        }
    }

    /// `settings.price_index` checked against the tables and `meta.price_year`.
    fn price_index(
        &mut self,
        raw: Option<&Spanned<RawPriceIndex>>,
        tables: &[Table],
        price_year: Option<i64>,
    ) -> Option<PriceIndex> {
        let raw = raw?;
        let path = "settings.price_index";
        let kind = match raw.value.kind.value.as_str() {
            "level" => Some(IndexKind::Level),
            "factor" => Some(IndexKind::Factor),
            other => {
                self.error(loc(&raw.value.kind), format!("{path}.kind"), format!("unknown index kind `{other}`; expected `level` (a price level such as CPI, 2015 = 100) or `factor` (the factor from each year to the table's base year)"));
                None
            }
        };
        let name = &raw.value.table;
        let Some(table) = tables.iter().position(|t| t.name == name.value) else {
            let known: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
            self.unknown(
                loc(name),
                &format!("{path}.table"),
                "table",
                &name.value,
                &known,
            );
            return None;
        };
        let t = &tables[table];
        if t.numeric_key.is_none() || !t.categorical_keys.is_empty() {
            self.error(loc(name), format!("{path}.table"), format!("table `{}` cannot index prices; expected a table with one numeric key (the year) and no categorical keys", t.name));
            return None;
        }
        let Some(target) = price_year else {
            self.error(
                loc(raw),
                path,
                "a price index needs the year to index to; expected `meta.price_year`",
            );
            return None;
        };
        let at_target = self.index_value(t, target as f64, loc(raw), path, "meta.price_year")?;
        Some(PriceIndex {
            table,
            kind: kind?,
            at_target,
        })
    }

    /// The table's value in `year`, when the table has a row for that year and it is a
    /// positive finite number.
    fn index_value(
        &mut self,
        t: &Table,
        year: f64,
        at: (u64, u64),
        path: &str,
        what: &str,
    ) -> Option<f64> {
        let v = t.lookup(&[year]);
        if t.has_key(year) && v.is_finite() && v > 0.0 {
            return Some(v);
        }
        self.error(at, path, format!("the price index `{}` has no positive value for {what} {year}; expected a row for that year", t.name));
        None
    }

    /// Index one plain parameter given in `price_year` to the scenario's price year.
    fn index_price(
        &mut self,
        p: &RawParam,
        path: &str,
        index: Option<&PriceIndex>,
        tables: &[Table],
        param: &mut Param,
    ) {
        let Some(year) = &p.price_year else { return };
        let ypath = format!("{path}.price_year");
        if !(year.value.fract() == 0.0 && YEARS.contains(&year.value)) {
            self.error(
                loc(year),
                ypath,
                format!(
                    "price year {} is not a year; expected a whole number between 1800 and 2200",
                    year.value
                ),
            );
            return;
        }
        let Some(index) = index else {
            self.error(loc(year), ypath, "a price year needs a price index to convert it; expected `settings.price_index` and `meta.price_year`");
            return;
        };
        let ParamDef::Value { value, dist } = &param.def else {
            self.error(loc(year), ypath, "a derived parameter (`expr`) is indexed through the prices it uses; remove `price_year` or give a `value`");
            return;
        };
        let t = &tables[index.table];
        let Some(at_year) = self.index_value(t, year.value, loc(year), &ypath, "price year") else {
            return;
        };
        let factor = match index.kind {
            IndexKind::Level => index.at_target / at_year,
            IndexKind::Factor => at_year / index.at_target,
        };
        let dist = match dist {
            Some(d) => match d.scaled(factor) {
                Some(scaled) => Some(scaled),
                None => {
                    let at = p.dist.as_ref().map_or(loc(year), loc);
                    self.error(at, format!("{path}.dist"), format!("a {} distribution cannot be multiplied by a price index; expected gamma, lognormal, normal, uniform or fixed for a price", d.name()));
                    return;
                }
            },
            None => None,
        };
        param.def = ParamDef::Value {
            value: value * factor,
            dist,
        };
        param.low = param.low.map(|x| x * factor);
        param.high = param.high.map(|x| x * factor);
        param.price = Some(PriceIndexing {
            year: year.value as i64,
            factor,
        });
    }
}
