//! Interruption and replacement: SIGINT/SIGTERM during the write phase leave nothing behind
//! and exit 130/143; what a killed process left is removed by the next one; two runs to the
//! same new directory do not both succeed; an output path with no name of its own is
//! rejected before anything is written.
//!
//! The test-only hook `TRDSIM_TEST_PAUSE_BEFORE_RENAME_MS` makes a command wait once its
//! temporary files are complete (until `TRDSIM_TEST_RESUME_FILE` exists, if given), so that a
//! signal or a competing run lands at that point deterministically.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use crate::common::{code, files, root, s, stderr, tempdir, trdsim};

const PAUSE: &str = "TRDSIM_TEST_PAUSE_BEFORE_RENAME_MS";
const RESUME: &str = "TRDSIM_TEST_RESUME_FILE";

fn three_state() -> PathBuf {
    root().join("scenarios/examples/three-state.yaml")
}

/// `trdsim ARGS` started in `cwd` with extra environment variables, output captured. It
/// starts through `env --default-signal`, since a test runner started in the background
/// may have SIGINT ignored, which trdsim respects (as `nohup` expects) and its child inherits.
fn spawn(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    spawn_with(cwd, args, env, "--default-signal=INT,TERM")
}

fn spawn_with(cwd: &Path, args: &[&str], env: &[(&str, &str)], signals: &str) -> Child {
    let mut cmd = Command::new("env");
    cmd.arg(signals)
        .arg(env!("CARGO_BIN_EXE_trdsim"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("the trdsim binary starts")
}

/// Wait until `ready()` holds (`true`) or the process ends (`false`); the deadline is a
/// guard against a hang, not a timing assertion.
fn ready_or_ended(child: &mut Child, what: &str, ready: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if ready() {
            return true;
        }
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("gave up waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait until `ready()` holds; the process must not end before.
fn wait_for(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    if !ready_or_ended(child, what, ready) {
        let err = child.stderr.take().map(std::io::read_to_string);
        panic!("trdsim ended before {what}: {err:?}");
    }
}

fn send(child: &Child, signal: Signal) {
    kill_process(Pid::from_child(child), signal).expect("the signal is sent");
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("the directory can be listed")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// `dir/.{name}.tmp-{pid}/run.json` exists: the run has written everything and is pausing.
fn pausing(dir: &Path, name: &str, pid: u32) -> bool {
    dir.join(format!(".{name}.tmp-{pid}"))
        .join("run.json")
        .is_file()
}

/// A process id that certainly belongs to no running process (a child that has ended).
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("`true` runs");
    let pid = child.id();
    child.wait().expect("`true` ends");
    pid
}

/// Start `run` of the three-state model into `work/results`, pausing before the rename.
fn paused_run(work: &Path, extra: &[&str], env: &[(&str, &str)]) -> Child {
    let sc = three_state();
    let mut args = vec![
        "run",
        s(&sc),
        "--out",
        "results",
        "--individuals",
        "200",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let mut env = env.to_vec();
    env.push((PAUSE, "600000"));
    spawn(work, &args, &env)
}

#[test]
fn a_signal_ignored_at_start_stays_ignored() {
    // As under `nohup`, or for a background job of a script.
    let tmp = tempdir();
    let resume = tmp.path().join("resume");
    let sc = three_state();
    let args = [
        "run",
        s(&sc),
        "--out",
        "results",
        "--individuals",
        "200",
        "--quiet",
    ];
    let env = [(PAUSE, "600000"), (RESUME, s(&resume))];
    let mut child = spawn_with(tmp.path(), &args, &env, "--ignore-signal=INT");
    let pid = child.id();
    wait_for(&mut child, "the write phase", || {
        pausing(tmp.path(), "results", pid)
    });
    send(&child, Signal::INT);
    fs::write(&resume, "").expect("written");
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    fs::remove_file(&resume).expect("removed");
    assert_eq!(listing(tmp.path()), ["results"]);
}

fn interrupted_run_leaves_nothing(signal: Signal, expected: i32) {
    let tmp = tempdir();
    let mut child = paused_run(tmp.path(), &[], &[]);
    let pid = child.id();
    wait_for(&mut child, "the write phase", || {
        pausing(tmp.path(), "results", pid)
    });
    send(&child, signal);
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), expected, "{}", stderr(&out));
    assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));
}

#[test]
fn sigint_during_the_write_phase_leaves_nothing_and_exits_130() {
    interrupted_run_leaves_nothing(Signal::INT, 130);
}

#[test]
fn sigterm_during_the_write_phase_leaves_nothing_and_exits_143() {
    interrupted_run_leaves_nothing(Signal::TERM, 143);
}

#[test]
fn an_interrupted_forced_run_keeps_the_previous_results() {
    let tmp = tempdir();
    let results = tmp.path().join("results");
    fs::create_dir(&results).expect("created");
    fs::write(results.join("keep.txt"), "precious").expect("written");
    let mut child = paused_run(tmp.path(), &["--force"], &[]);
    let pid = child.id();
    wait_for(&mut child, "the write phase", || {
        pausing(tmp.path(), "results", pid)
    });
    send(&child, Signal::TERM);
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), 143, "{}", stderr(&out));
    assert_eq!(listing(tmp.path()), ["results"]);
    assert_eq!(listing(&results), ["keep.txt"]);
}

/// A small run in `dir` (absolute scenario path, so `verify` works from anywhere).
fn small_run(dir: &Path) {
    let sc = three_state();
    let out = trdsim(&[
        "run",
        s(&sc),
        "--out",
        s(dir),
        "--individuals",
        "200",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn an_interrupted_verify_removes_its_rerun_directory() {
    let tmp = tempdir();
    let run = tmp.path().join("run");
    small_run(&run);
    let system_tmp = tmp.path().join("system-tmp");
    fs::create_dir(&system_tmp).expect("created");
    let mut child = spawn(
        tmp.path(),
        &["verify", s(&run)],
        &[("TMPDIR", s(&system_tmp)), (PAUSE, "600000")],
    );
    let work = system_tmp.join(format!("trdsim-verify-{}", child.id()));
    // The rerun (a child process) has written everything and is pausing.
    wait_for(&mut child, "the rerun's write phase", || {
        fs::read_dir(&work).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().join("run.json").is_file())
        })
    });
    // Only verify itself is signalled (as `kill` does); it must stop the rerun too.
    send(&child, Signal::INT);
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    assert!(
        listing(&system_tmp).is_empty(),
        "{:?}",
        listing(&system_tmp)
    );
}

#[test]
fn the_next_run_removes_what_killed_runs_left_and_nothing_of_live_ones() {
    let tmp = tempdir();
    let (dead, live) = (dead_pid(), std::process::id());
    for name in [
        format!(".results.tmp-{dead}"),
        format!(".results.old-{dead}"),
        format!(".results.tmp-{live}"),
        format!(".other.tmp-{dead}"),
    ] {
        fs::create_dir(tmp.path().join(&name)).expect("created");
        fs::write(tmp.path().join(&name).join("results.csv"), "partial").expect("written");
    }
    // A lock file left by a killed run: no process holds it any more.
    fs::write(tmp.path().join(".results.lock"), format!("{dead}\n")).expect("written");
    let sc = three_state();
    let out = trdsim(&[
        "run",
        s(&sc),
        "--out",
        s(&tmp.path().join("results")),
        "--individuals",
        "200",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut expected = vec![
        format!(".other.tmp-{dead}"),
        format!(".results.tmp-{live}"),
        "results".to_string(),
    ];
    expected.sort();
    assert_eq!(listing(tmp.path()), expected);
}

#[test]
fn verify_removes_the_rerun_directories_of_killed_verify_processes() {
    let tmp = tempdir();
    let run = tmp.path().join("run");
    small_run(&run);
    let system_tmp = tmp.path().join("system-tmp");
    let (dead, live) = (dead_pid(), std::process::id());
    for pid in [dead, live] {
        let leftover = system_tmp
            .join(format!("trdsim-verify-{pid}"))
            .join("rerun");
        fs::create_dir_all(&leftover).expect("created");
        fs::write(leftover.join("results.csv"), "partial").expect("written");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_trdsim"))
        .args(["verify", s(&run)])
        .env("TMPDIR", &system_tmp)
        .output()
        .expect("trdsim runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(listing(&system_tmp), [format!("trdsim-verify-{live}")]);
}

/// The seed recorded in `dir/run.json`.
fn recorded_seed(dir: &Path) -> u64 {
    let text = fs::read_to_string(dir.join("run.json")).expect("run.json is readable");
    let json: serde_json::Value = serde_json::from_str(&text).expect("run.json is JSON");
    json["seed"].as_u64().expect("a seed")
}

#[test]
fn of_two_runs_to_the_same_new_directory_the_second_fails_naming_the_first() {
    let tmp = tempdir();
    let resume = tmp.path().join("resume");
    let env = [(RESUME, s(&resume))];
    let mut first = paused_run(tmp.path(), &[], &env);
    let first_pid = first.id();
    wait_for(&mut first, "the first run's write phase", || {
        pausing(tmp.path(), "results", first_pid)
    });
    // The second, to the same new directory, starts while the first is writing.
    let mut second = paused_run(tmp.path(), &["--seed", "7"], &env);
    let second_pid = second.id();
    ready_or_ended(&mut second, "the second run", || {
        pausing(tmp.path(), "results", second_pid)
    });
    fs::write(&resume, "").expect("written");
    let (first, second) = (
        first.wait_with_output().expect("ends"),
        second.wait_with_output().expect("ends"),
    );
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    assert_eq!(code(&second), 2, "{}", stderr(&second));
    assert!(
        stderr(&second).contains(&format!("another trdsim process (PID {first_pid})")),
        "{}",
        stderr(&second)
    );
    fs::remove_file(&resume).expect("removed");
    assert_eq!(listing(tmp.path()), ["results"]);
    let scenario_seed = trdsim::scenario::load(&three_state())
        .expect("the example loads")
        .settings
        .seed;
    assert_ne!(scenario_seed, 7);
    assert_eq!(recorded_seed(&tmp.path().join("results")), scenario_seed);
}

#[test]
fn a_directory_that_appears_while_a_run_writes_is_not_replaced() {
    // Another program (not trdsim, so it takes no lock) creates the directory meanwhile:
    // the final rename must refuse, exit 2 and leave nothing of the run.
    let tmp = tempdir();
    let resume = tmp.path().join("resume");
    let mut child = paused_run(tmp.path(), &[], &[(RESUME, s(&resume))]);
    let pid = child.id();
    wait_for(&mut child, "the write phase", || {
        pausing(tmp.path(), "results", pid)
    });
    let results = tmp.path().join("results");
    fs::create_dir(&results).expect("created");
    fs::write(results.join("theirs.txt"), "theirs").expect("written");
    fs::write(&resume, "").expect("written");
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was created by another process"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(&resume).expect("removed");
    assert_eq!(listing(tmp.path()), ["results"]);
    assert_eq!(listing(&results), ["theirs.txt"]);
}

#[test]
fn a_failed_final_rename_under_force_exits_2_and_leaves_nothing() {
    // The existing directory turns into a regular file during the run: `--force` replaces
    // result directories only, so the final rename must fail, and clean up after itself.
    let tmp = tempdir();
    let resume = tmp.path().join("resume");
    let results = tmp.path().join("results");
    fs::create_dir(&results).expect("created");
    let mut child = paused_run(tmp.path(), &["--force"], &[(RESUME, s(&resume))]);
    let pid = child.id();
    wait_for(&mut child, "the write phase", || {
        pausing(tmp.path(), "results", pid)
    });
    fs::remove_dir(&results).expect("removed");
    fs::write(&results, "notes").expect("written");
    fs::write(&resume, "").expect("written");
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a directory"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(&resume).expect("removed");
    assert_eq!(listing(tmp.path()), ["results"]);
    assert_eq!(fs::read_to_string(&results).expect("a file"), "notes");
}

#[test]
fn an_output_path_with_no_name_of_its_own_is_rejected_and_nothing_is_written() {
    let sc = three_state();
    for out_dir in [".", "/", "x/..", "x/.", "./"] {
        for force in [false, true] {
            let tmp = tempdir();
            fs::create_dir(tmp.path().join("x")).expect("created");
            let mut args = vec![
                "run",
                s(&sc),
                "--out",
                out_dir,
                "--individuals",
                "200",
                "--quiet",
            ];
            if force {
                args.push("--force");
            }
            let out = Command::new(env!("CARGO_BIN_EXE_trdsim"))
                .args(&args)
                .current_dir(tmp.path())
                .output()
                .expect("trdsim runs");
            let err = stderr(&out);
            assert_eq!(code(&out), 1, "--out {out_dir} (force {force}): {err}");
            assert!(
                err.contains(&format!("`{out_dir}` cannot be a result directory")),
                "{err}"
            );
            assert_eq!(listing(tmp.path()), ["x"], "--out {out_dir}");
            assert!(listing(&tmp.path().join("x")).is_empty(), "--out {out_dir}");
        }
    }
}

fn interrupted_in_place(command: &[&str], tmp_name: &str, signal: Signal, expected: i32) {
    let tmp = tempdir();
    let run = tmp.path().join("run");
    let sc = three_state();
    let out = trdsim(&[
        "run",
        s(&sc),
        "--out",
        s(&run),
        "--individuals",
        "200",
        "--draws",
        "20",
        "--draw-individuals",
        "50",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let before = files(&run);
    let mut args = command.to_vec();
    args.push(s(&run));
    let mut child = spawn(tmp.path(), &args, &[(PAUSE, "600000")]);
    let temp = run.join(format!("{tmp_name}{}", child.id()));
    wait_for(&mut child, "the temporary files", || temp.exists());
    send(&child, signal);
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), expected, "{}", stderr(&out));
    assert!(
        listing(&run).iter().eq(before.keys()),
        "{:?}",
        listing(&run)
    );
    assert!(files(&run) == before, "the files changed");
}

#[test]
fn an_interrupted_plot_leaves_the_result_directory_as_it_was() {
    interrupted_in_place(&["plot"], ".update.tmp-", Signal::INT, 130);
}

#[test]
fn an_interrupted_report_leaves_the_result_directory_as_it_was() {
    interrupted_in_place(&["report"], ".update.tmp-", Signal::TERM, 143);
}

#[test]
fn the_docs_give_the_exit_code_that_cohort_on_varying_attributes_gives() {
    let sc = root().join("scenarios/examples/relapse-life-table.yaml");
    let tmp = tempdir();
    let out = trdsim(&["run", s(&sc), "--cohort", "--out", s(&tmp.path().join("c"))]);
    let actual = code(&out);
    assert!(
        stderr(&out).contains("the cohort evaluation needs"),
        "{}",
        stderr(&out)
    );
    // Every paragraph of the documentation that says what `--cohort` on a scenario that
    // needs the microsimulation exits with.
    let mut stated = Vec::new();
    for doc in ["README.md", "docs/scenario-format.md"] {
        let text = fs::read_to_string(root().join(doc)).expect("readable");
        for para in text.split("\n\n") {
            let about = para.contains("--cohort") && para.contains("attribute");
            let Some(rest) = para.split("exit code ").nth(1).filter(|_| about) else {
                continue;
            };
            let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
            stated.push((doc, n.parse::<i32>().expect("a number after `exit code`")));
        }
    }
    assert!(!stated.is_empty(), "the docs state no exit code for this");
    for (doc, n) in stated {
        assert_eq!(
            n, actual,
            "{doc} says exit code {n}, the program gives {actual}"
        );
    }
}

#[test]
fn a_signal_during_the_simulation_removes_the_claim_and_created_parents() {
    // No test hook here: a run long enough (tens of millions of patient-cycles) to be
    // still simulating when the signal arrives, a few milliseconds after its claim appears.
    let tmp = tempdir();
    let sc = three_state();
    let args = [
        "run",
        s(&sc),
        "--out",
        "new/parent/results",
        "--individuals",
        "50000000",
        "--threads",
        "1",
        "--quiet",
    ];
    let mut child = spawn(tmp.path(), &args, &[]);
    let lock = tmp.path().join("new/parent/.results.lock");
    wait_for(&mut child, "the claim of the result directory", || {
        lock.is_file()
    });
    send(&child, Signal::TERM);
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), 143, "{}", stderr(&out));
    assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));
}

#[test]
fn a_failed_exchange_with_a_read_only_mount_point_leaves_nothing() {
    // `--force` onto a mount point: the exchange fails (EBUSY), exit 2, and the finished
    // temporary directory must not stay. The mount needs a private mount namespace
    // (`unshare -rm`); where the system allows none, the test says so and stops.
    let tmp = tempdir();
    let results = tmp.path().join("results");
    fs::create_dir(&results).expect("created");
    let sc = three_state();
    let script = format!(
        "mount -t tmpfs -o ro none results || exit 97; exec {} run {} --out results --individuals 200 --force --quiet",
        env!("CARGO_BIN_EXE_trdsim"),
        s(&sc)
    );
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .current_dir(tmp.path())
        .output();
    let out = match out {
        Ok(out) if code(&out) != 97 && !stderr(&out).starts_with("unshare:") => out,
        _ => {
            eprintln!("skipped: no private mount namespace (unshare -rm) on this system");
            return;
        }
    };
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot move the results into `results`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(listing(tmp.path()), ["results"]);
    assert!(listing(&results).is_empty(), "{:?}", listing(&results));
}

#[test]
fn an_interrupted_voi_leaves_the_result_directory_as_it_was() {
    let tmp = tempdir();
    let run = tmp.path().join("run");
    let sc = root().join("tests/data/voi-toy.yaml");
    let out = trdsim(&["run", s(&sc), "--draws", "200", "--quiet", "--out", s(&run)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let before = files(&run);
    let args = ["voi", s(&run), "--params", "u_gain", "--quiet"];
    let mut child = spawn(tmp.path(), &args, &[(PAUSE, "600000")]);
    // The EVPPI files and the new run.json are complete; nothing has been moved in yet.
    let staged = run
        .join(format!(".voi.tmp-{}", child.id()))
        .join("run.json");
    wait_for(&mut child, "the staged EVPPI files", || staged.is_file());
    send(&child, Signal::INT);
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    assert!(
        listing(&run).iter().eq(before.keys()),
        "{:?}",
        listing(&run)
    );
    assert!(files(&run) == before, "the files changed");
}

#[test]
fn a_signal_while_the_results_are_being_written_leaves_nothing() {
    // No test hook: a PSA of 20,000 one-person draws takes about a second to write its
    // tables and figures, far longer than it takes to notice its temporary directory.
    let tmp = tempdir();
    let sc = three_state();
    let args = [
        "run",
        s(&sc),
        "--out",
        "results",
        "--individuals",
        "100",
        "--draws",
        "20000",
        "--draw-individuals",
        "1",
        "--quiet",
    ];
    let mut child = spawn(tmp.path(), &args, &[]);
    let writing = tmp.path().join(format!(".results.tmp-{}", child.id()));
    wait_for(&mut child, "the write phase", || writing.is_dir());
    send(&child, Signal::INT);
    let out = child.wait_with_output().expect("trdsim ends");
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));
}
