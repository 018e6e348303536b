//! The layout of the state-transition diagram: the states on an ellipse, with an arrow for
//! every transition any strategy has (staying put is left out), so the structure is drawn
//! from the scenario itself. Coordinates are given as text; the template draws the SVG.

use serde::Serialize;

use crate::model::Model;

/// Width and height of the drawing.
const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 560.0;
/// Vertical radius of the ellipse the states sit on (the horizontal one is 1.6 times it).
const RADIUS: f64 = 210.0;
/// Size of a state's box.
const BOX_WIDTH: f64 = 220.0;
const BOX_HEIGHT: f64 = 44.0;

/// Everything the diagram template needs, coordinates to one decimal.
#[derive(Clone, Debug, Serialize)]
pub struct Diagram {
    pub width: String,
    pub height: String,
    pub box_width: String,
    pub box_height: String,
    pub arrows: Vec<Arrow>,
    pub boxes: Vec<StateBox>,
}

/// An arrow from one box's edge to another's.
#[derive(Clone, Debug, Serialize)]
pub struct Arrow {
    pub x1: String,
    pub y1: String,
    pub x2: String,
    pub y2: String,
}

/// A state's box (top-left corner) and its centred label.
#[derive(Clone, Debug, Serialize)]
pub struct StateBox {
    pub x: String,
    pub y: String,
    pub text_x: String,
    pub text_y: String,
    pub label: String,
    pub absorbing: bool,
}

/// The diagram of `model`'s states and transitions.
pub fn layout(model: &Model) -> Diagram {
    let pos = positions(model.states.len());
    let edges = edges(model);
    let arrows = edges
        .iter()
        .map(|&(a, b)| arrow(pos[a], pos[b], edges.contains(&(b, a))))
        .collect();
    let boxes = model
        .states
        .iter()
        .zip(&pos)
        .map(|(st, &(x, y))| StateBox {
            x: format!("{:.1}", x - BOX_WIDTH / 2.0),
            y: format!("{:.1}", y - BOX_HEIGHT / 2.0),
            text_x: format!("{x:.1}"),
            text_y: format!("{:.1}", y + 4.5),
            label: st.label.clone(),
            absorbing: st.absorbing,
        })
        .collect();
    Diagram {
        width: WIDTH.to_string(),
        height: HEIGHT.to_string(),
        box_width: BOX_WIDTH.to_string(),
        box_height: BOX_HEIGHT.to_string(),
        arrows,
        boxes,
    }
}

/// Centres of `n` states on the ellipse, the first at the top, clockwise.
fn positions(n: usize) -> Vec<(f64, f64)> {
    let (cx, cy) = (WIDTH / 2.0, HEIGHT / 2.0);
    (0..n)
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2 + 2.0 * std::f64::consts::PI * i as f64 / n as f64;
            (cx + RADIUS * 1.6 * a.cos(), cy + RADIUS * a.sin())
        })
        .collect()
}

/// Every (from, to) pair of distinct states some strategy moves between, in order of
/// first appearance.
fn edges(model: &Model) -> Vec<(usize, usize)> {
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
    edges
}

/// The arrow between two box centres, cut at the box edges; when the opposite arrow exists
/// too, both are shifted sideways so both show.
fn arrow((x1, y1): (f64, f64), (x2, y2): (f64, f64), both_ways: bool) -> Arrow {
    let (dx, dy) = (x2 - x1, y2 - y1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    // Stop at the box edge: scale so the segment leaves and enters the boxes.
    let s = ((BOX_WIDTH / 2.0) / ux.abs().max(1e-9)).min((BOX_HEIGHT / 2.0) / uy.abs().max(1e-9));
    let (ox, oy) = if both_ways {
        (-uy * 6.0, ux * 6.0)
    } else {
        (0.0, 0.0)
    };
    Arrow {
        x1: format!("{:.1}", x1 + ux * s + ox),
        y1: format!("{:.1}", y1 + uy * s + oy),
        x2: format!("{:.1}", x2 - ux * s + ox),
        y2: format!("{:.1}", y2 - uy * s + oy),
    }
}
