//! The nested EVPPI in slices of its outer draws (`trdsim voi --outer-range A..B --out
//! SLICE`) combined by `trdsim voi RUN_DIR --merge SLICE...`: byte for byte the unsliced
//! analysis, whatever the slicing and the number of threads; slices that do not fit
//! together are refused by name, and the run directory is then left as it was.

use std::path::{Path, PathBuf};

use crate::common::{code, files, s, stderr, stdout, tempdir, trdsim};

const TOY: &str = "tests/data/voi-toy.yaml";
/// A parameter, the Dirichlet group and the correlated pair (conditional inner redraws).
const TARGETS: [&str; 4] = ["--params", "u_gain", "--groups", "mix,correlation"];
const OUTER: &str = "6";
const SIZES: [&str; 6] = ["--outer", OUTER, "--inner", "4", "--individuals", "2"];

/// A PSA of the toy in `dir`.
fn psa_run(dir: &Path, seed: &str) {
    let out = trdsim(&[
        "run",
        TOY,
        "--draws",
        "30",
        "--seed",
        seed,
        "--quiet",
        "--out",
        s(dir),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// A copy of a result directory (its files only, as the run wrote them).
fn copy(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for (name, bytes) in files(from) {
        std::fs::write(to.join(name), bytes).unwrap();
    }
}

/// `trdsim voi RUN --method nested ... --outer-range RANGE --out SLICE`, with extra options.
fn slice(run: &Path, range: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut request = TARGETS.to_vec();
    request.extend(SIZES);
    slice_of(run, &request, range, out, extra)
}

/// A slice of another request (targets and sizes).
fn slice_of(
    run: &Path,
    request: &[&str],
    range: &str,
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["voi", s(run), "--method", "nested", "--quiet"];
    args.extend(request);
    args.extend(["--outer-range", range, "--out", s(out)]);
    args.extend(extra);
    trdsim(&args)
}

/// Slices of `run` for `ranges` with `threads`, under `parent`; returns their directories.
fn slices(run: &Path, parent: &Path, ranges: &[&str], threads: &str) -> Vec<PathBuf> {
    ranges
        .iter()
        .enumerate()
        .map(|(i, range)| {
            let out = parent.join(format!("slice-{i}"));
            let o = slice(run, range, &out, &["--threads", threads]);
            assert_eq!(code(&o), 0, "{range}: {}", stderr(&o));
            assert!(stdout(&o).contains(&format!("of {OUTER} written to")));
            out
        })
        .collect()
}

/// `trdsim voi RUN --merge SLICE...`.
fn merge(run: &Path, slices: &[PathBuf]) -> std::process::Output {
    let mut args = vec!["voi", s(run), "--quiet", "--merge"];
    args.extend(slices.iter().map(|p| s(p)));
    trdsim(&args)
}

#[test]
fn nested_slices_combine_into_exactly_the_unsliced_analysis() {
    let tmp = tempdir();
    let one = tmp.path().join("one");
    psa_run(&one, "5");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    copy(&one, &a);
    copy(&one, &b);

    let mut args = vec!["voi", s(&one), "--method", "nested", "--quiet"];
    args.extend(TARGETS);
    args.extend(SIZES);
    args.extend(["--threads", "1"]);
    let unsliced = trdsim(&args);
    assert_eq!(code(&unsliced), 0, "{}", stderr(&unsliced));

    // Two slicings, on two threads and on one; the slices named in any order.
    let mut two = slices(&a, &tmp.path().join("two"), &["1..2", "3..6"], "2");
    two.reverse();
    let three = slices(
        &b,
        &tmp.path().join("three"),
        &["1..1", "2..4", "5..6"],
        "1",
    );
    // The slices only read the run directory.
    assert_eq!(files(&a), files(&b));
    assert!(!a.join("evppi.csv").exists());
    for (run, parts) in [(&a, &two), (&b, &three)] {
        let m = merge(run, parts);
        assert_eq!(code(&m), 0, "{}", stderr(&m));
        let report = stdout(&m).replace(s(run), s(&one));
        assert_eq!(report, stdout(&unsliced), "the console report");
    }
    let expected = files(&one);
    assert!(expected.contains_key("evppi.csv") && expected.contains_key("evppi_healthcare.png"));
    for run in [&a, &b] {
        let got = files(run);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &expected {
            assert!(got[name] == *bytes, "{name} differs from the unsliced run");
        }
    }
    // The combined directory records the unsliced analysis, which verify reruns.
    let v = trdsim(&["verify", s(&a)]);
    assert_eq!(code(&v), 0, "{}{}", stdout(&v), stderr(&v));
    assert!(stdout(&v).contains("identical"));
}

#[test]
fn nested_slices_that_do_not_fit_together_are_refused() {
    let tmp = tempdir();
    let run = tmp.path().join("run");
    psa_run(&run, "5");
    let other = tmp.path().join("other");
    psa_run(&other, "6");
    let before = files(&run);
    let part = |name: &str, range: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let o = slice(&run, range, &out, extra);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        out
    };
    let first = part("first", "1..3", &[]);
    let rest = part("rest", "4..6", &[]);
    let overlapping = part("overlapping", "3..6", &[]);
    let gap = part("gap", "5..6", &[]);
    let other_request = |name: &str, request: &[&str]| {
        let out = tmp.path().join(name);
        let o = slice_of(&run, request, "4..6", &out, &[]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        out
    };
    let mut sizes = TARGETS.to_vec();
    sizes.extend(["--outer", OUTER, "--inner", "6", "--individuals", "2"]);
    let inner = other_request("inner", &sizes);
    let mut groups = vec!["--params", "u_gain", "--groups", "mix"];
    groups.extend(SIZES);
    let fewer = other_request("fewer", &groups);
    let seeded = tmp.path().join("seeded");
    assert_eq!(code(&slice(&other, "4..6", &seeded, &[])), 0);
    let tampered = tmp.path().join("tampered");
    copy(&rest, &tampered);
    let csv = tampered.join("nested.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, text.replacen(",all,", ",first_half,", 1)).unwrap();

    let cases: [(Vec<PathBuf>, &str); 8] = [
        (vec![first.clone(), overlapping], "the slices overlap: `"),
        (
            vec![first.clone(), gap],
            "the slices are missing: outer draws 4..4 are in no slice",
        ),
        (
            vec![first.clone()],
            "the slices are missing outer draws: they cover 1..3 of 6",
        ),
        (vec![rest.clone()], "outer draws 1..3 are in no slice"),
        (
            vec![first.clone(), inner],
            "in --inner: the slices must come from one request",
        ),
        (
            vec![first.clone(), fewer],
            "in --groups: the slices must come from one request",
        ),
        (
            vec![first.clone(), seeded],
            "was computed from another run than",
        ),
        (
            vec![first.clone(), tampered],
            "nested.csv: changed since it was written",
        ),
    ];
    for (dirs, message) in cases {
        let o = merge(&run, &dirs);
        assert_eq!(code(&o), 1, "{dirs:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{dirs:?}: {}", stderr(&o));
        assert_eq!(
            files(&run),
            before,
            "{dirs:?}: the run directory was changed"
        );
    }
    // A slice whose rows do not match its run.json, though its SHA-256 was recorded anew.
    let cut = tmp.path().join("cut");
    copy(&rest, &cut);
    let text = std::fs::read_to_string(cut.join("nested.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let shorter = lines[..lines.len() - 1].join("\n") + "\n";
    std::fs::write(cut.join("nested.csv"), &shorter).unwrap();
    let json = std::fs::read_to_string(cut.join("run.json")).unwrap();
    let hash = |b: &[u8]| trdsim::analysis::read::sha256_hex(b);
    let json = json.replace(&hash(text.as_bytes()), &hash(shorter.as_bytes()));
    std::fs::write(cut.join("run.json"), json).unwrap();
    let o = merge(&run, &[first.clone(), cut]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let message = format!(
        "nested.csv:{}: fewer rows than the slice's outer draws",
        lines.len() - 1
    );
    assert!(stderr(&o).contains(&message), "{}", stderr(&o));
    assert_eq!(files(&run), before);
    // A result directory that is not a slice.
    let o = merge(&run, &[first.clone(), other.clone()]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("nested EVPPI slice"), "{}", stderr(&o));
    // And the slices that fit are accepted.
    let o = merge(&run, &[rest, first]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn nested_slice_requests_are_checked_before_anything_is_written() {
    let tmp = tempdir();
    let run = tmp.path().join("run");
    psa_run(&run, "5");
    let out = tmp.path().join("slice");
    for (range, message) in [
        ("0..3", "--outer-range: expected A..B with 1 <= A <= B <= 6"),
        ("4..7", "found `4..7`"),
        ("3..2", "found `3..2`"),
        ("3", "found `3`"),
    ] {
        let o = slice(&run, range, &out, &[]);
        assert_eq!(code(&o), 1, "{range}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{range}: {}", stderr(&o));
    }
    let o = trdsim(&[
        "voi",
        s(&run),
        "--params",
        "u_gain",
        "--outer-range",
        "1..2",
        "--out",
        s(&out),
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("add --method nested"), "{}", stderr(&o));
    // --outer-range writes a slice directory: --out is required.
    let o = trdsim(&[
        "voi",
        s(&run),
        "--method",
        "nested",
        "--outer-range",
        "1..2",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
    let o = slice(&run, "1..2", &out, &["--threads", "0"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("--threads: expected a number from 1 to 1024"));
    assert!(!out.exists(), "nothing was written");
    assert_eq!(code(&slice(&run, "1..2", &out, &[])), 0);
    // An existing slice is replaced only with --force.
    let o = slice(&run, "1..2", &out, &[]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(code(&slice(&run, "1..2", &out, &["--force"])), 0);
    // --merge takes its request from the slices.
    let o = trdsim(&["voi", s(&run), "--outer", "6", "--merge", s(&out)]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    assert!(!run.join("evppi.csv").exists());
}
