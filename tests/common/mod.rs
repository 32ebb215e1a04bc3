//! Helpers shared by the integration tests.

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
