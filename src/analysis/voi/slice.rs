//! The nested EVPPI in slices of its outer draws, for a cluster's job array.
//!
//! The estimator needs, of every outer draw `k`, only the conditional mean costs and QALYs
//! of each strategy (over all inner draws and over each half), and those depend only on
//! the seed, `k` and the plan (`nested`), not on which process computes them or in what
//! order. A slice (`trdsim voi RUN_DIR --method nested --outer-range A..B --out SLICE`)
//! therefore computes outer draws `A..=B` and records their means exactly (shortest
//! round-trip numbers in `nested.csv`); combining the slices (`trdsim voi RUN_DIR --merge
//! SLICE...`) puts the means back in draw order and gives the EVPPI of the unsliced run
//! bit for bit. A slice records the run it belongs to (the scenario's and `psa.csv`'s
//! SHA-256, the seed) and the request, so that slices of different runs or settings, and
//! overlapping or missing ranges, are refused by name.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::model::Model;
use crate::model::table::split_csv_line;

use super::super::psa::AnalysisSettings;
use super::super::read::{ReadError, check_complete, finite};
use super::super::{AnalysisError, Progress, manifest};
use super::{OuterMeans, VoiMethod, VoiRequest, VoiResult, nested, targets};

/// `run.json`'s `analysis` in a slice directory.
pub const ANALYSIS: &str = "nested EVPPI slice";
/// The file of a slice that holds its conditional means.
pub const MEANS_FILE: &str = "nested.csv";
/// The columns of [`MEANS_FILE`].
pub const COLUMNS: &str = "target,outer_draw,sample,strategy,perspective,cost,qalys";
/// The inner samples of an outer draw, in the order of [`OuterMeans`].
pub const SAMPLES: [&str; 3] = ["all", "first_half", "second_half"];

/// The run a slice was computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct RunIdentity {
    pub scenario_sha256: String,
    pub seed: u64,
    /// SHA-256 of the run's `psa.csv` (the draws the EVPI comes from).
    pub psa_sha256: String,
}

impl RunIdentity {
    /// The identity of a run directory from its `run.json`.
    #[must_use]
    pub fn of(info: &Value) -> RunIdentity {
        RunIdentity {
            scenario_sha256: info["scenario"]["sha256"]
                .as_str()
                .unwrap_or_default()
                .into(),
            seed: info["seed"].as_u64().unwrap_or_default(),
            psa_sha256: info["files"]["psa.csv"].as_str().unwrap_or_default().into(),
        }
    }
}

/// Outer draws `first..=last` of a nested analysis, computed or read back.
#[derive(Clone, Debug)]
pub struct NestedSlice {
    pub run: RunIdentity,
    /// The request as given (its options recorded unresolved, as `trdsim voi` records them).
    pub request: VoiRequest,
    /// The resolved (outer, inner, individuals).
    pub plan: (usize, usize, usize),
    pub range: (u64, u64),
    pub targets: Vec<String>,
    pub strategies: Vec<String>,
    pub perspectives: Vec<String>,
    /// `[target][k − first]`.
    pub means: Vec<Vec<OuterMeans>>,
}

/// A checked request for one slice.
pub struct SlicePlan {
    plan: nested::NestedPlan,
    targets: Vec<super::Target>,
    range: (u64, u64),
}

/// Check a slice request before anything is simulated: the nested options, and `range`
/// (`A..B`, 1 ≤ A ≤ B ≤ the number of outer draws).
pub fn plan(model: &Model, req: &VoiRequest, range: &str) -> Result<SlicePlan, AnalysisError> {
    if req.method != VoiMethod::Nested {
        return Err(AnalysisError::Invalid(
            "--outer-range: slices are of the nested estimator's outer draws; add --method nested"
                .into(),
        ));
    }
    let targets = targets(model, req)?;
    let plan = nested::plan(model, req, &targets)?;
    let outer = plan.outer as u64;
    let parsed = range
        .split_once("..")
        .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)));
    let range = match parsed {
        Some((a, b)) if 1 <= a && a <= b && b <= outer => (a, b),
        _ => {
            return Err(AnalysisError::Invalid(format!(
                "--outer-range: expected A..B with 1 <= A <= B <= {outer} (the number of outer draws), found `{range}`"
            )));
        }
    };
    Ok(SlicePlan {
        plan,
        targets,
        range,
    })
}

/// Compute the slice: the conditional means of its outer draws for every target. `info`
/// is the run directory's `run.json`, `model` its scenario with its seed.
pub fn compute(
    model: &Model,
    info: &Value,
    req: &VoiRequest,
    plan: &SlicePlan,
    progress: &dyn Progress,
) -> Result<NestedSlice, AnalysisError> {
    let means = nested::outer_means_of(model, &plan.targets, &plan.plan, plan.range, progress)?;
    let p = &plan.plan;
    Ok(NestedSlice {
        run: RunIdentity::of(info),
        request: req.clone(),
        plan: (p.outer, p.inner, p.individuals),
        range: plan.range,
        targets: plan.targets.iter().map(|t| t.name.clone()).collect(),
        strategies: model.strategies.iter().map(|s| s.name.clone()).collect(),
        perspectives: model.perspectives.iter().map(|p| p.name.clone()).collect(),
        means,
    })
}

impl NestedSlice {
    /// What a slice directory's `run.json` records besides its files.
    #[must_use]
    pub fn manifest(&self, run_dir: &Path) -> Value {
        let r = &self.request;
        json!({
            "tool": "trdsim",
            "tool_version": env!("CARGO_PKG_VERSION"),
            "analysis": ANALYSIS,
            "run": run_dir.display().to_string(),
            "command": std::env::args().collect::<Vec<_>>(),
            "scenario": {"sha256": self.run.scenario_sha256},
            "seed": self.run.seed,
            "psa_sha256": self.run.psa_sha256,
            "request": {
                "params": r.params, "groups": r.groups,
                "outer": r.outer, "inner": r.inner, "individuals": r.individuals,
            },
            "nested": {"outer": self.plan.0, "inner": self.plan.1, "individuals": self.plan.2},
            "outer_range": [self.range.0, self.range.1],
            "targets": self.targets,
            "strategies": self.strategies,
            "perspectives": self.perspectives,
        })
    }
}

/// Read a slice directory, checked against its `run.json` (every file with its SHA-256)
/// and its `nested.csv` row by row against what `run.json` records.
pub fn read(dir: &Path) -> Result<NestedSlice, AnalysisError> {
    let d = manifest::open(dir, &|_| false)?;
    d.expect_analysis(ANALYSIS, "trdsim voi --outer-range")?;
    let j = &d.json;
    let bad = |what: &str| {
        AnalysisError::from(ReadError::Manifest {
            file: d.file("run.json"),
            what: format!("no valid `{what}`"),
        })
    };
    let strings = |v: &Value, what: &str| -> Result<Vec<String>, AnalysisError> {
        v.as_array()
            .ok_or_else(|| bad(what))?
            .iter()
            .map(|s| s.as_str().map(String::from).ok_or_else(|| bad(what)))
            .collect()
    };
    let count = |v: &Value, what: &str| v.as_u64().ok_or_else(|| bad(what));
    let option = |v: &Value, what: &str| -> Result<Option<usize>, AnalysisError> {
        match v {
            Value::Null => Ok(None),
            v => Ok(Some(count(v, what)? as usize)),
        }
    };
    let r = &j["request"];
    let request = VoiRequest {
        params: strings(&r["params"], "request.params")?,
        groups: strings(&r["groups"], "request.groups")?,
        method: VoiMethod::Nested,
        outer: option(&r["outer"], "request.outer")?,
        inner: option(&r["inner"], "request.inner")?,
        individuals: option(&r["individuals"], "request.individuals")?,
    };
    let n = &j["nested"];
    let plan = (
        count(&n["outer"], "nested.outer")? as usize,
        count(&n["inner"], "nested.inner")? as usize,
        count(&n["individuals"], "nested.individuals")? as usize,
    );
    let range = (
        count(&j["outer_range"][0], "outer_range")?,
        count(&j["outer_range"][1], "outer_range")?,
    );
    if !(1 <= range.0 && range.0 <= range.1 && range.1 <= plan.0 as u64) {
        return Err(bad("outer_range"));
    }
    let mut slice = NestedSlice {
        run: RunIdentity {
            scenario_sha256: j["scenario"]["sha256"]
                .as_str()
                .ok_or_else(|| bad("scenario.sha256"))?
                .into(),
            seed: count(&j["seed"], "seed")?,
            psa_sha256: j["psa_sha256"]
                .as_str()
                .ok_or_else(|| bad("psa_sha256"))?
                .into(),
        },
        request,
        plan,
        range,
        targets: strings(&j["targets"], "targets")?,
        strategies: strings(&j["strategies"], "strategies")?,
        perspectives: strings(&j["perspectives"], "perspectives")?,
        means: Vec::new(),
    };
    let file = d.file(MEANS_FILE);
    let text = d
        .text(MEANS_FILE)?
        .ok_or_else(|| ReadError::Missing { file: file.clone() })?;
    slice.means = parse_means(&text, &file, &slice)?;
    Ok(slice)
}

/// The rows of `nested.csv` in the order they are written: target, outer draw, sample,
/// strategy, perspective.
pub fn rows(slice: &NestedSlice) -> impl Iterator<Item = (usize, u64, usize, usize, usize)> + '_ {
    let (ns, np) = (slice.strategies.len(), slice.perspectives.len());
    (0..slice.targets.len()).flat_map(move |t| {
        (slice.range.0..=slice.range.1).flat_map(move |k| {
            (0..SAMPLES.len())
                .flat_map(move |m| (0..ns).flat_map(move |s| (0..np).map(move |p| (t, k, m, s, p))))
        })
    })
}

/// Parse `nested.csv`: exactly the rows [`rows`] gives, each cost and QALY finite; a
/// strategy's QALYs must be the same in each perspective.
fn parse_means(
    text: &str,
    file: &str,
    slice: &NestedSlice,
) -> Result<Vec<Vec<OuterMeans>>, AnalysisError> {
    check_complete(text, file)?;
    let line_error = |line: usize, what: String| ReadError::Line {
        file: file.to_string(),
        line,
        what,
    };
    let mut lines = text.lines();
    if lines.next() != Some(COLUMNS) {
        return Err(line_error(1, format!("expected the header `{COLUMNS}`")).into());
    }
    let (ns, np) = (slice.strategies.len(), slice.perspectives.len());
    let empty = || OuterMeans {
        cost: std::array::from_fn(|_| vec![vec![0.0; ns]; np]),
        effect: std::array::from_fn(|_| vec![0.0; ns]),
    };
    let n_outer = (slice.range.1 + 1 - slice.range.0) as usize;
    let mut means: Vec<Vec<OuterMeans>> = (0..slice.targets.len())
        .map(|_| (0..n_outer).map(|_| empty()).collect())
        .collect();
    let mut expected = rows(slice);
    for (i, line) in lines.enumerate() {
        let number = i + 2;
        let Some((t, k, m, s, p)) = expected.next() else {
            return Err(line_error(number, "more rows than the slice's outer draws".into()).into());
        };
        let f = split_csv_line(line);
        let key = [
            slice.targets[t].clone(),
            k.to_string(),
            SAMPLES[m].to_string(),
            slice.strategies[s].clone(),
            slice.perspectives[p].clone(),
        ];
        if f.len() != 7 || f[..5] != key {
            return Err(line_error(number, format!("expected a row for {}", key.join(","))).into());
        }
        let om = &mut means[t][(k - slice.range.0) as usize];
        om.cost[m][p][s] = finite(&f[5], "cost", file, number)?;
        let q = finite(&f[6], "qalys", file, number)?;
        if p > 0 && q.to_bits() != om.effect[m][s].to_bits() {
            return Err(line_error(number, "QALYs differ between perspectives".into()).into());
        }
        om.effect[m][s] = q;
    }
    if expected.next().is_some() {
        return Err(line_error(
            text.lines().count(),
            "fewer rows than the slice's outer draws (the file was cut)".into(),
        )
        .into());
    }
    Ok(means)
}

/// Combine slices of the nested EVPPI of the run directory `dir` (`info` its `run.json`,
/// `model` its scenario with its seed) into exactly the result of the unsliced analysis,
/// with the request the slices were computed for. The slices, in any order, must be of
/// this run, of one request, and cover outer draws 1..K once.
pub fn combine(
    dir: &Path,
    a: &AnalysisSettings,
    model: &Model,
    info: &Value,
    slices: Vec<(PathBuf, NestedSlice)>,
) -> Result<(VoiResult, VoiRequest), AnalysisError> {
    let mut slices = slices;
    slices.sort_by_key(|(_, s)| s.range.0);
    let Some((head_dir, head)) = slices.first() else {
        return Err(AnalysisError::Invalid(
            "--merge: name the slice directories".into(),
        ));
    };
    let run = RunIdentity::of(info);
    for (d, s) in &slices {
        check_same(dir, &run, (head_dir, head), (d, s))?;
    }
    check_coverage(&slices)?;
    let req = head.request.clone();
    let (data, _, targets, grid) = super::prepare(dir, a, model, &req)?;
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    let perspectives: Vec<String> = model.perspectives.iter().map(|p| p.name.clone()).collect();
    let strategies: Vec<String> = model.strategies.iter().map(|s| s.name.clone()).collect();
    if names != head.targets || perspectives != head.perspectives || strategies != head.strategies {
        return Err(AnalysisError::Invalid(format!(
            "`{}` records other targets, strategies or perspectives than the scenario of `{}` gives for its request",
            head_dir.display(),
            dir.display()
        )));
    }
    let means: Vec<Vec<OuterMeans>> = (0..targets.len())
        .map(|t| {
            slices
                .iter()
                .flat_map(|(_, s)| s.means[t].iter().cloned())
                .collect()
        })
        .collect();
    let e = nested::from_means(model, &data.perspectives, &means, &grid);
    let result = super::finish(
        &data,
        a,
        targets,
        grid,
        e.estimates,
        VoiMethod::Nested,
        Some(head.plan),
    )?;
    Ok((result, req))
}

/// A slice must belong to the run `dir` and have the first slice's request.
fn check_same(
    dir: &Path,
    run: &RunIdentity,
    (head_dir, head): (&Path, &NestedSlice),
    (d, s): (&Path, &NestedSlice),
) -> Result<(), AnalysisError> {
    let of_run = [
        (
            "scenario SHA-256",
            s.run.scenario_sha256 == run.scenario_sha256,
        ),
        ("seed", s.run.seed == run.seed),
        ("psa.csv SHA-256", s.run.psa_sha256 == run.psa_sha256),
    ];
    if let Some((what, _)) = of_run.iter().find(|(_, same)| !same) {
        return Err(AnalysisError::Invalid(format!(
            "`{}` was computed from another run than `{}` (its {what} differs); compute every slice from this run directory",
            d.display(),
            dir.display()
        )));
    }
    let (r, h) = (&s.request, &head.request);
    let settings = [
        ("--params", r.params == h.params),
        ("--groups", r.groups == h.groups),
        ("--outer", r.outer == h.outer && s.plan.0 == head.plan.0),
        ("--inner", r.inner == h.inner && s.plan.1 == head.plan.1),
        (
            "--individuals",
            r.individuals == h.individuals && s.plan.2 == head.plan.2,
        ),
    ];
    if let Some((what, _)) = settings.iter().find(|(_, same)| !same) {
        return Err(AnalysisError::Invalid(format!(
            "`{}` differs from `{}` in {what}: the slices must come from one request",
            d.display(),
            head_dir.display()
        )));
    }
    Ok(())
}

/// Sorted slices must cover outer draws 1..K, each once.
fn check_coverage(slices: &[(PathBuf, NestedSlice)]) -> Result<(), AnalysisError> {
    let total = slices[0].1.plan.0 as u64;
    let mut expected = 1;
    for (d, s) in slices {
        if s.range.0 != expected {
            let what = if s.range.0 < expected {
                format!(
                    "overlap: `{}` starts at outer draw {}, but outer draws up to {} are in an earlier slice",
                    d.display(),
                    s.range.0,
                    expected - 1
                )
            } else {
                format!(
                    "are missing: outer draws {expected}..{} are in no slice (`{}` starts at {})",
                    s.range.0 - 1,
                    d.display(),
                    s.range.0
                )
            };
            return Err(AnalysisError::Invalid(format!("the slices {what}")));
        }
        expected = s.range.1 + 1;
    }
    if expected != total + 1 {
        return Err(AnalysisError::Invalid(format!(
            "the slices are missing outer draws: they cover 1..{} of {total}",
            expected - 1
        )));
    }
    Ok(())
}
