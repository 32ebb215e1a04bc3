//! Prisma Migrate: one folder per migration, `{timestamp}_{name}/migration.sql`, beside a
//! `migration_lock.toml` that records the database provider (`provider = "postgresql"`).
//! Prisma applies folders in name order and has no down migrations, so pairing is not checked.
//!
//! The lock file must exist and name the provider of the schema's `datasource` (Prisma refuses
//! to deploy when they differ); the schema is looked for at `../schema.prisma` and
//! `../schema/schema.prisma`. Without a schema, the provider must be PostgreSQL's, the only
//! grammar migproof checks.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format, join_display};
use crate::model::{FormatRules, LockProblem, Migration, MigrationSet, Script, SetIssue, StrayFile, Version};

pub struct Prisma;

const LOCK: &str = "migration_lock.toml";
const SCRIPT: &str = "migration.sql";

pub(super) static FOLDER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_(.+)$").unwrap());
static DATASOURCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?s)datasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*"([^"]*)""#).unwrap());

fn migration_folders(dir: &DirListing) -> impl Iterator<Item = (&String, Version, String)> {
    dir.dirs.iter().filter_map(|d| {
        let c = FOLDER.captures(d)?;
        Some((d, Version::parse(&c[1])?, c[2].to_string()))
    })
}

impl Format for Prisma {
    fn name(&self) -> &'static str {
        "prisma"
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let n = migration_folders(dir)
            .filter(|(d, _, _)| dir.has_file(&format!("{d}/{SCRIPT}")))
            .count();
        let lock = dir.files.iter().any(|f| f == LOCK);
        (n > 0 || lock).then(|| Detection {
            score: 30,
            reason: format!(
                "{n} `{{timestamp}}_{{name}}/migration.sql` folders{}",
                if lock { " and a migration_lock.toml" } else { "" }
            ),
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let rules = FormatRules {
            has_downs: false,
            down_required: false,
            ..FormatRules::default()
        };
        let mut set = MigrationSet::new(dir.display.clone(), dir.path.clone(), self.name(), rules);
        for (folder, version, name) in migration_folders(dir) {
            let shown = join_display(&dir.display, folder);
            let rel = format!("{folder}/{SCRIPT}");
            if !dir.has_file(&rel) {
                set.stray.push(StrayFile {
                    display: shown,
                    reason: format!("has no `{SCRIPT}`, so `prisma migrate deploy` stops there"),
                });
                continue;
            }
            let id = set.add_file(dir.read_file(&rel));
            set.migrations.push(Migration::new(
                version,
                name,
                Some(Script::whole(id, set.file(id).text())),
                None,
                false,
            ));
        }
        let lock_display = dir.child_display(LOCK);
        if let Some(problem) = lock_problem(dir) {
            set.issues.push(SetIssue::LockFile {
                path: lock_display,
                problem,
            });
        }
        set.sort();
        set
    }
}

/// What is wrong with the directory's lock file, if anything.
fn lock_problem(dir: &DirListing) -> Option<LockProblem> {
    if !dir.files.iter().any(|f| f == LOCK) {
        return Some(LockProblem::Missing);
    }
    let text = match std::fs::read_to_string(dir.path.join(LOCK)) {
        Ok(t) => t,
        Err(e) => return Some(LockProblem::Invalid(format!("cannot be read: {}", e.kind()))),
    };
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => return Some(LockProblem::Invalid(format!("is not valid TOML: {}", e.message()))),
    };
    let Some(locked) = table.get("provider").and_then(|p| p.as_str()) else {
        return Some(LockProblem::Invalid("has no `provider = \"…\"`".to_string()));
    };
    match schema_provider(&dir.path) {
        Some((expected, source)) if expected != locked => Some(LockProblem::Mismatch {
            locked: locked.to_string(),
            expected,
            source,
        }),
        Some(_) => None,
        None if !matches!(locked, "postgresql" | "postgres" | "cockroachdb") => Some(LockProblem::Mismatch {
            locked: locked.to_string(),
            expected: "postgresql".to_string(),
            source: "migproof, which checks PostgreSQL migrations".to_string(),
        }),
        None => None,
    }
}

/// The `datasource` provider of the Prisma schema beside the migrations folder, and where.
fn schema_provider(migrations: &Path) -> Option<(String, String)> {
    let parent = migrations.parent()?;
    for candidate in [
        parent.join("schema.prisma"),
        parent.join("schema").join("schema.prisma"),
    ] {
        if let Ok(text) = std::fs::read_to_string(&candidate)
            && let Some(c) = DATASOURCE.captures(&text)
        {
            let name = candidate
                .strip_prefix(parent)
                .map_or_else(|_| candidate.display().to_string(), |p| format!("../{}", p.display()));
            return Some((c[1].to_string(), name));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_datasource_provider() {
        let schema = "generator client {\n provider = \"prisma-client-js\"\n}\ndatasource db {\n  url = env(\"X\")\n  provider = \"mysql\"\n}\n";
        assert_eq!(&DATASOURCE.captures(schema).unwrap()[1], "mysql");
    }
}
