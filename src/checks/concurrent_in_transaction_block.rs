use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY` and
    /// `DETACH PARTITION … CONCURRENTLY` where they would run inside a transaction block, judged by how
    /// *this file's* runner sends it: inside the runner's transaction (goose, sqlx, dbmate, Flyway,
    /// … unless the file opts out), after an explicit `BEGIN`, or as one of several statements sent as
    /// one query (golang-migrate), which PostgreSQL runs as one implicit transaction. Files MC021
    /// already reports (runners that wrap every migration) are left to it, and so is Flyway, which
    /// detects these statements and runs such a migration outside a transaction by itself.
    ///
    /// ## Why is this bad
    /// PostgreSQL refuses these statements in a transaction block ("cannot run inside a transaction
    /// block"), so the deploy stops there. Docs:
    /// https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
    ///
    /// ## Example
    /// ```sql
    /// -- golang-migrate: 000042_idx.up.sql
    /// CREATE INDEX CONCURRENTLY a_idx ON t (a);
    /// CREATE INDEX CONCURRENTLY b_idx ON t (b);
    /// ```
    ///
    /// ## How to fix
    /// Give each concurrent statement a migration of its own that the runner sends outside a
    /// transaction (goose `-- +goose NO TRANSACTION`, sqlx `-- no-transaction`, dbmate
    /// `transaction:false`, Flyway `executeInTransaction=false`), without `BEGIN`.
    pub static RULE = ("MC404", "concurrent-in-transaction-block", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let what = match &ctx.stmt.kind {
        Kind::CreateIndex { concurrently: true, .. } => "CREATE INDEX CONCURRENTLY",
        Kind::DropIndex { concurrently: true, .. } => "DROP INDEX CONCURRENTLY",
        Kind::Reindex { concurrently: true, .. } => "REINDEX CONCURRENTLY",
        Kind::AlterTable { actions, .. }
            if actions
                .iter()
                .any(|a| a.kind == ActionKind::DetachPartition { concurrently: true }) =>
        {
            "DETACH PARTITION CONCURRENTLY"
        }
        _ => return,
    };
    if !ctx.in_transaction {
        return;
    }
    let explicit = ctx.before.iter().any(|s| s.kind == Kind::Begin);
    // MC021 reports the runners that wrap every migration, unless the file opted out.
    if !explicit && ctx.set.rules.wraps_in_transaction && !ctx.script.no_transaction {
        return;
    }
    // Flyway's PostgreSQL parser marks these statements non-transactional and runs such a
    // migration outside a transaction on its own (and refuses one that mixes them with other
    // statements unless told to): its model here does not know that, so only `BEGIN` counts.
    if !explicit && ctx.set.format == "flyway" {
        return;
    }
    let why = if explicit {
        "after an explicit `BEGIN`".to_string()
    } else if ctx.script.apply == crate::model::Apply::OneQuery {
        format!(
            "as one of {} statements {} sends as one query, which PostgreSQL runs as one implicit transaction block",
            ctx.script.sql.as_ref().map_or(0, |s| s.ddl.len()),
            ctx.set.format
        )
    } else {
        format!("in the transaction {} wraps this file in", ctx.set.format)
    };
    out.push(ctx.claim(
        &RULE,
        ctx.stmt.span.clone(),
        "",
        Effect::Fails,
        format!("`{what}` runs {why}: PostgreSQL refuses it there"),
        "cannot run inside a transaction block",
        "put it alone in a migration the runner sends outside a transaction, without BEGIN".into(),
    ));
}
