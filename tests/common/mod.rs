//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod roundtrip;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Whether this is a CI run (`CI=true`), where every prerequisite must be there.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The calling test cannot run for want of `why`: under `CI=true` this fails the test; otherwise
/// it prints `skipped: <crate>::<test>: <why>` and the caller returns. The line is written
/// straight to stderr, past the test harness's capture, so it shows in `cargo test` output and
/// `.ci/run` counts it as skipped (and not as passed). Call it once per test.
pub fn skip(why: &str) {
    let thread = std::thread::current();
    let test = format!("{}::{}", env!("CARGO_CRATE_NAME"), thread.name().unwrap_or("?"));
    if in_ci() {
        panic!("CI=true and {test} cannot run: {why}");
    }
    let line = format!("skipped: {test}: {}\n", why.replace('\n', " "));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Whether a command is on PATH and answers `--version`.
pub fn has_command(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A command that runs the built migproof as an unprivileged user: as root (permission bits do
/// not stop root) through `runuser -u nobody`, otherwise directly. When `nobody` cannot reach
/// the binary where cargo built it (a checkout under `/root`), a copy in a world-readable
/// temporary directory is used. `None`, after [`skip`], when even that cannot run.
pub fn migproof_unprivileged() -> Option<Command> {
    let binary = assert_cmd::cargo::cargo_bin("migproof");
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout == b"0\n");
    if !is_root {
        return Some(Command::new(&binary));
    }
    let runs = |b: &PathBuf| {
        Command::new("runuser")
            .args(["-u", "nobody", "--"])
            .arg(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let usable = if runs(&binary) {
        Some(binary.clone())
    } else {
        reachable_copy(&binary).filter(runs)
    };
    let Some(usable) = usable else {
        skip(&format!(
            "running as root and user nobody cannot run {} (nor a copy of it in the temporary directory)",
            binary.display()
        ));
        return None;
    };
    let mut c = Command::new("runuser");
    c.args(["-u", "nobody", "--"]).arg(usable);
    Some(c)
}

/// The built migproof, with the report uncoloured and not inside GitHub Actions.
#[allow(dead_code)]
pub fn migproof() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("migproof").unwrap();
    // The schema cache is per user and outlives a run: tests of it set their own cache.
    cmd.env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1")
        .env("MIGPROOF_NO_CACHE", "1");
    cmd
}

/// [`migproof`] run in `dir`.
#[allow(dead_code)]
pub fn migproof_in(dir: &Path) -> assert_cmd::Command {
    let mut cmd = migproof();
    cmd.current_dir(dir);
    cmd
}

/// Runs git in `dir` with a fixed identity and no user or system configuration; its stdout.
/// Panics with git's message when it fails.
#[allow(dead_code)]
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Fixture", "-c", "user.email=fixture@example.com"])
        .args(["-c", "commit.gpgsign=false", "-c", "protocol.file.allow=always"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `../shared/corpus` (or `MIGPROOF_CORPUS`), the real repositories the tests assert against.
/// `None`, after printing a skip line, when it is absent; under `CI=true` its absence fails the
/// test instead.
#[allow(dead_code)]
pub fn corpus_root() -> Option<std::path::PathBuf> {
    let p = std::env::var_os("MIGPROOF_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("../shared/corpus"));
    if p.is_dir() {
        return Some(p);
    }
    skip(&format!("{} is absent", p.display()));
    None
}

/// Every error finding of an outcome as `CODE file-name`, sorted.
#[allow(dead_code)]
pub fn error_findings(outcome: &migproof::Outcome) -> Vec<String> {
    let mut out: Vec<String> = outcome
        .findings
        .iter()
        .filter(|f| f.severity == migproof::checks::Severity::Error)
        .map(|f| format!("{} {}", f.rule.code, f.location.path.rsplit('/').next().unwrap_or("")))
        .collect();
    out.sort();
    out
}

/// One copy per test process of `binary` in a fresh world-readable directory under the
/// temporary directory (a hard link when possible).
fn reachable_copy(binary: &PathBuf) -> Option<PathBuf> {
    static COPY: OnceLock<Option<PathBuf>> = OnceLock::new();
    COPY.get_or_init(|| {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new().prefix("migproof-bin-").tempdir().ok()?.keep();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).ok()?;
        let copy = dir.join("migproof");
        if std::fs::hard_link(binary, &copy).is_err() {
            std::fs::copy(binary, &copy).ok()?;
        }
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).ok()?;
        Some(copy)
    })
    .clone()
}

/// Prints `note: <text>` past the test harness's capture (a measured figure worth seeing in
/// every run).
pub fn note(text: &str) {
    let _ = std::io::stderr().lock().write_all(format!("note: {text}\n").as_bytes());
}
