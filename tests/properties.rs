//! Property tests (proptest) for the invariants the fuzz targets (`fuzz/`) also check: spans
//! never point outside their file, findings are deterministic, a valid directory stays valid
//! when renamed or moved, and parsing never panics on arbitrary text.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use migproof::discover::{self, DirListing, Found, parsers};
use migproof::sql;
use proptest::prelude::*;

/// Pieces of text that matter to the parsers: markers, quotes, comments, template literals.
const PIECES: &[&str] = &[
    "-- +goose Up\n",
    "-- +goose Down\n",
    "-- +goose StatementBegin\n",
    "-- +goose StatementEnd\n",
    "-- migrate:up\n",
    "-- migrate:down\n",
    "-- +migrate Up\n",
    "-- +migrate Down\n",
    "-- Rollback:\n",
    "-- DROP TABLE t;\n",
    "/* Rollback\n",
    "DROP TABLE t;\n",
    "CREATE TABLE t (id int);\n",
    "SELECT 1",
    ";",
    "\n",
    "\r\n",
    "(",
    ")",
    "'",
    "E'\\",
    "\"",
    "$$",
    "$f$",
    "/*",
    "*/",
    "--",
    "\\i x.sql\n",
    "é",
    "😀",
    "`",
    "${",
    "}",
    "await db.exec(`",
    "export async function up(db) {\n",
    "export async function down(db) {\n",
];

/// Text made of parser-relevant pieces and arbitrary characters.
fn sqlish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(PIECES).prop_map(str::to_string),
            1 => any::<String>(),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn assert_span(text: &str, span: &Range<usize>, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: {span:?} outside {} bytes",
        text.len()
    );
    prop_assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: {span:?} splits a character"
    );
    Ok(())
}

/// Loads, analyses and checks an in-memory directory in format `format`; returns the JSON.
fn check_in_memory(files: &BTreeMap<String, Vec<u8>>, format: &str) -> (migproof::Outcome, String) {
    let dir = DirListing::in_memory(Path::new("/nonexistent/properties/db"), "db", files.clone());
    let found = Found {
        dir,
        format: discover::format_named(format).unwrap(),
        detection: discover::Detection {
            score: 0,
            reason: String::new(),
        },
    };
    let mut set = discover::load(&found);
    migproof::analyze(&mut set);
    let offline = vec![migproof::checks::run(&set)];
    let sets = vec![set];
    let mut findings = migproof::pipeline::finish(&sets, offline, &Default::default()).unwrap();
    migproof::checks::sort(&mut findings);
    let outcome = migproof::Outcome {
        sets,
        findings,
        notes: Vec::new(),
        roundtrip: None,
        hidden: Vec::new(),
    };
    let json = migproof::report::json::render(&outcome);
    (outcome, json)
}

/// A valid golang-migrate directory: `n` numbered pairs, each creating and dropping a table.
fn write_valid_dir(dir: &Path, titles: &[String]) {
    std::fs::create_dir_all(dir).unwrap();
    for (i, title) in titles.iter().enumerate() {
        let v = i + 1;
        std::fs::write(
            dir.join(format!("{v:06}_{title}.up.sql")),
            format!("CREATE TABLE t{v} (id bigint PRIMARY KEY, name text);\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{v:06}_{title}.down.sql")),
            format!("DROP TABLE t{v};\n"),
        )
        .unwrap();
    }
}

fn findings_json(dir: &Path) -> (migproof::Outcome, String) {
    let outcome = migproof::check(&[dir.to_path_buf()]).unwrap();
    let json = migproof::report::json::render(&outcome);
    (outcome, json)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Statement, meta-command and syntax-error spans stay inside the scanned part of the text.
    #[test]
    fn sql_spans_stay_inside_the_text(text in sqlish(), a in 0usize..=100, b in 0usize..=100) {
        let floor = |i: usize| (0..=i.min(text.len())).rev().find(|&k| text.is_char_boundary(k)).unwrap();
        let (lo, hi) = (a.min(b), a.max(b));
        let span = floor(text.len() * lo / 100)..floor(text.len() * hi / 100);
        for grammar in [sql::Grammar::Postgres, sql::Grammar::MySql, sql::Grammar::Sqlite] {
            let parsed = sql::analyze_as(&text, span.clone(), grammar);
            for s in parsed.statements.iter().chain(&parsed.meta_commands) {
                assert_span(&text, s, "statement")?;
                prop_assert!(s.start >= span.start && s.end <= span.end, "{s:?} outside {span:?}");
            }
            for e in parsed.syntax_errors.iter().chain(&parsed.dialect_errors) {
                prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len(), "{e:?}");
            }
        }
    }

    /// Section, rollback and template-literal spans stay inside the file.
    #[test]
    fn format_spans_stay_inside_the_file(text in sqlish()) {
        for dialect in parsers::DIALECTS {
            let split = parsers::split(&text, dialect);
            for m in &split.markers {
                assert_span(&text, &m.line, "marker")?;
            }
            for s in split.up.iter().chain(&split.down) {
                assert_span(&text, &s.marker, "section marker")?;
                assert_span(&text, &s.body, "section body")?;
            }
            for (p, _) in &split.problems {
                assert_span(&text, p, "problem")?;
            }
        }
        if let Some(r) = parsers::find_rollback(&text) {
            assert_span(&text, &r.heading, "heading")?;
            assert_span(&text, &r.body, "body")?;
            prop_assert!(r.start <= r.heading.start);
            for m in &r.comment_marks {
                assert_span(&text, m, "comment mark")?;
                let mark = &text[m.clone()];
                prop_assert!(
                    ["--", "/*", "*/"].contains(&mark) || (!mark.is_empty() && !mark.contains('\n')),
                    "comment mark {:?}", mark
                );
                prop_assert!(m.start >= r.start);
            }
            // The rollback is the file's tail: only comments from where the up ends.
            prop_assert!(migproof::sql::lexer::scan(&text, r.start..text.len()).statements.is_empty());
        }
        for lit in parsers::sql_literals(&text) {
            assert_span(&text, &lit.span, "literal")?;
        }
    }

    /// Every finding of a whole check points inside its file, for every format.
    #[test]
    fn finding_spans_stay_inside_their_file(
        files in prop::collection::btree_map(
            prop_oneof![
                "[0-9]{1,4}_[a-z]{1,6}\\.(up|down)\\.sql",
                "[0-9]{1,4}_[a-z]{1,6}\\.sql",
                "V[0-9]{1,2}__[a-z]{1,6}\\.sql",
                "[0-9]{4}_[a-z]{1,6}\\.ts",
            ],
            sqlish().prop_map(String::into_bytes),
            0..5,
        ),
        format in prop::sample::select(discover::FORMATS.iter().map(|f| f.name()).collect::<Vec<_>>()),
    ) {
        let (outcome, _) = check_in_memory(&files, format);
        for f in &outcome.findings {
            for location in std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.location)) {
                if let Some(text) = &location.text {
                    assert_span(text, &location.span, f.rule.code)?;
                }
            }
        }
        for script in outcome.sets[0].scripts() {
            let file = outcome.sets[0].file(script.file);
            if file.text.is_ok() {
                for span in script.spans() {
                    assert_span(file.text(), span, "script")?;
                }
            }
        }
    }

    /// The same input gives byte-identical JSON, run twice.
    #[test]
    fn findings_are_deterministic(
        files in prop::collection::btree_map(
            "[0-9]{1,3}_[a-z]{1,5}\\.(up|down)\\.sql",
            sqlish().prop_map(String::into_bytes),
            1..5,
        ),
        format in prop::sample::select(vec!["golang-migrate", "goose", "dbmate", "psql-rollback", "sqlx"]),
    ) {
        let (_, first) = check_in_memory(&files, format);
        let (_, second) = check_in_memory(&files, format);
        prop_assert_eq!(first, second);
    }

    /// Parsing never panics on arbitrary text, whatever the parser.
    #[test]
    fn parsing_never_panics(text in any::<String>(), name in any::<String>()) {
        for dialect in parsers::DIALECTS {
            let _ = parsers::split(&text, dialect);
        }
        let _ = parsers::find_rollback(&text);
        let _ = parsers::by_direction(&text);
        let _ = sql::analyze(&text, 0..text.len());
        let _ = parsers::names(&name);
        let _ = parsers::names(&text);
    }
}

proptest! {
    // Each case writes a directory and checks it twice: few cases keep `cargo test` fast.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// A valid golang-migrate directory stays valid when it is renamed and moved elsewhere;
    /// with a migration's down removed, its findings stay the same but for the path.
    #[test]
    fn a_valid_directory_stays_valid_when_renamed_or_moved(
        titles in prop::collection::vec("[a-z][a-z_]{0,10}", 1..6),
        new_name in "[a-zA-Z0-9 é_-]{1,12}",
        broken in any::<bool>(),
    ) {
        let root = tempfile::tempdir().unwrap();
        let first = root.path().join("db").join("migrations");
        write_valid_dir(&first, &titles);
        if broken {
            let last = titles.len();
            std::fs::remove_file(first.join(format!("{last:06}_{}.down.sql", titles[last - 1]))).unwrap();
        }
        let (before, before_json) = findings_json(&first);
        // A single migration without its down is a directory that writes no downs at all,
        // which golang-migrate allows: nothing to report then.
        prop_assert_eq!(before.findings.is_empty(), !broken || titles.len() == 1, "{}", before_json);
        prop_assert_eq!(before.sets.len(), 1);
        prop_assert_eq!(before.sets[0].format, "golang-migrate");

        // Renamed in place, then moved to another directory tree.
        let renamed: PathBuf = root.path().join("db").join(&new_name);
        std::fs::rename(&first, &renamed).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let moved = elsewhere.path().join("deep").join("er");
        std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
        for dir in [&renamed, &moved] {
            if dir == &moved {
                // Across temporary directories a rename may cross file systems: copy, then delete.
                std::fs::create_dir_all(&moved).unwrap();
                for entry in std::fs::read_dir(&renamed).unwrap() {
                    let entry = entry.unwrap();
                    std::fs::copy(entry.path(), moved.join(entry.file_name())).unwrap();
                }
                std::fs::remove_dir_all(&renamed).unwrap();
            }
            let (after, after_json) = findings_json(dir);
            prop_assert_eq!(after.summary(), before.summary());
            let expected = before_json.replace(&first.display().to_string(), &dir.display().to_string());
            prop_assert_eq!(&after_json, &expected);
        }
    }
}
