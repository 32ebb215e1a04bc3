//! `migproof.toml`: discovery by walking up, `--config`, every setting, and its errors.

use std::path::Path;

mod common;

use common::migproof_in as migproof;
use predicates::prelude::*;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// `db/` has a version gap (MC004 warning); `legacy/` has a missing down (MC101, a warning:
/// golang-migrate's downs are optional).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for v in ["001", "003"] {
        write(root, &format!("db/{v}_a.up.sql"), "SELECT 1;\n");
        write(root, &format!("db/{v}_a.down.sql"), "SELECT 1;\n");
    }
    write(root, "legacy/001_old.up.sql", "SELECT 1;\n");
    write(root, "legacy/001_old.down.sql", "SELECT 1;\n");
    write(root, "legacy/002_old.up.sql", "SELECT 1;\n");
    dir
}

fn codes(dir: &Path, args: &[&str]) -> Vec<String> {
    let out = migproof(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["code"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn without_a_config_everything_is_reported() {
    let p = project();
    assert_eq!(
        codes(p.path(), &[]),
        ["MC004 warning db/003_a.up.sql", "MC101 warning legacy/002_old.up.sql"]
    );
}

#[test]
fn found_by_walking_up_with_levels_and_off() {
    let p = project();
    write(
        p.path(),
        "migproof.toml",
        "[checks]\nversion-gap = \"error\"\nMC101 = \"off\"\n",
    );
    assert_eq!(codes(p.path(), &[]), ["MC004 error db/003_a.up.sql"]);
    // From a subdirectory the same file is found; paths stay relative to where we are.
    assert_eq!(codes(&p.path().join("db"), &["."]), ["MC004 error 003_a.up.sql"]);
    // A directive for a check that is off is not reported as unused.
    write(
        p.path(),
        "legacy/002_old.up.sql",
        "-- migproof:ignore-file MC101\nSELECT 1;\n",
    );
    assert_eq!(codes(p.path(), &[]), ["MC004 error db/003_a.up.sql"]);
}

#[test]
fn ignore_globs_skip_directories_and_files() {
    let p = project();
    write(p.path(), "migproof.toml", "ignore = [\"legacy/**\", \"db/003_*\"]\n");
    assert!(codes(p.path(), &[]).is_empty());
    // Relative to the configuration file, wherever migproof runs.
    assert!(codes(&p.path().join("db"), &["."]).is_empty());
}

#[test]
fn directories_with_a_format_override_and_cli_paths_win() {
    let p = project();
    write(
        p.path(),
        "config/migproof.toml",
        "[[directories]]\npath = \"../db\"\nformat = \"sqlx\"\n",
    );
    let out = migproof(p.path())
        .args([
            "check",
            "--verbose",
            "--format",
            "json",
            "--config",
            "config/migproof.toml",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sets"][0]["path"], "db");
    assert_eq!(report["sets"][0]["format"], "sqlx");
    assert_eq!(report["sets"].as_array().unwrap().len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("db: sqlx (set in config/migproof.toml)"));
    // Paths on the command line replace the configured directories.
    let found = codes(p.path(), &["--config", "config/migproof.toml", "legacy"]);
    assert_eq!(found, ["MC101 warning legacy/002_old.up.sql"]);
}

/// `--format-of` wins over a configured format, and `--verbose` says where the format came from.
#[test]
fn format_of_wins_over_the_configured_format() {
    let p = project();
    write(
        p.path(),
        "migproof.toml",
        "[[directories]]\npath = \"db\"\nformat = \"sqlx\"\n",
    );
    let out = migproof(p.path())
        .args([
            "check",
            "--verbose",
            "--format",
            "json",
            "--format-of",
            "db=golang-migrate",
            "db",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sets"][0]["format"], "golang-migrate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("db: golang-migrate (set by --format-of"), "{stderr}");
    assert!(!stderr.contains("set in migproof.toml"), "{stderr}");
}

#[test]
fn an_unknown_key_is_exit_2_naming_the_key_and_the_file() {
    let p = project();
    write(
        p.path(),
        "migproof.toml",
        "[checks]\nMC004 = \"off\"\n\n[roundtrip]\ntimeout = 30\n",
    );
    let out = migproof(p.path())
        .arg("check")
        .assert()
        .code(2)
        .stdout("")
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let root = std::fs::canonicalize(p.path()).unwrap();
    let stderr = stderr.replace(&root.display().to_string(), "[ROOT]");
    assert!(stderr.contains("unknown key `timeout`"), "{stderr}");
    insta::assert_snapshot!("unknown_key", stderr);
}

#[test]
fn other_config_errors_are_exit_2() {
    let p = project();
    for (text, expected) in [
        ("[checks]\nMC999 = \"off\"\n", "unknown check `MC999`"),
        ("[checks]\nMC004 = \"silent\"\n", "unknown variant `silent`"),
        (
            "[[directories]]\npath = \"db\"\nformat = \"liquibase\"\n",
            "unknown format `liquibase`",
        ),
        ("ignore = [\"[\"]\n", "ignore glob `[` is invalid"),
        ("ignore = \n", "migproof.toml`:1"),
        ("[[directories]]\npath = \"nope\"\n", "`nope` does not exist"),
    ] {
        write(p.path(), "migproof.toml", text);
        migproof(p.path())
            .arg("check")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
    }
    migproof(p.path())
        .args(["check", "--config", "missing.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read the configuration `missing.toml`"));
}
