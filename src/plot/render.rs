//! Backends: renders a figure to PNG pixels and an SVG document in memory,
//! then writes `{stem}.png` and `{stem}.svg`.

use std::path::Path;

use plotters::prelude::*;

use super::error::{PlotError, with_extension};
use super::figure::{Figure, Output};
use super::font::{EMBEDDED_FAMILY, FONT_BYTES, embed_in_svg, ensure_font};

/// Renders `figure` into an RGB pixel buffer (3 bytes per pixel, row-major), anti-aliased:
/// the figure is drawn as SVG (every point, unlike the SVG file, which thins large clouds)
/// and rasterised by resvg in the embedded font on a white background. plotters' bitmap
/// backend draws lines and text without anti-aliasing.
pub(super) fn render_rgb(figure: &impl Figure) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    ensure_font()?;
    let (width, height) = figure.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        figure.draw(&root, Output::Png)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut options = usvg::Options::default();
    // Only the embedded font: the same glyphs on every machine, none looked up.
    let fonts = options.fontdb_mut();
    fonts.load_font_data(FONT_BYTES.to_vec());
    fonts.set_sans_serif_family(EMBEDDED_FAMILY);
    let tree = usvg::Tree::from_str(&svg, &options).map_err(|e| e.to_string())?;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| format!("figure size {width}x{height} cannot be drawn"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    // Opaque on white, so the premultiplied RGBA is the RGB.
    Ok(pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[1], px[2]])
        .collect())
}

/// Renders `figure` as an SVG document that carries the subset of the font
/// its text uses.
pub(super) fn render_svg(figure: &impl Figure) -> Result<String, String> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        figure.draw(&root, Output::Svg)?;
        root.present().map_err(|e| e.to_string())?;
    }
    embed_in_svg(&svg)
}

/// Writes `{stem}.png` and `{stem}.svg`. Both are rendered in memory first so
/// that a drawing failure never leaves a half-drawn file behind.
pub(super) fn render(stem: &Path, figure: &impl Figure) -> Result<(), PlotError> {
    let png_path = with_extension(stem, "png");
    let pixels = render_rgb(figure).map_err(|e| PlotError::at(&png_path, e))?;
    let mut backend = BitMapBackend::new(&png_path, figure.size());
    backend
        .blit_bitmap((0, 0), figure.size(), &pixels)
        .and_then(|()| backend.present())
        .map_err(|e| PlotError::at(&png_path, e))?;

    let svg_path = with_extension(stem, "svg");
    let svg = render_svg(figure).map_err(|e| PlotError::at(&svg_path, e))?;
    std::fs::write(&svg_path, svg).map_err(|e| PlotError::at(&svg_path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::test_support::{clean, png_size, temp_dir};

    /// A black diagonal line from corner to corner of a white 300 × 200 figure.
    struct Diagonal;

    impl Figure for Diagonal {
        fn size(&self) -> (u32, u32) {
            (300, 200)
        }
        fn draw<DB: DrawingBackend>(
            &self,
            root: &DrawingArea<DB, plotters::coord::Shift>,
            _: Output,
        ) -> Result<(), String> {
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            root.draw(&PathElement::new(
                vec![(0, 0), (300, 200)],
                BLACK.stroke_width(2),
            ))
            .map_err(|e| e.to_string())
        }
    }

    #[test]
    fn png_figures_are_anti_aliased_at_the_figure_size() {
        let dir = temp_dir("anti-aliased");
        // A figure without text gets an SVG without a font (the subsetter would panic).
        render(&dir.join("diagonal"), &Diagonal).unwrap();
        let svg = std::fs::read_to_string(dir.join("diagonal.svg")).unwrap();
        assert!(!svg.contains("@font-face"));
        let png = std::fs::read(dir.join("diagonal.png")).unwrap();
        assert_eq!(png_size(&png), Diagonal.size());
        let pixels = render_rgb(&Diagonal).unwrap();
        assert_eq!(pixels.len(), 300 * 200 * 3);
        // Along the line (y = 2x/3), pixels are black where it covers them and grey where it
        // covers them in part; without anti-aliasing every pixel is black or white.
        let grey = (10usize..290)
            .flat_map(|x| {
                let y = x * 2 / 3;
                (y.saturating_sub(3)..(y + 4).min(200)).map(move |y| (x, y))
            })
            .filter(|&(x, y)| {
                let v = pixels[(y * 300 + x) * 3];
                (20..235).contains(&v)
            })
            .count();
        assert!(grey > 200, "only {grey} intermediate pixels along the edge");
        assert_eq!(
            &pixels[(199 * 300) * 3..(199 * 300) * 3 + 3],
            &[255, 255, 255]
        );
        clean(&dir);
    }
}
