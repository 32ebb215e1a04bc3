use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `CREATE TABLE … PARTITION OF parent` when the parent is an existing table.
    ///
    /// ## Why is this bad
    /// Creating a partition takes ACCESS EXCLUSIVE on the parent (measured on PostgreSQL 15): every
    /// query on the whole partitioned table waits, and queues behind long transactions on it. Docs:
    /// https://www.postgresql.org/docs/current/ddl-partitioning.html
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
    /// ```
    ///
    /// ## How to fix
    /// `CREATE TABLE events_2027 (LIKE events INCLUDING ALL)`, load it, then
    /// `ALTER TABLE events ATTACH PARTITION events_2027 …` (SHARE UPDATE EXCLUSIVE on the parent since
    /// PostgreSQL 12), with a short `lock_timeout`.
    pub static RULE = ("MC415", "partition-of-locks-parent", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let Kind::CreateTable(t) = &ctx.stmt.kind else { return };
    let Some(parent) = &t.partition_of else { return };
    if !ctx.is_existing(parent) {
        return;
    }
    out.push(ctx.claim(
        &RULE,
        ctx.stmt.span.clone(),
        parent,
        Effect::Lock,
        format!("`PARTITION OF {parent}` takes ACCESS EXCLUSIVE on the existing parent `{parent}`: all its reads and writes wait"),
        "locks the whole partitioned table",
        "create the table on its own and `ATTACH PARTITION` it (SHARE UPDATE EXCLUSIVE on the parent, PostgreSQL 12+)".into(),
    ));
}
