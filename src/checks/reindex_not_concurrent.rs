use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `REINDEX` without `CONCURRENTLY` (PostgreSQL 12 and later, where the concurrent form
    /// exists; the version comes from `pg-version` in `migproof.toml`).
    ///
    /// ## Why is this bad
    /// `REINDEX` holds SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each index it
    /// rebuilds (reads that would use it wait) for the whole rebuild (measured on PostgreSQL 15). Docs:
    /// https://www.postgresql.org/docs/current/sql-reindex.html
    ///
    /// ## Example
    /// ```sql
    /// REINDEX INDEX orders_customer_idx;
    /// ```
    ///
    /// ## How to fix
    /// `REINDEX INDEX CONCURRENTLY orders_customer_idx;` outside a transaction.
    pub static RULE = ("MC403", "reindex-not-concurrent", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let Kind::Reindex {
        concurrently: false,
        what,
    } = &ctx.stmt.kind
    else {
        return;
    };
    if ctx.pg_version < 12 || matches!(what.as_str(), "system" | "database") {
        return;
    }
    out.push(ctx.claim(
        &RULE,
        ctx.stmt.span.clone(),
        "",
        Effect::Lock,
        "`REINDEX` blocks writes to the table and reads through the rebuilt indexes until it finishes".into(),
        "blocks writes for the whole rebuild",
        "use `REINDEX … CONCURRENTLY` (PostgreSQL 12+) in a migration that runs outside a transaction".into(),
    ));
}
