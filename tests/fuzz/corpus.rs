//! The seed corpus: every scenario (and every CSV table) under `scenarios/`, `tests/` and
//! `benches/data/`, each with the files it reads (its `extends:` chain and its tables), so
//! that a case written into a temporary directory resolves its relative paths.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::common::root;

/// The folders seeds come from, relative to the repository root.
const FOLDERS: &[&str] = &["scenarios", "tests", "benches/data"];

/// One file of a case, at its path relative to the repository root.
#[derive(Clone, Debug)]
pub struct CaseFile {
    pub rel: PathBuf,
    pub bytes: Vec<u8>,
}

impl CaseFile {
    pub fn is_csv(&self) -> bool {
        self.rel.extension().is_some_and(|e| e == "csv")
    }

    /// This file's path relative to the directory of `from` (as a scenario would name it).
    pub fn rel_from(&self, from: &Path) -> String {
        let base: Vec<Component> = from.parent().map_or(vec![], |p| p.components().collect());
        let to: Vec<Component> = self.rel.components().collect();
        let common = base.iter().zip(&to).take_while(|(a, b)| a == b).count();
        let mut out = PathBuf::new();
        for _ in common..base.len() {
            out.push("..");
        }
        for c in &to[common..] {
            out.push(c);
        }
        out.display().to_string()
    }
}

/// A scenario to load (the first file) and every file it reads.
#[derive(Clone, Debug)]
pub struct Case {
    pub files: Vec<CaseFile>,
}

impl Case {
    /// The scenario the case loads.
    pub fn scenario(&self) -> &Path {
        &self.files[0].rel
    }

    /// Write every file under `dir`, at its path relative to the repository root.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        for f in &self.files {
            let p = dir.join(&f.rel);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&p, &f.bytes)?;
        }
        Ok(())
    }
}

/// Every seed, and the bytes of every CSV table (what `ReplaceTable` swaps in).
pub struct Corpus {
    pub seeds: Vec<Case>,
    pub tables: Vec<Vec<u8>>,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "csv")
        {
            out.push(p);
        }
    }
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Paths a scenario file reads: the value of `extends:` and of every `file:` key.
fn references(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim_start().trim_start_matches("- ");
            t.strip_prefix("extends:")
                .or_else(|| t.strip_prefix("file:"))
                .map(|v| {
                    v.split(" #")
                        .next()
                        .unwrap_or("")
                        .trim()
                        .trim_matches('"')
                        .to_string()
                })
        })
        .filter(|v| !v.is_empty())
        .collect()
}

/// Load the corpus from the repository.
pub fn load() -> Corpus {
    let root = root();
    let mut paths = Vec::new();
    for f in FOLDERS {
        walk(&root.join(f), &mut paths);
    }
    let files: BTreeMap<PathBuf, Vec<u8>> = paths
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).expect("under the root").to_path_buf();
            (rel, fs::read(p).expect("a readable corpus file"))
        })
        .collect();
    let seeds = files
        .keys()
        .filter(|p| p.extension().is_none_or(|e| e != "csv"))
        .map(|p| closure(p, &files))
        .collect();
    let tables = files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "csv"))
        .map(|(_, b)| b.clone())
        .collect();
    Corpus { seeds, tables }
}

/// A scenario and, transitively, the files of the corpus that it reads.
fn closure(seed: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) -> Case {
    let mut out: Vec<CaseFile> = Vec::new();
    let mut todo = vec![seed.to_path_buf()];
    while let Some(p) = todo.pop() {
        if out.iter().any(|f| f.rel == p) {
            continue;
        }
        let Some(bytes) = files.get(&p) else {
            continue;
        };
        if p.extension().is_none_or(|e| e != "csv") {
            let dir = p.parent().unwrap_or(Path::new(""));
            for r in references(&String::from_utf8_lossy(bytes)) {
                todo.push(normalise(&dir.join(r)));
            }
        }
        out.push(CaseFile {
            rel: p,
            bytes: bytes.clone(),
        });
    }
    Case { files: out }
}

#[test]
fn a_seed_brings_its_base_and_its_tables() {
    let corpus = load();
    let overlay = corpus
        .seeds
        .iter()
        .find(|c| c.scenario() == Path::new("scenarios/analyses/lifetime.yaml"))
        .expect("the lifetime overlay is a seed");
    let rels: Vec<&Path> = overlay.files.iter().map(|f| f.rel.as_path()).collect();
    assert_eq!(
        rels[..2],
        [
            Path::new("scenarios/analyses/lifetime.yaml"),
            Path::new("scenarios/eko-vs-ect.yaml"),
        ]
    );
    let mut tables = rels[2..].to_vec();
    tables.sort();
    assert_eq!(
        tables,
        [
            Path::new("scenarios/data/nl_cbs37360ned_qx_by_sex_2019_closed120.csv"),
            Path::new("scenarios/data/nl_cpi_factors_to_2024.csv"),
        ]
    );
    let table = overlay
        .files
        .iter()
        .find(|f| f.rel.ends_with("nl_cpi_factors_to_2024.csv"))
        .expect("the price index table");
    assert_eq!(
        table.rel_from(Path::new("scenarios/analyses/lifetime.yaml")),
        "../data/nl_cpi_factors_to_2024.csv"
    );
    assert!(
        corpus
            .seeds
            .iter()
            .any(|c| c.scenario().starts_with("tests/invalid"))
    );
    assert!(
        corpus.tables.len() >= 6,
        "the tables of scenarios/ and tests/data/"
    );
}
