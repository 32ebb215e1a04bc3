use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `DROP INDEX` without `CONCURRENTLY` of an index on an existing table (an index the
    /// migrations created on a new table is exempt; an index they did not create counts as existing).
    ///
    /// ## Why is this bad
    /// `DROP INDEX` takes ACCESS EXCLUSIVE on the index's table (measured on PostgreSQL 15): every read
    /// and write of the table waits, and queues behind any long transaction that uses it. Docs:
    /// https://www.postgresql.org/docs/current/sql-dropindex.html
    ///
    /// ## Example
    /// ```sql
    /// DROP INDEX orders_customer_idx;
    /// ```
    ///
    /// ## How to fix
    /// `DROP INDEX CONCURRENTLY orders_customer_idx;` outside a transaction.
    pub static RULE = ("MC402", "drop-index-not-concurrent", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let Kind::DropIndex {
        concurrently: false,
        indexes,
    } = &ctx.stmt.kind
    else {
        return;
    };
    for index in indexes {
        let table = ctx.table_of_index(index).unwrap_or("").to_string();
        if !table.is_empty() && ctx.is_new(&table) {
            continue;
        }
        let on = if table.is_empty() {
            "its table".to_string()
        } else {
            format!("`{table}`")
        };
        out.push(ctx.claim(
            &RULE,
            ctx.stmt.span.clone(),
            &table,
            Effect::Lock,
            format!("`DROP INDEX {index}` takes ACCESS EXCLUSIVE on {on}: reads and writes wait"),
            "blocks reads and writes",
            "use `DROP INDEX CONCURRENTLY` in a migration that runs outside a transaction".into(),
        ));
    }
}
