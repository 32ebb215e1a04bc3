//! The measurement of one script during the round-trip (issue 11, tier 2): after each statement,
//! on the migration's own connection and before its transaction commits, one catalog query reads
//! the relation locks the session holds (`pg_locks`), which tables and indexes got a new file
//! (`pg_class.relfilenode`: a rewrite), which tables were read whole
//! (`pg_stat_xact_user_tables.seq_scan` deltas: they move on empty tables too) and which indexes
//! are invalid (`pg_index.indisvalid`). [`super::apply::apply_probed`] decides where it may
//! measure without changing how the runner's statements succeed; `measure` turns the facts into
//! findings.
//!
//! The facts are untrusted data read from a server that runs hostile SQL: every catalog object
//! is qualified with `pg_catalog` (operators too, so a migration's own `=` cannot be picked),
//! rows are bounded and parsed without panicking, and the query runs inside a savepoint so that
//! its failure cannot change the migration's outcome.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use postgres::{Client, SimpleQueryMessage};

use crate::checks::locks::{Direction, Effect};
use crate::model::{FileId, MigrationSet, Script};

/// The most relations a script's measurement follows (beyond it the script is not measured:
/// the query would grow with every statement).
const MAX_RELATIONS: usize = 20_000;
/// How long a measurement waits for a catalog lock another session holds (ms).
const LOCK_MS: u32 = 1000;
/// How long one measurement query may take (ms).
const STATEMENT_MS: u32 = 10_000;
/// The most rows one measurement reads.
const MAX_ROWS: usize = 100_000;

/// Locks that block writes (or reads and writes), weakest first.
const STRONG: &[&str] = &[
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// The state the measurement keeps across one directory's round-trip.
#[derive(Debug, Default)]
pub(super) struct Tracker {
    /// Tables (`schema.name`) created by migrations added since `--base`: empty in production.
    pub(super) branch_new: BTreeSet<String>,
    /// The relations that existed before the last up, when it was measured (its down's
    /// "existing"; without it the down reports nothing).
    pub(super) pre_up: Option<BTreeSet<u32>>,
    /// Every measured statement, for [`reconcile`].
    pub(super) measured: Vec<Measured>,
}

/// What one statement did to one table that existed before the migration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableFacts {
    /// `orders`, or `schema.orders` outside `public`.
    pub table: String,
    /// The bare relation name (what static rules name the table by).
    pub relname: String,
    /// The strongest lock that blocks writes the statement took on it.
    pub lock: Option<String>,
    /// The table, or one of its indexes (named), got a new relfilenode.
    pub rewritten: Vec<String>,
    /// Its `seq_scan` counter moved.
    pub scanned: bool,
    /// The strongest lock that blocks writes the transaction held on it after the statement
    /// (taken by this statement or an earlier one): what a scan ran under.
    pub held: Option<String>,
}

impl TableFacts {
    /// The most serious thing measured: what a finding reports.
    pub fn effect(&self) -> Option<Effect> {
        if !self.rewritten.is_empty() {
            Some(Effect::Rewrite)
        } else if self.scanned && (self.lock.is_some() || self.held.is_some()) {
            Some(Effect::Scan)
        } else if self.lock.is_some() {
            Some(Effect::Lock)
        } else {
            None
        }
    }
}

/// One measured statement.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The file, as findings display it.
    pub path: String,
    pub file: FileId,
    pub span: Range<usize>,
    pub direction: Direction,
    /// Locks and scans were seen (the statement ran in a transaction that the measurement
    /// shared); otherwise only rewrites and invalid indexes are known.
    pub complete: bool,
    pub tables: Vec<TableFacts>,
    /// Invalid indexes it left behind (index, table).
    pub invalid: Vec<(String, String)>,
    /// The existing tables the measurement watched (lower-case names, bare and
    /// `schema.name`): a static claim about another table is not refuted by it.
    pub watched: std::sync::Arc<BTreeSet<String>>,
}

/// A relation as the baseline saw it.
#[derive(Debug, Clone)]
struct Rel {
    filenode: u32,
    /// `r`, `p`, `m` (tables) or `i`, `I` (indexes).
    kind: String,
    /// Its own oid for a table, the table's for an index.
    table: u32,
    schema: String,
    name: String,
}

impl Rel {
    fn is_table(&self) -> bool {
        matches!(self.kind.as_str(), "r" | "p" | "m")
    }

    fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    fn display(&self) -> String {
        if self.schema == "public" {
            self.name.clone()
        } else {
            self.qualified()
        }
    }
}

/// The raw facts after one statement.
#[derive(Debug, Default)]
struct Step {
    span: Range<usize>,
    complete: bool,
    /// (relation, mode) newly held.
    locks: Vec<(u32, String)>,
    rewritten: Vec<u32>,
    scanned: Vec<u32>,
    /// The strongest lock that blocks writes the transaction holds on each relation after it.
    held: BTreeMap<u32, String>,
    /// Newly invalid indexes: (index oid, index name, table oid, table name).
    invalid: Vec<(u32, String, u32, String)>,
}

/// The measurement of one script.
#[derive(Debug, Default)]
pub struct Probe {
    /// Off: the baseline could not be read, or the schema is too large.
    off: bool,
    rels: BTreeMap<u32, Rel>,
    /// Relations the script dropped.
    dropped: Vec<u32>,
    /// Read the relations after the script (to know the tables it created).
    pub want_created: bool,
    /// In the current transaction: locks held and scan counters.
    held: BTreeSet<(u32, String)>,
    scans: BTreeMap<u32, i64>,
    /// The scan counters of this transaction have no baseline yet (they are read before its
    /// first statement: counts of earlier transactions linger until the session flushes them).
    fresh: bool,
    /// The baseline could not be read: this transaction's scans are unknown.
    scans_unknown: bool,
    /// Invalid indexes now.
    invalid: BTreeSet<u32>,
    steps: Vec<Step>,
    /// The relations after the script.
    after: Option<BTreeMap<u32, Rel>>,
}

/// The scan counters of the session's transaction (with counts of earlier transactions not
/// yet flushed).
const SCANS: &str = "SELECT 's'::pg_catalog.text, c.oid, '', pg_catalog.pg_stat_get_xact_numscans(c.oid), '' \
     FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.>=) 16384 \
     AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,m}'::pg_catalog.\"char\"[]) \
     AND pg_catalog.pg_stat_get_xact_numscans(c.oid) OPERATOR(pg_catalog.>) 0 LIMIT 100000";
/// The invalid indexes.
const INVALID: &str = "SELECT 'v'::pg_catalog.text, i.indexrelid, '', 0::pg_catalog.int8, '' \
     FROM pg_catalog.pg_index i WHERE NOT i.indisvalid LIMIT 100000";

/// A session setting (`SET`, `RESET`, `SHOW`): it locks nothing, and a measurement after it
/// would take the snapshot a later `SET TRANSACTION` must come before.
fn is_setting(statement: &str) -> bool {
    matches!(first_word(statement).as_str(), "SET" | "RESET" | "SHOW")
}

/// The user relations: oid, relfilenode, kind, table, schema, name.
const RELATIONS: &str = "SELECT c.oid, c.relfilenode, c.relkind::pg_catalog.text, \
     COALESCE(i.indrelid, c.oid), n.nspname::pg_catalog.text, c.relname::pg_catalog.text \
     FROM pg_catalog.pg_class c \
     JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid OPERATOR(pg_catalog.=) c.oid \
     WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,m,i,I}'::pg_catalog.\"char\"[]) \
     AND n.nspname OPERATOR(pg_catalog.!~) '^pg_' \
     AND n.nspname OPERATOR(pg_catalog.<>) 'information_schema' \
     LIMIT 20001";

impl Probe {
    /// Reads the baseline before the script (outside any transaction the script opens).
    pub fn start(&mut self, client: &mut Client) {
        match relations(client) {
            Some(rels) if rels.len() <= MAX_RELATIONS => {
                self.rels = rels;
                // Invalid before the script: not this script's doing.
                self.invalid = BTreeSet::new();
                if let Some(rows) = query(client, INVALID, false) {
                    self.invalid = rows.iter().filter(|r| r.kind == "v").map(|r| r.oid).collect();
                }
            }
            _ => self.off = true,
        }
    }

    /// The script opened a transaction: locks and scan counters start from nothing.
    pub fn begin_transaction(&mut self) {
        self.held.clear();
        self.scans.clear();
        self.fresh = true;
        self.scans_unknown = false;
    }

    /// Before a statement in an open transaction: the scan counters' baseline, read before the
    /// transaction's first statement that is not a session setting (a query before `SET
    /// TRANSACTION ISOLATION LEVEL` would make it fail).
    pub fn before(&mut self, client: &mut Client, statement: &str) {
        if self.off || !self.fresh || is_setting(statement) {
            return;
        }
        self.fresh = false;
        match query(client, SCANS, true) {
            Some(rows) => {
                for r in rows.into_iter().filter(|r| r.kind == "s") {
                    self.scans.insert(r.oid, r.number);
                }
            }
            None => self.scans_unknown = true,
        }
    }

    /// Measures after the statement at `span`. `inside`: the statement ran in a transaction
    /// that is still open (locks and scans can be seen); the query then runs in a savepoint so
    /// that its failure leaves the migration's transaction as it was.
    pub fn after(&mut self, client: &mut Client, span: Range<usize>, statement: &str, inside: bool) {
        if self.off || is_setting(statement) {
            return;
        }
        let inside = inside && !self.fresh;
        let Some(rows) = query(client, &Probe::step_query(!inside), inside) else {
            return;
        };
        let mut step = Step {
            span,
            complete: inside,
            ..Step::default()
        };
        let mut invalid_now = BTreeSet::new();
        for r in rows {
            match r.kind.as_str() {
                "l" | "f" => {
                    // Scans matter under a lock that blocks writes: the locked relations' counters.
                    // (An index's counter counts index scans: only tables' count here.)
                    if let Ok(scans) = r.extra.parse::<i64>()
                        && r.kind == "l"
                        && !self.scans_unknown
                        && self.rels.get(&r.oid).is_some_and(Rel::is_table)
                    {
                        let before = self.scans.insert(r.oid, scans).unwrap_or(0);
                        if scans > before && !step.scanned.contains(&r.oid) {
                            step.scanned.push(r.oid);
                        }
                    }
                    if r.kind == "l" && self.held.insert((r.oid, r.text.clone())) {
                        step.locks.push((r.oid, r.text));
                    }
                    let Some(rel) = self.rels.get_mut(&r.oid) else { continue };
                    match u32::try_from(r.number) {
                        Ok(node) if node != 0 && node != rel.filenode => {
                            rel.filenode = node;
                            if !step.rewritten.contains(&r.oid) {
                                step.rewritten.push(r.oid);
                            }
                        }
                        Ok(_) => {}
                        // No file: the relation is gone.
                        Err(_) => self.dropped.push(r.oid),
                    }
                }
                "v" => {
                    invalid_now.insert(r.oid);
                    if !self.invalid.contains(&r.oid) {
                        let table = u32::try_from(r.number).unwrap_or(0);
                        step.invalid.push((r.oid, r.text, table, r.extra));
                    }
                }
                _ => {}
            }
        }
        self.invalid = invalid_now;
        if inside {
            for (oid, mode) in &self.held {
                let Some(rank) = STRONG.iter().position(|s| s == mode) else {
                    continue;
                };
                let stronger = step
                    .held
                    .get(oid)
                    .and_then(|m| STRONG.iter().position(|s| s == m))
                    .is_some_and(|r| r >= rank);
                if !stronger {
                    step.held.insert(*oid, mode.clone());
                }
            }
        }
        self.steps.push(step);
    }

    /// The measurement could not run (its baseline could not be read, or the schema is too
    /// large).
    pub fn is_off(&self) -> bool {
        self.off
    }

    /// The relations before the script.
    pub fn relations_before(&self) -> BTreeSet<u32> {
        self.rels.keys().copied().collect()
    }

    /// The tables (`schema.name`) the script created.
    pub fn created_tables(&self) -> Vec<String> {
        let Some(after) = &self.after else { return Vec::new() };
        after
            .iter()
            .filter(|(oid, r)| r.is_table() && !self.rels.contains_key(oid))
            .map(|(_, r)| r.qualified())
            .collect()
    }

    /// Reads the relations after the script (which tables it created).
    pub fn end(&mut self, client: &mut Client) {
        if !self.off && self.want_created {
            self.after = relations(client);
        }
    }

    /// The query after a statement: the relation locks the session holds (with each relation's
    /// file now, empty when the statement dropped it, and its scan counter: a scan matters under
    /// a lock that blocks writes, so only locked relations' counters are read), the invalid indexes;
    /// `outside` a transaction (no locks left to see) the file of every user relation instead.
    /// A rewrite needs a lock that the transaction holds to its end, so inside one the locked
    /// relations are the only ones whose file can have changed: the query stays small however
    /// large the schema.
    fn step_query(outside: bool) -> String {
        let files = if outside {
            "SELECT 'f'::pg_catalog.text, c.oid, '', c.relfilenode::pg_catalog.int8, '' \
             FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.>=) 16384 \
             AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,m,i,I}'::pg_catalog.\"char\"[]) \
             UNION ALL "
        } else {
            "SELECT 'l'::pg_catalog.text, l.relation, l.mode, c.relfilenode::pg_catalog.int8, \
             pg_catalog.pg_stat_get_xact_numscans(l.relation)::pg_catalog.text \
             FROM pg_catalog.pg_locks l \
             LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) l.relation \
             WHERE l.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid() \
             AND l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.granted \
             AND l.relation OPERATOR(pg_catalog.>=) 16384 \
             UNION ALL "
        };
        format!(
            "{files}SELECT 'v', i.indexrelid, ic.relname::pg_catalog.text, i.indrelid::pg_catalog.int8, \
             tc.relname::pg_catalog.text \
             FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid \
             JOIN pg_catalog.pg_class tc ON tc.oid OPERATOR(pg_catalog.=) i.indrelid \
             WHERE NOT i.indisvalid \
             LIMIT {MAX_ROWS}"
        )
    }

    /// The findings' facts: only relations in `existing` whose table is not `branch_new`.
    pub fn measured(
        &self,
        set: &MigrationSet,
        script: &Script,
        direction: Direction,
        existing: &BTreeSet<u32>,
        branch_new: &BTreeSet<String>,
    ) -> Vec<Measured> {
        let table_of = |oid: u32| -> Option<&Rel> {
            let rel = self.rels.get(&oid)?;
            let table = self.rels.get(&rel.table)?;
            (existing.contains(&rel.table) && table.is_table() && !branch_new.contains(&table.qualified()))
                .then_some(table)
        };
        let watched: std::sync::Arc<BTreeSet<String>> = std::sync::Arc::new(
            self.rels
                .iter()
                .filter(|(oid, r)| r.is_table() && table_of(**oid).is_some())
                .flat_map(|(_, r)| [r.name.to_ascii_lowercase(), r.qualified().to_ascii_lowercase()])
                .collect(),
        );
        let mut out = Vec::new();
        for step in &self.steps {
            let mut tables: BTreeMap<u32, TableFacts> = BTreeMap::new();
            for (oid, mode) in &step.locks {
                let Some(rel) = self.rels.get(oid).filter(|r| r.is_table()) else {
                    continue;
                };
                let Some(t) = table_of(*oid) else { continue };
                let Some(rank) = STRONG.iter().position(|s| s == mode) else {
                    continue;
                };
                let f = entry(&mut tables, t, rel.table);
                if f.lock
                    .as_ref()
                    .is_none_or(|m| STRONG.iter().position(|s| s == m) < Some(rank))
                {
                    f.lock = Some(mode.clone());
                }
            }
            for oid in &step.rewritten {
                let Some(t) = table_of(*oid) else { continue };
                let rel = &self.rels[oid];
                entry(&mut tables, t, rel.table).rewritten.push(if rel.is_table() {
                    String::new()
                } else {
                    rel.name.clone()
                });
            }
            for (oid, mode) in &step.held {
                let Some(t) = table_of(*oid).filter(|_| self.rels.get(oid).is_some_and(Rel::is_table)) else {
                    continue;
                };
                entry(&mut tables, t, *oid).held = Some(mode.clone());
            }
            for oid in &step.scanned {
                let Some(t) = table_of(*oid) else { continue };
                entry(&mut tables, t, *oid).scanned = true;
            }
            // A table the statement dropped (a down's DROP TABLE): nothing is left to lock.
            let dropped = |oid: &u32| self.dropped.contains(oid);
            for f in tables.values_mut() {
                // "The table" (empty) first, then the indexes by name: output is deterministic.
                f.rewritten.sort();
                f.rewritten.dedup();
            }
            let tables: Vec<TableFacts> = tables
                .into_iter()
                .filter(|(oid, f)| {
                    (f.effect().is_some() || f.held.is_some()) && !(dropped(oid) && f.effect() == Some(Effect::Lock))
                })
                .map(|(_, f)| f)
                .collect();
            let invalid: Vec<(String, String)> = step
                .invalid
                .iter()
                .filter(|(oid, ..)| self.invalid.contains(oid))
                .map(|(_, index, _, table)| (index.clone(), table.clone()))
                .collect();
            if tables.is_empty() && invalid.is_empty() && !step.complete {
                continue;
            }
            out.push(Measured {
                path: set.file(script.file).display.clone(),
                file: script.file,
                span: step.span.clone(),
                direction,
                complete: step.complete,
                tables,
                invalid,
                watched: watched.clone(),
            });
        }
        out
    }
}

/// The facts of table `oid` (`t`) in `tables`.
fn entry<'a>(tables: &'a mut BTreeMap<u32, TableFacts>, t: &Rel, oid: u32) -> &'a mut TableFacts {
    tables.entry(oid).or_insert_with(|| TableFacts {
        table: t.display(),
        relname: t.name.clone(),
        ..TableFacts::default()
    })
}

/// One row of a measurement.
struct Row {
    kind: String,
    oid: u32,
    text: String,
    number: i64,
    extra: String,
}

/// Runs a measurement query: its rows, or `None` when it failed. It must leave the migration as
/// it found it, so it runs in a savepoint (`inside` the migration's open transaction) that is
/// then rolled back, or in a transaction of its own: the catalog locks it took are released
/// (held to the end of the migration's transaction they could block what the migration does
/// next, e.g. a `LOCK pg_class` through dblink), and its own short `lock_timeout` and
/// `statement_timeout` (`SET LOCAL`, undone by the rollback) keep it from waiting on a catalog
/// another session holds, whatever timeouts the migration set.
fn query(client: &mut Client, sql: &str, inside: bool) -> Option<Vec<Row>> {
    let limits = format!("SET LOCAL lock_timeout = {LOCK_MS}; SET LOCAL statement_timeout = {STATEMENT_MS}");
    let messages = if inside {
        let close = "ROLLBACK TO SAVEPOINT migproof_measure; RELEASE SAVEPOINT migproof_measure";
        match client.simple_query(&format!("SAVEPOINT migproof_measure; {limits}; {sql}; {close}")) {
            Ok(m) => m,
            Err(_) => {
                let _ = client.batch_execute(close);
                return None;
            }
        }
    } else {
        // Several statements in one query: an implicit transaction block of its own, which
        // ends with the query (no BEGIN … ROLLBACK that could end a transaction a script left
        // open).
        client.simple_query(&format!("{limits}; {sql}")).ok()?
    };
    let mut rows = Vec::new();
    for m in messages {
        if let SimpleQueryMessage::Row(r) = m {
            if r.len() < 5 || rows.len() >= MAX_ROWS {
                continue;
            }
            let text = |i: usize| r.get(i).unwrap_or("").to_string();
            let Ok(oid) = text(1).parse::<u32>() else { continue };
            rows.push(Row {
                kind: text(0),
                oid,
                text: text(2),
                // A relation dropped by the statement has no file: -1.
                number: text(3).parse().unwrap_or(-1),
                extra: text(4),
            });
        }
    }
    Some(rows)
}

/// The user relations now, or `None` when they cannot be read.
fn relations(client: &mut Client) -> Option<BTreeMap<u32, Rel>> {
    let all = format!("SET LOCAL lock_timeout = {LOCK_MS}; SET LOCAL statement_timeout = {STATEMENT_MS}; {RELATIONS}");
    let messages = client.simple_query(&all).ok()?;
    let mut rels = BTreeMap::new();
    for m in messages {
        if let SimpleQueryMessage::Row(r) = m {
            let text = |i: usize| r.get(i).unwrap_or("").to_string();
            let (Ok(oid), Ok(filenode), Ok(table)) =
                (text(0).parse::<u32>(), text(1).parse::<u32>(), text(3).parse::<u32>())
            else {
                continue;
            };
            rels.insert(
                oid,
                Rel {
                    filenode,
                    kind: text(2),
                    table,
                    schema: text(4),
                    name: text(5),
                },
            );
        }
    }
    Some(rels)
}

/// The statements of `script` to send one by one, when the split is reliable: the script was
/// parsed as PostgreSQL without errors or psql meta-commands, and is sent as one piece.
pub fn statements(script: &Script) -> Option<Vec<Range<usize>>> {
    let sql = script.sql.as_ref()?;
    let reliable = sql.syntax_errors.is_empty()
        && sql.meta_commands.is_empty()
        && sql.dialect_errors.is_empty()
        && script.more_spans.is_empty()
        && !sql.statements.is_empty();
    reliable.then(|| sql.statements.clone())
}

/// The statement's first keyword, upper-cased (`BEGIN`, `CREATE`).
pub fn first_word(statement: &str) -> String {
    statement
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Opens or ends a transaction, or works only inside one (`SAVEPOINT`): a script holding one
/// is sent as the runner sends it, unmeasured, inside a runner's transaction; in autocommit it is
/// never wrapped.
pub fn is_transaction_control(statement: &str) -> bool {
    let word = first_word(statement);
    matches!(
        word.as_str(),
        "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "SAVEPOINT" | "RELEASE"
    ) || (word == "PREPARE" && {
        let rest = statement.trim_start()[7..].trim_start();
        rest.len() >= 11 && rest[..11].eq_ignore_ascii_case("transaction")
    })
}

/// Whether an autocommit statement may be measured inside `BEGIN … COMMIT`: not one that works
/// only in a transaction block (it would succeed where the runner's fails). A statement that
/// cannot run in a block fails at once with 25001 (or 2D000 for a COMMIT inside a procedure) and
/// is then sent again on its own.
pub fn wrappable(statement: &str) -> bool {
    !is_transaction_control(statement) && !matches!(first_word(statement).as_str(), "LOCK" | "DECLARE")
}

/// The SQLSTATEs that say a statement cannot run inside a transaction block.
pub fn not_in_block(code: &str) -> bool {
    code == "25001" || code == "2D000"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_control_and_wrapping() {
        assert_eq!(first_word("  begin;"), "BEGIN");
        for s in [
            "BEGIN",
            "start transaction",
            "COMMIT",
            "end",
            "ROLLBACK TO SAVEPOINT a",
            "savepoint a",
            "RELEASE a",
            "prepare transaction 'x'",
        ] {
            assert!(is_transaction_control(s), "{s}");
            assert!(!wrappable(s), "{s}");
        }
        for s in [
            "PREPARE q AS SELECT 1",
            "CREATE INDEX CONCURRENTLY i ON t (a)",
            "DO $$ BEGIN END $$",
            "VACUUM t",
        ] {
            assert!(!is_transaction_control(s), "{s}");
            assert!(wrappable(s), "{s}");
        }
        // They work only inside a transaction block: wrapping them would make them succeed.
        assert!(!wrappable("LOCK TABLE t"));
        assert!(!wrappable("declare c cursor for select 1"));
        assert!(is_setting("SET LOCAL lock_timeout = '1s'") && is_setting("reset all") && !is_setting("SELECT 1"));
        assert!(not_in_block("25001") && not_in_block("2D000") && !not_in_block("25P01"));
    }

    #[test]
    fn the_strongest_fact_is_reported() {
        let mut t = TableFacts::default();
        assert_eq!(t.effect(), None);
        t.scanned = true;
        assert_eq!(
            t.effect(),
            None,
            "a scan under no lock that blocks writes (a backfill) is not one"
        );
        t.held = Some("ShareLock".into());
        assert_eq!(t.effect(), Some(Effect::Scan));
        t.rewritten.push(String::new());
        assert_eq!(t.effect(), Some(Effect::Rewrite));
        let lock = TableFacts {
            lock: Some("AccessExclusiveLock".into()),
            ..TableFacts::default()
        };
        assert_eq!(lock.effect(), Some(Effect::Lock));
    }

    #[test]
    fn the_step_query_names_only_catalog_objects() {
        let q = format!("{} {}", Probe::step_query(false), Probe::step_query(true));
        assert!(q.contains("pg_catalog.pg_locks") && q.contains("'f'::pg_catalog.text"));
        // Every operator is pg_catalog's: a migration's own `=` on a search_path before it is never picked.
        let bare = q.replace("OPERATOR(pg_catalog.", "");
        for op in [" = ", " <> ", " > "] {
            assert!(!bare.contains(op), "unqualified {op} in {q}");
        }
    }
}
