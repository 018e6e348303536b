//! Helpers shared by the figure tests: temporary directories, reading back
//! PNG sizes and SVG texts, and deterministic synthetic data.

use std::path::{Path, PathBuf};

use super::figure::Figure;
use super::render::render_rgb;

/// A fresh directory under the system temp dir, unique per test.
pub(super) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trdsim-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Removes a test directory; a leftover in the temp dir is harmless, so
/// failure is ignored.
pub(super) fn clean(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

/// Width and height from the IHDR chunk, after checking the signature.
pub(super) fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "missing PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Checks that every string in `texts` is the content of a `<text>`
/// element (so it is real, selectable text) and that no external font
/// file is referenced.
pub(super) fn assert_svg(svg: &str, texts: &[&str]) {
    let contents: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|element| {
            let start = element.find('>')? + 1;
            let end = element.find("</text>")?;
            Some(element[start..end].trim())
        })
        .collect();
    for text in texts {
        assert!(
            contents.contains(text),
            "svg lacks text {text:?}: {contents:?}"
        );
    }
    for external in [".ttf", ".otf", ".woff", "@font-face", "url("] {
        assert!(!svg.contains(external), "svg references {external}");
    }
}

pub(super) fn weeks(f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..=52).map(|w| (f64::from(w), f(f64::from(w)))).collect()
}

/// Where the PSA tests write: the directory named by `TRDSIM_KEEP_PLOTS`
/// (kept, for looking at the figures), else a fresh temp directory.
pub(super) fn figure_dir(name: &str) -> (PathBuf, bool) {
    match std::env::var_os("TRDSIM_KEEP_PLOTS") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            (dir, true)
        }
        None => (temp_dir(name), false),
    }
}

/// Deterministic standard normal draws (xorshift64 and Box–Muller).
pub(super) fn normals(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        u.max(1e-300)
    };
    (0..n)
        .map(|_| {
            let (u, v) = (uniform(), uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        })
        .collect()
}

/// A correlated cloud of (incremental QALYs, incremental cost) draws.
pub(super) fn cloud(
    seed: u64,
    n: usize,
    (mq, mc): (f64, f64),
    (sq, sc): (f64, f64),
) -> Vec<(f64, f64)> {
    let z = normals(seed, 2 * n);
    z.chunks(2)
        .map(|p| (mq + sq * p[0], mc + sc * (0.6 * p[0] + 0.8 * p[1])))
        .collect()
}

/// Pixels that are clearly coloured (not white, grey or black): only
/// data marks are drawn in colour.
pub(super) fn coloured_pixels(figure: &impl Figure) -> usize {
    render_rgb(figure)
        .unwrap()
        .chunks(3)
        .filter(|px| {
            let max = px.iter().max().unwrap();
            let min = px.iter().min().unwrap();
            max - min > 60
        })
        .count()
}

/// Reads both files of a figure and checks the PNG size and SVG texts.
pub(super) fn check_files(dir: &Path, stem: &str, size: (u32, u32), texts: &[&str]) -> String {
    let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
    assert_eq!(png_size(&png), size);
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    assert_svg(&svg, texts);
    svg
}
