//! The exports of a result directory (issue 14): `results.xlsx` (one sheet per table,
//! numbers as numbers in their formats, bold frozen header, the same bytes every time) and
//! the wide per-draw matrices `psa_costs*.csv`/`psa_effects.csv`; all recorded in
//! `run.json` and checked by `verify`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::Path;

use crate::common::{code, root, s, stderr, stdout, tempdir, trdsim};

fn run(dir: &Path, scenario: &str, extra: &[&str]) {
    let sc = root().join(scenario);
    let mut args = vec![
        "run",
        s(&sc),
        "--out",
        s(dir),
        "--individuals",
        "100",
        "--draw-individuals",
        "30",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let out = trdsim(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

const THREE_STATE: &str = "scenarios/examples/three-state.yaml";

/// The parts of an xlsx file (a zip archive) by name.
fn parts(xlsx: &[u8]) -> BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            (f.name().unwrap().to_string(), text)
        })
        .collect()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The sheet names of a workbook, in order.
fn sheet_names(p: &BTreeMap<String, String>) -> Vec<String> {
    p["xl/workbook.xml"]
        .split("<sheet name=\"")
        .skip(1)
        .map(|x| x[..x.find('"').unwrap()].to_string())
        .collect()
}

/// The value and number format code of cell `cell` (e.g. "C2") of sheet number `sheet`.
fn cell(p: &BTreeMap<String, String>, sheet: usize, cell: &str) -> (String, String) {
    let xml = &p[&format!("xl/worksheets/sheet{sheet}.xml")];
    let c = between(xml, &format!("<c r=\"{cell}\""), "</c>").unwrap();
    let value = between(c, "<v>", "</v>").unwrap().to_string();
    let style: usize = between(c, " s=\"", "\"").map_or(0, |x| x.parse().unwrap());
    let styles = &p["xl/styles.xml"];
    let xfs: Vec<&str> = between(styles, "<cellXfs", "</cellXfs>")
        .unwrap()
        .split("<xf ")
        .skip(1)
        .collect();
    let id = between(xfs[style], "numFmtId=\"", "\"").unwrap();
    let code = between(
        styles,
        &format!("<numFmt numFmtId=\"{id}\" formatCode=\""),
        "\"",
    )
    .map_or("General".to_string(), |c| c.replace("&quot;", "\""));
    (value, code)
}

/// Field `col` of data row `row` (1 = the first after the header) of a CSV file.
fn csv_field(dir: &Path, file: &str, row: usize, col: usize) -> String {
    let text = fs::read_to_string(dir.join(file)).unwrap();
    text.lines()
        .nth(row)
        .unwrap()
        .split(',')
        .nth(col)
        .unwrap()
        .to_string()
}

#[test]
fn results_xlsx_has_a_sheet_per_table_with_numbers_in_their_formats() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run(&dir, THREE_STATE, &["--draws", "8"]);
    let p = parts(&fs::read(dir.join("results.xlsx")).unwrap());
    assert_eq!(
        sheet_names(&p),
        [
            "Base case",
            "Incremental analysis",
            "Pairwise",
            "Net monetary benefit",
            "Transitions",
            "PSA summary",
            "CEAC",
            "EVPI",
            "Assumptions"
        ]
    );
    // icer.csv's first row: cost (money), qalys (0.000) as the very numbers of the CSV.
    let number = |file: &str, row, col| {
        let x: f64 = csv_field(&dir, file, row, col).parse().unwrap();
        format!("{x}")
    };
    assert_eq!(
        cell(&p, 2, "C2"),
        (number("icer.csv", 1, 2), "\"€\"#,##0".to_string())
    );
    assert_eq!(
        cell(&p, 2, "D2"),
        (number("icer.csv", 1, 3), "0.000".to_string())
    );
    // ceac.csv: the threshold in € and prob_best as a percentage.
    assert_eq!(cell(&p, 7, "B2").1, "\"€\"#,##0");
    assert_eq!(
        cell(&p, 7, "D2"),
        (number("ceac.csv", 1, 3), "0.0%".to_string())
    );
    // nmb.csv: the Monte Carlo error with cents; results.csv: a QALY row's mean in 0.000.
    assert_eq!(cell(&p, 4, "E2").1, "\"€\"#,##0.00");
    let results = fs::read_to_string(dir.join("results.csv")).unwrap();
    let qaly_row = results
        .lines()
        .position(|l| l.split(',').nth(1) == Some("qalys"))
        .unwrap();
    assert_eq!(cell(&p, 1, &format!("F{}", qaly_row + 1)).1, "0.000");
    // Every sheet's header is bold (style 1 has the bold font) and frozen.
    assert!(p["xl/styles.xml"].contains("<font><b/>"));
    for i in 1..=9 {
        let xml = &p[&format!("xl/worksheets/sheet{i}.xml")];
        assert!(
            xml.contains(
                "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
            ),
            "sheet {i}"
        );
        assert!(xml.contains("<c r=\"A1\" s=\"1\" t=\"s\">"), "sheet {i}");
        assert!(xml.contains("customWidth=\"1\""), "sheet {i}");
    }
    // A fixed creation date: the same run gives the same bytes.
    assert!(p["docProps/core.xml"].contains("1980-01-01T00:00:00Z"));
    let again = tmp.path().join("again");
    run(&again, THREE_STATE, &["--draws", "8"]);
    assert_eq!(
        fs::read(dir.join("results.xlsx")).unwrap(),
        fs::read(again.join("results.xlsx")).unwrap()
    );
}

#[test]
fn a_base_case_dsa_and_voi_get_their_sheets() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run(&dir, THREE_STATE, &[]);
    let names = sheet_names(&parts(&fs::read(dir.join("results.xlsx")).unwrap()));
    assert!(!names.contains(&"CEAC".to_string()), "{names:?}");
    assert!(!dir.join("psa_effects.csv").exists());

    // `voi` adds the EVPPI sheet; the directory still verifies (the rerun with --voi
    // writes the same workbook).
    run(&dir, THREE_STATE, &["--draws", "20", "--force"]);
    let out = trdsim(&["voi", s(&dir), "--params", "p_sick", "--quiet"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let xlsx = fs::read(dir.join("results.xlsx")).unwrap();
    assert!(sheet_names(&parts(&xlsx)).contains(&"EVPPI".to_string()));
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(
        json["files"]["results.xlsx"],
        trdsim::output::sha256_hex(&xlsx)
    );
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));

    let dsa = tmp.path().join("dsa");
    let sc = root().join(THREE_STATE);
    let out = trdsim(&[
        "dsa",
        s(&sc),
        "--individuals",
        "50",
        "--out",
        s(&dsa),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let p = parts(&fs::read(dsa.join("results.xlsx")).unwrap());
    assert_eq!(sheet_names(&p), ["DSA"]);
    // The parameter's low value is a number, unformatted; the INMB at it is money (one
    // column further right than in dsa.csv: the workbook adds the parameter's label).
    assert_eq!(cell(&p, 1, "F2").1, "General");
    assert_eq!(cell(&p, 1, "K2").1, "\"€\"#,##0");
}

/// `(draw, strategy) -> (cost, qalys)` of one perspective of `psa.csv`.
fn psa_rows(dir: &Path, perspective: &str) -> BTreeMap<(String, String), (String, String)> {
    fs::read_to_string(dir.join("psa.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|f| f[2] == perspective)
        .map(|f| ((f[0].clone(), f[1].clone()), (f[3].clone(), f[4].clone())))
        .collect()
}

/// `(draw, strategy) -> value` of a wide matrix, checking its header.
fn matrix(dir: &Path, file: &str, strategies: &[&str]) -> BTreeMap<(String, String), String> {
    let text = fs::read_to_string(dir.join(file)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "draw");
    assert_eq!(&header[1..], strategies, "{file}");
    let mut m = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        for (s, v) in strategies.iter().zip(&f[1..]) {
            m.insert((f[0].to_string(), s.to_string()), v.to_string());
        }
    }
    m
}

#[test]
fn the_wide_matrices_hold_psa_csv_by_draw_and_strategy() {
    let tmp = tempdir();
    // Two perspectives: one cost matrix each, one effects matrix; draws 3..7 of 10.
    let dir = tmp.path().join("two");
    run(
        &dir,
        THREE_STATE,
        &["--draws", "10", "--draw-range", "3..7"],
    );
    let strategies = ["usual_care", "treatment"];
    let effects = matrix(&dir, "psa_effects.csv", &strategies);
    assert_eq!(effects.len(), 5 * 2);
    assert!(effects.keys().any(|(d, _)| d == "3") && !effects.keys().any(|(d, _)| d == "1"));
    for persp in ["healthcare", "societal"] {
        let psa = psa_rows(&dir, persp);
        let costs = matrix(&dir, &format!("psa_costs_{persp}.csv"), &strategies);
        assert_eq!(psa.len(), costs.len());
        for (key, (cost, qalys)) in &psa {
            assert_eq!(&costs[key], cost, "{persp} {key:?}");
            assert_eq!(&effects[key], qalys, "{key:?}");
        }
    }
    assert!(!dir.join("psa_costs.csv").exists());

    // One perspective: psa_costs.csv.
    let one = tmp.path().join("one");
    run(
        &one,
        "scenarios/examples/sick-sicker-darth.yaml",
        &["--draws", "4"],
    );
    let strategies = ["soc", "A", "B", "AB"];
    let costs = matrix(&one, "psa_costs.csv", &strategies);
    for (key, (cost, _)) in &psa_rows(&one, "healthcare") {
        assert_eq!(&costs[key], cost);
    }
}

#[test]
fn verify_names_an_altered_export() {
    let tmp = tempdir();
    let dir = tmp.path().join("r");
    run(&dir, THREE_STATE, &["--draws", "6"]);
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("run.json")).unwrap()).unwrap();
    for name in [
        "results.xlsx",
        "psa_effects.csv",
        "psa_costs_healthcare.csv",
        "psa_costs_societal.csv",
    ] {
        assert_eq!(
            json["files"][name],
            trdsim::output::sha256_hex(&fs::read(dir.join(name)).unwrap()),
            "{name}"
        );
    }
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    for name in ["results.xlsx", "psa_effects.csv"] {
        let path = dir.join(name);
        let original = fs::read(&path).unwrap();
        let mut altered = original.clone();
        let last = altered.len() - 2;
        altered[last] ^= 1;
        fs::write(&path, &altered).unwrap();
        let out = trdsim(&["verify", s(&dir)]);
        assert_eq!(code(&out), 2, "{}", stdout(&out));
        assert!(
            stdout(&out).contains(&format!("{name}: altered since it was written")),
            "{}",
            stdout(&out)
        );
        fs::write(&path, &original).unwrap();
    }
    // Removed: `plot` writes the exports again, the same bytes.
    fs::remove_file(dir.join("results.xlsx")).unwrap();
    fs::remove_file(dir.join("psa_costs_societal.csv")).unwrap();
    let out = trdsim(&["plot", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = trdsim(&["verify", s(&dir)]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn compare_writes_a_workbook_of_its_tables_recorded_in_run_json() {
    let tmp = tempdir();
    let base = root().join(THREE_STATE);
    let text = fs::read_to_string(&base).unwrap().replace(
        "  hr_treatment:\n    value: 0.6\n",
        "  hr_treatment:\n    value: 0.5\n",
    );
    let variant = tmp.path().join("variant.yaml");
    fs::write(&variant, text).unwrap();
    let dir = tmp.path().join("c");
    let out = trdsim(&[
        "compare",
        s(&base),
        s(&variant),
        "--individuals",
        "100",
        "--out",
        s(&dir),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let xlsx = fs::read(dir.join("compare.xlsx")).unwrap();
    let p = parts(&xlsx);
    assert_eq!(
        sheet_names(&p),
        ["Scenario results", "Scenario INMB", "Scenario inputs"]
    );
    // The base-case INMB of the first row (column F of compare_inmb.csv), as a number in
    // the money format.
    let (value, format) = cell(&p, 2, "F2");
    let csv: f64 = csv_field(&dir, "compare_inmb.csv", 1, 5).parse().unwrap();
    assert_eq!(value.parse::<f64>().unwrap(), csv);
    assert_eq!(format, "\"€\"#,##0");
    // A cost of the results sheet (column D of compare_results.csv).
    let (value, _) = cell(&p, 1, "D3");
    let csv: f64 = csv_field(&dir, "compare_results.csv", 2, 3)
        .parse()
        .unwrap();
    assert_eq!(value.parse::<f64>().unwrap(), csv);
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(
        json["files"]["compare.xlsx"],
        trdsim::output::sha256_hex(&xlsx)
    );
}
