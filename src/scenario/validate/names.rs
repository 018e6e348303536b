//! The names an expression in a scenario may use, by place: parameters, tables and
//! `cycle_years` everywhere; individual variables (time, attributes, `variables`) only where
//! an individual is in scope. Expressions compile against this resolver.

use std::collections::HashMap;

use crate::expr::{Resolver, Symbol};
use crate::model::table::Table;
use crate::model::{Attribute, AttributeDist, Tracker, var};

/// Names an expression may use, depending on where it is.
pub(super) struct Names<'a> {
    pub(super) params: &'a HashMap<String, usize>,
    pub(super) tables: &'a [Table],
    pub(super) attributes: &'a [Attribute],
    pub(super) levels: &'a [String],
    /// Whether individual variables (time, attributes, `variables`) are in scope.
    pub(super) with_vars: bool,
    /// The clocks and counters, whose readings follow the attribute slots.
    pub(super) trackers: &'a [Tracker],
    /// Names of the individual-level variables, after the tracker slots.
    pub(super) variables: &'a [String],
    pub(super) cycle_years: f64,
}

impl Names<'_> {
    /// Slot of the first individual-level variable: after built-ins, attributes and trackers.
    pub(super) fn first_variable(&self) -> usize {
        var::FIRST_ATTRIBUTE
            + self.attributes.len()
            + self.trackers.iter().map(Tracker::n_slots).sum::<usize>()
    }
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
        for t in self.trackers {
            if t.name == name {
                return Some(Symbol::Var(t.slot));
            }
            if t.is_clock() && name.strip_suffix("_years") == Some(t.name.as_str()) {
                return Some(Symbol::Var(t.slot + 1));
            }
        }
        self.variables
            .iter()
            .position(|v| v == name)
            .map(|j| Symbol::Var(self.first_variable() + j))
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.params.keys().cloned().collect();
        names.sort();
        names.extend(self.tables.iter().map(|t| t.name.clone()));
        names.push("cycle_years".into());
        if self.with_vars {
            names.extend(var::BUILTIN.iter().map(|s| s.to_string()));
            names.extend(self.attributes.iter().map(|a| a.name.clone()));
            for t in self.trackers {
                names.push(t.name.clone());
                if t.is_clock() {
                    names.push(format!("{}_years", t.name));
                }
            }
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
