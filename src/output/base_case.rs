//! The base case's tables: results, incremental analysis, pairwise comparisons, net
//! monetary benefit, the Markov trace, transition counts, trajectories and assumptions.

use std::fmt::Write as _;
use std::path::Path;

use crate::econ::{self, Outcome};
use crate::engine::{Layout, SimOutput};
use crate::model::Model;

use super::{OutputError, field, opt, write_file};

/// `results.csv`: per strategy, costs by category and per perspective, QALYs and life-years.
pub fn results_csv(model: &Model, sim: &SimOutput) -> String {
    let l = sim.layout;
    let mut s = String::from("strategy,outcome,category,perspective,discounted,mean,mcse\n");
    for (si, st) in sim.strategies.iter().enumerate() {
        let name = &model.strategies[si].name;
        for disc in [true, false] {
            for (c, cat) in model.cost_categories.iter().enumerate() {
                let e = st.outcomes[l.cost(c, disc)];
                let _ = writeln!(s, "{name},cost,{cat},,{disc},{},{}", e.mean, e.se);
            }
            for (p, persp) in model.perspectives.iter().enumerate() {
                let e = st.outcomes[l.perspective(p, disc)];
                let _ = writeln!(
                    s,
                    "{name},cost,total,{},{disc},{},{}",
                    persp.name, e.mean, e.se
                );
            }
            let e = st.outcomes[l.qalys(disc)];
            let _ = writeln!(s, "{name},qalys,,,{disc},{},{}", e.mean, e.se);
            let e = st.outcomes[l.life_years(disc)];
            let _ = writeln!(s, "{name},life_years,,,{disc},{},{}", e.mean, e.se);
        }
    }
    s
}

fn outcomes(sim: &SimOutput, l: Layout, perspective: usize) -> Vec<Outcome> {
    sim.strategies
        .iter()
        .map(|st| Outcome {
            cost: st.outcomes[l.perspective(perspective, true)].mean,
            effect: st.outcomes[l.qalys(true)].mean,
        })
        .collect()
}

/// `icer.csv`: the full incremental analysis per perspective (discounted costs and QALYs).
pub fn icer_csv(model: &Model, sim: &SimOutput) -> String {
    let mut s = String::from(
        "perspective,strategy,cost,qalys,inc_cost,inc_qalys,icer,status,compared_to,dominated_by\n",
    );
    let name = |i: Option<usize>| {
        i.map(|i| model.strategies[i].name.clone())
            .unwrap_or_default()
    };
    for (p, persp) in model.perspectives.iter().enumerate() {
        for row in econ::incremental(&outcomes(sim, sim.layout, p)) {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{}",
                persp.name,
                model.strategies[row.strategy].name,
                row.cost,
                row.effect,
                opt(row.inc_cost),
                opt(row.inc_effect),
                opt(row.icer),
                field(row.status.as_str()),
                name(row.compared_to),
                name(row.dominated_by),
            );
        }
    }
    s
}

/// `pairwise.csv`: every strategy against the reference strategy, with Monte Carlo errors.
pub fn pairwise_csv(model: &Model, sim: &SimOutput) -> String {
    let l = sim.layout;
    let r = model.settings.reference_strategy.0;
    let mut s = String::from(
        "perspective,strategy,reference,inc_cost,inc_cost_mcse,inc_qalys,inc_qalys_mcse,icer,quadrant\n",
    );
    for (p, persp) in model.perspectives.iter().enumerate() {
        for row in econ::pairwise(&outcomes(sim, l, p), r) {
            let dc = sim.difference(r, row.strategy, l.perspective(p, true));
            let dq = sim.difference(r, row.strategy, l.qalys(true));
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{},{}",
                persp.name,
                model.strategies[row.strategy].name,
                model.strategies[r].name,
                row.inc_cost,
                dc.se,
                row.inc_effect,
                dq.se,
                opt(row.icer),
                field(row.quadrant.as_str()),
            );
        }
    }
    s
}

/// `nmb.csv`: net monetary benefit per threshold, and the increment over the reference.
pub fn nmb_csv(model: &Model, sim: &SimOutput) -> String {
    let l = sim.layout;
    let r = model.settings.reference_strategy.0;
    let mut s =
        String::from("perspective,wtp,strategy,nmb,nmb_mcse,inmb_vs_reference,inmb_mcse,best\n");
    for (p, persp) in model.perspectives.iter().enumerate() {
        for (w, wtp) in model.settings.wtp_per_qaly.iter().enumerate() {
            let k = l.nmb(p, w);
            let best = (0..sim.strategies.len())
                .max_by(|a, b| {
                    let (x, y) = (
                        sim.strategies[*a].outcomes[k].mean,
                        sim.strategies[*b].outcomes[k].mean,
                    );
                    // Ties go to the lower index (max_by keeps the last maximum, so compare reversed indices).
                    x.total_cmp(&y).then(b.cmp(a))
                })
                .unwrap_or(0);
            for (si, st) in sim.strategies.iter().enumerate() {
                let e = st.outcomes[k];
                let d = sim.difference(r, si, k);
                let _ = writeln!(
                    s,
                    "{},{wtp},{},{},{},{},{},{}",
                    persp.name,
                    model.strategies[si].name,
                    e.mean,
                    e.se,
                    d.mean,
                    d.se,
                    si == best
                );
            }
        }
    }
    s
}

/// `trace.csv`: share of the cohort in each state at each cycle boundary.
pub fn trace_csv(model: &Model, sim: &SimOutput) -> String {
    let mut s = String::from("strategy,cycle,state,share\n");
    for (si, st) in sim.strategies.iter().enumerate() {
        for t in 0..=sim.n_cycles {
            for (k, state) in model.states.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "{},{t},{},{}",
                    model.strategies[si].name,
                    state.name,
                    st.trace[t * sim.n_states + k]
                );
            }
        }
    }
    s
}

/// `trajectories.csv`: the state of each recorded individual at every cycle boundary.
pub fn trajectories_csv(model: &Model, sim: &SimOutput) -> String {
    let mut s = String::from("individual,strategy,cycle,state\n");
    for tr in &sim.trajectories {
        let name = &model.strategies[tr.strategy].name;
        for (t, st) in tr.states.iter().enumerate() {
            let _ = writeln!(
                s,
                "{},{name},{t},{}",
                tr.individual, model.states[*st as usize].name
            );
        }
    }
    s
}

/// `transitions.csv`: mean number of each transition per person.
pub fn transitions_csv(model: &Model, sim: &SimOutput) -> String {
    let mut s = String::from("strategy,from,to,per_person\n");
    for (si, st) in sim.strategies.iter().enumerate() {
        for (a, from) in model.states.iter().enumerate() {
            for (b, to) in model.states.iter().enumerate() {
                let x = st.transitions[a * sim.n_states + b];
                if x > 0.0 {
                    let _ = writeln!(
                        s,
                        "{},{},{},{x}",
                        model.strategies[si].name, from.name, to.name
                    );
                }
            }
        }
    }
    s
}

/// Write every base-case output into `dir`.
pub fn write_base_case(dir: &Path, model: &Model, sim: &SimOutput) -> Result<(), OutputError> {
    write_file(&dir.join("results.csv"), &results_csv(model, sim))?;
    write_file(&dir.join("icer.csv"), &icer_csv(model, sim))?;
    write_file(&dir.join("pairwise.csv"), &pairwise_csv(model, sim))?;
    write_file(&dir.join("nmb.csv"), &nmb_csv(model, sim))?;
    write_file(&dir.join("trace.csv"), &trace_csv(model, sim))?;
    write_file(&dir.join("transitions.csv"), &transitions_csv(model, sim))?;
    write_file(&dir.join("assumptions.csv"), &assumptions_csv(model))
}

/// `assumptions.csv`: every parameter without a source or whose source is an assumption.
pub fn assumptions_csv(model: &Model) -> String {
    let mut s = String::from("parameter,source\n");
    for p in model.assumptions() {
        let _ = writeln!(
            s,
            "{},{}",
            p.name,
            field(p.source.as_deref().unwrap_or("(none given)"))
        );
    }
    s
}
