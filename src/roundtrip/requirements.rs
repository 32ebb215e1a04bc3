//! Failures that are the round-trip server's environment, not the migration (MC306, exit code
//! 2, "not verified"), beyond a missing extension or role: syntax that needs a newer
//! PostgreSQL, a runner's tracking table the runner creates before the first migration, and a
//! gap left by an earlier migration written in Go, Rust or Java that the round-trip cannot run.
//! Each names the cause and the fix (`--pg-version`/`--pg-bin` with the version needed, `--setup` with the
//! statement).

use std::sync::LazyLock;

use regex::Regex;

use super::apply::Rejection;

/// SQLSTATEs a statement gets when the server does not know its syntax, function or option.
const UNKNOWN: &[&str] = &["42601", "42883", "42704", "22023", "0A000", "42P01", "42703"];

/// Features by the PostgreSQL major version that introduced them: (pattern, version, name).
static FEATURES: LazyLock<Vec<(Regex, u32, &'static str)>> = LazyLock::new(|| {
    [
        (r"(?i)\bgen_random_uuid\s*\(", 13, "gen_random_uuid() without pgcrypto"),
        (
            r"(?i)\bCREATE\s+OR\s+REPLACE\s+TRIGGER\b",
            14,
            "CREATE OR REPLACE TRIGGER",
        ),
        (r"(?i)\bmultirange\b", 14, "multirange types"),
        (r"(?i)\bCOMPRESSION\s+lz4\b", 14, "lz4 column compression"),
        (r"(?i)\bMERGE\s+INTO\b", 15, "MERGE"),
        (r"(?i)\bNULLS\s+NOT\s+DISTINCT\b", 15, "UNIQUE NULLS NOT DISTINCT"),
        (r"(?i)\bsecurity_invoker\b", 15, "security_invoker views"),
        (
            r"(?i)\bJSON_(ARRAY|OBJECT|ARRAYAGG|OBJECTAGG)\s*\(",
            16,
            "SQL/JSON constructors",
        ),
        (r"(?i)\bIS\s+(NOT\s+)?JSON\b", 16, "IS JSON"),
        (r"(?i)\bANY_VALUE\s*\(", 16, "any_value()"),
        (r"(?i)\bSYSTEM_USER\b", 16, "SYSTEM_USER"),
        (r"(?i)\bJSON_TABLE\s*\(", 17, "JSON_TABLE"),
        (r"(?i)\bMERGE\b[\s\S]*\bRETURNING\b", 17, "MERGE … RETURNING"),
        (r"(?i)\bSET\s+EXPRESSION\b", 17, "ALTER COLUMN … SET EXPRESSION"),
        (
            r"(?i)\bGENERATED\s+ALWAYS\s+AS\s*\([\s\S]*\)\s*VIRTUAL\b",
            18,
            "virtual generated columns",
        ),
        (r"(?i)\buuidv[47]\s*\(", 18, "uuidv4()/uuidv7()"),
        (r"(?i)\bWITHOUT\s+OVERLAPS\b", 18, "WITHOUT OVERLAPS constraints"),
        (r"(?i)\bNOT\s+ENFORCED\b", 18, "NOT ENFORCED constraints"),
    ]
    .into_iter()
    .map(|(p, v, n)| (Regex::new(p).expect("valid pattern"), v, n))
    .collect()
});

/// The tracking tables runners create before the first migration, with the statement that
/// creates them (their own definitions, for `--setup`).
const TRACKING: &[(&str, &str, &str)] = &[
    (
        "schema_migrations",
        "golang-migrate",
        "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);",
    ),
    (
        "goose_db_version",
        "goose",
        "CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp DEFAULT now());",
    ),
    (
        "gorp_migrations",
        "sql-migrate",
        "CREATE TABLE gorp_migrations (id text NOT NULL PRIMARY KEY, applied_at timestamptz);",
    ),
    (
        "__diesel_schema_migrations",
        "diesel",
        "CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY NOT NULL, run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);",
    ),
    (
        "_sqlx_migrations",
        "sqlx",
        "CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY, description text NOT NULL, installed_on timestamptz NOT NULL DEFAULT now(), success boolean NOT NULL, checksum bytea NOT NULL, execution_time bigint NOT NULL);",
    ),
    (
        "flyway_schema_history",
        "Flyway",
        "CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL);",
    ),
    (
        "refinery_schema_history",
        "refinery",
        "CREATE TABLE refinery_schema_history (version int4 PRIMARY KEY, name varchar(255), applied_on varchar(255), checksum varchar(255));",
    ),
    (
        "migration_logs",
        "sourcegraph",
        "CREATE TABLE migration_logs (id serial PRIMARY KEY, migration_logs_schema_version int NOT NULL, schema text NOT NULL, version int NOT NULL, up boolean NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz, success boolean, error_message text, backfilled boolean NOT NULL DEFAULT false);",
    ),
    (
        "knex_migrations",
        "Knex",
        "CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch int, migration_time timestamptz);",
    ),
];

/// What the failing statement needed that the server lacked: MC306's message and fix.
/// `statement` is the failing statement's text; `gap` names an earlier migration of the
/// directory that is not SQL (its effects are missing).
pub fn explain(r: &Rejection, statement: &str, major: u32, gap: Option<&str>) -> Option<(String, String)> {
    if !UNKNOWN.contains(&r.code.as_str()) {
        return None;
    }
    if let Some((_, version, feature)) = FEATURES
        .iter()
        .filter(|(p, v, _)| *v > major && p.is_match(statement))
        .max_by_key(|(_, v, _)| *v)
    {
        return Some((
            format!(
                "this statement needs PostgreSQL {version} or later ({feature}); the round-trip server is PostgreSQL \
                 {major}: {}",
                r.headline()
            ),
            format!(
                "run the round-trip on PostgreSQL {version} or later: `--pg-version {version}` (or `pg-version = \
                 {version}` in migproof.toml) picks it among the installed servers, `--pg-bin \
                 /usr/lib/postgresql/{version}/bin` names one (Debian/Ubuntu: `apt-get install postgresql-{version}`, \
                 from the PGDG apt repository where the distribution lacks it), or --database-url with such a server"
            ),
        ));
    }
    static RELATION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"^relation "(?:[^".]+\.)?([^"]+)" does not exist"#).expect("valid"));
    if r.code == "42P01"
        && let Some(c) = RELATION.captures(&r.message)
        && let Some((table, runner, create)) = TRACKING.iter().find(|(t, _, _)| *t == &c[1])
    {
        return Some((
            format!(
                "the migration uses `{table}`, the table {runner} creates to track migrations before it runs the \
                 first one; the round-trip does not create it"
            ),
            format!("create it in a --setup FILE: `{create}`"),
        ));
    }
    if let Some(earlier) = gap
        && ["42P01", "42703", "42704", "42883", "3F000"].contains(&r.code.as_str())
    {
        return Some((
            format!(
                "an earlier migration, `{earlier}`, is not SQL (code the round-trip cannot run), and this one needs \
                 what it makes: {}",
                r.headline()
            ),
            format!(
                "put what `{earlier}` does to the schema into a --setup FILE (it runs before the first migration), \
                 or round-trip only the migrations after it"
            ),
        ));
    }
    None
}

/// A migration written in code (Go, Rust, Java, Kotlin) in `dir` whose version is below
/// `version` (goose `00003_seed.go`, refinery `V3__seed.rs`, Flyway `V3__Seed.java`): the
/// round-trip cannot run it, so what it makes is missing after it.
pub fn code_migration_before(dir: &std::path::Path, version: &str) -> Option<String> {
    let number = |s: &str| -> Option<u128> {
        let digits: String = s
            .trim_start_matches(['V', 'U', 'v', 'u'])
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    let limit = number(version)?;
    let mut found: Vec<(u128, String)> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let ext = name.rsplit_once('.')?.1;
            if !["go", "rs", "java", "kt"].contains(&ext) || name.ends_with("_test.go") {
                return None;
            }
            let n = number(&name)?;
            (n < limit).then_some((n, name))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejection(code: &str, message: &str) -> Rejection {
        Rejection {
            code: code.to_string(),
            message: message.to_string(),
            detail: None,
            hint: None,
            span: 0..0,
            exact: true,
            located: false,
        }
    }

    #[test]
    fn newer_syntax_names_the_version() {
        let r = rejection("42601", "syntax error at or near \"VIRTUAL\"");
        let (m, fix) = explain(
            &r,
            "ALTER TABLE t ADD c int GENERATED ALWAYS AS (a + 1) VIRTUAL",
            15,
            None,
        )
        .unwrap();
        assert!(m.contains("PostgreSQL 18"), "{m}");
        assert!(fix.contains("--pg-bin /usr/lib/postgresql/18/bin"), "{fix}");
        assert!(fix.contains("--pg-version 18"), "{fix}");
        // A feature the server has is the migration's own error.
        assert!(explain(&r, "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", 15, None).is_none());
    }

    #[test]
    fn tracking_tables_and_gaps() {
        let r = rejection("42P01", "relation \"public.schema_migrations\" does not exist");
        let (m, fix) = explain(&r, "UPDATE schema_migrations SET dirty = false", 15, None).unwrap();
        assert!(m.contains("golang-migrate"), "{m}");
        assert!(fix.contains("CREATE TABLE schema_migrations"), "{fix}");
        let r = rejection("42P01", "relation \"accounts\" does not exist");
        assert!(explain(&r, "ALTER TABLE accounts ADD x int", 15, None).is_none());
        let (m, _) = explain(&r, "ALTER TABLE accounts ADD x int", 15, Some("00003_seed.go")).unwrap();
        assert!(m.contains("00003_seed.go"), "{m}");
    }
}
