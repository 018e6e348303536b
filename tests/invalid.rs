//! Invalid scenarios: each file in `tests/invalid/` is a complete scenario with one problem,
//! and its first line names the diagnostic `trdsim validate` must report:
//!
//! ```text
//! # expect: LINE: FRAGMENT
//! # expect: FILE:LINE: FRAGMENT
//! ```
//!
//! LINE is the diagnostic's line (0 for a diagnostic without a location) and FRAGMENT a
//! part of its text. Without FILE the diagnostic must be about the scenario itself; with
//! FILE (a path relative to the scenario, e.g. a CSV table it reads) the diagnostic's file
//! must end with it. Files in `tests/invalid/gaps/` are rules that the first version of
//! the validator missed; each has its own test below.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{code, root, s, stderr, stdout, tempdir, trdsim};

/// The directory of invalid scenarios, relative to the repository root (the binary's
/// working directory), so diagnostics name the files as `tests/invalid/NAME.yaml`.
const DIR: &str = "tests/invalid";

/// Fewer files than this means some have gone missing.
const MIN_FILES: usize = 25;

/// What a file's first line promises.
#[derive(Debug)]
struct Expectation {
    /// A path relative to the scenario's directory, when the diagnostic is about another file.
    file: Option<String>,
    line: u64,
    fragment: String,
}

fn expectation(path: &Path) -> Result<Expectation, String> {
    let text = fs::read_to_string(root().join(path))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let first = text.lines().next().unwrap_or_default();
    let spec = first.strip_prefix("# expect: ").ok_or_else(|| {
        format!(
            "{}: the first line must be `# expect: [FILE:]LINE: FRAGMENT`, found `{first}`",
            path.display()
        )
    })?;
    let (place, fragment) = spec
        .split_once(": ")
        .ok_or_else(|| format!("{}: no `: FRAGMENT` in `{first}`", path.display()))?;
    let (file, line) = match place.rsplit_once(':') {
        Some((file, line)) => (Some(file.to_string()), line),
        None => (None, place),
    };
    let line = line
        .parse()
        .map_err(|_| format!("{}: `{line}` is not a line number", path.display()))?;
    if fragment.trim().is_empty() {
        return Err(format!("{}: empty fragment in `{first}`", path.display()));
    }
    Ok(Expectation {
        file,
        line,
        fragment: fragment.to_string(),
    })
}

/// One parsed `FILE[:LINE:COL]: SEVERITY: TEXT` line of stderr.
#[derive(Debug)]
struct Diag<'a> {
    file: &'a str,
    line: u64,
    severity: &'a str,
    text: &'a str,
}

fn parse_diag(line: &str) -> Option<Diag<'_>> {
    let (place, severity, text) = ["error", "warning"].iter().find_map(|sev| {
        let marker = format!(": {sev}: ");
        line.find(&marker)
            .map(|i| (&line[..i], *sev, &line[i + marker.len()..]))
    })?;
    let located = place.rsplitn(3, ':').collect::<Vec<_>>();
    match located[..] {
        [col, line_no, file] if col.parse::<u64>().is_ok() && line_no.parse::<u64>().is_ok() => {
            Some(Diag {
                file,
                line: line_no.parse().ok()?,
                severity,
                text,
            })
        }
        _ => Some(Diag {
            file: place,
            line: 0,
            severity,
            text,
        }),
    }
}

fn diagnostics(stderr: &str) -> Vec<Diag<'_>> {
    stderr.lines().filter_map(parse_diag).collect()
}

/// Validate one scenario and check its expectation; the error names the file and shows stderr.
fn check(path: &Path) -> Result<(), String> {
    let expected = expectation(path)?;
    let out = trdsim(&["validate", s(path)]);
    let err = stderr(&out);
    let fail = |why: String| {
        Err(format!(
            "{}: {why}\n  expected: line {}, containing `{}`{}\n  exit code: {}\n  stderr:\n{}",
            path.display(),
            expected.line,
            expected.fragment,
            expected
                .file
                .as_ref()
                .map(|f| format!(", in {f}"))
                .unwrap_or_default(),
            code(&out),
            indent(&err)
        ))
    };
    if err.contains("panicked") {
        return fail("trdsim panicked".into());
    }
    if code(&out) != 1 {
        return fail(format!("expected exit code 1, found {}", code(&out)));
    }
    if stdout(&out).contains(": valid") {
        return fail("stdout reports the scenario as valid".into());
    }
    let scenario = s(path);
    let wanted_file = |file: &str| match &expected.file {
        None => file == scenario,
        Some(f) => file.ends_with(f.as_str()),
    };
    let found = diagnostics(&err).iter().any(|d| {
        d.severity == "error"
            && d.line == expected.line
            && wanted_file(d.file)
            && d.text.contains(&expected.fragment)
    });
    if !found {
        return fail("no diagnostic matches".into());
    }
    let n_errors = diagnostics(&err)
        .iter()
        .filter(|d| d.severity == "error")
        .count();
    let summary = format!(
        "{n_errors} error{} in the scenario",
        if n_errors == 1 { "" } else { "s" }
    );
    if err.lines().last() != Some(summary.as_str()) {
        return fail(format!("the last line of stderr is not `{summary}`"));
    }
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// The scenario files directly in `dir` (relative to the repository root), sorted.
fn scenario_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("cannot list {dir}: {e}"))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| Path::new(dir).join(p.file_name().expect("a file name")))
        .collect();
    files.sort();
    files
}

#[test]
fn every_invalid_scenario_reports_its_expected_diagnostic() {
    let files = scenario_files(DIR);
    assert!(
        files.len() >= MIN_FILES,
        "expected at least {MIN_FILES} invalid scenarios in {DIR}, found {}: {files:?}",
        files.len()
    );
    let failures: Vec<String> = files.iter().filter_map(|f| check(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} invalid scenarios did not report what their first line expects:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn expectation_lines_are_parsed_as_documented() {
    // Guards the harness itself: a mistake here would let every check pass vacuously.
    let d = parse_diag("a/b.yaml:12:3: error: x.y: unknown `z`").expect("a diagnostic");
    assert_eq!(
        (d.file, d.line, d.severity, d.text),
        ("a/b.yaml", 12, "error", "x.y: unknown `z`")
    );
    let d = parse_diag("a/b.yaml: error: strategies: none").expect("a diagnostic");
    assert_eq!((d.file, d.line), ("a/b.yaml", 0));
    assert!(parse_diag("2 errors in the scenario").is_none());

    let e = expectation(Path::new("tests/invalid/table-csv-non-numeric.yaml")).expect("parses");
    assert_eq!(e.file.as_deref(), Some("../data/bad/non-numeric.csv"));
    assert_eq!(e.line, 3);
    let e = expectation(Path::new("tests/invalid/unknown-state-in-to.yaml")).expect("parses");
    assert_eq!((e.file, e.line), (None, 103));
    assert_eq!(e.fragment, "unknown state `sik`; did you mean `sick`?");
}

#[test]
fn a_wrong_expectation_is_reported_with_the_file_name() {
    let dir = tempdir();
    let text = fs::read_to_string(root().join(DIR).join("unknown-state-in-to.yaml"))
        .expect("the example is readable");
    let wrong = text.replacen("# expect: 103:", "# expect: 104:", 1);
    let path = dir.path().join("wrong-line.yaml");
    fs::write(&path, wrong).expect("written");
    let message = check(&path).expect_err("line 104 is not where the error is");
    assert!(message.contains("wrong-line.yaml"), "{message}");
    assert!(message.contains("no diagnostic matches"), "{message}");
}

#[test]
fn three_independent_errors_are_all_reported_at_once() {
    let mut text = fs::read_to_string(root().join("scenarios/examples/three-state.yaml"))
        .expect("the example is readable");
    for (old, new) in [
        // line 19: a discount rate given as a percentage
        ("discount: {costs: 0.03,", "discount: {costs: 3,"),
        // line 88: a misspelt cost category
        (
            "costs: {healthcare: c_healthy}",
            "costs: {helthcare: c_healthy}",
        ),
        // line 103: a misspelt state
        (
            "{from: healthy, to: sick, probability: p_sick}",
            "{from: healthy, to: sik, probability: p_sick}",
        ),
    ] {
        assert_eq!(text.matches(old).count(), 1, "`{old}` occurs once");
        text = text.replace(old, new);
    }
    let dir = tempdir();
    let path = dir.path().join("three-errors.yaml");
    fs::write(&path, text).expect("written");

    let out = trdsim(&["validate", s(&path)]);
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let errors: Vec<Diag> = diagnostics(&err)
        .into_iter()
        .filter(|d| d.severity == "error")
        .collect();
    for (line, fragment) in [
        (
            19,
            "settings.discount.costs: expected an annual discount rate",
        ),
        (88, "unknown cost category `helthcare`"),
        (103, "unknown state `sik`"),
    ] {
        assert!(
            errors
                .iter()
                .any(|d| d.file == s(&path) && d.line == line && d.text.contains(fragment)),
            "no error at line {line} containing `{fragment}`:\n{err}"
        );
    }
    assert_eq!(errors.len(), 3, "exactly the three errors:\n{err}");
    assert!(err.ends_with("3 errors in the scenario\n"), "{err}");
}

// ---------------------------------------------------------------------------
// Rules found missing by the first version of this suite, kept as their own tests.
// ---------------------------------------------------------------------------

fn check_gap(name: &str) {
    let path = Path::new(DIR).join("gaps").join(name);
    if let Err(message) = check(&path) {
        panic!("{message}");
    }
}

#[test]

fn gap_value_outside_its_ci95_is_rejected() {
    check_gap("value-outside-its-ci95.yaml");
}

#[test]

fn gap_low_above_high_is_rejected() {
    check_gap("low-above-high.yaml");
}

#[test]

fn gap_empty_strategies_are_reported_at_their_line() {
    check_gap("no-strategies-has-a-location.yaml");
}

#[test]

fn gap_empty_states_are_reported_at_their_line() {
    check_gap("no-states-has-a-location.yaml");
}

#[test]
fn every_gap_file_has_a_test() {
    // The gap tests name their files; a file without a test would never run.
    let source = fs::read_to_string(root().join("tests/invalid.rs")).expect("readable");
    for file in scenario_files(&format!("{DIR}/gaps")) {
        let name = file.file_name().and_then(|n| n.to_str()).expect("UTF-8");
        assert!(
            source.contains(&format!("check_gap(\"{name}\")")),
            "{} has no `check_gap` test",
            file.display()
        );
    }
}
