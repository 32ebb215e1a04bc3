//! The invariants of ARCHITECTURE.md that the compiler does not check: every format has
//! fixtures it is detected on, every rule has its documentation and fixtures (see also
//! tests/fixtures.rs), and no source file imports one that imports it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use migproof::discover::{self, DirListing, FORMATS};

/// Every directory under `fixtures/`.
fn fixture_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.push(e.path());
            fixture_dirs(&e.path(), out);
        }
    }
}

#[test]
fn every_format_is_detected_on_a_fixture_of_its_own() {
    let mut dirs = Vec::new();
    fixture_dirs(Path::new("fixtures"), &mut dirs);
    let mut detected = BTreeSet::new();
    for dir in &dirs {
        let display = dir.to_string_lossy().into_owned();
        if let Ok(listing) = DirListing::read(dir, &display)
            && let Some((format, _)) = discover::detect(&listing)
        {
            detected.insert(format.name());
        }
    }
    for format in FORMATS {
        assert!(
            detected.contains(format.name()),
            "no fixture directory is detected as {}: add fixtures/formats/{}/",
            format.name(),
            format.name()
        );
    }
}

#[test]
fn every_rule_is_documented_and_has_fixtures() {
    for entry in migproof::checks::REGISTRY {
        let rule = entry.rule;
        let doc = rule.documentation();
        for section in ["## What it does", "## Why is this bad", "## Example", "## How to fix"] {
            assert!(doc.contains(section), "{} {} lacks `{section}`", rule.code, rule.name);
        }
        assert!(
            Path::new("fixtures").join(rule.name).is_dir(),
            "{} has no fixtures/{}/",
            rule.code,
            rule.name
        );
    }
}

/// The module path of a source file (`src/discover/goose.rs` → `["discover", "goose"]`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its line comments (doc links are not imports) and its unit tests.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file's code names through `crate::…` and `super::…` (one level of
/// `{…}` groups expanded).
fn named_paths(me: &[String], text: &str) -> Vec<Vec<String>> {
    let re = regex::Regex::new(r"\b(crate|super)((?:::\w+)*)(?:::\{([^{}]*)\})?").unwrap();
    let mut out = Vec::new();
    for c in re.captures_iter(&code(text)) {
        let mut start: Vec<String> = if &c[1] == "crate" {
            Vec::new()
        } else {
            me[..me.len().saturating_sub(1)].to_vec()
        };
        let mut rest: Vec<String> = c[2].split("::").filter(|s| !s.is_empty()).map(String::from).collect();
        while rest.first().is_some_and(|s| s == "super") {
            start.pop();
            rest.remove(0);
        }
        start.extend(rest);
        match c.get(3) {
            Some(group) => {
                for item in group.as_str().split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    let mut p = start.clone();
                    p.extend(
                        item.split("::")
                            .filter(|s| !s.is_empty() && *s != "self")
                            .map(String::from),
                    );
                    out.push(p);
                }
            }
            None => out.push(start),
        }
    }
    out
}

#[test]
fn no_source_file_imports_one_that_imports_it_back() {
    let src = Path::new("src");
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files.iter().map(|f| (module_of(src, f), f.clone())).collect();
    let resolve = |path: &[String]| {
        (0..=path.len())
            .rev()
            .find_map(|k| modules.get(&path[..k]).map(|f| (path[..k].to_vec(), f.clone())))
    };
    // Edges between files, except between a module and its own ancestors (a parent declares
    // and re-exports its children; a child uses its parent's items).
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for f in &files {
        let me = module_of(src, f);
        let text = std::fs::read_to_string(f).unwrap();
        let targets = edges.entry(f.clone()).or_default();
        for path in named_paths(&me, &text) {
            if let Some((module, file)) = resolve(&path) {
                let related = me.starts_with(&module) || module.starts_with(&me);
                if !related {
                    targets.insert(file);
                }
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        f: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        state: &mut BTreeMap<PathBuf, u8>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        state.insert(f.clone(), 1);
        stack.push(f.clone());
        for g in edges.get(f).into_iter().flatten() {
            match state.get(g) {
                Some(1) => {
                    let from = stack.iter().position(|x| x == g).unwrap();
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(g.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(g, edges, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(f.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for f in edges.keys() {
        if !state.contains_key(f) {
            let cycle = visit(f, &edges, &mut state, &mut Vec::new());
            assert!(cycle.is_none(), "file cycle: {:?}", cycle.unwrap());
        }
    }
}
