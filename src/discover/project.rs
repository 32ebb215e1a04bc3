//! Which runner a project really uses, and for which database a directory is written: read from
//! the project around the migration directory, not guessed from file names.
//!
//! From a migration directory, [`identify`] walks up to the repository root (the first
//! ancestor holding `.git`; without one, the nearest ancestor holding a licence file, at most
//! [`MAX_LEVELS`] levels up) and reads, in every directory on the way, the manifests that name
//! a runner ([`EVIDENCE`]: `go.mod`, `Cargo.toml`, `package.json`, Maven and Gradle files),
//! the runners' configuration files (`atlas.hcl`, `diesel.toml`, `sqitch.conf`,
//! `supabase/config.toml`, …) and the scripts that invoke a runner (`Dockerfile`, `Makefile`,
//! `*.sh`, shell aliases). When none of those names a runner, the root's direct subdirectories
//! are read too (harbor keeps `go.mod` in `src/`). The nearest evidence wins; at equal distance
//! the table's order decides (a fork or wrapper before the runner it wraps).
//!
//! The database a directory is written for ([`Identity::dialect`]) comes from the directory
//! names runners select by (`mysql/`, `sqlite3/`, `cockroachdb/`, `H2/`, `sqlite_migrations/`)
//! and from runner configuration (`goose.SetDialect("sqlite3")` in the project's Go code,
//! Prisma's `migration_lock.toml` provider).
//!
//! Precedence: `--format-of` and `migproof.toml` beat manifest evidence; manifest evidence beats
//! the file-name patterns of [`super::detect`].

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

/// How far up from a migration directory the project is searched when no `.git` is found.
pub const MAX_LEVELS: usize = 8;

pub use crate::model::Certainty;
use crate::model::Runner;

/// One piece of evidence: the file (relative to the repository root when known) and what in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    pub runner: &'static str,
    /// `go.mod: github.com/maragudk/migrate v0.4.3`.
    pub text: String,
}

/// What the project says about one migration directory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// Every runner evidence found, nearest first.
    pub evidence: Vec<Evidence>,
    /// The database the directory is written for (`mysql`, `sqlite3`, `cockroachdb`, …), when
    /// the project says; `None` means PostgreSQL.
    pub dialect: Option<String>,
    /// Why that dialect (`directory name \`mysql\``).
    pub dialect_evidence: Option<String>,
}

impl Identity {
    /// The runner the nearest evidence names.
    pub fn runner(&self) -> Option<&'static str> {
        self.evidence.first().map(|e| e.runner)
    }

    /// The evidence for `runner`, if the project names it anywhere.
    pub fn for_runner(&self, runner: &str) -> Option<&Evidence> {
        self.evidence.iter().find(|e| e.runner == runner)
    }
}

/// Where a row's evidence is read.
#[derive(Debug, Clone, Copy)]
enum Where {
    /// A file with exactly this name.
    Named(&'static str),
    /// A file whose name starts with this (`Dockerfile`, `Dockerfile.postgres`).
    Prefix(&'static str),
    /// A file whose name ends with this (`.sh`).
    Suffix(&'static str),
    /// `config.toml` in a directory named `supabase` (the Supabase CLI's project file).
    SupabaseConfig,
}

/// One row of the evidence table: a runner, the file that can name it, and the pattern in that
/// file (an empty pattern: the file's existence is the evidence).
struct Row {
    runner: &'static str,
    file: Where,
    pattern: &'static str,
}

const fn row(runner: &'static str, file: Where, pattern: &'static str) -> Row {
    Row { runner, file, pattern }
}

use Where::{Named, Prefix, Suffix, SupabaseConfig};

/// A dependency on npm package `name` (a regex alternation is fine) with a version, not a script
/// of the same name.
macro_rules! npm {
    ($name:literal) => {
        concat!(
            r#"""#,
            $name,
            r#""\s*:\s*"(?:[\^~<>=*\d]|workspace:|catalog:|npm:|latest)[^"]*""#
        )
    };
}

/// Every runner migproof can name and what names it. Runner names are format names where a
/// format models the runner (`golang-migrate`); the others (`liquibase`) are named but not
/// modelled, so no verdict that depends on their rules is an error.
static EVIDENCE: &[Row] = &[
    // Go modules. Forks and wrappers first: ory/x's popx wraps ory/pop.
    row(
        "popx",
        Named("go.mod"),
        r"(?m)^\s*(?:require\s+|replace\s+)?github\.com/ory/x(?:\s+v\S+|\s*=>\s*\S+)\s*$",
    ),
    row(
        "pop",
        Named("go.mod"),
        r"github\.com/(?:gobuffalo|ory)/pop(?:/v\d+)?\s+v\S+",
    ),
    row(
        "maragudk-migrate",
        Named("go.mod"),
        r"github\.com/maragudk/migrate\s+v\S+",
    ),
    row("tern", Named("go.mod"), r"github\.com/jackc/tern(?:/v\d+)?\s+v\S+"),
    row(
        "sql-migrate",
        Named("go.mod"),
        r"github\.com/(?:rubenv|heroiclabs)/sql-migrate\s+v\S+",
    ),
    row(
        "dbmate",
        Named("go.mod"),
        r"github\.com/amacneil/dbmate(?:/v\d+)?\s+v\S+",
    ),
    row("goose", Named("go.mod"), r"github\.com/pressly/goose(?:/v\d+)?\s+v\S+"),
    row(
        "golang-migrate",
        Named("go.mod"),
        r"github\.com/golang-migrate/migrate(?:/v\d+)?\s+v\S+",
    ),
    row("atlas", Named("go.mod"), r"ariga\.io/atlas\s+v\S+"),
    // Rust crates (a dependency line or a dependency table, workspace ones included).
    row(
        "refinery",
        Named("Cargo.toml"),
        r"(?m)^\s*(?:refinery\s*=.*|\[(?:workspace\.)?dependencies\.refinery\])",
    ),
    row(
        "diesel",
        Named("Cargo.toml"),
        r"(?m)^\s*(?:diesel_migrations\s*=.*|\[(?:workspace\.)?dependencies\.diesel_migrations\])",
    ),
    row(
        "sqlx",
        Named("Cargo.toml"),
        r"(?m)^\s*(?:sqlx\s*=.*|\[(?:workspace\.)?dependencies\.sqlx\])",
    ),
    row(
        "diesel",
        Named("Cargo.toml"),
        r"(?m)^\s*(?:diesel\s*=.*|\[(?:workspace\.)?dependencies\.diesel\])",
    ),
    // npm packages: a dependency with a version (not a script of the same name).
    row("prisma", Named("package.json"), npm!("(?:prisma|@prisma/client)")),
    row("drizzle", Named("package.json"), npm!("drizzle-kit")),
    row("typeorm", Named("package.json"), npm!("typeorm")),
    row("node-pg-migrate", Named("package.json"), r#"node-pg-migrate"#),
    row("supabase", Named("package.json"), npm!("supabase")),
    row("ts-registry", Named("package.json"), npm!("@electric-sql/pglite")),
    // Java builds.
    row("flyway", Named("pom.xml"), r"<artifactId>flyway-[a-z-]+</artifactId>"),
    row("flyway", Named("build.gradle"), r"org\.flywaydb[:\w.-]*"),
    row("flyway", Named("build.gradle.kts"), r"org\.flywaydb[:\w.-]*"),
    row(
        "liquibase",
        Named("pom.xml"),
        r"<artifactId>liquibase-core</artifactId>",
    ),
    // The runners' own configuration files.
    row("atlas", Named("atlas.hcl"), ""),
    row("drizzle", Prefix("drizzle.config."), ""),
    row("sqitch", Named("sqitch.conf"), ""),
    row("sqitch", Named("sqitch.plan"), ""),
    row("prisma", Named("schema.prisma"), ""),
    row("prisma", Prefix("prisma.config."), ""),
    row("flyway", Named("flyway.conf"), ""),
    row("flyway", Named("flyway.toml"), ""),
    row("diesel", Named("diesel.toml"), ""),
    row("refinery", Named("refinery.toml"), ""),
    row("supabase", SupabaseConfig, ""),
    row("sql-migrate", Named("dbconfig.yml"), ""),
    row("atlas", Named("atlas.sum"), ""),
    // Scripts and images that invoke a runner's command line.
    row("dbmate", Prefix("Dockerfile"), r"(?m)\bdbmate\b.*"),
    row("dbmate", Named("Makefile"), r"(?m)\bdbmate\b.*"),
    row("dbmate", Suffix(".sh"), r"(?m)\bdbmate\b.*"),
    row("dbmate", Suffix("bash_aliases"), r"(?m)\bdbmate\b.*"),
    row("atlas", Suffix(".yaml"), r"(?m)\batlas migrate (?:apply|diff|lint)\b.*"),
    row("sqitch", Suffix(".sh"), r"(?m)\bsqitch (?:deploy|revert|verify)\b.*"),
    row("tern", Suffix(".sh"), r"(?m)\btern migrate\b.*"),
];

static COMPILED: LazyLock<Vec<Option<Regex>>> = LazyLock::new(|| {
    EVIDENCE
        .iter()
        .map(|r| (!r.pattern.is_empty()).then(|| Regex::new(r.pattern).expect("evidence pattern")))
        .collect()
});

/// The runner names the evidence table can produce.
pub fn runners() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = EVIDENCE.iter().map(|r| r.runner).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Files larger than this are not read for evidence.
const MAX_EVIDENCE_FILE: u64 = 1 << 20;

fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_EVIDENCE_FILE {
        return None;
    }
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The file names of a directory, sorted (none when it cannot be listed).
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn row_applies(row: &Row, dir: &Path, name: &str) -> bool {
    match row.file {
        Named(n) => name == n,
        Prefix(p) => name.starts_with(p),
        Suffix(s) => name.ends_with(s),
        SupabaseConfig => name == "config.toml" && dir.file_name().is_some_and(|d| d == "supabase"),
    }
}

/// The evidence in one directory's files, in table order. `shown` is the directory as shown
/// in evidence texts (`src/`), empty for the root.
fn evidence_in(dir: &Path, shown: &str, out: &mut Vec<Evidence>) {
    let names = file_names(dir);
    for (i, row) in EVIDENCE.iter().enumerate() {
        for name in names.iter().filter(|n| row_applies(row, dir, n)) {
            let file = format!("{shown}{name}");
            let text = match &COMPILED[i] {
                None => file,
                Some(re) => {
                    let Some(content) = read_small(&dir.join(name)) else {
                        continue;
                    };
                    // The first match on a line that is not an `// indirect` requirement.
                    let line_of = |start: usize| {
                        let end = content[start..].find('\n').map_or(content.len(), |i| start + i);
                        &content[start..end]
                    };
                    let Some(hit) = re
                        .find_iter(&content)
                        .find(|m| !line_of(m.start()).contains("// indirect"))
                    else {
                        continue;
                    };
                    let line: String = hit.as_str().trim().chars().take(120).collect();
                    format!("{file}: {line}")
                }
            };
            if !out.iter().any(|e| e.runner == row.runner) {
                out.push(Evidence {
                    runner: row.runner,
                    text,
                });
            }
        }
    }
}

fn has_licence(dir: &Path) -> bool {
    file_names(dir).iter().any(|n| {
        let upper = n.to_ascii_uppercase();
        upper.starts_with("LICENSE") || upper.starts_with("LICENCE") || upper.starts_with("COPYING")
    })
}

/// The directories from `dir` up to the repository root, nearest first.
fn ancestors(dir: &Path) -> Vec<PathBuf> {
    let start = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let chain: Vec<PathBuf> = start.ancestors().map(Path::to_path_buf).collect();
    if let Some(git) = chain.iter().position(|d| d.join(".git").exists()) {
        return chain[..=git].to_vec();
    }
    let limited = &chain[..chain.len().min(MAX_LEVELS + 1)];
    match limited.iter().position(|d| has_licence(d)) {
        Some(root) => limited[..=root].to_vec(),
        // No root marker at all: the directory and its parent only.
        None => limited[..limited.len().min(2)].to_vec(),
    }
}

/// What the project around `dir` says about its runner and database.
pub fn identify(dir: &Path) -> Identity {
    let chain = ancestors(dir);
    let root = chain.last().cloned().unwrap_or_else(|| dir.to_path_buf());
    let shown = |d: &Path| match d.strip_prefix(&root) {
        Ok(rel) if rel.as_os_str().is_empty() => String::new(),
        Ok(rel) => format!("{}/", rel.to_string_lossy().replace('\\', "/")),
        Err(_) => format!("{}/", d.display()),
    };
    let mut evidence = Vec::new();
    for d in &chain {
        evidence_in(d, &shown(d), &mut evidence);
    }
    // The root's direct subdirectories (`src/go.mod`, `.devcontainer/bash_aliases`), when the
    // way up named nothing.
    if evidence.is_empty() {
        let mut subdirs: Vec<PathBuf> = std::fs::read_dir(&root)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path())
                    .filter(|p| !chain.contains(p))
                    .collect()
            })
            .unwrap_or_default();
        subdirs.sort();
        for d in subdirs.iter().take(64) {
            evidence_in(d, &shown(d), &mut evidence);
        }
    }
    let (dialect, dialect_evidence) = match dialect_of(dir, &chain, &root) {
        Some((d, why)) => (Some(d), Some(why)),
        None => (None, None),
    };
    Identity {
        evidence,
        dialect,
        dialect_evidence,
    }
}

/// A database name as runners and projects spell it, in the form the model uses
/// ([`crate::model::Migration::dialect`]); `None` for PostgreSQL and for words that name no
/// database.
pub fn normalize_dialect(word: &str) -> Option<Option<&'static str>> {
    Some(match word.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" | "pg" | "pgsql" | "psql" | "timescale" | "timescaledb" => None,
        "mysql" => Some("mysql"),
        "mariadb" => Some("mariadb"),
        "sqlite" | "sqlite3" | "libsql" => Some("sqlite3"),
        "cockroach" | "cockroachdb" | "crdb" => Some("cockroachdb"),
        "clickhouse" => Some("clickhouse"),
        "h2" | "hsqldb" => Some("h2"),
        "mssql" | "sqlserver" => Some("sqlserver"),
        "oracle" => Some("oracle"),
        _ => return None,
    })
}

/// Directory names that say nothing about the database (the dialect is then read from the
/// parent's name).
const GENERIC_DIRS: &[&str] = &["migrations", "migration", "sql", "db", "schema", "migrate"];

static PROVIDER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"(?m)^\s*provider\s*=\s*"(\w+)""#).unwrap());

static SET_DIALECT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"goose\.SetDialect\(\s*(?:"(\w+)"|(\w+))\s*\)"#).unwrap());

fn dialect_of(dir: &Path, chain: &[PathBuf], root: &Path) -> Option<(String, String)> {
    let start = chain.first().map_or(dir, |p| p.as_path());
    // The directory's own name, then its parent's when the directory's is generic. A name is
    // read word by word (`sqlite_migrations`, `atuin-server-sqlite`).
    let mut named = Vec::new();
    for d in start.ancestors().take(2) {
        if d == root {
            break;
        }
        let Some(name) = d.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            break;
        };
        named.push(name.clone());
        if !GENERIC_DIRS.contains(&name.to_ascii_lowercase().as_str()) {
            break;
        }
    }
    for name in named {
        // Exactly one database word in the name (`fail_mysql_and_sqlite` names none for sure).
        let mut found: Vec<&'static str> = name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter_map(normalize_dialect)
            .map(|d| d.unwrap_or("postgres"))
            .collect();
        found.dedup();
        if let [d] = found.as_slice() {
            return Some((d.to_string(), format!("directory name `{name}`")));
        }
        if found.len() > 1 {
            break;
        }
    }
    // Prisma: the schema's datasource provider (`../schema.prisma`), else the lock file beside
    // the migrations (a mismatch between them is `prisma-lock-file`'s to report).
    let candidates = [
        start.parent().map(|p| (p.join("schema.prisma"), "schema.prisma")),
        Some((start.join("migration_lock.toml"), "migration_lock.toml")),
    ];
    for (path, label) in candidates.into_iter().flatten() {
        let Some(text) = read_small(&path) else { continue };
        let found = PROVIDER
            .captures_iter(&text)
            .find_map(|c| normalize_dialect(&c[1]).map(|d| (d, c[1].to_string())));
        if let Some((dialect, word)) = found {
            return Some((
                dialect.unwrap_or("postgres").to_string(),
                format!("{label}: provider = \"{word}\""),
            ));
        }
    }
    // Runner configuration in the project's Go code: `goose.SetDialect("sqlite3")`, or through
    // a constant defined in the same file.
    for d in chain {
        for name in file_names(d).iter().filter(|n| n.ends_with(".go")) {
            let Some(text) = read_small(&d.join(name)) else {
                continue;
            };
            let Some(c) = SET_DIALECT.captures(&text) else { continue };
            let value = match (c.get(1), c.get(2)) {
                (Some(lit), _) => Some(lit.as_str().to_string()),
                (None, Some(ident)) => {
                    let re = Regex::new(&format!(r#"\b{}\s*=\s*"(\w+)""#, regex::escape(ident.as_str()))).ok()?;
                    re.captures(&text).map(|c| c[1].to_string())
                }
                _ => None,
            };
            if let Some(v) = value
                && let Some(dialect) = normalize_dialect(&v)
            {
                let rel = d
                    .strip_prefix(root)
                    .map(|r| r.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let file = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                return Some((
                    dialect.unwrap_or("postgres").to_string(),
                    format!("{file}: goose.SetDialect(\"{v}\")"),
                ));
            }
        }
    }
    None
}

/// Decides the runner of a found directory and switches its format when the project names a
/// modelled runner whose layout the directory fits (manifest evidence beats name patterns;
/// `--format-of` and `migproof.toml` beat both). Returns what the set records about its runner.
pub fn settle(found: &mut super::Found) -> Runner {
    let identity = identify(&found.dir.path);
    let mut runner = Runner {
        dialect: identity.dialect.clone(),
        dialect_evidence: identity.dialect_evidence.clone(),
        ..Runner::default()
    };
    let detected = found.format;
    if found.detection.score == super::DECLARED {
        runner.name = detected.name().to_string();
        runner.modelled = true;
        runner.certainty = Certainty::Declared;
        runner.evidence = vec![found.detection.reason.clone()];
        return runner;
    }
    let known = |name: &str, evidence: &Evidence, runner: &mut Runner| {
        runner.name = name.to_string();
        runner.modelled = true;
        runner.certainty = Certainty::Project;
        runner.evidence = vec![evidence.text.clone()];
    };
    if let Some(e) = identity.for_runner(detected.name()) {
        known(detected.name(), e, &mut runner);
        return runner;
    }
    // The nearest evidence that names a modelled runner whose layout the directory fits.
    for e in &identity.evidence {
        if let Some(format) = super::format_named(e.runner)
            && format.accepts(&found.dir)
        {
            found.detection.reason = format!(
                "{} names it (the file names alone suggested {}: {})",
                e.text,
                detected.name(),
                found.detection.reason
            );
            found.format = format;
            known(format.name(), e, &mut runner);
            return runner;
        }
    }
    // A runner migproof does not model: the directory is read by the layout its names fit.
    if let Some(e) = identity
        .evidence
        .iter()
        .find(|e| super::format_named(e.runner).is_none())
    {
        runner.name = e.runner.to_string();
        runner.modelled = false;
        runner.certainty = Certainty::Project;
        runner.evidence = vec![e.text.clone()];
        return runner;
    }
    runner.name = detected.name().to_string();
    runner.modelled = true;
    match detected.content_evidence(&found.dir) {
        Some(content) => {
            runner.certainty = Certainty::Content;
            runner.evidence = vec![content];
        }
        None => {
            runner.certainty = Certainty::Names;
            runner.evidence = vec![format!("file names: {}", found.detection.reason)];
        }
    }
    // Evidence for a modelled runner whose layout does not fit is worth saying.
    for e in &identity.evidence {
        runner
            .evidence
            .push(format!("{} (but the files do not fit its layout)", e.text));
    }
    runner
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn reads_go_mod_up_to_the_root() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), ".git/HEAD", "");
        write(
            t.path(),
            "go.mod",
            "module x\n\nrequire (\n\tgithub.com/maragudk/migrate v0.4.3\n\tgithub.com/golang-migrate/migrate/v4 v4.1.0 // indirect\n)\n",
        );
        write(t.path(), "sql/migrations/0001_a.up.sql", "");
        let id = identify(&t.path().join("sql/migrations"));
        assert_eq!(id.runner(), Some("maragudk-migrate"));
        assert_eq!(id.evidence[0].text, "go.mod: github.com/maragudk/migrate v0.4.3");
        // The indirect requirement is not evidence.
        assert_eq!(id.evidence.len(), 1);
        assert_eq!(id.dialect, None);
    }

    #[test]
    fn nearest_evidence_wins_and_subdirectories_of_the_root_count() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "LICENSE", "");
        write(
            t.path(),
            "src/go.mod",
            "require github.com/golang-migrate/migrate/v4 v4.19.1\n",
        );
        write(t.path(), "make/migrations/mysql/1_a.up.sql", "");
        let id = identify(&t.path().join("make/migrations/mysql"));
        assert_eq!(id.runner(), Some("golang-migrate"));
        assert!(id.evidence[0].text.starts_with("src/go.mod: "), "{:?}", id.evidence);
        assert_eq!(id.dialect.as_deref(), Some("mysql"));
        assert_eq!(id.dialect_evidence.as_deref(), Some("directory name `mysql`"));
    }

    #[test]
    fn dialect_from_goose_set_dialect_and_parent_names() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "LICENSE", "");
        write(t.path(), "go.mod", "require github.com/pressly/goose/v3 v3.27.3\n");
        write(
            t.path(),
            "db/db.go",
            "const (\n\tDialect = \"sqlite3\"\n)\nfunc f() { goose.SetDialect(Dialect) }\n",
        );
        write(t.path(), "db/migrations/1_a.sql", "");
        let id = identify(&t.path().join("db/migrations"));
        assert_eq!(id.runner(), Some("goose"));
        assert_eq!(id.dialect.as_deref(), Some("sqlite3"));
        write(t.path(), "crates/server-sqlite/migrations/1_a.sql", "");
        let id = identify(&t.path().join("crates/server-sqlite/migrations"));
        assert_eq!(id.dialect.as_deref(), Some("sqlite3"));
    }

    #[test]
    fn prisma_lock_names_the_database() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "LICENSE", "");
        write(
            t.path(),
            "prisma/migrations/migration_lock.toml",
            "provider = \"mysql\"\n",
        );
        let id = identify(&t.path().join("prisma/migrations"));
        assert_eq!(id.dialect.as_deref(), Some("mysql"));
        // The schema's datasource wins over the lock (the generator's provider names no database).
        write(
            t.path(),
            "prisma/schema.prisma",
            "generator client {\n  provider = \"prisma-client-js\"\n}\ndatasource db {\n  provider = \"postgresql\"\n}\n",
        );
        assert_eq!(
            identify(&t.path().join("prisma/migrations")).dialect.as_deref(),
            Some("postgres")
        );
    }

    #[test]
    fn npm_evidence_is_a_dependency_not_a_script() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "LICENSE", "");
        write(
            t.path(),
            "package.json",
            "{\"scripts\": {\"typeorm\": \"typeorm-ts-node-commonjs\"},\n \"dependencies\": {\"typeorm\": \"^0.3.28\"}}",
        );
        write(t.path(), "src/migrations/1700000000000-Init.ts", "");
        let id = identify(&t.path().join("src/migrations"));
        assert_eq!(id.evidence[0].text, "package.json: \"typeorm\": \"^0.3.28\"");
    }

    #[test]
    fn supabase_config_and_scripts() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "LICENSE", "");
        write(t.path(), "supabase/config.toml", "[db]\n");
        write(t.path(), "supabase/migrations/1_a.sql", "");
        assert_eq!(
            identify(&t.path().join("supabase/migrations")).runner(),
            Some("supabase")
        );
        write(t.path(), "database/build.sh", "dbmate -d build/x up\n");
        write(t.path(), "database/100-shared/1_a.sql", "");
        let id = identify(&t.path().join("database/100-shared"));
        assert_eq!(id.runner(), Some("dbmate"));
        assert_eq!(id.evidence[0].text, "database/build.sh: dbmate -d build/x up");
    }
}
