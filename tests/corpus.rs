//! Runs migproof over the real migration directories in `../shared/corpus` (skips cleanly when
//! the folder is absent) and records what it finds per directory in the test output
//! (`cargo test --test corpus -- --nocapture`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

const CORPUS: &str = "../shared/corpus";

/// The corpus (`MIGPROOF_CORPUS` overrides where it is), or `None` after a skip line when it is
/// absent (a failure under `CI=true`).
fn corpus() -> Option<PathBuf> {
    let configured = std::env::var("MIGPROOF_CORPUS").unwrap_or_else(|_| CORPUS.to_string());
    let p = Path::new(&configured);
    if p.is_dir() {
        Some(p.to_path_buf())
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{configured} is absent, and CI=true needs it");
    } else {
        eprintln!("skipped: {configured} is absent");
        None
    }
}

/// Checks one directory and prints a line: format, migrations, findings by code, time.
fn check(dir: &Path) -> migproof::Outcome {
    let started = Instant::now();
    let mut outcome = migproof::check(&[dir.to_path_buf()]).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    // The lock-safety warnings (MC4xx) are asserted by their own fixtures and tests/locks_replay.rs
    // against measured facts; these tests are about runners and syntax. Their count is printed.
    let locks = outcome.findings.len();
    outcome
        .findings
        .retain(|f| !migproof::checks::locks::is_lock_rule(f.rule));
    let locks = locks - outcome.findings.len();
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &outcome.findings {
        *by_code.entry(f.rule.code).or_default() += 1;
    }
    let formats: BTreeSet<&str> = outcome.sets.iter().map(|s| s.format).collect();
    eprintln!(
        "{}: format {:?}, {} migrations, findings {:?} (and {locks} lock-safety warnings), {:.1} ms",
        dir.display(),
        formats,
        outcome.summary().migrations,
        by_code,
        started.elapsed().as_secs_f64() * 1000.0
    );
    outcome
}

fn errors(outcome: &migproof::Outcome) -> Vec<String> {
    outcome
        .findings
        .iter()
        .filter(|f| f.severity == migproof::checks::Severity::Error)
        .map(|f| format!("{} {}: {}", f.rule.code, f.location.path, f.message))
        .collect()
}

#[test]
fn coder_has_no_errors() {
    let Some(root) = corpus() else { return };
    let outcome = check(&root.join("coder__coder/coderd/database/migrations"));
    assert_eq!(outcome.sets[0].format, "golang-migrate");
    assert_eq!(outcome.summary().migrations, 362);
    assert_eq!(errors(&outcome), Vec::<String>::new());
}

#[test]
fn holomush_has_no_errors() {
    let Some(root) = corpus() else { return };
    let outcome = check(&root.join("holomush__holomush/internal/store/migrations"));
    assert_eq!(outcome.summary().migrations, 44);
    assert_eq!(errors(&outcome), Vec::<String>::new());
    // The real numbering gap 000020 -> 000030 is a warning.
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.rule.code == "MC004" && f.message.contains("000030"))
    );
}

/// The down files of zksync-era that PostgreSQL rejects, each verified by reading it.
const ZKSYNC_BROKEN: &[&str] = &[
    "20220204223302_transactions_new_mempool.down.sql", // ALTER TABLE … DELETE COLUMN
    "20220815130828_support_eip1559.down.sql",          // DROP COLUMN … NUMERIC(80)
    "20220930085018_add_proof_aggregations.down.sql",   // DELETE COLUMN
    "20221001090302_add_proof_result.down.sql",         // DELETE COLUMN
    "20221002190817_add_circuit_id_to_proofs.down.sql", // DELETE COLUMN
    "20221202102801_events-tx-initiator-address.down.sql", // DROP COLUMN … BYTEA
    "20240112194527_snapshots_applier_processed_chunks_format_change.down.sql", // ADD COLUMN x NOT NULL, no type
    "20240205123456_add_genesis_to_consensus_replica_state.down.sql", // DROP COLUMN … JSONB
    "20240925103531_gateway_upgrade.down.sql",          // DROP COLUMN … BYTEA
    "20241011081834_batch_chain_merkle_path.down.sql",  // DROP COLUMN … BYTEA
    "20250402131932_add_dispatch_request_id.down.sql",  // SET NOT NULL DEFAULT ''
    "20250822160137_indexes-for-finalization.down.sql", // DROP INDEX IF EXIST
];

#[test]
fn zksync_syntax_errors_are_exactly_the_broken_downs() {
    let Some(root) = corpus() else { return };
    let outcome = check(&root.join("matter-labs__zksync-era/core/lib/dal/migrations"));
    assert_eq!(outcome.sets[0].format, "sqlx");
    let found: BTreeSet<&str> = outcome
        .findings
        .iter()
        .filter(|f| f.rule.code == "MC201")
        .map(|f| f.location.path.rsplit('/').next().unwrap())
        .collect();
    let expected: BTreeSet<&str> = ZKSYNC_BROKEN.iter().copied().collect();
    assert_eq!(found, expected);
    // The mismatched pair (13 vs 14 in the time) is an orphan down plus a missing down.
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.rule.code == "MC102" && f.location.path.contains("20240325133100"))
    );
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.rule.code == "MC101" && f.location.path.contains("20240325143100"))
    );
    // The impossible month and the 15-digit version are invalid timestamps.
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.rule.code == "MC005" && f.location.path.contains("20241812144402"))
    );
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.rule.code == "MC005" && f.location.path.contains("202601016134308"))
    );
}

#[test]
fn whole_corpus_never_panics_and_reports_every_directory() {
    let Some(root) = corpus() else { return };
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    for project in projects {
        // A project with no directory in a format migproof knows yet is an error, not a panic.
        match migproof::check(std::slice::from_ref(&project)) {
            Ok(outcome) => {
                let _ = migproof::report::human::render(&outcome, &migproof::report::human::Style::plain());
                let _ = migproof::report::json::render(&outcome);
                check(&project);
            }
            Err(e) => eprintln!("{}: {e}", project.display()),
        }
    }
}

fn count(outcome: &migproof::Outcome, code: &str) -> usize {
    outcome.findings.iter().filter(|f| f.rule.code == code).count()
}

fn has(outcome: &migproof::Outcome, code: &str, path_part: &str) -> bool {
    outcome
        .findings
        .iter()
        .any(|f| f.rule.code == code && f.location.path.contains(path_part))
}

#[test]
fn hatchet_is_goose_with_sections_parsed_separately() {
    let Some(root) = corpus() else { return };
    let outcome = check(&root.join("hatchet-dev__hatchet/cmd/hatchet-migrate/migrate/migrations"));
    assert_eq!(outcome.sets[0].format, "goose");
    assert_eq!(outcome.summary().migrations, 224);
    assert_eq!(errors(&outcome), Vec::<String>::new());
    // Parsed as one script, an Up whose last statement has no `;` runs into the Down.
    assert_eq!(count(&outcome, "MC201"), 0);
    // 88 files have `-- +goose Up` and no Down: goose's down is optional, so warnings.
    assert_eq!(count(&outcome, "MC101"), 88);
    // NO TRANSACTION (31 files in upper case, 2 in lower case) is read in any case.
    let no_tx = outcome.sets[0]
        .migrations
        .iter()
        .filter(|m| m.up.as_ref().is_some_and(|s| s.no_transaction))
        .count();
    assert_eq!(no_tx, 33);
    // The other warnings are Down sections that hold only an empty StatementBegin/End block.
    assert_eq!(outcome.findings.len(), 88 + count(&outcome, "MC104"));
    // Two files share the name part `v1_0_25` with different timestamps: goose keys on the
    // version, so that is no duplicate (and none is reported).
    assert_eq!(count(&outcome, "MC001"), 0);
    // The 9 Go migrations that were left out leave holes, but timestamps never get MC004.
    assert_eq!(count(&outcome, "MC004"), 0);
}

#[test]
fn supabase_is_dbmate_including_init_scripts() {
    let Some(root) = corpus() else { return };
    let outcome = check(&root.join("supabase__postgres/migrations/db/migrations"));
    assert_eq!(outcome.sets[0].format, "dbmate");
    assert_eq!(outcome.summary().migrations, 30);
    assert_eq!(errors(&outcome), Vec::<String>::new());
    // Every `-- migrate:down` section is empty: none can be reversed.
    assert_eq!(count(&outcome, "MC104"), 30);
    assert!(
        outcome
            .findings
            .iter()
            .filter(|f| f.rule.code == "MC104")
            .all(|f| f.message.contains("down"))
    );
    // The first version, `10000000000000`, is no real timestamp (month 00), but dbmate runs
    // it first, as intended: nothing to report (issue 13, item 5).
    assert!(!has(&outcome, "MC005", "10000000000000_demote-postgres.sql"));
    assert_eq!(outcome.findings.len(), 30);

    // The init-scripts use `-` after the version; dbmate takes the leading digits, so they are
    // migrations too. Their 14-digit versions are sequence numbers (year 0000), not dates.
    let init = check(&root.join("supabase__postgres/migrations/db/init-scripts"));
    assert_eq!(init.sets[0].format, "dbmate");
    assert_eq!(init.summary().migrations, 4);
    assert_eq!(errors(&init), Vec::<String>::new());
    assert_eq!(count(&init, "MC005"), 0);
    assert_eq!(count(&init, "MC003"), 0);
    assert_eq!(count(&init, "MC104"), 4);

    // Walking the parent finds both directories.
    let both = check(&root.join("supabase__postgres/migrations/db"));
    assert_eq!(both.sets.len(), 2);
}

#[test]
fn marquez_is_flyway() {
    let Some(root) = corpus() else { return };
    let outcome = check(&root.join("MarquezProject__marquez/api/src/main/resources/marquez/db/migration"));
    let set = &outcome.sets[0];
    assert_eq!(set.format, "flyway");
    // 81 versioned migrations; the 3 repeatables are parse-checked but not numbered.
    assert_eq!(set.migrations.len(), 81);
    assert_eq!(set.others.len(), 3);
    assert_eq!(outcome.summary().files, 84);
    assert_eq!(errors(&outcome), Vec::<String>::new());
    // Decimal versions are distinct (V17.1, V17.2) and ordered part by part.
    assert_eq!(count(&outcome, "MC001"), 0);
    // V56 and V57 are Java migrations (not copied): Flyway allows gaps and dotted versions are
    // never gap-checked. No undo files at all: the project does not use undo, so no MC101.
    // Unpadded V1..V9 beside V10.. is Flyway's convention, so no MC002.
    assert_eq!(outcome.findings.len(), 0, "{:?}", errors(&outcome));
}

#[test]
fn ghostfolio_is_prisma() {
    let Some(root) = corpus() else { return };
    let outcome = check(&root.join("ghostfolio__ghostfolio/prisma/migrations"));
    assert_eq!(outcome.sets[0].format, "prisma");
    assert_eq!(outcome.summary().migrations, 121);
    assert_eq!(errors(&outcome), Vec::<String>::new());
    // Hour 34 is not a time, but the migration still runs where 2023-06-15 10:55:44 would:
    // nothing to report.
    assert!(!has(&outcome, "MC005", "20230614345544_added_liability_to_order_type"));
    // `… copy` (with a space) is a real, applied Prisma migration name: Prisma keys migrations by
    // folder name, and renaming it would break deployed histories, so nothing is reported. The
    // lock file says postgresql (no schema.prisma was copied, so PostgreSQL is expected): fine.
    // Explicit BEGIN/COMMIT in 4 files is legal (Prisma does not wrap PostgreSQL migrations).
    assert!(
        outcome.sets[0]
            .migrations
            .iter()
            .any(|m| m.name == "added_api_keys_to_user copy")
    );
    assert_eq!(outcome.findings.len(), 0);
}

/// Finds of `code` in `outcome`, as paths relative to the set's directory.
fn paths_of(outcome: &migproof::Outcome, code: &str) -> BTreeSet<String> {
    let root = &outcome.sets[0].display;
    outcome
        .findings
        .iter()
        .filter(|f| f.rule.code == code)
        .map(|f| {
            f.location
                .path
                .strip_prefix(root.as_str())
                .unwrap_or(&f.location.path)
                .trim_start_matches('/')
                .to_string()
        })
        .collect()
}

#[test]
fn crates_io_is_diesel_with_its_oddities() {
    let Some(root) = corpus() else { return };
    let outcome = check(&root.join("rust-lang__crates.io/migrations"));
    assert_eq!(
        outcome.sets.len(),
        1,
        "the migration subdirectories are not sets of their own"
    );
    let set = &outcome.sets[0];
    assert_eq!(set.format, "diesel");
    assert_eq!(set.migrations.len(), 285);
    // 285 up + 285 down + 7 metadata.toml; the top-level data script is not part of the set.
    assert_eq!(set.files.len(), 577);

    // The only syntax error is the down with a missing `;`.
    assert_eq!(
        paths_of(&outcome, "MC201"),
        BTreeSet::from(["20170318181441_downloads_need_no_id/down.sql".to_string()])
    );
    // The CONCURRENTLY down without metadata.toml fails inside diesel's transaction (both of
    // its CREATE INDEX CONCURRENTLY statements); the 7 dirs with `run_in_transaction = false`
    // and the files that mention CONCURRENTLY only in comments or in REFRESH MATERIALIZED VIEW
    // CONCURRENTLY raise nothing.
    assert_eq!(
        paths_of(&outcome, "MC021"),
        BTreeSet::from(["2024-04-12-144536_remove-downloads-column/down.sql".to_string()])
    );
    let no_tx = set
        .migrations
        .iter()
        .filter(|m| m.up.as_ref().is_some_and(|s| s.no_transaction))
        .count();
    assert_eq!(no_tx, 7);
    // Those are all the errors: no false ones.
    let errors = errors(&outcome);
    assert_eq!(errors.len(), 3, "{errors:#?}");

    // Two versions that differ only by the `-0000` suffix are distinct digit strings to diesel
    // (20260527120000 and 202605271200000000): no duplicate, and the shorter one runs first.
    assert!(paths_of(&outcome, "MC001").is_empty());
    let position = |name: &str| set.migrations.iter().position(|m| m.name == name).unwrap();
    assert!(position("add_username_to_users") < position("semver_ord_v2_not_null"));
    // The 24 suffixed versions are judged by their 14-digit timestamp. Three hand-written
    // seconds past 59 (10:37:60, :61, :63) are counters that diesel runs in their intended
    // order: no finding (issue 13, item 5).
    assert!(paths_of(&outcome, "MC005").is_empty());
    // The directory with spaces is an ordinary migration.
    assert!(
        set.migrations
            .iter()
            .any(|m| m.name == "Add email notifications to crate owners" && m.down.is_some())
    );
    // `data_oauth_github.sql` sits at the top level, where diesel never looks; it is not named
    // like a migration (no version), so it is a data script, not a misplaced migration: no MC003.
    assert!(paths_of(&outcome, "MC003").is_empty());
    assert!(
        !outcome
            .findings
            .iter()
            .any(|f| f.location.path.contains("data_oauth_github"))
    );
    // The first migration is diesel's all-zero initial setup, accepted as a timestamp.
    assert_eq!(set.migrations[0].name, "diesel_initial_setup");
}

#[test]
fn memorall_is_a_ts_registry_with_its_oddities() {
    let Some(root) = corpus() else { return };
    let outcome = check(&root.join("zrg-team__memorall/src/services/database/migrations"));
    let set = &outcome.sets[0];
    assert_eq!(set.format, "ts-registry");
    // initial.ts (version 1) and 002_example_future_migration.ts; index.ts is the registry.
    assert_eq!(set.migrations.len(), 2);
    let registry = set.registry.as_ref().expect("index.ts is read as the registry");
    // Only `initial` is registered: the 002 entry (and its import) are commented out.
    assert_eq!(registry.entries.len(), 1);
    assert_eq!(registry.entries[0].id.as_deref(), Some("initial"));
    assert_eq!(registry.entries[0].version, Some(1));
    // So the 002 example module is a migration file that never runs: the one finding.
    let found: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule.code, f.location.path.rsplit('/').next().unwrap()))
        .collect();
    assert_eq!(found, ["MC022 002_example_future_migration.ts"]);
    // There is no 001 file, but none is missing: initial.ts is version 1, so 1 → 2 has no gap
    // (no MC004), and the registry's versions (just 1) start at 1 (no MC025).
    // The initial schema's SQL (extensions vector/pg_trgm/uuid-ossp, tables, plpgsql
    // functions) was parsed from the template literal with no syntax error, and initial.ts
    // has no `down` (optional in this registry), which is not a finding.
    let initial = &set.migrations[0];
    assert_eq!(initial.name, "initial");
    assert!(initial.down.is_none());
    assert!(initial.up.as_ref().unwrap().sql.as_ref().unwrap().statements.len() > 10);
}

/// The folders whose runners the `formats` work models; `tests/corpus_runners.rs` asserts them.
const OWNED_ELSEWHERE: &[&str] = &[
    "RHEnVision__provisioning-backend",
    "homarr-labs__homarr",
    "Cap-go__capgo",
    "Comfy-Org__registry-backend",
    "Tamarou__Registry",
    "hirosystems__stacks-blockchain-api",
    "openmeterio__openmeter",
];

/// One corpus folder: every migration directory found in it with its runner, how migproof knows
/// that runner and the database it is written for, and every error finding by code and file.
struct Folder {
    name: &'static str,
    /// `(directory, runner, certainty, database)`, paths relative to the folder.
    sets: &'static [(&'static str, &'static str, &'static str, Option<&'static str>)],
    /// `(code, file)` of every error finding (once per finding), each real: the comment says why.
    errors: &'static [(&'static str, &'static str)],
}

const HAWKBIT: &str = "hawkbit-repository/hawkbit-repository-jpa-flyway/src/main/resources/db/migration";
const FLOWISE: &str = "packages/server/src/database/migrations";
const QUICKWIT: &str = "quickwit/quickwit-metastore/migrations";

static FOLDERS: &[Folder] = &[
    Folder {
        name: "ArroyoSystems__arroyo",
        sets: &[
            ("crates/arroyo-api/migrations", "refinery", "project", None),
            // `sqlite_migrations` is the SQLite set: judged by SQLite's grammar, not PostgreSQL's.
            (
                "crates/arroyo-api/sqlite_migrations",
                "refinery",
                "project",
                Some("sqlite3"),
            ),
        ],
        errors: &[],
    },
    Folder {
        name: "FlowiseAI__Flowise",
        sets: &[
            (
                concat!("packages/server/src/database/migrations", "/mariadb"),
                "typeorm",
                "project",
                Some("mariadb"),
            ),
            (
                concat!("packages/server/src/database/migrations", "/mysql"),
                "typeorm",
                "project",
                Some("mysql"),
            ),
            (
                concat!("packages/server/src/database/migrations", "/postgres"),
                "typeorm",
                "project",
                Some("postgres"),
            ),
            (
                concat!("packages/server/src/database/migrations", "/sqlite"),
                "typeorm",
                "project",
                Some("sqlite3"),
            ),
        ],
        // Escaped template literals are not analysed (a note), never an orphan down.
        errors: &[],
    },
    Folder {
        name: "MarquezProject__marquez",
        sets: &[("api/src/main/resources/marquez/db/migration", "flyway", "names", None)],
        errors: &[],
    },
    Folder {
        name: "atuinsh__atuin",
        sets: &[
            (
                "crates/atuin-server-postgres/migrations",
                "sqlx",
                "project",
                Some("postgres"),
            ),
            (
                "crates/atuin-server-sqlite/migrations",
                "sqlx",
                "project",
                Some("sqlite3"),
            ),
        ],
        errors: &[],
    },
    Folder {
        name: "bionic-gpt__bionic-gpt",
        // Named by `.devcontainer/bash_aliases`; its file with two up/down sections is a
        // warning (dbmate runs both since v2.29.0).
        sets: &[("crates/db/migrations", "dbmate", "project", None)],
        errors: &[],
    },
    Folder {
        name: "coder__coder",
        sets: &[("coderd/database/migrations", "golang-migrate", "names", None)],
        errors: &[],
    },
    Folder {
        name: "dani-garcia__vaultwarden",
        sets: &[
            ("migrations/mysql", "diesel", "project", Some("mysql")),
            ("migrations/postgresql", "diesel", "project", Some("postgres")),
            ("migrations/sqlite", "diesel", "project", Some("sqlite3")),
        ],
        errors: &[],
    },
    Folder {
        name: "documenso__documenso",
        sets: &[("packages/prisma/migrations", "prisma", "project", Some("postgres"))],
        errors: &[],
    },
    Folder {
        name: "eclipse-hawkbit__hawkbit",
        sets: &[
            // H2 has no grammar in migproof (a note); MySQL is sqlparser's (warnings).
            (
                concat!(
                    "hawkbit-repository/hawkbit-repository-jpa-flyway/src/main/resources/db/migration",
                    "/H2"
                ),
                "flyway",
                "project",
                Some("h2"),
            ),
            (
                concat!(
                    "hawkbit-repository/hawkbit-repository-jpa-flyway/src/main/resources/db/migration",
                    "/MYSQL"
                ),
                "flyway",
                "project",
                Some("mysql"),
            ),
            (
                concat!(
                    "hawkbit-repository/hawkbit-repository-jpa-flyway/src/main/resources/db/migration",
                    "/POSTGRESQL"
                ),
                "flyway",
                "project",
                Some("postgres"),
            ),
        ],
        errors: &[],
    },
    Folder {
        name: "flipt-io__flipt",
        // golang-migrate's downs are optional and flipt writes none: no missing-down at all.
        sets: &[
            (
                "config/migrations/clickhouse",
                "golang-migrate",
                "project",
                Some("clickhouse"),
            ),
            (
                "config/migrations/cockroachdb",
                "golang-migrate",
                "project",
                Some("cockroachdb"),
            ),
            ("config/migrations/mysql", "golang-migrate", "project", Some("mysql")),
            (
                "config/migrations/postgres",
                "golang-migrate",
                "project",
                Some("postgres"),
            ),
            (
                "config/migrations/sqlite3",
                "golang-migrate",
                "project",
                Some("sqlite3"),
            ),
        ],
        errors: &[],
    },
    Folder {
        name: "fluidity-money__fluidity-app",
        sets: &[
            ("database/100-up-sql-shared", "dbmate", "project", None),
            ("database/101-up-postgres", "dbmate", "project", Some("postgres")),
            ("database/102-up-timescale", "dbmate", "project", Some("postgres")),
        ],
        errors: &[
            // Down section: `ALTER TABLE … DROP_COLUMN epoch_blocks_size` (no such keyword).
            (
                "MC201",
                "database/101-up-postgres/20230315104305-worker_config_add_epoch_size.sql",
            ),
            // Down section: `DROP COLUMN fee_switch_recipient_original_address VARCHAR` (a type after DROP COLUMN).
            (
                "MC201",
                "database/102-up-timescale/20230516102403-worker_emissions_add_fee_switch_special_pool_options.sql",
            ),
            // A `DELETE FROM … WHERE …` list ends without `;` before the next `DELETE`.
            (
                "MC201",
                "database/102-up-timescale/20240111140041-lootbottles_reward_ambassadors_and_launch_epoch_2.sql",
            ),
        ],
    },
    Folder {
        name: "ghostfolio__ghostfolio",
        sets: &[("prisma/migrations", "prisma", "content", Some("postgres"))],
        errors: &[],
    },
    Folder {
        name: "goharbor__harbor",
        // Named by `src/go.mod` (below the root); no downs by design.
        sets: &[(
            "make/migrations/postgresql",
            "golang-migrate",
            "project",
            Some("postgres"),
        )],
        errors: &[],
    },
    Folder {
        name: "hatchet-dev__hatchet",
        sets: &[("cmd/hatchet-migrate/migrate/migrations", "goose", "content", None)],
        errors: &[],
    },
    Folder {
        name: "heroiclabs__nakama",
        // `…540-…-1` and `…-2` are two sql-migrate ids; `COMMIT;` before CONCURRENTLY ends the
        // transaction sql-migrate opened.
        sets: &[("migrate/sql", "sql-migrate", "project", None)],
        errors: &[],
    },
    Folder {
        name: "holomush__holomush",
        sets: &[("internal/store/migrations", "golang-migrate", "names", None)],
        errors: &[],
    },
    Folder {
        name: "matter-labs__zksync-era",
        sets: &[("core/lib/dal/migrations", "sqlx", "names", None)],
        errors: &[
            // `ALTER TABLE … DELETE COLUMN` (DROP COLUMN).
            (
                "MC201",
                "core/lib/dal/migrations/20220204223302_transactions_new_mempool.down.sql",
            ),
            // `DROP COLUMN … NUMERIC(80)`: a type after DROP COLUMN.
            (
                "MC201",
                "core/lib/dal/migrations/20220815130828_support_eip1559.down.sql",
            ),
            // `DELETE COLUMN`.
            (
                "MC201",
                "core/lib/dal/migrations/20220930085018_add_proof_aggregations.down.sql",
            ),
            // `DELETE COLUMN`.
            (
                "MC201",
                "core/lib/dal/migrations/20221001090302_add_proof_result.down.sql",
            ),
            // `DELETE COLUMN`.
            (
                "MC201",
                "core/lib/dal/migrations/20221002190817_add_circuit_id_to_proofs.down.sql",
            ),
            // `DROP COLUMN … BYTEA`.
            (
                "MC201",
                "core/lib/dal/migrations/20221202102801_events-tx-initiator-address.down.sql",
            ),
            // Two `ADD COLUMN x NOT NULL` without a type.
            (
                "MC201",
                "core/lib/dal/migrations/20240112194527_snapshots_applier_processed_chunks_format_change.down.sql",
            ),
            (
                "MC201",
                "core/lib/dal/migrations/20240112194527_snapshots_applier_processed_chunks_format_change.down.sql",
            ),
            // `DROP COLUMN … JSONB`.
            (
                "MC201",
                "core/lib/dal/migrations/20240205123456_add_genesis_to_consensus_replica_state.down.sql",
            ),
            // `DROP COLUMN … BYTEA`.
            (
                "MC201",
                "core/lib/dal/migrations/20240925103531_gateway_upgrade.down.sql",
            ),
            // `DROP COLUMN … BYTEA`.
            (
                "MC201",
                "core/lib/dal/migrations/20241011081834_batch_chain_merkle_path.down.sql",
            ),
            // `SET NOT NULL DEFAULT ''`.
            (
                "MC201",
                "core/lib/dal/migrations/20250402131932_add_dispatch_request_id.down.sql",
            ),
            // Five statements `DROP INDEX IF EXIST …` (EXISTS), one finding each.
            (
                "MC201",
                "core/lib/dal/migrations/20250822160137_indexes-for-finalization.down.sql",
            ),
            (
                "MC201",
                "core/lib/dal/migrations/20250822160137_indexes-for-finalization.down.sql",
            ),
            (
                "MC201",
                "core/lib/dal/migrations/20250822160137_indexes-for-finalization.down.sql",
            ),
            (
                "MC201",
                "core/lib/dal/migrations/20250822160137_indexes-for-finalization.down.sql",
            ),
            (
                "MC201",
                "core/lib/dal/migrations/20250822160137_indexes-for-finalization.down.sql",
            ),
        ],
    },
    Folder {
        name: "navidrome__navidrome",
        // SQLite from `db/db.go`: `goose.SetDialect(Dialect)` with `Dialect = "sqlite3"`.
        sets: &[("db/migrations", "goose", "project", Some("sqlite3"))],
        errors: &[],
    },
    Folder {
        name: "openfga__openfga",
        sets: &[
            ("assets/migrations/mysql", "goose", "project", Some("mysql")),
            ("assets/migrations/postgres", "goose", "project", Some("postgres")),
            ("assets/migrations/sqlite", "goose", "project", Some("sqlite3")),
        ],
        errors: &[],
    },
    Folder {
        name: "ory__hydra",
        // `replace github.com/ory/x => ./oryx`: popx, with its dialect fallback.
        sets: &[("persistence/sql/migrations", "popx", "project", None)],
        errors: &[],
    },
    Folder {
        name: "ovh__cds",
        sets: &[
            ("engine/sql/api", "sql-migrate", "project", None),
            ("engine/sql/cdn", "sql-migrate", "project", None),
        ],
        errors: &[
            // `-- +migrate Down;` is an unknown command to sql-migrate (sqlparse.go), so the down
            // statements run in the up and drop the constraint it just created.
            ("MC008", "engine/sql/api/021_workflow_constraint.sql"),
            // Down: `DROP TRIGGER "service_notify_event";` without `ON table`.
            ("MC201", "engine/sql/api/136_service_events.sql"),
            // `UPDATE … SET …, var_type = …, FROM …`: a comma before FROM.
            ("MC201", "engine/sql/api/190_application_variables.sql"),
            ("MC201", "engine/sql/api/191_project_variables.sql"),
            ("MC201", "engine/sql/api/192_environment_variables.sql"),
        ],
    },
    Folder {
        name: "quickwit-oss__quickwit",
        sets: &[
            (
                concat!("quickwit/quickwit-metastore/migrations", "/postgresql"),
                "sqlx",
                "project",
                Some("postgres"),
            ),
            (
                concat!("quickwit/quickwit-metastore/migrations", "/postgresql_deferred"),
                "sqlx",
                "project",
                Some("postgres"),
            ),
        ],
        errors: &[
            // `ALTER TABLE splits DROP IF EXISTS COLUMN node_id` (COLUMN IF EXISTS).
            (
                "MC201",
                "quickwit/quickwit-metastore/migrations/postgresql/19_add-split-node-id-field.down.sql",
            ),
            // `DROP IF EXISTS COLUMN doc_mapping_uid`.
            (
                "MC201",
                "quickwit/quickwit-metastore/migrations/postgresql/20_add-shard-doc-mapping-uid-field.down.sql",
            ),
        ],
    },
    Folder {
        name: "rust-lang__crates.io",
        sets: &[("migrations", "diesel", "content", None)],
        errors: &[
            // A missing comma between two statements' parts.
            ("MC201", "migrations/20170318181441_downloads_need_no_id/down.sql"),
            // Two `create index concurrently` in a down without `metadata.toml`: diesel runs it
            // in a transaction, which PostgreSQL refuses.
            ("MC021", "migrations/2024-04-12-144536_remove-downloads-column/down.sql"),
            ("MC021", "migrations/2024-04-12-144536_remove-downloads-column/down.sql"),
        ],
    },
    Folder {
        name: "supabase__auth",
        // pop, whose SQL is a Go template: `{{ index .Options "Namespace" }}.users` is rendered.
        sets: &[("migrations", "pop", "project", None)],
        errors: &[],
    },
    Folder {
        name: "supabase__postgres",
        sets: &[
            ("migrations/db/init-scripts", "dbmate", "content", None),
            ("migrations/db/migrations", "dbmate", "content", None),
        ],
        errors: &[],
    },
    Folder {
        name: "umami-software__umami",
        sets: &[("prisma/migrations", "prisma", "project", Some("postgres"))],
        errors: &[],
    },
    Folder {
        name: "zrg-team__memorall",
        sets: &[("src/services/database/migrations", "ts-registry", "content", None)],
        errors: &[
            // `002_example_future_migration.ts` is commented out of `index.ts`: it never runs.
            (
                "MC022",
                "src/services/database/migrations/002_example_future_migration.ts",
            ),
        ],
    },
];

/// Every corpus folder (but those asserted in `corpus_runners.rs`): the runner named for each
/// migration directory, and every error finding, each real. A new false alarm turns this red.
#[test]
fn every_folder_names_its_runners_and_only_real_errors() {
    let Some(root) = corpus() else { return };
    let _ = (HAWKBIT, FLOWISE, QUICKWIT);
    let mut on_disk: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !OWNED_ELSEWHERE.contains(&n.as_str()))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FOLDERS.iter().map(|f| f.name.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every corpus folder has an entry in FOLDERS");
    let mut failures = Vec::new();
    for folder in FOLDERS {
        let path = root.join(folder.name);
        let outcome = check(&path);
        let prefix = format!("{}/", path.display());
        let rel = |p: &str| p.strip_prefix(&prefix).unwrap_or(p).to_string();
        let sets: Vec<(String, String, String, Option<String>)> = outcome
            .sets
            .iter()
            .map(|s| {
                let certainty = serde_json::to_value(s.runner.certainty).unwrap();
                (
                    rel(&s.display),
                    s.runner.name.clone(),
                    certainty.as_str().unwrap().to_string(),
                    s.runner.dialect.clone(),
                )
            })
            .collect();
        let expected_sets: Vec<(String, String, String, Option<String>)> = folder
            .sets
            .iter()
            .map(|(d, r, c, dialect)| (d.to_string(), r.to_string(), c.to_string(), dialect.map(String::from)))
            .collect();
        if sets != expected_sets {
            failures.push(format!(
                "{}: sets {sets:#?}\n  expected {expected_sets:#?}",
                folder.name
            ));
        }
        let mut errors: Vec<(String, String)> = outcome
            .findings
            .iter()
            .filter(|f| f.severity == migproof::checks::Severity::Error)
            .map(|f| (f.rule.code.to_string(), rel(&f.location.path)))
            .collect();
        errors.sort();
        let mut expected: Vec<(String, String)> = folder
            .errors
            .iter()
            .map(|(c, p)| (c.to_string(), p.to_string()))
            .collect();
        expected.sort();
        if errors != expected {
            failures.push(format!("{}: errors {errors:#?}\n  expected {expected:#?}", folder.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
