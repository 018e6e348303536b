//! Input that must stay bounded and diagnostics that must point at the right place:
//! endless and special files (devices, FIFOs, directories) as the scenario, a base or a
//! table; files over the size limit; over-long labels, titles and names; invalid UTF-8 at
//! a line and column; run-time errors of a scenario analysis in the file that defines the
//! transition (the base or the overlay).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;
use trdsim::scenario::{self, MAX_FILE_BYTES, MAX_LABEL_CHARS, MAX_NAME_CHARS};

use crate::bad_input::{three_state, three_state_with};
use crate::common::{code, root, s, stderr, tempdir, trdsim};

/// Run trdsim with at most 2 GiB of address space and for at most 120 s, so that reading
/// an endless file fails (or a blocked open is killed, exit 124) instead of exhausting the
/// machine or hanging the suite.
fn trdsim_bounded(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152 && exec timeout 120 \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_trdsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("sh runs")
}

/// `validate` and `run` both exit 1 with an error line that starts with `place` and
/// contains every fragment; no result directory is written.
fn assert_refused(scenario: &Path, place: &str, fragments: &[&str]) {
    let tmp = tempdir();
    let results = tmp.path().join("results");
    for args in [
        vec!["validate", s(scenario)],
        vec!["run", s(scenario), "--out", s(&results), "--quiet"],
    ] {
        let out = trdsim_bounded(&args);
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
        assert_eq!(code(&out), 1, "{args:?}: expected exit 1\n{err}");
        let line = err
            .lines()
            .find(|l| l.starts_with(place))
            .unwrap_or_else(|| panic!("{args:?}: no error at `{place}`:\n{err}"));
        for f in fragments {
            assert!(line.contains(f), "{args:?}: `{f}` missing from `{line}`");
        }
        assert!(!results.exists(), "{args:?} wrote a result directory");
    }
}

/// A named pipe (FIFO) at `path`; opening it for reading blocks until a writer comes.
fn fifo(path: &Path) {
    let out = Command::new("mkfifo")
        .arg(path)
        .output()
        .expect("mkfifo runs");
    assert!(out.status.success(), "mkfifo failed: {}", stderr(&out));
}

/// three-state.yaml in a fresh directory with `file` as a lookup table (its `file:` on
/// line 32, column 11); returns the directory and the scenario's path.
fn with_table(file: &str) -> (TempDir, PathBuf) {
    let text = three_state_with(&[(
        "\n\nparameters:\n",
        &format!(
            "\n\ntables:\n  life_table:\n    file: {file}\n    numeric_key: age\n    value: qx\n    source: \"test\"\n\nparameters:\n"
        ),
    )]);
    write_scenario(&text)
}

/// three-state.yaml with `file` as the empirical population (its `file:` on line 32,
/// column 11).
fn with_population(file: &str) -> (TempDir, PathBuf) {
    let text = three_state_with(&[(
        "\n\nparameters:\n",
        &format!(
            "\n\npopulation:\n  table:\n    file: {file}\n    columns: [age]\n\nparameters:\n"
        ),
    )]);
    write_scenario(&text)
}

fn write_scenario(text: impl AsRef<[u8]>) -> (TempDir, PathBuf) {
    let dir = tempdir();
    let path = dir.path().join("scenario.yaml");
    fs::write(&path, text).expect("the scenario is written");
    (dir, path)
}

/// An overlay `overlay.yaml` beside the scenario `base`, with `text`.
fn overlay(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("overlay.yaml");
    fs::write(&path, text).expect("the overlay is written");
    path
}

// ---------------------------------------------------------------------------
// Endless and special files
// ---------------------------------------------------------------------------

#[test]
fn dev_zero_as_the_scenario_is_refused() {
    assert_refused(
        Path::new("/dev/zero"),
        "/dev/zero: error:",
        &["it is a character device; expected a regular file"],
    );
}

#[test]
fn a_fifo_as_the_scenario_is_refused() {
    let dir = tempdir();
    let path = dir.path().join("scenario.yaml");
    fifo(&path);
    assert_refused(
        &path,
        &format!("{}: error:", path.display()),
        &["it is a named pipe (FIFO); expected a regular file"],
    );
}

#[test]
fn dev_zero_or_a_fifo_as_the_base_scenario_is_refused_at_extends() {
    let dir = tempdir();
    let pipe = dir.path().join("pipe.yaml");
    fifo(&pipe);
    for (base, kind) in [
        ("/dev/zero", "a character device"),
        (s(&pipe), "a named pipe (FIFO)"),
    ] {
        let over = overlay(dir.path(), &format!("extends: {base}\n"));
        assert_refused(
            &over,
            &format!("{}:1:10: error: extends:", over.display()),
            &[
                &format!("cannot read the base scenario `{base}`"),
                &format!("it is {kind}"),
            ],
        );
    }
}

#[test]
fn dev_zero_a_fifo_or_a_directory_as_a_table_is_refused_at_its_field() {
    let dir = tempdir();
    let pipe = dir.path().join("pipe.csv");
    fifo(&pipe);
    let folder = dir.path().join("folder.csv");
    fs::create_dir(&folder).expect("created");
    for (file, kind) in [
        ("/dev/zero", "a character device"),
        (s(&pipe), "a named pipe (FIFO)"),
        (s(&folder), "a directory"),
    ] {
        let (_dir, scenario) = with_table(file);
        assert_refused(
            &scenario,
            &format!(
                "{}:32:11: error: tables.life_table.file:",
                scenario.display()
            ),
            &[&format!("cannot read table file `{file}`: it is {kind}")],
        );
    }
}

#[test]
fn dev_zero_or_a_fifo_as_the_population_file_is_refused_at_its_field() {
    let dir = tempdir();
    let pipe = dir.path().join("pipe.csv");
    fifo(&pipe);
    for (file, kind) in [
        ("/dev/zero", "a character device"),
        (s(&pipe), "a named pipe (FIFO)"),
    ] {
        let (_dir, scenario) = with_population(file);
        assert_refused(
            &scenario,
            &format!(
                "{}:32:11: error: population.table.file:",
                scenario.display()
            ),
            &[&format!(
                "cannot read population file `{file}`: it is {kind}"
            )],
        );
    }
}

#[test]
fn a_table_over_the_size_limit_is_refused_at_its_field() {
    let dir = tempdir();
    let big = dir.path().join("big.csv");
    let mut csv = String::from("age,qx\n");
    let row = "50,0.01\n";
    csv.push_str(&row.repeat(MAX_FILE_BYTES as usize / row.len() + 1));
    assert!(csv.len() as u64 > MAX_FILE_BYTES);
    fs::write(&big, &csv).expect("written");
    let (_dir, scenario) = with_table(s(&big));
    assert_refused(
        &scenario,
        &format!(
            "{}:32:11: error: tables.life_table.file:",
            scenario.display()
        ),
        &[&format!(
            "table file `{}` is {} bytes; an input file may be at most 16777216 bytes",
            big.display(),
            csv.len()
        )],
    );
}

// ---------------------------------------------------------------------------
// Invalid UTF-8 at a line and column
// ---------------------------------------------------------------------------

/// A scenario start whose title holds an invalid byte at line 3, column 14.
fn bad_utf8() -> Vec<u8> {
    let mut bytes = b"version: 1\nmeta:\n  title: \"caf".to_vec();
    bytes.extend_from_slice(&[0xC3, 0x28, 0xFF, 0xFE]);
    bytes.extend_from_slice(b"\"\n");
    bytes
}

#[test]
fn invalid_utf8_in_the_scenario_is_reported_at_its_line_and_column() {
    let (_dir, scenario) = write_scenario(bad_utf8());
    assert_refused(
        &scenario,
        &format!("{}:3:14: error:", scenario.display()),
        &["the file is not valid UTF-8: invalid byte 0xC3"],
    );
}

#[test]
fn invalid_utf8_in_a_base_scenario_is_reported_in_the_base() {
    let (dir, base) = write_scenario(bad_utf8());
    let over = overlay(dir.path(), "extends: scenario.yaml\n");
    assert_refused(
        &over,
        &format!("{}:3:14: error:", base.display()),
        &["the file is not valid UTF-8: invalid byte 0xC3"],
    );
}

#[test]
fn invalid_utf8_in_a_table_is_reported_in_the_table() {
    let dir = tempdir();
    let csv = dir.path().join("latin1.csv");
    let mut bytes = b"age,qx\n40,0.0".to_vec();
    bytes.push(0xFF);
    bytes.extend_from_slice(b"1\n");
    fs::write(&csv, bytes).expect("written");
    let (_dir, scenario) = with_table(s(&csv));
    assert_refused(
        &scenario,
        &format!("{}:2:7: error: tables.life_table", csv.display()),
        &[
            &format!("(in {})", scenario.display()),
            "the file is not valid UTF-8: invalid byte 0xFF",
        ],
    );
}

// ---------------------------------------------------------------------------
// Labels, titles and names
// ---------------------------------------------------------------------------

/// `n` characters of text, not all ASCII (a cut must fall between characters).
fn long_text(n: usize) -> String {
    "Ève ".chars().cycle().take(n).collect()
}

/// What a label of `text` becomes: its first `MAX_LABEL_CHARS - 1` characters and `…`.
fn cut(text: &str) -> String {
    let mut c: String = text.chars().take(MAX_LABEL_CHARS - 1).collect();
    c.push('…');
    c
}

#[test]
fn long_labels_and_titles_are_cut_with_a_located_warning() {
    let title = long_text(1_000_000);
    let label = long_text(MAX_LABEL_CHARS + 1);
    let fits = long_text(MAX_LABEL_CHARS);
    let text = three_state_with(&[
        (
            "title: Three-state teaching model",
            &format!("title: \"{title}\""),
        ),
        ("currency: EUR", &format!("currency: \"{label}\"")),
        ("label: Sick\n", &format!("label: \"{label}\"\n")),
        ("label: Treatment\n", &format!("label: \"{label}\"\n")),
        ("label: Healthy\n", &format!("label: \"{fits}\"\n")),
    ]);
    let (_dir, path) = write_scenario(&text);
    let model = scenario::load(&path).expect("the scenario is valid");
    assert_eq!(model.meta.title, cut(&title));
    assert_eq!(model.meta.title.chars().count(), MAX_LABEL_CHARS);
    assert_eq!(model.meta.currency, cut(&label));
    assert_eq!(model.states[1].label, cut(&label));
    assert_eq!(model.strategies[1].label, cut(&label));
    assert_eq!(model.states[0].label, fits, "a label at the limit is kept");
    let file = path.display();
    for (place, n) in [
        (format!("{file}:6:10: warning: meta.title:"), 1_000_000),
        (format!("{file}:11:13: warning: meta.currency:"), 201),
        (format!("{file}:90:12: warning: states[1].label:"), 201),
        (format!("{file}:115:12: warning: strategies[1].label:"), 201),
    ] {
        let w = model
            .warnings
            .iter()
            .find(|w| w.starts_with(&place))
            .unwrap_or_else(|| panic!("no warning at `{place}`: {:#?}", model.warnings));
        assert!(
            w.contains(&format!(
                "the text is {n} characters long; cut to its first 199 characters and `…`"
            )),
            "{w}"
        );
    }
    assert!(!model.warnings.iter().any(|w| w.contains("states[0].label")));

    // The run records and draws the cut text (no timing is asserted).
    let tmp = tempdir();
    let results = tmp.path().join("results");
    let out = trdsim(&[
        "run",
        s(&path),
        "--out",
        s(&results),
        "--individuals",
        "100",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: meta.title: the text is 1000000 characters long"));
    let json: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(results.join("run.json")).expect("run.json is written"),
    )
    .expect("run.json is JSON");
    assert_eq!(
        json["scenario"]["title"].as_str(),
        Some(cut(&title).as_str())
    );
    let figures = &json["figures"];
    assert_eq!(figures["title"].as_str(), Some(cut(&title).as_str()));
    assert_eq!(figures["currency"].as_str(), Some(cut(&label).as_str()));
    assert_eq!(
        figures["states"][1]["label"].as_str(),
        Some(cut(&label).as_str())
    );
    assert_eq!(
        figures["strategies"][1]["label"].as_str(),
        Some(cut(&label).as_str())
    );
}

#[test]
fn a_long_title_in_an_overlay_is_reported_in_the_overlay() {
    let (dir, _) = write_scenario(three_state());
    let title = long_text(MAX_LABEL_CHARS + 50);
    let over = overlay(
        dir.path(),
        &format!("extends: scenario.yaml\nmeta:\n  title: \"{title}\"\n"),
    );
    let model = scenario::load(&over).expect("the overlay is valid");
    assert_eq!(model.meta.title, cut(&title));
    let place = format!("{}:3:10: warning: meta.title:", over.display());
    assert!(
        model.warnings.iter().any(|w| w.starts_with(&place)),
        "no warning at `{place}`: {:#?}",
        model.warnings
    );
}

#[test]
fn a_name_over_the_limit_is_an_error() {
    let ok = format!("p_{}", "x".repeat(MAX_NAME_CHARS - 2));
    let long = format!("p_{}", "x".repeat(MAX_NAME_CHARS - 1));
    let param = |name: &str| {
        three_state_with(&[(
            "\nparameters:\n",
            &format!("\nparameters:\n  {name}: {{value: 1, source: test}}\n"),
        )])
    };
    let (_dir, path) = write_scenario(param(&ok));
    scenario::load(&path).expect("a name of exactly the limit is accepted");
    let (_dir, path) = write_scenario(param(&long));
    let err = scenario::load(&path).expect_err("a name over the limit is refused");
    let start: String = long.chars().take(20).collect();
    let d = &err.diagnostics[0];
    assert_eq!(
        (d.file.as_str(), d.line, d.path.as_str()),
        (s(&path), 31, format!("parameters.{start}…").as_str())
    );
    assert_eq!(
        d.message,
        format!(
            "the name `{start}…` is {} characters long; expected at most {MAX_NAME_CHARS}",
            MAX_NAME_CHARS + 1
        )
    );
}

// ---------------------------------------------------------------------------
// Run-time errors of a scenario analysis
// ---------------------------------------------------------------------------

/// The failing transition (its probability reaches 1.05 at cycle 7) as in
/// `bad_input::fails_while_running`.
const FAILING: &str = "{from: healthy, to: sick, probability: \"p_sick * model_time\"}";

/// Every way to run: the microsimulation and the cohort.
fn run_both(scenario: &Path, check: impl Fn(&str)) {
    let tmp = tempdir();
    let results = tmp.path().join("results");
    for extra in [&[][..], &["--cohort"][..]] {
        let mut args = vec![
            "run",
            s(scenario),
            "--out",
            s(&results),
            "--individuals",
            "200",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        let out = trdsim(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        check(&stderr(&out));
        assert!(!results.exists());
    }
}

#[test]
fn a_run_time_error_of_a_base_transition_names_the_base_file() {
    let (dir, base) = write_scenario(three_state_with(&[(
        "{from: healthy, to: sick, probability: p_sick}",
        FAILING,
    )]));
    let over = overlay(dir.path(), "extends: scenario.yaml\nsettings:\n  seed: 7\n");
    run_both(&over, |err| {
        let place = format!("{}:103:5: error: strategy `usual_care`", base.display());
        assert!(err.starts_with(&place), "expected `{place}`:\n{err}");
        assert!(err.contains("healthy → sick = 1.05"), "{err}");
        assert!(!err.contains("overlay.yaml:103"), "{err}");
    });
}

#[test]
fn a_run_time_error_of_an_overlay_transition_names_the_overlay() {
    let (dir, _) = write_scenario(three_state());
    let over = overlay(
        dir.path(),
        &format!("extends: scenario.yaml\ntransitions:\n  - {FAILING}\n"),
    );
    run_both(&over, |err| {
        let place = format!("{}:3:5: error: strategy `usual_care`", over.display());
        assert!(err.starts_with(&place), "expected `{place}`:\n{err}");
    });
}

#[test]
fn a_row_problem_found_at_validation_names_the_file_of_the_transition() {
    // The overlay replaces a strategy; the row it breaks is written in the base.
    let (dir, base) = write_scenario(three_state());
    let over = overlay(
        dir.path(),
        "extends: scenario.yaml\nstrategies:\n  - id: usual_care\n    initial: healthy\n    parameters:\n      p_sick: 1.5\n",
    );
    let err = scenario::load(&over).expect_err("p_sick = 1.5 is not a probability");
    let d = &err.diagnostics[0];
    assert_eq!(
        (d.file.as_str(), d.line, d.column, d.path.as_str()),
        (s(&base), 103, 5, "strategies[0]"),
        "{err}"
    );
    assert!(
        d.message.contains("is 1.5 at the parameter values"),
        "{err}"
    );
}
