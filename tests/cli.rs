//! Tests that run the built binary: exit codes, argument handling, output formats.

mod common;

use common::migproof;
use predicates::prelude::*;

/// A temporary directory holding the migration pair `001_a` with the given up and down text.
fn pair_dir(up: impl AsRef<[u8]>, down: impl AsRef<[u8]>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("001_a.up.sql"), up).unwrap();
    std::fs::write(dir.path().join("001_a.down.sql"), down).unwrap();
    dir
}

const CLEAN: &str = "fixtures/seeds/pass_memghost/migrations";
const BROKEN: &str = "fixtures/duplicate-version/fail_same_number";
const WARNS: &str = "fixtures/version-gap/fail_hole";

#[test]
fn clean_directory_exits_0() {
    migproof()
        .args(["check", CLEAN])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "checked 1 directory, 3 migrations (6 files): 0 errors, 0 warnings",
        ));
}

#[test]
fn error_findings_exit_1() {
    migproof()
        .args(["check", BROKEN])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("MC001 duplicate-version"));
}

#[test]
fn warnings_pass_unless_denied() {
    migproof().args(["check", WARNS]).assert().code(0);
    migproof().args(["check", "--deny-warnings", WARNS]).assert().code(1);
}

#[test]
fn missing_path_exits_2_and_names_it() {
    migproof()
        .args(["check", "no/such/dir"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("`no/such/dir` does not exist"));
}

#[test]
fn directory_without_migrations_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.md"), "hello").unwrap();
    migproof()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no migration directories found"));
}

#[test]
fn bad_arguments_exit_2() {
    migproof().args(["check", "--format", "yaml", CLEAN]).assert().code(2);
    migproof().args(["frobnicate"]).assert().code(2);
}

#[test]
fn a_file_path_checks_its_whole_directory_once() {
    let out = migproof()
        .args([
            "check",
            "--format",
            "json",
            "fixtures/duplicate-version/fail_same_number/055_create_users.up.sql",
            "fixtures/duplicate-version/fail_same_number/056_add_orders.down.sql",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["summary"]["directories"], 1);
    assert_eq!(report["sets"][0]["path"], "fixtures/duplicate-version/fail_same_number");
    // The duplicate involves files that were not passed: findings are about the directory.
    assert_eq!(
        report["findings"][0]["path"],
        "fixtures/duplicate-version/fail_same_number/056_add_orders.up.sql"
    );
}

#[test]
fn a_file_outside_migration_directories_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("query.sql");
    std::fs::write(&file, "select 1;").unwrap();
    migproof().arg("check").arg(&file).assert().code(0);
}

#[test]
fn json_has_the_documented_shape() {
    let out = migproof()
        .args(["check", "--format", "json", BROKEN])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["version"], 1);
    let f = &report["findings"][0];
    for key in [
        "code", "name", "severity", "path", "line", "column", "message", "related",
    ] {
        assert!(!f[key].is_null(), "finding lacks {key}: {f}");
    }
    assert_eq!(f["code"], "MC001");
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["related"][0]["path"],
        "fixtures/duplicate-version/fail_same_number/056_add_invoices.up.sql"
    );
    for key in ["directories", "migrations", "files", "errors", "warnings"] {
        assert!(report["summary"][key].is_u64(), "summary lacks {key}");
    }
}

#[test]
fn discovery_walks_the_current_directory() {
    // Run inside fixtures/seeds: five seed-shaped trees, found by walking, all clean.
    migproof()
        .current_dir("fixtures/seeds")
        .arg("check")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("checked 5 directories, 17 migrations"));
}

#[test]
fn discovery_skips_gitignored_target_and_node_modules() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["db", "target/db", "node_modules/pkg/db", "ignored/db"] {
        let d = dir.path().join(sub);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("001_a.up.sql"), "create table a (id int);").unwrap();
        std::fs::write(d.join("001_a.down.sql"), "drop table a;").unwrap();
    }
    std::fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
    migproof()
        .current_dir(dir.path())
        .args(["check", "--format", "json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"directories\": 1"))
        .stdout(predicate::str::contains("\"path\": \"db\""));
}

#[test]
fn unreadable_file_is_a_finding_not_a_crash() {
    // Permission bits do not stop root; as root this covers only the other unreadable cases.
    let dir = pair_dir("create table a (id int);", b"drop table \xff;");
    migproof()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("MC010 unreadable-file"))
        .stdout(predicate::str::contains("001_a.down.sql"));
}

#[test]
fn rules_lists_every_rule_and_rule_prints_docs() {
    let out = migproof().arg("rules").assert().code(0).get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    for entry in migproof::checks::REGISTRY {
        assert!(
            out.contains(entry.rule.code) && out.contains(entry.rule.name),
            "{}",
            entry.rule.code
        );
    }
    migproof()
        .args(["rule", "MC201"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("## What it does").and(predicate::str::contains("## How to fix")));
    migproof()
        .args(["rule", "MC999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule"));
}

#[test]
fn readme_documents_every_rule() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    for entry in migproof::checks::REGISTRY {
        let row = format!("| `{}` | `{}` |", entry.rule.code, entry.rule.name);
        assert!(readme.contains(&row), "README.md lacks the row starting {row}");
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let ci = std::fs::read_to_string(".ci/run").unwrap();
    let command = readme
        .lines()
        .skip_while(|l| !l.contains("Run all the tests"))
        .find(|l| l.starts_with("cargo "))
        .expect("README gives the test command");
    assert!(
        ci.lines()
            .any(|l| l.trim() == command.trim() || l.trim().starts_with(&format!("{} ", command.trim()))),
        ".ci/run does not run `{command}`"
    );
}

#[test]
fn a_million_open_brackets_is_a_finding_not_a_stack_overflow() {
    let deep = format!("select {}1{};", "(".repeat(1_000_000), ")".repeat(1_000_000));
    let dir = pair_dir(deep, "select 1;");
    migproof()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("brackets nest deeper than 10000 levels"));
}

/// Permission bits do not stop root, so as root the binary is run as `nobody` (through
/// `runuser`); as any other user it runs directly.
#[test]
fn permission_denied_is_a_finding_naming_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = pair_dir("create table a (id int);", "drop table a;");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let secret = dir.path().join("001_a.down.sql");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let Some(mut cmd) = common::migproof_unprivileged() else {
        return;
    };
    let out = cmd.arg("check").arg(dir.path()).env("NO_COLOR", "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("MC010 unreadable-file"), "{stdout}");
    assert!(
        stdout.contains("001_a.down.sql` cannot be read: permission denied"),
        "{stdout}"
    );
}

#[test]
fn format_of_overrides_and_rejects_unknown_names() {
    let dir = "fixtures/formats/goose/pass_basic";
    migproof()
        .args([
            "check",
            "-v",
            "--format",
            "json",
            "--format-of",
            &format!("{dir}=goose"),
            dir,
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"format\": \"goose\""))
        .stderr(predicate::str::contains("set by --format-of"));
    migproof()
        .args(["check", "--format-of", &format!("{dir}=liquibase"), dir])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown format `liquibase`")
                .and(predicate::str::contains(migproof::discover::format_names()))
                .and(predicate::str::contains("goose, dbmate")),
        );
    migproof()
        .args(["check", "--format-of", "no-equals-sign", dir])
        .assert()
        .code(2);
}

#[test]
fn verbose_says_why_a_format_won() {
    migproof()
        .args(["check", "-v", "fixtures/formats/goose/pass_basic"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("goose (").and(predicate::str::contains("preferred (score 30) over sqlx")));
}
