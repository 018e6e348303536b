//! The `tables` section: lookup tables read from CSV files (relative to the scenario),
//! with their lookup and out-of-range rules. A problem inside a CSV file is reported at
//! its line in that file.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use crate::model::table::{self, Interpolation, OutOfRange, Table, TableSpec};

use super::super::input::read_input;
use super::super::raw::{RawTable, Scalar, in_file_order, loc};
use super::Validator;

impl Validator {
    /// The tables that could be read; categorical keys get codes from `level_code`.
    pub(super) fn tables(
        &mut self,
        raw: BTreeMap<String, Spanned<RawTable>>,
        level_code: &mut dyn FnMut(&str) -> usize,
    ) -> Vec<Table> {
        let mut tables = Vec::new();
        for (tname, t) in in_file_order(raw) {
            if let Some(table) = self.table(&tname, &t, level_code) {
                tables.push(table);
            }
        }
        tables
    }

    fn table(
        &mut self,
        tname: &str,
        t: &Spanned<RawTable>,
        level_code: &mut dyn FnMut(&str) -> usize,
    ) -> Option<Table> {
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
                return None;
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
                return None;
            }
        };
        let file = self.dir.join(&rt.file.value);
        self.inputs.push(file.clone());
        let text = match read_input(&file) {
            Ok(t) => t,
            Err(e) => {
                self.input_error(
                    &file,
                    &e,
                    (loc(&rt.file), &format!("{path}.file")),
                    "table file",
                );
                return None;
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
            name: tname,
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
                        loc(t),
                        &path,
                        "no `source`: say where the table's numbers come from",
                    );
                }
                table.source = rt.source.clone();
                Some(table)
            }
            Err(e) => {
                // The problem is inside the CSV: point there, and name the scenario field.
                self.file_error(&file, e.line, &path, e.message);
                None
            }
        }
    }
}
