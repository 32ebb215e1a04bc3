//! Where and how the throwaway server runs, so that a hostile migration (the round-trip runs SQL
//! from pull requests, as a database superuser) has no way to root, no secret to read, nothing
//! that outlives the run and no other run to reach.
//!
//! - **The run directory** `migproof-XXXX/` belongs to migproof's user and stays 0711: the
//!   server user can only pass through it. The files root writes (`lock`, `server.log`,
//!   `pg_hba.conf`) are created there with `O_CREAT|O_EXCL|O_NOFOLLOW`, never in a directory
//!   the server user can change, and are never `chown`ed; the server gets the log as an open
//!   descriptor. `data/` and `socket/` are the server user's, 0700.
//! - **Staleness by lock**: `lock` is `flock`ed for the run's whole life. A later run removes
//!   a cluster only when it can take that lock (its owner is gone, in whatever PID namespace it
//!   ran), never by a pid.
//! - **Every process dies with the run**: as root, the postmaster is PID 1 of its own PID
//!   namespace (with its own mount, network and IPC namespaces and a private `/proc`), so when
//!   it ends the kernel kills every process in it, including a `setsid nohup` child a
//!   migration started with `COPY … TO PROGRAM`. An intermediate process (root, not reachable
//!   by the server user) forwards signals and reports the postmaster's exit. Without the
//!   privilege for namespaces, the server gets its own process group, which is killed.
//! - **No privilege gain**: `no_new_privs` (a `sudo` or set-user-ID binary gains nothing),
//!   supplementary groups dropped, core dumps off.
//! - **Scrubbed environment**: the server and `initdb` get `PATH` and `LC_ALL` only.
//! - **Bounded**: as root the data directory is a private `tmpfs` with a size cap when memory
//!   has room for it (else the disk); each server process's address space is capped.

use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// The lock file each run holds (`flock`) for its whole life.
pub const LOCK_FILE: &str = "lock";

/// The environment the server and `initdb` get: nothing of migproof's.
pub const SERVER_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Each server process's address-space cap (`RLIMIT_AS`): a statement that would use more
/// fails with "out of memory" instead of taking the machine.
pub const ADDRESS_SPACE_LIMIT: u64 = 4 << 30;

/// A run directory: created private, locked for the run's life.
pub struct RunDir {
    pub path: PathBuf,
    /// Held open: the `flock` lives as long as this descriptor.
    _lock: File,
}

impl RunDir {
    /// Creates `base/migproof-XXXX` (0711, migproof's user) and locks it.
    pub fn create(base: &Path) -> std::io::Result<RunDir> {
        let path = tempfile::Builder::new().prefix("migproof-").tempdir_in(base)?.keep();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o711))?;
        let lock = create_new(&path.join(LOCK_FILE), 0o600)?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(RunDir { path, _lock: lock })
    }
}

/// 32 random alphanumeric characters (a run's database password).
pub fn random_password() -> String {
    std::iter::repeat_with(fastrand::alphanumeric).take(32).collect()
}

/// Creates a new file: never follows a symlink, never opens one that exists (`O_EXCL`).
pub fn create_new(path: &Path, mode: u32) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Creates a new file with `text`, like [`create_new`].
pub fn write_new(path: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    let mut f = create_new(path, mode)?;
    f.write_all(text.as_bytes())?;
    // The mode asked for, whatever the umask.
    f.set_permissions(std::fs::Permissions::from_mode(mode))
}

/// Creates a directory owned by `owner` with mode 0700: created by us (fails if anything is
/// there), then `fchown`ed through a descriptor opened without following links.
pub fn private_dir(path: &Path, owner: Option<(u32, u32)>) -> std::io::Result<()> {
    std::fs::create_dir(path)?;
    let dir = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    dir.set_permissions(std::fs::Permissions::from_mode(0o700))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::fchown(&dir, Some(uid), Some(gid))?;
    }
    Ok(())
}

/// Whether the run that made `dir` is gone: its lock can be taken. A directory without a lock
/// file (another version, or a run that has just been created) is not judged.
pub fn owner_gone(dir: &Path) -> bool {
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(dir.join(LOCK_FILE))
    else {
        return false;
    };
    // SAFETY: flock on a descriptor we own; released when `f` closes.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Kills every process whose working directory is inside `dir` (a postmaster and its backends
/// chdir into their data directory; so do children they start), then waits for them to go.
pub fn kill_processes_in(dir: &Path) {
    let Ok(dir) = std::fs::canonicalize(dir) else { return };
    let find = || -> Vec<i32> {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let pid: i32 = e.file_name().to_str()?.parse().ok()?;
                let cwd = std::fs::read_link(e.path().join("cwd")).ok()?;
                (cwd.starts_with(&dir) && pid as u32 != std::process::id()).then_some(pid)
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pids = find();
        if pids.is_empty() || Instant::now() > deadline {
            return;
        }
        for pid in pids {
            // SAFETY: a process running inside a cluster directory of ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Unmounts `path` if something is mounted there (a tmpfs data directory).
pub fn unmount(path: &Path) {
    if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
        // SAFETY: umount2 on a path we created; failure (nothing mounted) is harmless.
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    }
}

/// Removes a run directory: kills what still runs in it, unmounts its data directory, removes
/// it (`remove_dir_all` never follows links).
pub fn remove_run_dir(dir: &Path) -> std::io::Result<()> {
    kill_processes_in(dir);
    unmount(&dir.join("data"));
    std::fs::remove_dir_all(dir)
}

/// Bytes available in memory (`MemAvailable`).
fn mem_available() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// As root: mounts a `tmpfs` of at most `cap` bytes on `dir` (owned by `owner`, 0700) when
/// memory has room for twice that. `false`: stay on disk.
pub fn mount_bounded_tmpfs(dir: &Path, cap: u64, owner: (u32, u32)) -> bool {
    if mem_available() < cap.saturating_mul(2) {
        return false;
    }
    let (Ok(target), Ok(opts)) = (
        CString::new(dir.as_os_str().as_bytes()),
        CString::new(format!("size={cap},mode=0700,uid={},gid={}", owner.0, owner.1)),
    ) else {
        return false;
    };
    // SAFETY: plain mount(2) with NUL-terminated strings we own.
    unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            opts.as_ptr().cast(),
        ) == 0
    }
}

/// Whether namespaces can be used (root with `CAP_SYS_ADMIN`); decided by trying, per process.
static NAMESPACES: AtomicI32 = AtomicI32::new(-1);

const NAMESPACE_FLAGS: libc::c_int = libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWNET | libc::CLONE_NEWIPC;

/// The unprivileged account the server runs as when migproof is root.
#[derive(Debug, Clone)]
pub struct RunAs {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// A user id of this run's own, with no entry in the system's `/etc/passwd`: the server
    /// sees one (bind-mounted in its mount namespace).
    pub ephemeral: bool,
}

/// A user and group id no account has, for one run: nothing on the machine belongs to it, so
/// its processes can change nothing but world-writable places and what the run gives them.
pub fn ephemeral_user() -> RunAs {
    loop {
        let id = 1_500_000_000 + fastrand::u32(..500_000_000);
        // SAFETY: getpwuid/getgrgid return NULL or static storage; only compared to NULL.
        let taken = unsafe { !libc::getpwuid(id).is_null() || !libc::getgrgid(id).is_null() };
        if !taken {
            return RunAs {
                name: "migproof".to_string(),
                uid: id,
                gid: id,
                ephemeral: true,
            };
        }
    }
}

/// Whether this process may create namespaces (tried once with a short-lived child).
pub fn namespaces_available() -> bool {
    match NAMESPACES.load(Ordering::Relaxed) {
        0 => return false,
        1 => return true,
        _ => {}
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        NAMESPACES.store(0, Ordering::Relaxed);
        return false;
    }
    let mut probe = Command::new("/bin/true");
    probe
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: unshare only, between fork and exec.
    unsafe {
        probe.pre_exec(|| {
            if libc::unshare(NAMESPACE_FLAGS) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let ok = probe.status().is_ok_and(|s| s.success());
    NAMESPACES.store(i32::from(ok), Ordering::Relaxed);
    ok
}

/// Writes `passwd` and `group` files for an ephemeral user into `dir` (once): the system's
/// entries plus the run's own, bind-mounted over `/etc/passwd` and `/etc/group` in the
/// server's mount namespace (`initdb` and `postgres` look their user up).
fn identity_files(dir: &Path, user: &RunAs) -> std::io::Result<(CString, CString)> {
    let passwd = dir.join("passwd");
    let group = dir.join("group");
    if !passwd.exists() {
        let mut p = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        if !p.is_empty() && !p.ends_with('\n') {
            p.push('\n');
        }
        p.push_str(&format!(
            "{}:x:{}:{}:migproof throwaway server:/nonexistent:/usr/sbin/nologin\n",
            user.name, user.uid, user.gid
        ));
        write_new(&passwd, &p, 0o644)?;
        let mut g = std::fs::read_to_string("/etc/group").unwrap_or_default();
        if !g.is_empty() && !g.ends_with('\n') {
            g.push('\n');
        }
        g.push_str(&format!("{}:x:{}:\n", user.name, user.gid));
        write_new(&group, &g, 0o644)?;
    }
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    Ok((c(&passwd)?, c(&group)?))
}

/// How the server was isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Own PID, mount, network and IPC namespaces: nothing survives the postmaster.
    Namespaces,
    /// Own process group only (no privilege for namespaces).
    ProcessGroup,
}

/// Spawns `cmd` (a server, `initdb` or single-user `postgres`) isolated: scrubbed environment,
/// dropped privileges (`run_as`: uid, gid), no new privileges, capped memory, and, when the
/// privilege is there, its own namespaces. The returned pid is the process to signal and
/// wait for (with namespaces, an intermediate that forwards signals and exits as the server
/// exits).
pub fn spawn(
    cmd: &mut Command,
    run_as: Option<&RunAs>,
    dir: &Path,
) -> std::io::Result<(std::process::Child, Isolation)> {
    cmd.env_clear().env("PATH", SERVER_PATH).env("LC_ALL", "C");
    // The server is not in migproof's process group: a terminal's Ctrl-C reaches migproof,
    // which stops it; and its group can be killed as a whole.
    cmd.process_group(0);
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let try_ns = root && namespaces_available();
    let ids = run_as.map(|u| (u.uid, u.gid));
    let ephemeral = run_as.filter(|u| u.ephemeral);
    if ephemeral.is_some() && !try_ns {
        return Err(std::io::Error::other("an ephemeral user needs namespaces"));
    }
    if try_ns {
        let files = match ephemeral {
            Some(user) => Some(identity_files(dir, user)?),
            None => None,
        };
        configure(cmd, ids, true, files);
        match cmd.spawn() {
            Ok(child) => {
                NAMESPACES.store(1, Ordering::Relaxed);
                return Ok((child, Isolation::Namespaces));
            }
            Err(e) if matches!(e.raw_os_error(), Some(libc::EPERM | libc::EINVAL | libc::ENOSPC)) => {
                NAMESPACES.store(0, Ordering::Relaxed);
            }
            Err(e) => return Err(e),
        }
    }
    configure(cmd, ids, false, None);
    cmd.spawn().map(|c| (c, Isolation::ProcessGroup))
}

/// The server's pid, as seen by the intermediate (a separate process: this static is its own).
static SERVER: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(signal: libc::c_int) {
    let pid = SERVER.load(Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, signal) };
    }
}

fn configure(cmd: &mut Command, run_as: Option<(u32, u32)>, namespaces: bool, identity: Option<(CString, CString)>) {
    let me = std::process::id() as i32;
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // functions (raw syscalls, no allocation).
    unsafe {
        cmd.pre_exec(move || {
            if namespaces {
                if libc::unshare(NAMESPACE_FLAGS) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let pid = libc::fork();
                if pid < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if pid > 0 {
                    intermediate(pid, me);
                }
                // PID 1 of the new namespace: a private /proc (only the server's processes),
                // mounts that do not propagate back.
                if libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) == 0
                {
                    libc::mount(
                        c"proc".as_ptr(),
                        c"/proc".as_ptr(),
                        c"proc".as_ptr(),
                        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                        std::ptr::null(),
                    );
                    if let Some((passwd, group)) = &identity {
                        for (file, target) in [(passwd, c"/etc/passwd"), (group, c"/etc/group")] {
                            if libc::mount(
                                file.as_ptr(),
                                target.as_ptr(),
                                std::ptr::null(),
                                libc::MS_BIND,
                                std::ptr::null(),
                            ) != 0
                            {
                                return Err(std::io::Error::last_os_error());
                            }
                        }
                    }
                } else if identity.is_some() {
                    return Err(std::io::Error::last_os_error());
                }
            }
            let core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &core);
            let address = libc::rlimit {
                rlim_cur: ADDRESS_SPACE_LIMIT,
                rlim_max: ADDRESS_SPACE_LIMIT,
            };
            libc::setrlimit(libc::RLIMIT_AS, &address);
            if let Some((uid, gid)) = run_as
                && (libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            // Dies with its parent (migproof, or the intermediate). Set after setuid, which
            // clears it.
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                if namespaces { libc::SIGKILL } else { libc::SIGQUIT },
            );
            if !namespaces && libc::getppid() != me {
                return Err(std::io::Error::other("migproof exited before the server started"));
            }
            Ok(())
        });
    }
}

/// The intermediate between migproof and a server in its own namespaces: forwards the signals
/// that stop a server, dies with migproof (its parent-death signal is forwarded too), and exits
/// as the server did. Holds nothing of migproof's: every descriptor but 0–2 is closed (among
/// them the pipe `spawn` waits on).
///
/// # Safety
/// Only in a freshly forked child.
unsafe fn intermediate(server: i32, migproof: i32) -> ! {
    // SAFETY: async-signal-safe syscalls in a single-threaded forked child.
    unsafe {
        SERVER.store(server, Ordering::Relaxed);
        for signal in [libc::SIGQUIT, libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = forward as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = libc::SA_RESTART;
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
            for fd in 3..4096 {
                libc::close(fd);
            }
        }
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
        if libc::getppid() != migproof {
            libc::kill(server, libc::SIGKILL);
        }
        let mut status = 0;
        loop {
            let r = libc::waitpid(server, &mut status, 0);
            if r == server {
                break;
            }
            if r < 0 && *libc::__errno_location() != libc::EINTR {
                libc::_exit(1);
            }
        }
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            libc::signal(signal, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), signal);
            libc::_exit(128 + signal);
        }
        libc::_exit(libc::WEXITSTATUS(status))
    }
}

/// The host pid of the server under an intermediate (its only child), if it runs.
pub fn server_pid(intermediate: i32) -> Option<i32> {
    std::fs::read_to_string(format!("/proc/{intermediate}/task/{intermediate}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
