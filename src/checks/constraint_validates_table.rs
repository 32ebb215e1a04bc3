use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports a CHECK or FOREIGN KEY constraint (and PostgreSQL 18's `NOT NULL` table constraint)
    /// added to an existing table without `NOT VALID`, including a CHECK written inline in
    /// `ADD COLUMN`.
    ///
    /// ## Why is this bad
    /// Adding the constraint reads the whole table to prove it under ACCESS EXCLUSIVE (CHECK) or SHARE
    /// ROW EXCLUSIVE on both tables (FOREIGN KEY): measured on PostgreSQL 15 as a full scan with reads
    /// or writes blocked. Docs: https://www.postgresql.org/docs/current/sql-altertable.html (Notes)
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0);
    /// ```
    ///
    /// ## How to fix
    /// Add it `NOT VALID` (a brief lock, no scan), then `ALTER TABLE orders VALIDATE CONSTRAINT
    /// amount_positive;` in a later migration: validation scans under SHARE UPDATE EXCLUSIVE, which
    /// lets reads and writes go on.
    pub static RULE = ("MC410", "constraint-validates-table", Warning);
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
        let (kind, span) = match &a.kind {
            ActionKind::AddConstraint(c) if !c.not_valid => (&c.kind, a.span.clone()),
            ActionKind::AddColumn(col) => match col
                .constraints
                .iter()
                .find(|c| matches!(c.kind, ConstraintKind::Check { .. }))
            {
                Some(c) => (&c.kind, c.span.clone()),
                None => continue,
            },
            _ => continue,
        };
        let what = match kind {
            ConstraintKind::Check { .. } => "CHECK",
            ConstraintKind::ForeignKey { .. } => "FOREIGN KEY",
            ConstraintKind::NotNull { .. } if ctx.pg_version >= 18 => "NOT NULL",
            _ => continue,
        };
        out.push(ctx.claim(
            &RULE,
            span,
            table,
            Effect::Scan,
            format!("adding a {what} constraint to existing table `{table}` scans the whole table while it blocks writes"),
            "validates every row under a strong lock",
            "add it `NOT VALID`, then `VALIDATE CONSTRAINT` in a later migration (SHARE UPDATE EXCLUSIVE: reads and writes continue)".into(),
        ));
        if let ConstraintKind::ForeignKey { references } = kind
            && ctx.is_existing(references)
        {
            out.push(ctx.claim(
                &RULE,
                a.span.clone(),
                references,
                Effect::Scan,
                format!("the FOREIGN KEY also scans the referenced table `{references}`"),
                "scans the referenced table too",
                "add it `NOT VALID`, then `VALIDATE CONSTRAINT` later".into(),
            ));
        }
    }
}
