use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Opt-in (off unless `[checks]` in `migproof.toml` names it): reports renaming a column or a table
    /// that already exists.
    ///
    /// ## Why is this bad
    /// Code running the previous release still uses the old name and fails until the new release is
    /// deployed everywhere. Docs: https://www.postgresql.org/docs/current/sql-altertable.html
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users RENAME COLUMN name TO full_name;
    /// ```
    ///
    /// ## How to fix
    /// Add the new column (or a view with the new name), write both, switch reads, then drop the old.
    pub static RULE = ("MC442", "rename-object", Warning);
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
        let what = match &a.kind {
            ActionKind::RenameColumn { column } => format!("column `{table}.{column}`"),
            ActionKind::RenameTo { .. } => format!("table `{table}`"),
            _ => continue,
        };
        out.push(ctx.claim(
            &RULE,
            a.span.clone(),
            table,
            Effect::Lock,
            format!("renaming {what} breaks code that still uses the old name"),
            "breaks running code",
            "expand and contract: add the new name, move the code over, then remove the old one".into(),
        ));
    }
}
