//! Command line: `trdsim run`, `trdsim validate`.
//!
//! Exit codes: 0 success, 1 invalid scenario or arguments, 2 failure while running or
//! writing. Diagnostics go to stderr; summaries go to stdout.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::{Model, ParamDef};
use crate::{cohort, engine, output, params, psa_output, scenario};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: invalid scenario or arguments.
pub const EXIT_INVALID: i32 = 1;
/// Exit code: failure while running or writing.
pub const EXIT_FAILURE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "trdsim",
    version,
    about = "Cost-effectiveness microsimulation for treatment-resistant depression (and models like it)",
    long_about = "trdsim reads a YAML scenario, simulates every strategy with an individual-level Markov \
                  microsimulation (or a cohort model), and writes costs, QALYs, the incremental analysis, \
                  net monetary benefit and the Markov trace.\n\nExit codes: 0 success, 1 invalid scenario \
                  or arguments, 2 failure while running or writing."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Simulate a scenario and write its base-case results.
    Run(RunArgs),
    /// Check a scenario and print its diagnostics or a summary.
    Validate {
        /// The scenario YAML file.
        scenario: PathBuf,
    },
    /// Combine result directories of PSA slices (--draw-range) into the result of one run.
    Merge {
        /// Result directories of the slices, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Result directory of the combined run.
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing result directory.
        #[arg(long)]
        force: bool,
    },
    /// One-way sensitivity analysis: each parameter at a low and a high value; dsa.csv and a tornado diagram.
    Dsa(DsaArgs),
    /// Run several scenarios and tabulate what differs in their inputs and results.
    Compare(CompareArgs),
    /// Rerun the run recorded in RUN_DIR/run.json and compare every output file byte for byte.
    Verify {
        /// A result directory written by `trdsim run` or `trdsim merge`.
        dir: PathBuf,
    },
    /// Write a self-contained report.html for a result directory.
    Report {
        /// A result directory written by `trdsim run` or `trdsim merge`.
        dir: PathBuf,
        /// Include the tornado diagrams of this `trdsim dsa` result directory.
        #[arg(long)]
        dsa: Option<PathBuf>,
        /// Include the scenario table of this `trdsim compare` result directory.
        #[arg(long)]
        compare: Option<PathBuf>,
    },
    /// Redraw every figure of a result directory from its CSV files and run.json.
    Plot {
        /// A result directory written by `trdsim run` or `trdsim merge`.
        dir: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct CompareArgs {
    /// Scenario files; differences are reported against the first.
    #[arg(required = true, num_args = 2..)]
    scenarios: Vec<PathBuf>,
    /// Also run a probabilistic analysis of N draws per scenario and report the probability cost-effective.
    #[arg(long, value_name = "N")]
    draws: Option<usize>,
    /// Individuals per scenario (and per draw with --draws) [default: each scenario's settings].
    #[arg(long)]
    individuals: Option<usize>,
    /// Result directory [default: outputs/compare].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing result directory.
    #[arg(long)]
    force: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct DsaArgs {
    /// The scenario YAML file.
    scenario: PathBuf,
    /// Only these parameters (comma-separated names) [default: every parameter with low/high or a distribution].
    #[arg(long, value_delimiter = ',')]
    params: Vec<String>,
    /// Two-way analysis of this pair of parameters over a grid, drawn as a heat map of the preferred strategy.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    two_way: Vec<String>,
    /// Grid points per parameter in a two-way analysis.
    #[arg(long, default_value_t = 11)]
    grid: usize,
    /// Willingness to pay per QALY for the net monetary benefit [default: the middle threshold of settings.wtp].
    #[arg(long)]
    wtp: Option<f64>,
    /// Perspective [default: the first in settings.perspectives].
    #[arg(long)]
    perspective: Option<String>,
    /// Individuals per evaluation [default: settings.individuals].
    #[arg(long)]
    individuals: Option<usize>,
    /// Result directory [default: outputs/<scenario name>-dsa].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing result directory.
    #[arg(long)]
    force: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The scenario YAML file.
    scenario: PathBuf,
    /// Result directory [default: outputs/<scenario name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Number of individuals (overrides settings.individuals).
    #[arg(long)]
    individuals: Option<usize>,
    /// Random seed (overrides settings.seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Evaluate as a cohort (expected values) instead of simulating individuals.
    #[arg(long)]
    cohort: bool,
    /// Replace an existing result directory.
    #[arg(long)]
    force: bool,
    /// Run a probabilistic sensitivity analysis with N parameter draws (default: settings.psa.draws when --draw-range is given).
    #[arg(long, value_name = "N")]
    draws: Option<usize>,
    /// Compute only draws A to B (1-based, inclusive) of the PSA, e.g. 1..250, for `trdsim merge`.
    #[arg(long, value_name = "A..B")]
    draw_range: Option<String>,
    /// Individuals per PSA draw (overrides settings.psa.individuals).
    #[arg(long, value_name = "N")]
    draw_individuals: Option<usize>,
    /// Also write report.html, a self-contained report for reimbursement advisors.
    #[arg(long)]
    report: bool,
    /// Also write the state path of the first N individuals to trajectories.csv.
    #[arg(long, value_name = "N", default_value_t = 0)]
    trajectories: usize,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Parse arguments and run; returns the process exit code.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_INVALID
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Validate { scenario } => validate(&scenario),
        Command::Run(args) => run(&args),
        Command::Merge { dirs, out, force } => merge(&dirs, &out, force),
        Command::Verify { dir } => verify(&dir),
        Command::Report { dir, dsa, compare } => write_report(
            &dir,
            &crate::report::Extras {
                dsa: dsa.as_deref(),
                compare: compare.as_deref(),
            },
        ),
        Command::Dsa(args) => dsa(&args),
        Command::Compare(args) => compare(&args),
        Command::Plot { dir } => match output::read_run_json(&dir)
            .and_then(|info| output::render(&dir, &info["figures"]))
        {
            Ok(_) => {
                out(&format!("figures redrawn in {}\n", dir.display()));
                EXIT_OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_FAILURE
            }
        },
    }
}

/// Print a run-time error at the scenario line of the transition concerned, when known.
fn report_sim_error(scenario: &Path, e: &engine::SimError) {
    let file = scenario.display();
    match e.at {
        Some((line, column)) => eprintln!("{file}:{line}:{column}: error: {}", e.message),
        None => eprintln!("{file}: error: {}", e.message),
    }
}

/// Write to stdout, ignoring a closed pipe (`trdsim run ... | head` must not panic).
fn out(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().write_all(text.as_bytes());
}

fn load(path: &Path) -> Result<Model, i32> {
    scenario::load(path).map_err(|e| {
        eprintln!("{e}");
        EXIT_INVALID
    })
}

fn validate(path: &Path) -> i32 {
    let model = match load(path) {
        Ok(m) => m,
        Err(code) => return code,
    };
    for w in &model.warnings {
        eprintln!("{w}");
    }
    out(&summary(&model));
    EXIT_OK
}

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
    let _ = writeln!(out, "  warnings: {}", model.warnings.len());
    out
}

fn run(args: &RunArgs) -> i32 {
    let started = Instant::now();
    let mut model = match load(&args.scenario) {
        Ok(m) => m,
        Err(code) => return code,
    };
    for w in &model.warnings {
        eprintln!("{w}");
    }
    if let Some(n) = args.individuals {
        if n == 0 || n as f64 > scenario::MAX_INDIVIDUALS {
            eprintln!(
                "error: --individuals: expected a number from 1 to {:e}, found {n}",
                scenario::MAX_INDIVIDUALS
            );
            return EXIT_INVALID;
        }
        model.settings.n_individuals = n;
    }
    if let Some(seed) = args.seed {
        model.settings.seed = seed;
    }
    let threads = match args.threads {
        Some(0) => {
            eprintln!("error: --threads: expected at least 1, found 0");
            return EXIT_INVALID;
        }
        Some(t) if t > 1024 => {
            eprintln!("error: --threads: expected at most 1024, found {t}");
            return EXIT_INVALID;
        }
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if args.cohort
        && let Err(e) = cohort::applicable(&model)
    {
        eprintln!(
            "{}: error: --cohort: {}",
            args.scenario.display(),
            e.message
        );
        return EXIT_INVALID;
    }
    let psa = match psa_plan(args, &model) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_INVALID;
        }
    };
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&model));
    if let Err(e) = output::check_target(&dir, args.force) {
        eprintln!("error: {e}");
        return EXIT_INVALID;
    }
    let scenario_bytes = match std::fs::read(&args.scenario) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", args.scenario.display());
            return EXIT_INVALID;
        }
    };
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start {threads} threads: {e}");
            return EXIT_FAILURE;
        }
    };
    let loaded = started.elapsed().as_secs_f64();
    let base = params::point_values(&model);
    let n = model.settings.n_individuals;
    let sim_started = Instant::now();
    let sim = if args.cohort {
        cohort::evaluate(&model, &base)
    } else {
        let bar = Progress::new(n as u64, args.quiet);
        let r = pool.install(|| {
            let spec = engine::SimSpec {
                draw: 0,
                n_individuals: n,
                seed: model.settings.seed,
                trajectories: args.trajectories,
            };
            engine::simulate(&model, &base, &spec, &|k| bar.inc(k as u64))
        });
        bar.finish();
        r
    };
    let sim = match sim {
        Ok(s) => s,
        Err(e) => {
            report_sim_error(&args.scenario, &e);
            return EXIT_FAILURE;
        }
    };
    let simulated = sim_started.elapsed().as_secs_f64();
    let psa_started = Instant::now();
    let draws = match psa {
        None => None,
        Some(plan) => {
            let bar = Progress::new(plan.last - plan.first + 1, args.quiet);
            bar.set_unit("draws");
            let r = pool.install(|| {
                engine::simulate_draws(
                    &model,
                    plan.first,
                    plan.last,
                    plan.individuals,
                    model.settings.seed,
                    &|k| bar.inc(k as u64),
                )
            });
            bar.finish();
            match r {
                Ok(d) => Some((plan, d)),
                Err(e) => {
                    report_sim_error(&args.scenario, &e);
                    return EXIT_FAILURE;
                }
            }
        }
    };
    let mut timings = vec![("load", loaded), ("simulate", simulated)];
    if draws.is_some() {
        timings.push(("psa", psa_started.elapsed().as_secs_f64()));
    }
    let info = output::RunInfo {
        scenario_path: args.scenario.display().to_string(),
        scenario_sha256: output::sha256_hex(&scenario_bytes),
        command: std::env::args().collect(),
        seed: model.settings.seed,
        n_individuals: if args.cohort { 0 } else { n },
        threads,
        trajectories: args.trajectories,
        method: if args.cohort {
            "cohort"
        } else {
            "microsimulation"
        },
        timings_s: timings,
    };
    let json = output::run_json(&model, &info);
    let figures = json["figures"].clone();
    let mut findings = None;
    if let Err(e) = output::write_atomically(&dir, args.force, json, |tmp| {
        output::write_base_case(tmp, &model, &sim)?;
        if args.trajectories > 0 {
            output::write_file(
                &tmp.join("trajectories.csv"),
                &output::trajectories_csv(&model, &sim),
            )?;
        }
        let mut extra = serde_json::Map::new();
        if let Some((plan, d)) = &draws {
            output::write_file(&tmp.join("draws.csv"), &psa_output::draws_csv(&model, d))?;
            output::write_file(&tmp.join("psa.csv"), &psa_output::psa_csv(&model, d))?;
            extra.insert(
                "psa".into(),
                serde_json::json!({
                    "draws_total": plan.total,
                    "draw_range": [plan.first, plan.last],
                    "individuals_per_draw": plan.individuals,
                }),
            );
        }
        let f = output::render(tmp, &figures)?;
        if let Some(f) = &f {
            extra.insert("psa_results".into(), psa_output::findings_json(f));
        }
        findings = f;
        Ok(extra)
    }) {
        eprintln!("error: {e}");
        return EXIT_FAILURE;
    }
    if args.report
        && let Err(e) = crate::report::write(&dir, &model, &crate::report::Extras::default())
    {
        eprintln!("error: {e}");
        return EXIT_FAILURE;
    }
    out(&report(&model, &sim));
    if let Some(f) = &findings {
        out(&psa_report(f));
    }
    out(&format!("results written to {}\n", dir.display()));
    EXIT_OK
}

/// Which PSA draws a run computes.
#[derive(Clone, Copy, Debug)]
struct PsaPlan {
    total: u64,
    first: u64,
    last: u64,
    individuals: usize,
}

fn psa_plan(args: &RunArgs, model: &Model) -> Result<Option<PsaPlan>, String> {
    if args.draws.is_none() && args.draw_range.is_none() {
        return Ok(None);
    }
    if args.cohort {
        return Err(
            "--draws: the probabilistic analysis simulates individuals; remove --cohort".into(),
        );
    }
    let total = args.draws.unwrap_or(model.settings.psa.n_draws);
    if total == 0 || total > 10_000_000 {
        return Err(format!(
            "--draws: expected a number from 1 to 10000000, found {total}"
        ));
    }
    let total = total as u64;
    let (first, last) = match &args.draw_range {
        None => (1, total),
        Some(r) => {
            let parsed = r.split_once("..").and_then(|(a, b)| {
                Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?))
            });
            match parsed {
                Some((a, b)) if 1 <= a && a <= b && b <= total => (a, b),
                _ => {
                    return Err(format!(
                        "--draw-range: expected A..B with 1 <= A <= B <= {total} (the number of draws), found `{r}`"
                    ));
                }
            }
        }
    };
    let individuals = args
        .draw_individuals
        .unwrap_or(model.settings.psa.n_individuals);
    if individuals == 0 || individuals as f64 > scenario::MAX_INDIVIDUALS {
        return Err(format!(
            "--draw-individuals: expected a number from 1 to {:e}, found {individuals}",
            scenario::MAX_INDIVIDUALS
        ));
    }
    Ok(Some(PsaPlan {
        total,
        first,
        last,
        individuals,
    }))
}

/// The console summary of the probabilistic analysis.
pub fn psa_report(f: &psa_output::PsaFindings) -> String {
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

/// The settings and parameter values of a model as comparable text, by item name.
fn inputs(model: &Model) -> Vec<(String, String)> {
    let st = &model.settings;
    let mut v = vec![
        (
            "settings.cycle".to_string(),
            format!("{} {}", st.cycle_length, st.cycle_unit.as_str()),
        ),
        ("settings.cycles".to_string(), st.n_cycles.to_string()),
        (
            "settings.discount.costs".to_string(),
            st.discount_rate_costs_annual.to_string(),
        ),
        (
            "settings.discount.effects".to_string(),
            st.discount_rate_effects_annual.to_string(),
        ),
        (
            "settings.within_cycle".to_string(),
            st.within_cycle.as_str().to_string(),
        ),
        (
            "settings.individuals".to_string(),
            st.n_individuals.to_string(),
        ),
        ("settings.seed".to_string(), st.seed.to_string()),
        ("settings.wtp".to_string(), format!("{:?}", st.wtp_per_qaly)),
    ];
    for (p, persp) in model.perspectives.iter().enumerate() {
        let cats: Vec<&str> = model
            .cost_categories
            .iter()
            .zip(&persp.includes)
            .filter(|(_, i)| **i)
            .map(|(c, _)| c.as_str())
            .collect();
        let _ = p;
        v.push((
            format!("settings.perspectives.{}", persp.name),
            cats.join(" "),
        ));
    }
    let base = params::point_values(model);
    for (i, p) in model.params.iter().enumerate() {
        let text = match &p.def {
            ParamDef::Value { dist, .. } => match dist {
                Some(d) => format!("{} ({d:?})", base[i]),
                None => base[i].to_string(),
            },
            ParamDef::Dirichlet { value, .. } => format!("{value} (Dirichlet)"),
            ParamDef::Derived(_) => "(derived)".to_string(),
        };
        v.push((format!("parameters.{}", p.name), text));
    }
    for st in &model.strategies {
        for (i, o) in st.overridden.iter().enumerate() {
            if *o {
                let text = match &st.params[i] {
                    ParamDef::Value { value, .. } => value.to_string(),
                    _ => "(expression)".to_string(),
                };
                v.push((
                    format!("strategies.{}.parameters.{}", st.name, model.params[i].name),
                    text,
                ));
            }
        }
    }
    v
}

fn compare(args: &CompareArgs) -> i32 {
    use std::fmt::Write as _;
    let mut models = Vec::new();
    for sc in &args.scenarios {
        match load(sc) {
            Ok(m) => models.push(m),
            Err(code) => return code,
        }
    }
    if let Some(n) = args.individuals
        && (n == 0 || n as f64 > scenario::MAX_INDIVIDUALS)
    {
        eprintln!(
            "error: --individuals: expected a number from 1 to {:e}, found {n}",
            scenario::MAX_INDIVIDUALS
        );
        return EXIT_INVALID;
    }
    if let Some(d) = args.draws
        && (d == 0 || d > 10_000_000)
    {
        eprintln!("error: --draws: expected a number from 1 to 10000000, found {d}");
        return EXIT_INVALID;
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join("compare"));
    if let Err(e) = output::check_target(&dir, args.force) {
        eprintln!("error: {e}");
        return EXIT_INVALID;
    }
    let first = inputs(&models[0]);
    let mut changes = String::from("scenario,item,in_first,in_this\n");
    let mut results =
        String::from("scenario,perspective,strategy,cost,qalys,inc_cost,inc_qalys,icer,status");
    let thresholds = models[0].settings.wtp_per_qaly.clone();
    if args.draws.is_some() {
        for w in &thresholds {
            let _ = write!(results, ",prob_cost_effective_{w}");
        }
    }
    results.push('\n');
    let field = |x: &str| {
        if x.contains(',') {
            format!("\"{}\"", x.replace('"', "\"\""))
        } else {
            x.to_string()
        }
    };
    for (sc, model) in args.scenarios.iter().zip(&models) {
        let name = sc.display().to_string();
        let these = inputs(model);
        for (item, value) in &these {
            let before = first
                .iter()
                .find(|(i, _)| i == item)
                .map(|(_, v)| v.as_str());
            if before != Some(value.as_str()) {
                let _ = writeln!(
                    changes,
                    "{},{},{},{}",
                    field(&name),
                    field(item),
                    field(before.unwrap_or("(absent)")),
                    field(value)
                );
            }
        }
        for (item, value) in &first {
            if !these.iter().any(|(i, _)| i == item) {
                let _ = writeln!(
                    changes,
                    "{},{},{},(absent)",
                    field(&name),
                    field(item),
                    field(value)
                );
            }
        }
        let n = args.individuals.unwrap_or(model.settings.n_individuals);
        let spec = engine::SimSpec {
            draw: 0,
            n_individuals: n,
            seed: model.settings.seed,
            trajectories: 0,
        };
        let sim = match engine::simulate(model, &params::point_values(model), &spec, &|_| {}) {
            Ok(s) => s,
            Err(e) => {
                report_sim_error(sc, &e);
                return EXIT_FAILURE;
            }
        };
        let draws = match args.draws {
            None => None,
            Some(d) => {
                let per = args.individuals.unwrap_or(model.settings.psa.n_individuals);
                let bar = Progress::new(d as u64, args.quiet);
                bar.set_unit("draws");
                let r =
                    engine::simulate_draws(model, 1, d as u64, per, model.settings.seed, &|k| {
                        bar.inc(k as u64)
                    });
                bar.finish();
                match r {
                    Ok(x) => Some(x),
                    Err(e) => {
                        report_sim_error(sc, &e);
                        return EXIT_FAILURE;
                    }
                }
            }
        };
        let l = sim.layout;
        for (p, persp) in model.perspectives.iter().enumerate() {
            let oc: Vec<crate::econ::Outcome> = sim
                .strategies
                .iter()
                .map(|s| crate::econ::Outcome {
                    cost: s.outcomes[l.perspective(p, true)].mean,
                    effect: s.outcomes[l.qalys(true)].mean,
                })
                .collect();
            let probs = draws.as_ref().map(|d| {
                let mut t = crate::econ::psa::PsaTable::new(model.strategies.len());
                for draw in d {
                    let c: Vec<f64> = draw
                        .outcomes
                        .iter()
                        .map(|o| o[l.perspective(p, true)])
                        .collect();
                    let e: Vec<f64> = draw.outcomes.iter().map(|o| o[l.qalys(true)]).collect();
                    t.push_draw(&c, &e);
                }
                crate::econ::psa::ceac(&t, &thresholds, model.settings.reference_strategy.0)
            });
            for row in crate::econ::incremental(&oc) {
                let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
                let _ = write!(
                    results,
                    "{},{},{},{},{},{},{},{},{}",
                    field(&name),
                    persp.name,
                    model.strategies[row.strategy].name,
                    row.cost,
                    row.effect,
                    opt(row.inc_cost),
                    opt(row.inc_effect),
                    opt(row.icer),
                    row.status.as_str()
                );
                if let Some(points) = &probs {
                    for pt in points {
                        let _ = write!(results, ",{}", pt.prob_best[row.strategy]);
                    }
                }
                results.push('\n');
            }
        }
    }
    let json = serde_json::json!({
        "tool": "trdsim",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "analysis": "scenario comparison",
        "scenarios": args.scenarios.iter().map(|s| s.display().to_string()).collect::<Vec<_>>(),
        "command": std::env::args().collect::<Vec<_>>(),
        "draws": args.draws,
    });
    if let Err(e) = output::write_atomically(&dir, args.force, json, |tmp| {
        output::write_file(&tmp.join("compare_inputs.csv"), &changes)?;
        output::write_file(&tmp.join("compare_results.csv"), &results)?;
        Ok(serde_json::Map::new())
    }) {
        eprintln!("error: {e}");
        return EXIT_FAILURE;
    }
    out(&format!(
        "compared {} scenarios; written to {}\n",
        models.len(),
        dir.display()
    ));
    EXIT_OK
}

fn dsa(args: &DsaArgs) -> i32 {
    let model = match load(&args.scenario) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let names: Vec<String> = model.params.iter().map(|p| p.name.clone()).collect();
    if !args.two_way.is_empty() && (args.two_way.len() != 2 || args.grid < 2 || args.grid > 101) {
        eprintln!("error: --two-way: expected two parameter names (A,B) and --grid from 2 to 101");
        return EXIT_INVALID;
    }
    let mut only = Vec::new();
    for name in args.params.iter().chain(&args.two_way) {
        match names.iter().position(|n| n == name) {
            Some(i) => only.push(i),
            None => {
                let hint = crate::suggest::did_you_mean(name, names.iter().map(String::as_str))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                eprintln!("error: --params: unknown parameter `{name}`{hint}");
                return EXIT_INVALID;
            }
        }
    }
    let ranges = crate::dsa::ranges(&model, (!only.is_empty()).then_some(only.as_slice()));
    let pair: Vec<&crate::dsa::Range> = args
        .two_way
        .iter()
        .filter_map(|n| ranges.iter().find(|r| model.params[r.param].name == *n))
        .collect();
    if !args.two_way.is_empty() && pair.len() != 2 {
        eprintln!(
            "error: --two-way: both parameters need `low`/`high` or a distribution, and must differ"
        );
        return EXIT_INVALID;
    }
    if ranges.is_empty() {
        eprintln!(
            "error: no parameter to vary: give parameters `low` and `high`, or a distribution"
        );
        return EXIT_INVALID;
    }
    let wtps = &model.settings.wtp_per_qaly;
    let wtp = match args.wtp.or_else(|| wtps.get(wtps.len() / 2).copied()) {
        Some(w) if w.is_finite() && w >= 0.0 => w,
        Some(w) => {
            eprintln!("error: --wtp: expected a non-negative number, found {w}");
            return EXIT_INVALID;
        }
        None => {
            eprintln!("error: --wtp: the scenario has no thresholds (settings.wtp); give --wtp");
            return EXIT_INVALID;
        }
    };
    let perspective = match &args.perspective {
        None => 0,
        Some(p) => match model.perspectives.iter().position(|x| x.name == *p) {
            Some(i) => i,
            None => {
                eprintln!("error: --perspective: unknown perspective `{p}`");
                return EXIT_INVALID;
            }
        },
    };
    let n = args.individuals.unwrap_or(model.settings.n_individuals);
    if n == 0 || n as f64 > scenario::MAX_INDIVIDUALS {
        eprintln!(
            "error: --individuals: expected a number from 1 to {:e}, found {n}",
            scenario::MAX_INDIVIDUALS
        );
        return EXIT_INVALID;
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}-dsa", model.name)));
    if let Err(e) = output::check_target(&dir, args.force) {
        eprintln!("error: {e}");
        return EXIT_INVALID;
    }
    let two_way = if pair.len() == 2 {
        let bar = Progress::new((args.grid * args.grid) as u64, args.quiet);
        bar.set_unit("grid points");
        let r = crate::dsa::two_way(
            &model,
            pair[0],
            pair[1],
            args.grid,
            perspective,
            wtp,
            n,
            &|k| bar.inc(k as u64),
        );
        bar.finish();
        match r {
            Ok(t) => Some(t),
            Err(e) => {
                report_sim_error(&args.scenario, &e);
                return EXIT_FAILURE;
            }
        }
    } else {
        None
    };
    let one_way_ranges: Vec<crate::dsa::Range> = if two_way.is_some() {
        Vec::new()
    } else {
        ranges.clone()
    };
    let bar = Progress::new(one_way_ranges.len() as u64, args.quiet);
    bar.set_unit("parameters");
    let result = crate::dsa::one_way(&model, &one_way_ranges, perspective, wtp, n, &|k| {
        bar.inc(k as u64)
    });
    bar.finish();
    let owsa = match result {
        Ok(o) => o,
        Err(e) => {
            report_sim_error(&args.scenario, &e);
            return EXIT_FAILURE;
        }
    };
    let scenario_bytes = std::fs::read(&args.scenario).unwrap_or_default();
    let json = serde_json::json!({
        "tool": "trdsim",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "analysis": "one-way sensitivity",
        "scenario": {"path": args.scenario.display().to_string(), "sha256": output::sha256_hex(&scenario_bytes)},
        "command": std::env::args().collect::<Vec<_>>(),
        "seed": model.settings.seed,
        "individuals": n,
        "perspective": model.perspectives[perspective].name,
        "wtp": wtp,
    });
    if let Err(e) = output::write_atomically(&dir, args.force, json, |tmp| {
        match &two_way {
            Some(t) => {
                output::write_file(
                    &tmp.join("dsa_two_way.csv"),
                    &psa_output::two_way_csv(&model, t, owsa.wtp, perspective),
                )?;
                psa_output::two_way_figure(tmp, &model, t, owsa.wtp, perspective)?;
            }
            None => {
                output::write_file(&tmp.join("dsa.csv"), &psa_output::dsa_csv(&model, &owsa))?;
                psa_output::tornado_figures(tmp, &model, &owsa)?;
            }
        }
        Ok(serde_json::Map::new())
    }) {
        eprintln!("error: {e}");
        return EXIT_FAILURE;
    }
    let what = match &two_way {
        Some(t) => format!(
            "two-way sensitivity analysis of `{}` and `{}`",
            model.params[t.x.param].name, model.params[t.y.param].name
        ),
        None => format!(
            "one-way sensitivity analysis of {} parameters",
            ranges.len()
        ),
    };
    out(&format!("{what} written to {}\n", dir.display()));
    EXIT_OK
}

fn write_report(dir: &Path, extras: &crate::report::Extras) -> i32 {
    let json = match output::read_run_json(dir) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    let Some(path) = json["scenario"]["path"].as_str() else {
        eprintln!("error: {}: no scenario path in run.json", dir.display());
        return EXIT_INVALID;
    };
    let model = match load(Path::new(path)) {
        Ok(m) => m,
        Err(code) => return code,
    };
    match crate::report::write(dir, &model, extras) {
        Ok(()) => {
            out(&format!(
                "report written to {}\n",
                dir.join("report.html").display()
            ));
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}

/// Rerun a recorded run and compare its files; prints "identical" or every difference.
fn verify(dir: &Path) -> i32 {
    let json = match output::read_run_json(dir) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    let Some(scenario) = json["scenario"]["path"].as_str() else {
        eprintln!("error: {}: no scenario path in run.json", dir.display());
        return EXIT_INVALID;
    };
    let bytes = match std::fs::read(scenario) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "error: cannot read the recorded scenario `{scenario}`: {e} (run verify from the directory the run was made in)"
            );
            return EXIT_INVALID;
        }
    };
    let recorded = json["scenario"]["sha256"].as_str().unwrap_or_default();
    if output::sha256_hex(&bytes) != recorded {
        eprintln!(
            "error: `{scenario}` has changed since the run (SHA-256 {} now, {recorded} recorded); the run cannot be reproduced from it",
            output::sha256_hex(&bytes)
        );
        return EXIT_FAILURE;
    }
    // The base of a scenario analysis and every table must be unchanged too.
    for input in json["inputs"].as_array().into_iter().flatten() {
        let path = input["path"].as_str().unwrap_or_default();
        let want = input["sha256"].as_str().unwrap_or_default();
        let now = std::fs::read(path)
            .map(|b| output::sha256_hex(&b))
            .unwrap_or_default();
        if now != want {
            eprintln!(
                "error: `{path}`, read by the scenario, has changed since the run (SHA-256 {now} now, {want} recorded)"
            );
            return EXIT_FAILURE;
        }
    }
    let mut args: Vec<String> = vec!["run".into(), scenario.into(), "--quiet".into()];
    let seed = json["seed"].as_u64().unwrap_or(0);
    args.extend(["--seed".into(), seed.to_string()]);
    if json["method"] == "cohort" {
        args.push("--cohort".into());
    } else if let Some(n) = json["individuals"].as_u64() {
        args.extend(["--individuals".into(), n.to_string()]);
    }
    if let Some(n) = json["trajectories"].as_u64().filter(|n| *n > 0) {
        args.extend(["--trajectories".into(), n.to_string()]);
    }
    if let (Some(total), Some(range), Some(per)) = (
        json["psa"]["draws_total"].as_u64(),
        json["psa"]["draw_range"].as_array(),
        json["psa"]["individuals_per_draw"].as_u64(),
    ) {
        let a = range.first().and_then(|x| x.as_u64()).unwrap_or(1);
        let b = range.get(1).and_then(|x| x.as_u64()).unwrap_or(total);
        args.extend([
            "--draws".into(),
            total.to_string(),
            "--draw-range".into(),
            format!("{a}..{b}"),
            "--draw-individuals".into(),
            per.to_string(),
        ]);
    }
    let tmp = std::env::temp_dir().join(format!("trdsim-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    args.extend(["--out".into(), tmp.display().to_string()]);
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot find the trdsim executable: {e}");
            return EXIT_FAILURE;
        }
    };
    out(&format!("rerunning: trdsim {}\n", args.join(" ")));
    let status = std::process::Command::new(exe)
        .args(&args)
        .stdout(std::process::Stdio::null())
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        let _ = std::fs::remove_dir_all(&tmp);
        eprintln!("error: the rerun failed");
        return EXIT_FAILURE;
    }
    let differences = compare_dirs(dir, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    if differences.is_empty() {
        out("identical\n");
        EXIT_OK
    } else {
        for d in &differences {
            out(&format!("{d}\n"));
        }
        eprintln!("error: {} file(s) differ from the rerun", differences.len());
        EXIT_FAILURE
    }
}

/// Every difference between a recorded result directory and a rerun, one line per file:
/// for CSV files the first differing row and column.
pub fn compare_dirs(recorded: &Path, rerun: &Path) -> Vec<String> {
    let names = |d: &Path| -> std::collections::BTreeSet<String> {
        std::fs::read_dir(d)
            .map(|it| {
                it.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    // run.json records times; report.html is a document derived from the rest.
                    .filter(|n| n != "run.json" && n != "report.html")
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (names(recorded), names(rerun));
    let mut diffs = Vec::new();
    for n in a.difference(&b) {
        diffs.push(format!(
            "{n}: in the recorded run but not produced by the rerun"
        ));
    }
    for n in b.difference(&a) {
        diffs.push(format!(
            "{n}: produced by the rerun but missing from the recorded run"
        ));
    }
    for n in a.intersection(&b) {
        let (x, y) = (
            std::fs::read(recorded.join(n)),
            std::fs::read(rerun.join(n)),
        );
        let (Ok(x), Ok(y)) = (x, y) else {
            diffs.push(format!("{n}: cannot be read"));
            continue;
        };
        if x == y {
            continue;
        }
        if n.ends_with(".csv") {
            let (tx, ty) = (String::from_utf8_lossy(&x), String::from_utf8_lossy(&y));
            let (lx, ly): (Vec<&str>, Vec<&str>) = (tx.lines().collect(), ty.lines().collect());
            let header: Vec<String> = lx
                .first()
                .map(|h| crate::table::split_csv_line(h))
                .unwrap_or_default();
            let row = (0..lx.len().max(ly.len()))
                .find(|i| lx.get(*i) != ly.get(*i))
                .unwrap_or(0);
            let fx = lx
                .get(row)
                .map(|l| crate::table::split_csv_line(l))
                .unwrap_or_default();
            let fy = ly
                .get(row)
                .map(|l| crate::table::split_csv_line(l))
                .unwrap_or_default();
            let col = (0..fx.len().max(fy.len()))
                .find(|i| fx.get(*i) != fy.get(*i))
                .unwrap_or(0);
            let name = header
                .get(col)
                .cloned()
                .unwrap_or_else(|| format!("{}", col + 1));
            diffs.push(format!(
                "{n}: row {}, column `{name}`: recorded `{}`, rerun `{}`",
                row + 1,
                fx.get(col).map(String::as_str).unwrap_or("(none)"),
                fy.get(col).map(String::as_str).unwrap_or("(none)")
            ));
        } else {
            diffs.push(format!(
                "{n}: differs (SHA-256 recorded {}, rerun {})",
                output::sha256_hex(&x),
                output::sha256_hex(&y)
            ));
        }
    }
    diffs
}

/// Files of the deterministic base case, which every slice computes identically.
const BASE_CASE_FILES: [&str; 9] = [
    "results.csv",
    "icer.csv",
    "pairwise.csv",
    "nmb.csv",
    "trace.csv",
    "transitions.csv",
    "assumptions.csv",
    "trace.png",
    "trace.svg",
];

fn merge(dirs: &[PathBuf], out: &Path, force: bool) -> i32 {
    match merge_slices(dirs, out, force) {
        Ok(f) => {
            self::out(&psa_report(&f));
            self::out(&format!(
                "merged {} slices into {}\n",
                dirs.len(),
                out.display()
            ));
            EXIT_OK
        }
        Err((code, message)) => {
            eprintln!("error: {message}");
            code
        }
    }
}

fn merge_slices(
    dirs: &[PathBuf],
    out: &Path,
    force: bool,
) -> Result<psa_output::PsaFindings, (i32, String)> {
    let invalid = |m: String| (EXIT_INVALID, m);
    output::check_target(out, force).map_err(|e| invalid(e.0))?;
    let mut slices = Vec::new();
    for d in dirs {
        let json = output::read_run_json(d).map_err(|e| invalid(e.0))?;
        let range = json["psa"]["draw_range"]
            .as_array()
            .and_then(|r| Some((r.first()?.as_u64()?, r.get(1)?.as_u64()?)));
        let Some((first, last)) = range else {
            return Err(invalid(format!(
                "`{}` has no probabilistic draws (run with --draws or --draw-range)",
                d.display()
            )));
        };
        slices.push((first, last, d.clone(), json));
    }
    slices.sort_by_key(|s| s.0);
    let head = &slices[0].3;
    let same = |json: &serde_json::Value, key: &[&str]| {
        let get = |j: &serde_json::Value| key.iter().fold(j.clone(), |v, k| v[*k].clone());
        get(json) == get(head)
    };
    let total = head["psa"]["draws_total"].as_u64().unwrap_or(0);
    let mut expected = 1;
    for (first, last, d, json) in &slices {
        for key in [
            &["scenario", "sha256"][..],
            &["seed"],
            &["psa", "draws_total"],
            &["psa", "individuals_per_draw"],
            &["individuals"],
            &["method"],
        ] {
            if !same(json, key) {
                return Err(invalid(format!(
                    "`{}` differs from `{}` in {}: the slices must come from the same scenario and settings",
                    d.display(),
                    slices[0].2.display(),
                    key.join(".")
                )));
            }
        }
        if *first != expected {
            return Err(invalid(format!(
                "draws {expected}..{} are missing or overlap: `{}` starts at draw {first}",
                first.max(&expected) - 1,
                d.display()
            )));
        }
        expected = last + 1;
    }
    if expected != total + 1 {
        return Err(invalid(format!(
            "the slices cover draws 1..{} of {total}; expected all of them",
            expected - 1
        )));
    }
    let read = |d: &Path, name: &str| {
        std::fs::read_to_string(d.join(name))
            .map_err(|e| invalid(format!("cannot read `{}`: {e}", d.join(name).display())))
    };
    let mut draws_csv = String::new();
    let mut psa_csv = String::new();
    for (i, (_, _, d, _)) in slices.iter().enumerate() {
        for (name, acc) in [("draws.csv", &mut draws_csv), ("psa.csv", &mut psa_csv)] {
            let text = read(d, name)?;
            let mut lines = text.split_inclusive('\n');
            let header = lines.next().unwrap_or_default();
            if i == 0 {
                acc.push_str(header);
            } else if !acc.starts_with(header) {
                return Err(invalid(format!(
                    "`{}` has other columns than the first slice",
                    d.join(name).display()
                )));
            }
            lines.for_each(|l| acc.push_str(l));
        }
        if i > 0 {
            for name in BASE_CASE_FILES {
                let a = std::fs::read(slices[0].2.join(name)).ok();
                let b = std::fs::read(d.join(name)).ok();
                if a != b {
                    return Err(invalid(format!(
                        "`{}` differs between slices; expected the same base case",
                        name
                    )));
                }
            }
        }
    }
    let mut json = head.clone();
    json["psa"]["draw_range"] = serde_json::json!([1, total]);
    json["command"] = serde_json::json!(std::env::args().collect::<Vec<_>>());
    json["merged_from"] = serde_json::json!(
        slices
            .iter()
            .map(|s| s.2.display().to_string())
            .collect::<Vec<_>>()
    );
    if let Some(obj) = json.as_object_mut() {
        obj.remove("files");
        obj.remove("psa_results");
    }
    let figures = json["figures"].clone();
    let mut findings = None;
    output::write_atomically(out, force, json, |tmp| {
        for name in BASE_CASE_FILES {
            std::fs::copy(slices[0].2.join(name), tmp.join(name))
                .map_err(|e| output::OutputError(format!("cannot copy `{name}`: {e}")))?;
        }
        output::write_file(&tmp.join("draws.csv"), &draws_csv)?;
        output::write_file(&tmp.join("psa.csv"), &psa_csv)?;
        let f = output::render(tmp, &figures)?;
        let mut extra = serde_json::Map::new();
        if let Some(f) = &f {
            extra.insert("psa_results".into(), psa_output::findings_json(f));
        }
        findings = f;
        Ok(extra)
    })
    .map_err(|e| (EXIT_FAILURE, e.0))?;
    findings.ok_or_else(|| (EXIT_FAILURE, "no PSA results were produced".into()))
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

/// A progress bar on stderr that appears only after a second, and only on a terminal.
struct Progress {
    bar: ProgressBar,
    shown: AtomicBool,
    done: AtomicUsize,
    started: Instant,
    enabled: bool,
}

impl Progress {
    fn new(total: u64, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} individuals (ETA {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            shown: AtomicBool::new(false),
            done: AtomicUsize::new(0),
            started: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    fn set_unit(&self, unit: &'static str) {
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {unit} (ETA {{eta}})"
        )) {
            self.bar.set_style(style.progress_chars("=> "));
        }
    }

    fn inc(&self, k: u64) {
        self.done.fetch_add(k as usize, Ordering::Relaxed);
        self.bar.inc(k);
        if self.enabled
            && self.started.elapsed().as_secs_f64() > 1.0
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        if self.shown.load(Ordering::Relaxed) {
            self.bar.finish_and_clear();
        }
    }
}
