//! The deterministic sensitivity analysis's files: `dsa.csv` with tornado diagrams, or
//! `dsa_two_way.csv` with a heat map.

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::dsa::{Coupling, DsaPlan, DsaResult};
use crate::model::Model;
use crate::plot;

use super::figures::money;
use super::{OutputError, write_atomically, write_file};

/// `dsa.csv`: every varied parameter at its low and high value, for each strategy against
/// the reference: incremental cost, QALYs and net monetary benefit, with the base case.
pub fn dsa_csv(model: &Model, o: &crate::analysis::dsa::Owsa) -> String {
    let mut s = String::from(
        "perspective,wtp,parameter,basis,low,high,strategy,reference,base_inmb,inmb_at_low,inmb_at_high,inc_cost_at_low,inc_cost_at_high,inc_qalys_at_low,inc_qalys_at_high,moves_with\n",
    );
    let reference = &model.strategies[model.settings.reference_strategy.0].name;
    for r in &o.rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{reference},{},{},{},{},{},{},{},{}",
            model.perspectives[o.perspective].name,
            o.wtp,
            model.params[r.range.param].name,
            r.range.basis,
            r.range.low,
            r.range.high,
            model.strategies[r.strategy].name,
            o.base[r.strategy].inmb,
            r.at_low.inmb,
            r.at_high.inmb,
            r.at_low.inc_cost,
            r.at_high.inc_cost,
            r.at_low.inc_qalys,
            r.at_high.inc_qalys,
            moves_with(model, &r.range.coupling)
        );
    }
    s
}

/// What moves with a varied parameter, for `dsa.csv`: nothing, the rest of its Dirichlet
/// group, or the other correlated parameters.
fn moves_with(model: &Model, c: &Coupling) -> String {
    match c {
        Coupling::Alone => String::new(),
        Coupling::Dirichlet(g) => format!("dirichlet {}", model.dirichlet[*g].name),
        Coupling::Correlated => "correlated".into(),
    }
}

/// `x` to `digits` significant digits, for labels of figures and console summaries.
pub(super) fn short(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = digits - 1 - x.abs().log10().floor() as i32;
    if decimals > 0 {
        format!("{x:.*}", decimals as usize)
    } else {
        format!("{x:.0}")
    }
}

/// A value of parameter `param` for a label: money for a cost, else 3 significant digits.
fn param_value(model: &Model, param: usize, x: f64) -> String {
    if model.is_cost_param(param) {
        money(x, &model.meta.currency)
    } else {
        short(x, 3)
    }
}

/// An axis description of parameter `param`: its label, with the currency for a cost.
pub(super) fn param_axis(model: &Model, param: usize) -> String {
    let label = model.param_label(param);
    if model.is_cost_param(param) {
        label + &super::figures::currency_unit(&model.meta.currency)
    } else {
        label
    }
}

/// A tornado diagram of incremental net monetary benefit per non-reference strategy
/// (net benefit, not the ICER, so bars keep their meaning across quadrants), each bar
/// labelled with the parameter's label and the values it runs between.
pub fn tornado_figures(
    dir: &Path,
    model: &Model,
    o: &crate::analysis::dsa::Owsa,
) -> Result<(), OutputError> {
    let reference = model.settings.reference_strategy.0;
    let currency = &model.meta.currency;
    for s in (0..model.strategies.len()).filter(|s| *s != reference) {
        let labels: Vec<(String, f64, f64)> = o
            .rows
            .iter()
            .filter(|r| r.strategy == s)
            .map(|r| {
                let p = r.range.param;
                let label = format!(
                    "{} ({} – {})",
                    model.param_label(p),
                    param_value(model, p, r.range.low),
                    param_value(model, p, r.range.high)
                );
                (label, r.at_low.inmb, r.at_high.inmb)
            })
            .collect();
        let bars: Vec<(&str, f64, f64)> = labels
            .iter()
            .map(|(l, a, b)| (l.as_str(), *a, *b))
            .collect();
        let label = format!(
            "{} vs {}",
            model.strategies[s].label, model.strategies[reference].label
        );
        let unit = super::figures::currency_unit(currency);
        plot::tornado(
            &dir.join(format!("tornado_{}", model.strategies[s].name)),
            &format!("One-way sensitivity: {label}"),
            &format!(
                "Incremental net monetary benefit{unit} at {}/QALY, {} perspective",
                money(o.wtp, currency),
                model.perspectives[o.perspective].name,
            ),
            currency,
            s,
            o.base[s].inmb,
            &bars,
        )
        .map_err(|e| OutputError(e.to_string()))?;
    }
    Ok(())
}

/// `dsa_two_way.csv`: net monetary benefit of every strategy at each grid point, and which
/// strategy is preferred there.
pub fn two_way_csv(
    model: &Model,
    t: &crate::analysis::dsa::TwoWay,
    wtp: f64,
    perspective: usize,
) -> String {
    let (xn, yn) = (&model.params[t.x.param].name, &model.params[t.y.param].name);
    let mut s = format!("perspective,wtp,{xn},{yn},strategy,nmb,preferred\n");
    let ns = model.strategies.len();
    for (i, xv) in t.xs.iter().enumerate() {
        for (j, yv) in t.ys.iter().enumerate() {
            let p = i * t.ys.len() + j;
            for (si, st) in model.strategies.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "{},{wtp},{xv},{yv},{},{},{}",
                    model.perspectives[perspective].name,
                    st.name,
                    t.nmb[p * ns + si],
                    t.best[p] == si
                );
            }
        }
    }
    s
}

/// The heat map of the preferred strategy over the two-way grid.
pub fn two_way_figure(
    dir: &Path,
    model: &Model,
    t: &crate::analysis::dsa::TwoWay,
    wtp: f64,
    perspective: usize,
) -> Result<(), OutputError> {
    let (xn, yn) = (&model.params[t.x.param].name, &model.params[t.y.param].name);
    let labels: Vec<&str> = model.strategies.iter().map(|s| s.label.as_str()).collect();
    let (x_label, y_label) = (param_axis(model, t.x.param), param_axis(model, t.y.param));
    plot::heatmap(
        &dir.join(format!("two_way_{xn}_{yn}")),
        &format!(
            "Preferred strategy at {}/QALY ({} perspective)",
            money(wtp, &model.meta.currency),
            model.perspectives[perspective].name
        ),
        &x_label,
        &y_label,
        &t.xs,
        &t.ys,
        &t.best,
        &labels,
        t.base,
    )
    .map_err(|e| OutputError(e.to_string()))
}

/// Write a sensitivity analysis's result directory.
pub fn write_dsa(
    dir: &Path,
    force: bool,
    model: &Model,
    scenario: &Path,
    plan: &DsaPlan,
    result: &DsaResult,
) -> Result<(), OutputError> {
    let scenario_bytes = std::fs::read(scenario).unwrap_or_default();
    let perspective = plan.perspective;
    let json = serde_json::json!({
        "tool": "trdsim",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "analysis": "one-way sensitivity",
        "scenario": {"path": scenario.display().to_string(), "sha256": super::sha256_hex(&scenario_bytes)},
        "command": std::env::args().collect::<Vec<_>>(),
        "seed": model.settings.seed,
        "individuals": plan.individuals,
        "perspective": model.perspectives[perspective].name,
        "wtp": plan.wtp,
    });
    let owsa = &result.owsa;
    write_atomically(dir, force, json, |tmp| {
        match &result.two_way {
            Some(t) => {
                write_file(
                    &tmp.join("dsa_two_way.csv"),
                    &two_way_csv(model, t, owsa.wtp, perspective),
                )?;
                two_way_figure(tmp, model, t, owsa.wtp, perspective)?;
            }
            None => {
                write_file(&tmp.join("dsa.csv"), &dsa_csv(model, owsa))?;
                tornado_figures(tmp, model, owsa)?;
            }
        }
        super::write_workbook(
            tmp,
            &[tmp],
            &model.meta.currency,
            &super::manifest::param_labels(model),
        )?;
        Ok(serde_json::Map::new())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_axes_and_values_carry_the_currency() {
        let model = crate::scenario::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/eko-vs-ect.yaml"),
        )
        .unwrap();
        let cost = model
            .params
            .iter()
            .position(|p| p.name == "c_esketamine_week")
            .unwrap();
        let label = model.param_label(cost);
        assert_eq!(param_axis(&model, cost), format!("{label} (€)"));
        assert_eq!(param_value(&model, cost, 1234.4), "€1,234");
    }
}
