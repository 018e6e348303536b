//! Value of information end to end: `run --draws --voi` and `trdsim voi` on a small toy
//! whose net benefit is linear in two parameters, the regression estimate against the
//! nested oracle, and the files, figures and records they leave.

use std::path::Path;

use trdsim::analysis::Silent;
use trdsim::analysis::read::analysis_from_info;
use trdsim::analysis::voi::{self, VoiMethod, VoiRequest};
use trdsim::scenario;

use crate::common::{code, files, root, s, stderr, stdout, tempdir, trdsim};

const TOY: &str = "tests/data/voi-toy.yaml";

/// Rows of `evppi.csv` as (perspective, name, wtp) → (value, se, method).
fn rows(dir: &Path) -> Vec<(String, String, f64, f64, f64, String)> {
    let text = std::fs::read_to_string(dir.join("evppi.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "perspective,name,kind,parameters,wtp,evppi_per_person,evppi_population,method,se,inner_bias"
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_string(),
                f[1].to_string(),
                f[4].parse().unwrap(),
                f[5].parse().unwrap(),
                f[8].parse().unwrap(),
                f[7].to_string(),
            )
        })
        .collect()
}

#[test]
fn run_with_voi_writes_every_target_and_verifies() {
    let tmp = tempdir();
    let out = tmp.path().join("toy");
    let run = trdsim(&[
        "run",
        TOY,
        "--draws",
        "300",
        "--voi",
        "--quiet",
        "--out",
        s(&out),
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let r = rows(&out);
    let names: Vec<&str> = {
        let mut n: Vec<&str> = r.iter().map(|x| x.1.as_str()).collect();
        n.dedup();
        n
    };
    // Every drawn parameter, then the Dirichlet group, the correlated pair and the scenario's group.
    assert_eq!(
        names,
        [
            "u_gain",
            "c_extra",
            "c_common",
            "u_a",
            "u_b",
            "share_x",
            "share_y",
            "share_z",
            "mix",
            "correlation",
            "gain_and_cost"
        ]
    );
    // 9 grid points (0..40,000 by 5,000, the thresholds on it) per name.
    assert_eq!(r.len(), names.len() * 9);
    let evpi: Vec<(f64, f64)> = std::fs::read_to_string(out.join("evpi.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect();
    for (_, name, w, v, se, method) in &r {
        let e = evpi.iter().find(|(x, _)| x == w).unwrap().1;
        assert!(*v >= 0.0 && *se >= 0.0, "{name} at {w}");
        assert!(
            *v <= e + 2.0 * se + 1e-9,
            "{name} at {w}: {v} above EVPI {e}"
        );
        if name == "c_common" {
            // Paid in both strategies: the decision does not depend on it.
            assert!(
                *v <= 3.0 * se + 1e-6 * e.max(1.0),
                "c_common at {w}: {v} (se {se})"
            );
        }
        // At most four inputs each (the Dirichlet group's last share left out): splines.
        assert_eq!(method, "gam", "{name}");
    }
    // The two parameters the net benefit depends on carry all of the EVPI together.
    for (_, name, w, v, _, _) in r.iter().filter(|x| x.1 == "gain_and_cost") {
        let e = evpi.iter().find(|(x, _)| x == w).unwrap().1;
        assert!(
            (v - e).abs() <= 1e-6 * e.max(1.0),
            "{name} at {w}: {v} vs EVPI {e}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert!(json["files"]["evppi.csv"].is_string());
    assert!(json["files"]["evppi_rank_healthcare_20000.png"].is_string());
    assert!(json["files"]["evppi_healthcare.svg"].is_string());
    assert_eq!(json["voi"]["method"], "regression");
    let verify = trdsim(&["verify", s(&out)]);
    assert_eq!(code(&verify), 0, "{}{}", stdout(&verify), stderr(&verify));
    assert!(stdout(&verify).contains("identical"));
    // The figures are redrawn from the files alone.
    let before = files(&out);
    assert_eq!(code(&trdsim(&["plot", s(&out)])), 0);
    assert_eq!(before, files(&out));
}

#[test]
fn voi_command_adds_to_a_run_and_replaces_its_previous_result() {
    let tmp = tempdir();
    let out = tmp.path().join("toy");
    let run = trdsim(&["run", TOY, "--draws", "200", "--quiet", "--out", s(&out)]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let voi = trdsim(&[
        "voi",
        s(&out),
        "--groups",
        "all,pair=u_gain+c_extra",
        "--quiet",
    ]);
    assert_eq!(code(&voi), 0, "{}", stderr(&voi));
    assert!(stdout(&voi).contains("EVPPI per person, healthcare, at 20000/QALY"));
    let r = rows(&out);
    assert!(r.iter().all(|x| x.1 == "all" || x.1 == "pair"));
    // `all` has seven free inputs after the Dirichlet's last share is dropped: a Gaussian process.
    assert!(r.iter().filter(|x| x.1 == "all").all(|x| x.5 == "gp"));
    let verify = trdsim(&["verify", s(&out)]);
    assert_eq!(code(&verify), 0, "{}{}", stdout(&verify), stderr(&verify));
    // A second analysis replaces the first.
    let again = trdsim(&["voi", s(&out), "--params", "u_gain", "--quiet"]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(rows(&out).iter().all(|x| x.1 == "u_gain"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["voi"]["arguments"][1], "u_gain");
    for (name, _) in json["files"].as_object().unwrap() {
        assert!(
            out.join(name).exists(),
            "run.json lists {name}, which is gone"
        );
    }
}

#[test]
fn voi_rejects_bad_requests() {
    let tmp = tempdir();
    let out = tmp.path().join("toy");
    assert_eq!(code(&trdsim(&["run", TOY, "--quiet", "--out", s(&out)])), 0);
    // No PSA in the directory.
    let no_psa = trdsim(&["voi", s(&out), "--quiet"]);
    assert_eq!(code(&no_psa), 1, "{}", stderr(&no_psa));
    assert!(stderr(&no_psa).contains("psa.csv"), "{}", stderr(&no_psa));
    let psa = tmp.path().join("psa");
    assert_eq!(
        code(&trdsim(&[
            "run",
            TOY,
            "--draws",
            "20",
            "--quiet",
            "--out",
            s(&psa)
        ])),
        0
    );
    for (args, message) in [
        (
            vec!["--params", "u_gian"],
            "unknown parameter `u_gian`; did you mean `u_gain`?",
        ),
        (
            vec!["--params", "u_base"],
            "does not vary between probabilistic draws",
        ),
        (
            vec!["--groups", "mx"],
            "unknown group `mx`; did you mean `mix`?",
        ),
        (vec!["--groups", "p=u_gain+u_gain"], "listed twice"),
        (
            vec!["--params", "u_gain", "--groups", "u_gain=u_gain"],
            "asked for twice",
        ),
        (vec!["--method", "nested"], "name the parameters or groups"),
        (
            vec!["--method", "nested", "--params", "u_gain", "--outer", "1"],
            "at least 2",
        ),
    ] {
        let mut a = vec!["voi", s(&psa), "--quiet"];
        a.extend(args);
        let o = trdsim(&a);
        assert_eq!(code(&o), 1, "{a:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{a:?}: {}", stderr(&o));
    }
    assert!(!psa.join("evppi.csv").exists());
    let without = trdsim(&[
        "run",
        TOY,
        "--voi",
        "--quiet",
        "--out",
        s(&tmp.path().join("x")),
    ]);
    assert_eq!(code(&without), 1);
    assert!(stderr(&without).contains("add --draws"));
}

/// The regression estimate agrees with the nested two-level Monte Carlo estimate within
/// their combined errors (plus the nested estimate's inner-sample bias).
#[test]
fn regression_agrees_with_nested_monte_carlo() {
    let tmp = tempdir();
    let out = tmp.path().join("toy");
    let run = trdsim(&["run", TOY, "--draws", "400", "--quiet", "--out", s(&out)]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let model = scenario::load(&root().join(TOY)).unwrap();
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let settings = analysis_from_info(&info["figures"]);
    let mut req = VoiRequest {
        params: vec!["u_gain".into(), "c_extra".into()],
        groups: vec!["mix".into(), "correlation".into()],
        ..VoiRequest::default()
    };
    let reg = voi::analyse(&out, &settings, &model, &req, &Silent).unwrap();
    req.method = VoiMethod::Nested;
    req.outer = Some(150);
    req.inner = Some(40);
    req.individuals = Some(2);
    let nest = voi::analyse(&out, &settings, &model, &req, &Silent).unwrap();
    for (t, (r, n)) in reg
        .targets
        .iter()
        .zip(reg.estimates[0].iter().zip(&nest.estimates[0]))
    {
        let bias = n.inner_bias.as_ref().unwrap();
        for (i, w) in reg.grid.iter().enumerate() {
            let (a, b) = (r.estimates[i], n.estimates[i]);
            let tol = 3.0 * (a.se * a.se + b.se * b.se).sqrt() + bias[i].abs() + 1e-6;
            assert!(
                (a.value - b.value).abs() <= tol,
                "{} at {w}: regression {a:?}, nested {b:?}, bias {}",
                t.name,
                bias[i]
            );
        }
    }
    // The parameters that drive the decision have a clearly positive EVPPI at 20,000.
    let at = reg.grid.iter().position(|w| *w == 20000.0).unwrap();
    assert!(reg.estimates[0][0].estimates[at].value > 50.0);
}
