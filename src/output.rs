//! Writing results: CSV tables, figures and `run.json`, atomically.
//!
//! A run is written into a temporary directory next to the target and renamed into
//! place only when every file is complete, so a failed or interrupted run leaves no
//! half-written result directory. Numbers are written with Rust's shortest round-trip
//! formatting, so the same results always give the same bytes.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::econ::{self, Outcome};
use crate::engine::{Layout, SimOutput};
use crate::model::Model;
use crate::plot::{self, Series};

/// A failure while writing results.
#[derive(Debug)]
pub struct OutputError(pub String);

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OutputError {}

/// What `run.json` records besides the results.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub command: Vec<String>,
    pub seed: u64,
    pub n_individuals: usize,
    pub threads: usize,
    pub method: &'static str,
    /// Individuals whose paths were recorded (`--trajectories`).
    pub trajectories: usize,
    pub timings_s: Vec<(&'static str, f64)>,
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Quote a CSV field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

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

/// Labels and settings the figures need, recorded in `run.json` under `"figures"` so that
/// `trdsim plot` can redraw every figure from the result directory alone.
pub fn figure_info(model: &Model) -> serde_json::Value {
    use serde_json::json;
    let a = crate::psa_output::analysis_settings(model);
    json!({
        "title": model.meta.title,
        "currency": model.meta.currency,
        "cycle_length": model.settings.cycle_length,
        "cycle_unit": model.settings.cycle_unit.as_str(),
        "states": model.states.iter().map(|s| json!({"id": s.name, "label": s.label})).collect::<Vec<_>>(),
        "strategies": model.strategies.iter().map(|s| json!({"id": s.name, "label": s.label})).collect::<Vec<_>>(),
        "reference": a.reference,
        "thresholds": a.thresholds,
        "wtp_max": a.wtp_max,
        "wtp_steps": a.wtp_steps,
        "population_per_year": a.population_per_year,
        "population_years": a.population_years,
        "population_discount": a.population_discount,
    })
}

fn label_map(info: &serde_json::Value, key: &str) -> Vec<(String, String)> {
    info[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    let id = x["id"].as_str().unwrap_or_default().to_string();
                    let label = x["label"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| id.clone());
                    (id, label)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Draw the Markov trace from `trace.csv` in `dir`.
pub fn trace_figure(dir: &Path, info: &serde_json::Value) -> Result<(), OutputError> {
    let file = dir.join("trace.csv");
    let text = fs::read_to_string(&file)
        .map_err(|e| OutputError(format!("cannot read `{}`: {e}", file.display())))?;
    let states = label_map(info, "states");
    let strategies = label_map(info, "strategies");
    let len = info["cycle_length"].as_f64().unwrap_or(1.0);
    let unit = info["cycle_unit"].as_str().unwrap_or("cycles");
    // points[strategy][state] = (time, share)
    let mut points = vec![vec![Vec::new(); states.len()]; strategies.len()];
    for (i, line) in text.lines().enumerate().skip(1) {
        let f = crate::table::split_csv_line(line);
        let bad = || {
            OutputError(format!(
                "{}:{}: expected strategy,cycle,state,share",
                file.display(),
                i + 1
            ))
        };
        if f.len() != 4 {
            return Err(bad());
        }
        let s = strategies
            .iter()
            .position(|(id, _)| *id == f[0])
            .ok_or_else(bad)?;
        let k = states
            .iter()
            .position(|(id, _)| *id == f[2])
            .ok_or_else(bad)?;
        let t: f64 = f[1].parse().map_err(|_| bad())?;
        let share: f64 = f[3].parse().map_err(|_| bad())?;
        points[s][k].push((t * len, share));
    }
    let panels: Vec<(&str, Vec<Series>)> = strategies
        .iter()
        .zip(&points)
        .map(|((_, label), pts)| {
            let series = states
                .iter()
                .zip(pts)
                .map(|((_, state), p)| Series {
                    label: state,
                    points: p,
                })
                .collect();
            (label.as_str(), series)
        })
        .collect();
    let title = format!(
        "Markov trace: {}",
        info["title"].as_str().unwrap_or_default()
    );
    let x_label = format!("Time ({unit})");
    plot::trace(&dir.join("trace"), &title, &x_label, &panels)
        .map_err(|e| OutputError(e.to_string()))
}

/// Analysis settings recorded in `run.json`.
pub fn analysis_from_info(info: &serde_json::Value) -> crate::psa_output::AnalysisSettings {
    crate::psa_output::AnalysisSettings {
        title: info["title"].as_str().unwrap_or_default().to_string(),
        currency: info["currency"].as_str().unwrap_or_default().to_string(),
        reference: info["reference"].as_str().unwrap_or_default().to_string(),
        thresholds: info["thresholds"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default(),
        wtp_max: info["wtp_max"].as_f64().unwrap_or(100_000.0),
        wtp_steps: info["wtp_steps"].as_u64().unwrap_or(100) as usize,
        population_per_year: info["population_per_year"].as_f64().unwrap_or(0.0),
        population_years: info["population_years"].as_u64().unwrap_or(0) as u32,
        population_discount: info["population_discount"].as_f64().unwrap_or(0.0),
        labels: label_map(info, "strategies"),
    }
}

/// Redraw every figure of a result directory from its CSV files and `run.json`; with PSA
/// files present, the PSA tables and figures are recomputed from `psa.csv` too.
pub fn render(
    dir: &Path,
    info: &serde_json::Value,
) -> Result<Option<crate::psa_output::PsaFindings>, OutputError> {
    trace_figure(dir, info)?;
    let psa_file = dir.join("psa.csv");
    if !psa_file.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&psa_file)
        .map_err(|e| OutputError(format!("cannot read `{}`: {e}", psa_file.display())))?;
    let data = crate::psa_output::parse_psa(&text, &psa_file.display().to_string())?;
    crate::psa_output::analyse(dir, &data, &analysis_from_info(info)).map(Some)
}

/// Read `run.json` of a result directory.
pub fn read_run_json(dir: &Path) -> Result<serde_json::Value, OutputError> {
    let file = dir.join("run.json");
    let bytes = fs::read(&file)
        .map_err(|e| OutputError(format!("cannot read `{}`: {e}", file.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| OutputError(format!("`{}` is not valid JSON: {e}", file.display())))
}

/// Where results go by default: `outputs/<scenario name>/`.
pub fn default_dir(model: &Model) -> PathBuf {
    Path::new("outputs").join(&model.name)
}

/// Fail early when the result directory exists and may not be replaced.
pub fn check_target(dir: &Path, force: bool) -> Result<(), OutputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError(format!(
            "`{}` exists and is not a directory; expected a result directory (choose another --out)",
            dir.display()
        )));
    }
    if dir.exists() && !force {
        return Err(OutputError(format!(
            "the result directory `{}` already exists; use --force to replace it or --out to choose another",
            dir.display()
        )));
    }
    Ok(())
}

/// Write files into a fresh temporary directory and move it to `dir` when all succeeded.
///
/// `write` receives the temporary directory; `run.json` is then added with the SHA-256
/// of every file.
pub fn write_atomically(
    dir: &Path,
    force: bool,
    run_json: serde_json::Value,
    write: impl FnOnce(&Path) -> Result<serde_json::Map<String, serde_json::Value>, OutputError>,
) -> Result<(), OutputError> {
    check_target(dir, force)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .map_err(|e| OutputError(format!("cannot create `{}`: {e}", parent.display())))?;
    let base = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let tmp = parent.join(format!(".{base}.tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir(&tmp)
        .map_err(|e| OutputError(format!("cannot create `{}`: {e}", tmp.display())))?;
    let result = (|| {
        let extra = write(&tmp)?;
        let mut files = serde_json::Map::new();
        let mut names: Vec<String> = fs::read_dir(&tmp)
            .map_err(|e| OutputError(format!("cannot list `{}`: {e}", tmp.display())))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        names.sort();
        for name in names {
            let bytes = fs::read(tmp.join(&name))
                .map_err(|e| OutputError(format!("cannot read back `{name}`: {e}")))?;
            files.insert(name, serde_json::Value::String(sha256_hex(&bytes)));
        }
        let mut json = run_json;
        if let Some(obj) = json.as_object_mut() {
            obj.extend(extra);
            obj.insert("files".into(), serde_json::Value::Object(files));
        }
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| OutputError(format!("cannot encode run.json: {e}")))?;
        write_file(&tmp.join("run.json"), &(text + "\n"))
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        let old = parent.join(format!(".{base}.old-{}", std::process::id()));
        fs::rename(dir, &old).map_err(|e| {
            OutputError(format!(
                "cannot move the old `{}` aside: {e}",
                dir.display()
            ))
        })?;
        if let Err(e) = fs::rename(&tmp, dir) {
            let _ = fs::rename(&old, dir);
            let _ = fs::remove_dir_all(&tmp);
            return Err(OutputError(format!(
                "cannot move results into `{}`: {e}",
                dir.display()
            )));
        }
        let _ = fs::remove_dir_all(&old);
    } else if let Err(e) = fs::rename(&tmp, dir) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(OutputError(format!(
            "cannot move results into `{}`: {e}",
            dir.display()
        )));
    }
    Ok(())
}

/// Write one text file, naming it in the error.
pub fn write_file(path: &Path, text: &str) -> Result<(), OutputError> {
    fs::write(path, text)
        .map_err(|e| OutputError(format!("cannot write `{}`: {e}", path.display())))
}

/// The parts of `run.json` that describe the run (the file list is added on writing).
pub fn run_json(model: &Model, info: &RunInfo) -> serde_json::Value {
    use serde_json::json;
    let assumptions: Vec<serde_json::Value> = model
        .assumptions()
        .iter()
        .map(|p| {
            json!({
                "parameter": p.name,
                "source": p.source.clone().unwrap_or_else(|| "(none given)".into()),
            })
        })
        .collect();
    let timings: serde_json::Map<String, serde_json::Value> = info
        .timings_s
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "tool": "trdsim",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": model.name,
            "title": model.meta.title,
            "path": info.scenario_path,
            "sha256": info.scenario_sha256,
        },
        "command": info.command,
        "method": info.method,
        "seed": info.seed,
        "individuals": info.n_individuals,
        "threads": info.threads,
        "trajectories": info.trajectories,
        "cycles": model.settings.n_cycles,
        "cycle": format!("{} {}", model.settings.cycle_length, model.settings.cycle_unit.as_str()),
        "within_cycle": model.settings.within_cycle.as_str(),
        "discount": {
            "costs": model.settings.discount_rate_costs_annual,
            "effects": model.settings.discount_rate_effects_annual,
        },
        "timings_s": timings,
        "warnings": model.warnings,
        "inputs": model
            .inputs
            .iter()
            .map(|f| json!({
                "path": f.display().to_string(),
                "sha256": fs::read(f).map(|b| sha256_hex(&b)).unwrap_or_default(),
            }))
            .collect::<Vec<_>>(),
        "assumptions": assumptions,
        "figures": figure_info(model),
    })
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
