//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
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
