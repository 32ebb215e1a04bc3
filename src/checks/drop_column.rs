use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Opt-in (off unless `[checks]` in `migproof.toml` names it): reports `ALTER TABLE … DROP COLUMN` on
    /// an existing table.
    ///
    /// ## Why is this bad
    /// Application code still running the previous release reads or writes the column and fails
    /// between the migration and the deploy; the data is gone. Docs:
    /// https://www.postgresql.org/docs/current/sql-altertable.html
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users DROP COLUMN legacy_flag;
    /// ```
    ///
    /// ## How to fix
    /// Stop using the column in a release first (expand/contract), then drop it in a later one.
    pub static RULE = ("MC440", "drop-column", Warning);
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
    for a in actions {
        if let ActionKind::DropColumn { column } = &a.kind {
            out.push(ctx.claim(
                &RULE,
                a.span.clone(),
                table,
                Effect::Lock,
                format!("dropping `{table}.{column}` breaks code that still uses it and loses its data"),
                "destructive",
                "stop using the column in a release first, then drop it".into(),
            ));
        }
    }
}
