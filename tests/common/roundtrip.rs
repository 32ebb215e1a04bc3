//! Helpers for the tests that run `--roundtrip` on a real throwaway server.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use migproof::roundtrip::server;

/// The built migproof binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_migproof");

/// The server binaries to round-trip on, or `None` after [`super::skip`] (a failure under
/// `CI=true`).
pub fn binaries() -> Option<server::Binaries> {
    match server::find_binaries(None) {
        Ok(b) => Some(b),
        Err(e) => {
            super::skip(&format!("no PostgreSQL server to round-trip on: {e}"));
            None
        }
    }
}

/// A work directory with `tmp/` (the TMPDIR given to migproof, reachable by the server user
/// when migproof runs as root) for migrations and files.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777)).unwrap();
        Sandbox { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// Writes `text` to `rel` (directories created); its path.
    pub fn file(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Writes golang-migrate files `name.up.sql` / `name.down.sql` into `dir` (created).
    pub fn migration(&self, dir: &str, name: &str, up: &str, down: &str) -> PathBuf {
        let d = self.dir.path().join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("{name}.up.sql")), up).unwrap();
        std::fs::write(d.join(format!("{name}.down.sql")), down).unwrap();
        d
    }

    /// What a run left in `tmp/`.
    pub fn left_in_tmp(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.tmp())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect()
    }

    /// `migproof check --roundtrip ARGS` with TMPDIR in the sandbox and no URL, server path
    /// or GitHub Actions from the environment.
    pub fn migproof(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(["check", "--roundtrip"])
            .args(args)
            .env("TMPDIR", self.tmp())
            .env_remove("MIGPROOF_DATABASE_URL")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("PG_BIN")
            .env("MIGPROOF_NO_CACHE", "1");
        cmd
    }
}

/// A run's exit code, stdout and stderr, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A run's JSON report, or a panic showing the run.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

/// Waits for `child` to exit, at most `limit` (then kills it and fails: it hangs).
pub fn wait_for(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("migproof did not exit within {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
