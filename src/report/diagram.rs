//! The state-transition diagram: a layered (Sugiyama) layout by the layout-rs crate, the
//! states first reached from the initial states on top, an arrow for every transition some
//! strategy has (staying put is left out), each numbered, with a compact table of the
//! numbered transitions beside it. layout-rs places the boxes and routes the arrows; its
//! drawing calls are collected here as coordinates (text), and the template draws the SVG
//! in the report's own style.

use std::collections::VecDeque;

use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::shapes::{Arrow as LayoutArrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;
use serde::Serialize;

use crate::model::Model;

/// Font size of the labels, in pixels.
const FONT_SIZE: usize = 13;
/// Width of an average character and height of a line of the labels, in pixels (DejaVu
/// Sans at 13 px; layout-rs itself reckons a full font size per character).
const CHAR_WIDTH: f64 = 7.6;
const LINE_HEIGHT: f64 = 16.0;
/// Padding inside a state's box.
const PADDING: f64 = 10.0;
/// Labels longer than this are broken into two lines.
const MAX_LINE: usize = 18;
/// Font size that sizes the small boxes layout-rs makes for the transition numbers.
const NUMBER_SIZE: usize = 13;
/// Margin around the drawing.
const MARGIN: f64 = 10.0;

/// Everything the diagram template needs, coordinates to one decimal.
#[derive(Clone, Debug, Serialize)]
pub struct Diagram {
    /// The SVG `viewBox`: `min-x min-y width height`.
    pub view_box: String,
    pub width: String,
    pub height: String,
    pub boxes: Vec<StateBox>,
    pub arrows: Vec<Arrow>,
    /// The numbered transitions, in the order of their numbers.
    pub transitions: Vec<TransitionRow>,
    /// Every strategy has every transition (the table then leaves out the strategies).
    pub all_shared: bool,
    /// Why layout-rs could not lay the graph out (its panic message); the report then
    /// shows only the table of transitions.
    pub failure: Option<String>,
}

/// A state's box (top-left corner and size) and its centred label, broken into at most
/// two lines.
#[derive(Clone, Debug, Serialize)]
pub struct StateBox {
    pub id: String,
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub label: String,
    pub lines: Vec<LabelLine>,
    pub absorbing: bool,
}

/// One line of a state's label, centred at `x` with its baseline at `y`.
#[derive(Clone, Debug, Serialize)]
pub struct LabelLine {
    pub text: String,
    pub x: String,
    pub y: String,
}

/// A transition's arrow: an SVG path (cubic Bézier pieces through the layout's routing
/// points), where its head is, and its number's position.
#[derive(Clone, Debug, Serialize)]
pub struct Arrow {
    pub number: usize,
    pub from: String,
    pub to: String,
    pub path: String,
    /// The layout drew the edge reversed (a back edge): the head is at the path's start.
    pub head_at_start: bool,
    pub label_x: String,
    pub label_y: String,
}

/// One row of the transition table beside the diagram.
#[derive(Clone, Debug, Serialize)]
pub struct TransitionRow {
    pub number: usize,
    pub from: String,
    pub to: String,
    /// The strategies that have this transition, by label, or "all strategies".
    pub strategies: String,
}

/// The diagram of `model`'s states and transitions. A layout failure (the crate panics on
/// a broken invariant) leaves the diagram empty rather than stopping the report, with the
/// panic's message in `failure` (not printed: see `quiet`); the transition table is kept.
pub fn layout(model: &Model) -> Diagram {
    let order = reach_order(model);
    let edges = edges(model, &order);
    let all_shared = edges
        .iter()
        .all(|e| e.strategies.len() == model.strategies.len());
    let transitions = edges
        .iter()
        .enumerate()
        .map(|(k, e)| TransitionRow {
            number: k + 1,
            from: model.states[e.from].label.clone(),
            to: model.states[e.to].label.clone(),
            strategies: if e.strategies.len() == model.strategies.len() {
                "all strategies".into()
            } else {
                e.strategies
                    .iter()
                    .map(|s| model.strategies[*s].label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
        .collect();
    let drawn = super::quiet::catch_quietly(|| draw(model, &order, &edges));
    let failure = drawn.as_ref().err().cloned();
    let (boxes, arrows, bounds) = drawn.unwrap_or_default();
    let (x0, y0, x1, y1) = bounds.unwrap_or((0.0, 0.0, 0.0, 0.0));
    let (w, h) = (x1 - x0 + 2.0 * MARGIN, y1 - y0 + 2.0 * MARGIN);
    Diagram {
        view_box: format!("{:.1} {:.1} {w:.1} {h:.1}", x0 - MARGIN, y0 - MARGIN),
        width: format!("{w:.1}"),
        height: format!("{h:.1}"),
        boxes,
        arrows,
        transitions,
        all_shared,
        failure,
    }
}

/// States in the order they are first reached from the strategies' initial states
/// (breadth first, transitions in the scenario's order); unreachable states follow in
/// the scenario's order.
fn reach_order(model: &Model) -> Vec<usize> {
    let n = model.states.len();
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut queue: VecDeque<usize> = VecDeque::new();
    for st in &model.strategies {
        for (s, _) in &st.initial {
            if !seen[s.0] {
                seen[s.0] = true;
                queue.push_back(s.0);
            }
        }
    }
    loop {
        while let Some(s) = queue.pop_front() {
            order.push(s);
            for st in &model.strategies {
                for t in &st.rows[s] {
                    if !seen[t.to.0] {
                        seen[t.to.0] = true;
                        queue.push_back(t.to.0);
                    }
                }
            }
        }
        match (0..n).find(|s| !seen[*s]) {
            Some(s) => {
                seen[s] = true;
                queue.push_back(s);
            }
            None => return order,
        }
    }
}

/// A transition between two distinct states and the strategies that have it.
#[derive(Clone, Debug)]
struct Edge {
    from: usize,
    to: usize,
    strategies: Vec<usize>,
}

/// Every (from, to) pair of distinct states some strategy moves between, ordered by the
/// rank of `from` and then of `to` in `order`: the layout keeps the first direction it
/// sees between two states, so the earlier states end up on top.
fn edges(model: &Model, order: &[usize]) -> Vec<Edge> {
    let mut rank = vec![0; model.states.len()];
    for (r, s) in order.iter().enumerate() {
        rank[*s] = r;
    }
    let mut edges: Vec<Edge> = Vec::new();
    for (k, st) in model.strategies.iter().enumerate() {
        for (from, row) in st.rows.iter().enumerate() {
            for t in row.iter().filter(|t| t.to.0 != from) {
                match edges.iter_mut().find(|e| (e.from, e.to) == (from, t.to.0)) {
                    Some(e) if !e.strategies.contains(&k) => e.strategies.push(k),
                    Some(_) => {}
                    None => edges.push(Edge {
                        from,
                        to: t.to.0,
                        strategies: vec![k],
                    }),
                }
            }
        }
    }
    edges.sort_by_key(|e| (rank[e.from], rank[e.to]));
    edges
}

/// Boxes, arrows and the bounding box `(x0, y0, x1, y1)` of everything drawn.
type Drawn = (Vec<StateBox>, Vec<Arrow>, Option<(f64, f64, f64, f64)>);

/// Lay the graph out with layout-rs and collect what it draws.
fn draw(model: &Model, order: &[usize], edges: &[Edge]) -> Drawn {
    let mut graph = VisualGraph::new(Orientation::TopToBottom);
    let look = |size| StyleAttr::new(Color::fast("black"), 1, None, 8, size);
    let mut handles = vec![None; model.states.len()];
    for &s in order {
        let lines = wrap(&model.states[s].label);
        let chars = lines.iter().map(|l| l.chars().count()).max().unwrap_or(1);
        let size = Point::new(
            chars as f64 * CHAR_WIDTH + 2.0 * PADDING,
            lines.len() as f64 * LINE_HEIGHT + PADDING,
        );
        let elem = Element::create_with_properties(
            ShapeKind::new_box(&lines.join("\n")),
            look(FONT_SIZE),
            Orientation::TopToBottom,
            size,
            format!("state {s}"),
        );
        handles[s] = Some(graph.add_node(elem));
    }
    for (k, e) in edges.iter().enumerate() {
        let (Some(a), Some(b)) = (handles[e.from], handles[e.to]) else {
            continue;
        };
        let arrow = LayoutArrow::with_properties(
            LineEndKind::None,
            LineEndKind::Arrow,
            LineStyleKind::Normal,
            &(k + 1).to_string(),
            &look(NUMBER_SIZE),
            format!("edge {k}"),
            &None,
            &None,
        );
        graph.add_edge(arrow, a, b);
    }
    let mut c = Collector::default();
    graph.do_it(false, false, false, &mut c);
    let boxes = c
        .rects
        .iter()
        .map(|(xy, size, s)| {
            let st = &model.states[*s];
            let lines = wrap(&st.label);
            let (cx, cy) = (xy.x + size.x / 2.0, xy.y + size.y / 2.0);
            let first = cy - (lines.len() - 1) as f64 * LINE_HEIGHT / 2.0;
            StateBox {
                id: st.name.clone(),
                x: f1(xy.x),
                y: f1(xy.y),
                width: f1(size.x),
                height: f1(size.y),
                label: st.label.clone(),
                lines: lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| LabelLine {
                        text: l.clone(),
                        x: f1(cx),
                        y: f1(first + i as f64 * LINE_HEIGHT + FONT_SIZE as f64 * 0.35),
                    })
                    .collect(),
                absorbing: st.absorbing,
            }
        })
        .collect();
    let arrows = c
        .arrows
        .iter()
        .filter_map(|(path, head_at_start, k)| {
            let e = edges.get(*k)?;
            let number = (k + 1).to_string();
            let label = c.texts.iter().find(|(_, t)| *t == number).map(|(p, _)| *p);
            let (lx, ly) = label.map_or((path[0].0.x, path[0].0.y), |p| (p.x, p.y));
            Some(Arrow {
                number: k + 1,
                from: model.states[e.from].name.clone(),
                to: model.states[e.to].name.clone(),
                path: svg_path(path),
                head_at_start: *head_at_start,
                label_x: f1(lx),
                label_y: f1(ly + FONT_SIZE as f64 * 0.35),
            })
        })
        .collect();
    (boxes, arrows, c.bounds)
}

/// A label in one line, or in two broken at the space nearest its middle when it is long.
fn wrap(label: &str) -> Vec<String> {
    let n = label.chars().count();
    if n <= MAX_LINE {
        return vec![label.to_string()];
    }
    let middle = label.len() / 2;
    let split = label
        .match_indices(' ')
        .map(|(i, _)| i)
        .min_by_key(|i| i.abs_diff(middle));
    match split {
        Some(i) => vec![label[..i].to_string(), label[i + 1..].to_string()],
        None => vec![label.to_string()],
    }
}

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

/// The SVG path of a layout-rs arrow: the first pair is the start point and its exit
/// control point, each further pair a control point and the point it enters (layout-rs's
/// own SVG backend draws them the same way: `M`, one `C`, then `S`).
fn svg_path(path: &[(Point, Point)]) -> String {
    let p = |q: Point| format!("{:.1} {:.1}", q.x, q.y);
    let mut d = String::new();
    if let [first, second, rest @ ..] = path {
        d = format!(
            "M {} C {}, {}, {}",
            p(first.0),
            p(first.1),
            p(second.0),
            p(second.1)
        );
        for q in rest {
            d.push_str(&format!(" S {}, {}", p(q.0), p(q.1)));
        }
    }
    d
}

/// The routing points of an arrow as layout-rs gives them.
type Route = Vec<(Point, Point)>;

/// A layout-rs render backend that records the states' boxes, the arrows (by the
/// properties given to them) and the labels, instead of writing SVG.
#[derive(Default)]
struct Collector {
    /// Top-left corner, size and state index.
    rects: Vec<(Point, Point, usize)>,
    /// Routing points, whether the head is at the start, and the edge index.
    arrows: Vec<(Route, bool, usize)>,
    /// Centre and text of every label.
    texts: Vec<(Point, String)>,
    bounds: Option<(f64, f64, f64, f64)>,
}

impl Collector {
    fn grow(&mut self, a: Point, b: Point) {
        let (x0, y0, x1, y1) = self.bounds.unwrap_or((a.x, a.y, a.x, a.y));
        self.bounds = Some((
            x0.min(a.x).min(b.x),
            y0.min(a.y).min(b.y),
            x1.max(a.x).max(b.x),
            y1.max(a.y).max(b.y),
        ));
    }

    /// The index after `prefix` in a property string such as "state 3".
    fn index(properties: Option<String>, prefix: &str) -> Option<usize> {
        properties?.strip_prefix(prefix)?.trim().parse().ok()
    }
}

impl RenderBackend for Collector {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        _look: &StyleAttr,
        properties: Option<String>,
        _clip: Option<ClipHandle>,
    ) {
        if let Some(s) = Self::index(properties, "state") {
            self.grow(xy, Point::new(xy.x + size.x, xy.y + size.y));
            self.rects.push((xy, size, s));
        }
    }

    fn draw_line(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_circle(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_text(&mut self, xy: Point, text: &str, _look: &StyleAttr) {
        self.texts.push((xy, text.to_string()));
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _dashed: bool,
        head: (bool, bool),
        _look: &StyleAttr,
        properties: Option<String>,
        _text: &str,
    ) {
        for (a, b) in path {
            self.grow(*a, *b);
        }
        if let Some(k) = Self::index(properties, "edge") {
            self.arrows.push((path.to_vec(), head.0 && !head.1, k));
        }
    }

    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0
    }
}

/// A diagram with every field filled, for the template tests.
#[cfg(test)]
pub fn sample() -> Diagram {
    let text = |s: &str| s.to_string();
    Diagram {
        view_box: text("0 0 300 200"),
        width: text("300"),
        height: text("200"),
        boxes: [true, false]
            .map(|absorbing| StateBox {
                id: text("dead"),
                x: text("1.0"),
                y: text("2.0"),
                width: text("80.0"),
                height: text("30.0"),
                label: text("Dead"),
                lines: vec![LabelLine {
                    text: text("Dead"),
                    x: text("3.0"),
                    y: text("4.0"),
                }],
                absorbing,
            })
            .into(),
        arrows: [true, false]
            .map(|head_at_start| Arrow {
                number: 1,
                from: text("well"),
                to: text("dead"),
                path: text("M 1.0 2.0 C 3.0 4.0, 5.0 6.0, 7.0 8.0"),
                head_at_start,
                label_x: text("4.0"),
                label_y: text("5.0"),
            })
            .into(),
        transitions: vec![TransitionRow {
            number: 1,
            from: text("Well"),
            to: text("Dead"),
            strategies: text("all strategies"),
        }],
        all_shared: false,
        failure: None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn flagship() -> Model {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/eko-vs-ect.yaml");
        crate::scenario::load(&path).expect("the flagship is valid")
    }

    /// The value of attribute `name` in the tag `tag`.
    fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
        let start = tag.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
        &tag[start..start + tag[start..].find('"').expect("a closing quote")]
    }

    /// The diagram as the report shows it: the template's SVG.
    fn svg(d: &Diagram) -> String {
        let env = super::super::render::environment().unwrap();
        let html = env
            .get_template("state_diagram.html")
            .unwrap()
            .render(minijinja::context! { structure => minijinja::context! { diagram => minijinja::Value::from(minijinja::value::Serde(d)) } })
            .unwrap();
        html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()].to_string()
    }

    #[test]
    fn the_flagship_diagram_has_every_state_and_transition_with_the_acute_phase_on_top() {
        let model = flagship();
        let svg = svg(&layout(&model));
        // The same model gives the same drawing (the report's bytes depend on it).
        assert_eq!(svg, super::tests::svg(&layout(&model)));
        // One box per state, with its label (in at most two lines) and its top edge.
        let mut top = std::collections::BTreeMap::new();
        for group in svg.split("<g class=\"state\"").skip(1) {
            let id = attr(group, "data-state").to_string();
            let rect = &group[group.find("<rect").unwrap()..];
            let y: f64 = attr(rect, "y").parse().unwrap();
            let label: Vec<&str> = group
                .split("<tspan")
                .skip(1)
                .map(|t| &t[t.find('>').unwrap() + 1..t.find("</tspan>").unwrap()])
                .collect();
            let state = model.states.iter().find(|s| s.name == id).unwrap();
            assert_eq!(label.join(" "), state.label, "{id}");
            assert!(top.insert(id, y).is_none(), "one box per state");
        }
        assert_eq!(top.len(), model.states.len());
        assert_eq!(model.states.len(), 11);

        // One path per allowed transition between two distinct states, in any strategy.
        let mut allowed = BTreeSet::new();
        for st in &model.strategies {
            for (from, row) in st.rows.iter().enumerate() {
                for t in row.iter().filter(|t| t.to.0 != from) {
                    allowed.insert((
                        model.states[from].name.clone(),
                        model.states[t.to.0].name.clone(),
                    ));
                }
            }
        }
        let drawn: Vec<(String, String)> = svg
            .split("<path class=\"transition\"")
            .skip(1)
            .map(|p| {
                (
                    attr(p, "data-from").to_string(),
                    attr(p, "data-to").to_string(),
                )
            })
            .collect();
        assert_eq!(drawn.len(), allowed.len(), "{drawn:?}");
        assert_eq!(drawn.into_iter().collect::<BTreeSet<_>>(), allowed);
        // ... each numbered, 1 to n.
        let numbers = svg.matches("class=\"transition-number\"").count();
        assert_eq!(numbers, allowed.len());

        // The acute phase (first course, then the second course) above every later state,
        // and death at the bottom.
        let (acute, rescue) = (top["acute"], top["rescue"]);
        for (id, y) in &top {
            if id != "acute" {
                assert!(acute < *y, "acute at {acute}, {id} at {y}");
            }
            if id != "acute" && id != "rescue" {
                assert!(rescue < *y, "rescue at {rescue}, {id} at {y}");
            }
            if id != "dead" {
                assert!(*y < top["dead"], "{id} at {y}, dead at {}", top["dead"]);
            }
        }
    }

    /// layout-rs panics on some inputs (the diagram is then left empty): every shipped
    /// scenario must be drawn whole.
    #[test]
    fn every_shipped_scenario_is_drawn_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = vec![root.join("scenarios/eko-vs-ect-5y.yaml")];
        for entry in std::fs::read_dir(root.join("scenarios/examples")).unwrap() {
            paths.push(entry.unwrap().path());
        }
        for entry in std::fs::read_dir(root.join("scenarios/analyses")).unwrap() {
            paths.push(entry.unwrap().path());
        }
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        {
            let model = crate::scenario::load(path).unwrap();
            let d = layout(&model);
            assert_eq!(d.failure, None, "{}", path.display());
            assert_eq!(d.boxes.len(), model.states.len(), "{}", path.display());
            assert_eq!(d.arrows.len(), d.transitions.len(), "{}", path.display());
            assert!(!d.arrows.is_empty(), "{}", path.display());
        }
    }

    /// A graph on which layout-rs panics: the diagram is left empty with the panic's
    /// message, and the transitions are still numbered.
    #[test]
    fn a_layout_panic_leaves_the_table_and_its_message() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/layout-panic.yaml");
        let model = crate::scenario::load(&path).unwrap();
        let d = layout(&model);
        let failure = d.failure.expect("layout-rs 0.1.3 panics on this graph");
        assert!(failure.starts_with("assertion failed"), "{failure}");
        assert!(d.boxes.is_empty() && d.arrows.is_empty());
        assert_eq!(d.transitions.len(), 10);
        assert!(layout(&flagship()).failure.is_none());
    }

    #[test]
    fn long_labels_break_at_the_space_nearest_the_middle() {
        assert_eq!(wrap("Dead"), ["Dead"]);
        assert_eq!(
            wrap("Remission after the first course"),
            ["Remission after", "the first course"]
        );
        assert_eq!(
            wrap("Averyveryverylongwordwithoutspaces"),
            ["Averyveryverylongwordwithoutspaces"]
        );
    }

    #[test]
    fn states_are_ordered_by_when_they_are_first_reached() {
        let model = flagship();
        let order: Vec<&str> = reach_order(&model)
            .iter()
            .map(|s| model.states[*s].name.as_str())
            .collect();
        assert_eq!(order[0], "acute");
        assert_eq!(order.len(), 11);
        let set: BTreeSet<&str> = order.iter().copied().collect();
        assert_eq!(set.len(), 11);
    }
}
