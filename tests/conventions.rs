//! Command-line conventions users expect: broken pipes, colour, completions and the manual,
//! rule selection, standard input, exit codes in `--help`, `--verbose`, JSON end positions, and
//! the limiting of findings to the files given (as pre-commit passes them).

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use assert_cmd::Command;
use predicates::prelude::*;

fn migproof() -> Command {
    let mut cmd = Command::cargo_bin("migproof").unwrap();
    cmd.env_remove("GITHUB_ACTIONS")
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR");
    cmd
}

const SYNTAX: &str = "fixtures/syntax-error/fail_real_mistakes";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A directory with old problems (a syntax error in 001, version 002 taken twice) and a clean
/// new migration 003.
fn legacy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    // The project names its runner, so its rules give errors (not guesses from file names).
    write(
        p,
        "go.mod",
        "module example.com/app\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n",
    );
    write(p, "db/001_users.up.sql", "CREATE TABLE users (id int,);\n");
    write(p, "db/001_users.down.sql", "DROP TABLE users;\n");
    for name in ["orders", "invoices"] {
        write(
            p,
            &format!("db/002_{name}.up.sql"),
            &format!("CREATE TABLE {name} (id int);\n"),
        );
        write(p, &format!("db/002_{name}.down.sql"), &format!("DROP TABLE {name};\n"));
    }
    write(p, "db/003_teams.up.sql", "CREATE TABLE teams (id int);\n");
    write(p, "db/003_teams.down.sql", "DROP TABLE teams;\n");
    dir
}

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap()
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["code"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect()
}

#[test]
fn a_broken_pipe_exits_quietly_with_0() {
    // Enough failing migrations for a report far larger than a pipe's buffer.
    let dir = tempfile::tempdir().unwrap();
    for i in 1..=400 {
        write(dir.path(), &format!("{i:04}_t.up.sql"), "CREATE TABLE t (id int,);\n");
        write(dir.path(), &format!("{i:04}_t.down.sql"), "DROP TABLE t;\n");
    }
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("migproof"))
        .args(["check", "--color", "never"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then hang up, like `| head -1`.
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn color_follows_the_flag_then_force_color_then_no_color() {
    let ansi = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stdout).contains('\u{1b}')
    };
    // stdout is a pipe here: `auto` means no colour unless FORCE_COLOR says so.
    assert!(!ansi(migproof().args(["check", SYNTAX])));
    assert!(ansi(migproof().args(["check", "--color", "always", SYNTAX])));
    assert!(ansi(migproof().args(["check", SYNTAX]).env("FORCE_COLOR", "1")));
    assert!(!ansi(migproof().args(["check", SYNTAX]).env("FORCE_COLOR", "0")));
    assert!(!ansi(
        migproof()
            .args(["check", "--color", "never", SYNTAX])
            .env("FORCE_COLOR", "1")
    ));
    assert!(ansi(
        migproof()
            .args(["check", "--color", "always", SYNTAX])
            .env("NO_COLOR", "1")
    ));
    assert!(!ansi(migproof().args(["check", SYNTAX]).env("NO_COLOR", "1")));
}

#[test]
fn completions_and_the_manual_come_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        migproof()
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("stdin-filename"));
    }
    migproof().args(["completions", "tcsh"]).assert().code(2);
    migproof()
        .arg("man")
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(".ie").and(predicate::str::contains(".TH migproof 1")))
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn help_states_the_exit_codes() {
    for args in [&["--help"][..], &["check", "--help"][..]] {
        migproof()
            .args(args)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("Exit codes:").and(predicate::str::contains("2  migproof could not")));
    }
}

#[test]
fn select_and_ignore_take_codes_or_names() {
    let count = |args: &[&str]| {
        let out = migproof()
            .args(["check", "--format", "json"])
            .args(args)
            .arg(SYNTAX)
            .output()
            .unwrap();
        json(&out.stdout)["summary"]["errors"].as_u64().unwrap()
    };
    assert_eq!(count(&[]), 3);
    assert_eq!(count(&["--ignore", "MC201"]), 0);
    assert_eq!(count(&["--ignore", "syntax-error"]), 0);
    assert_eq!(count(&["--select", "missing-down,MC001"]), 0);
    assert_eq!(count(&["--select", "syntax-error"]), 3);
    assert_eq!(count(&["--select", "MC201", "--ignore", "MC201"]), 0);
    migproof()
        .args(["check", "--select", "no-such-rule", SYNTAX])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule `no-such-rule`"));
}

#[test]
fn stdin_is_checked_as_the_named_file_in_its_directory() {
    let dir = legacy();
    let db = dir.path().join("db");
    // A new file that exists only on standard input, in the directory's format.
    let out = migproof()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "-", "--stdin-filename", "db/004_x.up.sql"])
        .write_stdin("CREATE TABLE x (id int;\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out.stdout);
    let found = codes(&report);
    assert!(found.contains(&"MC201 db/004_x.up.sql".to_string()), "{found:?}");
    assert_eq!(report["sets"][0]["format"], "golang-migrate");
    // Standard input replaces the file on disk: the fixed text is clean.
    assert!(!db.join("004_x.up.sql").exists());
    migproof()
        .current_dir(dir.path())
        .args(["check", "-", "--stdin-filename", "db/001_users.up.sql"])
        .write_stdin("CREATE TABLE users (id int);\n")
        .assert()
        .stdout(predicate::str::contains("MC201").not());
    // `-` and --stdin-filename go together.
    migproof()
        .args(["check", "-"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--stdin-filename"));
}

#[test]
fn verbose_names_the_configuration_file() {
    let dir = legacy();
    migproof()
        .current_dir(dir.path())
        .args(["check", "--verbose", "db"])
        .assert()
        .stderr(predicate::str::contains("configuration: none"));
    write(dir.path(), "migproof.toml", "[checks]\nMC001 = \"warning\"\n");
    let file = std::fs::canonicalize(dir.path().join("migproof.toml")).unwrap();
    migproof()
        .current_dir(dir.path().join("db"))
        .args(["check", "--verbose", "."])
        .assert()
        .stderr(predicate::str::contains(format!("configuration: {}", file.display())));
}

#[test]
fn json_findings_carry_their_end() {
    let out = migproof().args(["check", "--format", "json", SYNTAX]).output().unwrap();
    let report = json(&out.stdout);
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let start = (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap());
        let end = (f["end_line"].as_u64().unwrap(), f["end_column"].as_u64().unwrap());
        assert!(end >= start, "{f}");
    }
    assert!(findings.iter().any(|f| f["end_column"] != f["column"]), "{findings:?}");
}

#[test]
fn given_files_show_only_the_findings_that_involve_them() {
    let dir = legacy();
    let run = |args: &[&str]| {
        migproof()
            .current_dir(dir.path())
            .arg("check")
            .args(args)
            .output()
            .unwrap()
    };

    // A clean new migration next to old problems: exit 0, the old ones counted in one line.
    let out = run(&["db/003_teams.up.sql", "db/003_teams.down.sql"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("0 errors"), "{text}");
    assert!(
        text.contains(
            "Not shown: 2 errors in files not given, elsewhere in these directories (pre-existing; --all shows them)"
        ),
        "{text}"
    );
    let out = run(&["--format", "json", "db/003_teams.up.sql"]);
    assert_eq!(json(&out.stdout)["summary"]["not_shown"], 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Not shown: 2 errors"));

    // --all shows everything.
    let out = run(&["--all", "--format", "json", "db/003_teams.up.sql"]);
    assert_eq!(out.status.code(), Some(1));
    let all = codes(&json(&out.stdout));
    assert!(
        all.contains(&"MC001 db/002_orders.up.sql".to_string()) || all.iter().any(|c| c.starts_with("MC001")),
        "{all:?}"
    );
    assert!(all.contains(&"MC201 db/001_users.up.sql".to_string()), "{all:?}");

    // A down file stands for its migration: its version clash is shown.
    let out = run(&["--format", "json", "db/002_invoices.down.sql"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        codes(&json(&out.stdout))
            .iter()
            .filter(|c| c.starts_with("MC001"))
            .count(),
        1
    );

    // A new file that takes an old version: the set-level finding involves it.
    write(dir.path(), "db/001_teams.up.sql", "CREATE TABLE t (id int);\n");
    write(dir.path(), "db/001_teams.down.sql", "DROP TABLE t;\n");
    let out = run(&["--format", "json", "db/001_teams.up.sql", "db/001_teams.down.sql"]);
    assert_eq!(out.status.code(), Some(1));
    let found = codes(&json(&out.stdout));
    assert!(found.iter().any(|c| c.starts_with("MC001")), "{found:?}");
    // ... but not the old syntax error of 001_users.
    assert!(!found.iter().any(|c| c.starts_with("MC201")), "{found:?}");

    // A directory given is given whole.
    let out = run(&["--format", "json", "db"]);
    assert!(json(&out.stdout)["summary"].get("not_shown").is_none());
}
