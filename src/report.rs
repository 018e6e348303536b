//! A self-contained HTML report of a result directory for reimbursement advisors: inline
//! styles and SVG figures, no external files, no scripts, no network.
//!
//! Like the figures, the report is a leaf: it reads finished files (`run.json`, the CSV
//! tables, the SVG figures) and the validated model for its structure and parameter table,
//! and computes nothing statistical.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::dist::Dist;
use crate::model::table::split_csv_line;
use crate::model::{Model, ParamDef};
use crate::output::OutputError;

/// Escape text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A CSV file as an HTML table (numbers shown to 6 significant digits).
fn csv_table(dir: &Path, name: &str, caption: &str) -> Option<String> {
    let text = fs::read_to_string(dir.join(name)).ok()?;
    let mut lines = text.lines();
    let header = split_csv_line(lines.next()?);
    let mut h = format!(
        "<table><caption>{} <code>{}</code></caption><thead><tr>",
        esc(caption),
        esc(name)
    );
    for c in &header {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>");
    for line in lines {
        h.push_str("<tr>");
        for f in split_csv_line(line) {
            let shown = match f.parse::<f64>() {
                Ok(x) if f.contains('.') => format!("{}", significant(x, 6)),
                _ => f,
            };
            let _ = write!(h, "<td>{}</td>", esc(&shown));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    Some(h)
}

fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi((digits - 1 - x.abs().log10().floor() as i32).clamp(-300, 300));
    (x * scale).round() / scale
}

/// An SVG figure of the result directory, inline (the XML declaration removed).
fn figure(dir: &Path, stem: &str, caption: &str) -> Option<String> {
    let svg = fs::read_to_string(dir.join(format!("{stem}.svg"))).ok()?;
    let svg = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => return None,
    };
    Some(format!(
        "<figure class=\"figure\" id=\"fig-{}\">{svg}<figcaption>{}</figcaption></figure>",
        esc(stem),
        esc(caption)
    ))
}

/// The states on a circle with an arrow for every transition any strategy has (staying put
/// is left out), so the structure is drawn from the scenario itself.
fn state_diagram(model: &Model) -> String {
    let n = model.states.len();
    let (w, hgt, r) = (900.0, 560.0, 210.0);
    let (cx, cy) = (w / 2.0, hgt / 2.0);
    let pos: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2 + 2.0 * std::f64::consts::PI * i as f64 / n as f64;
            (cx + r * 1.6 * a.cos(), cy + r * a.sin())
        })
        .collect();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for st in &model.strategies {
        for (from, row) in st.rows.iter().enumerate() {
            for t in row {
                if t.to.0 != from && !edges.contains(&(from, t.to.0)) {
                    edges.push((from, t.to.0));
                }
            }
        }
    }
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-label=\"State-transition diagram\">\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>"
    );
    let (bw, bh) = (220.0, 44.0);
    for (a, b) in &edges {
        let ((x1, y1), (x2, y2)) = (pos[*a], pos[*b]);
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        // Stop at the box edge: scale so the segment leaves and enters the boxes.
        let t = |px: f64, py: f64| {
            ((bw / 2.0) / px.abs().max(1e-9)).min((bh / 2.0) / py.abs().max(1e-9))
        };
        let (ux, uy) = (dx / len, dy / len);
        let s1 = t(ux, uy);
        // Offset a pair of opposite edges so both arrows show.
        let (ox, oy) = if edges.contains(&(*b, *a)) {
            (-uy * 6.0, ux * 6.0)
        } else {
            (0.0, 0.0)
        };
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>",
            x1 + ux * s1 + ox,
            y1 + uy * s1 + oy,
            x2 - ux * s1 + ox,
            y2 - uy * s1 + oy
        );
    }
    for (st, (x, y)) in model.states.iter().zip(&pos) {
        let fill = if st.absorbing { "#eeeeee" } else { "#dcebf7" };
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bw}\" height=\"{bh}\" rx=\"8\" fill=\"{fill}\" stroke=\"#0072B2\"/>\
<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"13\">{}</text>",
            x - bw / 2.0,
            y - bh / 2.0,
            y + 4.5,
            esc(&st.label)
        );
    }
    svg.push_str("</svg>");
    format!(
        "<figure class=\"figure\" id=\"fig-structure\">{svg}<figcaption>States and transitions of every strategy (staying in a state is not drawn; grey: absorbing)</figcaption></figure>"
    )
}

fn dist_text(d: &Dist) -> String {
    match d {
        Dist::Fixed(v) => format!("fixed {v}"),
        Dist::Beta { alpha, beta } => format!(
            "beta(α = {}, β = {})",
            significant(*alpha, 4),
            significant(*beta, 4)
        ),
        Dist::Gamma { shape, scale } => format!(
            "gamma(shape = {}, scale = {})",
            significant(*shape, 4),
            significant(*scale, 4)
        ),
        Dist::LogNormal { meanlog, sdlog } => format!(
            "lognormal(μ = {}, σ = {})",
            significant(*meanlog, 4),
            significant(*sdlog, 4)
        ),
        Dist::Normal { mean, sd } => format!(
            "normal(mean = {}, sd = {})",
            significant(*mean, 4),
            significant(*sd, 4)
        ),
        Dist::Uniform { min, max } => format!("uniform({min}, {max})"),
    }
}

/// The CHEERS 2022 items (Husereau et al. 2022, BMJ 376:e067975) and where this report or
/// the project addresses them.
const CHEERS: [(&str, &str, &str); 28] = [
    ("1", "Title", "Report title (scenario title)"),
    (
        "2",
        "Abstract",
        "Not part of a model report: the summary at the top gives the key results",
    ),
    ("3", "Background and objectives", "Decision problem"),
    (
        "4",
        "Health economic analysis plan",
        "Scenario file and docs/model-eko-vs-ect.md (the plan is the scenario)",
    ),
    (
        "5",
        "Study population",
        "Decision problem; population attributes in the parameter table",
    ),
    (
        "6",
        "Setting and location",
        "Decision problem (the Netherlands; Zorginstituut guideline)",
    ),
    ("7", "Comparators", "Decision problem: strategies"),
    (
        "8",
        "Perspective",
        "Decision problem: perspectives and their cost categories",
    ),
    (
        "9",
        "Time horizon",
        "Decision problem: horizon and cycle length",
    ),
    (
        "10",
        "Discount rate",
        "Decision problem: discount rates and timing",
    ),
    (
        "11",
        "Selection of outcomes",
        "Decision problem: QALYs from EQ-5D utilities; costs by TiC-P category",
    ),
    (
        "12",
        "Measurement of outcomes",
        "Parameter table: utility sources",
    ),
    (
        "13",
        "Valuation of outcomes",
        "Parameter table: utility sources and value sets",
    ),
    (
        "14",
        "Measurement and valuation of resources and costs",
        "Parameter table: unit prices (Kostenhandleiding) and resource use",
    ),
    (
        "15",
        "Currency, price date and conversion",
        "Decision problem: currency and price year",
    ),
    (
        "16",
        "Rationale and description of model",
        "Model structure; docs/model-eko-vs-ect.md",
    ),
    (
        "17",
        "Analytics and assumptions",
        "Parameter table (assumptions highlighted); model structure; validation",
    ),
    (
        "18",
        "Characterising heterogeneity",
        "Individual attributes (age, sex) in the microsimulation; subgroups not analysed",
    ),
    (
        "19",
        "Characterising distributional effects",
        "Not addressed",
    ),
    (
        "20",
        "Characterising uncertainty",
        "Probabilistic analysis (CE plane, CEAC, EVPI) and one-way sensitivity analysis where run",
    ),
    (
        "21",
        "Approach to engagement with patients and others affected",
        "Not addressed",
    ),
    (
        "22",
        "Study parameters",
        "Parameter table with values, distributions and sources",
    ),
    (
        "23",
        "Summary of main results",
        "Base-case results and incremental analysis",
    ),
    (
        "24",
        "Effect of uncertainty",
        "Probabilistic analysis; probability cost-effective at each threshold; EVPI",
    ),
    (
        "25",
        "Effect of engagement with patients and others affected",
        "Not addressed",
    ),
    (
        "26",
        "Study findings, limitations, generalisability and current knowledge",
        "docs/model-eko-vs-ect.md: assumptions and limitations",
    ),
    ("27", "Source of funding", "Not stated in the scenario"),
    ("28", "Conflicts of interest", "Not stated in the scenario"),
];

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.7em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0;font-size:.9em;width:100%}caption{text-align:left;font-weight:bold;margin-bottom:.3em}\
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f0f4f8}\
tr.assumption td{background:#fff4d6}.tag{background:#E69F00;color:#000;border-radius:3px;padding:0 .3em;font-size:.8em}\
figure{margin:1.5em 0}figure svg{width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.9em;color:#555}\
code{background:#f4f4f4;padding:0 .2em}pre{background:#f4f4f4;padding:.6em;overflow-x:auto}";

/// Other result directories whose results the report includes.
#[derive(Clone, Debug, Default)]
pub struct Extras<'a> {
    /// A `trdsim dsa` result directory (tornado diagrams, `dsa.csv`).
    pub dsa: Option<&'a Path>,
    /// A `trdsim compare` result directory (`compare_results.csv`, `compare_inputs.csv`).
    pub compare: Option<&'a Path>,
}

/// Write `report.html` into `dir` from its files and the model it was run with.
pub fn write(dir: &Path, model: &Model, extras: &Extras) -> Result<(), OutputError> {
    let json = crate::output::read_run_json(dir)?;
    let mut h = String::new();
    let title = &model.meta.title;
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p>{}</p>",
        esc(title),
        esc(&model.meta.description)
    );

    // Decision problem.
    let s = &model.settings;
    h.push_str("<h2 id=\"decision-problem\">Decision problem</h2><table><tbody>");
    let strategies: Vec<String> = model.strategies.iter().map(|x| esc(&x.label)).collect();
    let rows = [
        ("Strategies", strategies.join("; ")),
        (
            "Reference strategy",
            esc(&model.strategies[s.reference_strategy.0].label),
        ),
        (
            "Perspectives",
            model
                .perspectives
                .iter()
                .map(|p| {
                    let cats: Vec<&str> = model
                        .cost_categories
                        .iter()
                        .zip(&p.includes)
                        .filter(|(_, i)| **i)
                        .map(|(c, _)| c.as_str())
                        .collect();
                    format!("{}: {}", esc(&p.name), esc(&cats.join(", ")))
                })
                .collect::<Vec<_>>()
                .join("<br>"),
        ),
        (
            "Horizon and cycle",
            format!(
                "{} cycles of {} {}",
                s.n_cycles,
                s.cycle_length,
                s.cycle_unit.as_str()
            ),
        ),
        (
            "Discounting",
            format!(
                "costs {}%, effects {}% per year ({} of cycle); within-cycle correction: {}",
                s.discount_rate_costs_annual * 100.0,
                s.discount_rate_effects_annual * 100.0,
                match s.discount_timing {
                    crate::model::DiscountTiming::Start => "start",
                    crate::model::DiscountTiming::Middle => "middle",
                },
                s.within_cycle.as_str()
            ),
        ),
        (
            "Currency and price year",
            format!(
                "{} {}",
                esc(&model.meta.currency),
                model
                    .meta
                    .price_year
                    .map(|y| y.to_string())
                    .unwrap_or_default()
            ),
        ),
        (
            "Willingness to pay per QALY",
            s.wtp_per_qaly
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Individuals simulated", json["individuals"].to_string()),
    ];
    for (k, v) in rows {
        let _ = write!(h, "<tr><th>{}</th><td>{v}</td></tr>", esc(k));
    }
    h.push_str("</tbody></table>");
    if !model.meta.references.is_empty() {
        h.push_str("<details><summary>References</summary><ul>");
        for r in &model.meta.references {
            let _ = write!(h, "<li>{}</li>", esc(r));
        }
        h.push_str("</ul></details>");
    }

    // Model structure.
    h.push_str("<h2 id=\"structure\">Model structure</h2>");
    h.push_str(&state_diagram(model));
    h.push_str("<table><thead><tr><th>State</th><th>Absorbing</th><th>Moves to (per strategy)</th></tr></thead><tbody>");
    for (i, st) in model.states.iter().enumerate() {
        let mut moves = Vec::new();
        for strat in &model.strategies {
            let to: Vec<String> = strat.rows[i]
                .iter()
                .map(|t| {
                    format!(
                        "{} <code>{}</code>",
                        esc(&model.states[t.to.0].label),
                        esc(&t.text)
                    )
                })
                .collect();
            moves.push(format!(
                "{}: {}",
                esc(&strat.label),
                if to.is_empty() {
                    "—".into()
                } else {
                    to.join(", ")
                }
            ));
        }
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&st.label),
            if st.absorbing { "yes" } else { "no" },
            moves.join("<br>")
        );
    }
    h.push_str("</tbody></table>");

    // Parameters.
    h.push_str("<h2 id=\"parameters\">Parameters</h2><p>Rows marked <span class=\"tag\">assumption</span> have no published source.</p><table><thead><tr><th>Parameter</th><th>Value</th><th>Distribution</th><th>Source</th></tr></thead><tbody>");
    let point = crate::params::point_values(model);
    for (i, p) in model.params.iter().enumerate() {
        let (value, dist) = match &p.def {
            ParamDef::Value { dist, .. } => (
                significant(point[i], 6).to_string(),
                dist.as_ref().map(dist_text).unwrap_or_default(),
            ),
            ParamDef::Dirichlet { group, .. } => (
                significant(point[i], 6).to_string(),
                format!("Dirichlet group {}", esc(&model.dirichlet[*group].name)),
            ),
            ParamDef::Derived(_) => (
                format!(
                    "<code>= {}</code>",
                    esc(p.expr.as_deref().unwrap_or("(expression)"))
                ),
                String::new(),
            ),
        };
        let class = if p.is_assumption() {
            " class=\"assumption\""
        } else {
            ""
        };
        let tag = if p.is_assumption() {
            " <span class=\"tag\">assumption</span>"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr{class}><td><code>{}</code>{tag}</td><td>{value}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.name),
            esc(&dist),
            esc(p.source.as_deref().unwrap_or("(none given)"))
        );
    }
    h.push_str("</tbody></table>");

    // Base case.
    h.push_str("<h2 id=\"base-case\">Base-case results</h2>");
    for (file, caption) in [
        ("icer.csv", "Incremental analysis (discounted, per person)"),
        (
            "pairwise.csv",
            "Against the reference strategy, with Monte Carlo standard errors",
        ),
        ("nmb.csv", "Net monetary benefit"),
    ] {
        h.push_str(&csv_table(dir, file, caption).unwrap_or_default());
    }
    h.push_str(
        &figure(
            dir,
            "trace",
            "Markov trace: share of the cohort in each state over time",
        )
        .unwrap_or_default(),
    );

    // Probabilistic analysis.
    if let Some(probs) = json["psa_results"]["prob_cost_effective"].as_array() {
        let _ = write!(
            h,
            "<h2 id=\"psa\">Probabilistic sensitivity analysis</h2><p>{} draws of {} individuals each.</p>",
            json["psa"]["draws_total"], json["psa"]["individuals_per_draw"]
        );
        h.push_str("<table><caption>Probability cost-effective</caption><thead><tr><th>Perspective</th><th>Willingness to pay per QALY</th><th>Strategy</th><th>Probability</th></tr></thead><tbody>");
        for p in probs {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td></tr>",
                esc(p["perspective"].as_str().unwrap_or_default()),
                p["wtp"],
                esc(p["strategy"].as_str().unwrap_or_default()),
                p["probability"].as_f64().unwrap_or(f64::NAN)
            );
        }
        h.push_str("</tbody></table>");
        h.push_str(
            &csv_table(dir, "psa_summary.csv", "Means and 95% intervals").unwrap_or_default(),
        );
        for persp in &model.perspectives {
            let n = &persp.name;
            for (stem, caption) in [
                (
                    format!("ce_plane_{n}"),
                    format!("Cost-effectiveness plane, {n} perspective"),
                ),
                (
                    format!("ceac_{n}"),
                    format!("Acceptability curves and frontier, {n} perspective"),
                ),
                (
                    format!("evpi_{n}"),
                    format!("Expected value of perfect information, {n} perspective"),
                ),
                (
                    format!("convergence_{n}"),
                    format!("Convergence of mean incremental net benefit, {n} perspective"),
                ),
            ] {
                h.push_str(&figure(dir, &stem, &caption).unwrap_or_default());
            }
        }
        if let Some(warnings) = json["psa_results"]["warnings"].as_array() {
            for w in warnings {
                let _ = write!(
                    h,
                    "<p><strong>Warning:</strong> {}</p>",
                    esc(w.as_str().unwrap_or_default())
                );
            }
        }
    }

    // One-way sensitivity analysis, from this directory or a `trdsim dsa` directory.
    let mut tornadoes = String::new();
    for d in [Some(dir), extras.dsa].into_iter().flatten() {
        for st in &model.strategies {
            let stem = format!("tornado_{}", st.name);
            let caption = format!(
                "One-way sensitivity analysis: {} against the reference",
                st.label
            );
            if let Some(f) = figure(d, &stem, &caption) {
                tornadoes.push_str(&f);
            }
        }
        if let Some(t) = csv_table(d, "dsa.csv", "Parameters at their low and high values") {
            tornadoes.push_str(&t);
        }
    }
    if !tornadoes.is_empty() {
        h.push_str("<h2 id=\"dsa\">One-way sensitivity analysis</h2>");
        h.push_str(&tornadoes);
    }
    if let Some(c) = extras.compare {
        h.push_str("<h2 id=\"scenarios\">Scenario analyses</h2>");
        h.push_str(
            &csv_table(c, "compare_results.csv", "Results per scenario").unwrap_or_default(),
        );
        h.push_str(
            &csv_table(c, "compare_inputs.csv", "What each scenario changes").unwrap_or_default(),
        );
    }

    // Validation.
    h.push_str("<h2 id=\"validation\">Validation</h2><p>The test suite of this version (<code>cargo test --release</code>) checks, following AdViSHE:</p><ul>\
<li>closed forms for discounting and the within-cycle corrections;</li>\
<li>the microsimulation against an independent cohort evaluation, for a memoryless and a time-in-state model;</li>\
<li>calibration of ECT relapse to Jelovac et al. 2013 (26 and 52 weeks) and of EKO maintenance to the SUSTAIN-1 hazard ratio;</li>\
<li>the week-8 branch shares per strategy;</li>\
<li>extreme values: equal strategies give zero increments, all utilities 1 without deaths give the discounted horizon, zero costs give zero costs;</li>\
<li>the trace: nobody is lost, death is absorbing, the acute phase lasts exactly eight cycles;</li>\
<li>reproducibility byte for byte across thread counts and PSA slices.</li></ul>");
    if let Some(w) = json["warnings"].as_array().filter(|w| !w.is_empty()) {
        h.push_str("<p>Warnings when the scenario was loaded:</p><ul>");
        for x in w {
            let _ = write!(h, "<li>{}</li>", esc(x.as_str().unwrap_or_default()));
        }
        h.push_str("</ul>");
    }

    // CHEERS 2022.
    h.push_str("<h2 id=\"cheers\">CHEERS 2022 checklist</h2><table><thead><tr><th>Item</th><th>Topic</th><th>Where addressed</th></tr></thead><tbody>");
    for (n, topic, where_) in CHEERS {
        let _ = write!(
            h,
            "<tr><td>{n}</td><td>{}</td><td>{}</td></tr>",
            esc(topic),
            esc(where_)
        );
    }
    h.push_str("</tbody></table>");

    // Reproducibility.
    let command: Vec<String> = json["command"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let _ = write!(
        h,
        "<h2 id=\"reproducibility\">Reproducibility</h2><table><tbody>\
<tr><th>trdsim version</th><td>{}</td></tr><tr><th>Scenario</th><td><code>{}</code></td></tr>\
<tr><th>Scenario SHA-256</th><td><code>{}</code></td></tr><tr><th>Seed</th><td>{}</td></tr>\
<tr><th>Command</th><td><code>{}</code></td></tr></tbody></table>\
<p>To check these results, rerun them and compare every file: <code>trdsim verify {}</code></p>",
        esc(json["tool_version"].as_str().unwrap_or_default()),
        esc(json["scenario"]["path"].as_str().unwrap_or_default()),
        esc(json["scenario"]["sha256"].as_str().unwrap_or_default()),
        json["seed"],
        esc(&command.join(" ")),
        esc(&dir.display().to_string())
    );
    h.push_str("</body></html>\n");
    // Written beside and renamed, so a failure never leaves a half-written report.
    let tmp = dir.join(".report.html.tmp");
    crate::output::write_file(&tmp, &h)?;
    fs::rename(&tmp, dir.join("report.html")).map_err(|e| {
        OutputError(format!(
            "cannot write `{}`: {e}",
            dir.join("report.html").display()
        ))
    })
}
