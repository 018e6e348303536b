//! Simulation throughput in patient-cycles per second (individuals × cycles × strategies).
//!
//! Run with `cargo bench --bench throughput`; criterion reports "thrpt" in elements/s,
//! where one element is one patient-cycle.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trdsim::engine::{self, SimSpec};
use trdsim::{params, scenario};

fn bench_scenario(c: &mut Criterion, name: &str, path: &str, n: usize) {
    let model = scenario::load(Path::new(path)).expect("scenario is valid");
    let base = params::point_values(&model);
    let spec = SimSpec {
        draw: 0,
        n_individuals: n,
        seed: model.settings.seed,
        trajectories: 0,
    };
    let cycles = (n * model.settings.n_cycles * model.strategies.len()) as u64;
    let mut group = c.benchmark_group("simulate");
    group.throughput(Throughput::Elements(cycles));
    group.sample_size(10);
    group.bench_function(name, |b| {
        b.iter(|| engine::simulate(&model, &base, &spec, &|_| {}).expect("runs"))
    });
    group.finish();
}

/// PSA throughput on the reference workload: draws of 10,000 individuals, 2 strategies, 60 cycles.
fn bench_psa(c: &mut Criterion) {
    let model = scenario::load(Path::new("benches/data/five-state-weekly.yaml")).expect("valid");
    let n = 10_000;
    let draws = 10u64;
    let cycles = draws * (n * model.settings.n_cycles * model.strategies.len()) as u64;
    let mut group = c.benchmark_group("psa");
    group.throughput(Throughput::Elements(cycles));
    group.sample_size(10);
    group.bench_function("five-state-weekly, 10 draws x 10000 individuals", |b| {
        b.iter(|| {
            engine::simulate_draws(&model, 1, draws, n, model.settings.seed, &|_| {}).expect("runs")
        })
    });
    group.finish();
}

fn throughput(c: &mut Criterion) {
    bench_scenario(
        c,
        "three-state",
        "scenarios/examples/three-state.yaml",
        10_000,
    );
    bench_scenario(
        c,
        "relapse-life-table",
        "scenarios/examples/relapse-life-table.yaml",
        10_000,
    );
    bench_scenario(c, "eko-vs-ect", "scenarios/eko-vs-ect.yaml", 10_000);
    bench_scenario(
        c,
        "five-state-weekly",
        "benches/data/five-state-weekly.yaml",
        10_000,
    );
}

criterion_group!(benches, throughput, bench_psa);
criterion_main!(benches);
