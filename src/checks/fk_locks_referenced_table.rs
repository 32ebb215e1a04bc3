use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports adding a foreign key (`ADD FOREIGN KEY`, `ADD COLUMN … REFERENCES`) to an existing
    /// table, and dropping one, when the referenced table exists: that table is locked too.
    ///
    /// ## Why is this bad
    /// Adding a foreign key takes SHARE ROW EXCLUSIVE on the referenced table (its writes wait), and
    /// dropping one takes ACCESS EXCLUSIVE on it (its reads wait too), measured on PostgreSQL 15. The
    /// referenced table is often the busiest one (`users`, `accounts`), and the lock queues behind any
    /// long transaction on it. Docs: https://www.postgresql.org/docs/current/sql-altertable.html
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
    /// ```
    ///
    /// ## How to fix
    /// Keep the statement alone in its transaction with a short `SET LOCAL lock_timeout`, add the key
    /// `NOT VALID` and validate it later, and retry on timeout.
    pub static RULE = ("MC413", "fk-locks-referenced-table", Warning);
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
        let (references, adding) = match &a.kind {
            ActionKind::AddConstraint(c) => match &c.kind {
                ConstraintKind::ForeignKey { references } => (references.clone(), true),
                _ => continue,
            },
            ActionKind::AddColumn(col) => match col.constraints.iter().find_map(|c| match &c.kind {
                ConstraintKind::ForeignKey { references } => Some(references.clone()),
                _ => None,
            }) {
                Some(r) => (r, true),
                None => continue,
            },
            ActionKind::DropConstraint { name } => match ctx.table(table).and_then(|t| t.constraints.get(name)) {
                Some(c) => match &c.kind {
                    ConstraintKind::ForeignKey { references } => (references.clone(), false),
                    _ => continue,
                },
                None => continue,
            },
            _ => continue,
        };
        if !ctx.is_existing(&references) || references == *table {
            continue;
        }
        let (verb, mode, blocks) = if adding {
            ("adding", "SHARE ROW EXCLUSIVE", "writes")
        } else {
            ("dropping", "ACCESS EXCLUSIVE", "reads and writes")
        };
        out.push(ctx.claim(
            &RULE,
            a.span.clone(),
            &references,
            Effect::Lock,
            format!(
                "{verb} this foreign key also locks the referenced table `{references}` ({mode}: its {blocks} wait)"
            ),
            "locks the referenced table",
            "set a short `lock_timeout` for this statement and retry on timeout".into(),
        ));
    }
}
