//! The runners modelled from their source (tern, drizzle, Supabase CLI, Atlas, sqitch,
//! node-pg-migrate, golang-migrate with an Atlas sum) on the real repositories of
//! `../shared/corpus` that use them: for every migration directory, the format chosen and
//! every error finding, each with why it is real. A new false alarm turns a test red.
//! Before these formats, the same folders gave 5 false errors and 4 folders were not found at
//! all (`migproof check --format json ../shared/corpus/<folder>`).

mod common;

use std::path::Path;

use common::{corpus_root, error_findings};

fn check(dir: &Path) -> migproof::Outcome {
    migproof::check(&[dir.to_path_buf()]).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// (directory name, format, migrations) of every set found, sorted by path.
fn sets(outcome: &migproof::Outcome) -> Vec<(String, &'static str, usize)> {
    outcome
        .sets
        .iter()
        .map(|s| {
            let name = s.display.rsplit('/').next().unwrap_or("").to_string();
            (name, s.format, s.migrations.len())
        })
        .collect()
}

#[test]
fn tern_provisioning_backend() {
    let Some(root) = corpus_root() else { return };
    let outcome = check(&root.join("RHEnVision__provisioning-backend"));
    // go.mod: github.com/jackc/tern/v2 v2.3.2; files 001…022 without the down marker.
    assert_eq!(sets(&outcome), [("sql".to_string(), "tern", 22)]);
    // Every migration is irreversible (no `---- create above / drop below ----`): not a finding.
    assert!(outcome.sets[0].migrations.iter().all(|m| m.down.is_none()));
    assert_eq!(error_findings(&outcome), Vec::<String>::new());
}

#[test]
fn drizzle_homarr() {
    let Some(root) = corpus_root() else { return };
    let outcome = check(&root.join("homarr-labs__homarr/packages/db/migrations"));
    // Three journals; `custom/` is application code (`applyCustomMigrationsAsync`) run after
    // `migrate()`, not a runner's directory, so it is not a set.
    assert_eq!(
        sets(&outcome),
        [
            ("mysql".to_string(), "drizzle", 44),
            ("postgresql".to_string(), "drizzle", 10),
            ("sqlite".to_string(), "drizzle", 42),
        ]
    );
    let dialects: Vec<Option<&str>> = outcome
        .sets
        .iter()
        .map(|s| s.migrations[0].dialect.as_deref())
        .collect();
    assert_eq!(dialects, [Some("mysql"), None, Some("sqlite")]);
    // Journals and files agree, `when` increases: no error.
    assert_eq!(error_findings(&outcome), Vec::<String>::new());
    // Statements are split at `--> statement-breakpoint`.
    let pg = &outcome.sets[1].migrations[0];
    assert!(!pg.up.as_ref().unwrap().more_spans.is_empty());
}

#[test]
fn supabase_capgo() {
    let Some(root) = corpus_root() else { return };
    let outcome = check(&root.join("Cap-go__capgo"));
    assert_eq!(sets(&outcome), [("migrations".to_string(), "supabase", 350)]);
    // The four files with CREATE INDEX CONCURRENTLY have it as their first statement, which
    // PostgreSQL accepts at the start of the CLI's batch: no error (they were 4 false MC021
    // when the directory was taken for sqlx).
    assert_eq!(error_findings(&outcome), Vec::<String>::new());
}

#[test]
fn atlas_registry_backend() {
    let Some(root) = corpus_root() else { return };
    let dir = root.join("Comfy-Org__registry-backend/ent/migrate/migrations");
    let outcome = check(&dir);
    assert_eq!(sets(&outcome), [("migrations".to_string(), "atlas", 27)]);
    // atlas.sum was read and matches every file.
    assert!(outcome.sets[0].files.iter().any(|f| f.file_name() == "atlas.sum"));
    assert_eq!(error_findings(&outcome), Vec::<String>::new());

    // The same directory with one file edited, one added and one removed.
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), tmp.path().join(entry.file_name())).unwrap();
    }
    let edited = tmp.path().join("20240528220411_migration.sql");
    let mut text = std::fs::read_to_string(&edited).unwrap();
    text.push_str("-- edited\n");
    std::fs::write(&edited, text).unwrap();
    std::fs::write(tmp.path().join("20990101000000_added.sql"), "SELECT 1;\n").unwrap();
    std::fs::remove_file(tmp.path().join("20240613231838_migration.sql")).unwrap();
    let outcome = check(tmp.path());
    assert_eq!(
        error_findings(&outcome),
        [
            "MC044 20240528220411_migration.sql",
            "MC044 20990101000000_added.sql",
            "MC044 atlas.sum",
        ]
    );
}

#[test]
fn sqitch_registry() {
    let Some(root) = corpus_root() else { return };
    let outcome = check(&root.join("Tamarou__Registry"));
    // sqitch.conf: top_dir = ./sql, plan_file unset, so the plan is sql/sqitch.plan (67
    // changes), not the stale root sqitch.plan (40).
    assert_eq!(sets(&outcome), [("sql".to_string(), "sqitch", 67)]);
    let set = &outcome.sets[0];
    assert!(set.files.iter().any(|f| f.display.ends_with("sql/sqitch.plan")));
    // Every change has deploy and revert; verify scripts are parse-checked beside them.
    assert_eq!(set.others.len(), 67);
    assert!(set.migrations.iter().all(|m| m.up.is_some() && m.down.is_some()));
    // psql's `\set` and `:'template_content'` are legal: sqitch runs the scripts with psql.
    assert_eq!(error_findings(&outcome), Vec::<String>::new());
}

#[test]
fn node_pg_migrate_stacks_api() {
    let Some(root) = corpus_root() else { return };
    let outcome = check(&root.join("hirosystems__stacks-blockchain-api"));
    assert_eq!(sets(&outcome), [("migrations".to_string(), "node-pg-migrate", 63)]);
    // Builder calls are not SQL; `pgm.sql('…')` literals are parsed, and all parse.
    let parsed = outcome.sets[0]
        .migrations
        .iter()
        .filter_map(|m| m.up.as_ref()?.sql.as_ref())
        .filter(|sql| !sql.statements.is_empty())
        .count();
    assert!(parsed >= 5, "{parsed}");
    assert_eq!(error_findings(&outcome), Vec::<String>::new());
}

#[test]
fn golang_migrate_with_atlas_sum_openmeter() {
    let Some(root) = corpus_root() else { return };
    let dir = root.join("openmeterio__openmeter/tools/migrate/migrations");
    let outcome = check(&dir);
    // Run by golang-migrate (go.mod, tools/migrate/migrate.go); atlas.hcl says
    // `migrations_format = "golang-migrate"`, and its atlas.sum (over `*.up.sql`) matches.
    assert_eq!(sets(&outcome), [("migrations".to_string(), "golang-migrate", 269)]);
    assert!(outcome.sets[0].files.iter().any(|f| f.file_name() == "atlas.sum"));
    assert_eq!(error_findings(&outcome), Vec::<String>::new());

    // An edited down is not hashed by Atlas; an edited up is.
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), tmp.path().join(entry.file_name())).unwrap();
    }
    let append = |name: &str| {
        let p = tmp.path().join(name);
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("\n-- edited\n");
        std::fs::write(&p, text).unwrap();
    };
    append("20240826120919_init.down.sql");
    assert_eq!(error_findings(&check(tmp.path())), Vec::<String>::new());
    append("20240903155435_entitlement-expired-index.up.sql");
    assert_eq!(
        error_findings(&check(tmp.path())),
        ["MC044 20240903155435_entitlement-expired-index.up.sql"]
    );
}
