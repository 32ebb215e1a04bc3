//! `migproof check --roundtrip`: proves, migration by migration, that each down restores the
//! schema its up changed, on a throwaway PostgreSQL that migproof starts itself (or in a scratch
//! database on a server the user names).
//!
//! For each directory, for each migration i: snapshot S(i-1) → up → S(i) → down → compare with
//! S(i-1) → up again → compare with S(i). After a failed down or re-up the state is rebuilt (a
//! fresh database, the setup file, ups 1..i) so one run reports every problem; only a failed up
//! stops a directory. Findings are the MC301–MC307 rules of [`crate::checks`].
//!
//! [`server`] finds and starts the server, [`apply`] runs scripts the way each runner does,
//! [`snapshot`] reads the catalogs, [`diff`] compares, [`cleanup`] guarantees nothing is left.

pub mod apply;
pub mod cleanup;
pub mod diff;
pub mod named;
pub mod plan;
pub mod requirements;
pub mod sandbox;
pub mod server;
pub mod snapshot;
pub mod template;
pub mod watchdog;

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use postgres::{Client, Config, NoTls, Statement};
use regex::Regex;
use serde::Serialize;

use crate::checks::{self, Finding, Location, Rule};
use crate::model::{Migration, MigrationSet, Script};
use apply::Rejection;
use diff::{Change, Context};
use snapshot::Snapshot;

/// What `--roundtrip` needs from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub pg_bin: Option<PathBuf>,
    /// A server the user names; never read from `DATABASE_URL`.
    pub database_url: Option<String>,
    /// SQL run in each scratch database before the first migration.
    pub setup: Option<PathBuf>,
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    /// The most a RAM-backed throwaway cluster may hold (bytes).
    pub max_cluster_size: u64,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            pg_bin: None,
            database_url: None,
            setup: None,
            statement_timeout: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(10),
            max_cluster_size: server::Limits::default().cluster_size,
            progress: false,
        }
    }
}

/// The round-trip's result, for the reports (JSON: fields may be added, never removed).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The server used, without secrets (`throwaway PostgreSQL 15.10` or `user@host:port/db`).
    pub server: String,
    /// How long the throwaway server took to accept connections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_ready_ms: Option<f64>,
    pub sets: Vec<SetReport>,
    /// Roles the migrations created on a named server, dropped at the end.
    pub roles_dropped: Vec<String>,
}

impl Report {
    /// Some directory could not be verified (the exit code is then 2).
    pub fn not_verified(&self) -> bool {
        self.sets.iter().any(|s| s.status == SetStatus::NotVerified)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetStatus {
    /// Every migration with a down round-tripped cleanly.
    Verified,
    /// It ran to the end with findings.
    Failed,
    /// An up failed: the migrations after it were not run.
    Stopped,
    /// The server lacked something (MC306): the result says nothing.
    NotVerified,
}

impl SetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SetStatus::Verified => "verified",
            SetStatus::Failed => "failed",
            SetStatus::Stopped => "stopped",
            SetStatus::NotVerified => "not verified",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SetReport {
    pub path: String,
    pub status: SetStatus,
    pub migrations: Vec<MigrationReport>,
    pub elapsed_ms: f64,
}

impl SetReport {
    pub fn count(&self, status: &str) -> usize {
        self.migrations.iter().filter(|m| m.status == status).count()
    }
}

/// One migration's fate and timings (milliseconds).
#[derive(Debug, Clone, Serialize)]
pub struct MigrationReport {
    pub version: String,
    pub name: String,
    /// `ok`, `column-order` (round-tripped, columns restored in another order: MC307), `no-down`
    /// (applied, not round-tripped), `other-dialect` (pop: another database's file, which the
    /// runner never applies on PostgreSQL), `up-failed`, `down-failed`, `not-reversing`,
    /// `reapply-failed`, `reapply-differs`, `environment`, `unreadable`, `no-up`, `not-run`.
    pub status: &'static str,
    pub up_ms: Option<f64>,
    pub down_ms: Option<f64>,
    pub reapply_ms: Option<f64>,
    pub snapshot_ms: f64,
}

/// How long one catalog snapshot may take (it takes milliseconds unless something blocks it).
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a snapshot waits for a catalog lock (none is held unless a migration keeps one).
const SNAPSHOT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// Runs the round-trip over `sets`, appending findings. `Err` when it cannot run at all.
pub fn run(sets: &[MigrationSet], opts: &Options, findings: &mut Vec<Finding>) -> Result<Report, String> {
    let setup = match &opts.setup {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the --setup file `{}`: {e}", path.display()))?;
            Some((path.to_string_lossy().into_owned(), Arc::<str>::from(text)))
        }
        None => None,
    };
    let mut target = Target::open(opts)?;
    let total: u64 = sets.iter().map(|s| s.migrations.len() as u64).sum();
    let bar = if opts.progress && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} [{bar:25}] {pos}/{len} {wide_msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut reports = Vec::new();
    let mut roles_dropped = Vec::new();
    let result = run_sets(
        sets,
        &mut target,
        setup.as_ref(),
        &bar,
        findings,
        &mut reports,
        &mut roles_dropped,
    );
    bar.finish_and_clear();
    if let Err(e) = result {
        return Err(match target.server_gone() {
            Some(why) if !e.contains(&why) => format!("{why}\n(then: {e})"),
            _ => e,
        });
    }
    roles_dropped.extend(target.drop_created_roles()?);
    if !roles_dropped.is_empty() {
        eprintln!(
            "migproof: dropped the roles the migrations created on {}: {}",
            target.description,
            roles_dropped.join(", ")
        );
    }
    Ok(Report {
        server: target.description.clone(),
        server_ready_ms: target.ready.map(ms),
        sets: reports,
        roles_dropped,
    })
}

/// Each directory in turn, on one server.
fn run_sets(
    sets: &[MigrationSet],
    target: &mut Target,
    setup: Option<&(String, Arc<str>)>,
    bar: &indicatif::ProgressBar,
    findings: &mut Vec<Finding>,
    reports: &mut Vec<SetReport>,
    roles_dropped: &mut Vec<String>,
) -> Result<(), String> {
    for set in sets {
        bar.set_message(set.display.clone());
        let roles_before = target.roles()?;
        let mut run = SetRun {
            set,
            target,
            setup,
            findings: Vec::new(),
            bar,
        };
        let report = run.run()?;
        findings.append(&mut run.findings);
        reports.push(report);
        // Roles are cluster-wide: the next directory starts without this one's.
        let dropped = target.drop_roles_since(&roles_before)?;
        if target.roles_before.is_some() {
            roles_dropped.extend(dropped);
        }
    }
    Ok(())
}

/// The server and an admin connection to it (for creating and dropping scratch databases).
struct Target {
    throwaway: Option<server::Throwaway>,
    /// How to reach the server; the database name is replaced per scratch database.
    base: Config,
    admin: Client,
    description: String,
    ready: Option<Duration>,
    major: u32,
    /// Roles that existed before (a named server only).
    roles_before: Option<BTreeSet<String>>,
    statement_timeout: Duration,
    lock_timeout: Duration,
    /// This run's id: its scratch databases are `migproof_<run>_<n>`, and (on a named server)
    /// its advisory lock says it is alive ([`named`]).
    run: u32,
    scratch_count: u32,
    /// The transaction-id windows in which this run's scripts ran: a new role whose
    /// `pg_authid.xmin` is in one was created by this run ([`named`]).
    windows: std::cell::RefCell<Vec<(i64, i64)>>,
    /// The roles last recorded in the scratch database's comment (a named server).
    recorded: std::cell::RefCell<Vec<String>>,
}

/// A scratch database with a working connection and the prepared snapshot query.
struct Scratch {
    client: Client,
    /// The session's backend pid (for the watchdog).
    backend: i32,
    statement: Statement,
    /// The server clock when the database was created: `'now'` timestamps after it are masked.
    since: String,
    name: String,
    _guard: Option<cleanup::Guard>,
}

impl Target {
    fn open(opts: &Options) -> Result<Target, String> {
        match &opts.database_url {
            Some(url) => {
                let base: Config = url.parse().map_err(|_| {
                    "--database-url / MIGPROOF_DATABASE_URL is not a valid PostgreSQL URL or key=value string"
                        .to_string()
                })?;
                let description = named::scrub(&server::describe(&base), url);
                let mut admin = base.connect(NoTls).map_err(|e| {
                    format!(
                        "cannot connect to {description}: {}",
                        named::scrub(&named::reason(&e), url)
                    )
                })?;
                let failed =
                    |e: postgres::Error| named::scrub(&format!("on {description}: {}", named::reason(&e)), url);
                let major = major_version(&mut admin).map_err(failed)?;
                let run = loop {
                    let run = fastrand::u32(..);
                    if named::hold_run_lock(&mut admin, run).map_err(failed)? {
                        break run;
                    }
                };
                for stale in named::stale_scratch(&mut admin).map_err(failed)? {
                    let dropped = server::drop_database(&mut admin, &stale.database);
                    let mut roles = Vec::new();
                    for role in &stale.roles {
                        if admin
                            .batch_execute(&format!("DROP ROLE IF EXISTS {}", server::quote_ident(role)))
                            .is_ok()
                        {
                            roles.push(role.clone());
                        }
                    }
                    match dropped {
                        Ok(()) => eprintln!(
                            "migproof: removed the scratch database `{}` left by a migproof run that is gone (nobody holds \
                             its lock){}",
                            stale.database,
                            if roles.is_empty() {
                                String::new()
                            } else {
                                format!(", and the roles it created: {}", roles.join(", "))
                            }
                        ),
                        Err(e) => eprintln!(
                            "migproof: could not remove the scratch database `{}` left by a migproof run that is gone: {}",
                            stale.database,
                            named::reason(&e)
                        ),
                    }
                }
                // After the sweep (a live run's databases are kept by its lock): one run at a time.
                named::wait_turn(&mut admin, &description).map_err(failed)?;
                let roles = admin
                    .query("SELECT rolname::text FROM pg_roles", &[])
                    .map_err(failed)?
                    .iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect();
                Ok(Target {
                    throwaway: None,
                    base,
                    admin,
                    description,
                    ready: None,
                    major,
                    roles_before: Some(roles),
                    statement_timeout: opts.statement_timeout,
                    lock_timeout: opts.lock_timeout,
                    run,
                    scratch_count: 0,
                    windows: Default::default(),
                    recorded: Default::default(),
                })
            }
            None => {
                let binaries = server::find_binaries(opts.pg_bin.as_deref())?;
                let throwaway = server::Throwaway::start_with(
                    binaries,
                    server::Limits {
                        cluster_size: opts.max_cluster_size,
                    },
                )?;
                let base = throwaway.config("template1");
                let admin = base
                    .connect(NoTls)
                    .map_err(|e| format!("cannot connect to the throwaway server: {}", named::reason(&e)))?;
                Ok(Target {
                    description: format!(
                        "throwaway PostgreSQL {}{}",
                        throwaway.binaries.version,
                        match (&throwaway.run_as, throwaway.isolation) {
                            (Some(u), sandbox::Isolation::Namespaces) if u.ephemeral => format!(
                                " (as a user id of its own, in its own namespaces; data on {})",
                                throwaway.storage
                            ),
                            (Some(u), _) => format!(" (running as `{}`)", u.name),
                            (None, _) => String::new(),
                        }
                    ),
                    ready: Some(throwaway.ready_in),
                    major: throwaway.binaries.major,
                    base,
                    admin,
                    throwaway: Some(throwaway),
                    roles_before: None,
                    statement_timeout: opts.statement_timeout,
                    lock_timeout: opts.lock_timeout,
                    run: fastrand::u32(..),
                    scratch_count: 0,
                    windows: Default::default(),
                    recorded: Default::default(),
                })
            }
        }
    }

    /// Creates `migproof_<random>` and connects to it.
    fn scratch(&mut self) -> Result<Scratch, String> {
        self.scratch_count += 1;
        let name = named::scratch_name(self.run, self.scratch_count);
        self.admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0",
                server::quote_ident(&name)
            ))
            .map_err(|e| {
                format!(
                    "cannot create the scratch database on {}: {}",
                    self.description,
                    named::reason(&e)
                )
            })?;
        self.recorded.borrow_mut().clear();
        let guard = self.throwaway.is_none().then(|| {
            cleanup::register(cleanup::Task::Database {
                config: Box::new(self.base.clone()),
                name: name.clone(),
            })
        });
        let mut config = self.base.clone();
        config.dbname(&name);
        let mut client = config
            .connect(NoTls)
            .map_err(|e| format!("cannot connect to the scratch database: {}", named::reason(&e)))?;
        client
            .batch_execute(&format!(
                "SET statement_timeout = {}; SET lock_timeout = {}; SET TimeZone = 'UTC'",
                self.statement_timeout.as_millis(),
                self.lock_timeout.as_millis()
            ))
            .map_err(|e| named::reason(&e))?;
        let statement = client
            .prepare(snapshot::QUERY)
            .map_err(|e| format!("the snapshot query failed to prepare: {}", named::reason(&e)))?;
        let since = Snapshot::clock(&mut client).map_err(|e| e.to_string())?;
        let backend: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .map_err(|e| e.to_string())?
            .get(0);
        Ok(Scratch {
            client,
            backend,
            statement,
            since,
            name,
            _guard: guard,
        })
    }

    /// Drops a scratch database (the throwaway server's are dropped to keep it small).
    fn discard(&mut self, scratch: Scratch) {
        let Scratch {
            client, name, _guard, ..
        } = scratch;
        drop(client);
        if _guard.is_none() {
            let _ = server::drop_database(&mut self.admin, &name);
        }
    }

    /// When the throwaway server has exited (crashed or killed): why, with the end of its log.
    /// The exit is only looked at (not reaped): the cleanup still stops and reaps it.
    fn server_gone(&self) -> Option<String> {
        let server = self.throwaway.as_ref()?;
        // SAFETY: waitid with WNOWAIT only inspects our own child; `info` is ours to fill.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                server.pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        // SAFETY: si_pid/si_status are valid for SIGCHLD information, which waitid filled.
        let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
        let how = if r == 0 && pid == server.pid {
            match info.si_code {
                libc::CLD_KILLED | libc::CLD_DUMPED => format!("killed by signal {status}"),
                _ => format!("exited with status {status}"),
            }
        } else if r != 0 && !server::process_running(server.pid) {
            "exited".to_string()
        } else {
            return None;
        };
        let log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
        let tail: Vec<&str> = log
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Some(format!(
            "the throwaway PostgreSQL {} server (postmaster pid {}) stopped unexpectedly ({how}); the round-trip \
             cannot go on. The last lines of its log:\n{}",
            server.binaries.version,
            server.postmaster,
            tail.join("\n")
        ))
    }

    /// The connection broke while `doing`: the throwaway server died, or the named server went
    /// away. No finding can be trusted after this, so the run stops (exit code 2).
    fn lost(&self, doing: &str, error: &str) -> String {
        // A backend sees its postmaster die a moment before the kernel reports the exit.
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut gone = self.server_gone();
        while gone.is_none() && self.throwaway.is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
            gone = self.server_gone();
        }
        match gone {
            Some(why) => format!("while {doing}, {why}"),
            None => format!(
                "lost the connection to {} while {doing}: {error}; the round-trip cannot go on",
                self.description
            ),
        }
    }

    /// Applies `script` under the time limits. A migration may turn the timeouts off (`SET
    /// statement_timeout = 0` heads every pg_dump output), so they are set again before every
    /// script, and a [`watchdog`] cancels a script that runs longer than the statement timeout
    /// times its statements plus one, then terminates its session, then stops the server: no
    /// migration can make the round-trip hang.
    fn apply(
        &self,
        client: &mut Client,
        backend: i32,
        text: &str,
        script: &Script,
    ) -> Result<Duration, apply::Rejection> {
        let _ = client.batch_execute(&format!(
            "SET statement_timeout = {}; SET lock_timeout = {}",
            self.statement_timeout.as_millis(),
            self.lock_timeout.as_millis()
        ));
        if self.statement_timeout.is_zero() {
            return apply::apply(client, text, script);
        }
        let statements = match &script.sql {
            Some(sql) => sql.statements.len(),
            None => {
                let span = script.span.start.min(text.len())..script.span.end.min(text.len());
                crate::sql::lexer::scan(text, span).statements.len()
            }
        };
        let limit = self.statement_timeout * (statements as u32 + 1);
        let watch = self.watch(client, backend, limit);
        let lo = named::txid(client).ok();
        let (result, fired) = watchdog::run(&watch, || apply::apply(client, text, script));
        if let Some(lo) = lo {
            // The script may have left a transaction open or failed: the window ends now, or,
            // when the session cannot tell, at the highest id the server has handed out.
            let hi = named::txid(client)
                .or_else(|_| self.base.clone().connect(NoTls).and_then(|mut c| named::txid(&mut c)))
                .unwrap_or(i64::MAX);
            self.windows.borrow_mut().push((lo, hi));
            self.record_roles(client);
        }
        result.map_err(|mut r| {
            if fired >= watchdog::Fired::Terminated {
                r.code = "57P01".to_string();
                r.message = format!(
                    "terminated by migproof: the script ran past its time budget ({} s: --statement-timeout × \
                     (statements + 1)) and went on after being cancelled; its session was ended from outside",
                    limit.as_secs_f64()
                );
                r.detail = None;
                r.hint = None;
            } else if fired == watchdog::Fired::Canceled && r.code == "57014" && !r.message.contains("timeout") {
                r.message = format!(
                    "canceled by migproof: the script ran longer than {} s in all (--statement-timeout × (statements + 1))",
                    limit.as_secs_f64()
                );
            }
            r
        })
    }

    /// On a named server: writes the roles this run has created so far into the scratch
    /// database's comment, so the next run can drop them if this one is killed.
    fn record_roles(&self, client: &mut Client) {
        let Some(before) = &self.roles_before else { return };
        let windows = self.windows.borrow().clone();
        let Ok(rows) = client.query("SELECT rolname::text, xmin::text::bigint FROM pg_authid", &[]) else {
            return;
        };
        let created: Vec<String> = rows
            .iter()
            .filter(|r| {
                let name: String = r.get(0);
                let xmin = r.get::<_, i64>(1) as u32;
                !before.contains(&name) && windows.iter().any(|w| named::in_window(xmin, *w))
            })
            .map(|r| r.get(0))
            .collect();
        if created != *self.recorded.borrow() {
            let comment = named::roles_comment(&created);
            let sql = format!(
                "DO $migproof$ BEGIN EXECUTE format('COMMENT ON DATABASE %I IS %L', current_database(), {}); END $migproof$",
                quote_literal(&comment)
            );
            if client.batch_execute(&sql).is_ok() {
                *self.recorded.borrow_mut() = created;
            }
        }
    }

    /// The watchdog for a step of `client` (whose backend is `backend`) with `budget`.
    fn watch(&self, client: &Client, backend: i32, budget: Duration) -> watchdog::Watch {
        watchdog::Watch {
            budget,
            grace: Duration::from_secs(5).max(budget / 4),
            cancel: client.cancel_token(),
            backend,
            admin: self.base.clone(),
            server: self.throwaway.as_ref().map(|t| t.pid),
        }
    }

    /// The roles that exist now.
    fn roles(&mut self) -> Result<BTreeSet<String>, String> {
        Ok(self
            .admin
            .query("SELECT rolname FROM pg_roles", &[])
            .map_err(|e| e.to_string())?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    /// Drops the roles that did not exist in `before` and that this run's scripts created (their
    /// `pg_authid` row was written inside one of the run's windows; see [`named`]): roles are
    /// cluster-wide and survive `DROP DATABASE`. Used before rebuilding a directory's state (so
    /// its `CREATE ROLE` runs again) and, on a named server, at the end.
    fn drop_roles_since(&mut self, before: &BTreeSet<String>) -> Result<Vec<String>, String> {
        let mut dropped = Vec::new();
        for role in self.created_roles(before)? {
            match self
                .admin
                .batch_execute(&format!("DROP ROLE {}", server::quote_ident(&role)))
            {
                Ok(()) => dropped.push(role),
                Err(e) => eprintln!(
                    "migproof: could not drop role `{role}` created by the migrations: {}",
                    named::reason(&e)
                ),
            }
        }
        Ok(dropped)
    }

    /// The roles not in `before` that this run's scripts created.
    fn created_roles(&mut self, before: &BTreeSet<String>) -> Result<Vec<String>, String> {
        let windows = self.windows.borrow().clone();
        match named::roles(&mut self.admin) {
            Ok(now) => Ok(now
                .into_iter()
                .filter(|(r, xmin)| !before.contains(r) && windows.iter().any(|w| named::in_window(*xmin, *w)))
                .map(|(r, _)| r)
                .collect()),
            // `pg_authid` is for superusers: without it, every role new since `before`.
            Err(_) => Ok(self.roles()?.into_iter().filter(|r| !before.contains(r)).collect()),
        }
    }

    /// On a named server: drops the roles the migrations created, and says so.
    fn drop_created_roles(&mut self) -> Result<Vec<String>, String> {
        let Some(before) = self.roles_before.clone() else {
            return Ok(Vec::new());
        };
        self.drop_roles_since(&before)
    }
}

fn major_version(client: &mut Client) -> Result<u32, postgres::Error> {
    let v: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])?
        .get(0);
    Ok((v / 10000) as u32)
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// One directory's round-trip.
struct SetRun<'a> {
    set: &'a MigrationSet,
    target: &'a mut Target,
    setup: Option<&'a (String, Arc<str>)>,
    findings: Vec<Finding>,
    bar: &'a indicatif::ProgressBar,
}

impl SetRun<'_> {
    fn run(&mut self) -> Result<SetReport, String> {
        let started = Instant::now();
        let set = self.set;
        let mut reports: Vec<MigrationReport> = set
            .migrations
            .iter()
            .map(|m| MigrationReport {
                version: m.version.text.clone(),
                name: m.name.clone(),
                status: "not-run",
                up_ms: None,
                down_ms: None,
                reapply_ms: None,
                snapshot_ms: 0.0,
            })
            .collect();
        let roles_at_start = self.target.roles()?;
        let mut db = self.target.scratch()?;
        let mut status = SetStatus::Verified;
        if let Some(step) = self.run_setup(&mut db) {
            self.target.discard(db);
            return Ok(self.finish(step, reports, started));
        }
        let mut snap_time = Duration::ZERO;
        let mut before = self.snapshot(&mut db, &mut snap_time)?;
        // The runner's order and choice of files (dialects, a parents graph): see [`plan`].
        let (steps, skipped) = plan::plan(set);
        for &i in &skipped {
            reports[i].status = "other-dialect";
            self.bar.inc(1);
        }
        let mut applied: Vec<usize> = Vec::new();
        for (k, step) in steps.iter().enumerate() {
            let (i, m) = (step.index, &step.migration);
            self.bar.inc(1);
            snap_time = Duration::ZERO;
            let Some(up) = &m.up else {
                reports[i].status = "no-up";
                continue;
            };
            // An unreadable file (reported offline as MC010) cannot be applied: later
            // migrations would run on a schema no one intended, so the directory stops here.
            if m.files().iter().any(|&f| set.file(f).text.is_err()) {
                reports[i].status = "unreadable";
                status = SetStatus::Stopped;
                break;
            }
            let text = set.file(up.file).text();
            let up_result = self.target.apply(&mut db.client, db.backend, text, up);
            match up_result {
                Err(rejection) => {
                    self.connection_alive(&db, &rejection, up, "up")?;
                    let gap = steps[..k]
                        .iter()
                        .find(|s| s.migration.up.is_none())
                        .map(|s| set.file(s.migration.primary_file()).file_name().to_string())
                        .or_else(|| requirements::code_migration_before(&set.path, &m.version.text));
                    let env = self.environment(&rejection).or_else(|| {
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
                            reports[i].status = "environment";
                            status = SetStatus::NotVerified;
                            Finding::new(&checks::roundtrip_environment::RULE, self.at(up, &rejection), message)
                                .label("the scratch server cannot run this")
                                .help(format!(
                                    "{help}\nthis directory is NOT VERIFIED: migrations from `{file}` on were not round-tripped"
                                ))
                        }
                        None => {
                            reports[i].status = "up-failed";
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
            let after_up = self.snapshot(&mut db, &mut snap_time)?;
            if m.down.is_none() {
                reports[i].status = "no-down";
                reports[i].snapshot_ms = ms(snap_time);
                before = after_up;
                continue;
            }
            let (step_status, rebuild) =
                self.round_trip(&mut db, m, &before, &after_up, &mut reports[i], &mut snap_time)?;
            reports[i].status = step_status;
            reports[i].snapshot_ms = ms(snap_time);
            if !matches!(step_status, "ok" | "column-order") && status == SetStatus::Verified {
                status = SetStatus::Failed;
            }
            if rebuild {
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
        self.target.discard(db);
        Ok(self.finish(status, reports, started))
    }

    fn finish(&self, status: SetStatus, migrations: Vec<MigrationReport>, started: Instant) -> SetReport {
        SetReport {
            path: self.set.display.clone(),
            status,
            migrations,
            elapsed_ms: ms(started.elapsed()),
        }
    }

    /// Down, compare, up again, compare. Returns the migration's status and whether the state
    /// must be rebuilt before the next migration.
    fn round_trip(
        &mut self,
        db: &mut Scratch,
        m: &Migration,
        before: &Snapshot,
        after_up: &Snapshot,
        report: &mut MigrationReport,
        snap_time: &mut Duration,
    ) -> Result<(&'static str, bool), String> {
        let set = self.set;
        let up = m.up.as_ref().expect("checked by the caller");
        let down = m.down.as_ref().expect("checked by the caller");
        let up_name = set.file(up.file).file_name().to_string();
        let down_name = set.file(down.file).file_name().to_string();
        match self
            .target
            .apply(&mut db.client, db.backend, set.file(down.file).text(), down)
        {
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
                    "down-failed",
                    diff::diff(after_up, &now).iter().any(|c| !c.is_order_only()),
                ));
            }
            Ok(took) => report.down_ms = Some(ms(took)),
        }
        let after_down = self.snapshot(db, snap_time)?;
        let changes = diff::diff(before, &after_down);
        let mut status = "ok";
        let (order, errors): (Vec<Change>, Vec<Change>) = changes.into_iter().partition(Change::is_order_only);
        if !errors.is_empty() {
            status = "not-reversing";
            let list: Vec<String> = errors.iter().map(|c| c.describe(Context::Down)).collect();
            let mut help = vec![format!(
                "make `{down_name}` undo every object `{up_name}` creates or changes"
            )];
            help.extend(errors.iter().filter_map(Change::detail));
            self.findings.push(
                Finding::new(
                    &checks::down_not_reversing::RULE,
                    Location::in_file(set, down.file, first_code(set, down)),
                    format!(
                        "after this down the schema differs from before `{up_name}`: {}",
                        list.join("; ")
                    ),
                )
                .label("does not undo its up")
                .help(help.join("\n")),
            );
        }
        if !order.is_empty() {
            if status == "ok" {
                // Only a warning: the round-trip held, with columns in another order.
                status = "column-order";
            }
            let list: Vec<String> = order.iter().map(|c| c.describe(Context::Down)).collect();
            self.findings.push(
                Finding::new(
                    &checks::column_order_differs::RULE,
                    Location::in_file(set, down.file, first_code(set, down)),
                    format!("after this down, {}", list.join("; ")),
                )
                .label("restores columns in another order")
                .help(
                    "harmless unless something relies on column order (`SELECT *`, `INSERT` without columns, `COPY`)",
                ),
            );
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
                return Ok(("reapply-failed", true));
            }
            Ok(took) => report.reapply_ms = Some(ms(took)),
        }
        let after_reapply = self.snapshot(db, snap_time)?;
        let again: Vec<Change> = diff::diff(after_up, &after_reapply)
            .into_iter()
            .filter(|c| !c.is_order_only())
            .collect();
        if !again.is_empty() {
            let list: Vec<String> = again.iter().map(|c| c.describe(Context::Reapply)).collect();
            let mut help = vec![format!("make `{down_name}` restore the schema exactly")];
            help.extend(again.iter().filter_map(Change::detail));
            self.findings.push(
                Finding::new(
                    &checks::reapply_differs::RULE,
                    Location::in_file(set, up.file, first_code(set, up)),
                    format!(
                        "applied again after `{down_name}`, this up gives another schema: {}",
                        list.join("; ")
                    ),
                )
                .label("second application differs from the first")
                .help(help.join("\n")),
            );
            return Ok(("reapply-differs", true));
        }
        Ok((status, false))
    }

    /// Reads the schema, under timeouts of its own (set here: a migration may have turned the
    /// session's off, or hold a catalog locked from another session) and the watchdog.
    fn snapshot(&self, db: &mut Scratch, time: &mut Duration) -> Result<Snapshot, String> {
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
        *time += started.elapsed();
        Ok(s)
    }

    /// Runs the setup file; `Some` when it failed (the directory is then not verified).
    fn run_setup(&mut self, db: &mut Scratch) -> Option<SetStatus> {
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
    fn connection_alive(&self, db: &Scratch, r: &Rejection, script: &Script, step: &str) -> Result<(), String> {
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

    fn at(&self, script: &Script, r: &Rejection) -> Location {
        Location::in_file(self.set, script.file, r.span.clone())
    }

    /// A finding for a server rejection of `script`.
    fn rejected(&self, rule: &'static Rule, script: &Script, r: &Rejection, what: &str) -> Finding {
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

    /// Whether a rejection means the server lacks something (MC306): message and help.
    fn environment(&self, r: &Rejection) -> Option<(String, String)> {
        static EXTENSION: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#"extension control file "[^"]*/([^/"]+)\.control"|extension "([^"]+)" is not available|extension "([^"]+)" has no installation script"#).unwrap()
        });
        static ROLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"^role "([^"]+)" does not exist"#).unwrap());
        static LANGUAGE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"^language "([^"]+)" does not exist"#).unwrap());
        let major = self.target.major;
        let elsewhere = "or pass --database-url (or MIGPROOF_DATABASE_URL) to run on a server that has it";
        if let Some(c) = EXTENSION.captures(&r.message) {
            let ext = c.get(1).or(c.get(2)).or(c.get(3)).map_or("", |m| m.as_str());
            let install = match debian_package(ext, major) {
                Some(pkg) => {
                    format!(
                        "install it: Debian/Ubuntu package `{pkg}` (`apt-get install {pkg}`; from the PGDG apt \
                         repository where the distribution lacks it), {elsewhere}"
                    )
                }
                None => format!("install the package that provides it for PostgreSQL {major}, {elsewhere}"),
            };
            return Some((
                format!("extension `{ext}` is not installed on the round-trip server (PostgreSQL {major})"),
                install,
            ));
        }
        if let Some(c) = ROLE.captures(&r.message) {
            return Some((
                format!("role `{}` does not exist on the round-trip server", &c[1]),
                format!(
                    "the platform provides it: create it in a --setup FILE (`CREATE ROLE {};`), {elsewhere}",
                    &c[1]
                ),
            ));
        }
        if let Some(c) = LANGUAGE.captures(&r.message) {
            let lang = &c[1];
            let install = match debian_package(lang, major) {
                Some(pkg) => format!("install `{pkg}`, {elsewhere}"),
                None => format!("install the language for PostgreSQL {major}, {elsewhere}"),
            };
            return Some((
                format!("language `{lang}` is not installed on the round-trip server"),
                install,
            ));
        }
        if r.code == "58P01" {
            return Some((
                format!("the round-trip server lacks a file the migration needs: {}", r.message),
                format!("install the package that provides it, {elsewhere}"),
            ));
        }
        None
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
fn first_code(set: &MigrationSet, script: &Script) -> std::ops::Range<usize> {
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

/// The Debian/Ubuntu (PGDG) package that ships an extension or language, where it is known.
pub fn debian_package(name: &str, major: u32) -> Option<String> {
    let suffix = match name {
        "vector" => "pgvector",
        "postgis" | "postgis_topology" | "postgis_raster" | "postgis_tiger_geocoder" | "address_standardizer" => {
            "postgis-3"
        }
        "pg_cron" => "cron",
        "pg_partman" => "partman",
        "pgaudit" => "pgaudit",
        "pg_repack" => "repack",
        "hypopg" => "hypopg",
        "pgtap" => "pgtap",
        "pgrouting" => "pgrouting",
        "orafce" => "orafce",
        "ip4r" => "ip4r",
        "pg_hint_plan" => "pg-hint-plan",
        "timescaledb" => return Some(format!("timescaledb-2-postgresql-{major}")),
        "plpython3u" => return Some(format!("postgresql-plpython3-{major}")),
        "plperl" | "plperlu" => return Some(format!("postgresql-plperl-{major}")),
        "pltcl" | "pltclu" => return Some(format!("postgresql-pltcl-{major}")),
        _ => return None,
    };
    Some(format!("postgresql-{major}-{suffix}"))
}
