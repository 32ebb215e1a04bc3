//! The server the round-trip runs on (a throwaway one it starts, or one the user names) and
//! the scratch databases on it: connecting, time limits on every script (the [`watchdog`]),
//! the roles this run created ([`named`]).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use postgres::{Client, Config, NoTls, Statement};

use super::snapshot::{self, Snapshot};
use super::{Options, admin, apply, cleanup, named, sandbox, server, watchdog};
use crate::model::Script;

/// The server and an admin connection to it (for creating and dropping scratch databases).
pub(super) struct Target {
    pub(super) throwaway: Option<server::Throwaway>,
    /// How to reach the server; the database name is replaced per scratch database.
    pub(super) base: Config,
    pub(super) admin: Client,
    pub(super) description: String,
    pub(super) ready: Option<Duration>,
    pub(super) major: u32,
    /// `18.4`
    pub(super) version: String,
    /// Roles that existed before (a named server only).
    pub(super) roles_before: Option<BTreeSet<String>>,
    pub(super) statement_timeout: Duration,
    pub(super) lock_timeout: Duration,
    /// Measure locks, rewrites, scans and invalid indexes after each statement of the first up
    /// and of the down ([`super::probe`]).
    pub(super) measure: bool,
    /// This run's id: its scratch databases are `migproof_<run>_<n>`, and (on a named server)
    /// its advisory lock says it is alive ([`named`]).
    pub(super) run: u32,
    pub(super) scratch_count: u32,
    /// The transaction-id windows in which this run's scripts ran: a new role whose
    /// `pg_authid.xmin` is in one was created by this run ([`named`]).
    pub(super) windows: std::cell::RefCell<Vec<(i64, i64)>>,
    /// The roles last recorded in the scratch database's comment (a named server).
    pub(super) recorded: std::cell::RefCell<Vec<String>>,
}

/// A scratch database with a working connection and the prepared snapshot query.
pub(super) struct Scratch {
    pub(super) client: Client,
    /// The session's backend pid (for the watchdog).
    pub(super) backend: i32,
    pub(super) statement: Statement,
    /// The server clock when the database was created: `'now'` timestamps after it are masked.
    pub(super) since: String,
    pub(super) name: String,
    pub(super) _guard: Option<cleanup::Guard>,
}

impl Target {
    /// Connects to the server the user names, else starts a throwaway one from `binaries` (or
    /// from those [`server::find_binaries`] finds).
    pub(super) fn open(opts: &Options, binaries: Option<server::Binaries>) -> Result<Target, String> {
        match &opts.database_url {
            Some(url) => {
                let base: Config = url.parse().map_err(|_| {
                    "--database-url / MIGPROOF_DATABASE_URL is not a valid PostgreSQL URL or key=value string"
                        .to_string()
                })?;
                let description = named::scrub(&admin::describe(&base), url);
                let mut admin = base.connect(NoTls).map_err(|e| {
                    format!(
                        "cannot connect to {description}: {}",
                        named::scrub(&named::reason(&e), url)
                    )
                })?;
                let failed =
                    |e: postgres::Error| named::scrub(&format!("on {description}: {}", named::reason(&e)), url);
                let major = major_version(&mut admin).map_err(failed)?;
                let version: String = admin
                    .query_one("SELECT split_part(current_setting('server_version'), ' ', 1)", &[])
                    .map_err(failed)?
                    .get(0);
                let run = loop {
                    let run = fastrand::u32(..);
                    if named::hold_run_lock(&mut admin, run).map_err(failed)? {
                        break run;
                    }
                };
                for stale in named::stale_scratch(&mut admin).map_err(failed)? {
                    let dropped = admin::drop_database(&mut admin, &stale.database);
                    let mut roles = Vec::new();
                    for role in &stale.roles {
                        if admin
                            .batch_execute(&format!("DROP ROLE IF EXISTS {}", admin::quote_ident(role)))
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
                    version,
                    roles_before: Some(roles),
                    statement_timeout: opts.statement_timeout,
                    lock_timeout: opts.lock_timeout,
                    measure: opts.measure,
                    run,
                    scratch_count: 0,
                    windows: Default::default(),
                    recorded: Default::default(),
                })
            }
            None => {
                let binaries = match binaries {
                    Some(b) => b,
                    None => server::find_binaries(opts.pg_bin.as_deref())?,
                };
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
                    version: throwaway.binaries.version.clone(),
                    base,
                    admin,
                    throwaway: Some(throwaway),
                    roles_before: None,
                    statement_timeout: opts.statement_timeout,
                    lock_timeout: opts.lock_timeout,
                    measure: opts.measure,
                    run: fastrand::u32(..),
                    scratch_count: 0,
                    windows: Default::default(),
                    recorded: Default::default(),
                })
            }
        }
    }

    /// Creates `migproof_<random>` and connects to it.
    pub(super) fn scratch(&mut self) -> Result<Scratch, String> {
        self.scratch_count += 1;
        let name = named::scratch_name(self.run, self.scratch_count);
        self.admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0",
                admin::quote_ident(&name)
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
        self.connect_scratch(name, guard)
    }

    /// Connects to the scratch database `name` (session limits, the prepared snapshot query).
    pub(super) fn connect_scratch(&mut self, name: String, guard: Option<cleanup::Guard>) -> Result<Scratch, String> {
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
    pub(super) fn discard(&mut self, scratch: Scratch) {
        let Scratch {
            client, name, _guard, ..
        } = scratch;
        drop(client);
        if _guard.is_none() {
            let _ = admin::drop_database(&mut self.admin, &name);
        }
    }

    /// When the throwaway server has exited (crashed or killed): why, with the end of its log.
    /// The exit is only looked at (not reaped): the cleanup still stops and reaps it.
    pub(super) fn server_gone(&self) -> Option<String> {
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
    pub(super) fn lost(&self, doing: &str, error: &str) -> String {
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
    pub(super) fn apply(
        &self,
        client: &mut Client,
        backend: i32,
        text: &str,
        script: &Script,
    ) -> Result<Duration, apply::Rejection> {
        self.apply_with(client, backend, text, script, None)
    }

    /// [`Target::apply`], measuring each statement into `probe` when there is one (under the
    /// same limits and watchdog: the measurement's catalog reads take milliseconds).
    pub(super) fn apply_with(
        &self,
        client: &mut Client,
        backend: i32,
        text: &str,
        script: &Script,
        mut probe: Option<&mut super::probe::Probe>,
    ) -> Result<Duration, apply::Rejection> {
        let mut send = |client: &mut Client| match probe.as_deref_mut() {
            Some(p) => apply::apply_probed(client, text, script, p),
            None => apply::apply(client, text, script),
        };
        let _ = client.batch_execute(&format!(
            "SET statement_timeout = {}; SET lock_timeout = {}",
            self.statement_timeout.as_millis(),
            self.lock_timeout.as_millis()
        ));
        if self.statement_timeout.is_zero() {
            return send(client);
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
        let (result, fired) = watchdog::run(&watch, || send(client));
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
    pub(super) fn record_roles(&self, client: &mut Client) {
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
    pub(super) fn watch(&self, client: &Client, backend: i32, budget: Duration) -> watchdog::Watch {
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
    pub(super) fn roles(&mut self) -> Result<BTreeSet<String>, String> {
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
    pub(super) fn drop_roles_since(&mut self, before: &BTreeSet<String>) -> Result<Vec<String>, String> {
        let mut dropped = Vec::new();
        for role in self.created_roles(before)? {
            match self
                .admin
                .batch_execute(&format!("DROP ROLE {}", admin::quote_ident(&role)))
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
    pub(super) fn created_roles(&mut self, before: &BTreeSet<String>) -> Result<Vec<String>, String> {
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
    pub(super) fn drop_created_roles(&mut self) -> Result<Vec<String>, String> {
        let Some(before) = self.roles_before.clone() else {
            return Ok(Vec::new());
        };
        self.drop_roles_since(&before)
    }
}

pub(super) fn major_version(client: &mut Client) -> Result<u32, postgres::Error> {
    let v: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])?
        .get(0);
    Ok((v / 10000) as u32)
}

pub(super) fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
