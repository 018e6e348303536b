//! The shape of the source tree (README, Architecture): no file over 800 lines, no function
//! over 120 lines without a stated reason, no `unwrap()` outside tests, and no cycle between
//! the top-level modules, with the lower stages never importing the higher ones.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::root;

/// Every Rust source file under `src/`, with its text.
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file is UTF-8");
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("src"), &mut out);
    out.sort();
    out
}

/// Whether a file holds only tests (a `tests.rs`, a file under `tests/`, or test support).
fn test_file(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "tests")
        || path
            .file_name()
            .is_some_and(|n| n == "tests.rs" || n == "test_support.rs")
}

/// The lines of a file before its first top-level `#[cfg(test)]`.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| !l.starts_with("#[cfg(test)]"))
}

#[test]
fn no_source_file_is_over_800_lines() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|(_, t)| t.lines().count() > 800)
        .map(|(p, t)| format!("{}: {} lines", p.display(), t.lines().count()))
        .collect();
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn no_unwrap_outside_tests() {
    let mut found = Vec::new();
    for (path, text) in sources().iter().filter(|(p, _)| !test_file(p)) {
        for (i, line) in code_lines(text) {
            if line.contains(".unwrap()") && !line.trim_start().starts_with("//") {
                found.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// Functions longer than `max` lines that are not preceded by a comment saying why.
fn long_functions(text: &str, max: usize) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn "]
            .iter()
            .any(|p| t.starts_with(p));
        if !is_fn {
            continue;
        }
        // Find the body's closing brace by counting braces outside strings and comments.
        let (mut depth, mut opened, mut end) = (0i64, false, None);
        for (j, l) in lines.iter().enumerate().skip(i) {
            let code = l.split("//").next().unwrap_or_default();
            let mut in_str = false;
            let mut prev = ' ';
            for c in code.chars() {
                match c {
                    '"' if prev != '\\' => in_str = !in_str,
                    '{' if !in_str => {
                        depth += 1;
                        opened = true;
                    }
                    '}' if !in_str => depth -= 1,
                    ';' if !in_str && !opened => break,
                    _ => {}
                }
                prev = c;
            }
            if !opened && code.trim_end().ends_with(';') {
                break;
            }
            if opened && depth == 0 {
                end = Some(j);
                break;
            }
        }
        let Some(end) = end else { continue };
        let len = end - i + 1;
        let reasoned = lines[..i]
            .iter()
            .rev()
            .take_while(|l| {
                let l = l.trim_start();
                l.starts_with("//") || l.starts_with("#[")
            })
            .any(|l| l.contains("Longer than 120 lines"));
        if len > max && !reasoned {
            out.push((i + 1, len));
        }
    }
    out
}

#[test]
fn no_function_over_120_lines_without_a_stated_reason() {
    let mut found = Vec::new();
    for (path, text) in sources().iter().filter(|(p, _)| !test_file(p)) {
        let code: String = code_lines(text).map(|(_, l)| format!("{l}\n")).collect();
        for (line, len) in long_functions(&code, 120) {
            found.push(format!("{}:{line}: {len} lines", path.display()));
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_long_function_check_finds_a_long_function() {
    let body: String = (0..130).map(|i| format!("    let x{i} = {i};\n")).collect();
    let text = format!("fn long() {{\n{body}}}\n\nfn short() {{\n}}\n");
    assert_eq!(long_functions(&text, 120), vec![(1, 132)]);
    let reasoned = format!("// Longer than 120 lines by design.\n{text}");
    assert!(long_functions(&reasoned, 120).is_empty());
}

/// The top-level module of a source file (`engine` for `src/engine/simulate.rs`).
fn top_module(path: &Path) -> String {
    let rel = path.strip_prefix(root().join("src")).expect("under src/");
    let first = rel.components().next().expect("a path under src/");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

/// `module → modules it names` through `crate::name` paths in production code (a unit test
/// may load a scenario to build its fixture; that is not a dependency of the stage).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources() {
        let from = top_module(&path);
        if from == "lib" || from == "main" || test_file(&path) {
            continue;
        }
        let deps = graph.entry(from.clone()).or_default();
        let code: String = code_lines(&text).map(|(_, l)| format!("{l}\n")).collect();
        let mut rest = code.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(names) = rest.strip_prefix('{') {
                let inner = names.split('}').next().unwrap_or_default();
                for name in inner.split(',') {
                    let name = name.trim().split("::").next().unwrap_or_default();
                    if !name.is_empty() && name != "self" && name != from {
                        deps.insert(name.to_string());
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != from {
                    deps.insert(name);
                }
            }
        }
    }
    graph
}

#[test]
fn the_modules_form_no_cycle_and_lower_stages_never_import_higher_ones() {
    let graph = module_graph();
    // Stages in pipeline order; a module may import only modules of its own or a lower rank.
    let rank = |m: &str| match m {
        "suggest" | "rng" | "dist" => 0,
        "expr" => 1,
        "model" => 2,
        "params" => 3,
        "scenario" => 4,
        "engine" => 4,
        "cohort" => 5,
        "econ" => 5,
        "analysis" => 6,
        "plot" => 6,
        "output" => 7,
        "report" => 8,
        "cli" => 9,
        other => panic!("module `{other}` has no place in the pipeline; add it to this test"),
    };
    let mut upward = Vec::new();
    for (from, deps) in &graph {
        for to in deps {
            if rank(to) > rank(from) || (rank(to) == rank(from) && to != from) {
                upward.push(format!("{from} imports {to}"));
            }
        }
    }
    assert!(upward.is_empty(), "{upward:#?}\n{graph:#?}");
    // Spot checks that the graph is read at all.
    assert!(graph["engine"].contains("model"));
    assert!(graph["cli"].contains("analysis"));
}
