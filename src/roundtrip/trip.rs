//! One directory's round-trip: for each migration, up → snapshot → down → compare → up again
//! → compare, rebuilding the state after a failure; the MC301–MC307 findings and the report.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::apply::Rejection;
use super::diff::{self, Change};
use super::environment;
use super::report::{CacheReport, MigrationReport, MigrationStatus, SetReport, SetStatus, ms};
use super::snapshot::Snapshot;
use super::target::{Scratch, Target};
use super::{cache, named, plan, prefix, requirements, watchdog};
use crate::checks::locks::Direction;
use crate::checks::{self, Finding, Location, Rule};
use crate::model::{Migration, MigrationSet, Script};

/// One directory's round-trip.
pub(super) struct SetRun<'a> {
    pub(super) set: &'a MigrationSet,
    pub(super) target: &'a mut Target,
    pub(super) setup: Option<&'a (String, Arc<str>)>,
    pub(super) findings: Vec<Finding>,
    pub(super) bar: &'a indicatif::ProgressBar,
    /// With `--base`: the files added or changed since the merge base (see [`prefix`]).
    pub(super) changed: Option<&'a BTreeSet<String>>,
    /// The schema cache's cap (`None`: --no-cache).
    pub(super) cache_cap: Option<u64>,
    pub(super) cache_report: Option<CacheReport>,
    /// What the lock measurement keeps across the directory ([`super::probe`]).
    pub(super) measure: super::probe::Tracker,
}

impl SetRun<'_> {
    pub(super) fn run(&mut self) -> Result<SetReport, String> {
        let started = Instant::now();
        let set = self.set;
        let mut reports: Vec<MigrationReport> = set
            .migrations
            .iter()
            .map(|m| MigrationReport {
                version: m.version.text.clone(),
                name: m.name.clone(),
                status: MigrationStatus::NotRun,
                up_ms: None,
                down_ms: None,
                reapply_ms: None,
                snapshot_ms: 0.0,
            })
            .collect();
        let roles_at_start = self.target.roles()?;
        // The runner's order and choice of files (dialects, a parents graph): see [`plan`].
        let (steps, skipped) = plan::plan(set);
        for &i in &skipped {
            reports[i].status = MigrationStatus::OtherDialect;
            self.bar.inc(1);
        }
        // With --base, the steps before the first change are only applied (see [`prefix`]).
        let fast_end = self.changed.map_or(0, |c| prefix::first_changed(set, &steps, c));
        if self.changed.is_some() && fast_end == steps.len() {
            for step in &steps {
                reports[step.index].status = MigrationStatus::Prefix;
                self.bar.inc(1);
            }
            return Ok(self.finish(SetStatus::Verified, reports, started));
        }
        let mut start = self.target.throwaway.is_some().then(|| {
            let keys = prefix::keys(set, &steps, self.target, self.setup.map(|s| &*s.1));
            prefix::Start::plan(keys, fast_end, self.changed.is_some(), self.cache_cap)
        });
        let mut restored_db = None;
        if let Some(start) = &mut start
            && let Some(mut entry) = start.lookup(self.changed.is_some())
        {
            match self.target.restore(&entry)? {
                Ok(db) => {
                    entry.touch();
                    start.restored = entry.meta.steps;
                    start.restored_kind = Some(entry.meta.kind);
                    start.report.restored = entry.meta.steps;
                    start.report.restored_key = Some(entry.meta.key.clone());
                    start.report.restored_kind = Some(entry.meta.kind.as_str());
                    restored_db = Some(db);
                }
                Err(note) => start.report.notes.push(note),
            }
        }
        let (restored, restored_kind) = start.as_ref().map_or((0, None), |s| (s.restored, s.restored_kind));
        let mut db = match restored_db {
            Some(db) => db,
            None => {
                let mut db = self.target.scratch()?;
                if let Some(step) = self.run_setup(&mut db) {
                    self.target.discard(db);
                    self.cache_report = start.map(|s| s.report);
                    return Ok(self.finish(step, reports, started));
                }
                db
            }
        };
        let mut status = SetStatus::Verified;
        let mut rebuilt = false;
        let mut snap_time = Duration::ZERO;
        let mut before = self.snapshot(&mut db, &mut snap_time)?;
        let mut applied: Vec<usize> = Vec::new();
        for (k, step) in steps.iter().enumerate() {
            let (i, m) = (step.index, &step.migration);
            self.bar.inc(1);
            snap_time = Duration::ZERO;
            if k == fast_end && k > restored && !applied.is_empty() {
                // The prefix before the first change is built: cache it, then round-trip.
                if let Some(start) = &mut start {
                    db = start.save(self.target, db, set, &steps, k, cache::Kind::Applied)?;
                }
                before = self.snapshot(&mut db, &mut snap_time)?;
                snap_time = Duration::ZERO;
            }
            let Some(up) = &m.up else {
                reports[i].status = MigrationStatus::NoUp;
                continue;
            };
            // Written for another database (MySQL, SQLite, CockroachDB, …), or a file for all
            // databases that the runner replaces on PostgreSQL: not what PostgreSQL runs.
            if crate::sql::Grammar::of_dialect(set.dialect_of(m, up)) != crate::sql::Grammar::Postgres {
                reports[i].status = MigrationStatus::OtherDatabase;
                continue;
            }
            // An unreadable file (reported offline as MC010) cannot be applied: later
            // migrations would run on a schema no one intended, so the directory stops here.
            if m.files().iter().any(|&f| set.file(f).text.is_err()) {
                reports[i].status = MigrationStatus::Unreadable;
                status = SetStatus::Stopped;
                break;
            }
            if k < restored {
                reports[i].status = match (m.down.is_some(), restored_kind) {
                    (false, _) => MigrationStatus::NoDown,
                    (true, Some(cache::Kind::Roundtripped)) => MigrationStatus::Cached,
                    (true, _) => MigrationStatus::Prefix,
                };
                applied.push(k);
                continue;
            }
            // SQL only known at run time (MC027): what the runner sends cannot be sent here, and
            // every later migration would run on a schema no one can know.
            if up.runtime_sql {
                reports[i].status = MigrationStatus::RuntimeUp;
                status = SetStatus::NotVerified;
                break;
            }
            let text = set.file(up.file).text();
            let up_result = self.apply_measured(&mut db, up, Direction::Up, i);
            match up_result {
                Err(rejection) => {
                    self.connection_alive(&db, &rejection, up, "up")?;
                    let gap = steps[..k]
                        .iter()
                        .find(|s| s.migration.up.is_none())
                        .map(|s| set.file(s.migration.primary_file()).file_name().to_string())
                        .or_else(|| requirements::code_migration_before(&set.path, &m.version.text));
                    let env = environment::lacking(&rejection, self.target.major).or_else(|| {
                        requirements::explain(
                            &rejection,
                            failing_statement(text, up, &rejection),
                            self.target.major,
                            gap.as_deref(),
                        )
                    });
                    let file = set.file(up.file).file_name().to_string();
                    let finding = match env {
                        Some((message, help)) => {
                            reports[i].status = MigrationStatus::Environment;
                            status = SetStatus::NotVerified;
                            Finding::new(&checks::roundtrip_environment::RULE, self.at(up, &rejection), message)
                                .label("the scratch server cannot run this")
                                .help(format!(
                                    "{help}\nthis directory is NOT VERIFIED: migrations from `{file}` on were not round-tripped"
                                ))
                        }
                        None => {
                            reports[i].status = MigrationStatus::UpFailed;
                            status = SetStatus::Stopped;
                            self.rejected(&checks::up_failed::RULE, up, &rejection, "the server rejected the up")
                                .help_append(format!(
                                    "the migrations after `{file}` were not round-tripped (they depend on it)"
                                ))
                        }
                    };
                    self.findings.push(finding);
                    break;
                }
                Ok(took) => reports[i].up_ms = Some(ms(took)),
            }
            applied.push(k);
            if k < fast_end {
                reports[i].status = MigrationStatus::Prefix;
                continue;
            }
            let after_up = self.snapshot(&mut db, &mut snap_time)?;
            if m.down.as_ref().is_some_and(|d| d.runtime_sql) {
                reports[i].status = MigrationStatus::RuntimeDown;
                reports[i].snapshot_ms = ms(snap_time);
                before = after_up;
                continue;
            }
            if m.down.is_none() {
                reports[i].status = MigrationStatus::NoDown;
                reports[i].snapshot_ms = ms(snap_time);
                before = after_up;
                continue;
            }
            let (step_status, rebuild) =
                self.round_trip(&mut db, m, &before, &after_up, &mut reports[i], &mut snap_time)?;
            reports[i].status = step_status;
            reports[i].snapshot_ms = ms(snap_time);
            if !matches!(step_status, MigrationStatus::Ok | MigrationStatus::ColumnOrder)
                && status == SetStatus::Verified
            {
                status = SetStatus::Failed;
            }
            if rebuild {
                rebuilt = true;
                self.target.discard(db);
                self.target.drop_roles_since(&roles_at_start)?;
                db = self.target.scratch()?;
                if let Some(step) = self.run_setup(&mut db) {
                    self.target.discard(db);
                    return Ok(self.finish(step, reports, started));
                }
                for &j in &applied {
                    let up = steps[j].migration.up.as_ref().expect("applied migrations have an up");
                    if let Err(r) = self
                        .target
                        .apply(&mut db.client, db.backend, self.set.file(up.file).text(), up)
                    {
                        self.connection_alive(&db, &r, up, "up (replayed)")?;
                        let finding = self
                            .rejected(
                                &checks::up_failed::RULE,
                                up,
                                &r,
                                "the up failed when replayed to rebuild the state after a failed round-trip",
                            )
                            .help_append("the up is not deterministic: it succeeded once on the same schema");
                        self.findings.push(finding);
                        self.target.discard(db);
                        return Ok(self.finish(SetStatus::Stopped, reports, started));
                    }
                }
            }
            before = after_up;
        }
        // A directory that ran to its end cleanly is cached whole, for the next run.
        let clean = reports.iter().all(|r| {
            !matches!(
                r.status,
                MigrationStatus::ColumnOrder | MigrationStatus::NotRun | MigrationStatus::Unreadable
            )
        });
        if let Some(start) = &mut start
            && status == SetStatus::Verified
            && clean
            && !rebuilt
            && start.keys.len() == steps.len()
            && steps.len() > restored
        {
            // (A state with `prefix` migrations is not stored: only a `--base` run could start
            // from it, and only up to its first change, which the entry before it covers.)
            if !reports.iter().any(|r| r.status == MigrationStatus::Prefix) {
                db = start.save(self.target, db, set, &steps, steps.len(), cache::Kind::Roundtripped)?;
            }
        }
        self.target.discard(db);
        self.cache_report = start.map(|s| s.report);
        Ok(self.finish(status, reports, started))
    }

    pub(super) fn finish(&self, status: SetStatus, migrations: Vec<MigrationReport>, started: Instant) -> SetReport {
        SetReport {
            path: self.set.display.clone(),
            pg_version: None,
            status,
            partial: migrations.iter().any(|m| m.status == MigrationStatus::Prefix),
            migrations,
            elapsed_ms: ms(started.elapsed()),
            cache: self.cache_report.clone(),
        }
    }

    /// Down, compare, up again, compare. Returns the migration's status and whether the state
    /// must be rebuilt before the next migration.
    pub(super) fn round_trip(
        &mut self,
        db: &mut Scratch,
        m: &Migration,
        before: &Snapshot,
        after_up: &Snapshot,
        report: &mut MigrationReport,
        snap_time: &mut Duration,
    ) -> Result<(MigrationStatus, bool), String> {
        let set = self.set;
        let up = m.up.as_ref().expect("checked by the caller");
        let down = m.down.as_ref().expect("checked by the caller");
        let up_name = set.file(up.file).file_name().to_string();
        let down_name = set.file(down.file).file_name().to_string();
        // The index only matters for an up (its tables may be branch-new).
        match self.apply_measured(db, down, Direction::Down, usize::MAX) {
            Err(r) => {
                self.connection_alive(db, &r, down, "down")?;
                let finding = self.rejected(
                    &checks::down_failed::RULE,
                    down,
                    &r,
                    &format!("the server rejected the down (run right after `{up_name}`)"),
                );
                self.findings.push(finding);
                // A down in one transaction left nothing behind; otherwise rebuild.
                let now = self.snapshot(db, snap_time)?;
                return Ok((
                    MigrationStatus::DownFailed,
                    diff::diff(after_up, &now).iter().any(|c| !c.is_order_only()),
                ));
            }
            Ok(took) => report.down_ms = Some(ms(took)),
        }
        let after_down = self.snapshot(db, snap_time)?;
        let changes = diff::diff(before, &after_down);
        let mut status = MigrationStatus::Ok;
        let (order, errors): (Vec<Change>, Vec<Change>) = changes.into_iter().partition(Change::is_order_only);
        if !errors.is_empty() {
            status = MigrationStatus::NotReversing;
            let at = Location::in_file(set, down.file, first_code(set, down));
            let finding = checks::down_not_reversing::finding(at, &up_name, &down_name, &errors);
            self.findings.push(finding);
        }
        if !order.is_empty() {
            if status == MigrationStatus::Ok {
                // Only a warning: the round-trip held, with columns in another order.
                status = MigrationStatus::ColumnOrder;
            }
            let at = Location::in_file(set, down.file, first_code(set, down));
            self.findings.push(checks::column_order_differs::finding(at, &order));
        }
        match self
            .target
            .apply(&mut db.client, db.backend, set.file(up.file).text(), up)
        {
            Err(r) => {
                self.connection_alive(db, &r, up, "up (applied again)")?;
                let finding = self
                    .rejected(
                        &checks::reapply_failed::RULE,
                        up,
                        &r,
                        &format!("the up fails when applied again after `{down_name}`"),
                    )
                    .related(
                        Location::in_file(set, down.file, first_code(set, down)),
                        "this down did not undo what the up needs to create again",
                    );
                self.findings.push(finding);
                return Ok((MigrationStatus::ReapplyFailed, true));
            }
            Ok(took) => report.reapply_ms = Some(ms(took)),
        }
        let after_reapply = self.snapshot(db, snap_time)?;
        let again: Vec<Change> = diff::diff(after_up, &after_reapply)
            .into_iter()
            .filter(|c| !c.is_order_only())
            .collect();
        if !again.is_empty() {
            let at = Location::in_file(set, up.file, first_code(set, up));
            self.findings
                .push(checks::reapply_differs::finding(at, &down_name, &again));
            return Ok((MigrationStatus::ReapplyDiffers, true));
        }
        Ok((status, false))
    }

    /// Reads the schema, under timeouts of its own (set here: a migration may have turned the
    /// session's off, or hold a catalog locked from another session) and the watchdog.
    pub(super) fn snapshot(&self, db: &mut Scratch, time: &mut Duration) -> Result<Snapshot, String> {
        let started = Instant::now();
        let budget = SNAPSHOT_TIMEOUT;
        let _ = db.client.batch_execute(&format!(
            "SET statement_timeout = {}; SET lock_timeout = {}",
            budget.as_millis(),
            SNAPSHOT_LOCK_TIMEOUT.as_millis()
        ));
        let watch = self
            .target
            .watch(&db.client, db.backend, budget + Duration::from_secs(1));
        let (taken, fired) = watchdog::run(&watch, || Snapshot::take(&mut db.client, &db.statement, &db.since));
        let s = taken.map_err(|e| {
            let why = if fired >= watchdog::Fired::Terminated {
                "it ran past its time budget and was ended from outside".to_string()
            } else {
                named::reason(&e)
            };
            format!(
                "the schema snapshot failed in `{}` ({why}); a migration may hold a catalog locked from another \
                 session (dblink, a background process)",
                self.set.display
            )
        })?;
        let mut s = s;
        self.forget_foreign_roles(db, &mut s);
        *time += started.elapsed();
        Ok(s)
    }

    /// On a server the user names, another session may create a role while the run goes on
    /// (roles are cluster-wide): a role that was not there when the run began and that no
    /// script of this run created (its `pg_authid.xmin` in none of the run's windows, see
    /// [`named`]) is not the migrations', and is left out of the snapshot. Without the right
    /// to read `pg_authid`, every role is kept.
    fn forget_foreign_roles(&self, db: &mut Scratch, s: &mut Snapshot) {
        let Some(before) = &self.target.roles_before else {
            return;
        };
        let Ok(rows) = db.client.query(
            "SELECT rolname::text, pg_catalog.quote_ident(rolname), xmin::text::bigint FROM pg_catalog.pg_authid",
            &[],
        ) else {
            return;
        };
        let windows = self.target.windows.borrow();
        let foreign: std::collections::BTreeSet<String> = rows
            .iter()
            .filter(|r| {
                let xmin = r.get::<_, i64>(2) as u32;
                !before.contains(&r.get::<_, String>(0)) && !windows.iter().any(|w| named::in_window(xmin, *w))
            })
            .map(|r| r.get(1))
            .collect();
        s.objects
            .retain(|(kind, _, name), _| !(kind == "role" && foreign.contains(name)));
    }

    /// Runs the setup file; `Some` when it failed (the directory is then not verified).
    pub(super) fn run_setup(&mut self, db: &mut Scratch) -> Option<SetStatus> {
        let (path, text) = self.setup?;
        let script = Script::whole(0, text);
        let rejection = self.target.apply(&mut db.client, db.backend, text, &script).err()?;
        let location = Location {
            path: path.clone(),
            span: rejection.span.clone(),
            text: Some(text.clone()),
        };
        self.findings.push(
            Finding::new(
                &checks::roundtrip_environment::RULE,
                location,
                format!("the --setup file failed: {}", rejection.headline()),
            )
            .label("rejected here")
            .help(format!(
                "fix the setup file; directory `{}` is NOT VERIFIED",
                self.set.display
            )),
        );
        Some(SetStatus::NotVerified)
    }

    /// `Err` when the connection broke while applying `script` (the server crashed or went
    /// away): that is not the migration's fault, and nothing after it could be trusted.
    pub(super) fn connection_alive(
        &self,
        db: &Scratch,
        r: &Rejection,
        script: &Script,
        step: &str,
    ) -> Result<(), String> {
        // Ended by the watchdog: the migration's fault, reported as its finding.
        if r.message.starts_with("terminated by migproof") && self.target.server_gone().is_none() {
            return Ok(());
        }
        // A server-reported 08xxx (dblink, postgres_fdw failing to connect elsewhere) is the
        // migration's own error: the session is fine.
        let lost = db.client.is_closed()
            || (r.is_connection_lost()
                && (r.message.starts_with("the connection failed") || r.code.starts_with("57P")));
        if lost {
            let path = &self.set.file(script.file).display;
            return Err(self.target.lost(&format!("applying the {step} `{path}`"), &r.message));
        }
        Ok(())
    }

    pub(super) fn at(&self, script: &Script, r: &Rejection) -> Location {
        Location::in_file(self.set, script.file, r.span.clone())
    }

    /// A finding for a server rejection of `script`.
    pub(super) fn rejected(&self, rule: &'static Rule, script: &Script, r: &Rejection, what: &str) -> Finding {
        let mut help: Vec<String> = Vec::new();
        if let Some(d) = &r.detail {
            help.push(format!("server detail: {d}"));
        }
        if let Some(h) = &r.hint {
            help.push(format!("server hint: {h}"));
        }
        if r.message.contains("statement timeout") {
            help.push(format!(
                "the statement timeout fired: the statement ran longer than --statement-timeout ({} s)",
                self.target.statement_timeout.as_secs_f64()
            ));
        } else if r.message.contains("lock timeout") {
            help.push(format!(
                "the lock timeout fired: the statement waited longer than --lock-timeout ({} s) for a lock",
                self.target.lock_timeout.as_secs_f64()
            ));
        } else if r.message.starts_with("canceled by migproof") {
            help.push(
                "the script turned the statement timeout off (`SET statement_timeout = 0`) or ran many slow \
                 statements; migproof bounds every script whatever it sets"
                    .to_string(),
            );
        } else if r.is_timeout() {
            help.push("the statement hit --statement-timeout / --lock-timeout".to_string());
        }
        if r.code == "3F000" {
            help.push(
                "if the platform provides this schema (Supabase's `auth`, …), create it in a --setup FILE".to_string(),
            );
        }
        let mut f = Finding::new(rule, self.at(script, r), format!("{what}: {}", r.headline())).label(if r.exact {
            "the server points here"
        } else if r.located {
            "this statement fails"
        } else {
            "in this script"
        });
        if !help.is_empty() {
            f = f.help(help.join("\n"));
        }
        f
    }
}

trait HelpAppend {
    fn help_append(self, line: impl Into<String>) -> Self;
}

impl HelpAppend for Finding {
    fn help_append(mut self, line: impl Into<String>) -> Finding {
        let line = line.into();
        self.help = Some(match self.help.take() {
            Some(h) => format!("{h}\n{line}"),
            None => line,
        });
        self
    }
}

/// How long one catalog snapshot may take (it takes milliseconds unless something blocks it).
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a snapshot waits for a catalog lock (none is held unless a migration keeps one).
const SNAPSHOT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// The text of the statement of `script` that `r` points into (the whole script when unknown).
fn failing_statement<'t>(text: &'t str, script: &Script, r: &Rejection) -> &'t str {
    let span = script.span.start.min(text.len())..script.span.end.min(text.len());
    crate::sql::lexer::scan(text, span.clone())
        .statements
        .into_iter()
        .find(|s| s.start <= r.span.start && r.span.start <= s.end)
        .map_or(&text[span], |s| &text[s])
}

/// Where a script's first statement starts (a finding about the whole script points there).
pub(super) fn first_code(set: &MigrationSet, script: &Script) -> std::ops::Range<usize> {
    let start = script
        .sql
        .as_ref()
        .and_then(|s| s.statements.first().map(|r| r.start))
        .unwrap_or_else(|| {
            crate::sql::lexer::scan(set.file(script.file).text(), script.span.clone())
                .statements
                .first()
                .map_or(script.span.start, |r| r.start)
        });
    start..start
}
