//! A hard wall-clock budget for every step of the round-trip (a script, a snapshot), enforced
//! from outside the session, so that no SQL can disarm it.
//!
//! A migration can turn `statement_timeout` off, and a PL/pgSQL loop can catch
//! `query_canceled` and go on: cancelling is only the first step. At the budget the watchdog
//! cancels the statement (twice, a budget apart); if the step still runs a grace period later,
//! it terminates the session's backend from a second connection (`pg_terminate_backend`, which
//! no SQL can catch); if even that does not end it (the backend does not answer, or a new
//! connection cannot be made because a catalog is locked), it stops the throwaway server
//! (SIGKILL: the server's whole process tree goes), or, on a named server, ends migproof after
//! its cleanup.

use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

use postgres::{CancelToken, Config, NoTls};

/// How far the watchdog had to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fired {
    /// The step ended in time.
    No,
    /// The statement was cancelled.
    Canceled,
    /// The backend was terminated from a second connection.
    Terminated,
    /// The throwaway server was stopped.
    Stopped,
}

/// What the watchdog needs to stop a step.
#[derive(Clone)]
pub struct Watch {
    /// Cancel after this long (and again after as long once more).
    pub budget: Duration,
    /// Then terminate, and then stop the server, each this much later.
    pub grace: Duration,
    pub cancel: CancelToken,
    /// The session's backend pid.
    pub backend: i32,
    /// A second connection's settings (an administrative database, not the scratch one,
    /// whose catalogs the migration may hold locked).
    pub admin: Config,
    /// The throwaway server's process to kill (the postmaster or its namespace's intermediate).
    pub server: Option<i32>,
}

/// Runs `step` under `watch`. Returns its result and how far the watchdog went.
pub fn run<T>(watch: &Watch, step: impl FnOnce() -> T) -> (T, Fired) {
    let (done, wait) = channel::<()>();
    let watch = watch.clone();
    let dog = std::thread::spawn(move || {
        let mut fired = Fired::No;
        let waits = [watch.budget, watch.budget, watch.grace, watch.grace];
        let mut step = 0;
        for d in waits {
            match wait.recv_timeout(d) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return fired,
            }
            step += 1;
            match step {
                1 | 2 => {
                    fired = fired.max(Fired::Canceled);
                    let _ = watch.cancel.cancel_query(NoTls);
                }
                3 => {
                    fired = Fired::Terminated;
                    terminate(&watch);
                }
                _ => {
                    fired = Fired::Stopped;
                    match watch.server {
                        // SAFETY: the throwaway server's process, ours.
                        Some(pid) => unsafe {
                            libc::kill(pid, libc::SIGKILL);
                        },
                        None => super::cleanup::abort(
                            "a migration ran past its time budget, ignored cancellation, and its session could \
                             not be terminated (pg_terminate_backend); migproof stopped after dropping its scratch database",
                        ),
                    }
                }
            }
        }
        let _ = wait.recv();
        fired
    });
    let result = step();
    drop(done);
    let fired = dog.join().unwrap_or(Fired::No);
    (result, fired)
}

/// `pg_terminate_backend` from a second connection, bounded in time itself.
fn terminate(watch: &Watch) {
    let mut config = watch.admin.clone();
    config
        .connect_timeout(Duration::from_secs(5))
        .options("-c statement_timeout=5000 -c lock_timeout=5000");
    let backend = watch.backend;
    // A thread of its own: connecting can block on a locked catalog; we do not wait for it
    // longer than the grace period.
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        if let Ok(mut c) = config.connect(NoTls) {
            let _ = c.execute("SELECT pg_terminate_backend($1)", &[&backend]);
        }
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(Duration::from_secs(5));
}
