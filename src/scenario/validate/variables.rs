//! The `variables` section: named individual-level expressions (over time, attributes,
//! parameters and each other), evaluated per individual after the attributes. Their names
//! must not clash with other names, and they must not depend on each other in a cycle.

use serde_saphyr::Spanned;

use crate::expr::Program;
use crate::model::{MAX_VARIABLES, Variable};

use super::super::raw::{RawVariable, Scalar, loc};
use super::names::Names;
use super::{Validator, is_builtin, is_identifier};

impl Validator {
    /// Check the variables' names and number; `names` holds the parameters, tables and
    /// attributes they must not clash with.
    pub(super) fn variable_names(
        &mut self,
        raw_variables: &[(String, Spanned<RawVariable>)],
        names: &Names<'_>,
    ) {
        for (vname, v) in raw_variables {
            let path = format!("variables.{vname}");
            let clash = names.params.contains_key(vname)
                || names.tables.iter().any(|t| t.name == *vname)
                || names.attributes.iter().any(|a| a.name == *vname)
                || is_builtin(vname);
            if !is_identifier(vname) || clash {
                self.error(loc(v), &path, format!("invalid variable name `{vname}`; expected an identifier not used by a parameter, table, attribute or built-in variable"));
            }
        }
        if raw_variables.len() > MAX_VARIABLES {
            self.error(
                (0, 0),
                "variables",
                format!(
                    "{} variables defined; expected at most {}",
                    raw_variables.len(),
                    MAX_VARIABLES
                ),
            );
        }
    }

    /// Compile the variables against `names` (which has them in scope) and check that
    /// they form no cycle. A variable that does not compile evaluates to NaN.
    pub(super) fn variables(
        &mut self,
        raw_variables: &[(String, Spanned<RawVariable>)],
        names: &Names<'_>,
    ) -> Vec<Variable> {
        let first_variable = names.first_variable();
        let mut variables = Vec::new();
        for (vname, v) in raw_variables {
            let rv = &v.value;
            let program = self
                .compile(
                    loc(&rv.expr),
                    &format!("variables.{vname}.expr"),
                    &Scalar::Text(rv.expr.value.clone()),
                    names,
                )
                .unwrap_or_else(|| Program::constant(f64::NAN));
            variables.push(Variable {
                name: vname.clone(),
                program,
                source: rv.source.clone(),
            });
        }
        self.variable_cycles(&variables, first_variable, raw_variables);
        variables
    }

    /// Report a cycle among individual-level variables (they must form a DAG).
    fn variable_cycles(
        &mut self,
        variables: &[Variable],
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
