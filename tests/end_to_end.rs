//! End-to-end runs of the command line: shipped scenarios, reproducibility, outputs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{code, files, root, s, stderr, stdout, tempdir, trdsim};

/// Every scenario file shipped under `scenarios/` (not the data files).
fn shipped_scenarios() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("scenarios"), &mut out);
    out.sort();
    out
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let scenarios = shipped_scenarios();
    assert!(
        scenarios.len() >= 2,
        "expected the examples, found {scenarios:?}"
    );
    let tmp = tempdir();
    for (i, sc) in scenarios.iter().enumerate() {
        let out = trdsim(&["validate", s(sc)]);
        assert_eq!(
            code(&out),
            0,
            "{} does not validate:\n{}",
            sc.display(),
            stderr(&out)
        );
        assert!(stdout(&out).contains("valid"), "{}", stdout(&out));
        let dir = tmp.path().join(format!("run{i}"));
        let out = trdsim(&["run", s(sc), "--out", s(&dir), "--quiet"]);
        assert_eq!(
            code(&out),
            0,
            "{} does not run:\n{}",
            sc.display(),
            stderr(&out)
        );
        for f in [
            "results.csv",
            "icer.csv",
            "pairwise.csv",
            "nmb.csv",
            "trace.csv",
            "transitions.csv",
            "assumptions.csv",
            "trace.png",
            "trace.svg",
            "run.json",
        ] {
            let p = dir.join(f);
            assert!(
                p.is_file() && fs::metadata(&p).unwrap().len() > 0,
                "{} missing {f}",
                sc.display()
            );
        }
    }
}

fn run_to(dir: &Path, extra: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let sc = root().join("scenarios/examples/relapse-life-table.yaml");
    let mut args = vec![
        "run",
        s(&sc),
        "--out",
        s(dir),
        "--individuals",
        "3000",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let out = trdsim(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut f = files(dir);
    // run.json records timings and the thread count, so it is compared separately.
    f.remove("run.json");
    f
}

#[test]
fn same_seed_gives_identical_bytes_for_any_thread_count() {
    let tmp = tempdir();
    let a = run_to(&tmp.path().join("a"), &["--threads", "1"]);
    let b = run_to(&tmp.path().join("b"), &["--threads", "2"]);
    let c = run_to(&tmp.path().join("c"), &["--threads", "2"]);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{name} differs between --threads 1 and --threads 2"
        );
        assert!(
            bytes == &c[name],
            "{name} differs between two identical runs"
        );
    }
    let d = run_to(&tmp.path().join("d"), &["--seed", "99"]);
    assert_ne!(
        a["results.csv"], d["results.csv"],
        "another seed must give other numbers"
    );
}

#[test]
fn run_json_records_the_run_and_hashes_every_file() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run_to(&dir, &["--seed", "5"]);
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["seed"], 5);
    assert_eq!(json["individuals"], 3000);
    assert_eq!(json["tool_version"], env!("CARGO_PKG_VERSION"));
    let scenario = fs::read(root().join("scenarios/examples/relapse-life-table.yaml")).unwrap();
    assert_eq!(
        json["scenario"]["sha256"],
        trdsim::output::sha256_hex(&scenario)
    );
    let listed = json["files"].as_object().unwrap();
    let on_disk = files(&dir);
    assert_eq!(
        listed.len() + 1,
        on_disk.len(),
        "every file but run.json is listed"
    );
    for (name, hash) in listed {
        assert_eq!(
            hash.as_str().unwrap(),
            trdsim::output::sha256_hex(&on_disk[name]),
            "{name}"
        );
    }
    // Assumptions are listed, with their sources.
    let assumptions = json["assumptions"].as_array().unwrap();
    assert!(
        assumptions
            .iter()
            .any(|a| a["parameter"] == "p_remission_later")
    );
    assert!(
        !assumptions
            .iter()
            .any(|a| a["parameter"] == "hr_maintenance")
    );
}

#[test]
fn cohort_run_writes_the_same_files() {
    let tmp = tempdir();
    let dir = tmp.path().join("c");
    let sc = root().join("scenarios/examples/three-state.yaml");
    let out = trdsim(&["run", s(&sc), "--cohort", "--out", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let icer = fs::read_to_string(dir.join("icer.csv")).unwrap();
    assert!(
        icer.starts_with("perspective,strategy,cost,qalys,"),
        "{icer}"
    );
    // The trace of a cohort is occupancy; every boundary sums to one.
    let trace = fs::read_to_string(dir.join("trace.csv")).unwrap();
    let mut sums: BTreeMap<(String, String), f64> = BTreeMap::new();
    for line in trace.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        *sums.entry((f[0].into(), f[1].into())).or_default() += f[3].parse::<f64>().unwrap();
    }
    assert_eq!(sums.len(), 2 * 31);
    for (k, v) in sums {
        assert!((v - 1.0).abs() < 1e-12, "{k:?} sums to {v}");
    }
}

#[test]
fn trajectories_add_up_to_the_trace() {
    let tmp = tempdir();
    let dir = tmp.path().join("t");
    let sc = root().join("scenarios/examples/relapse-life-table.yaml");
    let out = trdsim(&[
        "run",
        s(&sc),
        "--out",
        s(&dir),
        "--individuals",
        "300",
        "--trajectories",
        "300",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut counts: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let paths = fs::read_to_string(dir.join("trajectories.csv")).unwrap();
    for line in paths.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        *counts
            .entry((f[1].into(), f[2].into(), f[3].into()))
            .or_default() += 1;
    }
    let trace = fs::read_to_string(dir.join("trace.csv")).unwrap();
    let mut checked = 0;
    for line in trace.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let share: f64 = f[3].parse().unwrap();
        let n = counts
            .get(&(f[0].into(), f[1].into(), f[2].into()))
            .copied()
            .unwrap_or(0);
        assert_eq!(n as f64 / 300.0, share, "{line}");
        checked += 1;
    }
    assert_eq!(checked, 2 * 61 * 4);
}

#[test]
fn the_committed_reference_run_is_reproduced_exactly() {
    // outputs/eko-vs-ect/ is the analysis docs/model-eko-vs-ect.md reports, made by
    // `trdsim run scenarios/eko-vs-ect.yaml --draws 1000 --out outputs/eko-vs-ect`;
    // `verify` reruns what run.json records and compares every file.
    let out = trdsim(&["verify", "outputs/eko-vs-ect"]);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).ends_with("identical\n"), "{}", stdout(&out));
}

#[test]
fn verify_names_the_first_differing_row_and_column() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    let sc = root().join("scenarios/examples/three-state.yaml");
    let out = trdsim(&[
        "run",
        s(&sc),
        "--out",
        s(&dir),
        "--individuals",
        "300",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let results = dir.join("results.csv");
    let text = fs::read_to_string(&results).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut fields: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    fields[5] = "1234.5".into();
    lines[2] = fields.join(",");
    fs::write(&results, lines.join("\n") + "\n").unwrap();
    fs::remove_file(dir.join("trace.svg")).unwrap();
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 2);
    let report = stdout(&out);
    assert!(
        report.contains("results.csv: row 3, column `mean`: recorded `1234.5`"),
        "{report}"
    );
    assert!(
        report.contains("trace.svg: produced by the rerun but missing from the recorded run"),
        "{report}"
    );
    assert!(
        stderr(&out).contains("2 file(s) differ"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn report_is_self_contained_and_has_every_section() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    let html = crate::common::report_run(&dir);
    let sc = root().join("scenarios/eko-vs-ect.yaml");
    for section in [
        "decision-problem",
        "structure",
        "parameters",
        "base-case",
        "psa",
        "validation",
        "cheers",
        "reproducibility",
    ] {
        assert!(
            html.contains(&format!("id=\"{section}\"")),
            "section {section} missing"
        );
    }
    // Self-contained: figures inline, no external files, scripts or stylesheets.
    assert_eq!(
        html.matches("<svg").count(),
        10,
        "structure + trace + 4 PSA figures per perspective"
    );
    for external in ["<script", "<link", "src=", "url(http", "<img"] {
        assert!(
            !html.contains(external),
            "report refers to something external: {external}"
        );
    }
    // Assumptions are highlighted in the parameter table; the CHEERS checklist has 28 items.
    // Each parameter is named by its label, with its id beneath.
    assert!(html.contains(
        "<tr class=\"assumption\"><td>Cost of a day-treatment day<br><small><code>c_day_treatment_day</code>"
    ));
    assert!(html.contains(
        "<tr><td>Cost of an inpatient day (psychiatric ward)<br><small><code>c_inpatient_day</code>"
    ));
    assert_eq!(html.matches("<tr><td>28</td>").count(), 1);
    // Derived parameters and transitions show what the scenario says.
    assert!(html.contains("<code>= p_w8_remission_ect</code>"));
    // Prices given in 2022 are shown indexed to the scenario's price year.
    assert!(html.contains("indexed: 2022 prices × 1.073"));
    assert!(html.contains(
        "Remission after the first course <code>(1 - p_die_background) * p_response_to_remission</code>"
    ));
    // run.json records the report's SHA-256, which verify checks.
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    // `trdsim report` writes the same document again.
    let before = html;
    fs::remove_file(dir.join("report.html")).unwrap();
    let out = trdsim(&["report", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(before, fs::read_to_string(dir.join("report.html")).unwrap());
    // With a one-way analysis and a scenario comparison, their results are included too.
    let (dsa, cmp) = (tmp.path().join("dsa"), tmp.path().join("cmp"));
    let out = trdsim(&[
        "dsa",
        s(&sc),
        "--individuals",
        "200",
        "--params",
        "c_day_treatment_day",
        "--out",
        s(&dsa),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let variant = root().join("scenarios/analyses/discount-2016.yaml");
    let out = trdsim(&[
        "compare",
        s(&sc),
        s(&variant),
        "--individuals",
        "200",
        "--out",
        s(&cmp),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = trdsim(&["report", s(&dir), "--dsa", s(&dsa), "--compare", s(&cmp)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("id=\"dsa\"") && html.contains("id=\"scenarios\""));
    assert_eq!(
        html.matches("<svg").count(),
        17,
        "the tornado diagram and the scenarios' forest plots (2 perspectives × 3 thresholds) are inline too"
    );
    assert!(
        html.contains("settings.discount.costs"),
        "the scenario's change is listed"
    );
}

/// An amount in whole euros as the report writes it, computed here independently of the
/// report's formatter: `€27,927`, `−€5,182`.
fn euros(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 && digits != "0" { "−" } else { "" };
    format!("{sign}€{grouped}")
}

/// The rows of a CSV file without quoted fields, by column name.
fn csv_rows(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

/// The key results come first and agree with the run's own files; tables show labels and
/// formatted numbers, never the program's internals; scenarios appear by title with their
/// increments against the comparator; a scenario without a population says so.
#[test]
fn report_opens_with_key_results_that_agree_with_the_result_files() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    let html = crate::common::report_run(&dir);
    let key = html.find("id=\"key-results\"").expect("a key-results box");
    assert!(
        key < html.find("id=\"decision-problem\"").unwrap(),
        "the box comes first"
    );
    // Costs per strategy from icer.csv, probabilities at the Dutch thresholds from ceac.csv.
    let label = |id: &str| {
        if id == "eko" {
            "Oral esketamine (EKO)"
        } else {
            "ECT"
        }
    };
    for row in csv_rows(&dir.join("icer.csv")) {
        let cost: f64 = row["cost"].parse().unwrap();
        assert!(
            html[key..].contains(&format!("<td class=\"num\">{}</td>", euros(cost))),
            "cost {} of {}",
            euros(cost),
            row["strategy"]
        );
    }
    for row in csv_rows(&dir.join("ceac.csv")) {
        if ["20000", "50000", "80000"].contains(&row["wtp"].as_str()) {
            let p: f64 = row["prob_best"].parse().unwrap();
            let text = format!("{:.1}%", p * 100.0).replace(".0%", "%");
            assert!(
                html[key..].contains(&format!("<td class=\"num\">{text}</td>")),
                "{text}"
            );
        }
    }
    // The decision: the strategy with the highest net benefit at every threshold, from nmb.csv.
    let best: Vec<String> = csv_rows(&dir.join("nmb.csv"))
        .into_iter()
        .filter(|r| r["perspective"] == "societal" && r["best"] == "true")
        .map(|r| r["strategy"].clone())
        .collect();
    let decision = if best.iter().all(|b| *b == best[0]) {
        format!(
            "<strong>Societal perspective.</strong> {} is cost-effective at €20,000, €50,000 and €80,000 per QALY",
            label(&best[0])
        )
    } else {
        "<strong>Societal perspective.</strong> Cost-effective (highest net benefit):".to_string()
    };
    assert!(html.contains(&decision), "{decision}");
    assert!(html.contains("EVPPI was not run"));
    assert!(html.contains("parameters are assumptions"));
    // No internals: raw distributions, float noise, internal notes, negative ICERs.
    for internal in [
        "μ =",
        "Beta {",
        "LogNormal {",
        "0.48000000000000004",
        "seed 002",
        "domain brief",
        "inmb_vs_reference",
        "€-",
    ] {
        assert!(!html.contains(internal), "the report shows `{internal}`");
    }
    // Parameters: mean (95% interval) of Beta(7, 3) (share_ect_inpatient), 0.3999 to 0.9251.
    assert!(html.contains("<td class=\"num\">0.700 (0.400 to 0.925)</td>\n<td>beta</td>"));
    // Scenarios by title, with increments against the comparator from compare_results.csv.
    let sc = root().join("scenarios/eko-vs-ect.yaml");
    let variant = root().join("scenarios/analyses/ect-inpatient-0.yaml");
    let cmp = tmp.path().join("cmp");
    let out = trdsim(&[
        "compare",
        s(&sc),
        s(&variant),
        "--individuals",
        "200",
        "--out",
        s(&cmp),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = trdsim(&["report", s(&dir), "--compare", s(&cmp)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let title = trdsim::scenario::load(&variant).unwrap().meta.title;
    assert!(html.contains(&format!(
        "<tr class=\"group\"><th colspan=\"6\">{title}</th></tr>"
    )));
    assert!(
        !html.contains("analyses/ect-inpatient-0.yaml"),
        "no file paths"
    );
    let rows = csv_rows(&cmp.join("compare_results.csv"));
    let cost = |strategy: &str| -> f64 {
        rows.iter()
            .find(|r| {
                r["scenario"].ends_with("ect-inpatient-0.yaml")
                    && r["perspective"] == "societal"
                    && r["strategy"] == strategy
            })
            .unwrap()["cost"]
            .parse()
            .unwrap()
    };
    let increment = euros(cost("eko") - cost("ect"));
    assert!(
        html.contains(&format!("<td class=\"num\">{increment}</td>")),
        "{increment}"
    );
    // A scenario without a population: the population EVPI is not given, and that is said.
    let three = tmp.path().join("three");
    let example = root().join("scenarios/examples/three-state.yaml");
    let out = trdsim(&[
        "run",
        s(&example),
        "--draws",
        "4",
        "--individuals",
        "100",
        "--out",
        s(&three),
        "--report",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = fs::read_to_string(three.join("report.html")).unwrap();
    assert!(html.contains("<td class=\"num\">no population set</td>"));
    assert!(html.contains("The scenario sets no population"));
}

/// layout-rs panics on the graph of `tests/data/layout-panic.yaml`: the report is still
/// written, with the table of transitions, and the user gets one warning instead of the
/// panic's message and backtrace.
#[test]
fn a_state_diagram_that_cannot_be_laid_out_gives_one_warning() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    let sc = root().join("tests/data/layout-panic.yaml");
    let out = trdsim(&[
        "run",
        s(&sc),
        "--out",
        s(&dir),
        "--individuals",
        "20",
        "--report",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "warning: the state diagram could not be laid out (layout-rs: assertion failed"
        ),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("The state diagram could not be laid out"));
    assert_eq!(html.matches("<td class=\"transition-number\">").count(), 10);
    assert!(!html.contains("aria-label=\"State-transition diagram\""));
}
