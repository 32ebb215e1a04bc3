//! Syntax recall on the real migrations in `../shared/corpus`: every PostgreSQL directory is
//! checked, and its syntax findings (MC201) must be exactly the real errors listed here — each
//! found at its statement (file and line), none missed, none added. The verdict is
//! PostgreSQL's own parser (libpg_query), so every entry is a statement the server rejects.
//!
//! Directories written for other databases, or that are templates rendered before they run,
//! are the `runner` work's (tests/corpus.rs); only PostgreSQL directories are listed here.
//! Skips with a line when the corpus is absent (`MIGPROOF_CORPUS` overrides where it is); fails
//! instead under `CI=true`.

use std::collections::BTreeSet;
use std::path::Path;

const CORPUS: &str = "../shared/corpus";

/// (directory, [(file inside it, line of the broken statement's error, why it is real)]).
type Expected = (&'static str, &'static [(&'static str, usize, &'static str)]);

const ZKSYNC: &str = "matter-labs__zksync-era/core/lib/dal/migrations";

static DIRECTORIES: &[Expected] = &[
    ("coder__coder/coderd/database/migrations", &[]),
    (
        "rust-lang__crates.io/migrations",
        &[(
            "20170318181441_downloads_need_no_id/down.sql",
            2,
            "no `;` after `DROP CONSTRAINT crate_downloads_pkey`: two statements run together",
        )],
    ),
    ("holomush__holomush/internal/store/migrations", &[]),
    ("hatchet-dev__hatchet/cmd/hatchet-migrate/migrate/migrations", &[]),
    ("supabase__postgres/migrations/db/migrations", &[]),
    (
        ZKSYNC,
        &[
            (
                "20220204223302_transactions_new_mempool.down.sql",
                1,
                "`DELETE COLUMN` for `DROP COLUMN`",
            ),
            (
                "20220815130828_support_eip1559.down.sql",
                5,
                "`DROP COLUMN … NUMERIC(80)`: a type after DROP COLUMN",
            ),
            (
                "20220930085018_add_proof_aggregations.down.sql",
                3,
                "`DELETE COLUMN` for `DROP COLUMN`",
            ),
            (
                "20221001090302_add_proof_result.down.sql",
                1,
                "`DELETE COLUMN` for `DROP COLUMN`",
            ),
            (
                "20221002190817_add_circuit_id_to_proofs.down.sql",
                1,
                "`DELETE COLUMN` for `DROP COLUMN`",
            ),
            (
                "20221202102801_events-tx-initiator-address.down.sql",
                2,
                "`DROP COLUMN … BYTEA`: a type after DROP COLUMN",
            ),
            (
                "20240112194527_snapshots_applier_processed_chunks_format_change.down.sql",
                1,
                "`ADD COLUMN x NOT NULL` without a type",
            ),
            (
                "20240112194527_snapshots_applier_processed_chunks_format_change.down.sql",
                2,
                "`ADD COLUMN x NOT NULL` without a type",
            ),
            (
                "20240205123456_add_genesis_to_consensus_replica_state.down.sql",
                1,
                "`DROP COLUMN genesis JSONB`",
            ),
            (
                "20240925103531_gateway_upgrade.down.sql",
                1,
                "`DROP COLUMN … BYTEA`: a type after DROP COLUMN",
            ),
            (
                "20241011081834_batch_chain_merkle_path.down.sql",
                2,
                "`DROP COLUMN … BYTEA`: a type after DROP COLUMN",
            ),
            (
                "20250402131932_add_dispatch_request_id.down.sql",
                2,
                "`SET NOT NULL DEFAULT ''` in one ALTER COLUMN",
            ),
            (
                "20250822160137_indexes-for-finalization.down.sql",
                1,
                "`DROP INDEX IF EXIST` (EXISTS)",
            ),
            (
                "20250822160137_indexes-for-finalization.down.sql",
                2,
                "`DROP INDEX IF EXIST` (EXISTS)",
            ),
            (
                "20250822160137_indexes-for-finalization.down.sql",
                3,
                "`DROP INDEX IF EXIST` (EXISTS)",
            ),
            (
                "20250822160137_indexes-for-finalization.down.sql",
                4,
                "`DROP INDEX IF EXIST` (EXISTS)",
            ),
            (
                "20250822160137_indexes-for-finalization.down.sql",
                5,
                "`DROP INDEX IF EXIST` (EXISTS)",
            ),
        ],
    ),
    (
        "MarquezProject__marquez/api/src/main/resources/marquez/db/migration",
        &[],
    ),
    ("ghostfolio__ghostfolio/prisma/migrations", &[]),
    (
        "quickwit-oss__quickwit/quickwit/quickwit-metastore/migrations/postgresql",
        &[
            (
                "19_add-split-node-id-field.down.sql",
                4,
                "`DROP IF EXISTS COLUMN` (COLUMN IF EXISTS)",
            ),
            (
                "20_add-shard-doc-mapping-uid-field.down.sql",
                2,
                "`DROP IF EXISTS COLUMN` (COLUMN IF EXISTS)",
            ),
        ],
    ),
    (
        "ovh__cds/engine/sql/api",
        &[
            ("136_service_events.sql", 40, "`DROP TRIGGER name` without `ON table`"),
            (
                "190_application_variables.sql",
                20,
                "a `,` before `FROM` in UPDATE … SET",
            ),
            ("191_project_variables.sql", 20, "a `,` before `FROM` in UPDATE … SET"),
            (
                "192_environment_variables.sql",
                20,
                "a `,` before `FROM` in UPDATE … SET",
            ),
        ],
    ),
    ("goharbor__harbor/make/migrations/postgresql", &[]),
    ("openmeterio__openmeter/tools/migrate/migrations", &[]),
    ("ArroyoSystems__arroyo/crates/arroyo-api/migrations", &[]),
    ("atuinsh__atuin/crates/atuin-server-postgres/migrations", &[]),
    ("documenso__documenso/packages/prisma/migrations", &[]),
    ("umami-software__umami/prisma/migrations", &[]),
    ("Cap-go__capgo/supabase/migrations", &[]),
    ("bionic-gpt__bionic-gpt/crates/db/migrations", &[]),
    (
        "FlowiseAI__Flowise/packages/server/src/database/migrations/postgres",
        &[],
    ),
    (
        "fluidity-money__fluidity-app/database/101-up-postgres",
        &[(
            "20230315104305-worker_config_add_epoch_size.sql",
            23,
            "`DROP_COLUMN` (an underscore for a space)",
        )],
    ),
    (
        "fluidity-money__fluidity-app/database/102-up-timescale",
        &[
            (
                "20230516102403-worker_emissions_add_fee_switch_special_pool_options.sql",
                23,
                "`DROP COLUMN … VARCHAR`: a type after DROP COLUMN",
            ),
            (
                "20240111140041-lootbottles_reward_ambassadors_and_launch_epoch_2.sql",
                83,
                "no `;` before `DELETE`: two statements run together",
            ),
        ],
    ),
];

#[test]
fn syntax_findings_are_the_real_errors_at_their_statements() {
    // `MIGPROOF_CORPUS` says where the corpus is when it is not beside the repository.
    let configured = std::env::var("MIGPROOF_CORPUS").unwrap_or_else(|_| CORPUS.to_string());
    let root = Path::new(&configured);
    if !root.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{configured} is missing, and CI=true needs it"
        );
        eprintln!("skipped: {configured} is absent");
        return;
    }
    let (mut expected_total, mut found_total, mut problems) = (0, 0, Vec::new());
    for (dir, real) in DIRECTORIES {
        let path = root.join(dir);
        if !path.is_dir() {
            problems.push(format!("{dir}: not in the corpus"));
            continue;
        }
        let outcome = migproof::check(std::slice::from_ref(&path)).unwrap_or_else(|e| panic!("{dir}: {e}"));
        let found: BTreeSet<(String, usize)> = outcome
            .findings
            .iter()
            .filter(|f| f.rule.code == "MC201")
            .map(|f| {
                let file = Path::new(&f.location.path);
                let inside = file.strip_prefix(&path).unwrap_or(file).to_string_lossy().into_owned();
                (inside, f.location.line_col().0)
            })
            .collect();
        let expected: BTreeSet<(String, usize)> = real.iter().map(|(f, l, _)| (f.to_string(), *l)).collect();
        let hit = expected.intersection(&found).count();
        eprintln!(
            "{dir}: syntax recall {hit}/{} at the statement, {} findings",
            expected.len(),
            found.len()
        );
        expected_total += expected.len();
        found_total += hit;
        for missed in expected.difference(&found) {
            problems.push(format!("{dir}: missed {}:{}", missed.0, missed.1));
        }
        for extra in found.difference(&expected) {
            problems.push(format!("{dir}: unexpected syntax error at {}:{}", extra.0, extra.1));
        }
    }
    eprintln!("syntax recall: {found_total}/{expected_total}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
