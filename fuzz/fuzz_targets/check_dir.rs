//! The whole check on a generated in-memory directory: detection (or a forced format),
//! loading, SQL analysis, every check, ignore directives, and the JSON and human reports.
//!
//! File names follow the layouts of every format (with fuzzed versions and titles) or are
//! raw; contents are built from pieces that matter to the parsers (section markers, rollback
//! headings, quotes, dollar quotes, template literals, ignore directives) and raw text.
//! Invariants: every finding points inside its file on character boundaries, the JSON report
//! is valid JSON and byte-identical when the check runs again, and the summary adds up.
#![no_main]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use common::assert_span;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use migproof::checks::Location;
use migproof::discover::{self, DirListing, Found};
use migproof::report;

#[derive(Arbitrary, Debug)]
struct Dir {
    /// Load as this format (like `--format-of`) instead of detecting one.
    forced: Option<u8>,
    files: Vec<File>,
}

#[derive(Arbitrary, Debug)]
struct File {
    layout: Layout,
    version: u64,
    title: String,
    content: Vec<Piece>,
}

#[derive(Arbitrary, Debug)]
enum Layout {
    PairUp,
    PairDown,
    Plain,
    FlywayV,
    FlywayU,
    FlywayR,
    PopDialect(u8, bool, bool),
    TypeOrm,
    TsRegistry,
    Initial,
    FlywayConf,
    Raw,
}

#[derive(Arbitrary, Debug)]
enum Piece {
    Known(u8),
    Text(String),
    Bytes(Vec<u8>),
}

const PIECES: &[&str] = &[
    "-- +goose Up\n",
    "-- +goose Down\n",
    "-- +goose StatementBegin\n",
    "-- +goose StatementEnd\n",
    "-- +goose NO TRANSACTION\n",
    "-- +goose envsub on\n",
    "-- migrate:up\n",
    "-- migrate:down\n",
    "-- migrate:up transaction:false\n",
    "-- +migrate Up\n",
    "-- +migrate Down notransaction\n",
    "-- +migrate StatementBegin\n",
    "-- no-transaction\n",
    "-- Rollback:\n",
    "-- === DOWN ===\n",
    "-- DROP TABLE t;\n",
    "-- CREATE TABLE t (\n",
    "CREATE TABLE t (id int PRIMARY KEY);\n",
    "DROP TABLE t;\n",
    "CREATE INDEX CONCURRENTLY i ON t (id);\n",
    "ALTER TABLE t ADD COLUMN c text NOT NULL;\n",
    "BEGIN;\n",
    "COMMIT;\n",
    "SELECT 1",
    ";",
    "\n",
    "\r\n",
    " ",
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
    "\\i other.sql\n",
    "é",
    "😀",
    "\u{feff}",
    "-- migproof:ignore\n",
    "-- migproof:ignore MC001\n",
    "-- migproof:ignore-file\n",
    "`",
    "${",
    "}",
    "await db.exec(`",
    "await queryRunner.query(`",
    "export async function up(db) {\n",
    "export async function down(db) {\n",
    "public async up(queryRunner: QueryRunner): Promise<void> {\n",
    "public async down(queryRunner: QueryRunner): Promise<void> {\n",
    "export const migrations = {\n",
    "'0001_x': { up: `CREATE TABLE a (id int);` },\n",
    "flyway.executeInTransaction=false\n",
];

fn name(file: &File) -> String {
    let v = file.version;
    // Titles as a runner would accept them, or not at all (`Raw`).
    let t: String = file
        .title
        .chars()
        .filter(|c| *c != '/' && *c != '\0')
        .take(40)
        .collect();
    match file.layout {
        Layout::PairUp => format!("{v:06}_{t}.up.sql"),
        Layout::PairDown => format!("{v:06}_{t}.down.sql"),
        Layout::Plain => format!("{v}_{t}.sql"),
        Layout::FlywayV => format!("V{}__{t}.sql", v % 1000),
        Layout::FlywayU => format!("U{}__{t}.sql", v % 1000),
        Layout::FlywayR => format!("R__{t}.sql"),
        Layout::PopDialect(d, autocommit, up) => format!(
            "{v}_{t}{}{}.{}.sql",
            [".postgres", ".mysql", ".sqlite3", ".cockroach", ""][d as usize % 5],
            if autocommit { ".autocommit" } else { "" },
            if up { "up" } else { "down" }
        ),
        Layout::TypeOrm => format!("{:013}-{t}.ts", v % 10_000_000_000_000),
        Layout::TsRegistry => format!("{v:04}_{t}.ts"),
        Layout::Initial => "initial.ts".to_string(),
        Layout::FlywayConf => format!("V{}__{t}.sql.conf", v % 1000),
        Layout::Raw => t,
    }
}

fn content(file: &File) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in file.content.iter().take(64) {
        match piece {
            Piece::Known(i) => out.extend_from_slice(PIECES[*i as usize % PIECES.len()].as_bytes()),
            Piece::Text(s) => out.extend_from_slice(s.as_bytes()),
            Piece::Bytes(b) => out.extend_from_slice(b),
        }
    }
    out
}

/// The parser threads get the stack migproof gives them in `check`.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().stack_size(512 << 20).build().unwrap())
}

fn check_location(location: &Location, what: &str) {
    if let Some(text) = &location.text {
        assert_span(text, &location.span, what);
    }
    let (line, col) = location.line_col();
    assert!(line >= 1 && col >= 1);
}

/// Loads, analyses and checks the directory; returns the JSON report and the human one.
fn run(files: &BTreeMap<String, Vec<u8>>, forced: Option<u8>) -> Option<(String, String)> {
    let dir = DirListing::in_memory(Path::new("/nonexistent/migproof-fuzz/db"), "db", files.clone());
    let (format, detection) = match forced {
        Some(i) => (
            discover::FORMATS[i as usize % discover::FORMATS.len()],
            discover::Detection {
                score: 0,
                reason: "forced".into(),
            },
        ),
        None => discover::detect(&dir)?,
    };
    let found = Found { dir, format, detection };
    let mut set = discover::load(&found);
    migproof::analyze(&mut set);
    // Every script lies inside its file, on character boundaries, and so does its SQL.
    for script in set.scripts() {
        let file = set.file(script.file);
        let text = file.text();
        if file.text.is_err() {
            continue;
        }
        for span in script.spans() {
            assert_span(text, span, "script");
        }
        if let Some(sql) = &script.sql {
            for s in sql.statements.iter().chain(&sql.meta_commands) {
                assert_span(text, s, "statement");
            }
            for e in sql.syntax_errors.iter().chain(&sql.dialect_errors) {
                assert!(
                    e.span.start <= e.span.end && e.span.end <= text.len(),
                    "error {e:?} outside its file"
                );
            }
        }
    }
    let offline = vec![migproof::checks::run(&set)];
    let sets = vec![set];
    let mut findings = migproof::pipeline::finish(&sets, offline, &Default::default()).expect("no git, no error");
    migproof::checks::sort(&mut findings);
    for f in &findings {
        check_location(&f.location, f.rule.code);
        for r in &f.related {
            check_location(&r.location, "related");
        }
    }
    let outcome = migproof::Outcome {
        sets,
        findings,
        notes: Vec::new(),
        roundtrip: None,
    };
    let summary = outcome.summary();
    assert!(
        summary.errors + summary.warnings <= outcome.findings.len(),
        "the summary counts too many"
    );
    let json = report::json::render(&outcome);
    let value: serde_json::Value = serde_json::from_str(&json).expect("the JSON report is not JSON");
    assert_eq!(
        value["findings"].as_array().map(Vec::len),
        Some(outcome.findings.len()),
        "the JSON report lost findings"
    );
    let human = report::human::render(&outcome, &report::human::Style::plain());
    let _ = report::sarif::render(&outcome);
    let _ = report::github::render(&outcome);
    Some((json, human))
}

fuzz_target!(|input: Dir| {
    let mut files = BTreeMap::new();
    for file in input.files.iter().take(12) {
        let name = name(file);
        if name.is_empty() {
            continue;
        }
        files.insert(name, content(file));
    }
    pool().install(|| {
        let first = run(&files, input.forced);
        let second = run(&files, input.forced);
        assert_eq!(first, second, "the reports differ between two runs");
    });
});
