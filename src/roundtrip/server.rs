//! The PostgreSQL server the round-trip runs on: a throwaway cluster started from the local
//! binaries (the default), or a server the user names with `--database-url`.
//!
//! The throwaway cluster is a copy of an initdb'd template kept per server version in the user's
//! cache directory, listening only on a Unix socket inside its own temporary directory, with
//! durability switched off. When migproof runs as root, the server runs as the `postgres` system
//! user (else `nobody`), since `initdb` and `postgres` refuse to run as root.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use postgres::{Config, NoTls};

pub use super::admin::{describe, drop_database, quote_ident};
use super::cleanup::{self, Guard, Task};

/// Why the round-trip could not run at all (exit code 2).
pub type Failure = String;

/// The server binaries found, with their version.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub dir: PathBuf,
    /// `15.10`
    pub version: String,
    pub major: u32,
}

/// Finds `postgres` and `initdb`: `--pg-bin`, then `PG_BIN`, then `pg_config --bindir`, then
/// `PATH`, then the highest `/usr/lib/postgresql/*/bin`.
pub fn find_binaries(flag: Option<&Path>) -> Result<Binaries, Failure> {
    let has_both = |d: &Path| d.join("postgres").is_file() && d.join("initdb").is_file();
    if let Some(dir) = flag {
        return if has_both(dir) {
            binaries(dir)
        } else {
            Err(format!("--pg-bin `{}` has no `postgres` and `initdb`", dir.display()))
        };
    }
    if let Some(dir) = std::env::var_os("PG_BIN").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return if has_both(&dir) {
            binaries(&dir)
        } else {
            Err(format!("PG_BIN `{}` has no `postgres` and `initdb`", dir.display()))
        };
    }
    let mut candidates = Vec::new();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").stderr(Stdio::null()).output()
        && out.status.success()
    {
        candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    versioned.sort();
    candidates.extend(versioned.into_iter().rev().map(|(_, p)| p));
    match candidates.iter().find(|d| has_both(d)) {
        Some(dir) => binaries(dir),
        None => Err(
            "no PostgreSQL server binaries found (looked at --pg-bin, PG_BIN, `pg_config --bindir`, PATH \
             and /usr/lib/postgresql/*/bin). Install the server (Debian/Ubuntu: `apt-get install postgresql`), \
             pass --pg-bin DIR, or use --database-url to run on a server you name"
                .to_string(),
        ),
    }
}

fn binaries(dir: &Path) -> Result<Binaries, Failure> {
    let out = Command::new(dir.join("postgres"))
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", dir.join("postgres").display()))?;
    // "postgres (PostgreSQL) 15.10 (Debian 15.10-0+deb12u1)"
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .nth(2)
        .ok_or_else(|| format!("`{}/postgres --version` said `{}`", dir.display(), text.trim()))?
        .to_string();
    let major = version
        .split(['.', 'b', 'r'])
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| format!("cannot read the version `{version}`"))?;
    Ok(Binaries {
        dir: dir.to_path_buf(),
        version,
        major,
    })
}

/// The unprivileged account the server runs as when migproof is root.
#[derive(Debug, Clone)]
pub struct RunAs {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// `None` when migproof is not root (the server runs as the current user).
pub fn run_as() -> Result<Option<RunAs>, Failure> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        let c = CString::new(name).expect("no NUL");
        // SAFETY: getpwnam returns NULL or a pointer to static storage, read at once.
        let pw = unsafe { libc::getpwnam(c.as_ptr()) };
        if !pw.is_null() {
            // SAFETY: non-null result of getpwnam.
            let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
            if uid != 0 {
                return Ok(Some(RunAs {
                    name: name.to_string(),
                    uid,
                    gid,
                }));
            }
        }
    }
    Err(
        "migproof runs as root, and PostgreSQL refuses to run as root, but there is no `postgres` or `nobody` \
         user to run the throwaway server as. Create one (`useradd --system postgres`), run migproof as a normal \
         user, or use --database-url to run on a server you name"
            .to_string(),
    )
}

/// A running throwaway cluster. Dropping it stops the server and removes its directory.
pub struct Throwaway {
    pub socket_dir: PathBuf,
    pub port: u16,
    pub binaries: Binaries,
    pub run_as: Option<RunAs>,
    /// The postmaster's process id.
    pub pid: i32,
    /// Time from "start" to "accepts connections".
    pub ready_in: Duration,
    _guard: Guard,
}

/// The file in a throwaway cluster's directory naming the migproof process that owns it
/// (`<pid> <start time>`), so a later run can remove the cluster if that process died
/// without cleaning up (SIGKILL, power loss).
pub const OWNER_FILE: &str = "migproof.pid";

const PORT: u16 = 5432;

impl Throwaway {
    /// Copies (or first builds) the cached cluster template and starts a server on it.
    pub fn start(binaries: Binaries) -> Result<Throwaway, Failure> {
        let started = Instant::now();
        let run_as = run_as()?;
        let base = scratch_base();
        for (owner, path) in remove_stale_clusters(&base) {
            eprintln!(
                "migproof: removed a stale throwaway cluster left by migproof pid {owner} (`{}`)",
                path.display()
            );
        }
        let template = template(&binaries, run_as.as_ref())?;
        let dir = tempfile::Builder::new()
            .prefix("migproof-")
            .tempdir_in(&base)
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?
            .keep();
        let guard = cleanup::register(Task::Dir(dir.clone()));
        let me = std::process::id();
        std::fs::write(
            dir.join(OWNER_FILE),
            format!("{me} {}\n", process_start_time(me as i32).unwrap_or(0)),
        )
        .map_err(|e| format!("cannot write `{}`: {e}", dir.join(OWNER_FILE).display()))?;
        let data = dir.join("data");
        copy_tree(&template, &data, run_as.as_ref())
            .map_err(|e| format!("cannot copy the cluster template into `{}`: {e}", data.display()))?;
        give(&dir, run_as.as_ref())?;
        let log = std::fs::File::create(dir.join("server.log")).map_err(|e| format!("cannot create the log: {e}"))?;
        give(&dir.join("server.log"), run_as.as_ref())?;
        let mut cmd = Command::new(binaries.dir.join("postgres"));
        cmd.arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&dir)
            .arg("-p")
            .arg(PORT.to_string());
        for setting in [
            "listen_addresses=",
            "fsync=off",
            "full_page_writes=off",
            "synchronous_commit=off",
            "autovacuum=off",
            "max_connections=20",
            "shared_buffers=32MB",
            "max_wal_size=256MB",
            "min_wal_size=2MB",
            // Shared memory segments inside the data directory: removed with it.
            "dynamic_shared_memory_type=mmap",
            "unix_socket_permissions=0777",
        ] {
            cmd.arg("-c").arg(setting);
        }
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            // Not in our process group: a terminal's Ctrl-C reaches migproof, which stops it.
            .process_group(0);
        if let Some(user) = &run_as {
            cmd.uid(user.uid).gid(user.gid);
        }
        // SAFETY: prctl and getppid are async-signal-safe. If migproof is killed outright
        // (SIGKILL), the kernel sends the postmaster SIGQUIT, so no server outlives migproof. (The
        // signal follows the thread that spawned the server: call `start` on a thread that lives
        // as long as the server.) If migproof died before prctl ran, the server does not start.
        unsafe {
            cmd.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
                if libc::getppid() as u32 != me {
                    return Err(std::io::Error::other("migproof exited before the server started"));
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", binaries.dir.join("postgres").display()))?;
        let pid = child.id() as i32;
        // The server task replaces the directory task (it removes the directory too).
        let server_guard = cleanup::register(Task::Server { pid, dir: dir.clone() });
        guard.disarm();
        let server = Throwaway {
            socket_dir: dir.clone(),
            port: PORT,
            binaries,
            run_as,
            pid,
            ready_in: Duration::ZERO,
            _guard: server_guard,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if server.config("template1").connect(NoTls).is_ok() {
                break;
            }
            // SAFETY: non-blocking check of our own child.
            let exited = unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) } == pid;
            if exited || Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
                let tail: Vec<&str> = log
                    .lines()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                return Err(format!(
                    "the throwaway PostgreSQL {} server did not start{}:\n{}",
                    server.binaries.version,
                    if exited { "" } else { " within 60 s" },
                    tail.join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(3));
        }
        Ok(Throwaway {
            ready_in: started.elapsed(),
            ..server
        })
    }

    /// How to connect to database `dbname` on this server.
    pub fn config(&self, dbname: &str) -> Config {
        let mut c = Config::new();
        c.host_path(&self.socket_dir)
            .port(self.port)
            .user("postgres")
            .dbname(dbname)
            .application_name("migproof")
            .connect_timeout(Duration::from_secs(5));
        c
    }
}

/// Where the throwaway cluster lives: `TMPDIR` when set; else `/dev/shm` when it is a memory
/// file system with room (copying the cluster there takes a tenth of the time, and nothing
/// needs to survive); else the system temporary directory.
fn scratch_base() -> PathBuf {
    if std::env::var_os("TMPDIR").is_some_and(|v| !v.is_empty()) {
        return std::env::temp_dir();
    }
    let shm = Path::new("/dev/shm");
    let roomy = CString::new("/dev/shm").ok().is_some_and(|c| {
        // SAFETY: statvfs writes into the zeroed struct we own.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0;
        ok && (st.f_bavail as u64).saturating_mul(st.f_frsize as u64) >= 1 << 30
    });
    if roomy && shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// A process's start time (clock ticks since boot, `/proc/<pid>/stat` field 22), telling a live
/// process from a later one that reuses its pid; `None` when there is no such process.
pub fn process_start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether `pid` is a running process (a zombie, which only waits to be reaped, is not).
pub fn process_running(pid: i32) -> bool {
    // SAFETY: signal 0 only probes.
    let exists =
        unsafe { libc::kill(pid, 0) } == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    if !exists {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_none_or(|state| state != "Z" && state != "X"),
        Err(_) => true,
    }
}

/// Removes the throwaway clusters under `base` whose owning migproof process is gone (killed
/// with SIGKILL, so it could not clean up): stops a postmaster still running on one, then
/// removes its directory. Returns the owner's pid and the directory of each one removed.
/// Directories without an owner file, or whose owner still runs, are left alone.
pub fn remove_stale_clusters(base: &Path) -> Vec<(u32, PathBuf)> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(base) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with("migproof-") || name.starts_with("migproof-initdb-") {
            continue;
        }
        let dir = entry.path();
        let Ok(owner) = std::fs::read_to_string(dir.join(OWNER_FILE)) else {
            continue;
        };
        let mut fields = owner.split_whitespace().map(|f| f.parse::<u64>().ok());
        let (Some(Some(pid)), Some(Some(started))) = (fields.next(), fields.next()) else {
            continue;
        };
        let Ok(pid) = u32::try_from(pid) else { continue };
        if pid == std::process::id() {
            continue;
        }
        let alive =
            process_running(pid as i32) && process_start_time(pid as i32).is_none_or(|t| started == 0 || t == started);
        if alive {
            continue;
        }
        stop_stale_postmaster(&dir.join("data"));
        if std::fs::remove_dir_all(&dir).is_ok() {
            removed.push((pid, dir));
        }
    }
    removed
}

/// Stops the postmaster `data/postmaster.pid` names, if it still runs on `data` (it is not our
/// child: wait for it to go, escalating from SIGQUIT to SIGKILL).
fn stop_stale_postmaster(data: &Path) {
    let Some(pid) = std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()
        .and_then(|t| t.lines().next()?.trim().parse::<i32>().ok())
    else {
        return;
    };
    // Only a postgres running on this very directory (the pid may have been reused).
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let ours = cmdline
        .split(|&b| b == 0)
        .any(|arg| Path::new(std::ffi::OsStr::from_bytes(arg)) == data);
    if !ours || !process_running(pid) {
        return;
    }
    for (signal, wait) in [(libc::SIGQUIT, 5000), (libc::SIGKILL, 5000)] {
        // SAFETY: signalling the postmaster of a cluster we own, checked above.
        unsafe { libc::kill(pid, signal) };
        let deadline = Instant::now() + Duration::from_millis(wait);
        while Instant::now() < deadline {
            if !process_running(pid) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The per-version cluster template in the cache, built with initdb the first time.
fn template(binaries: &Binaries, run_as: Option<&RunAs>) -> Result<PathBuf, Failure> {
    let cache = cache_dir().ok_or("cannot find a cache directory: set XDG_CACHE_HOME or HOME")?;
    // The bin dir is part of the key: two installs of one version may differ in defaults.
    let key = format!(
        "pg{}-w1t-{:08x}",
        binaries.version,
        fnv(binaries.dir.to_string_lossy().as_bytes()) as u32
    );
    let target = cache.join(&key);
    if target.join("PG_VERSION").is_file() {
        return Ok(target);
    }
    std::fs::create_dir_all(&cache).map_err(|e| format!("cannot create `{}`: {e}", cache.display()))?;
    // initdb into a directory the server user owns, then move the result into the cache.
    let work = tempfile::Builder::new()
        .prefix("migproof-initdb-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    give(work.path(), run_as)?;
    // Removed on Ctrl-C too (the TempDir removes it on every other path).
    let _work_guard = cleanup::register(Task::Dir(work.path().to_path_buf()));
    let data = work.path().join("data");
    let mut cmd = Command::new(binaries.dir.join("initdb"));
    cmd.arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        // 1 MB WAL segments instead of 16 MB: the copy made for every run is 40% smaller.
        .arg("--wal-segsize=1")
        .stdin(Stdio::null());
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", binaries.dir.join("initdb").display()))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // The `postgres` database is not needed (migproof administers from template1): dropping it
    // in single-user mode makes every per-run copy another 7 MB smaller.
    let mut single = Command::new(binaries.dir.join("postgres"));
    single
        .args(["--single", "-D"])
        .arg(&data)
        .args(["-c", "fsync=off", "template1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(user) = run_as {
        single.uid(user.uid).gid(user.gid);
    }
    let mut child = single
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", binaries.dir.join("postgres").display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(b"DROP DATABASE postgres\n");
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "preparing the cluster template failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let staging = cache.join(format!("{key}.tmp-{}", fastrand::u64(..)));
    let staging_guard = cleanup::register(Task::Dir(staging.clone()));
    copy_tree(&data, &staging, None).map_err(|e| format!("cannot fill the cache `{}`: {e}", staging.display()))?;
    // Another migproof may have won the race; either way a complete template is there.
    if std::fs::rename(&staging, &target).is_ok() {
        staging_guard.disarm();
    }
    Ok(target)
}

/// `$XDG_CACHE_HOME/migproof`, else `~/.cache/migproof`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("migproof"))
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf29ce484222325, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// Hands `path` to the server user (when there is one) with mode 0700.
fn give(path: &Path, run_as: Option<&RunAs>) -> Result<(), Failure> {
    let Some(user) = run_as else { return Ok(()) };
    chown(path, Some(user.uid), Some(user.gid))
        .map_err(|e| format!("cannot give `{}` to the `{}` user: {e}", path.display(), user.name))?;
    if path.is_dir() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
        // The server user must be able to reach the directory through its parents.
        for parent in path.ancestors().skip(1) {
            if let Ok(meta) = std::fs::metadata(parent)
                && meta.permissions().mode() & 0o001 == 0
            {
                return Err(format!(
                    "the throwaway server runs as the `{}` user (PostgreSQL refuses root), but `{}` is not \
                     searchable by other users, so it cannot reach `{}`. Set TMPDIR to a directory it can reach \
                     (e.g. /tmp) or use --database-url",
                    user.name,
                    parent.display(),
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

/// Copies a directory tree (files, directories, symlinks), keeping permissions, optionally
/// giving every entry to `run_as`.
fn copy_tree(from: &Path, to: &Path, run_as: Option<&RunAs>) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest, run_as)?;
            continue;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?;
        }
        if let Some(user) = run_as {
            std::os::unix::fs::lchown(&dest, Some(user.uid), Some(user.gid))?;
        }
    }
    if let Some(user) = run_as {
        chown(to, Some(user.uid), Some(user.gid))?;
    }
    Ok(())
}
