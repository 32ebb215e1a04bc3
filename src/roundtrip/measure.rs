//! Lock facts measured during the round-trip become findings (MC450–MC453), and overrule the
//! static lock rules on the statements they measured ([`reconcile`]). The measuring itself is
//! [`super::probe`]; this file decides which tables count as existing (not created earlier in
//! the same file, nor, for a down, by its up, nor by a migration added since `--base`).

use std::collections::BTreeSet;
use std::ops::Range;
use std::time::Duration;

use super::apply::Rejection;
use super::probe::Probe;
pub use super::probe::{Measured, TableFacts};
use super::target::Scratch;
use super::trip::SetRun;
use crate::checks::locks::{Direction, Effect};
use crate::checks::{self, Finding, Location};
use crate::model::{MigrationSet, Script};

impl SetRun<'_> {
    /// Applies the first up or a down of migration `index` with the measurement on (when it is):
    /// records the facts and reports the MC450–MC453 findings.
    pub(super) fn apply_measured(
        &mut self,
        db: &mut Scratch,
        script: &Script,
        direction: Direction,
        index: usize,
    ) -> Result<Duration, Rejection> {
        let set = self.set;
        let text = set.file(script.file).text();
        if !self.target.measure {
            return self.target.apply(&mut db.client, db.backend, text, script);
        }
        if direction == Direction::Up {
            self.measure.pre_up = None;
        }
        let mut probe = Probe::default();
        probe.want_created = direction == Direction::Up && set.lock_settings.new_since_base.contains(&index);
        let result = self
            .target
            .apply_with(&mut db.client, db.backend, text, script, Some(&mut probe));
        if result.is_err() || probe.is_off() {
            return result;
        }
        let before: BTreeSet<u32> = probe.relations_before();
        let existing = match direction {
            Direction::Up => {
                self.measure.pre_up = Some(before.clone());
                if set.lock_settings.new_since_base.contains(&index) {
                    self.measure.branch_new.extend(probe.created_tables());
                }
                before
            }
            Direction::Down => match &self.measure.pre_up {
                Some(pre_up) => before.intersection(pre_up).copied().collect(),
                None => BTreeSet::new(),
            },
        };
        let measured = probe.measured(set, script, direction, &existing, &self.measure.branch_new);
        for m in &measured {
            self.findings.extend(findings(set, script, m));
        }
        self.measure.measured.extend(measured);
        result
    }
}

fn side(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

/// What a lock mode blocks.
fn blocks(mode: &str) -> &'static str {
    match mode {
        "AccessExclusiveLock" => "blocks reads and writes",
        "ExclusiveLock" => "blocks writes and all but plain reads",
        _ => "blocks writes",
    }
}

/// Whether the statement at `span` runs code that can hide DDL (`DO`, a function called by
/// `SELECT` or `CALL`, a trigger fired by DML): a lock that blocks writes, taken without a
/// rewrite or a scan, is reported only for those. A DDL statement's own locks are what it says
/// (an `ADD COLUMN` or a `CREATE TRIGGER` holds its lock for a moment); judging them is the
/// static rules' (MC402, MC413, MC415, and the opt-in MC431 for a missing `lock_timeout`).
fn runs_code(text: &str, span: &Range<usize>) -> bool {
    let statement = text.get(span.clone()).unwrap_or("");
    matches!(
        super::probe::first_word(statement).as_str(),
        "DO" | "SELECT" | "CALL" | "EXECUTE" | "WITH" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "COPY" | "VALUES"
    )
}

/// Whether the statement at `span` is DML (`INSERT`, `UPDATE`, `DELETE`, `MERGE`, `COPY`,
/// `WITH …`): its plan on the scratch server's empty tables is a sequential scan whatever the
/// real table's indexes allow, so a measured scan by it says nothing (a backfill under a DDL
/// lock is MC433's).
fn is_dml(text: &str, span: &Range<usize>) -> bool {
    let statement = text.get(span.clone()).unwrap_or("");
    matches!(
        super::probe::first_word(statement).as_str(),
        "WITH" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "COPY" | "VALUES"
    )
}

/// The findings of one measured statement of `script`.
pub fn findings(set: &MigrationSet, script: &Script, m: &Measured) -> Vec<Finding> {
    let at = || Location::in_file(set, m.file, m.span.clone());
    let text = set.file(script.file).text();
    let bare_locks_judged = !runs_code(text, &m.span);
    let dml = is_dml(text, &m.span);
    let mut out = Vec::new();
    for t in &m.tables {
        if (bare_locks_judged && t.effect() == Some(Effect::Lock)) || (dml && t.effect() == Some(Effect::Scan)) {
            continue;
        }
        let lock = t.lock.as_deref();
        let held = lock.map_or(String::new(), |l| format!(" under {l}"));
        let scan_lock = t.held.as_deref().or(lock).unwrap_or("");
        let f = match t.effect() {
            Some(Effect::Rewrite) => {
                let what: Vec<String> = t
                    .rewritten
                    .iter()
                    .map(|r| if r.is_empty() { "the table".to_string() } else { format!("index `{r}`") })
                    .collect();
                Finding::new(
                    &checks::measured_rewrite::RULE,
                    at(),
                    format!(
                        "measured in the {}: this statement rewrote existing table `{}` ({} got a new file){held}",
                        side(m.direction),
                        t.table,
                        what.join(", ")
                    ),
                )
                .label("rewrites the table")
                .help(
                    "add a new column and backfill it in batches, or use a change that keeps the file (a binary-coercible \
                     type); rebuild indexes with REINDEX CONCURRENTLY",
                )
            }
            Some(Effect::Scan) => Finding::new(
                &checks::measured_scan::RULE,
                at(),
                format!(
                    "measured in the {}: this statement read all of existing table `{}` while holding {} (which {})",
                    side(m.direction),
                    t.table,
                    scan_lock,
                    blocks(scan_lock)
                ),
            )
            .label("scans the table under a lock")
            .help(
                "use the forms that scan under a weaker lock: CREATE INDEX CONCURRENTLY, ADD CONSTRAINT … NOT VALID then \
                 VALIDATE CONSTRAINT, a valid CHECK (c IS NOT NULL) before SET NOT NULL; run a backfill (UPDATE) in a \
                 transaction that holds no DDL lock on the table",
            ),
            Some(_) => Finding::new(
                &checks::measured_lock::RULE,
                at(),
                format!(
                    "measured in the {}: this statement took {} on existing table `{}` (which {}) until the transaction ends",
                    side(m.direction),
                    lock.unwrap_or(""),
                    t.table,
                    blocks(lock.unwrap_or(""))
                ),
            )
            .label("locks the table")
            .help("set a short lock_timeout before it and keep the transaction short; prefer the non-blocking form"),
            None => continue,
        };
        out.push(f);
    }
    for (index, table) in &m.invalid {
        out.push(
            Finding::new(
                &checks::measured_invalid_index::RULE,
                at(),
                format!(
                    "measured in the {}: this statement left index `{index}` on `{table}` invalid, and it is still invalid when the script ends",
                    side(m.direction)
                ),
            )
            .label("leaves an invalid index")
            .help("attach an index of every partition (ALTER INDEX … ATTACH PARTITION), or drop the index and build it again"),
        );
    }
    out
}

/// The static lock rules whose claims a measurement can confirm or refute.
const SUPERSEDED: &[&str] = &[
    "MC401", "MC402", "MC403", "MC410", "MC411", "MC412", "MC413", "MC414", "MC415", "MC420", "MC421", "MC422",
];

/// Whether the measured table is the one a static claim names (`t` or `schema.t`).
fn same_table(t: &TableFacts, claimed: &str) -> bool {
    let name = claimed.rsplit('.').next().unwrap_or(claimed);
    t.relname.eq_ignore_ascii_case(name) || t.table.eq_ignore_ascii_case(claimed)
}

fn rank(e: Effect) -> u8 {
    match e {
        Effect::Rewrite => 3,
        Effect::Scan => 2,
        Effect::Lock => 1,
        Effect::Fails => 0,
    }
}

fn measured_rule(e: Effect) -> &'static str {
    match e {
        Effect::Rewrite => checks::measured_rewrite::RULE.code,
        Effect::Scan => checks::measured_scan::RULE.code,
        _ => checks::measured_lock::RULE.code,
    }
}

/// The measurement wins over the static lock rules: a static finding on a statement whose
/// locks and scans were measured stays only when the measurement shows at least what it claims
/// (it then says so, and the measured finding of the same kind on the same table is dropped as a
/// duplicate); a claim the measurement refutes is dropped. Statements not measured keep their
/// static findings.
pub fn reconcile(set: &MigrationSet, measured: &[Measured], findings: &mut Vec<Finding>) {
    // Rewrites are seen by every measurement; locks and scans only by a complete one.
    let mine: Vec<&Measured> = measured
        .iter()
        .filter(|m| set.files.get(m.file).is_some_and(|f| f.display == m.path))
        .collect();
    if mine.is_empty() {
        return;
    }
    let claims = checks::locks::claims(set);
    let mut duplicates: Vec<(String, Range<usize>, &'static str, String)> = Vec::new();
    let mut keep = Vec::with_capacity(findings.len());
    for mut f in std::mem::take(findings) {
        if !SUPERSEDED.contains(&f.rule.code) {
            keep.push(f);
            continue;
        }
        let at = &f.location.span;
        let statement = mine
            .iter()
            .find(|m| m.path == f.location.path && m.span.start <= at.start && at.end <= m.span.end);
        let claim = claims
            .iter()
            .find(|c| c.rule.code == f.rule.code && c.span == *at && set.file(c.file).display == f.location.path);
        let (Some(m), Some(c)) = (statement, claim) else {
            keep.push(f);
            continue;
        };
        if !m.complete && c.effect != Effect::Rewrite {
            keep.push(f);
            continue;
        }
        if !m.watched.contains(&c.table.to_ascii_lowercase()) {
            // A table the measurement did not watch (new to it, or named otherwise): no verdict.
            keep.push(f);
            continue;
        }
        let facts = m.tables.iter().find(|t| same_table(t, &c.table));
        // A lock the transaction already held counts: the statement needs it too.
        let Some(seen) = facts.and_then(|t| t.effect().or(t.held.as_ref().map(|_| Effect::Lock))) else {
            // Measured, and nothing of the claim happened: the measurement wins.
            continue;
        };
        if rank(seen) < rank(c.effect) {
            continue;
        }
        let t = facts.expect("effect came from it");
        if rank(seen) == rank(c.effect) {
            duplicates.push((m.path.clone(), m.span.clone(), measured_rule(seen), t.table.clone()));
        }
        let fact = match seen {
            Effect::Rewrite => "a rewrite".to_string(),
            Effect::Scan => format!(
                "a full scan under {}",
                t.held.as_deref().or(t.lock.as_deref()).unwrap_or("a lock")
            ),
            _ => t.lock.clone().or_else(|| t.held.clone()).unwrap_or_default(),
        };
        f.help = Some(format!(
            "{}confirmed by --roundtrip: {fact} on `{}` was measured",
            f.help.take().map(|h| format!("{h}\n")).unwrap_or_default(),
            t.table
        ));
        keep.push(f);
    }
    keep.retain(|f| {
        !duplicates.iter().any(|(path, span, code, table)| {
            f.rule.code == *code
                && f.location.path == *path
                && f.location.span == *span
                && f.message.contains(&format!("existing table `{table}`"))
        })
    });
    *findings = keep;
}
