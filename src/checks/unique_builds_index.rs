use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `ADD UNIQUE`, `ADD PRIMARY KEY` (and `ADD COLUMN … UNIQUE / PRIMARY KEY`) on an existing
    /// table that build their index in place instead of taking over one built concurrently.
    ///
    /// ## Why is this bad
    /// The index is built under ACCESS EXCLUSIVE, reading the whole table: no reads or writes meanwhile
    /// (measured on PostgreSQL 15). Docs:
    /// https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT-USING-INDEX
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
    /// ```
    ///
    /// ## How to fix
    /// `CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);` (outside a transaction),
    /// then `ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;`.
    pub static RULE = ("MC412", "unique-or-pk-builds-index", Warning);
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
        let found = match &a.kind {
            ActionKind::AddConstraint(c) => match c.kind {
                ConstraintKind::Unique {
                    primary,
                    using_index: false,
                } => Some((primary, a.span.clone())),
                _ => None,
            },
            ActionKind::AddColumn(col) => col.constraints.iter().find_map(|c| match c.kind {
                ConstraintKind::Unique {
                    primary,
                    using_index: false,
                } => Some((primary, c.span.clone())),
                _ => None,
            }),
            _ => None,
        };
        let Some((primary, span)) = found else { continue };
        let what = if primary { "PRIMARY KEY" } else { "UNIQUE" };
        out.push(ctx.claim(
            &RULE,
            span,
            table,
            Effect::Scan,
            format!("adding {what} to existing table `{table}` builds its index under ACCESS EXCLUSIVE, reading the whole table"),
            "builds an index with reads and writes blocked",
            format!("build it first with `CREATE UNIQUE INDEX CONCURRENTLY`, then `ADD CONSTRAINT … {what} USING INDEX …`"),
        ));
    }
}
