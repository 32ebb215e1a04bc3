//! Hostile inputs: each gives a clear finding or error that names the file, never a panic or
//! a hang. (Non-UTF-8 bytes, NUL bytes and a UTF-8 BOM have fixtures under `fixtures/`; a
//! million open brackets and permission-denied files are in tests/cli.rs.)

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::migproof;

fn write_pair(dir: &Path, name: &str, up: &str, down: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("{name}.up.sql")), up).unwrap();
    std::fs::write(dir.join(format!("{name}.down.sql")), down).unwrap();
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

#[test]
fn crlf_line_endings_keep_lines_and_columns_right() {
    let dir = tempfile::tempdir().unwrap();
    write_pair(
        dir.path(),
        "001_a",
        "create table a (\r\n  id int\r\n);\r\nalter table a delete column id;\r\n",
        "drop table a;\r\n",
    );
    let out = migproof()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let f = &report["findings"][0];
    assert_eq!(f["code"], "MC201");
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(4), Some(15)), "{f}");
}

#[test]
fn a_100_mb_file_is_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    write_pair(dir.path(), "001_a", "create table a (id int);", "drop table a;");
    // Sparse: 100 MB of zeros without writing them.
    let big = std::fs::File::create(dir.path().join("002_big.up.sql")).unwrap();
    big.set_len(100 << 20).unwrap();
    std::fs::write(dir.path().join("002_big.down.sql"), "select 1;").unwrap();
    let out = migproof()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let f = &report["findings"][0];
    assert_eq!(
        (
            f["code"].as_str(),
            f["path"].as_str().unwrap().ends_with("002_big.up.sql")
        ),
        (Some("MC010"), true)
    );
    assert!(
        f["message"].as_str().unwrap().contains("over the 33554432-byte limit"),
        "{f}"
    );
    assert!(f["help"].as_str().unwrap().contains("--max-file-size"), "{f}");
    // Raised above its size, the file is read: 100 MB of NUL bytes is a finding too.
    migproof()
        .args(["check", "--max-file-size", "200M"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicates::str::contains("contains a NUL byte at offset 0"));
    migproof()
        .args(["check", "--max-file-size", "lots"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("expected a size"));
}

#[test]
fn symlink_loops_are_findings_and_walks_end() {
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("db");
    write_pair(&db, "001_a", "create table a (id int);", "drop table a;");
    // A migration that is a link to itself, and a directory link back up the tree.
    std::os::unix::fs::symlink("002_loop.up.sql", db.join("002_loop.up.sql")).unwrap();
    std::fs::write(db.join("002_loop.down.sql"), "select 1;").unwrap();
    std::os::unix::fs::symlink("..", db.join("up")).unwrap();
    let out = migproof()
        .args(["check", "--format", "json"])
        .current_dir(root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["directories"], 1, "the link back up is not followed");
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "MC010")
        .expect("MC010");
    assert_eq!(f["path"], "db/002_loop.up.sql");
    assert!(f["message"].as_str().unwrap().contains("symlink loop"), "{f}");
}

#[test]
fn a_migration_linked_from_outside_the_repository_is_checked_like_the_runner_sees_it() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("shared.sql"), "alter table a delete column id;").unwrap();
    let repo = tempfile::tempdir().unwrap();
    write_pair(repo.path(), "001_a", "create table a (id int);", "drop table a;");
    std::os::unix::fs::symlink(outside.path().join("shared.sql"), repo.path().join("002_b.up.sql")).unwrap();
    std::fs::write(repo.path().join("002_b.down.sql"), "select 1;").unwrap();
    let out = migproof()
        .args(["check", "--format", "json"])
        .arg(repo.path())
        .output()
        .unwrap();
    let report = json(&out);
    let f = &report["findings"][0];
    assert_eq!(f["code"], "MC201", "{report}");
    assert!(
        f["path"].as_str().unwrap().ends_with("002_b.up.sql"),
        "named by the link: {f}"
    );
}

#[test]
fn an_empty_directory_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty migrations");
    std::fs::create_dir(&empty).unwrap();
    migproof()
        .arg("check")
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no migration directories found in"))
        .stderr(predicates::str::contains("empty migrations"));
}

#[test]
fn paths_with_spaces_and_non_ascii_characters() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("db/mïgrations für Ünïcode");
    write_pair(&dir, "001_café crème", "create table a (id int);", "drop table a;");
    write_pair(&dir, "001_ümlaut", "create table b (id int);", "drop table b;");
    // The project names its runner, so the duplicate is an error (see `runner-assumed`).
    std::fs::create_dir_all(root.path().join(".git")).unwrap();
    std::fs::write(
        root.path().join("go.mod"),
        "module x\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n",
    )
    .unwrap();
    let out = migproof()
        .args(["check", "--format", "json"])
        .current_dir(root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["sets"][0]["path"], "db/mïgrations für Ünïcode");
    let f = &report["findings"][0];
    assert_eq!(f["code"], "MC001");
    assert_eq!(f["path"], "db/mïgrations für Ünïcode/001_ümlaut.up.sql");
}

/// A directory on a RAM file system when there is one: creating 50,000 files on a disk is
/// slow on some machines, and the point here is migproof, not the disk.
fn scratch_dir() -> tempfile::TempDir {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(&shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

#[test]
fn fifty_thousand_files_in_one_directory() {
    let dir = scratch_dir();
    for i in 1..=25_000 {
        write_pair(
            dir.path(),
            &format!("{i:06}_t{i}"),
            &format!("create table t{i} (id int);"),
            &format!("drop table t{i};"),
        );
    }
    let out = migproof()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    assert_eq!(report["summary"]["migrations"], 25_000);
    assert_eq!(report["summary"]["files"], 50_000);
}

/// Permission bits do not stop root: as root the binary runs as `nobody` (when that user can
/// reach it); the test is skipped with the reason otherwise.
#[test]
fn an_unreadable_directory_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    write_pair(
        &root.path().join("db"),
        "001_a",
        "create table a (id int);",
        "drop table a;",
    );
    let secret = root.path().join("secret");
    write_pair(&secret, "001_b", "create table b (id int);", "drop table b;");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let Some(mut cmd) = common::migproof_unprivileged() else {
        return;
    };
    let out = cmd.arg("check").current_dir(root.path()).output().unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("secret"), "{stderr}");
}
