//! What the command line prints: a model's summary, the base case's incremental table, and
//! the probabilistic analysis's findings.

use crate::analysis::psa::PsaFindings;
use crate::engine;
use crate::model::{Model, ParamDef};

/// A short description of a valid model.
pub fn summary(model: &Model) -> String {
    use std::fmt::Write as _;
    let s = &model.settings;
    let mut out = String::new();
    let _ = writeln!(out, "{}: valid", model.meta.title);
    let _ = writeln!(
        out,
        "  cycles: {} × {} {} (discount: costs {}, effects {}; within-cycle: {})",
        s.n_cycles,
        s.cycle_length,
        s.cycle_unit.as_str(),
        s.discount_rate_costs_annual,
        s.discount_rate_effects_annual,
        s.within_cycle.as_str()
    );
    let states: Vec<&str> = model.states.iter().map(|s| s.name.as_str()).collect();
    let _ = writeln!(out, "  states ({}): {}", states.len(), states.join(", "));
    for st in &model.strategies {
        let n: usize = st.rows.iter().map(Vec::len).sum();
        let overrides = st.overridden.iter().filter(|o| **o).count();
        let _ = writeln!(
            out,
            "  strategy {} ({}): {n} transitions, {overrides} parameter overrides",
            st.name, st.label
        );
    }
    let derived = model
        .params
        .iter()
        .filter(|p| matches!(p.def, ParamDef::Derived(_)))
        .count();
    let with_dist = model
        .params
        .iter()
        .filter(|p| {
            matches!(
                p.def,
                ParamDef::Value { dist: Some(_), .. } | ParamDef::Dirichlet { .. }
            )
        })
        .count();
    let _ = writeln!(
        out,
        "  parameters: {} ({derived} derived, {with_dist} with a distribution, {} assumptions)",
        model.params.len(),
        model.assumptions().len()
    );
    if !model.tables.is_empty() {
        let t: Vec<&str> = model.tables.iter().map(|t| t.name.as_str()).collect();
        let _ = writeln!(out, "  tables: {}", t.join(", "));
    }
    if !model.population.attributes.is_empty() {
        let a: Vec<&str> = model
            .population
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        let _ = writeln!(out, "  attributes: {}", a.join(", "));
    }
    if !model.trackers.is_empty() {
        let t: Vec<String> = model
            .trackers
            .iter()
            .map(|t| {
                format!(
                    "{} ({})",
                    t.name,
                    if t.is_clock() { "clock" } else { "counter" }
                )
            })
            .collect();
        let _ = writeln!(out, "  trackers: {}", t.join(", "));
    }
    let _ = writeln!(out, "  warnings: {}", model.warnings.len());
    out
}

/// The console summary of a run: costs, QALYs and the incremental table per perspective.
pub fn report(model: &Model, sim: &engine::SimOutput) -> String {
    use std::fmt::Write as _;
    let l = sim.layout;
    let mut out = String::new();
    for (p, persp) in model.perspectives.iter().enumerate() {
        let _ = writeln!(out, "{} perspective (discounted, per person):", persp.name);
        let oc: Vec<crate::econ::Outcome> = sim
            .strategies
            .iter()
            .map(|st| crate::econ::Outcome {
                cost: st.outcomes[l.perspective(p, true)].mean,
                effect: st.outcomes[l.qalys(true)].mean,
            })
            .collect();
        for row in crate::econ::incremental(&oc) {
            let st = &sim.strategies[row.strategy];
            let icer = row
                .icer
                .map(|x| format!("{x:.0}"))
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "  {:<12} cost {:>12.2} ± {:<8.2} QALYs {:>8.4} ± {:<7.4} ICER {:>10}  {}",
                model.strategies[row.strategy].name,
                row.cost,
                st.outcomes[l.perspective(p, true)].se,
                row.effect,
                st.outcomes[l.qalys(true)].se,
                icer,
                row.status.as_str()
            );
        }
    }
    out
}

/// The console summary of the probabilistic analysis.
pub fn psa_report(f: &PsaFindings) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("probability cost-effective (probabilistic analysis):\n");
    for (persp, wtp, strategy, p) in &f.prob_cost_effective {
        let _ = writeln!(out, "  {persp:<12} at {wtp:>8}/QALY  {strategy:<12} {p:.3}");
    }
    for (persp, wtp, e) in &f.evpi {
        let _ = writeln!(out, "  EVPI per person, {persp}, at {wtp}/QALY: {e:.2}");
    }
    for w in &f.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}
