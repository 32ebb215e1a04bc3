//! Per-format fixture cases for diesel, sourcegraph, pop, ts-registry and TypeORM
//! (`fixtures/formats/<format>/<case>/`): the format detected, the number of migrations and the
//! exact findings, plus a snapshot of the human report.

use std::path::Path;

use migproof::report::human;

/// Checks a case and returns `(format, migrations, ["CODE file-name:line", …])`.
fn run(case: &str) -> (String, usize, Vec<String>) {
    let path = Path::new("fixtures/formats").join(case);
    let outcome = migproof::check(std::slice::from_ref(&path)).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(outcome.sets.len(), 1, "{case}: one set expected");
    let name = format!("formats__{}", case.replace('/', "__"));
    insta::assert_snapshot!(name, human::render(&outcome, &human::Style::plain()));
    let findings = outcome
        .findings
        .iter()
        .map(|f| {
            let file = f
                .location
                .path
                .rsplit('/')
                .next()
                .unwrap_or(&f.location.path)
                .to_string();
            format!("{} {}:{}", f.rule.code, file, f.location.line_col().0)
        })
        .collect();
    (
        outcome.sets[0].format.to_string(),
        outcome.sets[0].migrations.len(),
        findings,
    )
}

#[test]
fn diesel_basic_is_clean() {
    let (format, n, findings) = run("diesel/pass_basic");
    assert_eq!(format, "diesel");
    // Three version shapes, a directory name with spaces, two versions that differ only by
    // the `-0000` suffix (distinct to diesel), and a top-level data script that is not one.
    assert_eq!(n, 7);
    assert_eq!(findings, Vec::<String>::new());
}

#[test]
fn diesel_versions_compare_as_digit_strings() {
    let outcome = migproof::check(&["fixtures/formats/diesel/pass_basic".into()]).unwrap();
    let versions: Vec<&str> = outcome.sets[0]
        .migrations
        .iter()
        .map(|m| m.version.text.as_str())
        .collect();
    assert_eq!(
        versions,
        [
            "00000000000000",
            "20140924113530",
            "20170831230457",
            "20191115182353",
            "20240305120032",
            // A prefix sorts first: the suffix-less version runs before the `-0000` one.
            "20251119091444",
            "202511190914440000",
        ]
    );
    // The metadata.toml makes that migration run outside a transaction, both ways.
    let indexed = &outcome.sets[0].migrations[4];
    assert_eq!(indexed.name, "add_users_email_index");
    assert!(indexed.up.as_ref().unwrap().no_transaction);
    assert!(indexed.down.as_ref().unwrap().no_transaction);
}

#[test]
fn diesel_subdirectories_are_not_sets_of_their_own() {
    // Walking from above finds the one diesel set, not its 7 migration directories.
    let outcome = migproof::check(&["fixtures/formats/diesel".into()]).unwrap();
    assert_eq!(outcome.sets.len(), 1);
    assert_eq!(outcome.sets[0].format, "diesel");
    // A file inside a migration directory (as pre-commit passes it) checks the whole set.
    let outcome =
        migproof::check(&["fixtures/formats/diesel/pass_basic/20140924113530_create_users/up.sql".into()]).unwrap();
    assert_eq!(outcome.sets.len(), 1);
    assert_eq!(outcome.sets[0].migrations.len(), 7);
}

#[test]
fn ts_registry_seed_004_layout() {
    let (format, n, findings) = run("ts-registry/pass_seed_004");
    assert_eq!(format, "ts-registry");
    assert_eq!(n, 3);
    // The only finding is the note on the interpolated `DROP TABLE ${TABLE}`; the commented-out
    // registry entry is not an entry, and `index.ts`'s own runner SQL is not a migration.
    assert_eq!(findings, ["MC027 003_add_user_settings.ts:20"]);
    let outcome = migproof::check(&["fixtures/formats/ts-registry/pass_seed_004".into()]).unwrap();
    let set = &outcome.sets[0];
    assert_eq!(set.registry.as_ref().unwrap().entries.len(), 3);
    // initial.ts is version 1; its SQL (extensions, a table, a plpgsql function) was parsed
    // with spans inside the .ts file.
    let initial = &set.migrations[0];
    assert_eq!(
        (initial.name.as_str(), initial.version.as_number()),
        ("initial", Some(1))
    );
    let up = initial.up.as_ref().unwrap();
    let sql = up.sql.as_ref().unwrap();
    assert_eq!(sql.statements.len(), 4);
    let text = set.file(up.file).text();
    assert!(text[sql.statements[0].clone()].starts_with("CREATE EXTENSION IF NOT EXISTS vector"));
    // Two exec calls in one `up` are two parts of one script.
    let messages = set.migrations[1].up.as_ref().unwrap();
    assert_eq!(messages.more_spans.len(), 1);
    assert_eq!(messages.sql.as_ref().unwrap().statements.len(), 2);
}

#[test]
fn typeorm_basic_is_clean() {
    let (format, n, findings) = run("typeorm/pass_basic");
    assert_eq!(format, "typeorm");
    assert_eq!(n, 2);
    assert_eq!(findings, Vec::<String>::new());
}

#[test]
fn typeorm_syntax_error_points_into_the_ts_file() {
    let (format, n, findings) = run("typeorm/fail_syntax");
    assert_eq!((format.as_str(), n), ("typeorm", 1));
    assert_eq!(findings, ["MC201 1700000000000-CreateUsers.ts:6"]);
}

#[test]
fn sourcegraph_dag_is_clean() {
    let (format, n, findings) = run("sourcegraph/pass_dag");
    assert_eq!(format, "sourcegraph");
    // One root, a fork joined again by a migration with two parents; the index is created
    // concurrently with `createIndexConcurrently: true`, so outside a transaction.
    assert_eq!(n, 4);
    // Lock safety only: ALTERs of existing tables without lock_timeout, a plain DROP INDEX in a
    // down, and `CREATE INDEX CONCURRENTLY IF NOT EXISTS` (a retry keeps an invalid index).
    assert_eq!(findings, ["MC402 down.sql:1", "MC405 up.sql:1"]);
    let outcome = migproof::check(&["fixtures/formats/sourcegraph/pass_dag".into()]).unwrap();
    let last = outcome.sets[0].migrations.last().unwrap();
    assert_eq!(last.parents.as_ref().unwrap().len(), 2);
    assert!(last.up.as_ref().unwrap().no_transaction);
    assert!(!last.down.as_ref().unwrap().no_transaction);
}

#[test]
fn pop_pairs_and_numbers_per_dialect() {
    let (format, n, findings) = run("pop/pass_dialects");
    assert_eq!(format, "pop");
    // Version 1: all databases + mysql + sqlite3; version 2: postgres (autocommit), cockroach,
    // mysql and sqlite3 (empty, legitimate). Same version in several dialects is no duplicate.
    assert_eq!(n, 7);
    // The note that the CockroachDB scripts are not judged by PostgreSQL's grammar (migproof has
    // none for CockroachDB), and lock safety (the cockroach files are exempt: CockroachDB locks
    // differently): `CREATE INDEX CONCURRENTLY IF NOT EXISTS` keeps a failed build's invalid index.
    assert_eq!(
        findings,
        [
            "MC015 pass_dialects:1",
            "MC405 20210410175419000000_identities_index.postgres.autocommit.up.sql:1"
        ]
    );
    let outcome = migproof::check(&["fixtures/formats/pop/pass_dialects".into()]).unwrap();
    let pg = outcome.sets[0]
        .migrations
        .iter()
        .find(|m| m.dialect.as_deref() == Some("postgres"))
        .unwrap();
    assert!(
        pg.up.as_ref().unwrap().no_transaction,
        ".autocommit runs outside a transaction"
    );
}
