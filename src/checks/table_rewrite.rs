use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports statements that rewrite a whole existing table: `SET LOGGED` / `SET UNLOGGED`,
    /// `VACUUM FULL`, `CLUSTER`, and `ALTER COLUMN … SET EXPRESSION` (PostgreSQL 17+).
    ///
    /// ## Why is this bad
    /// The table and its indexes are copied under ACCESS EXCLUSIVE (measured on PostgreSQL 15 for SET
    /// UNLOGGED and CLUSTER): no reads or writes until it finishes. Docs:
    /// https://www.postgresql.org/docs/current/sql-altertable.html, https://www.postgresql.org/docs/current/sql-cluster.html,
    /// https://www.postgresql.org/docs/current/sql-vacuum.html
    ///
    /// ## Example
    /// ```sql
    /// VACUUM FULL orders;
    /// ```
    ///
    /// ## How to fix
    /// Do maintenance outside migrations, in a window, or with an online tool (pg_repack; `REPACK
    /// CONCURRENTLY` on PostgreSQL 19).
    pub static RULE = ("MC422", "table-rewrite", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let mut claim = |table: &str, span: std::ops::Range<usize>, what: &str| {
        if !ctx.is_existing(table) {
            return;
        }
        out.push(ctx.claim(
            &RULE,
            span,
            table,
            Effect::Rewrite,
            format!("`{what}` rewrites existing table `{table}` and its indexes under ACCESS EXCLUSIVE"),
            "rewrites the table",
            "run it outside migrations in a maintenance window, or use an online tool (pg_repack; REPACK CONCURRENTLY on PostgreSQL 19)".into(),
        ));
    };
    match &ctx.stmt.kind {
        Kind::AlterTable { table, actions } => {
            for a in actions {
                match &a.kind {
                    ActionKind::Rewrite { what } => claim(table, a.span.clone(), what),
                    ActionKind::SetExpression { .. } if ctx.pg_version >= 17 => {
                        claim(table, a.span.clone(), "SET EXPRESSION")
                    }
                    _ => {}
                }
            }
        }
        Kind::Vacuum { full: true, tables } => {
            for t in tables {
                claim(t, ctx.stmt.span.clone(), "VACUUM FULL");
            }
        }
        Kind::Cluster { table: Some(t) } => claim(t, ctx.stmt.span.clone(), "CLUSTER"),
        _ => {}
    }
}
