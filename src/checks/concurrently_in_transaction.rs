use std::sync::LazyLock;

use regex::Regex;

use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a statement that PostgreSQL refuses inside a transaction block
    /// (`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`,
    /// `ALTER TABLE … DETACH PARTITION … CONCURRENTLY`, `CREATE DATABASE`, `VACUUM`) in a
    /// script that the runner wraps in a transaction: a diesel migration without
    /// `metadata.toml` saying `run_in_transaction = false`. `REFRESH MATERIALIZED VIEW
    /// CONCURRENTLY` is allowed in a transaction and never reported.
    ///
    /// ## Why is this bad
    /// The migration fails every time with "cannot run inside a transaction block". A down
    /// migration is often only run during an incident, which is when this is found out.
    ///
    /// ## Example
    /// ```sql
    /// -- 2024-04-12-144536_remove-downloads-column/down.sql (no metadata.toml)
    /// CREATE INDEX CONCURRENTLY index_downloads ON versions (downloads);
    /// ```
    ///
    /// ## How to fix
    /// Tell the runner to run the migration outside a transaction (diesel: a `metadata.toml`
    /// with `run_in_transaction = false`) and keep that migration to this one statement.
    pub static RULE = ("MC021", "concurrently-in-transaction", Error);
}

pub(crate) static REFUSES_TRANSACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?is)^(create\s+(unique\s+)?index\s+concurrently|drop\s+index\s+concurrently|reindex\b.*\bconcurrently\b|alter\s+table\b.*\bdetach\s+partition\b.*\bconcurrently\b|create\s+database\b|drop\s+database\b|vacuum\b|alter\s+system\b)",
    )
    .unwrap()
});

static ENDS_TRANSACTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(commit|end|rollback)(\s+(work|transaction))?\s*;?\s*$").unwrap());
static STARTS_TRANSACTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(begin|start\s+transaction)\b").unwrap());

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    if !set.rules.wraps_in_transaction {
        return;
    }
    for m in &set.migrations {
        for (script, direction) in [(&m.up, "up"), (&m.down, "down")] {
            let Some(script) = script else { continue };
            let Some(sql) = &script.sql else { continue };
            if script.no_transaction {
                continue;
            }
            let text = set.file(script.file).text();
            // A runner that sends statement by statement: an explicit `COMMIT;` ends its
            // transaction, and what follows runs in autocommit until a `BEGIN;` (nakama's
            // `COMMIT; CREATE INDEX CONCURRENTLY …; BEGIN;`).
            let one_by_one = matches!(script.apply, crate::model::Apply::Statements { .. });
            let mut closed = false;
            for statement in &sql.statements {
                let Some(stmt) = text.get(statement.clone()) else {
                    continue;
                };
                if one_by_one {
                    if ENDS_TRANSACTION.is_match(stmt) {
                        closed = true;
                        continue;
                    }
                    if STARTS_TRANSACTION.is_match(stmt) {
                        closed = false;
                        continue;
                    }
                }
                if closed {
                    continue;
                }
                let Some(hit) = REFUSES_TRANSACTION.find(stmt) else {
                    continue;
                };
                let words = hit.as_str().split_whitespace().take(4).collect::<Vec<_>>().join(" ");
                let start = statement.start;
                let end = start + hit.as_str().len().min(stmt.find('\n').unwrap_or(stmt.len()));
                out.push(
                    Finding::new(
                        &RULE,
                        Location::in_file(set, script.file, start..end),
                        format!(
                            "the {direction} migration of version {} runs `{words}…` inside the transaction {} wraps it in: PostgreSQL refuses it there",
                            m.version, set.format
                        ),
                    )
                    .label("cannot run inside a transaction block")
                    .help("run this migration outside a transaction (diesel: `metadata.toml` with `run_in_transaction = false`)"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_what_refuses_a_transaction() {
        for s in [
            "CREATE INDEX CONCURRENTLY i ON t (a)",
            "create unique index\n  concurrently i on t (a);",
            "DROP INDEX CONCURRENTLY IF EXISTS i;",
            "REINDEX INDEX CONCURRENTLY i;",
            "VACUUM t;",
        ] {
            assert!(REFUSES_TRANSACTION.is_match(s), "{s}");
        }
        for s in [
            "REFRESH MATERIALIZED VIEW CONCURRENTLY v;",
            "CREATE INDEX i ON t (a);",
            "DROP INDEX i;",
            "SELECT 'create index concurrently';",
        ] {
            assert!(!REFUSES_TRANSACTION.is_match(s), "{s}");
        }
    }
}
