//! Lock facts measured during `--roundtrip` (issue 11, tier 2: MC450–MC453): what each statement
//! of an up or a down really locked, rewrote and scanned on tables that existed before the
//! migration, and where the measurement overrules a static lock rule.
//!
//! Without server binaries these tests skip with a reason, except under `CI=true`, where a
//! missing server is a failure.

mod common;

use std::path::{Path, PathBuf};

use common::roundtrip::{Sandbox, binaries};
use migproof::pipeline::{Options, check_with};
use migproof::{Outcome, check};

const FIXTURES: &str = "fixtures/roundtrip-locks";

fn options(measure: bool) -> Options {
    Options {
        roundtrip: Some(migproof::roundtrip::Options {
            measure,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The lock findings (MC4xx) as `CODE file:line: message`, sorted, with `[confirmed]` when the
/// round-trip confirmed a static finding.
fn lock_findings(outcome: &Outcome) -> Vec<String> {
    let mut out: Vec<String> = outcome
        .findings
        .iter()
        .filter(|f| f.rule.code.starts_with("MC4"))
        .map(|f| {
            let (line, _) = f.location.line_col();
            let file = Path::new(&f.location.path).file_name().unwrap().to_string_lossy();
            let confirmed = if f
                .help
                .as_deref()
                .is_some_and(|h| h.contains("confirmed by --roundtrip"))
            {
                " [confirmed]"
            } else {
                ""
            };
            format!("{} {file}:{line}: {}{confirmed}", f.rule.code, f.message)
        })
        .collect();
    out.sort();
    out
}

fn run(path: &Path, options: &Options) -> Outcome {
    let outcome = check_with(&[path.to_path_buf()], options).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rt = outcome.roundtrip.as_ref().expect("the round-trip ran");
    for set in &rt.sets {
        assert_eq!(set.status.as_str(), "verified", "{:?}", lock_findings(&outcome));
    }
    outcome
}

/// The DO-block rewrite (up and down) is found only by the measurement; the direct rewrite and
/// the index build are confirmed static findings (their measured twins dropped); the static
/// `SET NOT NULL` scan claim is refuted (a valid CHECK added through EXECUTE proves the column)
/// and dropped; an ALTER run by a PL/pgSQL function is a measured lock; a backfill's measured
/// scan is not reported (MC433 says it; a DML plan on an empty table proves nothing).
#[test]
fn measured_findings_in_ups_and_downs() {
    if binaries().is_none() {
        return;
    }
    let fixture = PathBuf::from(FIXTURES).join("fail_do_block_rewrite");
    // Offline, the static rules see no DO-block rewrite and claim a scan for SET NOT NULL.
    let offline = lock_findings(&check(std::slice::from_ref(&fixture)).unwrap());
    assert!(
        offline
            .iter()
            .any(|f| f.starts_with("MC411 000004_email_required.up.sql:9:")),
        "{offline:#?}"
    );
    assert!(
        !offline.iter().any(|f| f.contains("000002_widen_balance")),
        "{offline:#?}"
    );

    let outcome = run(&fixture, &options(true));
    let found = lock_findings(&outcome);
    assert_eq!(found, EXPECTED, "{found:#?}");
    // Each measured finding points at its statement, with a label.
    for f in outcome.findings.iter().filter(|f| f.rule.code.starts_with("MC45")) {
        assert_eq!(f.rule.kind, migproof::checks::Kind::Roundtrip);
        assert!(f.label.is_some() && f.help.is_some(), "{f:?}");
    }
}

/// The same measurement on PostgreSQL 18 (`MIGPROOF_PG18_BIN`, which `.ci/run` sets).
#[test]
fn measured_findings_on_postgres_18() {
    let Some(bin) = std::env::var_os("MIGPROOF_PG18_BIN") else {
        common::skip("MIGPROOF_PG18_BIN is not set (`source .ci/postgres18.sh`)");
        return;
    };
    let mut opts = options(true);
    if let Some(rt) = opts.roundtrip.as_mut() {
        rt.pg_bin = Some(PathBuf::from(bin));
    }
    let outcome = run(&PathBuf::from(FIXTURES).join("fail_do_block_rewrite"), &opts);
    assert_eq!(outcome.roundtrip.as_ref().unwrap().servers[0].major, 18);
    let found = lock_findings(&outcome);
    assert_eq!(found, EXPECTED, "{found:#?}");
}

const EXPECTED: [&str; 9] = [
    "MC401 000003_orders_bigint.up.sql:2: `CREATE INDEX` on existing table `orders` blocks its writes (SHARE lock) while it reads the whole table [confirmed]",
    "MC402 000003_orders_bigint.down.sql:1: `DROP INDEX orders_note_idx` takes ACCESS EXCLUSIVE on `orders`: reads and writes wait [confirmed]",
    "MC420 000003_orders_bigint.down.sql:2: changing `orders.id` from `int8` to `int4` rewrites the table and its indexes under ACCESS EXCLUSIVE [confirmed]",
    "MC420 000003_orders_bigint.up.sql:1: changing `orders.id` from `int4` to `int8` rewrites the table and its indexes under ACCESS EXCLUSIVE [confirmed]",
    "MC433 000006_order_status.up.sql:4: this UPDATE of `orders` runs in the transaction that holds ACCESS EXCLUSIVE on `orders`: it stays locked for the whole backfill",
    "MC450 000005_audit_column.up.sql:8: measured in the up: this statement took AccessExclusiveLock on existing table `orders` (which blocks reads and writes) until the transaction ends",
    "MC451 000002_widen_balance.down.sql:1: measured in the down: this statement rewrote existing table `accounts` (the table, index `accounts_pkey` got a new file) under AccessExclusiveLock",
    "MC451 000002_widen_balance.up.sql:2: measured in the up: this statement rewrote existing table `accounts` (the table, index `accounts_pkey` got a new file) under AccessExclusiveLock",
    "MC452 000004_email_required.up.sql:3: measured in the up: this statement read all of existing table `accounts` while holding AccessExclusiveLock (which blocks reads and writes)",
];

/// With the measurement off, the static findings stand as they are and nothing is measured.
#[test]
fn no_measure_keeps_static_findings() {
    if binaries().is_none() {
        return;
    }
    let fixture = PathBuf::from(FIXTURES).join("fail_do_block_rewrite");
    let found = lock_findings(&run(&fixture, &options(false)));
    assert!(found.iter().any(|f| f.starts_with("MC411 ")), "{found:#?}");
    assert!(
        !found
            .iter()
            .any(|f| f.starts_with("MC45") || f.ends_with("[confirmed]")),
        "{found:#?}"
    );
}

/// A table created and indexed (and retyped in a DO block) in the same migration is empty in
/// production: nothing is reported.
#[test]
fn tables_created_in_the_same_migration_are_ignored() {
    if binaries().is_none() {
        return;
    }
    let found = lock_findings(&run(&PathBuf::from(FIXTURES).join("pass_new_table"), &options(true)));
    assert!(found.is_empty(), "{found:#?}");
}

/// `CREATE INDEX … ON ONLY` a partitioned table leaves the parent's index invalid.
#[test]
fn invalid_index_left_behind() {
    if binaries().is_none() {
        return;
    }
    let found = lock_findings(&run(
        &PathBuf::from(FIXTURES).join("fail_invalid_index"),
        &options(true),
    ));
    assert!(
        found.contains(
            &"MC453 000002_index_events.up.sql:3: measured in the up: this statement left index `events_at_idx` on `events` \
              invalid, and it is still invalid when the script ends"
                .to_string()
        ),
        "{found:#?}"
    );
    // The parent is locked SHARE for a moment, without a scan (locks.md row 38): a bare lock of
    // DDL the static rules read is theirs to judge, so no MC450 (the down's DROP INDEX is MC402,
    // confirmed).
    assert!(!found.iter().any(|f| f.starts_with("MC450")), "{found:#?}");
}

/// goose `NO TRANSACTION`: autocommit statements are measured in a transaction of their own
/// unless they cannot run in one (CREATE INDEX CONCURRENTLY, VACUUM FULL: sent again on their own,
/// judged by their documented behaviour, rewrites still measured); a LOCK TABLE outside a
/// transaction still fails as it does for the runner.
#[test]
fn autocommit_statements_keep_the_runners_semantics() {
    if binaries().is_none() {
        return;
    }
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("db/migrations");
    sandbox.file(
        "db/migrations/00001_users.sql",
        "-- +goose Up\nCREATE TABLE users (id int PRIMARY KEY, email text);\n-- +goose Down\nDROP TABLE users;\n",
    );
    sandbox.file(
        "db/migrations/00002_index.sql",
        "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\
         VACUUM FULL users;\nDO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN n bigint DEFAULT random()'; END $$;\n\
         -- +goose Down\nDROP INDEX CONCURRENTLY users_email_idx;\nALTER TABLE users DROP COLUMN n;\n",
    );
    let found = lock_findings(&run(&dir, &options(true)));
    let expected = [
        "MC422 00002_index.sql:4: `VACUUM FULL` rewrites existing table `users` and its indexes under ACCESS EXCLUSIVE [confirmed]",
        "MC451 00002_index.sql:5: measured in the up: this statement rewrote existing table `users` (the table, index `users_pkey` got a new file) under AccessExclusiveLock",
    ];
    let found: Vec<&String> = found
        .iter()
        .filter(|f| !f.starts_with("MC431") && !f.starts_with("MC440"))
        .collect();
    assert_eq!(found, expected, "{found:#?}");

    sandbox.file(
        "db/migrations/00003_lock.sql",
        "-- +goose NO TRANSACTION\n-- +goose Up\nLOCK TABLE users;\n-- +goose Down\nSELECT 1;\n",
    );
    let outcome = check_with(&[dir], &options(true)).unwrap();
    let failed: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule.code)
        .filter(|c| *c == "MC301")
        .collect();
    assert_eq!(
        failed,
        ["MC301"],
        "LOCK TABLE outside a transaction fails for goose, measured or not"
    );
}

/// With `--base`, a table created by a migration added since the base is new (empty in
/// production): the measurement ignores it, as the static rules do; without the base it is
/// an existing table.
#[test]
fn branch_new_tables_are_exempt_with_base() {
    if binaries().is_none() {
        return;
    }
    let sandbox = Sandbox::new();
    let root = sandbox.path().join("repo");
    let up = |name: &str, sql: &str, down: &str| {
        sandbox.file(&format!("repo/migrations/{name}.up.sql"), sql);
        sandbox.file(&format!("repo/migrations/{name}.down.sql"), down);
    };
    up(
        "000001_users",
        "CREATE TABLE users (id int PRIMARY KEY);\n",
        "DROP TABLE users;\n",
    );
    common::git(&root, &["init", "-q", "-b", "main"]);
    common::git(&root, &["add", "-A"]);
    common::git(&root, &["commit", "-qm", "base"]);
    common::git(&root, &["checkout", "-qb", "feature"]);
    up(
        "000002_orders",
        "CREATE TABLE orders (id int, total int);\n",
        "DROP TABLE orders;\n",
    );
    up(
        "000003_orders_total",
        "DO $$ BEGIN EXECUTE 'ALTER TABLE orders ALTER COLUMN total TYPE bigint'; END $$;\n",
        "ALTER TABLE orders ALTER COLUMN total TYPE int;\n",
    );
    common::git(&root, &["add", "-A"]);
    common::git(&root, &["commit", "-qm", "feature"]);
    let dir = root.join("migrations");

    let without = lock_findings(&run(&dir, &options(true)));
    assert!(
        without
            .iter()
            .any(|f| f.starts_with("MC451 000003_orders_total.up.sql:1:")),
        "{without:#?}"
    );
    let with_base = Options {
        base: Some("main".into()),
        all: true,
        ..options(true)
    };
    let found = lock_findings(&run(&dir, &with_base));
    assert!(found.is_empty(), "{found:#?}");
}

/// Measuring does not change what succeeds: `SET TRANSACTION` first in a golang-migrate file
/// (one implicit transaction) still works, and `CREATE INDEX CONCURRENTLY` beside another
/// statement in one still fails as in the runner's implicit transaction block.
#[test]
fn measuring_keeps_transaction_semantics() {
    if binaries().is_none() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.migration(
        "ok",
        "000001_users",
        "CREATE TABLE users (id int);\n",
        "DROP TABLE users;\n",
    );
    let ok = sandbox.migration(
        "ok",
        "000002_serializable",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a int;\n",
        "ALTER TABLE users DROP COLUMN a;\n",
    );
    run(&ok, &options(true));

    sandbox.migration(
        "bad",
        "000001_users",
        "CREATE TABLE users (id int);\n",
        "DROP TABLE users;\n",
    );
    let bad = sandbox.migration(
        "bad",
        "000002_concurrently",
        "ALTER TABLE users ADD COLUMN a int;\nCREATE INDEX CONCURRENTLY users_a_idx ON users (a);\n",
        "DROP INDEX users_a_idx;\nALTER TABLE users DROP COLUMN a;\n",
    );
    for measure in [true, false] {
        let outcome = check_with(std::slice::from_ref(&bad), &options(measure)).unwrap();
        let failed: Vec<String> = outcome
            .findings
            .iter()
            .filter(|f| f.rule.code == "MC301")
            .map(|f| format!("{}:{}", f.location.line_col().0, f.message))
            .collect();
        assert_eq!(
            failed,
            ["2:the server rejected the up: CREATE INDEX CONCURRENTLY cannot run inside a transaction block (25001)"],
            "measure={measure}"
        );
    }
}

/// A migration that puts look-alikes of the catalog objects the measurement reads first on its
/// search_path (an `=` on oids that fails, `pg_backend_pid()`, a `pg_locks` view) neither breaks
/// nor fools it: every name and operator it uses is `pg_catalog`'s.
#[test]
fn catalog_lookalikes_cannot_break_or_forge_the_measurement() {
    if binaries().is_none() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.migration(
        "evil",
        "000001_t",
        "CREATE TABLE t (id int, v int);\n",
        "DROP TABLE t;\n",
    );
    let dir = sandbox.migration(
        "evil",
        "000002_lookalikes",
        "CREATE FUNCTION public.evil_eq(oid, oid) RETURNS boolean LANGUAGE sql AS 'SELECT 1/0 = 1';\n\
         CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.evil_eq);\n\
         CREATE FUNCTION public.pg_backend_pid() RETURNS int LANGUAGE sql AS 'SELECT 1/0';\n\
         CREATE VIEW public.pg_locks AS SELECT 0 AS pid, 'AccessExclusiveLock'::text AS mode;\n\
         SET LOCAL search_path = public, pg_catalog;\n\
         ALTER TABLE t ALTER COLUMN v TYPE bigint;\n\
         CREATE INDEX t_v ON t (v);\n",
        "DROP INDEX public.t_v;\nALTER TABLE public.t ALTER COLUMN v TYPE int;\nDROP VIEW public.pg_locks;\n\
         DROP FUNCTION public.pg_backend_pid();\nDROP OPERATOR public.= (oid, oid);\nDROP FUNCTION public.evil_eq(oid, oid);\n",
    );
    let found = lock_findings(&run(&dir, &options(true)));
    let confirmed: Vec<&str> = found
        .iter()
        .filter(|f| f.ends_with("[confirmed]"))
        .map(|f| f.split(':').next().unwrap())
        .collect();
    assert_eq!(
        confirmed,
        [
            "MC401 000002_lookalikes.up.sql",
            "MC402 000002_lookalikes.down.sql",
            "MC420 000002_lookalikes.down.sql",
            "MC420 000002_lookalikes.up.sql"
        ],
        "{found:#?}"
    );
}

/// The measurement wins, without a server: given measured facts for two statements, the static
/// finding they confirm stays (saying so), the one they refute goes, and a statement not measured
/// keeps its static findings.
#[test]
fn reconcile_keeps_confirmed_and_drops_refuted_static_findings() {
    use migproof::checks::locks::Direction;
    use migproof::roundtrip::measure::{Measured, TableFacts, reconcile};

    let fixture = PathBuf::from(FIXTURES).join("fail_do_block_rewrite");
    let outcome = check(std::slice::from_ref(&fixture)).unwrap();
    let set = &outcome.sets[0];
    let at = |name: &str, line: usize| {
        let id = set.files.iter().position(|f| f.display.ends_with(name)).unwrap();
        let text = set.files[id].text.as_ref().unwrap();
        let start: usize = text.lines().take(line - 1).map(|l| l.len() + 1).sum();
        (id, start..start + text.lines().nth(line - 1).unwrap().len())
    };
    let watched = std::sync::Arc::new(["accounts", "orders"].map(String::from).into_iter().collect());
    let measured = |(file, span): (usize, std::ops::Range<usize>), tables: Vec<TableFacts>| Measured {
        path: set.files[file].display.clone(),
        file,
        span,
        direction: Direction::Up,
        complete: true,
        tables,
        invalid: Vec::new(),
        watched: std::sync::Arc::clone(&watched),
    };
    let facts = vec![
        // SET NOT NULL proven by a valid CHECK: ACCESS EXCLUSIVE held, no scan.
        measured(
            at("000004_email_required.up.sql", 9),
            vec![TableFacts {
                table: "accounts".into(),
                relname: "accounts".into(),
                held: Some("AccessExclusiveLock".into()),
                ..TableFacts::default()
            }],
        ),
        // The direct type change: rewritten.
        measured(
            at("000003_orders_bigint.up.sql", 1),
            vec![TableFacts {
                table: "orders".into(),
                relname: "orders".into(),
                lock: Some("AccessExclusiveLock".into()),
                rewritten: vec![String::new()],
                ..TableFacts::default()
            }],
        ),
    ];
    let mut findings = outcome.findings.clone();
    reconcile(set, &facts, &mut findings);
    let summary = |f: &migproof::checks::Finding| {
        let (line, _) = f.location.line_col();
        let file = Path::new(&f.location.path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let confirmed = f
            .help
            .as_deref()
            .is_some_and(|h| h.contains("confirmed by --roundtrip"));
        format!(
            "{} {file}:{line}{}",
            f.rule.code,
            if confirmed { " [confirmed]" } else { "" }
        )
    };
    let before: Vec<String> = outcome.findings.iter().map(summary).collect();
    let after: Vec<String> = findings.iter().map(summary).collect();
    assert!(
        before.contains(&"MC411 000004_email_required.up.sql:9".to_string()),
        "{before:#?}"
    );
    assert!(!after.iter().any(|f| f.starts_with("MC411 ")), "refuted: {after:#?}");
    assert!(
        after.contains(&"MC420 000003_orders_bigint.up.sql:1 [confirmed]".to_string()),
        "{after:#?}"
    );
    // Not measured: kept as it was.
    assert!(
        after.contains(&"MC401 000003_orders_bigint.up.sql:2".to_string()),
        "{after:#?}"
    );
    assert_eq!(before.len(), after.len() + 1, "{before:#?}\n{after:#?}");
}
