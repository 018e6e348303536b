//! Legends: entries with their swatches, laid out in centred rows that wrap
//! to the figure width.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::font::FONT_FAMILY;
use super::marks::mean_marker;
use super::style::{BAND_COLOR, BAND_WIDTH, LEGEND_SIZE, LineStyle, POINT_RADIUS, SHADE_ALPHA};

/// Length of a legend swatch, in pixels.
pub(super) const SWATCH_LEN: i32 = 36;
/// Gap between a legend swatch and its label.
pub(super) const SWATCH_GAP: i32 = 8;
/// Gap between two legend entries on the same row.
pub(super) const ENTRY_GAP: i32 = 28;
/// Height of one legend row.
pub(super) const LEGEND_ROW_HEIGHT: i32 = 28;
/// Vertical padding around the legend block.
pub(super) const LEGEND_PAD: i32 = 10;

/// How a legend entry's sample is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Swatch {
    /// A line stroked with the entry's style.
    Line,
    /// A thick grey band (the acceptability frontier).
    Band,
    /// A few scatter points.
    Dots,
    /// The diamond marking a cloud's mean.
    Mean,
    /// A filled bar (tornado).
    Bar,
    /// A light band of the entry's colour (a Monte Carlo interval).
    Shade,
    /// A black cross (the base case of a two-way analysis).
    Cross,
    /// A dot with a horizontal whisker (an estimate and its interval).
    Interval,
}

/// A legend entry: a label and the style of the marks it stands for.
#[derive(Debug, Clone, Copy)]
pub(super) struct LegendEntry<'a> {
    pub(super) label: &'a str,
    pub(super) style: LineStyle,
    pub(super) swatch: Swatch,
}

/// A legend entry placed on a row, with its measured width.
pub(super) struct Placed<'a> {
    entry: LegendEntry<'a>,
    width: i32,
}

pub(super) fn legend_style() -> TextStyle<'static> {
    (FONT_FAMILY, LEGEND_SIZE).into_font().color(&BLACK)
}

/// Lays legend entries out left to right, wrapping to a new row when the next
/// entry would overflow the figure width.
pub(super) fn legend_rows<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    legend: &[LegendEntry<'a>],
) -> Result<Vec<Vec<Placed<'a>>>, String> {
    let (width, _) = area.dim_in_pixel();
    let available = i32::try_from(width).unwrap_or(i32::MAX) - 2 * ENTRY_GAP;
    let style = legend_style();
    let mut rows: Vec<Vec<Placed<'a>>> = Vec::new();
    let mut row_width = 0;
    for &entry in legend {
        let (text_width, _) = area
            .estimate_text_size(entry.label, &style)
            .map_err(|e| e.to_string())?;
        let width = SWATCH_LEN + SWATCH_GAP + i32::try_from(text_width).unwrap_or(i32::MAX / 4);
        match rows.last_mut() {
            Some(row) if row_width + ENTRY_GAP + width <= available => {
                row_width += ENTRY_GAP + width;
                row.push(Placed { entry, width });
            }
            _ => {
                row_width = width;
                rows.push(vec![Placed { entry, width }]);
            }
        }
    }
    Ok(rows)
}

/// Draws legend rows, each centred horizontally.
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[Vec<Placed<'_>>],
) -> Result<(), String> {
    let (width, _) = area.dim_in_pixel();
    let width = i32::try_from(width).unwrap_or(i32::MAX);
    let style = legend_style().pos(Pos::new(HPos::Left, VPos::Center));
    let mut y = LEGEND_PAD + LEGEND_ROW_HEIGHT / 2;
    for row in rows {
        let gaps = i32::try_from(row.len().saturating_sub(1)).unwrap_or(i32::MAX);
        let row_width = row
            .iter()
            .map(|p| p.width)
            .fold(ENTRY_GAP.saturating_mul(gaps), i32::saturating_add);
        let mut x = ((width - row_width) / 2).max(0);
        for placed in row {
            draw_swatch(area, placed.entry, (x, y))?;
            area.draw_text(placed.entry.label, &style, (x + SWATCH_LEN + SWATCH_GAP, y))
                .map_err(|e| e.to_string())?;
            x += placed.width + ENTRY_GAP;
        }
        y += LEGEND_ROW_HEIGHT;
    }
    Ok(())
}

/// Draws the sample of a legend entry, `SWATCH_LEN` wide, starting at `(x, y)`
/// (left end, vertical centre).
pub(super) fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entry: LegendEntry<'_>,
    (x, y): (i32, i32),
) -> Result<(), String> {
    let line = [(x, y), (x + SWATCH_LEN, y)];
    let color = entry.style.color;
    match entry.swatch {
        Swatch::Line => match entry.style.dash.pattern() {
            Some((dash, gap)) => area.draw(&DashedPathElement::new(
                line,
                dash,
                gap,
                entry.style.shape(),
            )),
            None => area.draw(&PathElement::new(line, entry.style.shape())),
        },
        Swatch::Band => area.draw(&PathElement::new(line, BAND_COLOR.stroke_width(BAND_WIDTH))),
        Swatch::Dots => [6, 15, 24, 31]
            .into_iter()
            .zip([2, -3, 3, -2])
            .try_for_each(|(dx, dy)| {
                area.draw(&Circle::new(
                    (x + dx, y + dy),
                    POINT_RADIUS + 1,
                    color.filled(),
                ))
            }),
        Swatch::Mean => area.draw(&mean_marker((x + SWATCH_LEN / 2, y), color)),
        Swatch::Bar => area.draw(&Rectangle::new(
            [(x, y - 8), (x + SWATCH_LEN, y + 8)],
            color.filled(),
        )),
        Swatch::Shade => area
            .draw(&Rectangle::new(
                [(x, y - 8), (x + SWATCH_LEN, y + 8)],
                color.mix(SHADE_ALPHA).filled(),
            ))
            .and_then(|()| area.draw(&PathElement::new(line, entry.style.shape()))),
        Swatch::Cross => {
            let (c, r) = (x + SWATCH_LEN / 2, 7);
            area.draw(&PathElement::new(
                [(c - r, y - r), (c + r, y + r)],
                BLACK.stroke_width(3),
            ))
            .and_then(|()| {
                area.draw(&PathElement::new(
                    [(c - r, y + r), (c + r, y - r)],
                    BLACK.stroke_width(3),
                ))
            })
        }
        Swatch::Interval => area
            .draw(&PathElement::new(line, color.stroke_width(2)))
            .and_then(|()| {
                area.draw(&Circle::new(
                    (x + SWATCH_LEN / 2, y),
                    POINT_RADIUS + 3,
                    color.filled(),
                ))
            }),
    }
    .map_err(|e| e.to_string())
}
