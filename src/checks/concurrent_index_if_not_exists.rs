use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `CREATE INDEX CONCURRENTLY IF NOT EXISTS`.
    ///
    /// ## Why is this bad
    /// A concurrent build that fails (a deadlock, a duplicate in a UNIQUE index, a cancelled deploy)
    /// leaves an INVALID index behind. On the retry `IF NOT EXISTS` sees the name and skips the build,
    /// so the migration "succeeds" and the invalid index stays: never used by queries, still slowing
    /// every write. Docs: https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx ON orders (customer_id);
    /// ```
    ///
    /// ## How to fix
    /// Drop a leftover first: `DROP INDEX CONCURRENTLY IF EXISTS orders_customer_idx;` then
    /// `CREATE INDEX CONCURRENTLY orders_customer_idx …` (each in its own non-transactional step).
    pub static RULE = ("MC405", "concurrent-index-if-not-exists", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    if let Kind::CreateIndex {
        concurrently: true,
        if_not_exists: true,
        ..
    } = &ctx.stmt.kind
    {
        out.push(ctx.claim(
            &RULE,
            ctx.stmt.span.clone(),
            "",
            Effect::Lock,
            "`CREATE INDEX CONCURRENTLY IF NOT EXISTS` skips the build on a retry when a failed build left an INVALID index".into(),
            "a retry keeps an invalid index",
            "`DROP INDEX CONCURRENTLY IF EXISTS …` first, then `CREATE INDEX CONCURRENTLY` without IF NOT EXISTS".into(),
        ));
    }
}
