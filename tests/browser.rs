//! The report in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `.ci/run`) loads `report.html` with no console errors, and every figure has a size.
//!
//! The test copies the report and adds a probe script (the report itself has no scripts):
//! it counts console errors and uncaught errors from the start of the page, measures every
//! inline SVG figure after load, and writes the result into the document title, which
//! `--dump-dom` prints. A screenshot is saved to `target/report-screenshot.png`.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::common::{root, tempdir};

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

const PROBE_HEAD: &str = "<script>window.__errors=0;\
window.addEventListener('error',function(){window.__errors++;});\
(function(){var e=console.error;console.error=function(){window.__errors++;e.apply(console,arguments);};})();\
window.addEventListener('load',function(){var f=document.querySelectorAll('figure svg');var zero=0;\
for(var i=0;i<f.length;i++){var r=f[i].getBoundingClientRect();if(!(r.width>0&&r.height>0))zero++;}\
document.title='PROBE figures='+f.length+' zero='+zero+' errors='+window.__errors;});</script>";

#[test]
fn report_renders_in_headless_chromium_without_errors() {
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
    let dir = tmp.path().join("r");
    let html = crate::common::report_run(&dir);
    let probed = html.replacen("<head>", &format!("<head>{PROBE_HEAD}"), 1);
    let page = tmp.path().join("probed.html");
    fs::write(&page, probed).unwrap();
    let profile = tmp.path().join("profile");
    // Kept after the test for people to look at.
    let shot = root().join("target").join("report-screenshot.png");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=5000".into(),
        ];
        args.extend(extra.iter().map(|x| x.to_string()));
        args.push(format!("file://{}", page.display()));
        Command::new(&browser)
            .args(&args)
            .output()
            .expect("chromium runs")
    };
    let dom = run(&["--dump-dom"]);
    let text = String::from_utf8_lossy(&dom.stdout);
    let title = text
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default();
    assert!(
        title.starts_with("PROBE "),
        "the probe did not run: {title}\n{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert_eq!(title, "PROBE figures=10 zero=0 errors=0", "{title}");
    let out = run(&[
        "--window-size=1200,2400",
        &format!("--screenshot={}", shot.display()),
    ]);
    assert!(
        shot.is_file() && fs::metadata(&shot).unwrap().len() > 10_000,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
