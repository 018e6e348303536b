//! The report's value-of-research and threshold sections (`trdsim report --evsi
//! --threshold`): what they show is what the analyses' files hold, and the report refuses
//! analyses of other draws or another scenario.

use std::fs;
use std::path::Path;

use crate::common::{code, report_run, research_dirs, root, s, stderr, tempdir, trdsim};

/// Rows of a CSV file as maps from column to text.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

/// The part of the report from the heading with `id` to the next second-level heading.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<h2 id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start + 4..]
        .find("<h2")
        .map_or(html.len(), |e| start + 4 + e);
    &html[start..end]
}

/// A euro amount as the report writes it (whole euros from €100, with thousands
/// separators, else cents), written out here from that rule.
fn euros(x: f64) -> String {
    if x.abs() < 99.995 {
        return format!("€{x:.2}");
    }
    let digits = format!("{:.0}", x.abs());
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 { "\u{2212}" } else { "" };
    format!("{sign}€{grouped}")
}

#[test]
fn report_shows_the_value_of_a_study_and_the_thresholds_their_files_hold() {
    let dir = tempdir();
    let run = dir.path().join("r");
    report_run(&run);
    let (evsi, threshold) = research_dirs(&run, dir.path());
    // A cost: its threshold is money.
    let price = dir.path().join("price");
    let out = trdsim(&[
        "threshold",
        s(&root().join("scenarios/eko-vs-ect.yaml")),
        "--param",
        "c_esketamine_week",
        "--range",
        "0,3000",
        "--perspective",
        "societal",
        "--wtp",
        "20000",
        "--steps",
        "3",
        "--individuals",
        "200",
        "--out",
        s(&price),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = trdsim(&[
        "report",
        s(&run),
        "--evsi",
        s(&evsi),
        "--threshold",
        s(&threshold),
        "--threshold",
        s(&price),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = fs::read_to_string(run.join("report.html")).unwrap();

    // Thresholds: every crossing of threshold.csv, to 3 significant digits, with the
    // strategies preferred on either side, and one figure per perspective and threshold.
    let t = section(&html, "thresholds");
    assert!(
        t.contains("Share of ECT courses given during admission"),
        "{t}"
    );
    let crossings = rows(&threshold.join("threshold.csv"));
    assert_eq!(
        crossings.len(),
        6,
        "one crossing per perspective and threshold"
    );
    for r in &crossings {
        let x: f64 = r["threshold"].parse().unwrap();
        assert!((0.1..1.0).contains(&x), "{x}");
        assert!(
            t.contains(&format!(">{x:.3}<")),
            "threshold {x:.3} not shown"
        );
        let stem = format!(
            "threshold_share_ect_inpatient_{}_{}",
            r["perspective"], r["wtp"]
        );
        assert!(t.contains(&format!("id=\"fig-{stem}\"")), "{stem}");
    }
    assert!(t.contains("Preferred below") && t.contains("Oral esketamine (EKO)"));
    // The key results say where the decision changes, per perspective, in one sentence.
    let start = html.find("id=\"key-results\"").unwrap();
    let key = &html[start..start + html[start..].find("</section>").unwrap()];
    assert!(key.contains("Where the decision changes"), "{key}");
    for p in ["societal", "healthcare"] {
        let at: Vec<String> = crossings
            .iter()
            .filter(|r| r["perspective"] == p)
            .map(|r| {
                let x: f64 = r["threshold"].parse().unwrap();
                let w: f64 = r["wtp"].parse().unwrap();
                format!("{x:.3} at {}/QALY", euros(w))
            })
            .collect();
        let sentence = format!(
            "Share of ECT courses given during admission: ECT is preferred below {}, {} and {}, Oral esketamine (EKO) above ({p} perspective; base case 0.7).",
            at[0], at[1], at[2]
        );
        assert!(key.contains(&sentence), "{sentence} not in {key}");
    }
    let priced = rows(&price.join("threshold.csv"));
    assert_eq!(priced.len(), 1, "one perspective and threshold");
    let x: f64 = priced[0]["threshold"].parse().unwrap();
    assert!(x >= 100.0, "{x}");
    let base: f64 = priced[0]["base"].parse().unwrap();
    let sentence = format!(
        "Weekly cost of oral esketamine: Oral esketamine (EKO) is preferred below {} at €20,000/QALY, ECT above (societal perspective; base case {}).",
        euros(x),
        euros(base)
    );
    assert!(key.contains(&sentence), "{sentence} not in {key}");

    // The value of a study: sizes formatted, the ENBS of the costed study, and the
    // population EVPPI ceiling with its per-person value, per perspective.
    let e = section(&html, "evsi");
    assert!(
        e.contains("A study measuring “Share of ECT courses given during admission”"),
        "{e}"
    );
    assert!(e.contains(">1,000<"), "study size 1000 written 1,000");
    assert!(e.contains("ENBS"));
    assert!(e.contains("the study costs €100,000 plus €0.00 per person measured"));
    assert_eq!(e.matches("Perfect information (EVPPI)").count(), 2);
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(evsi.join("run.json")).unwrap()).unwrap();
    let factor = json["population_factor"].as_f64().unwrap();
    assert!(factor > 1000.0, "the flagship sets a population: {factor}");
    for r in rows(&evsi.join("evsi.csv")) {
        let evppi: f64 = r["evppi_per_person"].parse().unwrap();
        let shown = format!(
            "{}<br><small>{} per person",
            euros(evppi * factor),
            euros(evppi)
        );
        assert!(e.contains(&shown), "EVPPI ceiling {shown} not shown");
        let pop: f64 = r["evsi_population"].parse().unwrap();
        assert!(e.contains(&format!(">{}<br>", euros(pop))), "EVSI {pop}");
    }
    for p in ["societal", "healthcare"] {
        assert!(e.contains(&format!("id=\"fig-evsi_share_ect_inpatient_{p}\"")));
    }
    // The key sections keep their order: scenarios and research before validation.
    let at = |id: &str| html.find(&format!("<h2 id=\"{id}\">")).unwrap();
    assert!(at("evsi") < at("thresholds"));
}

#[test]
fn report_refuses_an_evsi_of_other_draws_and_a_threshold_of_another_scenario() {
    let dir = tempdir();
    let run = dir.path().join("r");
    report_run(&run);
    let (evsi, _) = research_dirs(&run, dir.path());
    // Another run of the same scenario with another seed: other draws.
    let other = dir.path().join("other");
    let out = trdsim(&[
        "run",
        s(&root().join("scenarios/eko-vs-ect.yaml")),
        "--individuals",
        "100",
        "--draws",
        "4",
        "--draw-individuals",
        "50",
        "--seed",
        "7",
        "--out",
        s(&other),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = trdsim(&["report", s(&other), "--evsi", s(&evsi)]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not from this run's"),
        "{}",
        stderr(&out)
    );
    assert!(!other.join("report.html").exists());

    // A threshold analysis of another scenario.
    let variant = root().join("scenarios/analyses/day-treatment-high.yaml");
    let thr = dir.path().join("thr");
    let out = trdsim(&[
        "threshold",
        s(&variant),
        "--param",
        "share_ect_inpatient",
        "--range",
        "0,1",
        "--steps",
        "3",
        "--individuals",
        "50",
        "--out",
        s(&thr),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = trdsim(&["report", s(&run), "--threshold", s(&thr)]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not of the run's"),
        "{}",
        stderr(&out)
    );

    // Directories of the wrong kind.
    let out = trdsim(&["report", s(&run), "--evsi", s(&thr)]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("expected the result directory of `trdsim evsi`"));
    let out = trdsim(&["report", s(&run), "--threshold", s(&evsi)]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("expected the result directory of `trdsim threshold`"));
}
