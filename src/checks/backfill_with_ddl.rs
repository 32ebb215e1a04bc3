use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports an `UPDATE` or `DELETE` of an existing table in the same transaction as earlier DDL that
    /// took ACCESS EXCLUSIVE on an existing table.
    ///
    /// ## Why is this bad
    /// The DDL's ACCESS EXCLUSIVE lock is held until the transaction commits, so the table is closed to
    /// reads and writes for the whole backfill, which is O(table size) (the UPDATE scans it: measured
    /// on PostgreSQL 15). Docs: https://www.postgresql.org/docs/current/explicit-locking.html
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD COLUMN active boolean;
    /// UPDATE users SET active = true;
    /// ```
    ///
    /// ## How to fix
    /// Commit the DDL first; backfill in a separate migration (or outside migrations) in batches.
    pub static RULE = ("MC433", "backfill-with-ddl", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let Kind::Backfill { table, verb } = &ctx.stmt.kind else {
        return;
    };
    if !ctx.in_transaction || !ctx.is_existing(table) {
        return;
    }
    let Some((locked, _)) = ctx
        .locked_in_transaction
        .iter()
        .find(|(t, _)| t == table)
        .or_else(|| ctx.locked_in_transaction.first())
    else {
        return;
    };
    out.push(ctx.claim(
        &RULE,
        ctx.stmt.span.clone(),
        locked,
        Effect::Lock,
        format!("this {verb} of `{table}` runs in the transaction that holds ACCESS EXCLUSIVE on `{locked}`: it stays locked for the whole backfill"),
        "backfill under an ACCESS EXCLUSIVE lock",
        "commit the DDL first and backfill in batches in a later migration".into(),
    ));
}
