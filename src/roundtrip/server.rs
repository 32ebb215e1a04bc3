//! The PostgreSQL server the round-trip runs on: a throwaway cluster started from the local
//! binaries (the default), or a server the user names with `--database-url`.
//!
//! The throwaway cluster is a copy of an initdb'd template kept per server version in the user's
//! cache directory ([`template`], verified on every copy), listening only on a Unix socket in a
//! directory private to the server user, with a random password per run (SCRAM) and durability
//! switched off. How it is fenced in (its own user id and namespaces as root, a scrubbed
//! environment, limits, a lock for staleness) is [`sandbox`].

use std::ffi::CString;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use postgres::{Config, NoTls};

pub use super::admin::{describe, drop_database, quote_ident};
use super::cleanup::{self, Guard, Task};
use super::sandbox::{self, Isolation, RunDir};
use super::template;

pub use super::template::cache_dir;

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

/// The server in `dir` and its version (`postgres --version`).
pub fn binaries(dir: &Path) -> Result<Binaries, Failure> {
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

pub use super::sandbox::RunAs;

/// `None` when migproof is not root (the server runs as the current user). As root: a user id
/// of its own for this run when namespaces are available (no other process or file on the
/// machine belongs to it), else the `postgres` system user (else `nobody`), since `initdb` and
/// `postgres` refuse to run as root.
pub fn run_as() -> Result<Option<RunAs>, Failure> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    if sandbox::namespaces_available() {
        return Ok(Some(sandbox::ephemeral_user()));
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
                    ephemeral: false,
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
    /// The run directory (see [`sandbox`]): `lock`, `server.log`, `pg_hba.conf`, `data/`, `socket/`.
    pub dir: PathBuf,
    /// The socket directory, private to the server user (0700).
    pub socket_dir: PathBuf,
    pub port: u16,
    pub binaries: Binaries,
    pub run_as: Option<RunAs>,
    /// The process to signal and wait for: the postmaster, or (in its own namespaces) the
    /// intermediate that forwards to it.
    pub pid: i32,
    /// The postmaster's pid as the host sees it (in its own namespace it is 1 there).
    pub postmaster: i32,
    /// How the server is isolated.
    pub isolation: Isolation,
    /// The random password of this run's `postgres` role (SCRAM).
    pub password: String,
    /// Where the data directory lives (`tmpfs (cap 2 GiB)`, or the disk).
    pub storage: String,
    /// Time from "start" to "accepts connections".
    pub ready_in: Duration,
    /// Where run directories and template builds go.
    base: PathBuf,
    /// The server process runs (it is stopped while its data directory is copied).
    running: bool,
    _guard: Guard,
    _run: RunDir,
}

/// Limits of a throwaway server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most the data directory may hold on a RAM-backed file system (bytes).
    pub cluster_size: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { cluster_size: 2 << 30 }
    }
}

const PORT: u16 = 5432;

/// Settings that bound what one session can take (a superuser can raise the GUCs; the address
/// space cap of each server process, [`sandbox::ADDRESS_SPACE_LIMIT`], it cannot).
pub const SETTINGS: &[&str] = &[
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
    "unix_socket_permissions=0700",
    "work_mem=32MB",
    "maintenance_work_mem=128MB",
    "logical_decoding_work_mem=64MB",
    "temp_file_limit=1GB",
    "max_parallel_workers_per_gather=0",
    "shared_preload_libraries=",
    "password_encryption=scram-sha-256",
];

pub use super::sandbox::random_password;

impl Throwaway {
    /// Copies (or first builds) the cached cluster template and starts a server on it.
    pub fn start(binaries: Binaries) -> Result<Throwaway, Failure> {
        Throwaway::start_with(binaries, Limits::default())
    }

    pub fn start_with(binaries: Binaries, limits: Limits) -> Result<Throwaway, Failure> {
        let started = Instant::now();
        let run_as = run_as()?;
        runnable(&binaries.dir, run_as.as_ref())?;
        let owner = run_as.as_ref().map(|u| (u.uid, u.gid));
        let base = scratch_base();
        for path in remove_stale_clusters(&base) {
            eprintln!(
                "migproof: removed a stale throwaway cluster `{}` (the run that made it is gone: nobody holds its lock)",
                path.display()
            );
        }
        let run = RunDir::create(&base).map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let dir = run.path.clone();
        let guard = cleanup::register(Task::Dir(dir.clone()));
        reachable(&dir, run_as.as_ref())?;
        let data = dir.join("data");
        sandbox::private_dir(&data, None).map_err(|e| format!("cannot create `{}`: {e}", data.display()))?;
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let storage = if root && sandbox::mount_bounded_tmpfs(&data, limits.cluster_size, (0, 0)) {
            format!("tmpfs of at most {} MiB", limits.cluster_size >> 20)
        } else {
            format!("`{}`", base.display())
        };
        fill_from_template(&binaries, run_as.as_ref(), &base, &data)?;
        let socket_dir = dir.join("socket");
        sandbox::private_dir(&socket_dir, owner)
            .map_err(|e| format!("cannot create `{}`: {e}", socket_dir.display()))?;
        let hba = dir.join("pg_hba.conf");
        sandbox::write_new(
            &hba,
            "# migproof: the run's own password, over the run's private socket only\nlocal all all scram-sha-256\n",
            0o644,
        )
        .map_err(|e| format!("cannot write `{}`: {e}", hba.display()))?;
        let password = random_password();
        let mut server = Throwaway {
            dir: dir.clone(),
            socket_dir,
            port: PORT,
            binaries,
            run_as,
            pid: 0,
            postmaster: 0,
            isolation: Isolation::ProcessGroup,
            password,
            storage,
            ready_in: Duration::ZERO,
            base,
            running: false,
            _guard: guard,
            _run: run,
        };
        server.launch(true)?;
        server.ready_in = started.elapsed();
        Ok(server)
    }

    /// The data directory (`<run>/data`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Starts the server on the data directory (setting this run's password first when
    /// `set_password`: a copied cluster has another's) and waits until it accepts connections.
    pub fn launch(&mut self, set_password: bool) -> Result<(), Failure> {
        let data = self.data_dir();
        let made_with = template::Binaries {
            dir: &self.binaries.dir,
            version: &self.binaries.version,
        };
        if set_password {
            template::single_user(
                &made_with,
                &data,
                self.run_as.as_ref(),
                &format!("ALTER ROLE postgres PASSWORD '{}'", self.password),
            )
            .map_err(|e| format!("cannot set the throwaway server's password: {e}"))?;
        }
        let dir = self.dir.clone();
        let log = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(dir.join("server.log"))
            .map_err(|e| format!("cannot create the log: {e}"))?;
        let hba = dir.join("pg_hba.conf");
        let mut cmd = Command::new(self.binaries.dir.join("postgres"));
        cmd.arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&self.socket_dir)
            .arg("-p")
            .arg(PORT.to_string())
            .arg("-c")
            .arg(format!("hba_file={}", hba.display()));
        for setting in SETTINGS {
            cmd.arg("-c").arg(setting);
        }
        cmd.current_dir(&data)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        let (child, isolation) = sandbox::spawn(&mut cmd, self.run_as.as_ref(), &dir)
            .map_err(|e| format!("cannot start `{}`: {e}", self.binaries.dir.join("postgres").display()))?;
        let pid = child.id() as i32;
        // The server task replaces the directory task (it removes the directory too).
        let server_guard = cleanup::register(Task::Server { pid, dir: dir.clone() });
        std::mem::replace(&mut self._guard, server_guard).disarm();
        self.pid = pid;
        self.postmaster = pid;
        self.isolation = isolation;
        self.running = true;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.config("template1").connect(NoTls).is_ok() {
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
                    self.binaries.version,
                    if exited { "" } else { " within 60 s" },
                    tail.join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(3));
        }
        self.postmaster = match self.isolation {
            Isolation::Namespaces => sandbox::server_pid(pid).unwrap_or(pid),
            Isolation::ProcessGroup => pid,
        };
        Ok(())
    }

    /// Stops the server cleanly (a fast shutdown: sessions end, a checkpoint is written), so its
    /// data directory can be copied; whatever is left of it is killed after 30 s.
    pub fn stop(&mut self) -> Result<(), Failure> {
        if !self.running {
            return Ok(());
        }
        let pid = self.pid;
        // SAFETY: our own child, not reaped yet.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut status = 0;
        let clean = loop {
            // SAFETY: as above.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if r == pid || r < 0 {
                break r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
            }
            if Instant::now() > deadline {
                cleanup::stop_postmaster(pid);
                break false;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        // SAFETY: the group the server ran in; nothing of it may outlive it.
        unsafe { libc::killpg(pid, libc::SIGKILL) };
        let dir_guard = cleanup::register(Task::Dir(self.dir.clone()));
        std::mem::replace(&mut self._guard, dir_guard).disarm();
        self.running = false;
        if clean {
            Ok(())
        } else {
            Err(format!(
                "the throwaway server did not shut down cleanly (see `{}`)",
                self.dir.join("server.log").display()
            ))
        }
    }

    /// Replaces the (stopped) server's data directory with a copy of `from`, verified against
    /// `manifest` while it is copied. `Err` (the data directory is then empty) when a file
    /// differs or is missing, or the copy fails.
    pub fn replace_data(&mut self, from: &Path, manifest: &template::Manifest) -> std::io::Result<()> {
        let data = self.data_dir();
        clear_dir(&data)?;
        let owner = self.run_as.as_ref().map(|u| (u.uid, u.gid));
        let copied = template::copy_tree(from, &data, owner, Some(manifest)).map(|_| ());
        if copied.is_err() {
            let _ = clear_dir(&data);
        }
        copied
    }

    /// Replaces the (stopped) server's data directory with a fresh copy of the cluster template.
    pub fn reset_data(&mut self) -> Result<(), Failure> {
        let data = self.data_dir();
        clear_dir(&data).map_err(|e| format!("cannot empty `{}`: {e}", data.display()))?;
        fill_from_template(&self.binaries, self.run_as.as_ref(), &self.base, &data)
    }

    /// How to connect to database `dbname` on this server.
    pub fn config(&self, dbname: &str) -> Config {
        let mut c = Config::new();
        c.host_path(&self.socket_dir)
            .port(self.port)
            .user("postgres")
            .password(&self.password)
            .dbname(dbname)
            .application_name("migproof")
            .connect_timeout(Duration::from_secs(5));
        c
    }
}

/// Copies the cluster template (built first if need be) into the empty `data`, verifying it;
/// a template found changed is rejected, removed, rebuilt and copied again.
fn fill_from_template(binaries: &Binaries, run_as: Option<&RunAs>, base: &Path, data: &Path) -> Result<(), Failure> {
    let owner = run_as.map(|u| (u.uid, u.gid));
    let made_with = template::Binaries {
        dir: &binaries.dir,
        version: &binaries.version,
    };
    let mut template = template::get(&made_with, run_as, base)?;
    if let Err(e) = template::copy_tree(&template.dir, data, owner, Some(&template.manifest)) {
        if e.kind() != std::io::ErrorKind::InvalidData {
            return Err(format!(
                "cannot copy the cluster template into `{}`: {e}",
                data.display()
            ));
        }
        eprintln!(
            "migproof: the cached cluster template `{}` was changed since it was made ({e}); rejected it and built it again",
            template.dir.display()
        );
        template.discard();
        clear_dir(data).map_err(|e| format!("cannot empty `{}`: {e}", data.display()))?;
        template = template::get(&made_with, run_as, base)?;
        template::copy_tree(&template.dir, data, owner, Some(&template.manifest))
            .map_err(|e| format!("cannot copy the cluster template into `{}`: {e}", data.display()))?;
    }
    Ok(())
}

/// Empties a directory (not following links).
fn clear_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Where the throwaway cluster lives: `TMPDIR` when set; else `/dev/shm` when it is a memory
/// file system with room (copying the cluster there takes a tenth of the time, and nothing
/// needs to survive); else the system temporary directory. As root, the data directory is a
/// size-capped tmpfs of its own when memory has room, wherever the run directory is.
fn scratch_base() -> PathBuf {
    if std::env::var_os("TMPDIR").is_some_and(|v| !v.is_empty()) {
        return std::env::temp_dir();
    }
    let shm = Path::new("/dev/shm");
    let roomy = CString::new("/dev/shm").ok().is_some_and(|c| {
        // SAFETY: statvfs writes into the zeroed struct we own.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0;
        ok && (st.f_bavail as u64).saturating_mul(st.f_frsize as u64) >= 4 << 30
    });
    if roomy && shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
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

/// Removes the throwaway clusters (and interrupted template builds) under `base` whose run is
/// gone: its lock file can be locked. Whatever still runs in one is killed first. Returns
/// each directory removed. Directories whose owner holds its lock, in whatever PID namespace
/// it runs, are left alone; so are directories without a lock file.
pub fn remove_stale_clusters(base: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(base) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with("migproof-") || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = entry.path();
        if !sandbox::owner_gone(&dir) {
            continue;
        }
        if sandbox::remove_run_dir(&dir).is_ok() {
            removed.push(dir);
        }
    }
    removed
}

/// The server user must be able to reach `dir` through its parents.
fn reachable(dir: &Path, run_as: Option<&RunAs>) -> Result<(), Failure> {
    let Some(user) = run_as else { return Ok(()) };
    for parent in dir.ancestors().skip(1) {
        if let Ok(meta) = std::fs::metadata(parent)
            && meta.permissions().mode() & 0o001 == 0
        {
            return Err(format!(
                "the throwaway server runs as the `{}` user (PostgreSQL refuses root), but `{}` is not \
                 searchable by other users, so it cannot reach `{}`. Set TMPDIR to a directory it can reach \
                 (e.g. /tmp) or use --database-url",
                user.name,
                parent.display(),
                dir.display()
            ));
        }
    }
    Ok(())
}

/// The server user must be able to reach and run the server binaries (an unpacked build under a
/// home directory such as `/root` is out of its reach).
fn runnable(dir: &Path, run_as: Option<&RunAs>) -> Result<(), Failure> {
    let Some(user) = run_as else { return Ok(()) };
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let blocked = dir
        .ancestors()
        .find(|d| std::fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 == 0));
    let not_runnable = ["postgres", "initdb"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o005 != 0o005));
    let why = match (blocked, not_runnable) {
        (Some(d), _) => format!("`{}` is not searchable by other users", d.display()),
        (None, Some(p)) => format!("`{}` is not readable and executable by other users", p.display()),
        (None, None) => return Ok(()),
    };
    Err(format!(
        "the throwaway server runs as the `{}` user (PostgreSQL refuses root), but {why}, so it cannot run the \
         server in `{}`. Unpack the server where other users can reach it (e.g. under /opt or /usr/local) and \
         `chmod -R a+rX` it, or use --database-url",
        user.name,
        dir.display()
    ))
}
