//! Backends: renders a figure to PNG pixels and an SVG document in memory,
//! then writes `{stem}.png` and `{stem}.svg`.

use std::path::Path;

use plotters::prelude::*;

use super::error::{PlotError, with_extension};
use super::figure::{Figure, Output};
use super::font::{embed_in_svg, ensure_font};

/// Renders `figure` into an RGB pixel buffer (3 bytes per pixel, row-major).
pub(super) fn render_rgb(figure: &impl Figure) -> Result<Vec<u8>, String> {
    ensure_font()?;
    let (width, height) = figure.size();
    let len = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(3))
        .ok_or_else(|| format!("figure size {width}x{height} is too large"))?;
    let mut pixels = vec![0; len];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        figure.draw(&root, Output::Png)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(pixels)
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
