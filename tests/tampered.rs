//! Result directories altered after they were written: `verify` checks every recorded
//! SHA-256 (the report's included), and `merge`, `report` and `plot` refuse a directory that
//! differs from its manifest or whose tables disagree with it, naming the file and line.
//!
//! Where a test rewrites a file's hash in `run.json` too ("forged"), it checks the second
//! line of defence: the contents read back against what run.json records.

use std::fs;
use std::path::Path;

use trdsim::analysis::manifest;
use trdsim::analysis::read::ReadError;

use crate::common::{code, root, s, stderr, stdout, tempdir, trdsim};

const SCENARIO: &str = "scenarios/examples/three-state.yaml";

/// A run of the three-state example into `dir`.
fn run(dir: &Path, extra: &[&str]) {
    let sc = root().join(SCENARIO);
    let mut args = vec![
        "run",
        s(&sc),
        "--out",
        s(dir),
        "--individuals",
        "300",
        "--draw-individuals",
        "50",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let out = trdsim(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("run.json")).unwrap()).unwrap()
}

fn set_run_json(dir: &Path, json: &serde_json::Value) {
    fs::write(
        dir.join("run.json"),
        serde_json::to_string_pretty(json).unwrap(),
    )
    .unwrap();
}

/// Record `hash` for `name` in run.json.
fn record(dir: &Path, name: &str, hash: &str) {
    let mut json = run_json(dir);
    json["files"][name] = serde_json::json!(hash);
    set_run_json(dir, &json);
}

/// Replace `name` by `text` and record its true SHA-256, as a careful forger would.
fn forge(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
    record(dir, name, &trdsim::output::sha256_hex(text.as_bytes()));
}

fn lines(dir: &Path, name: &str) -> Vec<String> {
    fs::read_to_string(dir.join(name))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn joined(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn assert_fails(out: &std::process::Output, exit: i32, fragments: &[&str]) {
    let err = stderr(out);
    assert_eq!(code(out), exit, "stdout: {}\nstderr: {err}", stdout(out));
    for f in fragments {
        assert!(err.contains(f), "expected `{f}` in:\n{err}");
    }
}

#[test]
fn verify_checks_every_hash_recorded_in_run_json() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run(&dir, &[]);
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));

    // A wrong hash, and a recorded file that is absent: the files themselves rerun
    // identically, so only the manifest check can tell.
    let wrong = "0".repeat(64);
    record(&dir, "results.csv", &wrong);
    record(&dir, "ghost.csv", &wrong);
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let report = stdout(&out);
    let actual = trdsim::output::sha256_hex(&fs::read(dir.join("results.csv")).unwrap());
    assert!(
        report.contains(&format!(
            "results.csv: altered since it was written (SHA-256 {actual}, recorded {wrong})"
        )),
        "{report}"
    );
    assert!(
        report.contains("ghost.csv: recorded in run.json but missing"),
        "{report}"
    );
    assert!(!report.contains("identical"), "{report}");

    // A file that the run did not write.
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = trdsim(&["verify", s(&dir)]);
    assert!(
        stdout(&out).contains("notes.txt: present but not recorded in run.json"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("3 file(s) differ"),
        "{}",
        stderr(&out)
    );

    // The library lists the same problems as typed errors naming the files.
    let problems = manifest::problems(&dir, &run_json(&dir), &|_| false);
    let file = |n: &str| dir.join(n).display().to_string();
    assert_eq!(
        problems,
        vec![
            ReadError::Missing {
                file: file("ghost.csv")
            },
            ReadError::Altered {
                file: file("results.csv"),
                recorded: wrong.clone(),
                actual
            },
            ReadError::Unrecorded {
                file: file("notes.txt")
            },
        ]
    );
}

#[test]
fn the_report_is_recorded_in_run_json_and_verify_detects_a_rewritten_report() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run(&dir, &["--report"]);
    let html = fs::read(dir.join("report.html")).unwrap();
    assert_eq!(
        run_json(&dir)["files"]["report.html"],
        trdsim::output::sha256_hex(&html),
        "run --report records the report's SHA-256"
    );
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).ends_with("identical\n"));

    // Rewritten after the fact: verify names it (it does not re-render the report).
    let text = String::from_utf8(html).unwrap();
    let rewritten = text.replacen("<h1", "<h1 hidden", 1);
    assert_ne!(rewritten, text);
    fs::write(dir.join("report.html"), rewritten).unwrap();
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("report.html: altered since it was written"),
        "{}",
        stdout(&out)
    );

    // `trdsim report` writes it again and records the new hash; no temporary file stays.
    let out = trdsim(&["report", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(fs::read_to_string(dir.join("report.html")).unwrap(), text);
    let hidden: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

/// Two PSA slices of 8 draws (1..4 and 5..8) in `tmp`; returns their directories.
fn slices(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (a, b) = (tmp.join("s1"), tmp.join("s2"));
    run(&a, &["--draws", "8", "--draw-range", "1..4"]);
    run(&b, &["--draws", "8", "--draw-range", "5..8"]);
    (a, b)
}

fn merge(tmp: &Path, a: &Path, b: &Path) -> std::process::Output {
    let out = tmp.join("merged");
    let result = trdsim(&["merge", "--out", s(&out), s(a), s(b)]);
    if code(&result) != 0 {
        assert!(!out.exists(), "a refused merge leaves nothing behind");
    }
    result
}

#[test]
fn merge_refuses_a_slice_altered_after_it_was_written() {
    let tmp = tempdir();
    let (a, b) = slices(tmp.path());
    let draws = b.join("draws.csv");
    let psa = b.join("psa.csv");
    let (draws_text, psa_text) = (
        fs::read_to_string(&draws).unwrap(),
        fs::read_to_string(&psa).unwrap(),
    );

    // draws.csv cut short: before, the merge succeeded with 7 of 8 draws.
    let mut cut = lines(&b, "draws.csv");
    cut.pop();
    fs::write(&draws, joined(&cut)).unwrap();
    let out = merge(tmp.path(), &a, &b);
    assert_fails(
        &out,
        1,
        &[&format!(
            "{}: changed since it was written",
            draws.display()
        )],
    );
    fs::write(&draws, &draws_text).unwrap();

    // A number of psa.csv edited: before, merged silently.
    let edited = psa_text.replacen(",usual_care,societal,", ",usual_care,societal,1", 1);
    assert_ne!(edited, psa_text);
    fs::write(&psa, &edited).unwrap();
    let out = merge(tmp.path(), &a, &b);
    assert_fails(
        &out,
        1,
        &[&format!("{}: changed since it was written", psa.display())],
    );
    fs::write(&psa, &psa_text).unwrap();
    let out = merge(tmp.path(), &a, &b);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn merge_names_the_slice_file_and_line_of_missing_or_duplicated_draws() {
    let tmp = tempdir();
    let (a, b) = slices(tmp.path());
    let (draws, psa) = (b.join("draws.csv"), b.join("psa.csv"));
    let (draws_text, psa_text) = (
        fs::read_to_string(&draws).unwrap(),
        fs::read_to_string(&psa).unwrap(),
    );
    // psa.csv: a header, then draws 5..8 with 2 strategies × 2 perspectives each.
    let rows = lines(&b, "psa.csv");
    assert_eq!(rows.len(), 1 + 4 * 4);

    // A duplicated row (line 3 repeats line 2): before, exit 2 naming a temporary file
    // and "line 0".
    let mut dup = rows.clone();
    dup.insert(2, rows[1].clone());
    forge(&b, "psa.csv", &joined(&dup));
    assert_fails(
        &merge(tmp.path(), &a, &b),
        1,
        &[&format!(
            "{}:3: draw 5 has two rows for strategy `usual_care`, perspective `societal`",
            psa.display()
        )],
    );

    // A missing row at the end: the file ends in the middle of draw 8.
    let mut short = rows.clone();
    short.pop();
    forge(&b, "psa.csv", &joined(&short));
    assert_fails(
        &merge(tmp.path(), &a, &b),
        1,
        &[&format!(
            "{}:17: the file ends, but draw 8 has 3 of its 4 rows",
            psa.display()
        )],
    );

    // A whole draw missing from the middle.
    let mut gap = rows.clone();
    gap.drain(5..9);
    forge(&b, "psa.csv", &joined(&gap));
    assert_fails(
        &merge(tmp.path(), &a, &b),
        1,
        &[&format!(
            "{}:6: expected draw 6 after draw 5, found draw 7",
            psa.display()
        )],
    );
    forge(&b, "psa.csv", &psa_text);

    // draws.csv without its last draw, hash and all.
    let mut cut = lines(&b, "draws.csv");
    cut.pop();
    forge(&b, "draws.csv", &joined(&cut));
    assert_fails(
        &merge(tmp.path(), &a, &b),
        1,
        &[&format!(
            "{}:5: the file ends before draw 8; run.json records draws 5..8",
            draws.display()
        )],
    );
    // ... or with a draw of another slice.
    let mut other = lines(&b, "draws.csv");
    other.push(lines(&a, "draws.csv")[1].clone());
    forge(&b, "draws.csv", &joined(&other));
    assert_fails(
        &merge(tmp.path(), &a, &b),
        1,
        &[&format!(
            "{}:5: expected draw 8, found draw `1`",
            draws.display()
        )],
    );
    forge(&b, "draws.csv", &draws_text);
    let out = merge(tmp.path(), &a, &b);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn report_refuses_a_missing_dsa_directory_and_another_scenario() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run(&dir, &[]);
    let missing = tmp.path().join("no-such-dsa");
    assert_fails(
        &trdsim(&["report", s(&dir), "--dsa", s(&missing)]),
        1,
        &[&missing.display().to_string(), "no such directory"],
    );
    // A run directory is not a one-way analysis.
    let other = tmp.path().join("other");
    run(&other, &[]);
    assert_fails(
        &trdsim(&["report", s(&dir), "--dsa", s(&other)]),
        1,
        &["expected the result directory of `trdsim dsa`"],
    );
    // A one-way analysis of another scenario.
    let elsewhere = root().join("scenarios/examples/relapse-life-table.yaml");
    let dsa = tmp.path().join("dsa");
    let out = trdsim(&[
        "dsa",
        s(&elsewhere),
        "--individuals",
        "50",
        "--out",
        s(&dsa),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_fails(
        &trdsim(&["report", s(&dir), "--dsa", s(&dsa)]),
        1,
        &[&format!(
            "{}: the one-way analysis is of scenario",
            dsa.join("run.json").display()
        )],
    );
    assert!(!dir.join("report.html").exists());

    // run.json pointing at another scenario: the report would show that model with
    // these results.
    let original = run_json(&dir);
    let mut json = original.clone();
    json["scenario"]["path"] = serde_json::json!(s(&elsewhere));
    set_run_json(&dir, &json);
    assert_fails(
        &trdsim(&["report", s(&dir)]),
        1,
        &[&format!(
            "`{}` has changed since the run",
            elsewhere.display()
        )],
    );
    // ... with that scenario's true SHA-256 too: the results are not of its model.
    json["scenario"]["sha256"] =
        serde_json::json!(trdsim::output::sha256_hex(&fs::read(&elsewhere).unwrap()));
    set_run_json(&dir, &json);
    assert_fails(
        &trdsim(&["report", s(&dir)]),
        1,
        &[&format!(
            "{}: the results are of strategies usual_care, treatment, but the scenario `{}` has strategies no_maintenance, maintenance",
            dir.join("run.json").display(),
            elsewhere.display()
        )],
    );
    assert!(!dir.join("report.html").exists());
    set_run_json(&dir, &original);
    let out = trdsim(&["report", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn report_refuses_empty_or_truncated_tables() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run(&dir, &[]);
    let (icer, results) = (dir.join("icer.csv"), dir.join("results.csv"));
    let (icer_text, results_text) = (
        fs::read_to_string(&icer).unwrap(),
        fs::read_to_string(&results).unwrap(),
    );

    fs::write(&icer, "").unwrap();
    assert_fails(
        &trdsim(&["report", s(&dir)]),
        1,
        &[&format!("{}: changed since it was written", icer.display())],
    );
    forge(&dir, "icer.csv", "");
    assert_fails(
        &trdsim(&["report", s(&dir)]),
        1,
        &[&format!("{}:1: empty file", icer.display())],
    );
    // The header and one row: 4 rows are expected (2 strategies × 2 perspectives).
    let head: Vec<String> = icer_text.lines().take(2).map(str::to_string).collect();
    forge(&dir, "icer.csv", &joined(&head));
    assert_fails(
        &trdsim(&["report", s(&dir)]),
        1,
        &[&format!(
            "{}:3: expected 4 rows (one per strategy and perspective), found 1",
            icer.display()
        )],
    );
    forge(&dir, "icer.csv", &icer_text);

    // results.csv cut in the middle of a line, then at a line break.
    let cut = &results_text[..results_text.len() - 5];
    fs::write(&results, cut).unwrap();
    assert_fails(
        &trdsim(&["report", s(&dir)]),
        1,
        &[&format!(
            "{}: changed since it was written",
            results.display()
        )],
    );
    forge(&dir, "results.csv", cut);
    let n = cut.lines().count();
    assert_fails(
        &trdsim(&["report", s(&dir)]),
        1,
        &[&format!("{}:{n}: incomplete last line", results.display())],
    );
    let mut rows = lines(&dir, "results.csv");
    rows.truncate(rows.len() - 3);
    forge(&dir, "results.csv", &joined(&rows));
    assert_fails(
        &trdsim(&["report", s(&dir)]),
        1,
        &[&format!("{}:{}: ", results.display(), rows.len() + 1)],
    );
    forge(&dir, "results.csv", &results_text);
    let out = trdsim(&["report", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn plot_refuses_a_psa_cut_short_or_holding_nan() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run(&dir, &["--draws", "40"]);
    let summary = fs::read(dir.join("psa_summary.csv")).unwrap();
    let psa = dir.join("psa.csv");
    let rows = lines(&dir, "psa.csv");
    assert_eq!(rows.len(), 1 + 40 * 4);

    // 10 of the 40 draws.
    let cut = joined(&rows[..1 + 10 * 4]);
    fs::write(&psa, &cut).unwrap();
    assert_fails(
        &trdsim(&["plot", s(&dir)]),
        1,
        &[&format!("{}: changed since it was written", psa.display())],
    );
    forge(&dir, "psa.csv", &cut);
    assert_fails(
        &trdsim(&["plot", s(&dir)]),
        1,
        &[&format!(
            "{}:42: the file ends after draw 10; run.json records draws 1..40",
            psa.display()
        )],
    );

    // A NaN cost in the first row.
    let mut nan = rows.clone();
    let mut fields: Vec<&str> = rows[1].split(',').collect();
    fields[3] = "NaN";
    nan[1] = fields.join(",");
    forge(&dir, "psa.csv", &joined(&nan));
    assert_fails(
        &trdsim(&["plot", s(&dir)]),
        1,
        &[&format!(
            "{}:2: column `cost`: expected a finite number, found `NaN`",
            psa.display()
        )],
    );
    assert_eq!(
        fs::read(dir.join("psa_summary.csv")).unwrap(),
        summary,
        "a refused plot rewrites nothing"
    );

    // The figures and PSA tables are plot's own output: with the inputs intact it redraws
    // them even when they are gone, byte for byte.
    forge(&dir, "psa.csv", &joined(&rows));
    fs::remove_file(dir.join("psa_summary.csv")).unwrap();
    fs::remove_file(dir.join("ceac_societal.svg")).unwrap();
    let out = trdsim(&["plot", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(fs::read(dir.join("psa_summary.csv")).unwrap(), summary);
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn voi_refuses_a_psa_cut_short() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run(&dir, &["--draws", "8"]);
    let psa = dir.join("psa.csv");
    let rows = lines(&dir, "psa.csv");
    assert_eq!(rows.len(), 1 + 8 * 4);
    let cut = joined(&rows[..1 + 4 * 4]);
    fs::write(&psa, &cut).unwrap();
    assert_fails(
        &trdsim(&["voi", s(&dir)]),
        1,
        &[&format!("{}: changed since it was written", psa.display())],
    );
    forge(&dir, "psa.csv", &cut);
    assert_fails(
        &trdsim(&["voi", s(&dir)]),
        1,
        &[&format!(
            "{}:18: the file ends after draw 4; run.json records draws 1..8",
            psa.display()
        )],
    );
    assert!(!dir.join("evppi.csv").exists());
}
