//! The words-only reader of the lock rules ([`migproof::sql::words::shallow`],
//! [`migproof::sql::words::create_table`]), which spares the tree parser most statements of a
//! migration set, must read every statement it reads exactly as the tree does: same kind, same
//! names, flags, types and defaults, same spans. Held against every statement PostgreSQL
//! accepts in the `.sql` files of `../shared/corpus` and of `fixtures/`. Skips with a line when the corpus is absent
//! (`MIGPROOF_CORPUS` overrides where it is); fails instead under `CI=true`.

use std::path::{Path, PathBuf};

use migproof::sql::{self, parse, words};

mod common;

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sql_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "sql") {
            out.push(p);
        }
    }
}

/// (statements read by words, disagreements) over the `.sql` files under `dir`.
fn compare(dir: &Path) -> (usize, Vec<String>) {
    let mut files = Vec::new();
    sql_files(dir, &mut files);
    files.sort();
    let (mut read, mut wrong) = (0, Vec::new());
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let parsed = sql::analyze(&text, 0..text.len());
        for s in &parsed.statements {
            let rejected = parsed
                .syntax_errors
                .iter()
                .any(|e| e.span.start >= s.start && e.span.start <= s.end);
            let Some(stmt) = text.get(s.clone()) else { continue };
            let by_words = (!rejected)
                .then(|| words::shallow(stmt, s.start).or_else(|| words::create_table(stmt, s.start)))
                .flatten();
            let Some(by_words) = by_words else {
                continue;
            };
            read += 1;
            let tree = parse::classify(stmt, s.start);
            let words = vec![by_words];
            if tree != words {
                wrong.push(format!(
                    "{}:{}: words {words:?}, tree {tree:?}",
                    file.display(),
                    s.start
                ));
            }
        }
    }
    (read, wrong)
}

#[test]
fn the_words_reader_agrees_with_the_tree_on_the_fixtures() {
    let (read, wrong) = compare(Path::new("fixtures"));
    assert!(read > 0, "no fixture statement was read by words");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_words_reader_agrees_with_the_tree_on_the_corpus() {
    let Some(root) = common::corpus_root() else { return };
    let (read, wrong) = compare(&root);
    eprintln!("{read} corpus statements read by words");
    assert!(read > 1000, "only {read} corpus statements were read by words");
    assert!(wrong.is_empty(), "{} disagreements:\n{}", wrong.len(), wrong.join("\n"));
}
