//! The round-trip on real layouts and what it reports: MC303's full definitions, MC307-only
//! migrations, the `[roundtrip]` keys of migproof.toml, and environment failures (MC306).
//!
//! Without server binaries these tests skip with a reason, except in CI (`CI=true`).

use std::process::Output;

mod common;

use common::roundtrip::{Sandbox, binaries, json, text};

/// `migproof check --roundtrip --format json ARGS` in the sandbox.
fn run(s: &Sandbox, args: &[&str]) -> Output {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    s.migproof(&all).current_dir(s.path()).output().unwrap()
}

/// MC303 shows the full definitions that differ (expected and actual), not only the advice; a
/// migration whose only finding is MC307 (a warning) has status `column-order`, not `ok`, and
/// its directory stays verified.
#[test]
fn mc303_shows_the_definitions_and_mc307_has_its_own_status() {
    let Some(_) = binaries() else { return };
    let s = Sandbox::new();
    s.file(
        "fn/000001_f.up.sql",
        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 $$;\n",
    );
    s.file("fn/000001_f.down.sql", "DROP FUNCTION f(int);\n");
    s.file(
        "fn/000002_g.up.sql",
        "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a * 2 * 3 * 4 * 5 * 6 * 7 * 8 * 9 * 10 $$;\n",
    );
    s.file("fn/000002_g.down.sql", "SELECT 1;\n");
    let order = format!("{}/fixtures/roundtrip/fail_column_order", env!("CARGO_MANIFEST_DIR"));
    let out = run(&s, &["fn", &order]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let j = json(&out);
    let mc303 = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "MC303")
        .unwrap_or_else(|| panic!("no MC303: {}", text(&out)));
    let help = mc303["help"].as_str().unwrap();
    assert!(help.contains("expected:") && help.contains("actual:"), "{help}");
    assert!(help.contains("a + 1 + 2"), "{help}");
    let order = j["roundtrip"]["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == order.as_str())
        .unwrap();
    assert_eq!(order["status"], "verified", "{}", text(&out));
    let statuses: Vec<&str> = order["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ok", "column-order"], "{}", text(&out));
}

/// The `[roundtrip]` keys of migproof.toml take effect: `timeout-secs` is the statement timeout,
/// `setup` runs first (relative to the file), `bin-dir` names the binaries (a wrong one is an
/// error naming it), and `database-url-env` names the variable holding the URL (unset: an error
/// naming it). Command-line flags win.
#[test]
fn roundtrip_keys_of_the_configuration_take_effect() {
    let Some(_) = binaries() else { return };
    let s = Sandbox::new();
    s.file("db/000001_slow.up.sql", "SELECT pg_sleep(30);\n");
    s.file("db/000001_slow.down.sql", "SELECT 1;\n");
    s.file(
        "needs_role/000001_g.up.sql",
        "CREATE TABLE t (id int);\nGRANT SELECT ON t TO platform_reader;\n",
    );
    s.file("needs_role/000001_g.down.sql", "DROP TABLE t;\n");
    s.file("setup/roles.sql", "CREATE ROLE platform_reader;\n");
    s.file(
        "migproof.toml",
        "[roundtrip]\ntimeout-secs = 1\nsetup = \"setup/roles.sql\"\n",
    );
    let out = run(&s, &["db", "needs_role"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("canceling statement due to statement timeout"), "{all}");
    assert!(all.contains("--statement-timeout (1 s)"), "{all}");
    assert!(!all.contains("platform_reader\\\" does not exist"), "{all}");
    // The flag wins over the key.
    let out = run(&s, &["--statement-timeout", "60", "needs_role"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    s.file("migproof.toml", "[roundtrip]\nbin-dir = \"no/such/bin\"\n");
    let out = run(&s, &["needs_role"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no/such/bin"),
        "{}",
        text(&out)
    );
    s.file(
        "migproof.toml",
        "[roundtrip]\ndatabase-url-env = \"MIGPROOF_TEST_NO_SUCH_URL\"\n",
    );
    let out = run(&s, &["needs_role"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("MIGPROOF_TEST_NO_SUCH_URL is not set"),
        "{}",
        text(&out)
    );
}

fn statuses(out: &Output, path: &str) -> (String, Vec<(String, String)>) {
    let j = json(out);
    let set = j["roundtrip"]["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == path)
        .unwrap_or_else(|| panic!("no set {path}: {}", text(out)))
        .clone();
    (
        set["status"].as_str().unwrap().to_string(),
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
            .collect(),
    )
}

/// pop/popx: per version the runner applies the PostgreSQL file, else the generic one, never
/// another dialect's (a MySQL file would fail on PostgreSQL); the up and the down pair across
/// the two (a PostgreSQL up with a generic down).
#[test]
fn pop_applies_the_postgres_file_else_the_generic_one() {
    let Some(_) = binaries() else { return };
    let s = Sandbox::new();
    s.file(
        "pop/20200101000000_users.postgres.up.sql",
        "CREATE TABLE users (id serial PRIMARY KEY);\n",
    );
    s.file(
        "pop/20200101000000_users.mysql.up.sql",
        "CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;\n",
    );
    s.file("pop/20200101000000_users.mysql.down.sql", "DROP TABLE users;\n");
    s.file("pop/20200101000000_users.down.sql", "DROP TABLE users;\n");
    s.file(
        "pop/20200102000000_posts.up.sql",
        "CREATE TABLE posts (id int, user_id int REFERENCES users);\n",
    );
    s.file("pop/20200102000000_posts.down.sql", "DROP TABLE posts;\n");
    s.file(
        "pop/20200102000000_posts.sqlite3.up.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT);\n",
    );
    s.file("pop/20200102000000_posts.sqlite3.down.sql", "DROP TABLE posts;\n");
    let out = run(&s, &["--format-of", "pop=pop", "pop"]);
    // Offline too: the generic down pairs with the PostgreSQL up (no MC101/MC102).
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (status, ms) = statuses(&out, "pop");
    assert_eq!(status, "verified", "{}", text(&out));
    let ok = ms.iter().filter(|(_, s)| s == "ok").count();
    assert_eq!(ok, 2, "one migration per version round-tripped: {ms:?}");
    assert!(ms.iter().all(|(_, s)| s == "ok" || s == "other-dialect"), "{ms:?}");
}

/// sourcegraph: migrations run in the order of the `parents:` graph, not by number: here the
/// lower-numbered migration depends on the higher one.
#[test]
fn sourcegraph_applies_migrations_in_the_parents_graph_order() {
    let Some(_) = binaries() else { return };
    let s = Sandbox::new();
    s.file("sg/1000000000_init/up.sql", "CREATE TABLE base (id int PRIMARY KEY);\n");
    s.file("sg/1000000000_init/down.sql", "DROP TABLE base;\n");
    s.file("sg/1000000000_init/metadata.yaml", "name: init\n");
    // Numbered lower than its parent: the runner applies it after.
    s.file(
        "sg/1000000001_child/up.sql",
        "CREATE TABLE child (id int REFERENCES second);\n",
    );
    s.file("sg/1000000001_child/down.sql", "DROP TABLE child;\n");
    s.file(
        "sg/1000000001_child/metadata.yaml",
        "name: child\nparents: [1000000002]\n",
    );
    s.file(
        "sg/1000000002_second/up.sql",
        "CREATE TABLE second (id int PRIMARY KEY REFERENCES base);\n",
    );
    s.file("sg/1000000002_second/down.sql", "DROP TABLE second;\n");
    s.file(
        "sg/1000000002_second/metadata.yaml",
        "name: second\nparents: [1000000000]\n",
    );
    let out = run(&s, &["--format-of", "sg=sourcegraph", "sg"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (status, ms) = statuses(&out, "sg");
    assert_eq!(status, "verified", "{}", text(&out));
    assert!(ms.iter().all(|(_, s)| s == "ok"), "{ms:?}");
}

/// Failures of the environment, not the migration, are MC306 (exit code 2, not verified) naming
/// the cause and the fix: syntax that needs a newer PostgreSQL (`--pg-bin` with the version),
/// a runner's tracking table (`--setup` with its statement).
#[test]
fn environment_failures_are_mc306_with_the_cause_and_the_fix() {
    let Some(b) = binaries() else { return };
    if b.major >= 18 {
        eprintln!(
            "skipped: the server is PostgreSQL {}, which has every feature named here",
            b.major
        );
        return;
    }
    let s = Sandbox::new();
    s.file("newer/000001_t.up.sql", "CREATE TABLE t (a int);\n");
    s.file("newer/000001_t.down.sql", "DROP TABLE t;\n");
    s.file(
        "newer/000002_v.up.sql",
        "ALTER TABLE t ADD COLUMN b int GENERATED ALWAYS AS (a + 1) VIRTUAL;\n",
    );
    s.file("newer/000002_v.down.sql", "ALTER TABLE t DROP COLUMN b;\n");
    s.file(
        "tracking/000001_fix.up.sql",
        "UPDATE schema_migrations SET dirty = false;\n",
    );
    s.file("tracking/000001_fix.down.sql", "SELECT 1;\n");
    let out = run(&s, &["newer", "tracking"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let j = json(&out);
    let findings = j["findings"].as_array().unwrap();
    let get = |path: &str| {
        findings
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("no finding in {path}: {}", text(&out)))
    };
    let f = get("newer/000002_v.up.sql");
    assert_eq!(f["code"], "MC306", "{f}");
    assert!(f["message"].as_str().unwrap().contains("needs PostgreSQL 18"), "{f}");
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .contains("--pg-bin /usr/lib/postgresql/18/bin"),
        "{f}"
    );
    let f = get("tracking/000001_fix.up.sql");
    assert_eq!(f["code"], "MC306", "{f}");
    assert!(f["help"].as_str().unwrap().contains("--setup"), "{f}");
    assert!(
        f["help"].as_str().unwrap().contains("CREATE TABLE schema_migrations"),
        "{f}"
    );
    for path in ["newer", "tracking"] {
        assert_eq!(statuses(&out, path).0, "not-verified", "{}", text(&out));
    }
}

/// A migration that needs what an earlier Go migration made (goose: the round-trip cannot run
/// Go) is MC306 naming that file, not MC301.
#[test]
fn a_gap_left_by_a_go_migration_is_mc306() {
    let Some(_) = binaries() else { return };
    let s = Sandbox::new();
    s.file(
        "goose/00001_users.sql",
        "-- +goose Up\nCREATE TABLE users (id int);\n-- +goose Down\nDROP TABLE users;\n",
    );
    s.file(
        "goose/00002_accounts.go",
        "package migrations\n// creates table accounts in Go\n",
    );
    s.file(
        "goose/00003_more.sql",
        "-- +goose Up\nALTER TABLE accounts ADD COLUMN x int;\n-- +goose Down\nALTER TABLE accounts DROP COLUMN x;\n",
    );
    let out = run(&s, &["--format-of", "goose=goose", "goose"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let j = json(&out);
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "goose/00003_more.sql" && f["code"].as_str().unwrap().starts_with("MC3"))
        .unwrap_or_else(|| panic!("no round-trip finding: {}", text(&out)))
        .clone();
    assert_eq!(f["code"], "MC306", "{f}");
    assert!(f["message"].as_str().unwrap().contains("`00002_accounts.go`"), "{f}");
    assert!(f["help"].as_str().unwrap().contains("--setup"), "{f}");
}
