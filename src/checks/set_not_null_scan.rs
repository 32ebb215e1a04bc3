use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `ALTER COLUMN … SET NOT NULL` on an existing table unless the migrations so far prove
    /// the column not null without a scan: a *valid* `CHECK (col IS NOT NULL)` (added without
    /// `NOT VALID`, or validated since; PostgreSQL 12+), in this or an earlier migration, or a column
    /// that is already NOT NULL. The version comes from `pg-version`.
    ///
    /// ## Why is this bad
    /// `SET NOT NULL` reads the whole table under ACCESS EXCLUSIVE: no reads or writes meanwhile
    /// (measured on PostgreSQL 15; no scan with a validated CHECK). Docs:
    /// https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DROP-NOT-NULL
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ALTER COLUMN email SET NOT NULL;
    /// ```
    ///
    /// ## How to fix
    /// PostgreSQL 12–17: `ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID`, then
    /// `VALIDATE CONSTRAINT email_nn` (non-blocking scan), then `SET NOT NULL` (no scan), then drop the
    /// CHECK. PostgreSQL 18+: `ADD CONSTRAINT email_nn NOT NULL email NOT VALID`, then
    /// `VALIDATE CONSTRAINT email_nn`.
    pub static RULE = ("MC411", "set-not-null-scan", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let Kind::AlterTable { table, actions } = &ctx.stmt.kind else {
        return;
    };
    if !ctx.is_existing(table) {
        return;
    }
    let known = ctx.table(table);
    for (i, a) in actions.iter().enumerate() {
        let ActionKind::SetNotNull { column } = &a.kind else {
            continue;
        };
        // An earlier action of the same statement may have validated the proof.
        let validated_here = actions[..i].iter().any(|b| matches!(&b.kind, ActionKind::ValidateConstraint { name }
            if known.and_then(|t| t.constraints.get(name)).is_some_and(|c| matches!(&c.kind, ConstraintKind::Check { not_null } if not_null.contains(column)))));
        let proven = known.is_some_and(|t| {
            t.not_null.contains(column) || (ctx.pg_version >= 12 && t.has_valid_not_null_check(column))
        });
        if proven || (validated_here && ctx.pg_version >= 12) {
            continue;
        }
        let help = if ctx.pg_version >= 18 {
            format!(
                "add `CONSTRAINT {column}_not_null NOT NULL {column} NOT VALID`, then `VALIDATE CONSTRAINT {column}_not_null` in a later migration"
            )
        } else if ctx.pg_version >= 12 {
            format!(
                "add `CHECK ({column} IS NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT` it, then `SET NOT NULL` skips the scan"
            )
        } else {
            "before PostgreSQL 12 SET NOT NULL always scans: schedule it when the table can be locked".to_string()
        };
        out.push(ctx.claim(
            &RULE,
            a.span.clone(),
            table,
            Effect::Scan,
            format!("`SET NOT NULL` on `{table}.{column}` scans the whole table under ACCESS EXCLUSIVE (no valid `CHECK ({column} IS NOT NULL)` in these migrations)"),
            "full scan, reads and writes blocked",
            help,
        ));
    }
}
