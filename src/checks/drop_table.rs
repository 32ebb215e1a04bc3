use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Opt-in (off unless `[checks]` in `migproof.toml` names it): reports `DROP TABLE` of an existing
    /// table.
    ///
    /// ## Why is this bad
    /// Code still running the previous release fails, the data is gone, and the drop takes ACCESS
    /// EXCLUSIVE on the tables it references by foreign key. Docs:
    /// https://www.postgresql.org/docs/current/sql-droptable.html
    ///
    /// ## Example
    /// ```sql
    /// DROP TABLE audit_log;
    /// ```
    ///
    /// ## How to fix
    /// Stop using the table in a release first, keep a backup, then drop it.
    pub static RULE = ("MC441", "drop-table", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<super::Finding>) {
    locks::report(set, &RULE, claims, out);
}

pub fn claims(ctx: &Ctx, out: &mut Vec<Claim>) {
    let Kind::DropTable { tables } = &ctx.stmt.kind else {
        return;
    };
    for t in tables.iter().filter(|t| ctx.is_existing(t)) {
        out.push(ctx.claim(
            &RULE,
            ctx.stmt.span.clone(),
            t,
            Effect::Lock,
            format!("dropping table `{t}` breaks code that still uses it and loses its data"),
            "destructive",
            "stop using the table in a release first, then drop it".into(),
        ));
    }
}
