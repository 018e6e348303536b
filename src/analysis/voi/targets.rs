//! What the EVPPI is computed for: single parameters and groups of them.

use crate::model::{Model, ParamDef, ParamId};
use crate::suggest::did_you_mean;

use super::super::AnalysisError;
use super::VoiRequest;

/// Where a target comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// One parameter.
    Parameter,
    /// A Dirichlet group of the scenario.
    Dirichlet,
    /// Parameters correlated with each other (a connected group of the correlation matrix).
    Correlation,
    /// A group of the scenario's `voi_groups`.
    Scenario,
    /// A group named on the command line (`NAME=a+b`), or `all`.
    Custom,
}

impl TargetKind {
    /// The name written in `evppi.csv`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Parameter => "parameter",
            TargetKind::Dirichlet => "dirichlet",
            TargetKind::Correlation => "correlation",
            TargetKind::Scenario => "scenario",
            TargetKind::Custom => "custom",
        }
    }
}

/// A parameter or a group of parameters whose EVPPI is computed.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    pub params: Vec<ParamId>,
    /// The parameters' names, in the same order.
    pub names: Vec<String>,
}

/// Parameters that vary between draws (the columns of `draws.csv`).
fn drawn(model: &Model, id: usize) -> bool {
    matches!(
        model.params[id].def,
        ParamDef::Value { dist: Some(_), .. } | ParamDef::Dirichlet { .. }
    )
}

fn target(model: &Model, name: &str, kind: TargetKind, params: Vec<ParamId>) -> Target {
    Target {
        name: name.to_string(),
        kind,
        names: params
            .iter()
            .map(|id| model.params[id.0].name.clone())
            .collect(),
        params,
    }
}

/// The groups every scenario offers: its Dirichlet groups, its groups of correlated
/// parameters (connected through non-zero correlations; `correlation`, or
/// `correlation_1`, `correlation_2`, … when there are several) and its `voi_groups`.
#[must_use]
pub fn known_groups(model: &Model) -> Vec<Target> {
    let mut out: Vec<Target> = model
        .dirichlet
        .iter()
        .map(|g| target(model, &g.name, TargetKind::Dirichlet, g.members.clone()))
        .collect();
    let components = correlated_components(model);
    let several = components.len() > 1;
    for (i, members) in components.into_iter().enumerate() {
        let name = if several {
            format!("correlation_{}", i + 1)
        } else {
            "correlation".to_string()
        };
        out.push(target(model, &name, TargetKind::Correlation, members));
    }
    for g in &model.voi_groups {
        out.push(target(
            model,
            &g.name,
            TargetKind::Scenario,
            g.members.clone(),
        ));
    }
    out
}

/// Groups of two or more parameters connected by non-zero correlations, each in the order
/// of the `correlation` section.
fn correlated_components(model: &Model) -> Vec<Vec<ParamId>> {
    let Some(c) = &model.correlation else {
        return Vec::new();
    };
    let k = c.params.len();
    // The correlation matrix is L·Lᵀ of its Cholesky factor.
    let corr = |i: usize, j: usize| -> f64 {
        (0..k)
            .map(|m| c.cholesky[i * k + m] * c.cholesky[j * k + m])
            .sum()
    };
    let mut component: Vec<usize> = (0..k).collect();
    let find = |component: &Vec<usize>, mut i: usize| {
        while component[i] != i {
            i = component[i];
        }
        i
    };
    for i in 0..k {
        for j in 0..i {
            if corr(i, j).abs() > 1e-12 {
                let (a, b) = (find(&component, i), find(&component, j));
                component[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: Vec<(usize, Vec<ParamId>)> = Vec::new();
    for i in 0..k {
        let root = find(&component, i);
        match groups.iter_mut().find(|(r, _)| *r == root) {
            Some((_, g)) => g.push(c.params[i]),
            None => groups.push((root, vec![c.params[i]])),
        }
    }
    groups
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| g.len() > 1)
        .collect()
}

/// A parameter named on the command line, which must vary between draws.
fn parameter(model: &Model, flag: &str, name: &str) -> Result<ParamId, AnalysisError> {
    let names: Vec<&str> = model.params.iter().map(|p| p.name.as_str()).collect();
    let Some(id) = names.iter().position(|n| *n == name) else {
        let hint = did_you_mean(name, names.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(AnalysisError::Invalid(format!(
            "{flag}: unknown parameter `{name}`{hint}"
        )));
    };
    if !drawn(model, id) {
        return Err(AnalysisError::Invalid(format!(
            "{flag}: parameter `{name}` does not vary between probabilistic draws; expected a parameter with a `dist` or a Dirichlet member"
        )));
    }
    Ok(ParamId(id))
}

/// The targets a request asks for: with neither parameters nor groups, every drawn
/// parameter (in the scenario's order) and then every known group.
pub fn targets(model: &Model, req: &VoiRequest) -> Result<Vec<Target>, AnalysisError> {
    let known = known_groups(model);
    let mut out: Vec<Target> = Vec::new();
    if req.params.is_empty() && req.groups.is_empty() {
        for id in (0..model.params.len()).filter(|&i| drawn(model, i)) {
            out.push(target(
                model,
                &model.params[id].name,
                TargetKind::Parameter,
                vec![ParamId(id)],
            ));
        }
        out.extend(known);
        return Ok(out);
    }
    for name in &req.params {
        let id = parameter(model, "--params", name)?;
        out.push(target(model, name, TargetKind::Parameter, vec![id]));
    }
    for spec in &req.groups {
        out.push(group(model, &known, spec)?);
    }
    for (i, t) in out.iter().enumerate() {
        if out[..i].iter().any(|u| u.name == t.name) {
            return Err(AnalysisError::Invalid(format!(
                "`{}` is asked for twice; expected each parameter or group once",
                t.name
            )));
        }
    }
    Ok(out)
}

/// One `--groups` entry: `all`, a known group's name, or `NAME=a+b+c`.
fn group(model: &Model, known: &[Target], spec: &str) -> Result<Target, AnalysisError> {
    if let Some((name, members)) = spec.split_once('=') {
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(AnalysisError::Invalid(format!(
                "--groups: `{spec}`: expected NAME=a+b+c with a name of letters, digits and underscores"
            )));
        }
        let mut params = Vec::new();
        for m in members.split('+').map(str::trim) {
            let id = parameter(model, "--groups", m)?;
            if params.contains(&id) {
                return Err(AnalysisError::Invalid(format!(
                    "--groups: `{spec}`: parameter `{m}` listed twice"
                )));
            }
            params.push(id);
        }
        return Ok(target(model, name, TargetKind::Custom, params));
    }
    if spec == "all" {
        let params = (0..model.params.len())
            .filter(|&i| drawn(model, i))
            .map(ParamId)
            .collect();
        return Ok(target(model, "all", TargetKind::Custom, params));
    }
    known
        .iter()
        .find(|g| g.name == spec)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = known.iter().map(|g| g.name.as_str()).collect();
            let hint = did_you_mean(spec, names.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    format!(
                        "; expected `all`, NAME=a+b+c, or one of: {}",
                        if names.is_empty() {
                            "(no groups in this scenario)".to_string()
                        } else {
                            names.join(", ")
                        }
                    )
                });
            AnalysisError::Invalid(format!("--groups: unknown group `{spec}`{hint}"))
        })
}
