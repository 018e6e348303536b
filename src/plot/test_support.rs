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
/// element (so it is real, selectable text), and that the document carries
/// its font as a `data:` URL and references no external file.
pub(super) fn assert_svg(svg: &str, texts: &[&str]) {
    let contents: Vec<String> = svg_texts(svg).into_iter().map(|t| t.text).collect();
    for text in texts {
        assert!(
            contents.iter().any(|c| c == text),
            "svg lacks text {text:?}: {contents:?}"
        );
    }
    assert!(svg.contains("@font-face"), "svg embeds no font");
    assert!(
        svg.split("url(")
            .skip(1)
            .all(|rest| rest.starts_with("data:") || rest.starts_with('#')),
        "svg references an external file"
    );
    assert!(!svg.contains("font-family=\"sans-serif\""));
}

/// One `<text>` element of an SVG figure: its content (entities decoded),
/// its font size, whether it is a legend entry, and the box it covers in
/// user units `(left, top, right, bottom)`, computed from the advance widths
/// of the embedded font, its anchor, its baseline offset and its rotation.
#[derive(Debug)]
pub(super) struct SvgText {
    pub(super) text: String,
    pub(super) size: f64,
    pub(super) start_anchored: bool,
    pub(super) bbox: (f64, f64, f64, f64),
}

fn attribute(element: &str, name: &str) -> Option<String> {
    let head = &element[..element.find('>')?];
    let at = head.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = head[at..].find('"')?;
    Some(head[at..at + len].to_owned())
}

/// Width of `text` at `size` in the embedded font, in user units.
pub(super) fn text_width(text: &str, size: f64) -> f64 {
    use ab_glyph::{Font, FontRef};
    let font = FontRef::try_from_slice(super::font::FONT_BYTES).unwrap();
    let em = f64::from(font.units_per_em().unwrap());
    let units: f64 = text
        .chars()
        .map(|c| f64::from(font.h_advance_unscaled(font.glyph_id(c))))
        .sum();
    units / em * size
}

/// Every `<text>` element of an SVG document with the box it covers.
pub(super) fn svg_texts(svg: &str) -> Vec<SvgText> {
    let number = |v: Option<String>| v.and_then(|v| v.parse::<f64>().ok());
    let mut out = Vec::new();
    for element in svg.split("<text").skip(1) {
        let start = element.find('>').unwrap() + 1;
        let end = element.find("</text>").unwrap();
        let text = element[start..end]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        let x = number(attribute(element, "x")).unwrap();
        let y = number(attribute(element, "y")).unwrap();
        let size = number(attribute(element, "font-size")).unwrap();
        let anchor = attribute(element, "text-anchor").unwrap_or_default();
        let width = text_width(&text, size);
        let (left, right) = match anchor.as_str() {
            "middle" => (x - width / 2.0, x + width / 2.0),
            "end" => (x - width, x),
            _ => (x, x + width),
        };
        // The baseline: plotters shifts it down by `dy` (in em or ex).
        let dy = attribute(element, "dy").map_or(0.0, |d| {
            if let Some(em) = d.strip_suffix("em") {
                em.parse::<f64>().unwrap() * size
            } else if let Some(ex) = d.strip_suffix("ex") {
                ex.parse::<f64>().unwrap() * size * 0.55
            } else {
                d.parse::<f64>().unwrap()
            }
        });
        // DejaVu Sans: ascender 0.93 em, descender 0.24 em.
        let (top, bottom) = (y + dy - 0.93 * size, y + dy + 0.24 * size);
        let corners = [(left, top), (right, top), (left, bottom), (right, bottom)];
        let rotated: Vec<(f64, f64)> = match attribute(element, "transform") {
            Some(t) => {
                let args: Vec<f64> = t
                    .trim_start_matches("rotate(")
                    .trim_end_matches(')')
                    .split(',')
                    .map(|a| a.trim().parse().unwrap())
                    .collect();
                let (angle, cx, cy) = (args[0].to_radians(), args[1], args[2]);
                corners
                    .iter()
                    .map(|&(px, py)| {
                        let (dx, dy) = (px - cx, py - cy);
                        (
                            cx + dx * angle.cos() - dy * angle.sin(),
                            cy + dx * angle.sin() + dy * angle.cos(),
                        )
                    })
                    .collect()
            }
            None => corners.to_vec(),
        };
        let fold = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| {
            rotated.iter().map(pick).fold(init, f)
        };
        out.push(SvgText {
            text,
            size,
            start_anchored: anchor.is_empty() || anchor == "start",
            bbox: (
                fold(f64::min, f64::INFINITY, |p| p.0),
                fold(f64::min, f64::INFINITY, |p| p.1),
                fold(f64::max, f64::NEG_INFINITY, |p| p.0),
                fold(f64::max, f64::NEG_INFINITY, |p| p.1),
            ),
        });
    }
    out
}

/// The geometry test every figure passes: no text leaves the canvas (the
/// SVG's width and height), and every label of `legend` is an entry of the
/// legend (start-anchored text in the legend's size).
pub(super) fn assert_geometry(svg: &str, legend: &[&str]) {
    let size = |name: &str| -> f64 {
        attribute(&svg[svg.find("<svg").unwrap()..], name)
            .unwrap()
            .parse()
            .unwrap()
    };
    let (width, height) = (size("width"), size("height"));
    let texts = svg_texts(svg);
    for t in &texts {
        let (l, top, r, b) = t.bbox;
        assert!(
            l >= -0.5 && top >= -0.5 && r <= width + 0.5 && b <= height + 0.5,
            "text {:?} covers {:?}, outside the {width} x {height} canvas",
            t.text,
            t.bbox
        );
    }
    let legend_size = super::style::LEGEND_SIZE / SVG_FONT_SCALE;
    for label in legend {
        assert!(
            texts.iter().any(|t| t.text == *label
                && t.start_anchored
                && (t.size - legend_size).abs() < 0.01),
            "{label:?} is not a legend entry: {texts:?}"
        );
    }
}

/// plotters writes SVG font sizes divided by this factor.
pub(super) const SVG_FONT_SCALE: f64 = 1.24;

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
    assert_geometry(&svg, &[]);
    svg
}
