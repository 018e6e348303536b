//! Labels outside a chart's frame (thresholds, reference lines, the base
//! case), laid out so that they never cover data nor each other.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{Axes, CHART_MARGIN, Chart, build_chart, draw_mesh};
use super::font::FONT_FAMILY;
use super::style::{GUIDE_COLOR, WIDTH};

/// Size of threshold and reference-line labels drawn outside the frame.
pub(super) const ANNOTATION_SIZE: f64 = 16.0;
/// Height of one row of labels stacked above the frame.
pub(super) const ANNOTATION_ROW: i32 = 22;
/// Gap between the frame and a label outside it, and between two labels.
pub(super) const ANNOTATION_GAP: i32 = 8;
/// At most this many rows of labels are stacked above the frame; further
/// labels share the least crowded row.
pub(super) const MAX_ANNOTATION_ROWS: usize = 4;

pub(super) fn annotation_style() -> TextStyle<'static> {
    (FONT_FAMILY, ANNOTATION_SIZE)
        .into_font()
        .color(&GUIDE_COLOR)
}

/// Builds a chart whose frame leaves room for labels outside it, draws its
/// mesh, and draws the labels: `above` are centred above the frame at a data
/// x (stacked in rows where they would overlap), `beside` are right of the
/// frame at a data y (spread apart vertically where they would overlap).
/// Keeping these labels outside the frame means they never cover data.
pub(super) fn annotated_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    mut axes: Axes<'_>,
    above: &[(f64, String)],
    beside: &[(f64, String)],
) -> Result<Chart<'a, DB>, String> {
    let style = annotation_style();
    let measure = |text: &str| -> Result<i32, String> {
        let (width, _) = area
            .estimate_text_size(text, &style)
            .map_err(|e| e.to_string())?;
        Ok(i32::try_from(width).unwrap_or(i32::MAX / 4))
    };
    if !beside.is_empty() {
        let mut widest = 0;
        for (_, text) in beside {
            widest = widest.max(measure(text)?);
        }
        let needed = u32::try_from(widest + 3 * ANNOTATION_GAP).unwrap_or(WIDTH / 3);
        axes.right = axes.right.max(needed.min(WIDTH / 3));
    }

    // Only x positions matter for stacking, and they do not depend on the
    // top margin, so a chart built with any top margin measures them.
    let (area_x, _) = area.get_pixel_range();
    let mut placed = Vec::with_capacity(above.len());
    if !above.is_empty() {
        let probe = build_chart(area, &axes)?;
        let mut boxes = Vec::with_capacity(above.len());
        for (x, text) in above {
            let centre = probe.backend_coord(&(*x, axes.y_range.1)).0;
            boxes.push((centre, measure(text)?));
        }
        placed = stack_rows(&boxes, (area_x.start, area_x.end));
    }
    let rows = placed.iter().map(|&(_, row)| row + 1).max().unwrap_or(0);
    if rows > 0 {
        let rows = i32::try_from(rows).unwrap_or(0);
        axes.top = axes
            .top
            .max(u32::try_from(rows * ANNOTATION_ROW + ANNOTATION_GAP).unwrap_or(CHART_MARGIN));
    }

    let mut chart = build_chart(area, &axes)?;
    draw_mesh(&mut chart, &axes)?;
    let (frame_x, frame_y) = chart.plotting_area().get_pixel_range();
    let (base_x, base_y) = area.get_base_pixel();

    let centred = style.pos(Pos::new(HPos::Center, VPos::Bottom));
    for ((_, text), &(centre, row)) in above.iter().zip(&placed) {
        let row = i32::try_from(row).unwrap_or(0);
        let y = frame_y.start - ANNOTATION_GAP / 2 - row * ANNOTATION_ROW;
        area.draw_text(text, &centred, (centre - base_x, y - base_y))
            .map_err(|e| e.to_string())?;
    }

    let ys: Vec<i32> = beside
        .iter()
        .map(|(y, _)| chart.backend_coord(&(axes.x_range.1, *y)).1)
        .collect();
    let ys = spread(&ys, ANNOTATION_ROW, (frame_y.start, frame_y.end));
    let left = style.pos(Pos::new(HPos::Left, VPos::Center));
    for ((_, text), y) in beside.iter().zip(ys) {
        area.draw_text(
            text,
            &left,
            (frame_x.end + ANNOTATION_GAP - base_x, y - base_y),
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(chart)
}

/// Assigns labels, given as (centre, width) in pixels, to rows so that labels
/// in one row do not overlap; row 0 is nearest the frame. Centres are moved
/// inwards so that every label lies within `bounds`. Returns the (possibly
/// moved) centre and the row of each label, in input order.
pub(super) fn stack_rows(boxes: &[(i32, i32)], (left, right): (i32, i32)) -> Vec<(i32, usize)> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by_key(|&i| boxes[i].0);
    let mut row_ends: Vec<i32> = Vec::new();
    let mut placed = vec![(0, 0); boxes.len()];
    for i in order {
        let (centre, width) = boxes[i];
        let half = width / 2;
        let centre = centre.min(right - half - 2).max(left + half + 2);
        let start = centre - half;
        let row = match row_ends
            .iter()
            .position(|&end| end + ANNOTATION_GAP <= start)
        {
            Some(row) => row,
            None if row_ends.len() < MAX_ANNOTATION_ROWS => {
                row_ends.push(i32::MIN);
                row_ends.len() - 1
            }
            // Out of rows: share the one that ends first.
            None => row_ends
                .iter()
                .enumerate()
                .min_by_key(|&(_, &end)| end)
                .map_or(0, |(row, _)| row),
        };
        row_ends[row] = centre + width - half;
        placed[i] = (centre, row);
    }
    placed
}

/// Moves positions apart so that consecutive ones are at least `gap` apart,
/// staying within `bounds` where there is room, and keeping input order of
/// the values (each output corresponds to the input at the same index).
pub(super) fn spread(positions: &[i32], gap: i32, (lo, hi): (i32, i32)) -> Vec<i32> {
    let mut order: Vec<usize> = (0..positions.len()).collect();
    order.sort_by_key(|&i| positions[i]);
    let mut sorted: Vec<i32> = order
        .iter()
        .map(|&i| positions[i].clamp(lo + gap / 2, (hi - gap / 2).max(lo + gap / 2)))
        .collect();
    for i in 1..sorted.len() {
        sorted[i] = sorted[i].max(sorted[i - 1] + gap);
    }
    // Push back up from the bottom if the last ones ran past it.
    if let Some(last) = sorted.last_mut() {
        *last = (*last).min((hi - gap / 2).max(lo));
    }
    for i in (0..sorted.len().saturating_sub(1)).rev() {
        sorted[i] = sorted[i].min(sorted[i + 1] - gap);
    }
    let mut out = vec![0; positions.len()];
    for (rank, i) in order.into_iter().enumerate() {
        out[i] = sorted[rank];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_kept_apart() {
        // Two labels 40 px apart, each 100 px wide, need two rows; a third far
        // away goes back to the first row; one at the edge is moved inside.
        let placed = stack_rows(&[(300, 100), (340, 100), (700, 100), (5, 100)], (0, 1000));
        assert_eq!(placed[0].1, 0);
        assert_eq!(placed[1].1, 1);
        assert_eq!(placed[2].1, 0);
        assert_eq!(placed[3], (52, 0));
        assert!(placed[0].0 == 300 && placed[1].0 == 340);

        let ys = spread(&[100, 105, 500, 98], 20, (0, 1000));
        let mut sorted = ys.clone();
        sorted.sort_unstable();
        assert!(sorted.windows(2).all(|w| w[1] - w[0] >= 20), "{ys:?}");
        assert_eq!(ys[2], 500);
        // Crowded at the bottom: pushed back up, still inside.
        let ys = spread(&[995, 996, 997], 20, (0, 1000));
        assert!(ys.iter().all(|y| *y <= 990), "{ys:?}");
    }
}
