use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `CREATE INDEX` without `CONCURRENTLY` on a table that already exists (not created in
    /// the same migration, nor by a migration added since `--base`). `CREATE INDEX … ON ONLY` a
    /// partitioned parent (which builds nothing) is not reported.
    ///
    /// ## Why is this bad
    /// `CREATE INDEX` holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the
    /// table waits until the table has been read and sorted (measured on PostgreSQL 15: SHARE lock and
    /// a full scan; on a partitioned parent, SHARE on every partition). Docs:
    /// https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX orders_customer_idx ON orders (customer_id);
    /// ```
    ///
    /// ## How to fix
    /// `CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);` in a migration the
    /// runner sends outside a transaction.
    pub static RULE = ("MC401", "index-not-concurrent", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let Kind::CreateIndex {
        table,
        concurrently: false,
        only: false,
        ..
    } = &ctx.stmt.kind
    else {
        return;
    };
    if !ctx.is_existing(table) {
        return;
    }
    let help = "use `CREATE INDEX CONCURRENTLY` in a migration that runs outside a transaction";
    let partitioned = ctx.table(table).filter(|t| !t.partition_key.is_empty());
    if let Some(parent) = partitioned {
        // A partitioned parent holds no rows: every partition is locked and scanned.
        let help = "create the index `ON ONLY` the parent, `CREATE INDEX CONCURRENTLY` on each partition, then `ALTER INDEX … ATTACH PARTITION`";
        let mut any = false;
        for p in parent.partitions.iter().filter(|p| ctx.is_existing(p)) {
            any = true;
            out.push(ctx.claim(
                &RULE,
                ctx.stmt.span.clone(),
                p,
                Effect::Scan,
                format!("`CREATE INDEX` on partitioned `{table}` blocks writes to partition `{p}` (SHARE lock) while it reads it"),
                "blocks writes for the whole build",
                help.into(),
            ));
        }
        if !any {
            out.push(ctx.claim(
                &RULE,
                ctx.stmt.span.clone(),
                table,
                Effect::Lock,
                format!("`CREATE INDEX` on partitioned `{table}` blocks writes to every partition while it builds"),
                "blocks writes for the whole build",
                help.into(),
            ));
        }
        return;
    }
    out.push(ctx.claim(
        &RULE,
        ctx.stmt.span.clone(),
        table,
        Effect::Scan,
        format!(
            "`CREATE INDEX` on existing table `{table}` blocks its writes (SHARE lock) while it reads the whole table"
        ),
        "blocks writes for the whole build",
        help.into(),
    ));
}
