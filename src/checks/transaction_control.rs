use std::sync::LazyLock;

use regex::Regex;

use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// In a migration script that the format's runner runs inside a transaction of its own
    /// (sqlx, dbmate, goose, sql-migrate, diesel, sourcegraph) and that did not opt out of it,
    /// reports a top-level `COMMIT` (or `END`) that more statements follow, and any top-level
    /// `ROLLBACK` (or `ABORT`). A `BEGIN … COMMIT` around the whole script is left alone: it
    /// only draws warnings from PostgreSQL.
    ///
    /// ## Why is this bad
    /// PostgreSQL has no nested transactions: the script's `COMMIT` commits the runner's
    /// transaction, so the statements after it run outside it and a failure there leaves the
    /// migration half applied. A `ROLLBACK` silently undoes what the script did before it, and the
    /// runner still records the migration as applied.
    ///
    /// ## Example
    /// ```sql
    /// -- migrate:up
    /// ALTER TABLE users ADD COLUMN email text;
    /// COMMIT;
    /// BEGIN;
    /// UPDATE users SET email = login || '@example.com';
    /// ```
    ///
    /// ## How to fix
    /// Split the migration in two at the `COMMIT`, or opt the script out of the runner's
    /// transaction (`transaction:false` for dbmate, `-- no-transaction` for sqlx,
    /// `-- +goose NO TRANSACTION`) if it must control its transactions. Remove a `ROLLBACK`
    /// left from testing.
    pub static RULE = ("MC070", "transaction-control", Warning);
}

/// What a top-level transaction statement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Begin,
    Commit,
    Rollback,
}

/// A statement that starts, ends or aborts a transaction block (not `ROLLBACK TO SAVEPOINT`,
/// not `COMMIT PREPARED`/`ROLLBACK PREPARED`, which do not end the current transaction).
static CONTROL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(begin|start\s+transaction|commit|end|abort|rollback)\b(\s+(work|transaction|and\s+(no\s+)?chain|isolation\b.*|read\b.*|(not\s+)?deferrable))*\s*;?\s*$",
    )
    .unwrap()
});

fn control(statement: &str) -> Option<Control> {
    let c = CONTROL.captures(statement.trim())?;
    let word = c[1].to_ascii_lowercase();
    Some(match word.as_str() {
        "commit" | "end" => Control::Commit,
        "rollback" | "abort" => Control::Rollback,
        _ => Control::Begin,
    })
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    if !set.rules.wraps_in_transaction {
        return;
    }
    for m in &set.migrations {
        for script in m.up.iter().chain(&m.down) {
            let Some(sql) = &script.sql else { continue };
            if script.no_transaction {
                continue;
            }
            let text = set.file(script.file).text();
            let kinds: Vec<Option<Control>> = sql
                .statements
                .iter()
                .map(|s| text.get(s.clone()).and_then(control))
                .collect();
            for (i, statement) in sql.statements.iter().enumerate() {
                let after = kinds[i + 1..].iter().filter(|k| k.is_none()).count();
                let (message, label) = match kinds[i] {
                    Some(Control::Commit) if after > 0 => (
                        format!(
                            "this commits the transaction {} runs the script in: the {after} statement(s) after it run outside it",
                            set.format
                        ),
                        "ends the runner's transaction",
                    ),
                    Some(Control::Rollback) => (
                        format!(
                            "this undoes the statements before it, in the transaction {} runs the script in; the runner still records the migration as applied",
                            set.format
                        ),
                        "undoes the script so far",
                    ),
                    _ => continue,
                };
                out.push(
                    Finding::new(&RULE, Location::in_file(set, script.file, statement.clone()), message)
                        .label(label)
                        .help(
                            "split the migration here, or opt the script out of the runner's transaction if it must control its own",
                        ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_transaction_control_only() {
        for s in [
            "BEGIN;",
            "begin transaction isolation level serializable;",
            "START TRANSACTION;",
            "COMMIT",
            "commit work;",
            "END;",
            "ROLLBACK;",
            "COMMIT AND CHAIN;",
        ] {
            assert!(control(s).is_some(), "{s}");
        }
        for s in [
            "ROLLBACK TO SAVEPOINT a;",
            "COMMIT PREPARED 'x';",
            "SAVEPOINT a;",
            "CREATE TABLE begin_log (id int);",
            "DO $$ BEGIN PERFORM 1; END $$;",
            "BEGIN_LOG;",
        ] {
            assert!(control(s).is_none(), "{s}");
        }
    }
}
