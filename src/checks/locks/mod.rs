//! What the lock-safety rules (MC400–MC449) share: a walk over every PostgreSQL script in
//! migration order that knows, for each statement, the schema the earlier migrations built,
//! which tables are new (created in the same migration, or by a migration added since
//! `--base`), whether the statement runs inside a transaction block (by the runner's
//! [`Apply`] mode and explicit `BEGIN`), and whether `lock_timeout` is set.
//!
//! Each rule is a function from one statement's [`Ctx`] to [`Claim`]s; a claim says what the
//! statement does to a table (rewrites it, scans it, fails, or locks it) so that
//! `tests/locks_replay.rs` can hold every rewrite and scan claim against what PostgreSQL 15 was
//! measured doing (`research/locks_pg15/`). The facts come from `research/locks.md`.
//!
//! Tier 2 (measured during `--roundtrip`) plugs in beside this: the round-trip applies each
//! statement and can report `pg_locks`, relfilenode and `seq_scan` deltas as [`Claim`]s of
//! the same [`Effect`]s; a static claim the measurement contradicts becomes a test case here.

mod all;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

pub use all::{RULES, claims};

use super::{Finding, Location, Rule};
use crate::model::{Apply, FileId, Migration, MigrationSet, Script};
use crate::sql::Grammar;
use crate::sql::ddl::{ActionKind, ConstraintKind, Kind, Stmt};

/// What a rule says a statement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The table (and every index on it) is rewritten under ACCESS EXCLUSIVE.
    Rewrite,
    /// The whole table is read under a lock that blocks writes (or more).
    Scan,
    /// The statement fails when the table has rows.
    Fails,
    /// A lock that blocks writes (or reads) is taken; no claim about rewrites or scans.
    Lock,
}

/// One rule's claim about one statement.
#[derive(Debug, Clone)]
pub struct Claim {
    pub rule: &'static Rule,
    pub file: FileId,
    pub span: Range<usize>,
    /// The table the effect is on.
    pub table: String,
    pub effect: Effect,
    pub message: String,
    pub label: String,
    pub help: String,
}

/// A constraint as the schema remembers it.
#[derive(Debug, Clone)]
pub struct KnownConstraint {
    pub kind: ConstraintKind,
    pub valid: bool,
}

/// A table as the migrations so far left it.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column → normalised type.
    pub columns: BTreeMap<String, String>,
    pub not_null: BTreeSet<String>,
    /// Constraint name (or a made-up name for unnamed ones) → what it is.
    pub constraints: BTreeMap<String, KnownConstraint>,
    pub partition_key: Vec<String>,
    /// Partitions created or attached by the migrations.
    pub partitions: Vec<String>,
    /// Index of the migration that created it.
    pub created_in: usize,
}

impl Table {
    /// Whether a valid CHECK constraint proves `column IS NOT NULL`.
    pub fn has_valid_not_null_check(&self, column: &str) -> bool {
        self.constraints.values().any(|c| {
            c.valid && matches!(&c.kind, ConstraintKind::Check { not_null } if not_null.iter().any(|n| n == column))
        })
    }
}

/// The schema built by the migrations walked so far.
#[derive(Debug, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    /// Index → table.
    pub indexes: BTreeMap<String, String>,
    /// Domains with a CHECK constraint.
    pub checked_domains: BTreeSet<String>,
}

/// Up or down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// Everything a rule knows about one statement.
pub struct Ctx<'a> {
    pub set: &'a MigrationSet,
    pub migration: &'a Migration,
    /// Index of `migration` in `set.migrations`.
    pub index: usize,
    pub script: &'a Script,
    pub direction: Direction,
    pub stmt: &'a Stmt,
    /// The statements of the script before this one.
    pub before: &'a [Stmt],
    /// The statement runs inside a transaction block.
    pub in_transaction: bool,
    /// `lock_timeout` is in force for this statement.
    pub lock_timeout: bool,
    /// The session's TimeZone is known to be UTC.
    pub utc: bool,
    /// Tables this transaction already locked ACCESS EXCLUSIVE with DDL (table, span).
    pub locked_in_transaction: &'a [(String, Range<usize>)],
    pub schema: &'a Schema,
    /// Tables created by this script so far (downs do not change [`Schema`]).
    pub created_here: &'a BTreeSet<String>,
    pub pg_version: u32,
}

impl Ctx<'_> {
    /// A table created in this migration or by a migration added since `--base`: empty in
    /// production, exempt from the lock rules.
    pub fn is_new(&self, table: &str) -> bool {
        if self.created_here.contains(table) {
            return true;
        }
        match self.schema.tables.get(table) {
            Some(t) => t.created_in == self.index || self.set.lock_settings.new_since_base.contains(&t.created_in),
            None => false,
        }
    }

    /// A table that may hold rows and be in use.
    pub fn is_existing(&self, table: &str) -> bool {
        !table.is_empty() && !self.is_new(table)
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.schema.tables.get(name)
    }

    /// The table an index is on, when the migrations created it.
    pub fn table_of_index(&self, index: &str) -> Option<&str> {
        self.schema.indexes.get(index).map(String::as_str)
    }

    /// A claim of `rule` on this statement (or on `span` inside it).
    #[allow(clippy::too_many_arguments)] // one field each of a Claim; a builder would add noise
    pub fn claim(
        &self,
        rule: &'static Rule,
        span: Range<usize>,
        table: &str,
        effect: Effect,
        message: String,
        label: &str,
        help: String,
    ) -> Claim {
        Claim {
            rule,
            file: self.script.file,
            span,
            table: table.to_string(),
            effect,
            message,
            label: label.to_string(),
            help,
        }
    }
}

/// A rule's claim function.
pub type ClaimFn = fn(&Ctx, &mut Vec<Claim>);

/// Rules that report nothing unless the configuration names them in `[checks]`.
pub const OPT_IN: &[&str] = &["MC431", "MC440", "MC441", "MC442"];

/// Whether `rule` runs on `set` (an opt-in rule only when the configuration names it).
fn enabled(set: &MigrationSet, rule: &Rule) -> bool {
    let settings = &set.lock_settings;
    (!OPT_IN.contains(&rule.code) || settings.opt_in.contains(&rule.code)) && !settings.off.contains(&rule.code)
}

/// Whether any lock rule runs on `set` (else its statements need no classifying).
pub fn any_enabled(set: &MigrationSet) -> bool {
    all::RULES.iter().any(|(rule, _)| enabled(set, rule))
}

/// A claim as a finding of its rule.
fn finding(set: &MigrationSet, c: Claim) -> Finding {
    Finding::new(c.rule, Location::in_file(set, c.file, c.span), c.message)
        .label(c.label)
        .help(c.help)
}

/// Runs one rule over `set` and reports its claims as findings.
pub fn report(set: &MigrationSet, rule: &'static Rule, f: ClaimFn, out: &mut Vec<Finding>) {
    if !enabled(set, rule) {
        return;
    }
    let mut claims = Vec::new();
    walk(set, |ctx| f(ctx, &mut claims));
    out.extend(claims.into_iter().map(|c| finding(set, c)));
}

/// Every enabled lock rule over `set` in one walk (what [`crate::checks::run`] does instead of
/// each rule's `check`, which would replay the whole set once per rule).
pub fn report_all(set: &MigrationSet, out: &mut Vec<Finding>) {
    let rules: Vec<ClaimFn> = all::RULES
        .iter()
        .filter(|(rule, _)| enabled(set, rule))
        .map(|(_, f)| *f)
        .collect();
    let mut claims = Vec::new();
    walk(set, |ctx| {
        for f in &rules {
            f(ctx, &mut claims);
        }
    });
    out.extend(claims.into_iter().map(|c| finding(set, c)));
}

/// Whether `rule` is one of the lock rules [`report_all`] runs.
pub fn is_lock_rule(rule: &Rule) -> bool {
    all::RULES.iter().any(|(r, _)| r.code == rule.code)
}

/// Calls `f` for every statement of every PostgreSQL script of `set`, ups in version order
/// (each up changes the schema), each down right after its up (against the schema the up left).
pub fn walk(set: &MigrationSet, mut f: impl FnMut(&Ctx)) {
    let mut schema = Schema::default();
    for (index, m) in set.migrations.iter().enumerate() {
        // PostgreSQL only: CockroachDB speaks the grammar but builds indexes online and locks
        // differently, so none of these facts hold there.
        let postgres = m.dialect.as_deref().is_none_or(|d| d.starts_with("postgres"));
        if Grammar::of_dialect(m.dialect.as_deref()) != Grammar::Postgres || !postgres {
            continue;
        }
        if let Some(up) = &m.up {
            script(set, m, index, up, Direction::Up, &mut schema, &mut f);
        }
        if let Some(down) = &m.down {
            // A down is judged against the schema its up left, and changes nothing after it.
            script(set, m, index, down, Direction::Down, &mut schema, &mut f);
        }
    }
}

/// Whether a file's path names another database than PostgreSQL: a dialect suffix
/// (`x.mysql.up.sql`, `x.cockroach.up.sql`, as ory's popx and pop use) or a directory named for
/// one (`db/migration/MYSQL/`, as projects that ship one directory per database do). The syntax
/// verdict has no such evidence to go on, but lock facts of PostgreSQL must not be claimed there.
pub fn names_other_database(path: &str) -> bool {
    const OTHERS: &[&str] = &[
        "mysql",
        "mariadb",
        "sqlite",
        "sqlite3",
        "cockroach",
        "cockroachdb",
        "h2",
        "mssql",
        "sqlserver",
        "oracle",
    ];
    let lower = path.to_ascii_lowercase();
    let mut parts = lower.split(['/', '\\']).collect::<Vec<_>>();
    let file = parts.pop().unwrap_or("");
    parts.iter().any(|d| OTHERS.contains(d)) || file.split('.').skip(1).any(|p| OTHERS.contains(&p))
}

fn script(
    set: &MigrationSet,
    m: &Migration,
    index: usize,
    script: &Script,
    direction: Direction,
    schema: &mut Schema,
    f: &mut impl FnMut(&Ctx),
) {
    let Some(sql) = &script.sql else { return };
    if names_other_database(&set.file(script.file).display) {
        return;
    }
    let statements = &sql.ddl;
    let runner_transaction = match script.apply {
        Apply::Transaction => true,
        Apply::Statements { transaction } => transaction,
        // One simple query holding several statements runs as one implicit transaction block.
        Apply::OneQuery => statements.len() > 1,
    };
    let settings = &set.lock_settings;
    let mut explicit = false;
    let mut session_timeout = false;
    let mut local_timeout = false;
    let mut session_utc = false;
    let mut local_utc = false;
    let mut locked: Vec<(String, Range<usize>)> = Vec::new();
    let mut created_here = BTreeSet::new();
    // Where the grammar's errors start, sorted: a bisection per statement, not a scan (a file
    // can hold tens of thousands of broken statements).
    let mut error_starts: Vec<usize> = sql.syntax_errors.iter().map(|e| e.span.start).collect();
    error_starts.sort_unstable();
    for (i, stmt) in statements.iter().enumerate() {
        // A statement the grammar rejects is MC201's; its tree is a guess.
        let first = error_starts.partition_point(|&at| at < stmt.span.start);
        if error_starts.get(first).is_some_and(|&at| at <= stmt.span.end) {
            continue;
        }
        match &stmt.kind {
            Kind::Begin => explicit = true,
            Kind::Commit | Kind::Rollback => {
                explicit = false;
                local_timeout = false;
                local_utc = false;
                locked.clear();
            }
            _ => {}
        }
        let in_transaction = explicit || runner_transaction;
        let newly = {
            let ctx = Ctx {
                set,
                migration: m,
                index,
                script,
                direction,
                stmt,
                before: &statements[..i],
                in_transaction,
                lock_timeout: settings.lock_timeout_outside || session_timeout || local_timeout,
                utc: session_utc || local_utc,
                locked_in_transaction: &locked,
                schema,
                created_here: &created_here,
                pg_version: settings.pg_version,
            };
            f(&ctx);
            let newly: Vec<String> = if in_transaction {
                access_exclusive(&stmt.kind)
                    .into_iter()
                    .map(|(t, _)| t)
                    .filter(|t| ctx.is_existing(t))
                    .collect()
            } else {
                Vec::new()
            };
            newly
        };
        locked.extend(newly.into_iter().map(|t| (t, stmt.span.clone())));
        if let Kind::Set { name, local, value } = &stmt.kind {
            let on = !matches!(value.as_str(), "0" | "default" | "'0'");
            match name.as_str() {
                "lock_timeout" if *local => local_timeout = on && in_transaction,
                "lock_timeout" => session_timeout = on,
                "timezone" => {
                    let utc = matches!(value.as_str(), "utc" | "etc/utc" | "zulu" | "gmt" | "etc/gmt" | "z");
                    if *local {
                        local_utc = utc && in_transaction;
                    } else {
                        session_utc = utc;
                    }
                }
                _ => {}
            }
        }
        if direction == Direction::Up {
            apply(schema, &stmt.kind, index, &mut created_here);
        } else if let Kind::CreateTable(t) = &stmt.kind {
            created_here.insert(t.table.clone());
        }
    }
}

/// The tables a statement locks ACCESS EXCLUSIVE (for the backfill rule).
pub fn access_exclusive(kind: &Kind) -> Vec<(String, ())> {
    match kind {
        Kind::AlterTable { table, actions } if actions.iter().any(|a| a.kind != ActionKind::Weak) => {
            vec![(table.clone(), ())]
        }
        _ => Vec::new(),
    }
}

/// Records what a statement does to the schema.
fn apply(schema: &mut Schema, kind: &Kind, index: usize, created_here: &mut BTreeSet<String>) {
    match kind {
        Kind::CreateTable(t) => {
            let mut table = Table {
                created_in: index,
                partition_key: t.partition_key.clone(),
                ..Table::default()
            };
            for c in &t.columns {
                add_column(&mut table, c);
            }
            for (n, c) in t.constraints.iter().enumerate() {
                add_constraint(&mut table, c, &format!("{}_{n}", t.table));
            }
            created_here.insert(t.table.clone());
            schema.tables.insert(t.table.clone(), table);
            if let Some(parent) = t.partition_of.as_ref().and_then(|p| schema.tables.get_mut(p)) {
                parent.partitions.push(t.table.clone());
            }
        }
        Kind::CreateIndex { name, table, .. } if !name.is_empty() => {
            schema.indexes.insert(name.clone(), table.clone());
        }
        Kind::CreateDomain { name, check: true } => {
            schema.checked_domains.insert(name.clone());
        }
        Kind::DropTable { tables } => {
            for t in tables {
                schema.tables.remove(t);
            }
        }
        Kind::AlterTable { table, actions } => {
            for a in actions {
                if let ActionKind::RenameTo { to } = &a.kind {
                    if let Some(t) = schema.tables.remove(table) {
                        schema.tables.insert(to.clone(), t);
                    }
                    if created_here.remove(table) {
                        created_here.insert(to.clone());
                    }
                    continue;
                }
                let Some(t) = schema.tables.get_mut(table) else {
                    continue;
                };
                match &a.kind {
                    ActionKind::AddColumn(c) => add_column(t, c),
                    ActionKind::DropColumn { column } => {
                        t.columns.remove(column);
                        t.not_null.remove(column);
                    }
                    ActionKind::SetType { column, ty, .. } => {
                        t.columns.insert(column.clone(), ty.clone());
                    }
                    ActionKind::SetNotNull { column } => {
                        t.not_null.insert(column.clone());
                    }
                    ActionKind::AddConstraint(c) => {
                        let n = t.constraints.len();
                        add_constraint(t, c, &format!("{table}_{n}"));
                    }
                    ActionKind::ValidateConstraint { name } => {
                        if let Some(c) = t.constraints.get_mut(name) {
                            c.valid = true;
                            if let ConstraintKind::NotNull { column } = &c.kind {
                                t.not_null.insert(column.clone());
                            }
                        }
                    }
                    ActionKind::DropConstraint { name } => {
                        t.constraints.remove(name);
                    }
                    ActionKind::AttachPartition { partition } => t.partitions.push(partition.clone()),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn add_column(t: &mut Table, c: &crate::sql::ddl::Column) {
    t.columns.insert(c.name.clone(), c.ty.clone());
    if c.not_null {
        t.not_null.insert(c.name.clone());
    }
    for (n, k) in c.constraints.iter().enumerate() {
        add_constraint(t, k, &format!("{}_{n}", c.name));
    }
}

fn add_constraint(t: &mut Table, c: &crate::sql::ddl::Constraint, fallback: &str) {
    let name = c.name.clone().unwrap_or_else(|| format!("{fallback}_anonymous"));
    if let ConstraintKind::NotNull { column } = &c.kind
        && !c.not_valid
    {
        t.not_null.insert(column.clone());
    }
    if let ConstraintKind::Unique { primary: true, .. } = &c.kind {
        // Primary-key columns are NOT NULL; which ones is not tracked here.
    }
    t.constraints.insert(
        name,
        KnownConstraint {
            kind: c.kind.clone(),
            valid: !c.not_valid,
        },
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn other_databases_by_path() {
        assert!(super::names_other_database("db/migration/MYSQL/V1__a.sql"));
        assert!(super::names_other_database("m/2019_client.mysql.down.sql"));
        assert!(super::names_other_database("m/2019_x.cockroach.up.sql"));
        assert!(!super::names_other_database("m/2019_x.postgres.up.sql"));
        assert!(!super::names_other_database("db/migrations/001_mysql_import.up.sql"));
    }
}
