//! Guaranteed cleanup: every throwaway server and scratch database is registered here the moment
//! it exists, and removed from here when it is cleaned up. Dropping a guard cleans up (normal
//! end, error, panic); SIGINT/SIGTERM/SIGHUP run every registered task from a signal thread,
//! then exit.
//!
//! The lock is held for the whole of a cleanup, so the signal thread never exits the process while
//! the main thread is half-way through removing a directory.

use std::path::PathBuf;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// Something to undo.
pub enum Task {
    /// A postmaster we started (its pid) and the temporary directory holding its data and socket.
    Server { pid: i32, dir: PathBuf },
    /// A scratch database on a server the user named: connect with `config`, drop `name`.
    Database {
        config: Box<postgres::Config>,
        name: String,
    },
    /// A directory to remove (a cache entry being built).
    Dir(PathBuf),
}

static TASKS: Mutex<Vec<(u64, Task)>> = Mutex::new(Vec::new());
static NEXT: Mutex<u64> = Mutex::new(1);
static SIGNALS: Once = Once::new();

/// A registered task: dropping it runs the task (once).
pub struct Guard(u64);

impl Guard {
    /// Forgets the task without running it (it was undone another way).
    pub fn disarm(self) {
        let mut tasks = lock();
        tasks.retain(|(id, _)| *id != self.0);
        drop(tasks);
        std::mem::forget(self);
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let mut tasks = lock();
        if let Some(pos) = tasks.iter().position(|(id, _)| *id == self.0) {
            let (_, task) = tasks.remove(pos);
            run(task);
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<(u64, Task)>> {
    TASKS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers `task`; the returned guard runs it when dropped.
pub fn register(task: Task) -> Guard {
    install_signal_handlers();
    let id = {
        let mut next = NEXT.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        *next
    };
    lock().push((id, task));
    Guard(id)
}

/// On SIGINT/SIGTERM/SIGHUP: undo everything registered, then exit with 128 + the signal number.
fn install_signal_handlers() {
    SIGNALS.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        // SIGHUP too: a closed terminal must not leave a server behind.
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let mut tasks = lock();
                for (_, task) in tasks.drain(..).rev() {
                    run(task);
                }
                eprintln!("migproof: interrupted; the throwaway server and scratch databases were removed");
                std::process::exit(128 + signal);
            }
        });
    });
}

fn run(task: Task) {
    match task {
        Task::Server { pid, dir } => {
            stop_postmaster(pid);
            let _ = std::fs::remove_dir_all(&dir);
        }
        Task::Database { config, name } => {
            if let Ok(mut client) = config.connect(postgres::NoTls) {
                let _ = super::admin::drop_database(&mut client, &name);
            }
        }
        Task::Dir(dir) => {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// Immediate shutdown (SIGQUIT: the data is thrown away anyway), escalating to SIGKILL.
pub fn stop_postmaster(pid: i32) {
    // SAFETY: plain syscalls on a pid we started and have not reaped yet.
    unsafe {
        if libc::kill(pid, libc::SIGQUIT) != 0 {
            libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG);
            return;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // SAFETY: as above.
        let r = unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
        if r == pid || r < 0 {
            return;
        }
        if Instant::now() > deadline {
            // SAFETY: as above.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
