//! `check --base REF`: fixture git repositories built in temporary directories (commits on two
//! branches), checked by the built binary. These cover the git-aware rules MC050–MC052, which
//! cannot have committed fixture folders (see `fixtures/<rule-name>/README.md`).

use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

/// A throwaway repository with `db/` as its migration directory.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

pub fn git_in(dir: &Path, args: &[&str]) -> String {
    common::git(dir, args)
}

impl Repo {
    /// A repository on branch `main` with migrations 001 and 002 committed.
    pub fn with_two_migrations() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.write("db/001_create_users.up.sql", "CREATE TABLE users (id int);\n");
        repo.write("db/001_create_users.down.sql", "DROP TABLE users;\n");
        repo.write(
            "db/002_add_email.up.sql",
            "ALTER TABLE users\n  ADD COLUMN email text;\nCREATE INDEX users_email ON users (email);\n",
        );
        repo.write("db/002_add_email.down.sql", "ALTER TABLE users DROP COLUMN email;\n");
        repo.commit("two migrations");
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }

    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// `migproof check --base REF db` in the repository (plus `extra` arguments).
    pub fn check(&self, base: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
        self.run(self.path(), base, extra)
    }

    pub fn run(&self, dir: &Path, base: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
        let mut cmd = Command::cargo_bin("migproof").unwrap();
        cmd.env_remove("GITHUB_ACTIONS")
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .current_dir(dir)
            .args(["check", "--base", base])
            .args(extra)
            .arg("db")
            .assert()
    }
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

/// `code: message` of every finding of a JSON report (messages are not wrapped there).
fn messages(assert: &assert_cmd::assert::Assert) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(&stdout(assert)).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}: {}", f["code"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect()
}

#[test]
fn an_unchanged_directory_is_clean() {
    let repo = Repo::with_two_migrations();
    let a = repo.check("main", &[]).code(0);
    assert!(stdout(&a).contains("0 errors, 0 warnings"), "{}", stdout(&a));
}

#[test]
fn mc050_edited_migration_points_at_the_first_changed_line() {
    let repo = Repo::with_two_migrations();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "db/002_add_email.up.sql",
        "ALTER TABLE users\n  ADD COLUMN email text NOT NULL;\nCREATE INDEX users_email ON users (email);\n",
    );
    repo.commit("edit an applied migration");
    let a = repo.check("main", &[]).code(1);
    let out = stdout(&a);
    assert!(out.contains("MC050 edited-applied-migration"), "{out}");
    assert!(out.contains("db/002_add_email.up.sql:2:1"), "{out}");
    insta::assert_snapshot!("mc050_edited", out);
}

#[test]
fn mc050_crlf_churn_is_not_an_edit() {
    let repo = Repo::with_two_migrations();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "db/002_add_email.up.sql",
        "ALTER TABLE users\r\n  ADD COLUMN email text;\r\nCREATE INDEX users_email ON users (email);\r\n",
    );
    repo.write("db/001_create_users.down.sql", "DROP TABLE users;\r\n");
    repo.commit("line endings");
    let a = repo.check("main", &[]).code(0);
    assert!(!stdout(&a).contains("MC050"), "{}", stdout(&a));
}

#[test]
fn mc050_uncommitted_edits_count_too() {
    // pre-commit runs before the commit: the work tree is what is compared.
    let repo = Repo::with_two_migrations();
    repo.write("db/001_create_users.down.sql", "DROP TABLE IF EXISTS users;\n");
    let a = repo.check("HEAD", &["--format", "json"]).code(1);
    let report: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(report["findings"][0]["code"], "MC050");
    assert_eq!(report["findings"][0]["path"], "db/001_create_users.down.sql");
    assert_eq!(report["findings"][0]["line"], 1);
}

#[test]
fn mc051_deleted_and_renamed_migrations() {
    let repo = Repo::with_two_migrations();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.remove("db/001_create_users.down.sql");
    let up = std::fs::read_to_string(repo.path().join("db/002_add_email.up.sql")).unwrap();
    let down = std::fs::read_to_string(repo.path().join("db/002_add_email.down.sql")).unwrap();
    repo.remove("db/002_add_email.up.sql");
    repo.remove("db/002_add_email.down.sql");
    repo.write("db/003_add_email.up.sql", &up);
    repo.write("db/003_add_email.down.sql", &down);
    repo.commit("delete and rename");
    let found = messages(&repo.check("main", &["--format", "json"]).code(1));
    assert!(
        found.contains(&"MC051: `001_create_users.down.sql` exists at `main` but was deleted".to_string()),
        "{found:#?}"
    );
    assert!(
        found.contains(
            &"MC051: `002_add_email.up.sql` exists at `main` but was renamed to `003_add_email.up.sql`".to_string()
        ),
        "{found:#?}"
    );
    let a = repo.check("main", &[]).code(1);
    insta::assert_snapshot!("mc051_deleted_renamed", stdout(&a));
}

/// main and feature both add a migration after 002; main's is merged first.
fn two_branches_take_the_same_number() -> Repo {
    let repo = Repo::with_two_migrations();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("db/003_add_orders.up.sql", "CREATE TABLE orders (id int);\n");
    repo.write("db/003_add_orders.down.sql", "DROP TABLE orders;\n");
    repo.write(
        "db/004_add_order_index.up.sql",
        "CREATE INDEX orders_id ON orders (id);\n",
    );
    repo.write("db/004_add_order_index.down.sql", "DROP INDEX orders_id;\n");
    repo.commit("feature: orders");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("db/003_add_invoices.up.sql", "CREATE TABLE invoices (id int);\n");
    repo.write("db/003_add_invoices.down.sql", "DROP TABLE invoices;\n");
    repo.commit("main: invoices");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "--no-edit", "main"]);
    repo
}

#[test]
fn mc052_out_of_order_names_the_highest_version_and_the_next_free_one() {
    let repo = two_branches_take_the_same_number();
    let found = messages(&repo.check("main", &["--format", "json"]).code(1));
    let mc052: Vec<&String> = found.iter().filter(|m| m.starts_with("MC052")).collect();
    // 004 is above main's highest version: it is not out of order.
    assert_eq!(
        mc052,
        [
            "MC052: `003_add_orders.up.sql` was added since `main` with version 003, but the highest version at `main` is 003: a database already at 003 silently skips it"
        ],
        "{found:#?}"
    );
    // The offline duplicate-version finding involves a new file, so it is kept.
    assert!(found.iter().any(|m| m.starts_with("MC001")), "{found:#?}");
    let a = repo.check("main", &[]).code(1);
    let out = stdout(&a);
    assert!(out.contains("give it version 004"), "{out}");
    insta::assert_snapshot!("mc052_out_of_order", out);
}

#[test]
fn old_debt_is_limited_unless_all() {
    let repo = Repo::with_two_migrations();
    // Old debt on main: a migration without a down.
    repo.write("db/003_old_debt.up.sql", "CREATE TABLE debt (id int);\n");
    repo.commit("debt");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("db/004_new.up.sql", "CREATE TABLE new_one (id int);\n");
    repo.write("db/004_new.down.sql", "DROP TABLE new_one;\n");
    repo.commit("clean new migration");
    let a = repo.check("main", &[]).code(0);
    assert!(!stdout(&a).contains("MC101"), "{}", stdout(&a));
    // (A missing down is a warning: golang-migrate runs an up without its down.)
    let a = repo.check("main", &["--all"]).code(0);
    assert!(stdout(&a).contains("MC101 missing-down"), "{}", stdout(&a));
    // Without --base, everything is reported as before.
    Command::cargo_bin("migproof")
        .unwrap()
        .current_dir(repo.path())
        .args(["check", "db"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("MC101"));
    // A new problem in a new file is reported.
    repo.write("db/005_broken.up.sql", "CREATE TABLE broken (id int;\n");
    repo.write("db/005_broken.down.sql", "DROP TABLE broken;\n");
    let a = repo.check("main", &[]).code(1);
    let out = stdout(&a);
    assert!(out.contains("MC201 syntax-error") && !out.contains("MC101"), "{out}");
}

#[test]
fn a_directory_that_is_new_since_the_base_has_no_git_findings() {
    let repo = Repo::with_two_migrations();
    repo.write("other/001_a.up.sql", "SELECT 1;\n");
    repo.write("other/001_a.down.sql", "SELECT 1;\n");
    Command::cargo_bin("migproof")
        .unwrap()
        .current_dir(repo.path())
        .args(["check", "--base", "main", "other"])
        .assert()
        .code(0);
}

#[test]
fn missing_ref_is_exit_2_with_a_clear_message() {
    let repo = Repo::with_two_migrations();
    repo.check("origin/nope", &[])
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("base `origin/nope` does not exist"));
    repo.check("--upload-pack=evil", &[]).code(2);
}

#[test]
fn outside_a_repository_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("db")).unwrap();
    std::fs::write(dir.path().join("db/001_a.up.sql"), "SELECT 1;").unwrap();
    std::fs::write(dir.path().join("db/001_a.down.sql"), "SELECT 1;").unwrap();
    Command::cargo_bin("migproof")
        .unwrap()
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .args(["check", "--base", "main", "db"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not inside a git repository"));
}

#[test]
fn works_in_a_shallow_clone_of_the_branch_with_the_base_fetched_shallow() {
    let repo = two_branches_take_the_same_number();
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git_in(
        clones.path(),
        &["clone", "-q", "--depth=1", "--branch", "feature", &url, "clone"],
    );
    let clone: PathBuf = clones.path().join("clone");
    assert_eq!(git_in(&clone, &["rev-parse", "--is-shallow-repository"]).trim(), "true");
    // The base is not there until it is fetched.
    repo.run(&clone, "origin/main", &[])
        .code(2)
        .stderr(predicate::str::contains("git fetch --depth=1"));
    git_in(
        &clone,
        &["fetch", "-q", "--depth=1", "origin", "main:refs/remotes/origin/main"],
    );
    let a = repo.run(&clone, "origin/main", &[]).code(1);
    assert!(stdout(&a).contains("MC052 out-of-order-migration"), "{}", stdout(&a));
}

fn renumber(repo: &Repo, extra: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("migproof")
        .unwrap()
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .current_dir(repo.path())
        .args(["renumber", "--base", "main", "--dir", "db"])
        .args(extra)
        .assert()
}

#[test]
fn renumber_is_a_dry_run_unless_write() {
    let repo = two_branches_take_the_same_number();
    let before = repo.git(&["status", "--porcelain"]);
    let a = renumber(&repo, &[]).code(0);
    insta::assert_snapshot!("renumber_dry_run", stdout(&a));
    assert_eq!(repo.git(&["status", "--porcelain"]), before);
    let a = renumber(&repo, &["--write"]).code(0);
    assert!(stdout(&a).ends_with("renamed 4 files\n"), "{}", stdout(&a));
    assert!(repo.path().join("db/004_add_orders.up.sql").exists());
    assert!(repo.path().join("db/005_add_order_index.down.sql").exists());
    assert!(!repo.path().join("db/003_add_orders.up.sql").exists());
    // Now the branch checks clean against main, and there is nothing left to renumber.
    repo.check("main", &[]).code(0);
    let a = renumber(&repo, &[]).code(0);
    assert!(stdout(&a).starts_with("nothing to renumber"), "{}", stdout(&a));
}

#[test]
fn renumber_with_a_missing_ref_is_exit_2() {
    let repo = Repo::with_two_migrations();
    Command::cargo_bin("migproof")
        .unwrap()
        .current_dir(repo.path())
        .args(["renumber", "--base", "nope", "--dir", "db"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("base `nope` does not exist"));
}

/// Formats that keep each migration in a folder of its own (diesel here): files one folder
/// down are compared too, keyed by their path in the directory (every migration has an `up.sql`).
#[test]
fn folder_per_migration_formats_get_the_git_checks_too() {
    let repo = Repo {
        dir: tempfile::tempdir().unwrap(),
    };
    repo.git(&["init", "-q", "-b", "main"]);
    repo.write(
        "db/2017-08-31-230457_create_users/up.sql",
        "CREATE TABLE users (id int);\n",
    );
    repo.write("db/2017-08-31-230457_create_users/down.sql", "DROP TABLE users;\n");
    repo.write(
        "db/2018-01-02-030405_create_crates/up.sql",
        "CREATE TABLE crates (id int);\n",
    );
    repo.write("db/2018-01-02-030405_create_crates/down.sql", "DROP TABLE crates;\n");
    repo.commit("two diesel migrations");
    repo.check("main", &[]).code(0);

    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "db/2017-08-31-230457_create_users/up.sql",
        "CREATE TABLE users (id bigint);\n",
    );
    repo.remove("db/2018-01-02-030405_create_crates/down.sql");
    repo.write("db/2016-01-01-000000_late/up.sql", "CREATE TABLE late (id int);\n");
    repo.write("db/2016-01-01-000000_late/down.sql", "DROP TABLE late;\n");
    repo.commit("edit, delete and add out of order");
    let a = repo.check("main", &["--format", "json"]).code(1);
    let found = messages(&a);
    let has = |code: &str, part: &str| found.iter().any(|m| m.starts_with(code) && m.contains(part));
    assert!(has("MC050", "2017-08-31-230457_create_users/up.sql"), "{found:#?}");
    assert!(has("MC051", "2018-01-02-030405_create_crates/down.sql"), "{found:#?}");
    assert!(has("MC052", "2016-01-01-000000_late"), "{found:#?}");
}

/// `renumber --write` killed midway (here: aborted after the N-th rename, by a debug-build
/// hook) left a pair split across two versions for good. Now a journal is written first and
/// the next `renumber --write` completes the renaming, from any point.
#[test]
fn renumber_killed_midway_is_completed_by_the_next_run() {
    let expected = {
        let repo = two_branches_take_the_same_number();
        renumber(&repo, &["--write"]).code(0);
        listing(&repo.path().join("db"))
    };
    // 4 files: 4 renames to temporary names, then 4 to the final ones.
    for n in [1, 2, 4, 5, 8] {
        let repo = two_branches_take_the_same_number();
        let out = Command::cargo_bin("migproof")
            .unwrap()
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("MIGPROOF_TEST_ABORT_AFTER_RENAMES", n.to_string())
            .current_dir(repo.path())
            .args(["renumber", "--base", "main", "--dir", "db", "--write"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), None, "after {n} renames: killed, {out:?}");
        // A dry run says what is pending and changes nothing.
        renumber(&repo, &[])
            .code(2)
            .stderr(predicate::str::contains("interrupted `renumber --write`"));
        let a = renumber(&repo, &["--write"]).code(0);
        assert!(
            stdout(&a).starts_with("completed an interrupted renumbering (4 files)"),
            "after {n}: {}",
            stdout(&a)
        );
        assert_eq!(listing(&repo.path().join("db")), expected, "after {n} renames");
        repo.check("main", &[]).code(0);
    }
}

/// Names in a directory, sorted, with their contents.
fn listing(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `feature` left main at 002 and added 003_add_teams; main has since added 003 and 004.
/// Nothing was merged: the branch is behind main.
fn branch_behind_main() -> Repo {
    let repo = Repo::with_two_migrations();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("db/003_add_teams.up.sql", "CREATE TABLE teams (id int);\n");
    repo.write("db/003_add_teams.down.sql", "DROP TABLE teams;\n");
    repo.commit("feature: teams");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("db/003_add_invoices.up.sql", "CREATE TABLE invoices (id int);\n");
    repo.write("db/003_add_invoices.down.sql", "DROP TABLE invoices;\n");
    repo.write("db/004_add_payments.up.sql", "CREATE TABLE payments (id int);\n");
    repo.write("db/004_add_payments.down.sql", "DROP TABLE payments;\n");
    repo.commit("main: invoices and payments");
    repo.git(&["checkout", "-q", "feature"]);
    repo
}

#[test]
fn a_branch_behind_main_is_compared_with_the_merge_base() {
    let repo = branch_behind_main();
    let found = messages(&repo.check("main", &["--format", "json"]).code(1));
    // What main added since the branch left it is not "deleted" here (the merge base is what
    // this branch's databases applied), and nothing the branch has was edited.
    assert!(
        !found.iter().any(|m| m.starts_with("MC051") || m.starts_with("MC050")),
        "{found:#?}"
    );
    // What the branch added must come after main's tip: 003 is out of order against main's 004.
    assert_eq!(
        found.iter().filter(|m| m.starts_with("MC052")).collect::<Vec<_>>(),
        [
            "MC052: `003_add_teams.up.sql` was added since `main` with version 003, but the highest version at `main` is 004: a database already at 004 silently skips it"
        ],
        "{found:#?}"
    );
    let a = repo.check("main", &[]).code(1);
    assert!(stdout(&a).contains("give it version 005"), "{}", stdout(&a));
}

#[test]
fn a_branch_behind_main_still_reports_what_it_deleted_and_edited() {
    let repo = branch_behind_main();
    repo.remove("db/001_create_users.down.sql");
    repo.write(
        "db/002_add_email.down.sql",
        "ALTER TABLE users DROP COLUMN IF EXISTS email;\n",
    );
    repo.remove("db/003_add_teams.up.sql");
    repo.remove("db/003_add_teams.down.sql");
    let found = messages(&repo.check("main", &["--format", "json"]).code(1));
    let codes: Vec<&str> = found
        .iter()
        .map(|m| &m[..5])
        .filter(|c| c.starts_with("MC05"))
        .collect();
    assert_eq!(codes, ["MC051", "MC050"], "{found:#?}");
    assert!(
        found
            .iter()
            .any(|m| m.contains("`001_create_users.down.sql` exists at `main` but was deleted")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("`002_add_email.down.sql` exists at `main` but was edited")),
        "{found:#?}"
    );
    // A branch that adds nothing and changes nothing is clean although main moved on.
    let clean = branch_behind_main();
    clean.remove("db/003_add_teams.up.sql");
    clean.remove("db/003_add_teams.down.sql");
    clean.check("main", &[]).code(0);
}

/// Lock rules: a table created by a migration added since the base is new (empty in
/// production), so building an index on it in a later migration of the branch is not reported;
/// without `--base` the same table counts as existing.
#[test]
fn lock_rules_exempt_tables_created_on_the_branch() {
    let repo = Repo::with_two_migrations();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "db/003_create_orders.up.sql",
        "CREATE TABLE orders (id int, user_id int);\n",
    );
    repo.write("db/003_create_orders.down.sql", "DROP TABLE orders;\n");
    repo.write(
        "db/004_indexes.up.sql",
        "SET lock_timeout = '5s';\nCREATE INDEX orders_user ON orders (user_id);\nCREATE INDEX users_id ON users (id);\n",
    );
    repo.write("db/004_indexes.down.sql", "SELECT 1;\n");
    repo.commit("branch");
    let mc401 = |found: Vec<String>| -> Vec<String> { found.into_iter().filter(|m| m.starts_with("MC401")).collect() };
    let with_base = mc401(messages(&repo.check("main", &["--format", "json"])));
    assert_eq!(with_base.len(), 1, "{with_base:?}");
    assert!(with_base[0].contains("`users`"), "{with_base:?}");
    let mut cmd = Command::cargo_bin("migproof").unwrap();
    let without = cmd
        .env("NO_COLOR", "1")
        .current_dir(repo.path())
        .args(["check", "--format", "json", "db"])
        .assert();
    // 002's index on `users` (reported here because without a base every file counts), and
    // both of 004's: `orders` now counts as existing.
    let without = mc401(messages(&without));
    assert_eq!(without.len(), 3, "{without:?}");
    assert!(without.iter().any(|m| m.contains("`orders`")), "{without:?}");
}
