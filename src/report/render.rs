//! Rendering the report: the templates under `templates/`, embedded in the binary, filled
//! with a [`Report`] context. Output is HTML-escaped unless a template marks a value `safe`
//! (only the SVG figures), and a template that uses anything the context does not provide
//! is an error, never an empty string.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior, Value};

use super::context::Report;

/// The template the report starts from.
const ROOT: &str = "report.html";

/// A template under `templates/`, by its name, with its text embedded at compile time.
macro_rules! template {
    ($name:literal) => {
        ($name, include_str!(concat!("templates/", $name)))
    };
}

/// Every template by the name the others use for it.
const TEMPLATES: [(&str, &str); 17] = [
    template!("base.html"),
    template!("style.css"),
    template!("macros.html"),
    template!("report.html"),
    template!("state_diagram.html"),
    template!("sections/key_results.html"),
    template!("sections/decision_problem.html"),
    template!("sections/structure.html"),
    template!("sections/parameters.html"),
    template!("sections/base_case.html"),
    template!("sections/psa.html"),
    template!("sections/dsa.html"),
    template!("sections/scenarios.html"),
    template!("sections/research.html"),
    template!("sections/validation.html"),
    template!("sections/cheers.html"),
    template!("sections/reproducibility.html"),
];

/// The template environment: every template compiled, HTML escaping everywhere, undefined
/// values an error, and block tags on lines of their own leave no blank lines.
pub(super) fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(write_escaped);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// Writes a value into the document, escaping strings as the report always has: `&`, `<`,
/// `>` and `"` (the templates quote every attribute with `"`). The engine's own escaping
/// would also write `/` and `'` as character references, which reads badly in the source
/// of a report full of paths and expressions. Values marked `safe` and anything that is not
/// a string go through the engine's formatter.
fn write_escaped(
    out: &mut Output,
    state: &mut State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(s) if !value.is_safe() && matches!(state.auto_escape(), AutoEscape::Html) => {
            let escaped = s
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;");
            Ok(out.write_str(&escaped)?)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// The report as one HTML document.
pub fn render(report: &Report) -> Result<String, minijinja::Error> {
    environment()?
        .get_template(ROOT)?
        .render(Value::from(Serde(report)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::context::*;
    use crate::report::files::Figure;
    use crate::report::research::{Captioned, EvsiSection, ThresholdSection};
    use crate::report::summary::{KeyAssumption, KeyPerspective, KeyResults, KeyRow};
    use crate::report::tables::{Cell, Row, Table};

    fn table(file: &str) -> Option<Table> {
        let cell = |text: &str, note: &str| Cell {
            text: text.into(),
            note: note.into(),
        };
        Some(Table {
            caption: "Caption".into(),
            file: file.into(),
            header: vec!["a".into(), "b".into()],
            columns: 2,
            numeric: vec![true, false],
            rows: vec![
                Row {
                    cells: Vec::new(),
                    group: Some("Societal perspective".into()),
                },
                Row {
                    cells: vec![cell("1", "MCSE 2"), cell("x < y", "")],
                    group: None,
                },
            ],
        })
    }

    fn key(full: bool) -> KeyResults {
        KeyResults {
            comparator: "A".into(),
            perspectives: vec![KeyPerspective {
                name: "Societal perspective".into(),
                decision: "B is cost-effective.".into(),
                rows: vec![KeyRow {
                    strategy: "B".into(),
                    cost: "€1,000".into(),
                    qalys: "0.820".into(),
                    inc_cost: "−€5".into(),
                    inc_qalys: "0.0142".into(),
                    icer: "dominant".into(),
                    probabilities: vec!["90%".into(); 3],
                }],
            }],
            thresholds: vec!["€20,000".into(); 3],
            psa: full,
            columns: 9,
            uncertainty: list(full, &["EVPPI was not run."]),
            assumptions: if full {
                vec![KeyAssumption {
                    name: "p".into(),
                    reason: "a guess".into(),
                    effect: "net benefit €1 to €2".into(),
                }]
            } else {
                Vec::new()
            },
            assumptions_note: "1 parameter is an assumption.".into(),
        }
    }

    fn figure(stem: &str) -> Option<Figure> {
        Some(Figure {
            stem: stem.into(),
            svg: "<svg></svg>".into(),
        })
    }

    fn param(derived: bool, assumption: bool, with_text: bool) -> ParamRow {
        ParamRow {
            name: "p".into(),
            label: "Probability".into(),
            assumption,
            derived,
            value: if derived { String::new() } else { "0.5".into() },
            expr: with_text.then(|| "q * 2".into()),
            distribution: "beta".into(),
            mean_interval: "0.500 (0.025 to 0.975)".into(),
            source: with_text.then(|| "Author 2020".into()),
            indexed: with_text.then(|| "2022 prices × 1.073".into()),
        }
    }

    fn text(s: &str) -> String {
        s.to_string()
    }

    /// `items` when `full`, else nothing.
    fn list(full: bool, items: &[&str]) -> Vec<String> {
        if full {
            items.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        }
    }

    fn problem(full: bool) -> Problem {
        let list = |items: &[&str]| list(full, items);
        Problem {
            strategies: list(&["A", "B"]),
            reference_strategy: text("A"),
            perspectives: vec![PerspectiveRow {
                name: text("societal"),
                categories: list(&["health care", "productivity"]),
            }],
            n_cycles: text("52"),
            cycle_length: text("1"),
            cycle_unit: text("weeks"),
            discount_costs_percent: text("4"),
            discount_effects_percent: text("1.5"),
            discount_timing: text("start"),
            within_cycle: text("none"),
            currency: text("EUR"),
            price_year: text("2024"),
            wtp_per_qaly: list(&["20000", "50000"]),
            individuals: text("500"),
            references: list(&["Someone 2020"]),
        }
    }

    fn structure(full: bool) -> Structure {
        Structure {
            diagram: crate::report::diagram::sample(),
            states: vec![StateRow {
                label: text("Well"),
                absorbing: full,
                moves: vec![StrategyMoves {
                    strategy: text("A"),
                    to: if full {
                        vec![Move {
                            state: text("Dead"),
                            text: text("p_die"),
                        }]
                    } else {
                        Vec::new()
                    },
                }],
            }],
        }
    }

    /// A report with every optional part present and every list non-empty (`full`), or
    /// with every optional part absent and every list empty, so that between them every
    /// branch of every template runs.
    fn sample(full: bool) -> Report {
        let list = |items: &[&str]| list(full, items);
        Report {
            title: text("Title & <subtitle>"),
            description: text("Description"),
            key: key(full),
            problem: problem(full),
            structure: structure(full),
            parameters: vec![param(full, full, full), param(!full, !full, full)],
            base_case: BaseCase {
                icer: table("icer.csv"),
                pairwise: table("pairwise.csv").filter(|_| full),
                nmb: table("nmb.csv").filter(|_| full),
                trace: figure("trace").filter(|_| full),
            },
            psa: full.then(|| Psa {
                draws: text("8"),
                individuals_per_draw: text("100"),
                prob_cost_effective: table("run.json").unwrap(),
                summary: table("psa_summary.csv"),
                evpi: table("evpi.csv"),
                perspectives: vec![PsaFigures {
                    name: text("societal"),
                    ce_plane: figure("ce_plane_societal"),
                    ceac: figure("ceac_societal"),
                    evpi: figure("evpi_societal"),
                    convergence: figure("convergence_societal"),
                }],
                warnings: vec![text("few draws")],
            }),
            dsa: if full {
                vec![DsaSource {
                    tornadoes: vec![Tornado {
                        strategy: text("B"),
                        figure: Figure {
                            stem: text("tornado_b"),
                            svg: text("<svg></svg>"),
                        },
                    }],
                    tables: table("dsa.csv").into_iter().collect(),
                }]
            } else {
                Vec::new()
            },
            compare: full.then(|| Compare {
                results: table("compare_results.csv").into_iter().collect(),
                inputs: table("compare_inputs.csv"),
                forests: figure("forest_societal_20000").into_iter().collect(),
            }),
            evsi: if full {
                vec![EvsiSection {
                    target: text("Share admitted"),
                    study: text("the study costs €1,000"),
                    table: table("evsi.csv").unwrap(),
                    figures: figure("evsi_share_societal")
                        .map(|figure| Captioned {
                            figure,
                            caption: text("Value of a study"),
                        })
                        .into_iter()
                        .collect(),
                }]
            } else {
                Vec::new()
            },
            thresholds: if full {
                vec![ThresholdSection {
                    parameter: text("Share admitted"),
                    summary: list(&["ECT is preferred below 0.376"]),
                    table: table("threshold.csv").unwrap(),
                    figures: Vec::new(),
                }]
            } else {
                Vec::new()
            },
            load_warnings: list(&["a warning"]),
            reproducibility: Reproducibility {
                tool_version: text("0.1.0"),
                scenario_path: text("scenarios/x.yaml"),
                scenario_sha256: text("abc"),
                seed: text("1"),
                command: list(&["trdsim", "run"]),
                dir: text("out"),
            },
        }
    }

    /// Renders every branch of every template in strict mode: a template that refers to a
    /// variable or field the context does not provide fails here.
    #[test]
    fn every_template_branch_renders_from_the_context() {
        for full in [true, false] {
            let html = render(&sample(full)).unwrap_or_else(|e| panic!("full = {full}: {e:#}"));
            assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
            assert!(html.contains("<title>Title &amp; &lt;subtitle&gt;</title>"));
            assert_eq!(html.contains("id=\"psa\""), full);
            assert_eq!(html.contains("id=\"dsa\""), full);
            assert_eq!(html.contains("id=\"scenarios\""), full);
            assert_eq!(html.contains("id=\"fig-forest_societal_20000\""), full);
            assert_eq!(html.contains("id=\"evsi\""), full);
            assert_eq!(html.contains("id=\"thresholds\""), full);
            assert_eq!(html.contains("id=\"fig-evsi_share_societal\""), full);
        }
        let html = render(&sample(true)).unwrap();
        assert!(
            html.contains("<td>x &lt; y</td>"),
            "table cells are escaped"
        );
        assert!(
            html.contains("<code>scenarios/x.yaml</code>"),
            "slashes are not"
        );
        assert_eq!(
            html.matches("<svg></svg>").count(),
            8,
            "figures are inlined"
        );
    }

    /// Statically, whatever the branches: every name a template looks up at top level, and
    /// every field it reads from one by a plain `a.b.c` path, is in the context (`loop` is
    /// the template engine's own).
    #[test]
    fn templates_only_use_names_the_context_provides() {
        let context = serde_json::to_value(sample(true)).unwrap();
        let env = environment().unwrap();
        for (name, _) in TEMPLATES {
            let template = env.get_template(name).unwrap();
            for path in template.undeclared_variables(true) {
                if path == "loop" || path.starts_with("loop.") {
                    continue;
                }
                let found = path
                    .split('.')
                    .try_fold(&context, |v, field| v.as_object()?.get(field));
                assert!(
                    found.is_some(),
                    "template {name} uses `{path}`, which the report context does not provide"
                );
            }
        }
    }

    /// Strict mode is on: a missing variable is an error, not an empty string.
    #[test]
    fn a_missing_variable_is_an_error() {
        let env = environment().unwrap();
        let err = env
            .get_template(ROOT)
            .unwrap()
            .render(minijinja::context! {})
            .unwrap_err();
        assert_eq!(err.kind(), minijinja::ErrorKind::UndefinedError);
    }
}
