//! Supabase CLI: `supabase/migrations/{version}_{name}.sql`, up-only, applied by
//! `supabase db push` / `migration up` / `db reset`.
//!
//! Modelled on supabase/cli (commit 1d1e7191, `apps/cli-go/pkg/migration/`):
//! - **Files** (`list.go` `ListLocalMigrations`): the directory's entries in name order;
//!   subdirectories skipped; names must match `^([0-9]+)_(.*)\.sql$` (`file.go`
//!   `migrateFilePattern`), others are skipped with a warning. The *first* entry is also
//!   skipped when it is `<14 digits>_init.sql` older than 20211209000000 (`shouldSkip`, kept
//!   for projects made by old CLIs).
//! - **Versions**: the digits as a string. Local and remote versions are compared as strings
//!   (`apply.go` `FindPendingMigrations`), and the history table's primary key is the version,
//!   so two files with one version cannot both be applied.
//! - **Order**: file name. A local file older than the last applied version needs
//!   `--include-all` (`internal/migration/up/up.go`); that is a git-aware question.
//! - **Downs**: none; the CLI has no down migrations.
//! - **Transactions**: the file's statements are sent as one pgx batch with the history insert
//!   ("ExecBatch is implicitly transactional", `file.go` `ExecBatch`): extended protocol, one
//!   Sync. PostgreSQL runs a statement that refuses a transaction block (`CREATE INDEX
//!   CONCURRENTLY`, `VACUUM`, …) there only as the first statement of the batch or right after
//!   a `COMMIT`; anywhere else it fails ("cannot be executed within a pipeline"; measured on
//!   PostgreSQL 15). Reported by `not-first-in-batch`, not by `concurrently-in-transaction`.
//! - **Detected by**: the directory is `migrations` inside a `supabase/` folder that holds the
//!   CLI's `config.toml`.

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format, Template};
use crate::model::{Apply, FormatRules, Migration, MigrationSet, Script, SetIssue, StrayFile, Version};

pub struct Supabase;

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_(.*)\.sql$").unwrap());
static OLD_INIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"([0-9]{14})_init\.sql").unwrap());

/// Whether `dir` is `supabase/migrations` beside the CLI's `supabase/config.toml`.
fn is_cli_dir(dir: &DirListing) -> bool {
    let Some(parent) = dir.path.parent() else { return false };
    dir.path.file_name().is_some_and(|n| n == "migrations")
        && parent.file_name().is_some_and(|n| n == "supabase")
        && parent.join("config.toml").is_file()
}

/// Whether the CLI skips `name` as the first entry of the directory (`shouldSkip`).
fn skipped_init(name: &str) -> bool {
    OLD_INIT
        .captures(name)
        .and_then(|c| c[1].parse::<u64>().ok())
        .is_some_and(|ts| ts < 20211209000000)
}

impl Format for Supabase {
    fn name(&self) -> &'static str {
        "supabase"
    }

    /// `supabase/config.toml` is the Supabase CLI's own file. Detection already requires it.
    fn content_evidence(&self, dir: &DirListing) -> Option<String> {
        self.detect(dir).map(|d| d.reason)
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        if !is_cli_dir(dir) {
            return None;
        }
        let n = dir.files.iter().filter(|f| NAME.is_match(f)).count();
        Detection::if_found(n, 35, || {
            format!(
                "{n} files `{{version}}_{{name}}.sql` in `supabase/migrations` beside the CLI's `supabase/config.toml`"
            )
        })
    }

    fn template(&self) -> Option<Template> {
        // One `{timestamp}_{name}.sql` file: the latest migration has no down.
        Some(Template::PairOrSingle)
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            has_downs: false,
            down_required: false,
            // One pgx batch per file (an implicit transaction where a first `CREATE INDEX
            // CONCURRENTLY` still works): statement by statement without a transaction is the
            // closest mode that never fails where the CLI succeeds.
            apply: Apply::Statements { transaction: false },
            ..FormatRules::default()
        };
        // The CLI lists files and subdirectories together; `i == 0` is the first of them.
        let mut entries: Vec<&String> = dir.files.iter().chain(&dir.dirs).collect();
        entries.sort();
        let first = entries.first().copied();
        for name in &dir.files {
            if Some(name) == first && skipped_init(name) {
                set.stray.push(StrayFile {
                    display: dir.child_display(name),
                    reason: "is skipped by the Supabase CLI as a first `<timestamp>_init.sql` from before 2021-12-09 \
                             (rename it to apply it)"
                        .to_string(),
                });
                continue;
            }
            let Some(c) = NAME.captures(name) else {
                if name.to_ascii_lowercase().ends_with(".sql") {
                    set.stray.push(StrayFile {
                        display: dir.child_display(name),
                        reason: "does not match `<timestamp>_name.sql`, so the Supabase CLI skips it".to_string(),
                    });
                }
                continue;
            };
            let Some(version) = Version::digit_string(&c[1]) else {
                continue;
            };
            let title = c[2].to_string();
            let file = set.add_file(dir.read_file(name));
            let text = set.file(file).text().to_string();
            batch_rule(&mut set, file, &text);
            set.migrations.push(Migration {
                version,
                name: title,
                up: Some(Script::whole(file, &text)),
                down: None,
                down_name: None,
                needs_down: false,
                dialect: None,
                parents: None,
            });
        }
        set.sort();
        set
    }
}

static BEGINS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)^(begin\b|start\s+transaction\b)").unwrap());
static ENDS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)^(commit|end|rollback|abort)\b").unwrap());

/// Reports each statement that refuses a transaction block and is neither the first of the
/// batch nor the first after a `COMMIT`/`ROLLBACK`.
fn batch_rule(set: &mut MigrationSet, file: usize, text: &str) {
    let scan = crate::sql::lexer::scan(text, 0..text.len());
    let mut at_start = true;
    let mut explicit = false;
    for span in scan.statements {
        let stmt = &text[span.clone()];
        if let Some(hit) = crate::checks::concurrently_in_transaction::REFUSES_TRANSACTION.find(stmt)
            && (!at_start || explicit)
        {
            let words = hit.as_str().split_whitespace().take(4).collect::<Vec<_>>().join(" ");
            let why = if explicit {
                "inside the `BEGIN` block before it: PostgreSQL fails with \"cannot run inside a transaction block\""
            } else {
                "after other statements of the same batch: PostgreSQL fails with \"cannot be executed within a pipeline\""
            };
            let end = span.start + hit.as_str().len().min(stmt.find('\n').unwrap_or(stmt.len()));
            set.issues.push(SetIssue::Runner {
                code: crate::checks::not_first_in_batch::RULE.code,
                file,
                span: span.start..end,
                message: format!(
                    "`{words}…` runs {why}; the Supabase CLI sends the file as one batch and rolls it all back"
                ),
                related: Vec::new(),
            });
        }
        if ENDS.is_match(stmt) {
            at_start = true;
            explicit = false;
        } else {
            at_start = false;
            if BEGINS.is_match(stmt) {
                explicit = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_init_files() {
        assert!(skipped_init("20211101000000_init.sql"));
        assert!(!skipped_init("20220101000000_init.sql"));
        assert!(!skipped_init("20211101000000_base.sql"));
    }
}
