//! A strategy's parameter values (overrides, then derived parameters in dependency
//! order) and the evaluation of parameter-only expressions.

use crate::expr::{Env, Program};
use crate::model::table::Table;
use crate::model::{Model, ParamDef, Strategy};

/// Evaluation environment with parameters and tables only (no individual variables).
pub struct ParamEnv<'a> {
    pub values: &'a [f64],
    pub tables: &'a [Table],
}

impl Env for ParamEnv<'_> {
    fn param(&self, i: usize) -> f64 {
        self.values[i]
    }
    fn var(&self, _: usize) -> f64 {
        // Validation only gives parameter expressions a resolver without variables.
        f64::NAN
    }
    fn lookup(&self, table: usize, args: &[f64]) -> f64 {
        self.tables[table].lookup(args)
    }
}

/// All parameter values for one strategy: base values (point or drawn), the strategy's
/// overrides, then derived parameters in dependency order.
pub fn evaluate(model: &Model, strategy: &Strategy, base: &[f64]) -> Vec<f64> {
    let mut values = base.to_vec();
    for id in &strategy.param_order {
        let i = id.0;
        values[i] = match &strategy.params[i] {
            ParamDef::Derived(p) => eval(p, &values, &model.tables),
            ParamDef::Value { value, .. } if strategy.overridden[i] => *value,
            _ => base[i],
        };
    }
    values
}

/// Evaluate a parameter-only program.
pub fn eval(p: &Program, values: &[f64], tables: &[Table]) -> f64 {
    p.eval(&ParamEnv { values, tables })
}
