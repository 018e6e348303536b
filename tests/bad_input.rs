//! Bad input: malformed or hostile files, wrong types, non-finite and absurd numbers, bad
//! arguments and output locations that cannot be written. Every rejection must exit with
//! the documented code (1 invalid input, 2 failure while running or writing), explain
//! itself on stderr naming the file, never panic, and leave no result directory behind.

use std::fs;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::common::{code, root, s, stderr, stdout, tempdir, trdsim};

const SCENARIO: &str = "scenario.yaml";
const RESULTS: &str = "results";

pub(crate) fn three_state() -> String {
    fs::read_to_string(root().join("scenarios/examples/three-state.yaml"))
        .expect("the example scenario is readable")
}

/// three-state.yaml with each `old` (which must occur exactly once) replaced by `new`.
pub(crate) fn three_state_with(edits: &[(&str, &str)]) -> String {
    let mut text = three_state();
    for (old, new) in edits {
        assert_eq!(
            text.matches(old).count(),
            1,
            "`{old}` should occur exactly once in three-state.yaml"
        );
        text = text.replace(old, new);
    }
    text
}

/// A scenario file in a fresh temporary directory; results go to `results/` beside it.
struct Case {
    dir: TempDir,
    path: PathBuf,
}

impl Case {
    fn new(bytes: impl AsRef<[u8]>) -> Case {
        let dir = tempdir();
        let path = dir.path().join(SCENARIO);
        fs::write(&path, bytes).expect("the scenario can be written");
        Case { dir, path }
    }

    fn file(&self) -> &str {
        s(&self.path)
    }

    fn results(&self) -> PathBuf {
        self.dir.path().join(RESULTS)
    }

    fn validate(&self) -> Output {
        trdsim(&["validate", self.file()])
    }

    /// `trdsim run SCENARIO --out DIR/results --quiet` followed by `extra`.
    fn run(&self, extra: &[&str]) -> Output {
        let results = self.results();
        let mut args = vec!["run", self.file(), "--out", s(&results), "--quiet"];
        args.extend_from_slice(extra);
        trdsim(&args)
    }
}

/// The exit code is `expected`, nothing panicked, and stderr has an error that contains
/// `names` (the file, or the flag) and every fragment.
fn assert_fails(out: &Output, expected: i32, names: &str, fragments: &[&str]) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "trdsim panicked:\n{err}");
    assert_eq!(
        code(out),
        expected,
        "expected exit code {expected}\nstdout:\n{}\nstderr:\n{err}",
        stdout(out)
    );
    let error_lines: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
    assert!(
        error_lines.iter().any(|l| l.contains(names)),
        "no error on stderr names `{names}`:\n{err}"
    );
    for fragment in fragments {
        assert!(
            error_lines.iter().any(|l| l.contains(fragment)),
            "no error on stderr contains `{fragment}`:\n{err}"
        );
    }
}

/// `dir` holds exactly `names`: no result directory, no `.results.tmp-*` or `.old-*` left over.
fn assert_only(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> = fs::read_dir(dir)
        .expect("the directory can be listed")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    found.sort();
    let mut wanted: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    wanted.sort();
    assert_eq!(found, wanted, "unexpected contents of {}", dir.display());
}

/// The line of the first error about `file` on stderr (0 when it has no location).
fn error_line(err: &str, file: &str) -> Option<u64> {
    err.lines().find_map(|l| {
        let rest = l.strip_prefix(file)?;
        if rest.starts_with(": error:") {
            return Some(0);
        }
        let rest = rest.strip_prefix(':')?;
        let (line, rest) = rest.split_once(':')?;
        let (col, rest) = rest.split_once(':')?;
        col.parse::<u64>().ok()?;
        rest.starts_with(" error:").then(|| line.parse().ok())?
    })
}

/// Both `validate` and `run` reject the scenario with exit code 1 and an error that names
/// the file (on a line in `lines`, if given) and contains every fragment; nothing is written.
fn assert_rejected(
    bytes: impl AsRef<[u8]>,
    lines: Option<RangeInclusive<u64>>,
    fragments: &[&str],
) {
    let case = Case::new(bytes);
    let validate = case.validate();
    assert_fails(&validate, 1, case.file(), fragments);
    assert!(
        !stdout(&validate).contains("valid"),
        "validate printed a summary: {}",
        stdout(&validate)
    );
    if let Some(lines) = lines {
        let err = stderr(&validate);
        let line = error_line(&err, case.file());
        assert!(
            line.is_some_and(|l| lines.contains(&l)),
            "expected the first error on a line in {lines:?}, found {line:?}:\n{err}"
        );
    }
    let run = case.run(&["--individuals", "200"]);
    assert_fails(&run, 1, case.file(), fragments);
    assert_only(case.dir.path(), &[SCENARIO]);
}

// ---------------------------------------------------------------------------
// Malformed YAML
// ---------------------------------------------------------------------------

#[test]
fn unclosed_bracket_is_a_located_syntax_error() {
    let text = three_state_with(&[("wtp: [20000, 50000, 80000]", "wtp: [20000, 50000")]);
    // The bracket opens on line 27; the parser notices on 27 or at the next key (28).
    assert_rejected(text, Some(27..=28), &[]);
}

#[test]
fn tab_indentation_is_a_located_syntax_error() {
    let text = three_state_with(&[("\n  seed: 1\n", "\n\tseed: 1\n")]);
    assert_rejected(text, Some(21..=22), &["tab"]);
}

#[test]
fn a_bare_scalar_document_is_rejected() {
    assert_rejected("42\n", Some(1..=1), &["mapping"]);
}

#[test]
fn an_empty_file_is_rejected() {
    assert_rejected("", None, &[]);
}

#[test]
fn a_file_with_only_comments_is_rejected() {
    assert_rejected("# nothing here\n\n# still nothing\n", None, &[]);
}

#[test]
fn invalid_utf8_is_rejected() {
    let mut bytes = b"version: 1\nmeta:\n  title: \"caf".to_vec();
    bytes.extend_from_slice(&[0xC3, 0x28, 0xFF, 0xFE]);
    bytes.extend_from_slice(b"\"\n");
    assert_rejected(bytes, None, &["UTF-8"]);
}

#[test]
fn binary_garbage_is_rejected() {
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_rejected(bytes, None, &["UTF-8"]);
}

// ---------------------------------------------------------------------------
// Wrong types
// ---------------------------------------------------------------------------

#[test]
fn a_string_where_a_number_is_expected_is_rejected() {
    let text = three_state_with(&[("individuals: 20000", "individuals: many")]);
    assert_rejected(text, Some(21..=21), &[]);
}

#[test]
fn a_negative_seed_is_rejected() {
    let text = three_state_with(&[("\n  seed: 1\n", "\n  seed: -1\n")]);
    assert_rejected(text, Some(22..=22), &[]);
}

#[test]
fn a_list_where_a_mapping_is_expected_is_rejected() {
    let text = three_state_with(&[("cycle: {length: 1, unit: years}", "cycle: [1, years]")]);
    assert_rejected(text, Some(17..=17), &["mapping"]);
}

#[test]
fn a_mapping_where_a_list_is_expected_is_rejected() {
    let text = three_state_with(&[(
        "cost_categories: [healthcare, productivity]",
        "cost_categories: {healthcare: 1, productivity: 2}",
    )]);
    assert_rejected(text, Some(23..=23), &["sequence"]);
}

// ---------------------------------------------------------------------------
// Non-finite numbers
// ---------------------------------------------------------------------------

const NON_FINITE: [&str; 3] = [".nan", ".inf", "-.inf"];

#[test]
fn non_finite_parameter_values_are_rejected() {
    for x in NON_FINITE {
        let text = three_state_with(&[("    value: 0.6\n", &format!("    value: {x}\n"))]);
        assert_rejected(text, Some(47..=47), &["finite"]);
    }
}

#[test]
fn non_finite_costs_are_rejected() {
    for x in NON_FINITE {
        let text = three_state_with(&[(
            "costs: {healthcare: c_healthy}",
            &format!("costs: {{healthcare: {x}}}"),
        )]);
        assert_rejected(text, Some(88..=88), &["finite"]);
    }
}

#[test]
fn non_finite_discount_rates_are_rejected() {
    for x in NON_FINITE {
        let text = three_state_with(&[(
            "discount: {costs: 0.03,",
            &format!("discount: {{costs: {x},"),
        )]);
        assert_rejected(text, Some(19..=19), &["settings.discount.costs", "finite"]);
    }
}

// ---------------------------------------------------------------------------
// Negative and absurd counts
// ---------------------------------------------------------------------------

#[test]
fn negative_individuals_in_the_scenario_are_rejected() {
    let text = three_state_with(&[("individuals: 20000", "individuals: -5")]);
    assert_rejected(text, Some(21..=21), &["settings.individuals", "found -5"]);
}

#[test]
fn a_trillion_individuals_in_the_scenario_are_rejected() {
    let text = three_state_with(&[("individuals: 20000", "individuals: 1e12")]);
    assert_rejected(text, Some(21..=21), &["settings.individuals", "1e9"]);
}

#[test]
fn a_horizon_of_a_billion_cycles_is_rejected_quickly() {
    let text = three_state_with(&[(
        "horizon: {length: 30, unit: years}",
        "horizon: {length: 1000000000, unit: years}",
    )]);
    let started = Instant::now();
    assert_rejected(text, Some(18..=18), &["settings.horizon", "at most 100000"]);
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A valid scenario run with bad command-line numbers: exit 1, an error naming the flag,
/// and no result directory.
fn assert_bad_flag(extra: &[&str], flag: &str, fragment: &str) {
    let case = Case::new(three_state());
    let out = case.run(extra);
    assert_fails(&out, 1, flag, &[fragment]);
    assert_only(case.dir.path(), &[SCENARIO]);
}

#[test]
fn zero_individuals_on_the_command_line_are_rejected() {
    assert_bad_flag(&["--individuals", "0"], "--individuals", "found 0");
}

#[test]
fn too_many_individuals_on_the_command_line_are_rejected() {
    assert_bad_flag(
        &["--individuals", "1000000000000"],
        "--individuals",
        "1000000000000",
    );
}

#[test]
fn negative_individuals_on_the_command_line_are_rejected() {
    assert_bad_flag(&["--individuals", "-5"], "-5", "unexpected argument");
}

#[test]
fn zero_threads_are_rejected() {
    assert_bad_flag(&["--threads", "0"], "--threads", "found 0");
}

#[test]
fn absurd_thread_counts_are_rejected() {
    assert_bad_flag(&["--threads", "100000"], "--threads", "at most 1024");
}

// ---------------------------------------------------------------------------
// Alias bombs
// ---------------------------------------------------------------------------

/// Run trdsim with at most 2 GiB of address space, so a runaway expansion fails instead of
/// exhausting the machine; returns the output and how long it took.
fn trdsim_limited(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_trdsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("sh runs");
    (out, started.elapsed())
}

fn assert_bomb_rejected(text: &str) {
    let case = Case::new(text);
    assert!(text.len() < 1_000_000, "the bomb itself is small");
    let results = case.results();
    for args in [
        vec!["validate", case.file()],
        vec!["run", case.file(), "--out", s(&results), "--quiet"],
    ] {
        let (out, took) = trdsim_limited(&args);
        assert_fails(&out, 1, case.file(), &[]);
        assert!(
            took < Duration::from_secs(5),
            "{args:?} took {took:?} to reject the alias bomb"
        );
    }
    assert_only(case.dir.path(), &[SCENARIO]);
}

#[test]
fn a_nested_alias_bomb_is_rejected_quickly() {
    // Billion laughs: 9 levels of 10 aliases each expand one "lol" 10^9 times.
    let mut refs = String::from("  references:\n    - &l0 \"lol\"\n");
    for i in 1..10 {
        let aliases = vec![format!("*l{}", i - 1); 10].join(", ");
        refs.push_str(&format!("    - &l{i} [{aliases}]\n"));
    }
    let text = three_state_with(&[(
        "  references:\n    - \"Alarid-Escudero F,",
        &format!("{refs}    - \"Alarid-Escudero F,"),
    )]);
    assert_bomb_rejected(&text);
}

#[test]
fn a_flat_alias_bomb_of_valid_strings_is_rejected_quickly() {
    // Every alias is a string where a string is expected, so only an expansion budget
    // stops it: 100 000 aliases of a 9 kB string in a 0.6 MB file would be 0.9 GB.
    let big = "lol".repeat(3000);
    let refs = format!(
        "  references: [&big \"{big}\"{}]\n",
        ", *big".repeat(100_000)
    );
    let old = three_state()
        .lines()
        .skip_while(|l| !l.starts_with("  references:"))
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    let text = three_state_with(&[(&old, &refs)]);
    assert_bomb_rejected(&text);
}

// ---------------------------------------------------------------------------
// Files that cannot be read
// ---------------------------------------------------------------------------

#[test]
fn a_missing_scenario_file_is_rejected() {
    let dir = tempdir();
    let path = dir.path().join("no-such-scenario.yaml");
    let results = dir.path().join(RESULTS);
    assert_fails(
        &trdsim(&["validate", s(&path)]),
        1,
        s(&path),
        &["cannot read"],
    );
    let out = trdsim(&["run", s(&path), "--out", s(&results), "--quiet"]);
    assert_fails(&out, 1, s(&path), &["cannot read"]);
    assert_only(dir.path(), &[]);
}

#[test]
fn a_directory_as_scenario_is_rejected() {
    let dir = tempdir();
    let scenario = dir.path().join("looks-like-a-scenario.yaml");
    fs::create_dir(&scenario).expect("created");
    let results = dir.path().join(RESULTS);
    assert_fails(
        &trdsim(&["validate", s(&scenario)]),
        1,
        s(&scenario),
        &["cannot read"],
    );
    let out = trdsim(&["run", s(&scenario), "--out", s(&results), "--quiet"]);
    assert_fails(&out, 1, s(&scenario), &["cannot read"]);
    assert_only(dir.path(), &["looks-like-a-scenario.yaml"]);
}

#[test]
fn a_scenario_over_the_size_limit_is_rejected() {
    // A valid scenario padded with a 17 MiB comment.
    let mut text = three_state();
    text.push('#');
    text.push_str(&"x".repeat(17 * 1024 * 1024));
    text.push('\n');
    let started = Instant::now();
    assert_rejected(text, Some(0..=0), &["16777216 bytes"]);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_missing_csv_table_is_rejected() {
    let text = three_state_with(&[(
        "\n\nparameters:\n",
        "\n\ntables:\n  life_table:\n    file: no-such-life-table.csv\n    numeric_key: age\n    \
         value: qx\n    source: \"nowhere\"\n\nparameters:\n",
    )]);
    // `file:` is on line 32 of the scenario.
    assert_rejected(
        text,
        Some(32..=32),
        &["no-such-life-table.csv", "cannot read"],
    );
}

// ---------------------------------------------------------------------------
// Result directories
// ---------------------------------------------------------------------------

#[test]
fn run_refuses_an_existing_result_directory_without_force() {
    let case = Case::new(three_state());
    let results = case.results();
    fs::create_dir(&results).expect("created");
    fs::write(results.join("keep.txt"), "precious").expect("written");

    let out = case.run(&["--individuals", "200"]);
    assert_fails(&out, 1, s(&results), &["already exists", "--force"]);
    assert_eq!(
        fs::read_to_string(results.join("keep.txt")).expect("still there"),
        "precious"
    );
    assert_only(&results, &["keep.txt"]);
    assert_only(case.dir.path(), &[SCENARIO, RESULTS]);
}

#[test]
fn run_with_force_replaces_an_existing_result_directory() {
    let case = Case::new(three_state());
    let results = case.results();
    fs::create_dir(&results).expect("created");
    fs::write(results.join("keep.txt"), "precious").expect("written");

    let out = case.run(&["--individuals", "200", "--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    assert!(
        !results.join("keep.txt").exists(),
        "the old contents are gone"
    );
    assert!(
        results.join("run.json").is_file(),
        "new results are written"
    );
    assert!(
        results.join("results.csv").is_file(),
        "new results are written"
    );
    // No `.results.tmp-*` or `.results.old-*` left beside it.
    assert_only(case.dir.path(), &[SCENARIO, RESULTS]);
}

#[test]
fn run_exits_2_when_the_output_directory_cannot_be_created() {
    let case = Case::new(three_state());
    let blocker = case.dir.path().join("blocker");
    fs::write(&blocker, "a regular file").expect("written");
    let out_dir = blocker.join("results");

    let out = trdsim(&[
        "run",
        case.file(),
        "--out",
        s(&out_dir),
        "--individuals",
        "200",
        "--quiet",
    ]);
    assert_fails(&out, 2, s(&blocker), &["cannot create"]);
    assert_eq!(
        fs::read_to_string(&blocker).expect("still a file"),
        "a regular file"
    );
    // No `.results.tmp-*` next to it, nothing else anywhere.
    assert_only(case.dir.path(), &[SCENARIO, "blocker"]);
}

#[test]

fn run_with_force_refuses_to_replace_a_regular_file() {
    let case = Case::new(three_state());
    let file = case.dir.path().join("notes.txt");
    fs::write(&file, "not a result directory").expect("written");

    let out = trdsim(&[
        "run",
        case.file(),
        "--out",
        s(&file),
        "--individuals",
        "200",
        "--quiet",
        "--force",
    ]);
    assert_fails(&out, 1, s(&file), &[]);
    assert_eq!(
        fs::read_to_string(&file).expect("still a file"),
        "not a result directory"
    );
    assert_only(case.dir.path(), &[SCENARIO, "notes.txt"]);
}

/// A scenario that validates but whose probabilities leave [0, 1] at cycle 7, which only
/// the simulation can see (the probability depends on `model_time`).
fn fails_while_running() -> Case {
    Case::new(three_state_with(&[(
        "{from: healthy, to: sick, probability: p_sick}",
        "{from: healthy, to: sick, probability: \"p_sick * model_time\"}",
    )]))
}

#[test]
fn a_failure_while_simulating_exits_2_and_writes_nothing() {
    let case = fails_while_running();
    assert_eq!(code(&case.validate()), 0, "{}", stderr(&case.validate()));
    // The cohort reaches cycle 7 in `healthy`; the first individual simulated may have been
    // elsewhere then (sick, and back), so it fails at cycle 7 or later, with p_sick (0.15)
    // times that cycle.
    let out = case.run(&["--individuals", "200", "--cohort"]);
    assert_fails(
        &out,
        2,
        "transitions[0]",
        &["cycle 7", "healthy → sick = 1.05"],
    );
    assert_only(case.dir.path(), &[SCENARIO]);
    let out = case.run(&["--individuals", "200"]);
    let err = stderr(&out);
    let cycle: usize = err
        .split("cycle ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no cycle named:\n{err}"));
    assert!(cycle >= 7, "{err}");
    let value = format!("healthy → sick = {}", 0.15 * cycle as f64);
    assert_fails(&out, 2, "transitions[0]", &[&value]);
    assert_only(case.dir.path(), &[SCENARIO]);
}

#[test]

fn a_failure_while_simulating_names_the_scenario_file() {
    let case = fails_while_running();
    let out = case.run(&["--individuals", "200"]);
    assert_fails(
        &out,
        2,
        &format!("{}:103:", case.file()),
        &["transitions[0]"],
    );
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

#[test]
fn an_unknown_flag_is_rejected() {
    let case = Case::new(three_state());
    let out = case.run(&["--individuals", "200", "--bogus"]);
    assert_fails(&out, 1, "--bogus", &["unexpected argument"]);
    assert_only(case.dir.path(), &[SCENARIO]);

    let out = trdsim(&["validate", case.file(), "--bogus"]);
    assert_fails(&out, 1, "--bogus", &[]);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

#[test]
fn an_unknown_subcommand_or_none_is_rejected() {
    let out = trdsim(&["simulate", "x.yaml"]);
    assert_fails(&out, 1, "simulate", &[]);
    let out = trdsim(&[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("Usage"), "{}", stderr(&out));
}

#[test]
fn help_on_every_subcommand_exits_0_and_lists_its_arguments() {
    for (args, mentions) in [
        (vec!["--help"], vec!["run", "validate", "Exit codes"]),
        (
            vec!["run", "--help"],
            vec![
                "<SCENARIO>",
                "--out",
                "--individuals",
                "--seed",
                "--threads",
                "--cohort",
                "--force",
                "--quiet",
            ],
        ),
        (vec!["help", "run"], vec!["<SCENARIO>", "--out", "--force"]),
        (vec!["validate", "--help"], vec!["<SCENARIO>"]),
        (vec!["help", "validate"], vec!["<SCENARIO>"]),
    ] {
        let out = trdsim(&args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        for m in mentions {
            assert!(text.contains(m), "{args:?} does not mention `{m}`:\n{text}");
        }
    }
}

// ---------------------------------------------------------------------------
// Payoffs and pipes
// ---------------------------------------------------------------------------

#[test]
fn a_payoff_that_is_not_a_number_fails_the_run() {
    let case = Case::new(three_state_with(&[(
        "costs: {healthcare: c_healthy}",
        "costs: {healthcare: \"c_healthy * (model_time - 3) / (model_time - 3)\"}",
    )]));
    assert_eq!(code(&case.validate()), 0, "{}", stderr(&case.validate()));
    for extra in [
        vec!["--individuals", "200"],
        vec!["--individuals", "200", "--cohort"],
    ] {
        let out = case.run(&extra);
        assert_fails(
            &out,
            2,
            "cost `healthcare` is NaN",
            &["expected finite payoffs"],
        );
        assert_only(case.dir.path(), &[SCENARIO]);
    }
}

#[test]
fn cohort_that_does_not_apply_is_an_invalid_argument() {
    let sc = root().join("scenarios/examples/relapse-life-table.yaml");
    let tmp = tempdir();
    let out = trdsim(&["run", s(&sc), "--cohort", "--out", s(&tmp.path().join("c"))]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--cohort: the cohort evaluation needs"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_closed_stdout_does_not_panic() {
    use std::process::Stdio;
    let case = Case::new(three_state());
    let mut child = Command::new(env!("CARGO_BIN_EXE_trdsim"))
        .args(["validate", case.file()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("finishes");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn a_psa_beyond_the_memory_budget_exits_1_and_writes_nothing() {
    let dir = tempdir();
    let out_dir = dir.path().join("huge");
    let out = trdsim(&[
        "run",
        "scenarios/eko-vs-ect.yaml",
        "--draws",
        "10000000",
        "--out",
        s(&out_dir),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("more than the 1024 MiB a PSA may use"),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.exists());
}
