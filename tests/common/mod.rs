//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::Command;

/// A command that runs the built migproof as an unprivileged user: as root (permission bits do
/// not stop root) through `runuser -u nobody`, otherwise directly. `None`, after printing why,
/// when running as root and `nobody` cannot run the binary (the checkout may sit where `nobody`
/// cannot reach it), so the calling test can skip.
#[allow(dead_code)]
pub fn migproof_unprivileged() -> Option<Command> {
    let binary = assert_cmd::cargo::cargo_bin("migproof");
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout == b"0\n");
    if !is_root {
        return Some(Command::new(&binary));
    }
    let probe = Command::new("runuser")
        .args(["-u", "nobody", "--"])
        .arg(&binary)
        .arg("--version")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "skipped: running as root and user nobody cannot run {}",
            binary.display()
        );
        return None;
    }
    let mut c = Command::new("runuser");
    c.args(["-u", "nobody", "--"]).arg(&binary);
    Some(c)
}

/// The built migproof, with the report uncoloured and not inside GitHub Actions.
#[allow(dead_code)]
pub fn migproof() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("migproof").unwrap();
    cmd.env_remove("GITHUB_ACTIONS").env("NO_COLOR", "1");
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
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("../shared/corpus is absent, and CI=true requires it");
    }
    eprintln!("skipped: ../shared/corpus is absent");
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
