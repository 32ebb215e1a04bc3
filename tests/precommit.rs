//! The hook definitions in `.pre-commit-hooks.yaml`, run by the real `pre-commit` tool (PyPI)
//! against a throwaway git repository.
//!
//! The hooks say `language: rust`, with which pre-commit would build migproof with
//! `cargo install` (a release build of the whole crate) on first use. The test copies the hook
//! file into a throwaway hook repository with only that line changed to `language: system` and
//! puts the migproof binary cargo already built on `PATH`; the id, entry, file pattern, filename
//! passing and stages are the real ones.
//!
//! Without `pre-commit` installed the test is skipped with a printed reason, except under
//! `CI=true`, where it fails (`.ci/run` installs it).

use std::path::Path;
use std::process::{Command, Output};

mod common;

use common::git;

fn pre_commit_available() -> bool {
    Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn try_repo(project: &Path, hooks: &Path, home: &Path, args: &[&str]) -> Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_migproof")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    Command::new("pre-commit")
        .current_dir(project)
        .arg("try-repo")
        .arg(hooks)
        .args(args)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_hooks_run_under_pre_commit() {
    if !pre_commit_available() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but `pre-commit` is not installed (.ci/run installs it with pip)"
        );
        println!("skipped: `pre-commit` is not installed (pip install pre-commit)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let hooks = tmp.path().join("hooks");
    let project = tmp.path().join("project");
    let home = tmp.path().join("pre-commit-home");

    let definition = std::fs::read_to_string(".pre-commit-hooks.yaml").unwrap();
    assert_eq!(definition.matches("language: rust").count(), 2);
    write(
        &hooks,
        ".pre-commit-hooks.yaml",
        &definition.replace("language: rust", "language: system"),
    );
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "-A"]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);

    // Two branches took version 056.
    write(&project, "db/055_users.up.sql", "CREATE TABLE users (id int);\n");
    write(&project, "db/055_users.down.sql", "DROP TABLE users;\n");
    write(&project, "db/056_orders.up.sql", "CREATE TABLE orders (id int);\n");
    write(&project, "db/056_orders.down.sql", "DROP TABLE orders;\n");
    write(&project, "db/056_invoices.up.sql", "CREATE TABLE invoices (id int);\n");
    write(&project, "db/056_invoices.down.sql", "DROP TABLE invoices;\n");
    write(&project, "README.md", "notes\n");
    // The project names its runner, so the duplicate is an error.
    write(
        &project,
        "go.mod",
        "module x\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n",
    );
    git(&project, &["init", "-q"]);
    git(&project, &["add", "-A"]);

    // A changed migration file: the hook checks its directory and fails.
    let out = try_repo(
        &project,
        &hooks,
        &home,
        &["migproof", "--files", "db/056_orders.up.sql"],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("MC001 duplicate-version"), "{}", text(&out));

    // Only non-SQL files changed: the hook does not run.
    let out = try_repo(&project, &hooks, &home, &["migproof", "--files", "README.md"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(no files to check)"), "{}", text(&out));

    // Fixed: the hook passes.
    std::fs::rename(
        project.join("db/056_invoices.up.sql"),
        project.join("db/057_invoices.up.sql"),
    )
    .unwrap();
    std::fs::rename(
        project.join("db/056_invoices.down.sql"),
        project.join("db/057_invoices.down.sql"),
    )
    .unwrap();
    git(&project, &["add", "-A"]);
    let out = try_repo(&project, &hooks, &home, &["migproof", "--all-files"]);
    assert!(out.status.success(), "{}", text(&out));

    // The round-trip hook is not part of a commit: it is defined for pre-push and manual only.
    let out = try_repo(&project, &hooks, &home, &["migproof-roundtrip", "--all-files"]);
    assert!(
        text(&out).contains("No hook with id `migproof-roundtrip` in stage `pre-commit`"),
        "{}",
        text(&out)
    );
}
