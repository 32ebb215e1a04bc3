use super::locks::{self, Claim, Ctx, Effect};
use crate::model::MigrationSet;
#[allow(unused_imports)]
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind};

declare_rule! {
    /// ## What it does
    /// Reports `ALTER COLUMN … TYPE` on an existing table when it rewrites the table, and only then.
    /// Known not to rewrite (binary coercible, measured on PostgreSQL 15): `varchar(n)` → `varchar(m)`
    /// with m ≥ n or unconstrained, `varchar` → `text`, `numeric(p,s)` → `numeric(p',s)` with p' ≥ p or
    /// unconstrained numeric, and `timestamp` → `timestamptz` when the session TimeZone is UTC
    /// (PostgreSQL 12+; `SET [LOCAL] timezone = 'UTC'` earlier in the file). When the old type is not
    /// in these migrations the finding says the table *may* be rewritten.
    ///
    /// ## Why is this bad
    /// A rewrite copies the table and rebuilds every index under ACCESS EXCLUSIVE: no reads or writes
    /// for as long as that takes. Docs: https://www.postgresql.org/docs/current/sql-altertable.html (Notes)
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE events ALTER COLUMN id TYPE bigint;
    /// ```
    ///
    /// ## How to fix
    /// Add a new column, backfill it in batches, switch reads and writes, then drop the old column; or
    /// pick a binary-coercible change.
    pub static RULE = ("MC420", "column-type-rewrite", Warning);
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
        let ActionKind::SetType { column, ty, using } = &a.kind else {
            continue;
        };
        let old = ctx
            .table(table)
            .and_then(|t| t.columns.get(column))
            .filter(|t| !t.is_empty());
        let verdict = match old {
            Some(old) => rewrites(old, ty, ctx.pg_version, ctx.utc),
            None => Verdict::Unknown,
        };
        let (effect, message) = match verdict {
            Verdict::No => continue,
            Verdict::Yes => (
                Effect::Rewrite,
                format!(
                    "changing `{table}.{column}` from `{}` to `{ty}` rewrites the table and its indexes under ACCESS EXCLUSIVE",
                    old.map_or("", |s| s.as_str())
                ),
            ),
            Verdict::UnlessUtc => (
                Effect::Lock,
                format!(
                    "changing `{table}.{column}` to `{ty}` rewrites the table unless the session TimeZone is UTC (set it with `SET LOCAL timezone = 'UTC'` first)"
                ),
            ),
            Verdict::Unknown => (
                Effect::Lock,
                format!(
                    "changing `{table}.{column}` to `{ty}` rewrites the table unless the change is binary coercible (the old type is not in these migrations)"
                ),
            ),
        };
        let _ = using;
        out.push(ctx.claim(
            &RULE,
            a.span.clone(),
            table,
            effect,
            message,
            "rewrites the table",
            "add a new column, backfill in batches and swap; or use a binary-coercible change (varchar widening, varchar→text, numeric precision raise)".into(),
        ));
    }
}

/// Whether a type change rewrites the table.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    No,
    Yes,
    UnlessUtc,
    Unknown,
}

/// The verdict for changing normalised type `old` to `new` (see [`crate::sql::ddl::normalise_type`]).
pub fn rewrites(old: &str, new: &str, pg_version: u32, utc: bool) -> Verdict {
    if old == new {
        return Verdict::No;
    }
    let (ob, oa) = split(old);
    let (nb, na) = split(new);
    let no = match (ob, nb) {
        ("varchar", "varchar") => match (oa.first(), na.first()) {
            (_, None) => true,
            (Some(o), Some(n)) => n >= o,
            (None, Some(_)) => false,
        },
        ("varchar", "text") | ("text", "varchar") => na.is_empty(),
        ("numeric", "numeric") => match (oa.as_slice(), na.as_slice()) {
            (_, []) => true,
            ([p], [q]) => q >= p,
            ([p], [q, 0]) => q >= p,
            ([p, s], [q, t]) => q >= p && s == t,
            _ => false,
        },
        ("timestamp", "timestamptz") | ("timestamptz", "timestamp") if pg_version >= 12 => {
            return if utc { Verdict::No } else { Verdict::UnlessUtc };
        }
        _ => false,
    };
    // A user-defined type (an enum, a domain over the old type) may be binary coercible or
    // only need a check; only built-in types give a certain answer.
    let known = BUILT_IN.contains(&ob) && BUILT_IN.contains(&nb);
    if !no && !known {
        return Verdict::Unknown;
    }
    if no { Verdict::No } else { Verdict::Yes }
}

/// Built-in types (normalised names) whose conversions are known.
const BUILT_IN: &[&str] = &[
    "int2",
    "int4",
    "int8",
    "numeric",
    "float4",
    "float8",
    "bool",
    "text",
    "varchar",
    "bpchar",
    "timestamp",
    "timestamptz",
    "date",
    "time",
    "timetz",
    "interval",
    "uuid",
    "json",
    "jsonb",
    "bytea",
    "inet",
    "cidr",
    "money",
    "xml",
];

fn split(ty: &str) -> (&str, Vec<u32>) {
    match ty.find('(') {
        Some(i) => (
            &ty[..i],
            ty[i + 1..]
                .trim_end_matches(')')
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect(),
        ),
        None => (ty, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_coercible_changes_do_not_rewrite() {
        assert_eq!(rewrites("varchar(10)", "varchar(20)", 15, false), Verdict::No);
        assert_eq!(rewrites("varchar(10)", "text", 15, false), Verdict::No);
        assert_eq!(rewrites("varchar(10)", "varchar(5)", 15, false), Verdict::Yes);
        assert_eq!(rewrites("numeric(10,2)", "numeric(12,2)", 15, false), Verdict::No);
        assert_eq!(rewrites("numeric(10,2)", "numeric(12,3)", 15, false), Verdict::Yes);
        assert_eq!(rewrites("int4", "int8", 15, false), Verdict::Yes);
        assert_eq!(rewrites("timestamp", "timestamptz", 15, true), Verdict::No);
        assert_eq!(rewrites("timestamp", "timestamptz", 15, false), Verdict::UnlessUtc);
        assert_eq!(rewrites("timestamp", "timestamptz", 11, true), Verdict::Yes);
        assert_eq!(rewrites("old_enum", "new_enum", 15, false), Verdict::Unknown);
        assert_eq!(rewrites("text", "email_domain", 15, false), Verdict::Unknown);
    }
}
