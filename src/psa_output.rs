//! Probabilistic-analysis files: writing per-draw results, reading them back, and the
//! analysis (summaries, acceptability, EVPI, figures) computed from the CSV text alone.
//!
//! A run writes `draws.csv` and `psa.csv`, then analyses what it wrote, exactly as
//! `trdsim merge` (after concatenating slices) and `trdsim plot` do. The numbers are
//! written with shortest round-trip formatting, so reading them back loses nothing and a
//! merged run equals a single run byte for byte.

use std::fmt::Write as _;
use std::path::Path;

use crate::econ::psa::{self, PsaTable};
use crate::engine::{DrawOutcome, Layout};
use crate::model::{Model, ParamDef};
use crate::output::{OutputError, write_file};
use crate::plot;
use crate::table::split_csv_line;

/// Columns of `draws.csv`: the parameters that vary between draws.
pub fn drawn_params(model: &Model) -> Vec<usize> {
    model
        .params
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            matches!(
                p.def,
                ParamDef::Value { dist: Some(_), .. } | ParamDef::Dirichlet { .. }
            )
        })
        .map(|(i, _)| i)
        .collect()
}

/// `draws.csv`: the drawn parameter values of every draw (for value-of-information work).
pub fn draws_csv(model: &Model, draws: &[DrawOutcome]) -> String {
    let cols = drawn_params(model);
    let mut s = String::from("draw");
    for c in &cols {
        let _ = write!(s, ",{}", model.params[*c].name);
    }
    s.push('\n');
    for d in draws {
        let _ = write!(s, "{}", d.draw);
        for c in &cols {
            let _ = write!(s, ",{}", d.params[*c]);
        }
        s.push('\n');
    }
    s
}

/// `psa.csv`: per draw, strategy and perspective, discounted costs, QALYs and life-years,
/// and the Monte Carlo standard error of the incremental net monetary benefit against the
/// reference at each threshold (from the individuals within the draw).
pub fn psa_csv(model: &Model, draws: &[DrawOutcome]) -> String {
    let l = Layout::of(model);
    let wtp = &model.settings.wtp_per_qaly;
    let mut s = String::from("draw,strategy,perspective,cost,qalys,life_years");
    for w in wtp {
        let _ = write!(s, ",inmb_mcse_{w}");
    }
    s.push('\n');
    for d in draws {
        for (si, o) in d.outcomes.iter().enumerate() {
            for (p, persp) in model.perspectives.iter().enumerate() {
                let _ = write!(
                    s,
                    "{},{},{},{},{},{}",
                    d.draw,
                    model.strategies[si].name,
                    persp.name,
                    o[l.perspective(p, true)],
                    o[l.qalys(true)],
                    o[l.life_years(true)]
                );
                for w in 0..wtp.len() {
                    let _ = write!(s, ",{}", d.inmb_se[si][p * wtp.len() + w]);
                }
                s.push('\n');
            }
        }
    }
    s
}

/// `psa.csv` read back.
#[derive(Clone, Debug, PartialEq)]
pub struct PsaData {
    pub strategies: Vec<String>,
    pub perspectives: Vec<String>,
    pub wtp: Vec<f64>,
    pub draws: Vec<u64>,
    /// `[perspective]` → table of costs and QALYs by draw and strategy.
    pub tables: Vec<PsaTable>,
    /// `[perspective][draw][strategy][wtp]` within-draw MCSE of INMB.
    pub inmb_se: Vec<Vec<Vec<Vec<f64>>>>,
}

fn bad(file: &str, line: usize, message: impl std::fmt::Display) -> OutputError {
    OutputError(format!("{file}:{line}: {message}"))
}

/// Parse `psa.csv` text; strategies and perspectives keep their first-seen order.
pub fn parse_psa(text: &str, file: &str) -> Result<PsaData, OutputError> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or_else(|| bad(file, 1, "empty file"))?;
    let header = split_csv_line(header);
    let fixed = [
        "draw",
        "strategy",
        "perspective",
        "cost",
        "qalys",
        "life_years",
    ];
    if header.len() < fixed.len() || header[..fixed.len()] != fixed {
        return Err(bad(
            file,
            1,
            format!("expected the columns {}", fixed.join(",")),
        ));
    }
    let wtp = header[fixed.len()..]
        .iter()
        .map(|h| {
            h.strip_prefix("inmb_mcse_")
                .and_then(|w| w.parse::<f64>().ok())
                .ok_or_else(|| bad(file, 1, format!("unexpected column `{h}`")))
        })
        .collect::<Result<Vec<f64>, _>>()?;
    struct Row {
        draw: u64,
        s: usize,
        p: usize,
        cost: f64,
        qalys: f64,
        se: Vec<f64>,
    }
    let mut strategies: Vec<String> = Vec::new();
    let mut perspectives: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, line) in lines {
        let f = split_csv_line(line);
        if f.len() != header.len() {
            return Err(bad(
                file,
                i + 1,
                format!("expected {} fields, found {}", header.len(), f.len()),
            ));
        }
        let num = |k: usize| {
            f[k].parse::<f64>().map_err(|_| {
                bad(
                    file,
                    i + 1,
                    format!(
                        "column `{}`: expected a number, found `{}`",
                        header[k], f[k]
                    ),
                )
            })
        };
        let draw = f[0].parse::<u64>().map_err(|_| {
            bad(
                file,
                i + 1,
                format!("expected a draw number, found `{}`", f[0]),
            )
        })?;
        let index = |list: &mut Vec<String>, name: &str| match list.iter().position(|x| x == name) {
            Some(k) => k,
            None => {
                list.push(name.to_string());
                list.len() - 1
            }
        };
        let s = index(&mut strategies, &f[1]);
        let p = index(&mut perspectives, &f[2]);
        let se = (fixed.len()..header.len())
            .map(num)
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(Row {
            draw,
            s,
            p,
            cost: num(3)?,
            qalys: num(4)?,
            se,
        });
    }
    let (ns, np) = (strategies.len(), perspectives.len());
    let mut draws: Vec<u64> = Vec::new();
    for r in &rows {
        if draws.last() != Some(&r.draw) {
            if draws.contains(&r.draw) {
                return Err(bad(
                    file,
                    0,
                    format!("draw {} appears in two places", r.draw),
                ));
            }
            draws.push(r.draw);
        }
    }
    if ns == 0 || rows.len() != draws.len() * ns * np {
        return Err(bad(
            file,
            0,
            format!(
                "expected one row per draw, strategy and perspective ({} × {ns} × {np}), found {}",
                draws.len(),
                rows.len()
            ),
        ));
    }
    let mut tables = vec![PsaTable::new(ns); np];
    let mut inmb_se = vec![vec![vec![vec![0.0; wtp.len()]; ns]; draws.len()]; np];
    let mut cost = vec![vec![0.0; ns]; np];
    let mut effect = vec![vec![0.0; ns]; np];
    for (d, chunk) in rows.chunks(ns * np).enumerate() {
        for r in chunk {
            cost[r.p][r.s] = r.cost;
            effect[r.p][r.s] = r.qalys;
            inmb_se[r.p][d][r.s] = r.se.clone();
        }
        for p in 0..np {
            tables[p].push_draw(&cost[p], &effect[p]);
        }
    }
    Ok(PsaData {
        strategies,
        perspectives,
        wtp,
        draws,
        tables,
        inmb_se,
    })
}

/// What the analysis found, for `run.json` and the console.
#[derive(Clone, Debug)]
pub struct PsaFindings {
    /// `(perspective, wtp, strategy, probability cost-effective)` at the scenario thresholds.
    pub prob_cost_effective: Vec<(String, f64, String, f64)>,
    /// `(perspective, wtp, EVPI per person)` at the scenario thresholds.
    pub evpi: Vec<(String, f64, f64)>,
    /// `(perspective, wtp, strategy, SE of mean INMB across draws, share of the between-draw
    /// variance that is within-draw Monte Carlo noise)`.
    pub mc_error: Vec<(String, f64, String, f64, f64)>,
    pub warnings: Vec<String>,
}

/// Share of between-draw INMB variance attributable to within-draw noise above which a
/// warning is given: more individuals per draw are then needed (O'Hagan et al. 2007,
/// Health Econ 16:1009, on the two levels of Monte Carlo error in PSA of microsimulations).
pub const NOISE_WARNING_SHARE: f64 = 0.1;

/// Settings the analysis needs besides the CSV data.
#[derive(Clone, Debug)]
pub struct AnalysisSettings {
    pub title: String,
    pub currency: String,
    /// Reference strategy name.
    pub reference: String,
    /// Thresholds reported (settings.wtp).
    pub thresholds: Vec<f64>,
    pub wtp_max: f64,
    pub wtp_steps: usize,
    pub population_per_year: f64,
    pub population_years: u32,
    pub population_discount: f64,
    /// Display labels of strategies by id (ids are used where a label is missing).
    pub labels: Vec<(String, String)>,
}

impl AnalysisSettings {
    fn label<'a>(&'a self, id: &'a str) -> &'a str {
        self.labels
            .iter()
            .find(|(i, _)| i == id)
            .map_or(id, |(_, l)| l.as_str())
    }
}

/// Analyse parsed PSA data into `dir`: summary, acceptability, EVPI tables and figures.
pub fn analyse(
    dir: &Path,
    data: &PsaData,
    a: &AnalysisSettings,
) -> Result<PsaFindings, OutputError> {
    let reference = data
        .strategies
        .iter()
        .position(|s| *s == a.reference)
        .ok_or_else(|| {
            OutputError(format!(
                "the reference strategy `{}` is not in psa.csv",
                a.reference
            ))
        })?;
    let grid = psa::wtp_grid(a.wtp_max, a.wtp_steps, &a.thresholds);
    let factor = psa::population_factor(
        a.population_per_year,
        a.population_years,
        a.population_discount,
    );
    let mut summary = String::from("perspective,strategy,measure,wtp,mean,low,high,status\n");
    let mut ceac_csv = String::from(
        "perspective,wtp,strategy,prob_best,prob_better_than_reference,optimal,frontier_prob\n",
    );
    let mut evpi_csv = String::from("perspective,wtp,evpi_per_person,evpi_population\n");
    let mut findings = PsaFindings {
        prob_cost_effective: Vec::new(),
        evpi: Vec::new(),
        mc_error: Vec::new(),
        warnings: Vec::new(),
    };
    let n_draws = data.draws.len();
    for (p, persp) in data.perspectives.iter().enumerate() {
        let t = &data.tables[p];
        let sm = psa::summarise(t, &data.wtp, reference);
        for row in &sm.strategies {
            let name = &data.strategies[row.strategy];
            for (measure, iv) in [("cost", row.cost), ("qalys", row.effect)] {
                let _ = writeln!(
                    summary,
                    "{persp},{name},{measure},,{},{},{},",
                    iv.mean, iv.low, iv.high
                );
            }
        }
        for row in &sm.incremental {
            let name = &data.strategies[row.strategy];
            for (measure, iv) in [("inc_cost", row.inc_cost), ("inc_qalys", row.inc_effect)] {
                let _ = writeln!(
                    summary,
                    "{persp},{name},{measure},,{},{},{},",
                    iv.mean, iv.low, iv.high
                );
            }
        }
        for row in &sm.inmb {
            let name = &data.strategies[row.strategy];
            let iv = row.inmb;
            let _ = writeln!(
                summary,
                "{persp},{name},inmb,{},{},{},{},",
                row.wtp, iv.mean, iv.low, iv.high
            );
        }
        // The probabilistic incremental analysis on the mean costs and QALYs.
        let means: Vec<crate::econ::Outcome> = sm
            .strategies
            .iter()
            .map(|r| crate::econ::Outcome {
                cost: r.cost.mean,
                effect: r.effect.mean,
            })
            .collect();
        for row in crate::econ::incremental(&means) {
            let name = &data.strategies[row.strategy];
            let icer = row.icer.map(|x| format!("{x}")).unwrap_or_default();
            let _ = writeln!(
                summary,
                "{persp},{name},icer,,{icer},,,{}",
                row.status.as_str()
            );
        }
        let points = psa::ceac(t, &grid, reference);
        for pt in &points {
            for (s, name) in data.strategies.iter().enumerate() {
                let vs = pt.prob_better_than_reference[s]
                    .map(|x| format!("{x}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    ceac_csv,
                    "{persp},{},{name},{},{vs},{},{}",
                    pt.wtp,
                    pt.prob_best[s],
                    s == pt.optimal,
                    if s == pt.optimal {
                        format!("{}", pt.frontier_prob)
                    } else {
                        String::new()
                    }
                );
            }
            if a.thresholds.contains(&pt.wtp) {
                for (s, name) in data.strategies.iter().enumerate() {
                    findings.prob_cost_effective.push((
                        persp.clone(),
                        pt.wtp,
                        name.clone(),
                        pt.prob_best[s],
                    ));
                }
            }
        }
        let evpi = psa::evpi(t, &grid);
        for (w, e) in grid.iter().zip(&evpi) {
            let _ = writeln!(evpi_csv, "{persp},{w},{e},{}", e * factor);
            if a.thresholds.contains(w) {
                findings.evpi.push((persp.clone(), *w, *e));
            }
        }
        // Monte Carlo error: between draws, and the within-draw share of it.
        for (wi, w) in data.wtp.iter().enumerate() {
            for (s, name) in data.strategies.iter().enumerate() {
                if s == reference || n_draws < 2 {
                    continue;
                }
                let se_between = psa::inmb_se(t, s, reference, *w);
                let var_between = se_between * se_between * n_draws as f64;
                let within: f64 = data.inmb_se[p]
                    .iter()
                    .map(|d| d[s][wi] * d[s][wi])
                    .sum::<f64>()
                    / n_draws as f64;
                let share = if var_between > 0.0 {
                    within / var_between
                } else {
                    0.0
                };
                findings
                    .mc_error
                    .push((persp.clone(), *w, name.clone(), se_between, share));
                if share > NOISE_WARNING_SHARE {
                    findings.warnings.push(format!(
                        "{persp} perspective, {name} vs {} at {w}/QALY: within-draw Monte Carlo noise is {:.0}% of the variance of incremental net benefit between draws; use more individuals per draw (settings.psa.individuals)",
                        a.reference,
                        share * 100.0
                    ));
                }
            }
        }
        figures(dir, data, p, reference, &grid, &points, &evpi, a)?;
    }
    write_file(&dir.join("psa_summary.csv"), &summary)?;
    write_file(&dir.join("ceac.csv"), &ceac_csv)?;
    write_file(&dir.join("evpi.csv"), &evpi_csv)?;
    Ok(findings)
}

#[allow(clippy::too_many_arguments)]
fn figures(
    dir: &Path,
    data: &PsaData,
    p: usize,
    reference: usize,
    grid: &[f64],
    points: &[psa::CeacPoint],
    evpi: &[f64],
    a: &AnalysisSettings,
) -> Result<(), OutputError> {
    let persp = &data.perspectives[p];
    let t = &data.tables[p];
    let err = |e: plot::PlotError| OutputError(e.to_string());
    let others: Vec<usize> = (0..data.strategies.len())
        .filter(|s| *s != reference)
        .collect();
    let labels: Vec<String> = others
        .iter()
        .map(|s| {
            format!(
                "{} vs {}",
                a.label(&data.strategies[*s]),
                a.label(&data.strategies[reference])
            )
        })
        .collect();
    let clouds: Vec<Vec<(f64, f64)>> = others
        .iter()
        .map(|s| {
            (0..t.n_draws)
                .map(|d| {
                    let i = d * t.n_strategies;
                    (
                        t.effect[i + s] - t.effect[i + reference],
                        t.cost[i + s] - t.cost[i + reference],
                    )
                })
                .collect()
        })
        .collect();
    let cloud_refs: Vec<(&str, &[(f64, f64)])> = labels
        .iter()
        .zip(&clouds)
        .map(|(l, c)| (l.as_str(), c.as_slice()))
        .collect();
    plot::ce_plane(
        &dir.join(format!("ce_plane_{persp}")),
        &format!("Cost-effectiveness plane, {persp} perspective"),
        &a.currency,
        &cloud_refs,
        &a.thresholds,
    )
    .map_err(err)?;
    let curves: Vec<Vec<f64>> = (0..data.strategies.len())
        .map(|s| points.iter().map(|pt| pt.prob_best[s]).collect())
        .collect();
    let curve_refs: Vec<(&str, &[f64])> = data
        .strategies
        .iter()
        .zip(&curves)
        .map(|(n, c)| (a.label(n), c.as_slice()))
        .collect();
    let frontier: Vec<f64> = points.iter().map(|pt| pt.frontier_prob).collect();
    plot::ceac(
        &dir.join(format!("ceac_{persp}")),
        &format!("Cost-effectiveness acceptability, {persp} perspective"),
        &a.currency,
        grid,
        &curve_refs,
        &frontier,
        &a.thresholds,
    )
    .map_err(err)?;
    plot::evpi(
        &dir.join(format!("evpi_{persp}")),
        &format!("Expected value of perfect information per person, {persp} perspective"),
        &a.currency,
        grid,
        evpi,
        &a.thresholds,
    )
    .map_err(err)?;
    let mut series_labels = Vec::new();
    let mut series = Vec::new();
    for (s, label) in others.iter().zip(&labels) {
        for w in &a.thresholds {
            series_labels.push(format!("{label} at {}", money(*w, &a.currency)));
            series.push(psa::running_mean_inmb(t, *s, reference, *w));
        }
    }
    let series_refs: Vec<(&str, &[f64])> = series_labels
        .iter()
        .zip(&series)
        .map(|(l, s)| (l.as_str(), s.as_slice()))
        .collect();
    plot::convergence(
        &dir.join(format!("convergence_{persp}")),
        &format!("Convergence of mean incremental net benefit, {persp} perspective"),
        &a.currency,
        &series_refs,
    )
    .map_err(err)
}

/// A threshold for a label: "€20,000" for EUR, "USD 20,000" otherwise.
fn money(x: f64, currency: &str) -> String {
    let whole = format!("{:.0}", x.abs());
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 { "-" } else { "" };
    match currency {
        "EUR" | "eur" => format!("{sign}€{grouped}"),
        "" => format!("{sign}{grouped}"),
        c => format!("{sign}{c} {grouped}"),
    }
}

/// Analysis settings of a model.
pub fn analysis_settings(model: &Model) -> AnalysisSettings {
    let psa = &model.settings.psa;
    AnalysisSettings {
        title: model.meta.title.clone(),
        currency: model.meta.currency.clone(),
        reference: model.strategies[model.settings.reference_strategy.0]
            .name
            .clone(),
        thresholds: model.settings.wtp_per_qaly.clone(),
        wtp_max: psa.wtp_max,
        wtp_steps: psa.wtp_steps,
        population_per_year: psa.population_per_year,
        population_years: psa.population_years,
        population_discount: psa.population_discount,
        labels: model
            .strategies
            .iter()
            .map(|s| (s.name.clone(), s.label.clone()))
            .collect(),
    }
}

/// The findings as a JSON object for `run.json`.
pub fn findings_json(f: &PsaFindings) -> serde_json::Value {
    use serde_json::json;
    json!({
        "prob_cost_effective": f.prob_cost_effective.iter().map(|(p, w, s, x)| json!({"perspective": p, "wtp": w, "strategy": s, "probability": x})).collect::<Vec<_>>(),
        "evpi_per_person": f.evpi.iter().map(|(p, w, e)| json!({"perspective": p, "wtp": w, "evpi": e})).collect::<Vec<_>>(),
        "monte_carlo_error": f.mc_error.iter().map(|(p, w, s, se, share)| json!({"perspective": p, "wtp": w, "strategy": s, "inmb_se_between_draws": se, "within_draw_noise_share": share})).collect::<Vec<_>>(),
        "warnings": f.warnings,
    })
}

/// `dsa.csv`: every varied parameter at its low and high value, for each strategy against
/// the reference: incremental cost, QALYs and net monetary benefit, with the base case.
pub fn dsa_csv(model: &Model, o: &crate::dsa::Owsa) -> String {
    let mut s = String::from(
        "perspective,wtp,parameter,basis,low,high,strategy,reference,base_inmb,inmb_at_low,inmb_at_high,inc_cost_at_low,inc_cost_at_high,inc_qalys_at_low,inc_qalys_at_high\n",
    );
    let reference = &model.strategies[model.settings.reference_strategy.0].name;
    for r in &o.rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{reference},{},{},{},{},{},{},{}",
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
            r.at_high.inc_qalys
        );
    }
    s
}

/// A tornado diagram of incremental net monetary benefit per non-reference strategy
/// (net benefit, not the ICER, so bars keep their meaning across quadrants).
pub fn tornado_figures(dir: &Path, model: &Model, o: &crate::dsa::Owsa) -> Result<(), OutputError> {
    let reference = model.settings.reference_strategy.0;
    for s in (0..model.strategies.len()).filter(|s| *s != reference) {
        let bars: Vec<(&str, f64, f64)> = o
            .rows
            .iter()
            .filter(|r| r.strategy == s)
            .map(|r| {
                (
                    model.params[r.range.param].name.as_str(),
                    r.at_low.inmb,
                    r.at_high.inmb,
                )
            })
            .collect();
        let label = format!(
            "{} vs {}",
            model.strategies[s].label, model.strategies[reference].label
        );
        plot::tornado(
            &dir.join(format!("tornado_{}", model.strategies[s].name)),
            &format!("One-way sensitivity: {label}"),
            &format!(
                "Incremental net monetary benefit at {}/QALY, {} perspective ({})",
                money(o.wtp, &model.meta.currency),
                model.perspectives[o.perspective].name,
                if model.meta.currency.is_empty() {
                    "currency"
                } else {
                    &model.meta.currency
                }
            ),
            o.base[s].inmb,
            &bars,
        )
        .map_err(|e| OutputError(e.to_string()))?;
    }
    Ok(())
}

/// `dsa_two_way.csv`: net monetary benefit of every strategy at each grid point, and which
/// strategy is preferred there.
pub fn two_way_csv(model: &Model, t: &crate::dsa::TwoWay, wtp: f64, perspective: usize) -> String {
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
    t: &crate::dsa::TwoWay,
    wtp: f64,
    perspective: usize,
) -> Result<(), OutputError> {
    let (xn, yn) = (&model.params[t.x.param].name, &model.params[t.y.param].name);
    let labels: Vec<&str> = model.strategies.iter().map(|s| s.label.as_str()).collect();
    plot::heatmap(
        &dir.join(format!("two_way_{xn}_{yn}")),
        &format!(
            "Preferred strategy at {}/QALY ({} perspective)",
            money(wtp, &model.meta.currency),
            model.perspectives[perspective].name
        ),
        xn,
        yn,
        &t.xs,
        &t.ys,
        &t.best,
        &labels,
        t.base,
    )
    .map_err(|e| OutputError(e.to_string()))
}
