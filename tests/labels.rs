//! Parameter labels (issue 14): a `label:` given in the scenario names the parameter in
//! every output a reader sees (tornado, DSA table, EVPPI figures, workbook, report), and a
//! parameter without one is named by the label derived from its id.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::common::{code, root, s, stderr, tempdir, trdsim};

/// The label given to `p_sick` in the test's copy of the three-state model.
const LABEL: &str = "Annual probability of falling sick";

/// What `c_sick`, which has no label, is called: its id written out.
const DERIVED: &str = "Cost sick";

/// The three-state example with `LABEL` on `p_sick`, written into `dir`.
fn labelled_scenario(dir: &Path) -> PathBuf {
    let text = fs::read_to_string(root().join("scenarios/examples/three-state.yaml")).unwrap();
    let with = text.replacen(
        "  p_sick:\n",
        &format!("  p_sick:\n    label: {LABEL}\n"),
        1,
    );
    assert_ne!(text, with, "the example defines p_sick");
    let path = dir.join("labelled.yaml");
    fs::write(&path, with).unwrap();
    path
}

fn ok(args: &[&str]) {
    let out = trdsim(args);
    assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
}

/// The shared strings of an xlsx workbook (where rust_xlsxwriter keeps every text cell).
fn workbook_strings(path: &Path) -> String {
    let bytes = fs::read(path).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    zip.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn a_scenario_label_names_the_parameter_wherever_readers_see_it() {
    let tmp = tempdir();
    let sc = labelled_scenario(tmp.path());
    let (run, dsa) = (tmp.path().join("run"), tmp.path().join("dsa"));
    ok(&[
        "run",
        s(&sc),
        "--out",
        s(&run),
        "--individuals",
        "100",
        "--draws",
        "20",
        "--draw-individuals",
        "30",
        "--quiet",
    ]);
    ok(&["voi", s(&run), "--params", "p_sick,c_sick", "--quiet"]);
    ok(&[
        "dsa",
        s(&sc),
        "--out",
        s(&dsa),
        "--individuals",
        "100",
        "--params",
        "p_sick,c_sick",
        "--quiet",
    ]);

    // The tornado: each bar is the label with the range it runs over.
    let tornado = fs::read_to_string(dsa.join("tornado_treatment.svg")).unwrap();
    assert!(tornado.contains(&format!("{LABEL} (")), "tornado");
    assert!(tornado.contains(&format!("{DERIVED} (")), "tornado");
    assert!(!tornado.contains(">p_sick"), "no id in the tornado");

    // The EVPPI ranking and curves, drawn from evppi.csv and run.json.
    let rank = fs::read_to_string(run.join("evppi_rank_societal_50000.svg")).unwrap();
    let curves = fs::read_to_string(run.join("evppi_societal.svg")).unwrap();
    for svg in [&rank, &curves] {
        assert!(
            svg.contains(LABEL) && svg.contains(DERIVED),
            "EVPPI figures"
        );
    }
    // `trdsim plot` redraws them from the directory alone, with the labels.
    fs::remove_file(run.join("evppi_rank_societal_50000.svg")).unwrap();
    ok(&["plot", s(&run)]);
    assert_eq!(
        fs::read_to_string(run.join("evppi_rank_societal_50000.svg")).unwrap(),
        rank
    );

    // The workbooks: the label beside the id.
    for dir in [&run, &dsa] {
        let strings = workbook_strings(&dir.join("results.xlsx"));
        assert!(
            strings.contains(LABEL) && strings.contains(DERIVED),
            "{dir:?}"
        );
    }

    // The report: parameter table, DSA table and the key results' EVPPI ranking.
    ok(&["report", s(&run), "--dsa", s(&dsa)]);
    let html = fs::read_to_string(run.join("report.html")).unwrap();
    let params = &html[html.find("id=\"parameters\"").unwrap()..];
    assert!(params.contains(&format!("<td>{LABEL}<br><small><code>p_sick</code>")));
    assert!(params.contains(&format!("<td>{DERIVED}<br><small><code>c_sick</code>")));
    let key = &html[html.find("id=\"key-results\"").unwrap()..];
    let key = &key[..key.find("</section>").unwrap()];
    assert!(
        key.contains(&format!("{LABEL} (€")) || key.contains(&format!("{DERIVED} (€")),
        "the key results name the EVPPI drivers by label"
    );
    assert!(!key.contains("p_sick ("), "no id among the drivers");
    let dsa_section = &html[html.find("id=\"dsa\"").unwrap()..];
    assert!(dsa_section.contains(LABEL) && dsa_section.contains(DERIVED));
}

#[test]
fn a_label_changes_no_number() {
    let tmp = tempdir();
    let sc = labelled_scenario(tmp.path());
    let plain = root().join("scenarios/examples/three-state.yaml");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (sc, dir) in [(&sc, &a), (&plain, &b)] {
        ok(&[
            "dsa",
            s(sc),
            "--out",
            s(dir),
            "--individuals",
            "100",
            "--params",
            "p_sick,c_sick",
            "--quiet",
        ]);
    }
    assert_eq!(
        fs::read_to_string(a.join("dsa.csv")).unwrap(),
        fs::read_to_string(b.join("dsa.csv")).unwrap()
    );
    // Without the label, p_sick is named from its id.
    let tornado = fs::read_to_string(b.join("tornado_treatment.svg")).unwrap();
    assert!(tornado.contains("Probability sick ("), "derived label");
}
