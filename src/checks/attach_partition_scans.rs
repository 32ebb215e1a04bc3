use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `ATTACH PARTITION` of an existing table that has no valid CHECK constraint proving the
    /// partition key `IS NOT NULL` (PostgreSQL skips the scan only when a valid CHECK implies the
    /// partition bound *including* `IS NOT NULL` on the key).
    ///
    /// ## Why is this bad
    /// The partition is scanned under ACCESS EXCLUSIVE to prove its rows fit the bound (measured on
    /// PostgreSQL 15: a scan with `CHECK (k >= a AND k < b)`, none with
    /// `CHECK (k IS NOT NULL AND k >= a AND k < b)`). Docs:
    /// https://www.postgresql.org/docs/current/ddl-partitioning.html#DDL-PARTITIONING-DECLARATIVE-MAINTENANCE
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    /// ```
    ///
    /// ## How to fix
    /// Before attaching: `ALTER TABLE events_2026 ADD CONSTRAINT b CHECK (at IS NOT NULL AND at >= '2026-01-01' AND at < '2027-01-01') NOT VALID;`,
    /// `VALIDATE CONSTRAINT b`; attach; then drop the CHECK.
    pub static RULE = ("MC414", "attach-partition-scans", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let Kind::AlterTable { table, actions } = &ctx.stmt.kind else {
        return;
    };
    for a in actions {
        let ActionKind::AttachPartition { partition } = &a.kind else {
            continue;
        };
        if !ctx.is_existing(partition) {
            continue;
        }
        let key = ctx.table(table).map(|t| t.partition_key.clone()).unwrap_or_default();
        let proven = ctx.table(partition).is_some_and(|p| {
            p.constraints.values().any(|c| {
                c.valid
                    && matches!(&c.kind, ConstraintKind::Check { not_null }
                        if !not_null.is_empty() && (key.is_empty() || key.iter().all(|k| not_null.contains(k))))
            })
        });
        if proven {
            continue;
        }
        out.push(ctx.claim(
            &RULE,
            a.span.clone(),
            partition,
            Effect::Scan,
            format!("attaching `{partition}` scans it under ACCESS EXCLUSIVE: no valid CHECK proves the bound with `IS NOT NULL` on the key"),
            "scans the new partition",
            "first add and validate a CHECK matching the bound, including `key IS NOT NULL`".into(),
        ));
    }
}
