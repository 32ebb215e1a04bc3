use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Opt-in (off unless `[checks]` in `migproof.toml` names it; most teams set `lock_timeout` in the
    /// runner or the role, where migproof cannot see it): reports the first statement of a script
    /// that takes a lock stronger than SHARE UPDATE EXCLUSIVE
    /// on an existing table while no `lock_timeout` is in force: none set by `SET lock_timeout` earlier
    /// in the file or `SET LOCAL lock_timeout` earlier in the same transaction, and no declaration in
    /// `migproof.toml` (`[locks] lock-timeout = "runner"` or `"role"`) that it is set outside the
    /// migrations. One finding per script. A new table's `REFERENCES` (an instant SHARE ROW EXCLUSIVE
    /// on the referenced table, nothing scanned) is not counted.
    ///
    /// ## Why is this bad
    /// Even an instant ALTER waits behind any long transaction on the table, and every later query on
    /// the table queues behind the waiting ALTER: a one-millisecond change becomes an outage. Docs:
    /// https://www.postgresql.org/docs/current/explicit-locking.html,
    /// https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// ```
    ///
    /// ## How to fix
    /// `SET lock_timeout = '5s';` (or `SET LOCAL` inside the transaction) at the top of the migration,
    /// and retry the deploy on timeout; or declare in `migproof.toml` that the runner or the role sets it.
    pub static RULE = ("MC431", "missing-lock-timeout", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    if ctx.lock_timeout {
        return;
    }
    let Some(table) = strong_lock(ctx) else { return };
    // Once per script: only the first such statement without a timeout.
    let earlier = ctx.before.iter().any(|s| {
        let probe = Ctx {
            stmt: s,
            ..clone_ctx(ctx)
        };
        strong_lock(&probe).is_some()
    });
    if earlier {
        return;
    }
    out.push(ctx.claim(
        &RULE,
        ctx.stmt.span.clone(),
        &table,
        Effect::Lock,
        format!("this takes a strong lock on {} with no `lock_timeout` set: it can queue behind a long transaction and stall all traffic on the table", if table.starts_with("the table of") { table.clone() } else { format!("existing table `{table}`") }),
        "no lock_timeout",
        "start the migration with `SET lock_timeout = '5s';` (or `SET LOCAL` in its transaction), or declare `[locks] lock-timeout = \"runner\"` in migproof.toml".into(),
    ));
}

fn clone_ctx<'a>(ctx: &Ctx<'a>) -> Ctx<'a> {
    Ctx {
        set: ctx.set,
        migration: ctx.migration,
        index: ctx.index,
        script: ctx.script,
        direction: ctx.direction,
        stmt: ctx.stmt,
        before: ctx.before,
        in_transaction: ctx.in_transaction,
        lock_timeout: ctx.lock_timeout,
        utc: ctx.utc,
        locked_in_transaction: ctx.locked_in_transaction,
        schema: ctx.schema,
        created_here: ctx.created_here,
        pg_version: ctx.pg_version,
    }
}

/// The existing table a statement locks stronger than SHARE UPDATE EXCLUSIVE, if any.
fn strong_lock(ctx: &Ctx) -> Option<String> {
    let existing = |t: &str| ctx.is_existing(t).then(|| t.to_string());
    match &ctx.stmt.kind {
        Kind::AlterTable { table, actions } => {
            if actions.iter().any(|a| {
                !matches!(
                    a.kind,
                    ActionKind::Weak
                        | ActionKind::ValidateConstraint { .. }
                        | ActionKind::AttachPartition { .. }
                        | ActionKind::DetachPartition { concurrently: true }
                )
            }) {
                return existing(table);
            }
            actions.iter().find_map(|a| match &a.kind {
                ActionKind::AttachPartition { partition } => existing(partition),
                _ => None,
            })
        }
        Kind::CreateIndex {
            table,
            concurrently: false,
            ..
        } => existing(table),
        Kind::DropIndex {
            concurrently: false,
            indexes,
        } => indexes.iter().find_map(|i| match ctx.table_of_index(i) {
            Some(t) => existing(t),
            None => Some(format!("the table of index `{i}`")),
        }),
        Kind::DropTable { tables } => tables.iter().find_map(|t| existing(t)),
        Kind::Vacuum { full: true, tables } => tables.iter().find_map(|t| existing(t)),
        Kind::Cluster { table: Some(t) } => existing(t),
        Kind::StrongLock { table, .. } => existing(table),
        // A new table's foreign keys take SHARE ROW EXCLUSIVE on the referenced table only
        // for an instant (nothing to scan): not reported, unlike PARTITION OF (ACCESS EXCLUSIVE).
        Kind::CreateTable(t) => t.partition_of.as_deref().and_then(existing),
        _ => None,
    }
}
