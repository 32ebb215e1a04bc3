//! The runners modelled from their source, one case each under `fixtures/formats/<format>/`:
//! tern, drizzle, supabase, atlas, sqitch and node-pg-migrate. The detected format, the
//! number of migrations and the exact findings are asserted, the human report snapshotted.

use std::path::Path;

use migproof::report::human;

/// (case, format, migrations, findings as `CODE severity file-name:line`).
const CASES: &[(&str, &str, usize, &[&str])] = &[
    ("tern/pass_basic", "tern", 3, &[]),
    ("drizzle/pass_mysql", "drizzle", 2, &[]),
    ("supabase/pass_basic", "supabase", 2, &[]),
    // The CLI skips a first `<timestamp>_init.sql` from before 2021-12-09.
    (
        "supabase/fail_skipped_init",
        "supabase",
        1,
        &["MC003 error 20211101000000_init.sql:1"],
    ),
    ("atlas/pass_delimiter", "atlas", 2, &[]),
    ("sqitch/pass_rework", "sqitch", 3, &[]),
    ("node-pg-migrate/pass_basic", "node-pg-migrate", 2, &[]),
];

fn check(case: &str) -> migproof::Outcome {
    let dir = Path::new("fixtures/formats").join(case);
    migproof::check(std::slice::from_ref(&dir)).unwrap_or_else(|e| panic!("{case}: {e}"))
}

#[test]
fn runner_format_cases() {
    for &(case, format, migrations, findings) in CASES {
        let outcome = check(case);
        assert_eq!(outcome.sets.len(), 1, "{case}");
        assert_eq!(outcome.sets[0].format, format, "{case}");
        assert_eq!(outcome.sets[0].migrations.len(), migrations, "{case}");
        let found: Vec<String> = outcome
            .findings
            .iter()
            // Lock-safety warnings have fixtures of their own; these cases are about formats.
            .filter(|f| !migproof::checks::locks::is_lock_rule(f.rule))
            .map(|f| {
                format!(
                    "{} {} {}:{}",
                    f.rule.code,
                    f.severity.as_str(),
                    f.location.path.rsplit('/').next().unwrap(),
                    f.location.line_col().0
                )
            })
            .collect();
        assert_eq!(found, findings, "{case}");
        let name = format!("formats__{}", case.replace('/', "__"));
        insta::assert_snapshot!(name, human::render(&outcome, &human::Style::plain()));
    }
}

#[test]
fn tern_parts_and_transactions() {
    let outcome = check("tern/pass_basic");
    let set = &outcome.sets[0];
    let m = &set.migrations;
    // Up above the marker, down below it; without the marker the migration is irreversible.
    assert!(m[0].down.is_some() && m[2].down.is_none());
    // `---- tern: disable-tx ----` runs that part outside a transaction.
    assert!(m[1].up.as_ref().unwrap().no_transaction && !m[0].up.as_ref().unwrap().no_transaction);
    // `shared/*.sql` are templates, not migrations; `{{ … }}` actions are not judged as SQL.
    assert!(set.files.iter().all(|f| !f.display.contains("shared")));
}

#[test]
fn drizzle_journal_drives_the_set() {
    let outcome = check("drizzle/pass_mysql");
    let set = &outcome.sets[0];
    // The MySQL journal: judged by MySQL's grammar; the snapshot and migrate.ts are not migrations.
    assert!(set.migrations.iter().all(|m| m.dialect.as_deref() == Some("mysql")));
    assert_eq!(set.migrations[0].up.as_ref().unwrap().more_spans.len(), 1);
}

#[test]
fn atlas_delimiter_splits_statements() {
    let outcome = check("atlas/pass_delimiter");
    let function = &outcome.sets[0].migrations[1];
    assert_eq!(function.up.as_ref().unwrap().more_spans.len(), 1);
}

#[test]
fn sqitch_rework_uses_tagged_scripts() {
    let outcome = check("sqitch/pass_rework");
    let set = &outcome.sets[0];
    // The effective plan is db/sqitch.plan (top_dir = db), not the root one.
    let names: Vec<&str> = set.migrations.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["users", "prices@v1.0", "prices"]);
}

#[test]
fn node_pg_migrate_sql_literals() {
    let outcome = check("node-pg-migrate/pass_basic");
    let set = &outcome.sets[0];
    let first = set.migrations[0].up.as_ref().unwrap();
    assert_eq!(first.sql.as_ref().unwrap().statements.len(), 1);
    // `pgm.noTransaction()` takes the migration out of the transaction.
    assert!(set.migrations[1].up.as_ref().unwrap().no_transaction);
}

#[test]
fn new_scaffolds_tern_and_supabase() {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["001_create_users.sql", "002_index_name.sql", "003_audit.sql"] {
        std::fs::copy(
            Path::new("fixtures/formats/tern/pass_basic").join(f),
            tmp.path().join(f),
        )
        .unwrap();
    }
    let mut out = Vec::new();
    migproof::scaffold::new("add email", Some(tmp.path()), None, &mut out).unwrap();
    let made = tmp.path().join("004_add_email.sql");
    assert!(
        std::fs::read_to_string(made)
            .unwrap()
            .contains("---- create above / drop below ----")
    );

    let tmp = tempfile::tempdir().unwrap();
    let migrations = tmp.path().join("supabase/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(tmp.path().join("supabase/config.toml"), "[db]\n").unwrap();
    std::fs::write(migrations.join("20240101000000_base.sql"), "SELECT 1;\n").unwrap();
    let mut out = Vec::new();
    migproof::scaffold::new("policies", Some(&migrations), None, &mut out).unwrap();
    let shown = String::from_utf8(out).unwrap();
    assert!(
        shown.trim_end().ends_with("_policies.sql") && !shown.contains(".up."),
        "{shown}"
    );
}
