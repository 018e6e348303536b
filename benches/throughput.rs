//! Simulation throughput in patient-cycles per second (individuals × cycles × strategies),
//! for the workloads and for an in-repo reference kernel, in one criterion group so that one
//! run measures them side by side on the same machine.
//!
//! Run with `cargo bench --bench throughput` (add `-- --sample-size 10` for a shorter run);
//! criterion reports "thrpt" in elements/s, where one element is one patient-cycle. At the
//! end the bench prints each workload's throughput as a ratio to the kernel's, read back
//! from criterion's estimates of this run: absolute speeds differ from machine to machine
//! and day to day, ratios measured in one run much less (`docs/performance.md`). It then
//! measures the ratios again in pairs, each workload timed between two timings of the
//! kernel (`print_paired_ratios`), which a machine whose speed drifts during the run moves
//! less.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput};
use rayon::prelude::*;
use trdsim::engine::{self, SimSpec};
use trdsim::model::Model;
use trdsim::rng::{self, Purpose};
use trdsim::{params, scenario};

/// The criterion group every bench belongs to.
const GROUP: &str = "patient-cycles";
/// The kernel's name within the group (the denominator of every ratio).
const KERNEL: &str = "kernel";

// ---------------------------------------------------------------------------
// The reference kernel
// ---------------------------------------------------------------------------

/// Individuals of one kernel run: × 2 strategies × 60 cycles = 6·10⁷ patient-cycles.
const KERNEL_INDIVIDUALS: usize = 500_000;
const KERNEL_CYCLES: usize = 60;
/// Individuals simulated in lockstep, one random stream each.
const LANES: usize = 4;
/// Individuals per rayon work unit, as in the engine.
const KERNEL_CHUNK: usize = 256;

/// A five-state model in its plainest form: per strategy, each state's cumulative
/// transition probabilities to states 0..4 (the next state is the number of running sums at
/// or below the uniform number), a cost and a utility per state. The numbers are the point
/// values of `benches/data/five-state-weekly.yaml` (depressed, response, remission,
/// relapse, dead; strategy b responds more often and costs more).
struct KernelModel {
    cum: [[[f64; 4]; 5]; 2],
    cost: [[f64; 5]; 2],
    utility: [f64; 5],
    /// Discount factors of costs and effects per cycle (3% and 1.5% a year, weekly cycles).
    disc_cost: [f64; KERNEL_CYCLES],
    disc_effect: [f64; KERNEL_CYCLES],
}

fn kernel_model() -> KernelModel {
    let (p_die, p_remit, p_relapse, p_recover) = (0.0004, 0.04, 0.015, 0.03);
    let row = |p: [f64; 5]| {
        let mut c = [0.0; 4];
        let mut s = 0.0;
        for j in 0..4 {
            s += p[j];
            c[j] = s;
        }
        c
    };
    let rows = |p_respond: f64| {
        [
            row([1.0 - p_die - p_respond, p_respond, 0.0, 0.0, p_die]),
            row([
                0.0,
                1.0 - p_die - p_remit - p_relapse,
                p_remit,
                p_relapse,
                p_die,
            ]),
            row([0.0, 0.0, 1.0 - p_die - p_relapse, p_relapse, p_die]),
            row([0.0, p_recover, 0.0, 1.0 - p_die - p_recover, p_die]),
            row([0.0, 0.0, 0.0, 0.0, 1.0]),
        ]
    };
    let week = 7.0 / 365.25;
    let disc = |r: f64| std::array::from_fn(|t| (1.0 + r).powf(-(t as f64) * week));
    KernelModel {
        cum: [rows(0.06), rows(0.08)],
        cost: [[310.0, 60.0, 0.0, 60.0, 0.0], [460.0, 60.0, 0.0, 60.0, 0.0]],
        utility: [0.58, 0.72, 0.85, 0.58, 0.0],
        disc_cost: disc(0.03),
        disc_effect: disc(0.015),
    }
}

/// Mean discounted cost and QALYs per strategy.
type KernelTotals = [[f64; 2]; 2];

/// The reference kernel: what any microsimulation of this model must do at the least, in
/// plain Rust. Each individual draws one uniform number per cycle from its own stream (the
/// engine's PCG-XSL-RR stream keyed by seed and individual, `trdsim::rng`, and its uniform
/// conversion), the same in both strategies (common random numbers), moves by the running
/// sums of its row and accrues its state's discounted cost and QALYs. Four individuals run
/// in lockstep so the processor overlaps their dependency chains; chunks of individuals run
/// on all cores (rayon) and are summed in chunk order.
fn kernel(m: &KernelModel, n_individuals: usize, seed: u64) -> KernelTotals {
    let dt = 7.0 / 365.25;
    let chunks: Vec<KernelTotals> = (0..n_individuals.div_ceil(KERNEL_CHUNK))
        .into_par_iter()
        .map(|c| {
            let lo = c * KERNEL_CHUNK;
            let hi = (lo + KERNEL_CHUNK).min(n_individuals);
            let mut sums = [[0.0; 2]; 2];
            for first in (lo..hi).step_by(LANES) {
                let lanes = (hi - first).min(LANES);
                let streams: [_; LANES] = std::array::from_fn(|lane| {
                    rng::stream(seed, Purpose::Transitions, 0, (first + lane) as u64)
                });
                for (s, sum) in sums.iter_mut().enumerate() {
                    let mut r = streams.clone();
                    let mut state = [0usize; LANES];
                    let (mut cost, mut qalys) = ([0.0; LANES], [0.0; LANES]);
                    for t in 0..KERNEL_CYCLES {
                        for lane in 0..lanes {
                            let st = state[lane];
                            cost[lane] += m.cost[s][st] * m.disc_cost[t];
                            qalys[lane] += m.utility[st] * dt * m.disc_effect[t];
                            let u = params::uniform(&mut r[lane]);
                            let cum = &m.cum[s][st];
                            state[lane] = cum.iter().map(|c| usize::from(*c <= u)).sum();
                        }
                    }
                    sum[0] += cost[..lanes].iter().sum::<f64>();
                    sum[1] += qalys[..lanes].iter().sum::<f64>();
                }
            }
            sums
        })
        .collect();
    let mut total = [[0.0; 2]; 2];
    for c in &chunks {
        for (t, x) in total.iter_mut().zip(c) {
            t[0] += x[0] / n_individuals as f64;
            t[1] += x[1] / n_individuals as f64;
        }
    }
    total
}

// ---------------------------------------------------------------------------
// The workloads
// ---------------------------------------------------------------------------

fn load(path: &str) -> Model {
    scenario::load(Path::new(path)).expect("scenario is valid")
}

fn spec(model: &Model, n: usize) -> SimSpec {
    SimSpec {
        draw: 0,
        n_individuals: n,
        seed: model.settings.seed,
        trajectories: 0,
    }
}

/// One bench: its name, patient-cycles per iteration, and one iteration.
struct Workload {
    name: &'static str,
    elements: u64,
    run: Box<dyn Fn()>,
}

/// A base case of `n` individuals; one element per individual, cycle and strategy.
fn base_case(name: &'static str, path: &str, n: usize) -> Workload {
    let model = load(path);
    let base = params::point_values(&model);
    let spec = spec(&model, n);
    let elements = (n * model.settings.n_cycles * model.strategies.len()) as u64;
    Workload {
        name,
        elements,
        run: Box::new(move || {
            black_box(engine::simulate(&model, &base, &spec, &|_| {}).expect("runs"));
        }),
    }
}

/// A PSA of `draws` draws of `n` individuals.
fn psa(name: &'static str, path: &str, draws: u64, n: usize) -> Workload {
    let model = load(path);
    let elements = draws * (n * model.settings.n_cycles * model.strategies.len()) as u64;
    Workload {
        name,
        elements,
        run: Box::new(move || {
            let seed = model.settings.seed;
            black_box(engine::simulate_draws(&model, 1, draws, n, seed, &|_| {}).expect("runs"));
        }),
    }
}

/// A lifetime base case: the horizon lasts until everyone has died, so one element is a
/// cycle actually lived (the trace's occupancy of the living states before the last
/// boundary, counted in a first run), not a cycle of the whole horizon.
fn lifetime(name: &'static str, path: &str, n: usize) -> Workload {
    let model = load(path);
    let base = params::point_values(&model);
    let spec = spec(&model, n);
    let sim = engine::simulate(&model, &base, &spec, &|_| {}).expect("runs");
    let n_states = model.states.len();
    let lived: f64 = sim
        .strategies
        .iter()
        .map(|s| {
            (0..model.settings.n_cycles)
                .flat_map(|t| (0..n_states).map(move |st| (t, st)))
                .filter(|(_, st)| model.states[*st].alive)
                .map(|(t, st)| s.trace[t * n_states + st])
                .sum::<f64>()
        })
        .sum();
    Workload {
        name,
        elements: (lived * n as f64).round() as u64,
        run: Box::new(move || {
            black_box(engine::simulate(&model, &base, &spec, &|_| {}).expect("runs"));
        }),
    }
}

/// The kernel and every workload, the kernel first.
fn workloads() -> Vec<Workload> {
    let m = kernel_model();
    let kernel = Workload {
        name: KERNEL,
        elements: (KERNEL_INDIVIDUALS * KERNEL_CYCLES * 2) as u64,
        run: Box::new(move || {
            black_box(kernel(&m, black_box(KERNEL_INDIVIDUALS), black_box(42)));
        }),
    };
    let five = "benches/data/five-state-weekly.yaml";
    let flagship = "scenarios/eko-vs-ect.yaml";
    vec![
        kernel,
        base_case("five-state-weekly", five, 10_000),
        psa("five-state-weekly-psa", five, 10, 10_000),
        base_case("eko-vs-ect", flagship, 10_000),
        psa("eko-vs-ect-psa", flagship, 10, 1_000),
        lifetime(
            "eko-vs-ect-lifetime",
            "scenarios/analyses/lifetime.yaml",
            1_000,
        ),
        base_case("three-state", "scenarios/examples/three-state.yaml", 10_000),
        base_case(
            "relapse-life-table",
            "scenarios/examples/relapse-life-table.yaml",
            10_000,
        ),
    ]
}

fn throughput(c: &mut Criterion, workloads: &[Workload]) {
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10);
    for w in workloads {
        g.throughput(Throughput::Elements(w.elements));
        g.bench_function(w.name, |b| b.iter(|| (w.run)()));
    }
    g.finish();
}

// ---------------------------------------------------------------------------
// Ratios to the kernel
// ---------------------------------------------------------------------------

/// Criterion's median time per iteration (ns) and elements per iteration of one bench,
/// when this run measured it (its estimates are newer than `since`).
fn measured(dir: &Path, name: &str, since: SystemTime) -> Option<(f64, f64)> {
    let bench = dir.join(GROUP).join(name);
    let estimates = bench.join("new/estimates.json");
    if std::fs::metadata(&estimates).ok()?.modified().ok()? < since {
        return None;
    }
    let read = |p: PathBuf| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
    };
    let median = read(estimates)?["median"]["point_estimate"].as_f64()?;
    let elements = read(bench.join("new/benchmark.json"))?["throughput"]["Elements"].as_f64()?;
    Some((median, elements))
}

/// Print every bench measured in this run as patient-cycles per second and as a ratio to
/// the kernel's.
fn print_ratios(since: SystemTime) {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| "target".into(), PathBuf::from);
    let dir = target.join("criterion");
    let names = [
        KERNEL,
        "five-state-weekly",
        "five-state-weekly-psa",
        "eko-vs-ect",
        "eko-vs-ect-psa",
        "eko-vs-ect-lifetime",
        "three-state",
        "relapse-life-table",
    ];
    let rate = |name| measured(&dir, name, since).map(|(ns, n)| n / (ns * 1e-9));
    let Some(kernel) = rate(KERNEL) else {
        println!("ratios to the kernel: the kernel was not measured in this run");
        return;
    };
    println!("\nthroughput as a ratio to the kernel, measured in this run:");
    println!("{:<24} {:>16} {:>8}", "bench", "patient-cycles/s", "ratio");
    for name in names {
        if let Some(r) = rate(name) {
            println!("{name:<24} {:>14.1} M {:>8.3}", r / 1e6, r / kernel);
        }
    }
}

/// Rounds of the paired measurement.
const ROUNDS: usize = 7;
/// Each timing repeats its workload until at least this long has passed.
const MIN_TIMING: Duration = Duration::from_millis(100);

/// Seconds per iteration of `w`, over as many iterations as fill `MIN_TIMING`.
fn seconds_per_iteration(w: &Workload) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while n == 0 || start.elapsed() < MIN_TIMING {
        (w.run)();
        n += 1;
    }
    start.elapsed().as_secs_f64() / f64::from(n)
}

/// Each workload's throughput as a ratio to the kernel's, measured in pairs: in each of
/// `ROUNDS` rounds every workload is timed between two timings of the kernel, and its ratio
/// is to their mean, so a machine whose speed drifts over the minutes of a criterion run
/// (by a fifth between two runs on 2026-12-02) moves both sides of a ratio alike. Prints
/// the median ratio of the rounds, with the lowest and highest.
fn print_paired_ratios(workloads: &[Workload]) {
    let Some((kernel, rest)) = workloads.split_first() else {
        return;
    };
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); rest.len()];
    for _ in 0..ROUNDS {
        for (w, r) in rest.iter().zip(&mut ratios) {
            let before = seconds_per_iteration(kernel);
            let t = seconds_per_iteration(w);
            let after = seconds_per_iteration(kernel);
            let kernel_rate = kernel.elements as f64 / ((before + after) / 2.0);
            r.push(w.elements as f64 / t / kernel_rate);
        }
    }
    println!(
        "\nthroughput as a ratio to the kernel, each workload timed between two timings of the \
         kernel, {ROUNDS} rounds:"
    );
    println!("{:<24} {:>8} {:>16}", "bench", "median", "lowest-highest");
    for (w, r) in rest.iter().zip(&mut ratios) {
        r.sort_by(f64::total_cmp);
        let (lo, mid, hi) = (r[0], r[r.len() / 2], r[r.len() - 1]);
        println!("{:<24} {mid:>8.3} {lo:>8.3}-{hi:.3}", w.name);
    }
}

fn main() {
    let since = SystemTime::now();
    let mut c = Criterion::default().configure_from_args();
    let workloads = workloads();
    throughput(&mut c, &workloads);
    c.final_summary();
    print_ratios(since);
    // Only where the benches ran, not when criterion lists or tests them.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--list") {
        print_paired_ratios(&workloads);
    }
}
