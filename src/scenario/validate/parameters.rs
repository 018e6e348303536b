//! The `parameters` and `dirichlet` sections: names declared first (so that expressions
//! can refer to parameters defined later in the file), Dirichlet groups, then each
//! parameter's value and distribution or expression; and the dependency order of derived
//! parameters, which must not form a cycle.

use std::collections::{BTreeMap, HashMap};

use serde_saphyr::Spanned;

use crate::dist;
use crate::model::table::Table;
use crate::model::{DirichletGroup, Param, ParamDef, ParamId, Population};

use super::super::raw::{
    RawDirichlet, RawLabel, RawParam, RawPriceIndex, Scalar, in_file_order, loc,
};
use super::names::Names;
use super::{Validator, is_builtin, is_identifier};

/// The parameters declared so far, by position, with a name index and each one's place
/// in the file.
pub(super) struct Declared {
    pub(super) params: Vec<Param>,
    pub(super) index: HashMap<String, usize>,
    pub(super) locs: Vec<(u64, u64)>,
}

impl Validator {
    /// Declare the plain parameters (value not yet known), checking their names.
    pub(super) fn declare_params(
        &mut self,
        raw_params: &[(String, Spanned<RawParam>)],
        tables: &[Table],
        population: &Population,
    ) -> Declared {
        let mut declared = Declared {
            params: Vec::new(),
            index: HashMap::new(),
            locs: Vec::new(),
        };
        for (pname, p) in raw_params {
            let clash = tables.iter().any(|t| t.name == *pname)
                || population.attributes.iter().any(|a| a.name == *pname)
                || is_builtin(pname);
            if !is_identifier(pname) || clash {
                self.error(loc(p), format!("parameters.{pname}"), format!("invalid parameter name `{pname}`; expected letters, digits and underscores, starting with a letter, and not the name of a table, attribute or built-in variable"));
            }
            declared.index.insert(pname.clone(), declared.params.len());
            declared.locs.push(loc(p));
            declared.params.push(Param {
                name: pname.clone(),
                label: None,
                def: ParamDef::Value {
                    value: f64::NAN,
                    dist: None,
                },
                source: p.value.source.clone(),
                low: None,
                high: None,
                expr: None,
                price: None,
            });
        }
        declared
    }

    /// The Dirichlet groups; their members are declared as parameters whose point values
    /// are the normalised concentrations.
    pub(super) fn dirichlet(
        &mut self,
        raw: BTreeMap<String, Spanned<RawDirichlet>>,
        declared: &mut Declared,
    ) -> Vec<DirichletGroup> {
        let mut dirichlet = Vec::new();
        for (gname, g) in in_file_order(raw) {
            let group = self.dirichlet_group(gname, g, dirichlet.len(), declared);
            dirichlet.push(group);
        }
        dirichlet
    }

    /// One Dirichlet group, the `group`-th.
    fn dirichlet_group(
        &mut self,
        gname: String,
        g: Spanned<RawDirichlet>,
        group: usize,
        declared: &mut Declared,
    ) -> DirichletGroup {
        let path = format!("dirichlet.{gname}");
        let at = loc(&g);
        if g.value.source.is_none() {
            self.warning(
                at,
                &path,
                "no `source`: its members are listed as assumptions in every output",
            );
        }
        let members = in_file_order(g.value.alpha);
        let mut alpha = Vec::new();
        let mut ids = Vec::new();
        for (mname, a) in &members {
            let mpath = format!("{path}.alpha.{mname}");
            if declared.index.contains_key(mname) {
                self.error(
                    loc(a),
                    &mpath,
                    format!("parameter `{mname}` is defined twice; expected each name once across `parameters` and `dirichlet`"),
                );
                continue;
            }
            if !is_identifier(mname) {
                self.error(loc(a), &mpath, format!("invalid parameter name `{mname}`; expected letters, digits and underscores, starting with a letter"));
            }
            let value = self.finite(a, &mpath).unwrap_or(1.0);
            declared.index.insert(mname.clone(), declared.params.len());
            declared.locs.push(loc(a));
            ids.push(ParamId(declared.params.len()));
            alpha.push(value);
            declared.params.push(Param {
                name: mname.clone(),
                label: None,
                def: ParamDef::Dirichlet {
                    group,
                    value: f64::NAN,
                },
                source: g.value.source.clone(),
                low: None,
                high: None,
                expr: None,
                price: None,
            });
        }
        let names: Vec<String> = members.iter().map(|(m, _)| m.clone()).collect();
        for (mname, l) in &g.value.labels {
            let lpath = format!("{path}.labels.{mname}");
            let member = declared.index.get(mname).copied().filter(|&i| {
                matches!(declared.params[i].def, ParamDef::Dirichlet { group: g, .. } if g == group)
            });
            match member {
                Some(i) => declared.params[i].label = self.param_label(l, &lpath),
                None => self.unknown(loc(l), &lpath, "member", mname, &names),
            }
        }
        if let Err(e) = dist::check_dirichlet(&alpha) {
            self.error(at, format!("{path}.alpha"), e.to_string());
        } else {
            let total: f64 = alpha.iter().sum();
            for (id, a) in ids.iter().zip(&alpha) {
                declared.params[id.0].def = ParamDef::Dirichlet {
                    group,
                    value: a / total,
                };
            }
        }
        DirichletGroup {
            name: gname,
            members: ids,
            alpha,
            source: g.value.source,
        }
    }

    /// Define each plain parameter: its bounds, and its value (with a distribution) or its
    /// expression over other parameters (`names`); then index the prices that name a price
    /// year with `prices` (`settings.price_index` and `meta.price_year`).
    pub(super) fn define_params(
        &mut self,
        raw_params: &[(String, Spanned<RawParam>)],
        params: &mut [Param],
        locs: &[(u64, u64)],
        names: &Names<'_>,
        prices: (Option<&Spanned<RawPriceIndex>>, Option<i64>),
    ) {
        for (pname, p) in raw_params {
            let path = format!("parameters.{pname}");
            let id = names.params[pname];
            let p = &p.value;
            if p.source.is_none() {
                self.warning(
                    locs[id],
                    &path,
                    "no `source`: the parameter is listed as an assumption in every output",
                );
            }
            if let Some(l) = &p.label {
                params[id].label = self.param_label(l, &format!("{path}.label"));
            }
            self.bounds(p, &path, &mut params[id]);
            self.definition(p, &path, locs[id], &mut params[id], names);
        }
        let (index, year) = prices;
        self.index_prices(index, year, raw_params, names.tables, names.params, params);
    }

    /// A parameter's `label`: text that is not blank (a blank one would leave its bars and
    /// rows unnamed), cut like every label.
    fn param_label(&mut self, label: &Spanned<RawLabel>, path: &str) -> Option<String> {
        let label = Spanned::new(label.value.0.clone(), label.referenced, label.defined);
        if label.value.trim().is_empty() {
            self.error(
                loc(&label),
                path,
                format!(
                    "the label is {}; expected the text readers see for the parameter, or no `label` (then one is derived from its name)",
                    if label.value.is_empty() { "empty" } else { "blank" }
                ),
            );
            return None;
        }
        Some(self.label(&label, path))
    }

    /// The `low` and `high` of a parameter (for one-way sensitivity analysis).
    fn bounds(&mut self, p: &RawParam, path: &str, param: &mut Param) {
        param.low = p
            .low
            .as_ref()
            .and_then(|v| self.finite(v, &format!("{path}.low")));
        param.high = p
            .high
            .as_ref()
            .and_then(|v| self.finite(v, &format!("{path}.high")));
        if let (Some(lo), Some(hi), Some(at)) = (param.low, param.high, p.low.as_ref())
            && lo > hi
        {
            self.error(
                loc(at),
                format!("{path}.low"),
                format!("`low` ({lo}) is above `high` ({hi}); expected low <= high"),
            );
        }
    }

    /// Exactly one of `value` (with an optional `dist`) or `expr`.
    fn definition(
        &mut self,
        p: &RawParam,
        path: &str,
        at: (u64, u64),
        param: &mut Param,
        names: &Names<'_>,
    ) {
        match (&p.value, &p.expr) {
            (Some(v), None) => {
                let value = self.finite(v, &format!("{path}.value")).unwrap_or(0.0);
                let dist = p
                    .dist
                    .as_ref()
                    .and_then(|d| self.dist(d, Some(value), &format!("{path}.dist")));
                param.def = ParamDef::Value { value, dist };
            }
            (None, Some(e)) => {
                if let Some(d) = &p.dist {
                    self.error(
                        loc(d),
                        format!("{path}.dist"),
                        "a derived parameter (`expr`) takes its uncertainty from the parameters it uses; remove `dist` or give a `value`",
                    );
                }
                if let Some(prog) = self.compile(
                    loc(e),
                    &format!("{path}.expr"),
                    &Scalar::Text(e.value.clone()),
                    names,
                ) {
                    param.def = ParamDef::Derived(prog);
                    param.expr = Some(e.value.clone());
                }
            }
            (Some(v), Some(_)) => self.error(
                loc(v),
                path,
                "both `value` and `expr` given; expected exactly one",
            ),
            (None, None) => self.error(
                at,
                path,
                "neither `value` nor `expr` given; expected exactly one",
            ),
        }
    }

    /// Topological order of the parameters for one strategy; reports cycles.
    pub(super) fn param_order(
        &mut self,
        defs: &[ParamDef],
        params: &[Param],
        path: &str,
        at: (u64, u64),
    ) -> Vec<ParamId> {
        let n = defs.len();
        // 0 = unvisited, 1 = in progress, 2 = done.
        let mut mark = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        let mut reported = false;
        for start in 0..n {
            if mark[start] != 0 {
                continue;
            }
            // Iterative DFS so a long chain cannot overflow the stack.
            let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, deps(&defs[start]))];
            mark[start] = 1;
            while let Some((node, pending)) = stack.last_mut() {
                let node = *node;
                match pending.pop() {
                    Some(d) if mark[d] == 0 => {
                        mark[d] = 1;
                        stack.push((d, deps(&defs[d])));
                    }
                    Some(d) if mark[d] == 1 => {
                        if !reported {
                            let mut cycle: Vec<&str> = stack
                                .iter()
                                .map(|(x, _)| params[*x].name.as_str())
                                .skip_while(|x| *x != params[d].name)
                                .collect();
                            cycle.push(&params[d].name);
                            self.error(at, path, format!("cyclic derived parameters: {}; expected each parameter to depend only on parameters defined without it", cycle.join(" → ")));
                            reported = true;
                        }
                    }
                    Some(_) => {}
                    None => {
                        mark[node] = 2;
                        order.push(ParamId(node));
                        stack.pop();
                    }
                }
            }
        }
        order
    }
}

/// The parameters a definition uses directly.
fn deps(def: &ParamDef) -> Vec<usize> {
    match def {
        ParamDef::Derived(p) => p.params().collect(),
        _ => Vec::new(),
    }
}
