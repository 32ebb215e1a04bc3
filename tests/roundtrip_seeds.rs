//! Every seed layout round-trips end to end on the PostgreSQL its project names (issue 12).
//!
//! Each `fixtures/seeds/pass_*` tree has a `migproof.toml` whose `pg-version` is what the seed
//! document names; migproof runs inside the tree, so it reads that file as a user's run would.
//!
//! | seed | names | here |
//! |---|---|---|
//! | 001 Go backend (pgvector, `022_create_embeddings_table`, `vector(1024)`) | 16 | 16 is not installed: the run stops with what to install; `--pg-version 15,18`: not verified on 15 (no pgvector), verified on 18 |
//! | 002 HoloMUSH (pg_trgm, a subquery in `FROM` without an alias) | 18 | verified on 18; on 15 the PostgreSQL 16 syntax fails (MC301) |
//! | 003 Memory MCP (`psql`, commented rollbacks, one in `/* … */`, `VECTOR(1536)`, pgcrypto) | [15, 18] ("≥ 15") | not verified on 15 (no pgvector), verified on 18 |
//! | 004 Memorall (PGlite registry, `db.exec` literals) | 17 (PGlite is PostgreSQL 17) | 17 is not installed: what to install; on 18, the nearest installed major above 17, verified |
//! | 000 MemGhost (golang-migrate pairs) | none | verified on 15 and on 18 |
//!
//! migproof never substitutes another major for the one named: the same migrations can be
//! reversible on one and not on another, so a missing major is an error (exit 2) that names
//! what to install, and the tests choose 18 explicitly with `--pg-version`.
//!
//! PostgreSQL 18 with pgvector comes from `MIGPROOF_PG18_BIN` (`.ci/postgres18.sh`),
//! PostgreSQL 15 from the machine's packages; without them these tests print a skip line and
//! return, except under `CI=true`, where they fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::roundtrip::{Sandbox, has_pg15, json, pg18, set_statuses, text};
use migproof::roundtrip::installed;

/// `migproof check --roundtrip --verbose --format json ARGS` run inside `fixtures/seeds/<seed>`.
fn run(seed: &str, args: &[&str]) -> Output {
    let sandbox = Sandbox::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds").join(seed);
    sandbox
        .migproof(&["--verbose", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// `(version, status)` of each migration of the set on PostgreSQL `major`.
fn migrations(j: &serde_json::Value, major: Option<u64>) -> Vec<(String, String)> {
    let sets = j["roundtrip"]["sets"].as_array().unwrap();
    let set = sets
        .iter()
        .find(|s| s["pg_version"].as_u64() == major)
        .unwrap_or_else(|| panic!("no set on {major:?}: {j}"));
    set["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["version"].as_str().unwrap().to_string(),
                m["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `(code, path, message)` of each finding.
fn findings(j: &serde_json::Value) -> Vec<(String, String, String)> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// The one finding of a run on 15 without pgvector: MC306 at `path`, naming the package.
fn assert_pgvector_missing_on_15(j: &serde_json::Value, path: &str, out: &Output) {
    let found = findings(j);
    assert_eq!(found.len(), 1, "{}", text(out));
    let (code, at, message) = &found[0];
    assert_eq!((code.as_str(), at.as_str()), ("MC306", path), "{}", text(out));
    assert!(
        message.starts_with("on PostgreSQL 15.")
            && message.contains("extension `vector` is not installed on the round-trip server (PostgreSQL 15)"),
        "{message}"
    );
    let help = j["findings"][0]["help"].as_str().unwrap();
    assert!(help.contains("apt-get install postgresql-15-pgvector"), "{help}");
}

/// PostgreSQL 18's binaries when both 15 and 18 are there, else `None` after a skip line.
fn pg15_and_18() -> Option<PathBuf> {
    let bin18 = pg18()?;
    has_pg15().then_some(bin18)
}

/// A project that names a major this machine lacks: exit 2 before anything runs, naming the
/// version, what is installed, what to install, and the nearest installed major above it (18)
/// as an explicit choice. Where that major is installed after all,
/// the round-trip runs on it.
fn assert_named_major_is_used_or_missing(seed: &str, major: u32, bin18: &Path) {
    let out = run(seed, &["--pg-bin", bin18.to_str().unwrap()]);
    if installed::find_version(major, &installed::Search::default()).is_ok() {
        assert_eq!(json(&out)["roundtrip"]["servers"][0]["major"], major, "{}", text(&out));
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for want in [
        format!("pg-version {major}: no PostgreSQL {major} server is installed here"),
        "found 18.".to_string(),
        format!("apt install postgresql-{major}"),
        format!("brew install postgresql@{major}"),
        "@embedded-postgres/".to_string(),
        "the nearest installed major above it instead, say so: `--pg-version 18`".to_string(),
    ] {
        assert!(stderr.contains(&want), "{want}: {}", text(&out));
    }
}

/// Seed 001: `pg-version = 16`; 16 is not installed here, so the run says what to install. On
/// 18 with pgvector `022_create_embeddings_table` (`vector(1024)`, an HNSW index) and the rest
/// round-trip; on 15, which has no pgvector, the directory is not verified from 022 on (MC306
/// with the package to install), never reported as a broken migration.
#[test]
fn go_backend_round_trips_its_vector_table_on_18() {
    let Some(bin18) = pg15_and_18() else { return };
    assert_named_major_is_used_or_missing("pass_backend", 16, &bin18);

    let out = run(
        "pass_backend",
        &["--pg-version", "15,18", "--pg-bin", bin18.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let j = json(&out);
    let path = "backend/migrations";
    assert_eq!(
        set_statuses(&j),
        [
            (path.to_string(), Some(15), "not-verified".to_string()),
            (path.to_string(), Some(18), "verified".to_string()),
        ],
        "{}",
        text(&out)
    );
    assert_eq!(
        migrations(&j, Some(18)),
        owned(&[("020", "ok"), ("021", "ok"), ("022", "ok"), ("023", "ok")])
    );
    assert_eq!(
        migrations(&j, Some(15)),
        owned(&[("020", "ok"), ("021", "ok"), ("022", "environment"), ("023", "not-run")])
    );
    assert_pgvector_missing_on_15(&j, "backend/migrations/022_create_embeddings_table.up.sql", &out);
}

/// Seed 002: `pg-version = 18` runs on 18, where the pg_trgm index and function and the view
/// over a subquery without an alias round-trip. `--pg-version 15` runs the same migrations on
/// 15, where that PostgreSQL 16 syntax fails to apply.
#[test]
fn holomush_round_trips_on_18_as_its_configuration_says() {
    let Some(bin18) = pg15_and_18() else { return };
    let out = run("pass_holomush", &["--pg-bin", bin18.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j = json(&out);
    let path = "internal/store/migrations";
    assert_eq!(set_statuses(&j), [(path.to_string(), None, "verified".to_string())]);
    assert_eq!(j["roundtrip"]["servers"][0]["major"], 18, "{}", text(&out));
    assert_eq!(
        migrations(&j, None),
        owned(&[("000001", "ok"), ("000002", "ok"), ("000003", "ok"), ("000004", "ok")])
    );
    assert!(findings(&j).is_empty(), "{}", text(&out));

    let out = run("pass_holomush", &["--pg-version", "15"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let j = json(&out);
    assert_eq!(set_statuses(&j), [(path.to_string(), None, "stopped".to_string())]);
    assert_eq!(j["roundtrip"]["servers"][0]["major"], 15, "{}", text(&out));
    let found = findings(&j);
    assert_eq!(found.len(), 1, "{}", text(&out));
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("MC301", "internal/store/migrations/000004_character_search.up.sql")
    );
    assert!(
        found[0].2.contains("subquery in FROM must have an alias"),
        "{}",
        found[0].2
    );
}

/// Seed 003: `pg-version = [15, 18]` ("PostgreSQL ≥ 15") runs on each. On 18, with pgvector
/// and pgcrypto, every migration round-trips with the rollback taken from its commented
/// section (`--` lines, or `/* … */`): a rollback that was not found would leave its table
/// behind (MC303). On 15 the first migration's `CREATE EXTENSION vector` cannot run: not
/// verified, with the package to install.
#[test]
fn memory_mcp_round_trips_with_its_commented_rollbacks_on_18() {
    let Some(bin18) = pg15_and_18() else { return };
    let out = run("pass_memory_mcp", &["--pg-bin", bin18.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let j = json(&out);
    assert_eq!(
        set_statuses(&j),
        [
            ("migrations".to_string(), Some(15), "not-verified".to_string()),
            ("migrations".to_string(), Some(18), "verified".to_string()),
        ],
        "{}",
        text(&out)
    );
    assert_eq!(
        migrations(&j, Some(18)),
        owned(&[
            ("20250117000001", "ok"),
            ("20250118000000", "ok"),
            ("20250120000000", "ok")
        ])
    );
    assert_pgvector_missing_on_15(&j, "migrations/20250117000001_init_postgres_schema.sql", &out);
}

/// The statements of each script of the set at `dir`: `(version, ups, downs)`, whitespace
/// collapsed.
fn statements(dir: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
    let outcome = migproof::check(&[dir.into()]).unwrap();
    assert!(outcome.findings.is_empty(), "{:?}", outcome.findings);
    let set = &outcome.sets[0];
    let of = |script: Option<&migproof::model::Script>| -> Vec<String> {
        let Some(script) = script else { return Vec::new() };
        let text = set.file(script.file).text();
        script
            .sql
            .as_ref()
            .unwrap()
            .statements
            .iter()
            .map(|s| text[s.clone()].split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    set.migrations
        .iter()
        .map(|m| (m.version.text.clone(), of(m.up.as_ref()), of(m.down.as_ref())))
        .collect()
}

/// What the Memorall fixture sends: the SQL of every `db.exec` template literal of `up` and
/// `down`, a second call included.
#[test]
fn memorall_sql_comes_from_the_db_exec_literals() {
    // Each statement by its first six words.
    let found: Vec<(String, Vec<String>, Vec<String>)> = statements("fixtures/seeds/pass_memorall/migrations")
        .into_iter()
        .map(|(v, up, down)| {
            let heads = |v: Vec<String>| -> Vec<String> {
                v.iter()
                    .map(|s| s.split(' ').take(6).collect::<Vec<_>>().join(" "))
                    .collect()
            };
            (v, heads(up), heads(down))
        })
        .collect();
    let strings = |v: &[&str]| -> Vec<String> { v.iter().map(|s| s.to_string()).collect() };
    assert_eq!(
        found,
        [
            (
                "1".to_string(),
                strings(&[
                    "CREATE EXTENSION IF NOT EXISTS vector;",
                    "CREATE TABLE IF NOT EXISTS conversations",
                    "CREATE TABLE IF NOT EXISTS messages",
                ]),
                Vec::new(),
            ),
            (
                "002".to_string(),
                strings(&[
                    "CREATE TABLE IF NOT EXISTS user_settings",
                    "CREATE INDEX IF NOT EXISTS user_settings_key_idx",
                ]),
                strings(&["DROP TABLE IF EXISTS user_settings;"]),
            ),
            (
                "003".to_string(),
                strings(&[
                    "CREATE TABLE IF NOT EXISTS knowledge_nodes",
                    "CREATE INDEX IF NOT EXISTS knowledge_nodes_embedding_idx",
                ]),
                strings(&["DROP TABLE IF EXISTS knowledge_nodes;"]),
            ),
        ]
    );
}

/// What the Memory MCP fixture's downs are: each commented rollback (`--` lines, a `/* … */`
/// block with its heading inside, one with its heading on the `/*` line), uncommented.
#[test]
fn memory_mcp_rollbacks_come_from_the_commented_sections() {
    let downs: Vec<Vec<String>> = statements("fixtures/seeds/pass_memory_mcp/migrations")
        .into_iter()
        .map(|(_, _, down)| down)
        .collect();
    assert_eq!(downs[0].len(), 7, "{downs:?}");
    assert_eq!(downs[0][0], "DROP TABLE memory_usage_log CASCADE;");
    assert_eq!(downs[0][6], "DROP FUNCTION IF EXISTS update_updated_at_column CASCADE;");
    assert_eq!(downs[1], ["DROP TABLE IF EXISTS memory_tags;"]);
    assert_eq!(downs[2], ["DROP TABLE IF EXISTS memory_summaries;"]);
}

/// Seed 004: `pg-version = 17` (PGlite is PostgreSQL 17); 17 is not installed here, so the run
/// says what to install. On 18, the nearest installed major above 17, the SQL of the
/// `db.exec` literals round-trips (`initial.ts` has no down: applied, not round-tripped); on 15
/// `CREATE EXTENSION vector` cannot run: not verified.
#[test]
fn memorall_registry_round_trips_on_18() {
    let Some(bin18) = pg15_and_18() else { return };
    assert_named_major_is_used_or_missing("pass_memorall", 17, &bin18);

    let out = run(
        "pass_memorall",
        &["--pg-version", "15,18", "--pg-bin", bin18.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let j = json(&out);
    assert_eq!(
        set_statuses(&j),
        [
            ("migrations".to_string(), Some(15), "not-verified".to_string()),
            ("migrations".to_string(), Some(18), "verified".to_string()),
        ],
        "{}",
        text(&out)
    );
    assert_eq!(
        migrations(&j, Some(18)),
        owned(&[("1", "no-down"), ("002", "ok"), ("003", "ok")])
    );
    assert_pgvector_missing_on_15(&j, "migrations/initial.ts", &out);
}

/// MemGhost (seed 000) names no version: plain golang-migrate pairs, verified on 15 and on 18.
#[test]
fn memghost_round_trips_on_15_and_18() {
    let Some(bin18) = pg15_and_18() else { return };
    let out = run(
        "pass_memghost",
        &["--pg-version", "15,18", "--pg-bin", bin18.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j = json(&out);
    assert_eq!(
        set_statuses(&j),
        [
            ("migrations".to_string(), Some(15), "verified".to_string()),
            ("migrations".to_string(), Some(18), "verified".to_string()),
        ],
        "{}",
        text(&out)
    );
    assert!(findings(&j).is_empty(), "{}", text(&out));
}
