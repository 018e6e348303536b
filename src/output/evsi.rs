//! The EVSI's files: `evsi.csv` (per perspective, study size and threshold: EVSI per person
//! with its standard error, per population, the study's cost and the expected net benefit
//! of sampling) and one figure per perspective of population EVSI and ENBS against the study
//! size, with the population EVPPI of the measured parameters as its ceiling.

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::voi::evsi::{EvsiPlan, EvsiResult};
use crate::model::Model;
use crate::plot::{self, Series};

use super::figures::money;
use super::{OutputError, write_atomically, write_file};

/// `evsi.csv`.
pub fn evsi_csv(plan: &EvsiPlan, r: &EvsiResult) -> String {
    let mut s = String::from(
        "perspective,target,sample_size,wtp,evsi_per_person,se,evsi_population,study_cost,enbs,evppi_per_person\n",
    );
    for (p, persp) in r.perspectives.iter().enumerate() {
        for (k, n) in plan.sizes.iter().enumerate() {
            for (w, wtp) in r.thresholds.iter().enumerate() {
                let e = r.estimates.evsi[p][k][w];
                let population = e.value * r.population_factor;
                let cost = plan.cost_fixed + plan.cost_per_patient * *n as f64;
                let _ = writeln!(
                    s,
                    "{persp},{},{n},{wtp},{},{},{population},{cost},{},{}",
                    plan.target,
                    e.value,
                    e.se,
                    population - cost,
                    r.estimates.evppi[p][w].value
                );
            }
        }
    }
    s
}

/// Population EVSI (and ENBS when the study has a cost) against the study size, one line
/// per threshold, the population EVPPI as a dashed ceiling, and marked sizes as verticals.
fn figures(dir: &Path, model: &Model, plan: &EvsiPlan, r: &EvsiResult) -> Result<(), OutputError> {
    let costed = plan.cost_fixed > 0.0 || plan.cost_per_patient > 0.0;
    let scale = if r.population_factor > 0.0 {
        r.population_factor
    } else {
        1.0
    };
    let what = if r.population_factor > 0.0 {
        "population"
    } else {
        "per person"
    };
    for (p, persp) in r.perspectives.iter().enumerate() {
        let mut owned: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for (w, wtp) in r.thresholds.iter().enumerate() {
            let m = money(*wtp, &model.meta.currency);
            let evsi: Vec<(f64, f64)> = plan
                .sizes
                .iter()
                .enumerate()
                .map(|(k, n)| (*n as f64, r.estimates.evsi[p][k][w].value * scale))
                .collect();
            owned.push((format!("EVSI at {m}/QALY"), evsi.clone()));
            if costed {
                let enbs = evsi
                    .iter()
                    .map(|(n, v)| (*n, v - plan.cost_fixed - plan.cost_per_patient * n))
                    .collect();
                owned.push((format!("ENBS at {m}/QALY"), enbs));
            }
        }
        let top = owned
            .iter()
            .flat_map(|(_, pts)| pts.iter().map(|p| p.1))
            .fold(0.0f64, f64::max);
        let bottom = owned
            .iter()
            .flat_map(|(_, pts)| pts.iter().map(|p| p.1))
            .fold(0.0f64, f64::min);
        for n in &plan.mark {
            owned.push((
                format!("study size {n}"),
                vec![(*n as f64, bottom), (*n as f64, top)],
            ));
        }
        let series: Vec<Series<'_>> = owned
            .iter()
            .map(|(label, points)| Series { label, points })
            .collect();
        plot::lines(
            &dir.join(format!("evsi_{}_{persp}", plan.target)),
            &format!("Value of a study of {} ({persp} perspective)", plan.target),
            "People measured",
            &format!(
                "Expected value, {what}{}",
                super::figures::currency_unit(&r.currency)
            ),
            &series,
            0,
            None,
        )
        .map_err(|e| OutputError(e.to_string()))?;
    }
    Ok(())
}

/// What the command prints: EVSI per person at each size, first perspective, middle threshold.
pub fn evsi_summary(plan: &EvsiPlan, r: &EvsiResult) -> String {
    let mut s = String::new();
    let w = r.thresholds.len() / 2;
    let (Some(persp), Some(wtp)) = (r.perspectives.first(), r.thresholds.get(w)) else {
        return s;
    };
    let _ = writeln!(
        s,
        "EVSI per person of a study of {}, {persp}, at {wtp}/QALY (EVPPI {:.2}):",
        plan.target, r.estimates.evppi[0][w].value
    );
    for (k, n) in plan.sizes.iter().enumerate() {
        let e = r.estimates.evsi[0][k][w];
        let _ = writeln!(s, "  n = {n:>6}: {:>10.2} (SE {:.2})", e.value, e.se);
    }
    s
}

/// Write the EVSI's result directory; `run` is the PSA directory it was computed from and
/// `run_psa` the SHA-256 of that run's `psa.csv`, which identifies the draws (a report
/// includes the EVSI only with the run whose draws it used).
pub fn write_evsi(
    dir: &Path,
    force: bool,
    model: &Model,
    run: (&Path, &str),
    plan: &EvsiPlan,
    r: &EvsiResult,
) -> Result<(), OutputError> {
    let json = serde_json::json!({
        "tool": "trdsim",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "analysis": "expected value of sample information",
        "run": run.0.display().to_string(),
        "run_psa_sha256": run.1,
        "command": std::env::args().collect::<Vec<_>>(),
        "seed": model.settings.seed,
        "target": plan.target,
        "sizes": plan.sizes,
        "cost_fixed": plan.cost_fixed,
        "cost_per_patient": plan.cost_per_patient,
        "duration_years": plan.duration,
        "population_factor": r.population_factor,
        "method": "regression on the run's draws (Strong et al. 2015) with simulated conjugate study data",
    });
    write_atomically(dir, force, json, |tmp| {
        write_file(&tmp.join("evsi.csv"), &evsi_csv(plan, r))?;
        figures(tmp, model, plan, r)?;
        super::write_workbook(
            tmp,
            &[tmp],
            &model.meta.currency,
            &super::manifest::param_labels(model),
        )?;
        Ok(serde_json::Map::new())
    })
}
