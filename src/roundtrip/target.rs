//! The server the round-trip runs on (a throwaway one it starts, or one the user names) and
//! the scratch databases on it: connecting, time limits on every script, roles.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use postgres::{Client, Config, NoTls, Statement};

use super::snapshot::{self, Snapshot};
use super::{Options, admin, apply, cleanup, server};
use crate::model::{MigrationSet, Script};

/// The server and an admin connection to it (for creating and dropping scratch databases).
pub(super) struct Target {
    pub(super) throwaway: Option<server::Throwaway>,
    /// How to reach the server; the database name is replaced per scratch database.
    pub(super) base: Config,
    pub(super) admin: Client,
    pub(super) description: String,
    pub(super) ready: Option<Duration>,
    pub(super) major: u32,
    /// Roles that existed before (a named server only).
    pub(super) roles_before: Option<BTreeSet<String>>,
    pub(super) statement_timeout: Duration,
    pub(super) lock_timeout: Duration,
}

/// A scratch database with a working connection and the prepared snapshot query.
pub(super) struct Scratch {
    pub(super) client: Client,
    pub(super) statement: Statement,
    /// The server clock when the database was created: `'now'` timestamps after it are masked.
    pub(super) since: String,
    pub(super) name: String,
    pub(super) _guard: Option<cleanup::Guard>,
}

impl Target {
    pub(super) fn open(opts: &Options) -> Result<Target, String> {
        match &opts.database_url {
            Some(url) => {
                let base: Config = url.parse().map_err(|_| {
                    "--database-url / MIGPROOF_DATABASE_URL is not a valid PostgreSQL URL or key=value string"
                        .to_string()
                })?;
                let description = admin::describe(&base);
                let mut admin = base
                    .connect(NoTls)
                    .map_err(|e| format!("cannot connect to {description}: {}", scrub(&e.to_string(), url)))?;
                let major = major_version(&mut admin).map_err(|e| e.to_string())?;
                let roles = admin
                    .query("SELECT rolname FROM pg_roles", &[])
                    .map_err(|e| e.to_string())?
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
                })
            }
            None => {
                let binaries = server::find_binaries(opts.pg_bin.as_deref())?;
                let throwaway = server::Throwaway::start(binaries)?;
                let base = throwaway.config("template1");
                let admin = base
                    .connect(NoTls)
                    .map_err(|e| format!("cannot connect to the throwaway server: {e}"))?;
                Ok(Target {
                    description: format!(
                        "throwaway PostgreSQL {}{}",
                        throwaway.binaries.version,
                        throwaway
                            .run_as
                            .as_ref()
                            .map_or(String::new(), |u| format!(" (running as `{}`)", u.name))
                    ),
                    ready: Some(throwaway.ready_in),
                    major: throwaway.binaries.major,
                    base,
                    admin,
                    throwaway: Some(throwaway),
                    roles_before: None,
                    statement_timeout: opts.statement_timeout,
                    lock_timeout: opts.lock_timeout,
                })
            }
        }
    }

    /// Creates `migproof_<random>` and connects to it.
    pub(super) fn scratch(&mut self) -> Result<Scratch, String> {
        let name = format!("migproof_{:016x}", fastrand::u64(..));
        self.admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0",
                admin::quote_ident(&name)
            ))
            .map_err(|e| format!("cannot create the scratch database on {}: {e}", self.description))?;
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
            .map_err(|e| format!("cannot connect to the scratch database: {e}"))?;
        client
            .batch_execute(&format!(
                "SET statement_timeout = {}; SET lock_timeout = {}; SET TimeZone = 'UTC'",
                self.statement_timeout.as_millis(),
                self.lock_timeout.as_millis()
            ))
            .map_err(|e| e.to_string())?;
        let statement = client
            .prepare(snapshot::QUERY)
            .map_err(|e| format!("the snapshot query failed to prepare: {e}"))?;
        let since = Snapshot::clock(&mut client).map_err(|e| e.to_string())?;
        Ok(Scratch {
            client,
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
        let log = std::fs::read_to_string(server.socket_dir.join("server.log")).unwrap_or_default();
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
            server.pid,
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
    /// script, and a watchdog cancels a script that runs longer than the statement timeout
    /// times its statements plus one: no migration can make the round-trip hang.
    pub(super) fn apply(&self, client: &mut Client, text: &str, script: &Script) -> Result<Duration, apply::Rejection> {
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
        let token = client.cancel_token();
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let watchdog = std::thread::spawn(move || {
            let mut fired = false;
            // Again after each further limit: finding the failing statement replays the script.
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
                fired = true;
                let _ = token.cancel_query(NoTls);
            }
            fired
        });
        let result = apply::apply(client, text, script);
        drop(done);
        let fired = watchdog.join().unwrap_or(false);
        result.map_err(|mut r| {
            if fired && r.code == "57014" && !r.message.contains("timeout") {
                r.message = format!(
                    "canceled by migproof: the script ran longer than {} s in all (--statement-timeout × (statements + 1))",
                    limit.as_secs_f64()
                );
            }
            r
        })
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

    /// Drops the roles that did not exist in `before` and that the migrations (or the setup
    /// file) name: roles are cluster-wide and survive `DROP DATABASE`. Used before rebuilding a
    /// directory's state (so its `CREATE ROLE` runs again) and, on a named server, at the end.
    pub(super) fn drop_roles_since(
        &mut self,
        before: &BTreeSet<String>,
        sets: &[&MigrationSet],
        setup: Option<&str>,
    ) -> Result<Vec<String>, String> {
        let now = self.roles()?;
        let texts: Vec<String> = sets
            .iter()
            .flat_map(|s| s.files.iter().map(|f| f.text().to_lowercase()))
            .chain(setup.map(str::to_lowercase))
            .collect();
        let mut dropped = Vec::new();
        for role in now.into_iter().filter(|r| !before.contains(r)) {
            if texts.iter().any(|t| t.contains(&role.to_lowercase())) {
                match self
                    .admin
                    .batch_execute(&format!("DROP ROLE {}", admin::quote_ident(&role)))
                {
                    Ok(()) => dropped.push(role),
                    Err(e) => eprintln!("migproof: could not drop role `{role}` created by the migrations: {e}"),
                }
            }
        }
        Ok(dropped)
    }

    /// On a named server: drops the roles the migrations created, and says so.
    pub(super) fn drop_created_roles(
        &mut self,
        sets: &[MigrationSet],
        setup: Option<&str>,
    ) -> Result<Vec<String>, String> {
        let Some(before) = self.roles_before.clone() else {
            return Ok(Vec::new());
        };
        let sets: Vec<&MigrationSet> = sets.iter().collect();
        self.drop_roles_since(&before, &sets, setup)
    }
}

pub(super) fn major_version(client: &mut Client) -> Result<u32, postgres::Error> {
    let v: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])?
        .get(0);
    Ok((v / 10000) as u32)
}

/// Removes a password that a connection error might echo.
pub(super) fn scrub(message: &str, url: &str) -> String {
    let mut out = message.to_string();
    if let Ok(c) = url.parse::<Config>()
        && let Some(pw) = c.get_password()
    {
        let pw = String::from_utf8_lossy(pw);
        if !pw.is_empty() {
            out = out.replace(pw.as_ref(), "***");
        }
    }
    out
}
