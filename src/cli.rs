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
use crate::{cohort, engine, output, params, scenario};

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
    }
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
    print!("{}", summary(&model));
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
        cohort::evaluate(&model, &base).map_err(|e| (e.message, e.at))
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
        r.map_err(|e| (e.message, e.at))
    };
    let sim = match sim {
        Ok(s) => s,
        Err((message, at)) => {
            let file = args.scenario.display();
            match at {
                Some((line, column)) => eprintln!("{file}:{line}:{column}: error: {message}"),
                None => eprintln!("{file}: error: {message}"),
            }
            return EXIT_FAILURE;
        }
    };
    let simulated = sim_started.elapsed().as_secs_f64();
    let info = output::RunInfo {
        scenario_path: args.scenario.display().to_string(),
        scenario_sha256: output::sha256_hex(&scenario_bytes),
        command: std::env::args().collect(),
        seed: model.settings.seed,
        n_individuals: if args.cohort { 0 } else { n },
        threads,
        method: if args.cohort {
            "cohort"
        } else {
            "microsimulation"
        },
        timings_s: vec![("load", loaded), ("simulate", simulated)],
    };
    let json = output::run_json(&model, &info);
    if let Err(e) = output::write_atomically(&dir, args.force, json, |tmp| {
        output::write_base_case(tmp, &model, &sim)?;
        if args.trajectories > 0 {
            output::write_file(
                &tmp.join("trajectories.csv"),
                &output::trajectories_csv(&model, &sim),
            )?;
        }
        Ok(())
    }) {
        eprintln!("error: {e}");
        return EXIT_FAILURE;
    }
    print!("{}", report(&model, &sim));
    println!("results written to {}", dir.display());
    EXIT_OK
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
