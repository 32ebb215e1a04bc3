//! The hook definitions, run by the real `pre-commit` tool (PyPI) against throwaway git
//! repositories.
//!
//! - `.pre-commit-hooks.yaml` (`language: python`, which would build migproof from source on
//!   first use) is copied into a throwaway hook repository with only that line changed to
//!   `language: system`, and the binary cargo built is put on `PATH`: the ids, entries, file
//!   patterns, filename passing and stages are the real ones.
//! - The pre-commit mirror (`pre-commit-mirror/`) is installed as users get it: pre-commit makes
//!   a virtualenv and pip installs the migproof wheel pinned there — from the wheels in
//!   `MIGPROOF_WHEELHOUSE` (built by `.ci/run` with maturin) and no index, so no network.
//!
//! Without `pre-commit` (or the wheelhouse) a test prints a skip line and returns; under
//! `CI=true` it fails instead (`.ci/run` provides both).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Fixture", "-c", "user.email=fixture@example.com"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A hook repository (committed) with `files` (name, content).
fn hook_repo(dir: &Path, files: &[(&str, String)]) {
    for (name, text) in files {
        write(dir, name, text);
    }
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "hooks"]);
}

/// `pre-commit try-repo HOOKS ARGS --verbose` in `project`; `path_first` goes before `PATH`.
fn try_repo(
    project: &Path,
    hooks: &Path,
    home: &Path,
    path_first: Option<&Path>,
    env: &[(&str, &str)],
    args: &[&str],
) -> Output {
    let mut path = env
        .iter()
        .find(|(k, _)| *k == "PATH")
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| std::env::var("PATH").unwrap_or_default());
    if let Some(first) = path_first {
        path = format!("{}:{path}", first.display());
    }
    let mut cmd = Command::new("pre-commit");
    cmd.current_dir(project)
        .arg("try-repo")
        .arg(hooks)
        .args(args)
        .arg("--verbose")
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .env_remove("GITHUB_ACTIONS");
    for (k, v) in env.iter().filter(|(k, _)| *k != "PATH") {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A repository with old problems, committed: version 002 taken twice and a syntax error in
/// 001. It stands for a legacy project adopting the hook.
fn legacy_project(project: &Path) {
    // The project names its runner, so its rules give errors (not guesses from file names).
    write(
        project,
        "go.mod",
        "module example.com/app\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n",
    );
    write(project, "db/001_users.up.sql", "CREATE TABLE users (id int,);\n");
    write(project, "db/001_users.down.sql", "DROP TABLE users;\n");
    write(project, "db/002_orders.up.sql", "CREATE TABLE orders (id int);\n");
    write(project, "db/002_orders.down.sql", "DROP TABLE orders;\n");
    write(project, "db/002_invoices.up.sql", "CREATE TABLE invoices (id int);\n");
    write(project, "db/002_invoices.down.sql", "DROP TABLE invoices;\n");
    write(project, "README.md", "notes\n");
    git(project, &["init", "-q"]);
    git(project, &["add", "-A"]);
    git(project, &["commit", "-q", "-m", "legacy"]);
}

/// The hook on a legacy repository: passes for a clean new migration (counting the old
/// findings in one line), blocks on a touched file's own problem and on a new file that
/// takes an old version, and does not run for files no runner reads.
fn assert_blocks_only_on_touched_files(run: &dyn Fn(&[&str]) -> Output, project: &Path) {
    // A clean new migration: the old problems do not block it.
    write(project, "db/003_teams.up.sql", "CREATE TABLE teams (id int);\n");
    write(project, "db/003_teams.down.sql", "DROP TABLE teams;\n");
    git(project, &["add", "-A"]);
    let out = run(&["migproof", "--files", "db/003_teams.up.sql", "db/003_teams.down.sql"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Not shown: 2 errors"), "{}", text(&out));
    assert!(!text(&out).contains("MC001"), "{}", text(&out));

    // A touched file with its own problem blocks, and only its problem is shown.
    write(project, "db/003_teams.up.sql", "CREATE TABLE teams (id int;\n");
    git(project, &["add", "-A"]);
    let out = run(&["migproof", "--files", "db/003_teams.up.sql"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("003_teams.up.sql"), "{}", text(&out));
    assert!(text(&out).contains("MC201"), "{}", text(&out));
    assert!(!text(&out).contains("MC001"), "{}", text(&out));
    write(project, "db/003_teams.up.sql", "CREATE TABLE teams (id int);\n");

    // A new file taking an old version: a set-level finding with the new file on one side.
    write(project, "db/001_teams.up.sql", "CREATE TABLE t (id int);\n");
    write(project, "db/001_teams.down.sql", "DROP TABLE t;\n");
    git(project, &["add", "-A"]);
    let out = run(&["migproof", "--files", "db/001_teams.up.sql"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("MC001 duplicate-version"), "{}", text(&out));
    assert!(text(&out).contains("001_teams.up.sql"), "{}", text(&out));
    std::fs::remove_file(project.join("db/001_teams.up.sql")).unwrap();
    std::fs::remove_file(project.join("db/001_teams.down.sql")).unwrap();
    git(project, &["add", "-A"]);

    // Only files no runner reads: the hook does not run.
    let out = run(&["migproof", "--files", "README.md"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(no files to check)"), "{}", text(&out));
}

#[test]
fn the_hooks_run_under_pre_commit() {
    if !common::has_command("pre-commit") {
        common::skip("`pre-commit` is not installed (pip install pre-commit)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let hooks = tmp.path().join("hooks");
    let project = tmp.path().join("project");
    let home = tmp.path().join("pre-commit-home");

    let definition = std::fs::read_to_string(".pre-commit-hooks.yaml").unwrap();
    assert_eq!(definition.matches("\n  language: python\n").count(), 2);
    hook_repo(
        &hooks,
        &[(
            ".pre-commit-hooks.yaml",
            definition.replace("\n  language: python\n", "\n  language: system\n"),
        )],
    );
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_migproof")).parent().unwrap();
    let run = |args: &[&str]| try_repo(&project, &hooks, &home, Some(bin_dir), &[], args);

    legacy_project(&project);
    assert_blocks_only_on_touched_files(&run, &project);

    // Every file kind a runner reads triggers the hook: diesel's metadata.toml, Prisma's lock
    // file, a TypeORM migration in TypeScript, sourcegraph's metadata.yaml.
    write(
        &project,
        "diesel/2017-01-01-000000_users/up.sql",
        "CREATE TABLE users (id int);\n",
    );
    write(
        &project,
        "diesel/2017-01-01-000000_users/down.sql",
        "DROP TABLE users;\n",
    );
    write(
        &project,
        "diesel/2017-01-01-000000_users/metadata.toml",
        "run_in_transaction = false\n",
    );
    write(
        &project,
        "prisma/migrations/20240101000000_init/migration.sql",
        "CREATE TABLE a (id int);\n",
    );
    write(
        &project,
        "prisma/migrations/migration_lock.toml",
        "provider = \"postgresql\"\n",
    );
    write(
        &project,
        "src/migration/1700000000000-Users.ts",
        "import { MigrationInterface, QueryRunner } from \"typeorm\";\nexport class Users1700000000000 implements MigrationInterface {\n  async up(q: QueryRunner) { await q.query(`CREATE TABLE users (id int)`); }\n  async down(q: QueryRunner) { await q.query(`DROP TABLE users`); }\n}\n",
    );
    git(&project, &["add", "-A"]);
    for file in [
        "diesel/2017-01-01-000000_users/metadata.toml",
        "prisma/migrations/migration_lock.toml",
        "src/migration/1700000000000-Users.ts",
    ] {
        let out = run(&["migproof", "--files", file]);
        assert!(!text(&out).contains("(no files to check)"), "{file}: {}", text(&out));
        assert!(out.status.success(), "{file}: {}", text(&out));
    }

    // The round-trip hook is not part of a commit: it is defined for pre-push and manual only.
    let out = run(&["migproof-roundtrip", "--all-files"]);
    assert!(
        text(&out).contains("No hook with id `migproof-roundtrip` in stage `pre-commit`"),
        "{}",
        text(&out)
    );
}

/// The directory of built wheels (`MIGPROOF_WHEELHOUSE`), when it holds a migproof wheel.
fn wheelhouse() -> Result<PathBuf, String> {
    let dir = std::env::var_os("MIGPROOF_WHEELHOUSE")
        .map(PathBuf::from)
        .ok_or("MIGPROOF_WHEELHOUSE is not set (`.ci/run` builds the wheel with maturin and sets it)")?;
    let has_wheel = std::fs::read_dir(&dir)
        .map_err(|e| format!("MIGPROOF_WHEELHOUSE {}: {e}", dir.display()))?
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("migproof-"));
    if !has_wheel {
        return Err(format!("no migproof wheel in MIGPROOF_WHEELHOUSE {}", dir.display()));
    }
    Ok(std::fs::canonicalize(dir).unwrap())
}

#[test]
fn the_mirror_installs_the_wheel_and_blocks_only_on_touched_files() {
    // The mirror is the template of a separate repository: same hooks, the wheel pinned at
    // this crate's version.
    let mirror = Path::new("pre-commit-mirror");
    let hooks_file = std::fs::read_to_string(mirror.join(".pre-commit-hooks.yaml")).unwrap();
    assert_eq!(hooks_file, std::fs::read_to_string(".pre-commit-hooks.yaml").unwrap());
    let pyproject = std::fs::read_to_string(mirror.join("pyproject.toml")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(pyproject.contains(&format!("version = \"{version}\"")), "{pyproject}");
    assert!(pyproject.contains(&format!("\"migproof=={version}\"")), "{pyproject}");

    if !common::has_command("pre-commit") {
        common::skip("`pre-commit` is not installed (pip install pre-commit)");
        return;
    }
    let wheels = match wheelhouse() {
        Ok(dir) => dir,
        Err(why) => {
            common::skip(&why);
            return;
        }
    };
    let tmp = tempfile::tempdir().unwrap();
    let hooks = tmp.path().join("mirror");
    let project = tmp.path().join("project");
    let home = tmp.path().join("pre-commit-home");
    let files: Vec<(&str, String)> = ["pyproject.toml", ".pre-commit-hooks.yaml", "README.md"]
        .into_iter()
        .map(|n| (n, std::fs::read_to_string(mirror.join(n)).unwrap()))
        .collect();
    hook_repo(&hooks, &files);
    legacy_project(&project);

    // No index: pip finds the wheel (and the mirror's build backend) in the wheelhouse only.
    let wheels = wheels.to_string_lossy().into_owned();
    // No other migproof on PATH: what runs is the wheel's binary in pre-commit's virtualenv.
    let path = std::env::var("PATH").unwrap_or_default();
    let path: Vec<&str> = path
        .split(':')
        .filter(|d| !d.is_empty() && !Path::new(d).join("migproof").exists())
        .collect();
    let path = path.join(":");
    let env = [
        ("PATH", path.as_str()),
        ("PIP_NO_INDEX", "1"),
        ("PIP_FIND_LINKS", wheels.as_str()),
        ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    ];
    let run = |args: &[&str]| try_repo(&project, &hooks, &home, None, &env, args);

    // First use: pre-commit installs the hook environment (the wheel), then runs it.
    let started = Instant::now();
    let out = run(&["migproof", "--files", "db/002_orders.up.sql"]);
    let first = started.elapsed();
    // The touched file's own old problem (its version is taken twice) is shown and blocks.
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("MC001 duplicate-version"), "{}", text(&out));
    common::note(&format!(
        "first hook run from the mirror (virtualenv + wheel install + check): {:.1} s",
        first.as_secs_f64()
    ));
    assert_blocks_only_on_touched_files(&run, &project);
}
