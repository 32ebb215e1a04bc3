use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `ADD COLUMN … NOT NULL` without a default (and not generated or identity) on an existing
    /// table.
    ///
    /// ## Why is this bad
    /// It fails with "column … contains null values" as soon as the table has a row, which CI on an
    /// empty database never sees (measured on PostgreSQL 15: it succeeds on an empty table and fails
    /// with rows). Docs: https://www.postgresql.org/docs/current/ddl-alter.html#DDL-ALTER-ADDING-A-COLUMN
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
    /// ```
    ///
    /// ## How to fix
    /// Add it with a constant default (no rewrite since PostgreSQL 11), or nullable, backfill, then
    /// make it NOT NULL (see MC411).
    pub static RULE = ("MC430", "add-required-column", Warning);
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
        let ActionKind::AddColumn(c) = &a.kind else { continue };
        if !c.not_null || c.default.is_some() || c.generated_stored || c.identity {
            continue;
        }
        out.push(ctx.claim(
            &RULE,
            a.span.clone(),
            table,
            Effect::Fails,
            format!(
                "adding NOT NULL column `{}` without a default fails when `{table}` has rows",
                c.name
            ),
            "fails on a table with rows",
            "add it with a constant DEFAULT, or nullable and backfill before SET NOT NULL".into(),
        ));
    }
}
