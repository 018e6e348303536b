//! The report in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `.ci/run`) renders `report.html` of a run with a PSA, a one-way analysis and a scenario
//! comparison, on screen at 1280 px and as printed on A4.
//!
//! The test copies the report and adds a probe script (the report itself has no scripts).
//! After load it counts console errors, and measures: every table and figure against the
//! width of its container and of the page; every number in the number columns of the
//! result tables (`table.results td.num`) against the report's number format (no exponent
//! notation, no bare number of four or more digits without thousands separators, at most
//! four significant digits after a decimal point); and the box of every text of every
//! inline SVG figure against the figure's own box. It writes the counts, and the first
//! offenders, into the document title, which `--dump-dom` prints.
//!
//! Print is measured in the DOM with the print style sheet applied to screen (its
//! `@media print` rules made unconditional) at the width of an A4 page less the report's
//! 15 mm margins (180 mm = 680 CSS px); the report is also printed to PDF with
//! `--print-to-pdf`, whose page must be A4.
//!
//! Kept after the test for people to look at (in `target/` of the repository):
//! `report-screenshot.png` (the top of the page at 1280 px), `report-key-results.png`
//! (the key-results box alone), `report-ce-plane.png` (the first cost-effectiveness
//! plane alone) and `report.pdf` (the printed report).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{code, root, s, stderr, tempdir, trdsim};

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("CHROMIUM").ok(),
        Some("/usr/bin/chromium".into()),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Counts console and uncaught errors from the start of the page; after load measures the
/// page and writes `PROBE key=value ...` into the title.
const PROBE_HEAD: &str = r#"<script>window.__errors=0;
window.addEventListener('error',function(){window.__errors++;});
(function(){var e=console.error;console.error=function(){window.__errors++;e.apply(console,arguments);};})();
window.addEventListener('load',function(){
var bad=[];function note(w){if(bad.length<6)bad.push(w.replace(/\s+/g,' ').slice(0,90));}
var page=document.documentElement.clientWidth;
var f=document.querySelectorAll('figure svg');var zero=0;
for(var i=0;i<f.length;i++){var r=f[i].getBoundingClientRect();if(!(r.width>0&&r.height>0))zero++;}
var wide=0;var boxes=document.querySelectorAll('table, figure');
for(var i=0;i<boxes.length;i++){var b=boxes[i];var r=b.getBoundingClientRect();var p=b.parentElement.getBoundingClientRect();
var w=Math.max(r.width,b.scrollWidth);
if(w>p.width+1||r.right>page+1||r.left<-1){wide++;note('wide '+b.tagName+' '+Math.round(w)+'>'+Math.round(p.width)+': '+(b.id||(b.caption?b.caption.textContent:'')));}}
var cells=document.querySelectorAll('table.results td.num');var badnum=0;
for(var i=0;i<cells.length;i++){var t=cells[i].innerText.replace(/\s+/g,' ');var why='';
if(/\d[eE][-+]?\d/.test(t))why='exponent';
else if(/(^|[^\d,.])\d{4,}/.test(t))why='no separators';
else{var m=t.match(/\d[\d,]*\.\d+/g)||[];for(var j=0;j<m.length;j++){var d=m[j].replace(/[,.]/g,'').replace(/^0+/,'');if(d.length>4)why='digits';}}
if(why){badnum++;note(why+': '+t);}}
var out=0;
for(var i=0;i<f.length;i++){var r=f[i].getBoundingClientRect();var ts=f[i].querySelectorAll('text');
for(var j=0;j<ts.length;j++){var q=ts[j].getBoundingClientRect();if(q.width==0)continue;
if(q.left<r.left-1||q.right>r.right+1||q.top<r.top-1||q.bottom>r.bottom+1){out++;note('text out of '+(f[i].parentElement.id||'figure')+': '+ts[j].textContent);}}}
var tables=document.querySelectorAll('table.results').length;
document.title='PROBE width='+page+' figures='+f.length+' zero='+zero+' errors='+window.__errors+' tables='+tables+' numbers='+cells.length+' wide='+wide+' badnum='+badnum+' textout='+out+' | '+bad.join(' | ');});
</script>"#;

/// Chromium's common flags: headless, no network services, a fresh profile.
fn browser_args(profile: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ]
    .map(String::from)
    .into();
    args.push(format!("--user-data-dir={}", profile.display()));
    args
}

fn run_browser(
    browser: &Path,
    profile: &Path,
    page: &Path,
    extra: &[String],
) -> std::process::Output {
    let mut args = browser_args(profile);
    args.extend(extra.iter().cloned());
    args.push(format!("file://{}", page.display()));
    Command::new(browser)
        .args(&args)
        .output()
        .expect("chromium runs")
}

/// The probe's title of `html` rendered `width` px wide.
fn probe(browser: &Path, dir: &Path, name: &str, html: &str, width: u32) -> String {
    let probed = html.replacen("<head>", &format!("<head>{PROBE_HEAD}"), 1);
    let page = dir.join(name);
    fs::write(&page, probed).unwrap();
    let out = run_browser(
        browser,
        &dir.join(format!("profile-{name}")),
        &page,
        &[format!("--window-size={width},900"), "--dump-dom".into()],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let title = text
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default()
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    assert!(
        title.starts_with("PROBE "),
        "the probe did not run: {title}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    title
}

/// The value of `key=` in a probe title.
fn field(title: &str, key: &str) -> i64 {
    title
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key}= in {title}"))
}

/// A run with a PSA and its report with a one-way analysis, a scenario comparison, the value
/// of a study and a threshold analysis.
fn full_report(dir: &Path) -> String {
    let run = dir.join("r");
    crate::common::report_run(&run);
    let sc = root().join("scenarios/eko-vs-ect.yaml");
    let (dsa, cmp) = (dir.join("dsa"), dir.join("cmp"));
    let params = "p_second_course,share_ect_inpatient,c_day_treatment_day,hr_oral_transfer";
    let out = trdsim(&[
        "dsa",
        s(&sc),
        "--individuals",
        "200",
        "--params",
        params,
        "--out",
        s(&dsa),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let variants = ["ect-inpatient-0.yaml", "utilities-kolovos.yaml"]
        .map(|v| root().join("scenarios/analyses").join(v));
    let out = trdsim(&[
        "compare",
        s(&sc),
        s(&variants[0]),
        s(&variants[1]),
        "--individuals",
        "200",
        "--draws",
        "4",
        "--out",
        s(&cmp),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (evsi, threshold) = crate::common::research_dirs(&run, dir);
    let out = trdsim(&[
        "report",
        s(&run),
        "--dsa",
        s(&dsa),
        "--compare",
        s(&cmp),
        "--evsi",
        s(&evsi),
        "--threshold",
        s(&threshold),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    fs::read_to_string(run.join("report.html")).unwrap()
}

/// `html` showing only the element with id `id` (a direct child of the body).
fn alone(html: &str, id: &str) -> String {
    html.replacen(
        "</style>",
        &format!("body>*{{display:none!important}}body>#{id}{{display:block!important}}</style>"),
        1,
    )
}

fn screenshot(browser: &Path, dir: &Path, html: &str, name: &str, size: &str) -> PathBuf {
    let page = dir.join(format!("{name}.html"));
    fs::write(&page, html).unwrap();
    let shot = artifact(&format!("{name}.png"));
    let out = run_browser(
        browser,
        &dir.join(format!("profile-{name}")),
        &page,
        &[
            format!("--window-size={size}"),
            format!("--screenshot={}", shot.display()),
        ],
    );
    assert!(
        shot.is_file() && fs::metadata(&shot).unwrap().len() > 10_000,
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    shot
}

#[test]
fn report_fits_the_page_on_screen_and_in_print_with_formatted_numbers() {
    let Some(browser) = chromium() else {
        // CI installs Chromium, so there the test must run; elsewhere say why it did not.
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required in CI (.ci/run installs it)"
        );
        eprintln!("skipped: no Chromium at /usr/bin/chromium or $CHROMIUM");
        return;
    };
    let tmp = tempdir();
    let html = full_report(tmp.path());
    // On screen at 1280 px.
    let screen = probe(&browser, tmp.path(), "screen.html", &html, 1280);
    assert_eq!(field(&screen, "width"), 1280, "{screen}");
    // Structure, trace, 4 PSA figures per perspective, the tornado diagram, a forest plot
    // of the scenarios per perspective and threshold (2 × 3), the value of a study per
    // perspective (2) and the threshold analysis per perspective and threshold (2 × 3).
    assert_eq!(field(&screen, "figures"), 25, "{screen}");
    for key in ["zero", "errors", "wide", "badnum", "textout"] {
        assert_eq!(field(&screen, key), 0, "{key}: {screen}");
    }
    assert!(field(&screen, "tables") >= 10, "{screen}");
    assert!(field(&screen, "numbers") > 200, "{screen}");
    // As printed: the print style sheet on screen at the printable width of A4.
    let print_html = html.replace("@media print{", "@media all{");
    assert_ne!(print_html, html, "the report has a print style sheet");
    let print = probe(&browser, tmp.path(), "print.html", &print_html, 680);
    for key in ["zero", "errors", "wide", "badnum", "textout"] {
        assert_eq!(field(&print, key), 0, "{key} in print: {print}");
    }
    // Printed to PDF by Chromium: A4 pages (595 × 842 points).
    let page = tmp.path().join("report.html");
    fs::write(&page, &html).unwrap();
    let pdf = artifact("report.pdf");
    let out = run_browser(
        &browser,
        &tmp.path().join("profile-pdf"),
        &page,
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    let bytes = fs::read(&pdf)
        .unwrap_or_else(|e| panic!("no PDF ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("%PDF"), "not a PDF");
    let boxes: Vec<f64> = text
        .split("/MediaBox [")
        .skip(1)
        .filter_map(|b| b.split_whitespace().nth(2)?.parse().ok())
        .collect();
    assert!(
        boxes.len() > 3 && boxes.iter().all(|w| (w - 595.0).abs() < 2.0),
        "pages are not A4 wide: {boxes:?}"
    );
    // Screenshots kept as test artifacts.
    screenshot(
        &browser,
        tmp.path(),
        &html,
        "report-screenshot",
        "1280,2400",
    );
    screenshot(
        &browser,
        tmp.path(),
        &alone(&html, "key-results"),
        "report-key-results",
        "1280,1000",
    );
    screenshot(
        &browser,
        tmp.path(),
        &alone(&html, "fig-ce_plane_societal"),
        "report-ce-plane",
        "1280,1000",
    );
}

/// Where a test artifact is kept: `target/` of the repository, made if it is not there (a
/// build with `CARGO_TARGET_DIR` elsewhere leaves none).
fn artifact(name: &str) -> std::path::PathBuf {
    let dir = root().join("target");
    fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
