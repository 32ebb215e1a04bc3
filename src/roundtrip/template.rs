//! The cached cluster template (one per server version and binary directory), built with
//! `initdb` once and copied for every run.
//!
//! The template is written by migproof's user and never handed to the server user: as root it
//! is owned by root and the server never sees it (each run gets a copy). At creation a manifest
//! of every file's path, size and SHA-256 is written beside it (`<key>.sha256`); each copy is
//! hashed while it is made and compared with the manifest, so a template changed since (a
//! poisoned `postgresql.conf`, an event trigger in `template1`) is rejected, removed and
//! rebuilt, never used.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::cleanup::{self, Task};
use super::sandbox::{self, RunAs};

/// Why the template could not be made (the round-trip cannot run).
type Failure = String;

/// The server binaries a template is made with.
pub struct Binaries<'a> {
    pub dir: &'a Path,
    /// `15.10`
    pub version: &'a str,
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

/// Path → (size, SHA-256 hex) of every regular file; symlinks as `-> target`.
pub type Manifest = BTreeMap<String, String>;

/// The cached template for `binaries`: its directory and manifest.
pub struct Template {
    pub dir: PathBuf,
    pub manifest: Manifest,
    manifest_path: PathBuf,
}

impl Template {
    /// Removes a template found changed, so the next [`get`] builds it again.
    pub fn discard(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(&self.manifest_path);
    }
}

/// The per-version cluster template in the cache, built with initdb the first time (or when
/// its manifest is missing).
pub fn get(binaries: &Binaries<'_>, run_as: Option<&RunAs>, work_base: &Path) -> Result<Template, Failure> {
    let cache = cache_dir().ok_or("cannot find a cache directory: set XDG_CACHE_HOME or HOME")?;
    // The bin dir is part of the key: two installs of one version may differ in defaults.
    let key = format!(
        "pg{}-w2s-{:08x}",
        binaries.version,
        fnv(binaries.dir.to_string_lossy().as_bytes()) as u32
    );
    let target = cache.join(&key);
    if cache.exists() {
        private_dir(&cache)?;
    }
    let manifest_path = cache.join(format!("{key}.sha256"));
    if target.join("PG_VERSION").is_file()
        && let Some(manifest) = read_manifest(&manifest_path)
    {
        return Ok(Template {
            dir: target,
            manifest,
            manifest_path,
        });
    }
    // A template without a manifest cannot be verified: build it again.
    let _ = std::fs::remove_dir_all(&target);
    create_cache_dir(&cache)?;
    let data = initdb(binaries, run_as, work_base)?;
    let staging = cache.join(format!("{key}.tmp-{}", fastrand::u64(..)));
    let staging_guard = cleanup::register(Task::Dir(staging.clone()));
    let manifest = copy_tree(&data.1, &staging, None, None)
        .map_err(|e| format!("cannot fill the cache `{}`: {e}", staging.display()))?;
    drop(data);
    let text: String = manifest.iter().map(|(p, h)| format!("{h} {p}\n")).collect();
    let manifest_tmp = cache.join(format!("{key}.sha256.tmp-{}", fastrand::u64(..)));
    sandbox::write_new(&manifest_tmp, &text, 0o600)
        .map_err(|e| format!("cannot write `{}`: {e}", manifest_tmp.display()))?;
    // Another migproof may have won the race; either way a complete template is there.
    if std::fs::rename(&staging, &target).is_ok() {
        staging_guard.disarm();
        let _ = std::fs::rename(&manifest_tmp, &manifest_path);
    } else {
        let _ = std::fs::remove_file(&manifest_tmp);
    }
    let manifest = read_manifest(&manifest_path).ok_or("the cluster template's manifest is missing")?;
    Ok(Template {
        dir: target,
        manifest,
        manifest_path,
    })
}

/// The cache directory, private to migproof's user (0700).
fn create_cache_dir(cache: &Path) -> Result<(), Failure> {
    private_dir(cache)
}

/// Creates `dir` (0700) when missing; `Err` when it is not a directory of this user's that
/// only they can write.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    match std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) => return Err(format!("cannot create the cache directory `{}`: {e}", dir.display())),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    if !meta.is_dir() || meta.uid() != uid {
        return Err(format!(
            "the cache directory `{}` is not a directory owned by this user (uid {uid}): refusing to use it (remove it, \
             or set XDG_CACHE_HOME, or pass --no-cache)",
            dir.display()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "the cache directory `{}` is writable by group or others (mode {:o}): refusing to use it (`chmod 700` it, \
             or pass --no-cache)",
            dir.display(),
            meta.mode() & 0o7777
        ));
    }
    Ok(())
}

pub fn read_manifest(path: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut m = Manifest::new();
    for line in text.lines() {
        let (hash, path) = line.split_once(' ')?;
        m.insert(path.to_string(), hash.to_string());
    }
    (!m.is_empty()).then_some(m)
}

/// Runs initdb (as the server user, isolated) in a run directory under `work_base`; returns
/// the run directory (removed when dropped) and the data directory.
fn initdb(binaries: &Binaries<'_>, run_as: Option<&RunAs>, work_base: &Path) -> Result<(WorkDir, PathBuf), Failure> {
    let run = sandbox::RunDir::create(work_base).map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let work = WorkDir {
        _guard: cleanup::register(Task::Dir(run.path.clone())),
        _run: run,
    };
    let dir = work._run.path.clone();
    let owner = run_as.map(|u| (u.uid, u.gid));
    let data = dir.join("data");
    sandbox::private_dir(&data, owner).map_err(|e| format!("cannot create `{}`: {e}", data.display()))?;
    // A throwaway password: each run sets its own before its server starts.
    let pwfile = dir.join("pwfile");
    sandbox::write_new(&pwfile, &sandbox::random_password(), 0o644).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(binaries.dir.join("initdb"));
    cmd.arg("-D")
        .arg(&data)
        .args(["--auth-local=scram-sha-256", "--auth-host=reject", "-U", "postgres"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .args(["-E", "UTF8", "--locale=C", "--no-sync"])
        // 1 MB WAL segments instead of 16 MB: the copy made for every run is 40% smaller.
        .arg("--wal-segsize=1")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (child, _) = sandbox::spawn(&mut cmd, run_as, &dir)
        .map_err(|e| format!("cannot run `{}`: {e}", binaries.dir.join("initdb").display()))?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // The `postgres` database is not needed (migproof administers from template1): dropping it
    // in single-user mode makes every per-run copy another 7 MB smaller.
    single_user(binaries, &data, run_as, "DROP DATABASE postgres")
        .map_err(|e| format!("preparing the cluster template failed: {e}"))?;
    Ok((work, data))
}

/// A temporary run directory, removed when dropped.
struct WorkDir {
    _guard: cleanup::Guard,
    _run: sandbox::RunDir,
}

/// Runs one statement in single-user mode on `data` (isolated, as the server user).
pub fn single_user(binaries: &Binaries<'_>, data: &Path, run_as: Option<&RunAs>, sql: &str) -> Result<(), String> {
    let dir = data.parent().unwrap_or(data);
    let mut cmd = Command::new(binaries.dir.join("postgres"));
    cmd.args(["--single", "-D"])
        .arg(data)
        .args(["-c", "fsync=off", "-c", "log_statement=none", "template1"])
        .current_dir(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let (mut child, _) = sandbox::spawn(&mut cmd, run_as, dir)
        .map_err(|e| format!("cannot run `{}`: {e}", binaries.dir.join("postgres").display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(sql.as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || stderr.contains("ERROR:") {
        return Err(stderr.trim().to_string());
    }
    Ok(())
}

/// Copies a directory tree (files, directories, symlinks; nothing else) into `to` (created
/// unless `to` exists and is empty), hashing every file; with `expect`, stops at the first file
/// that differs from it (`InvalidData`, naming the file). Entries are given to `owner` with
/// `lchown` (never following a link). Returns the manifest of what was copied.
pub fn copy_tree(
    from: &Path,
    to: &Path,
    owner: Option<(u32, u32)>,
    expect: Option<&Manifest>,
) -> std::io::Result<Manifest> {
    let mut manifest = Manifest::new();
    copy_into(from, to, Path::new(""), owner, expect, &mut manifest)?;
    if let Some(expect) = expect
        && let Some(missing) = expect.keys().find(|k| !manifest.contains_key(*k))
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("`{missing}` is missing"),
        ));
    }
    Ok(manifest)
}

fn copy_into(
    from: &Path,
    to: &Path,
    rel: &Path,
    owner: Option<(u32, u32)>,
    expect: Option<&Manifest>,
    manifest: &mut Manifest,
) -> std::io::Result<()> {
    match std::fs::create_dir(to) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && rel.as_os_str().is_empty() => {}
        Err(e) => return Err(e),
    }
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700))?;
    let changed = |name: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("`{name}` differs from when the template was made"),
        )
    };
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        let rel = rel.join(entry.file_name());
        let name = rel.to_string_lossy().into_owned();
        if kind.is_dir() {
            copy_into(&entry.path(), &dest, &rel, owner, expect, manifest)?;
            continue;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path())?;
            std::os::unix::fs::symlink(&link, &dest)?;
            manifest.insert(name.clone(), format!("->{}", link.display()));
        } else if kind.is_file() {
            let mut input = std::fs::File::open(entry.path())?;
            let mut output = sandbox::create_new(&dest, 0o600)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = input.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                output.write_all(&buf[..n])?;
            }
            let hash: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
            manifest.insert(name.clone(), hash);
        } else {
            return Err(changed(&name));
        }
        if let Some(expect) = expect
            && expect.get(&name) != manifest.get(&name)
        {
            return Err(changed(&name));
        }
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::lchown(&dest, Some(uid), Some(gid))?;
        }
    }
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::lchown(to, Some(uid), Some(gid))?;
    }
    Ok(())
}
