use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `ADD COLUMN` on an existing table that rewrites it: a default that calls a volatile
    /// function (`random()`, `gen_random_uuid()`, `clock_timestamp()`, `nextval()`), a
    /// `GENERATED … STORED` column, an identity or `serial` column, or a column of a domain with a
    /// CHECK constraint; on PostgreSQL 10 and older, any default. A default calling a function whose
    /// volatility is unknown here is reported as a possible rewrite. Constant and stable defaults
    /// (`0`, `now()`) do not rewrite since PostgreSQL 11.
    ///
    /// ## Why is this bad
    /// The table and every index are rewritten under ACCESS EXCLUSIVE (measured on PostgreSQL 15): no
    /// reads or writes until it finishes. Docs: https://www.postgresql.org/docs/current/ddl-alter.html#DDL-ALTER-ADDING-A-COLUMN
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();
    /// ```
    ///
    /// ## How to fix
    /// Add the column without the default (or with a constant one), set the default in a second
    /// statement (`ALTER COLUMN … SET DEFAULT` applies to new rows only), and backfill old rows in
    /// batches.
    pub static RULE = ("MC421", "add-column-rewrite", Warning);
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
        let ActionKind::AddColumn(c) = &a.kind else { continue };
        let why = if c.generated_stored {
            Some((Effect::Rewrite, "a stored generated column".to_string()))
        } else if c.identity {
            Some((Effect::Rewrite, "an identity or serial column".to_string()))
        } else if ctx.schema.checked_domains.contains(c.ty.as_str()) {
            Some((Effect::Rewrite, format!("domain `{}` has a CHECK constraint", c.ty)))
        } else {
            match &c.default {
                Some(crate::sql::ddl::Default::Volatile(f)) => {
                    Some((Effect::Rewrite, format!("the default calls volatile `{f}()`")))
                }
                Some(_) if ctx.pg_version < 11 => Some((
                    Effect::Rewrite,
                    "before PostgreSQL 11 every default rewrites".to_string(),
                )),
                Some(crate::sql::ddl::Default::Unknown(f)) => Some((
                    Effect::Lock,
                    format!(
                        "the default calls `{f}()`, which rewrites the table if it is VOLATILE (the default for CREATE FUNCTION)"
                    ),
                )),
                _ => None,
            }
        };
        let Some((effect, why)) = why else { continue };
        let verb = if effect == Effect::Rewrite {
            "rewrites"
        } else {
            "may rewrite"
        };
        out.push(ctx.claim(
            &RULE,
            a.span.clone(),
            table,
            effect,
            format!(
                "adding `{}` {verb} existing table `{table}` and its indexes under ACCESS EXCLUSIVE: {why}",
                c.name
            ),
            "rewrites the table",
            "add the column without it (nullable or with a constant default), then backfill in batches".into(),
        ));
    }
}
