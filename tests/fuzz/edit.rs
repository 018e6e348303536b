//! Text surgery for the mutations: scanners for numbers, scalar values, words, blocks and
//! flow mappings in YAML text, and the edits of lines, flow entries, anchors and aliases,
//! merge keys, CSV cells and bytes. Each edit returns the new text, or `None` when the text
//! has nothing it applies to.

use proptest::prelude::*;
use proptest::sample::Index;

/// What happens to one line (and, for blocks, the lines indented under it).
#[derive(Clone, Copy, Debug)]
pub enum LineOp {
    Delete,
    Duplicate,
    DeleteBlock,
    DuplicateBlock,
    IndentIn,
    IndentOut,
    Tab,
    MoveUp,
}

/// A corruption of a CSV table at a row and a column.
#[derive(Clone, Copy, Debug)]
pub enum CsvOp {
    DeleteColumn,
    RenameHeader,
    DuplicateHeader,
    Ragged,
    ShortRow,
    Cell(&'static str),
    Semicolons,
    Quote,
}

/// A change to the bytes of a file.
#[derive(Clone, Copy, Debug)]
pub enum ByteOp {
    InvalidUtf8,
    Nul,
    Bom,
    Crlf,
    Truncate,
    Empty,
}

/// Byte ranges of interest in a text.
pub type Spans = Vec<(usize, usize)>;

pub fn pick<'a>(spans: &'a Spans, at: &Index) -> Option<&'a (usize, usize)> {
    if spans.is_empty() {
        None
    } else {
        Some(&spans[at.index(spans.len())])
    }
}

pub fn replace_nth(text: &str, spans: &Spans, at: &Index, with: &str) -> Option<String> {
    let (a, b) = pick(spans, at)?;
    Some(format!("{}{with}{}", &text[..*a], &text[*b..]))
}

/// Byte offset of the start of every line, and the end of the line's code (before a
/// comment that starts a line or follows a space).
pub fn code_lines(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let mut end = body.len();
        let bytes = body.as_bytes();
        for (i, c) in bytes.iter().enumerate() {
            if *c == b'#' && (i == 0 || bytes[i - 1] == b' ') {
                end = i;
                break;
            }
        }
        out.push((start, start + end));
        start += line.len();
    }
    out
}

pub fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'+')
}

/// Numbers: maximal runs of `[A-Za-z0-9_.+-]` that parse as a finite f64 and start like a
/// number (so `p_death_2` and `inf` are not numbers).
pub fn numbers(text: &str) -> Spans {
    tokens(text, is_token_byte)
        .into_iter()
        .filter(|(a, b)| {
            let t = &text[*a..*b];
            t.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'))
                && t.parse::<f64>().is_ok_and(f64::is_finite)
        })
        .collect()
}

/// Identifiers (keys, ids, parameter names, words of labels).
pub fn words(text: &str) -> Spans {
    tokens(text, |c| c.is_ascii_alphanumeric() || c == b'_')
        .into_iter()
        .filter(|(a, _)| text.as_bytes()[*a].is_ascii_alphabetic())
        .collect()
}

pub fn tokens(text: &str, in_token: impl Fn(u8) -> bool) -> Spans {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (start, end) in code_lines(text) {
        let mut i = start;
        while i < end {
            if in_token(bytes[i]) && (i == start || !in_token(bytes[i - 1])) {
                let mut j = i;
                while j < end && in_token(bytes[j]) {
                    j += 1;
                }
                out.push((i, j));
                i = j;
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Scalar values: what follows `key: ` (in block or flow style), up to the end of the
/// code, a `,`, `}` or `]` in flow style, or the closing quote.
pub fn scalars(text: &str) -> Spans {
    keyed_values(text, "")
}

/// Scalar values of keys named `key` (any key when empty).
pub fn keyed_values(text: &str, key: &str) -> Spans {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (start, end) in code_lines(text) {
        let line = &text[start..end];
        let flow = line.contains('{') || line.contains('[');
        let mut search = 0;
        while let Some(p) = line[search..].find(": ").map(|p| p + search) {
            search = p + 2;
            let a = start + p + 2;
            if a >= end || matches!(bytes[a], b'{' | b'[' | b'>' | b'|' | b' ') {
                continue;
            }
            let b = scalar_end(text, a, end, flow);
            // Skip the value, so that a `: ` inside quotes is not taken for a key.
            search = search.max(b - start);
            let key_start = line[..p]
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(0, |k| k + 1);
            if b > a && (key.is_empty() || &line[key_start..p] == key) {
                out.push((a, b));
            }
        }
    }
    out
}

pub fn scalar_end(text: &str, a: usize, end: usize, flow: bool) -> usize {
    let bytes = text.as_bytes();
    if bytes[a] == b'"' || bytes[a] == b'\'' {
        let q = bytes[a];
        return (a + 1..end).find(|i| bytes[*i] == q).map_or(end, |i| i + 1);
    }
    if flow {
        (a..end)
            .find(|i| matches!(bytes[*i], b',' | b'}' | b']'))
            .unwrap_or(end)
    } else {
        text[a..end].trim_end().len() + a
    }
}

pub fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The line at `at` and, with `block`, the following lines indented deeper than it (or
/// blank): its subtree.
pub fn block(lines: &[&str], at: usize, block: bool) -> std::ops::Range<usize> {
    let mut end = at + 1;
    if block {
        let own = indent(lines[at]) + usize::from(lines[at].trim_start().starts_with("- "));
        while end < lines.len() && (lines[end].trim().is_empty() || indent(lines[end]) > own) {
            end += 1;
        }
    }
    at..end
}

pub fn line_edit(text: &str, at: &Index, op: LineOp) -> Option<String> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.is_empty() {
        return None;
    }
    let k = at.index(lines.len());
    let owned: String;
    match op {
        LineOp::Delete | LineOp::DeleteBlock => {
            let r = block(&lines, k, matches!(op, LineOp::DeleteBlock));
            lines.drain(r);
        }
        LineOp::Duplicate | LineOp::DuplicateBlock => {
            let r = block(&lines, k, matches!(op, LineOp::DuplicateBlock));
            let copy: Vec<&str> = lines[r.clone()].to_vec();
            lines.splice(r.end..r.end, copy);
        }
        LineOp::IndentIn | LineOp::IndentOut | LineOp::Tab => {
            owned = match op {
                LineOp::IndentIn => format!("  {}", lines[k]),
                LineOp::IndentOut => lines[k].strip_prefix("  ").unwrap_or(lines[k]).to_string(),
                _ => format!("\t{}", lines[k].trim_start()),
            };
            lines[k] = &owned;
        }
        LineOp::MoveUp => {
            if k == 0 {
                return None;
            }
            lines.swap(k - 1, k);
        }
    }
    Some(lines.join("\n"))
}

/// Delete or duplicate one `key: value` entry of a flow mapping `{...}`.
pub fn flow_entry(text: &str, at: &Index, duplicate: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut entries = Vec::new();
    for (start, end) in code_lines(text) {
        let Some(open) = text[start..end].find('{').map(|p| start + p) else {
            continue;
        };
        let Some(close) = text[open..end].find('}').map(|p| open + p) else {
            continue;
        };
        let mut a = open + 1;
        for i in open + 1..=close {
            if i == close || bytes[i] == b',' {
                if text[a..i].contains(':') {
                    entries.push((a, i));
                }
                a = i + 1;
            }
        }
    }
    let (a, b) = pick(&entries, at)?;
    let entry = text[*a..*b].trim();
    Some(if duplicate {
        format!("{}, {entry}{}", &text[..*b], &text[*b..])
    } else {
        // Remove the entry and one adjacent comma.
        let (a, b) = if bytes.get(*b) == Some(&b',') {
            (*a, *b + 1)
        } else if *a > 0 && bytes[*a - 1] == b',' {
            (*a - 1, *b)
        } else {
            (*a, *b)
        };
        format!("{}{}", &text[..a], &text[b..])
    })
}

/// Anchor one scalar (`&fz value`) and replace another by its alias (`*fz`); an alias
/// before its anchor is undefined, which the loader must report.
pub fn alias_edit(text: &str, anchor: &Index, alias: &Index) -> Option<String> {
    let s = scalars(text);
    let (a, _) = *pick(&s, anchor)?;
    let (b0, b1) = *pick(&s, alias)?;
    if a == b0 {
        return None;
    }
    let mut out = text.to_string();
    // Edit the later position first so the earlier offsets stay valid.
    if a > b0 {
        out.insert_str(a, "&fz ");
        out.replace_range(b0..b1, "*fz");
    } else {
        out.replace_range(b0..b1, "*fz");
        out.insert_str(a, "&fz ");
    }
    Some(out)
}

/// Anchor one block mapping (`key: &fzm`) and merge it into another (`<<: *fzm`).
pub fn merge_edit(text: &str, from: &Index, into: &Index) -> Option<String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let blocks: Vec<usize> = (0..lines.len())
        .filter(|k| {
            let code = lines[*k].split(" #").next().unwrap_or("").trim_end();
            code.ends_with(':')
                && !code.trim_start().starts_with('#')
                && lines.get(k + 1).is_some_and(|n| {
                    indent(n) > indent(lines[*k]) && !n.trim_start().starts_with("- ")
                })
        })
        .collect();
    if blocks.is_empty() {
        return None;
    }
    let f = blocks[from.index(blocks.len())];
    let t = blocks[into.index(blocks.len())];
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[f] = format!("{} &fzm", lines[f].trim_end());
    let child = " ".repeat(indent(lines[t + 1]));
    out.insert(t + 1, format!("{child}<<: *fzm"));
    Some(out.join("\n"))
}

pub fn csv_edit(text: &str, row: &Index, col: &Index, op: CsvOp) -> Option<String> {
    let mut rows: Vec<Vec<String>> = text
        .split('\n')
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let r = row.index(rows.len());
    let width = rows[0].len().max(1);
    let c = col.index(width);
    match op {
        CsvOp::DeleteColumn => rows.iter_mut().filter(|x| x.len() > c).for_each(|x| {
            x.remove(c);
        }),
        CsvOp::RenameHeader => {
            let last = rows[0].len() - 1;
            rows[0][c.min(last)] = "xx".into();
        }
        CsvOp::DuplicateHeader => {
            let first = rows[0][0].clone();
            let last = rows[0].len() - 1;
            rows[0][c.min(last)] = first;
        }
        CsvOp::Ragged => rows[r].push("1".into()),
        CsvOp::ShortRow => {
            rows[r].pop();
        }
        CsvOp::Cell(v) => {
            let last = rows[r].len().saturating_sub(1);
            if let Some(cell) = rows[r].get_mut(c.min(last)) {
                *cell = v.to_string();
            }
        }
        CsvOp::Semicolons => {
            let joined = rows[r].join(";");
            rows[r] = vec![joined];
        }
        CsvOp::Quote => {
            let last = rows[r].len().saturating_sub(1);
            if let Some(cell) = rows[r].get_mut(c.min(last)) {
                *cell = format!("\"{cell}");
            }
        }
    }
    Some(
        rows.iter()
            .map(|x| x.join(","))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

pub fn byte_edit(bytes: &mut Vec<u8>, at: &Index, op: ByteOp) {
    let p = at.index(bytes.len() + 1);
    match op {
        ByteOp::InvalidUtf8 => {
            bytes.splice(p..p, [0xC3, 0x28]);
        }
        ByteOp::Nul => bytes.insert(p, 0),
        ByteOp::Bom => {
            bytes.splice(0..0, [0xEF, 0xBB, 0xBF]);
        }
        ByteOp::Crlf => {
            let text: Vec<u8> = bytes
                .iter()
                .flat_map(|b| {
                    if *b == b'\n' {
                        vec![b'\r', b'\n']
                    } else {
                        vec![*b]
                    }
                })
                .collect();
            *bytes = text;
        }
        ByteOp::Truncate => bytes.truncate(p),
        ByteOp::Empty => bytes.clear(),
    }
}

#[test]
fn the_scanners_find_numbers_values_and_flow_entries() {
    let t = "a: 1.5 # 7\nb: {x: p_2, y: -3e2}\n- c: \"q: 1\"\n";
    let n: Vec<&str> = numbers(t).iter().map(|(a, b)| &t[*a..*b]).collect();
    // Numbers inside quotes count: expressions are quoted strings.
    assert_eq!(n, ["1.5", "-3e2", "1"]);
    let s: Vec<&str> = scalars(t).iter().map(|(a, b)| &t[*a..*b]).collect();
    assert_eq!(s, ["1.5", "p_2", "-3e2", "\"q: 1\""]);
    let del = flow_entry(t, &first(), false).expect("a flow entry");
    assert!(del.contains("b: { y: -3e2}"), "{del}");
    let dup = flow_entry(t, &first(), true).expect("a flow entry");
    assert!(dup.contains("{x: p_2, x: p_2, y: -3e2}"), "{dup}");
}

#[test]
fn blocks_span_the_lines_indented_under_a_key() {
    let t = "a:\n  b: 1\n  c:\n    d: 2\ne: 3";
    assert_eq!(
        line_edit(t, &first(), LineOp::DeleteBlock).as_deref(),
        Some("e: 3")
    );
    let dup = line_edit(t, &first(), LineOp::DuplicateBlock).expect("a block");
    assert_eq!(dup.matches("d: 2").count(), 2);
    let merged = merge_edit(t, &first(), &first()).expect("a block mapping");
    assert!(
        merged.starts_with("a: &fzm\n  <<: *fzm\n  b: 1"),
        "{merged}"
    );
}

/// The first of anything (an `Index` that always picks position 0).
pub fn first() -> Index {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut tree = any::<Index>().new_tree(&mut runner).expect("an index");
    while tree.simplify() {}
    tree.current()
}
