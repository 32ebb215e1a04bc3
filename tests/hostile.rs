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
fn a_migration_linked_from_elsewhere_in_the_repository_is_checked_like_the_runner_sees_it() {
    // One repository (a `.git` at its top) holding the migrations and a shared file they link to.
    let top = tempfile::tempdir().unwrap();
    std::fs::create_dir(top.path().join(".git")).unwrap();
    let shared = top.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::write(shared.join("shared.sql"), "alter table a delete column id;").unwrap();
    let repo = top.path().join("db");
    write_pair(&repo, "001_a", "create table a (id int);", "drop table a;");
    std::os::unix::fs::symlink("../shared/shared.sql", repo.join("002_b.up.sql")).unwrap();
    std::fs::write(repo.join("002_b.down.sql"), "select 1;").unwrap();
    let out = migproof()
        .args(["check", "--format", "json"])
        .arg(&repo)
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

/// Every output format of one run, as text (stdout and stderr together).
fn every_format(dir: &Path, envs: &[(&str, &str)]) -> Vec<(String, Output)> {
    ["human", "json", "sarif", "github", "junit", ""]
        .iter()
        .map(|format| {
            let mut cmd = migproof();
            cmd.arg("check").envs(envs.iter().copied());
            if !format.is_empty() {
                cmd.args(["--format", format]);
            }
            let out = cmd
                .arg(dir)
                .timeout(std::time::Duration::from_secs(120))
                .output()
                .unwrap();
            (format.to_string(), out)
        })
        .collect()
}

fn text_of(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A pull request can add a link named like a migration that points at a secret on the CI
/// machine: it is reported by name and target, and nothing of the secret reaches any output.
#[test]
fn a_link_out_of_the_repository_is_reported_and_its_content_never_shown() {
    let outside = tempfile::tempdir().unwrap();
    let key = outside.path().join("id_key");
    std::fs::write(&key, "SECRET_TOKEN_4242 = 'hunter2';\nmore SECRET_TOKEN_4242;\n").unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let db = repo.path().join("db");
    write_pair(&db, "001_a", "create table a (id int);", "drop table a;");
    std::os::unix::fs::symlink(&key, db.join("002_b.up.sql")).unwrap();
    std::fs::write(db.join("002_b.down.sql"), "select 1;").unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", db.join("003_c.up.sql")).unwrap();
    std::fs::write(db.join("003_c.down.sql"), "select 1;").unwrap();
    for (format, out) in every_format(&db, &[("SECRET_TOKEN_ENV", "SECRET_TOKEN_4242")]) {
        let text = text_of(&out);
        assert_eq!(out.status.code(), Some(1), "{format}: {text}");
        assert!(!text.contains("SECRET_TOKEN_4242"), "{format} shows the secret: {text}");
        assert!(!text.contains("hunter2"), "{format} shows the secret: {text}");
    }
    let out = migproof()
        .args(["check", "--format", "json"])
        .arg(&db)
        .output()
        .unwrap();
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    for (name, target) in [
        ("002_b.up.sql", key.display().to_string()),
        ("003_c.up.sql", "/proc/self/environ".into()),
    ] {
        let f = findings
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no finding for {name}: {report}"));
        assert_eq!(f["code"], "MC010", "{f}");
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains("symbolic link to a regular file outside the repository"),
            "{f}"
        );
        assert!(message.contains(&target), "{f}");
    }
}

/// A FIFO (or a device) named like a file a format reads made the check wait forever; a link
/// to `/dev/zero` was read without end. Each is now a finding naming it.
#[test]
fn fifos_and_devices_named_like_migrations_are_findings_not_hangs() {
    let make_fifo = |path: &Path| {
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(
            unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
            0,
            "mkfifo {}",
            path.display()
        );
    };
    let root = tempfile::tempdir().unwrap();
    // golang-migrate: a FIFO migration and a link to /dev/zero.
    let pairs = root.path().join("pairs");
    write_pair(&pairs, "001_a", "create table a (id int);", "drop table a;");
    make_fifo(&pairs.join("002_b.up.sql"));
    std::fs::write(pairs.join("002_b.down.sql"), "select 1;").unwrap();
    std::os::unix::fs::symlink("/dev/zero", pairs.join("003_c.up.sql")).unwrap();
    std::fs::write(pairs.join("003_c.down.sql"), "select 1;").unwrap();
    // Prisma: the lock file is a FIFO.
    let prisma = root.path().join("prisma/migrations");
    std::fs::create_dir_all(prisma.join("20240101000000_init")).unwrap();
    std::fs::write(
        prisma.join("20240101000000_init/migration.sql"),
        "create table a (id int);",
    )
    .unwrap();
    make_fifo(&prisma.join("migration_lock.toml"));
    // sourcegraph: a FIFO `metadata.yaml`.
    let sg = root.path().join("sg");
    std::fs::create_dir_all(sg.join("1000_a")).unwrap();
    std::fs::write(sg.join("1000_a/metadata.yaml"), "name: a\nparents: []\n").unwrap();
    std::fs::write(sg.join("1000_a/up.sql"), "create table a (id int);").unwrap();
    std::fs::write(sg.join("1000_a/down.sql"), "drop table a;").unwrap();
    std::fs::create_dir_all(sg.join("1001_b")).unwrap();
    make_fifo(&sg.join("1001_b/metadata.yaml"));
    std::fs::write(sg.join("1001_b/up.sql"), "select 1;").unwrap();
    std::fs::write(sg.join("1001_b/down.sql"), "select 1;").unwrap();
    // A TypeScript registry whose `index.ts` is a FIFO.
    let ts = root.path().join("ts");
    std::fs::create_dir_all(&ts).unwrap();
    std::fs::write(
        ts.join("initial.ts"),
        "export async function up(db) { await db.exec(`select 1`); }",
    )
    .unwrap();
    make_fifo(&ts.join("index.ts"));
    let out = migproof()
        .args(["check", "--format", "json"])
        .current_dir(root.path())
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    let about = |path: &str| {
        findings
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("no finding for {path}: {report}"))
    };
    for (path, words) in [
        ("pairs/002_b.up.sql", "is a FIFO, not a regular file"),
        ("pairs/003_c.up.sql", "a character device"),
        ("sg/1001_b/metadata.yaml", "is a FIFO, not a regular file"),
        ("ts/index.ts", "is a FIFO, not a regular file"),
    ] {
        let f = about(path);
        assert!(f["message"].as_str().unwrap().contains(words), "{f}");
    }
    let lock = about("prisma/migrations/migration_lock.toml");
    assert!(lock["message"].as_str().unwrap().contains("FIFO"), "{lock}");
}

/// A file whose name is not UTF-8 was reported as "entity not found"; it is read by its real
/// name and shown with the bad bytes replaced.
#[test]
fn a_file_name_that_is_not_utf8_is_checked_and_named() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    write_pair(dir.path(), "001_a", "create table a (id int);", "drop table a;");
    let up = std::ffi::OsStr::from_bytes(b"002_caf\xe9.up.sql");
    let down = std::ffi::OsStr::from_bytes(b"002_caf\xe9.down.sql");
    std::fs::write(dir.path().join(up), "alter table a delete column id;").unwrap();
    std::fs::write(dir.path().join(down), "select 1;").unwrap();
    let out = migproof()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["code"], "MC201", "{report}");
    assert!(
        findings[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("002_caf\u{fffd}.up.sql"),
        "{report}"
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

/// A directory name with newlines injected `::add-mask::` and `::error` lines into the report
/// GitHub Actions reads, and escape sequences in names and SQL reached the terminal. No output
/// format carries a control character or a line that starts a workflow command.
#[test]
fn names_and_sql_cannot_inject_workflow_commands_or_escape_sequences() {
    let root = tempfile::tempdir().unwrap();
    let dir = root
        .path()
        .join("db\n::add-mask::hunter2\n::error title=pwned::owned\n\u{1b}[2J\u{1b}]0;title\u{7}");
    write_pair(
        &dir,
        "001_a\u{1b}[31m",
        "-- \u{1b}[2J cleared\ncreate table a (\n  id int\n);\n##[add-mask]x alter table a \u{1b}]0;t\u{7}delete column id;\n",
        "drop table a;",
    );
    for (format, out) in every_format(&dir, &[("GITHUB_ACTIONS", "true")]) {
        let text = text_of(&out);
        assert_eq!(out.status.code(), Some(1), "{format}: {text}");
        assert!(
            !out.stdout.iter().chain(&out.stderr).any(|&b| b == 0x1b || b == 0x07),
            "{format} prints a control character: {text}"
        );
        assert!(!text.contains("##["), "{format}: {text}");
        let mut stopped: Option<String> = None;
        let mut annotations = 0;
        for line in text.lines() {
            let line = line.trim_start();
            if let Some(token) = &stopped {
                if line == format!("::{token}::") {
                    stopped = None;
                }
                continue;
            }
            if let Some(token) = line.strip_prefix("::stop-commands::") {
                stopped = Some(token.to_string());
                continue;
            }
            if line.starts_with("::") {
                // Only migproof's own annotations, one per finding, are commands.
                assert!(
                    line.starts_with("::error file=") && line.contains("\\n%3A%3Aadd-mask%3A%3Ahunter2\\n"),
                    "{format}: {line}"
                );
                annotations += 1;
            }
        }
        assert!(stopped.is_none(), "{format}: commands never resumed");
        assert_eq!(
            annotations > 0,
            matches!(format.as_str(), "github" | ""),
            "{format}: {text}"
        );
    }
}

fn findings_of(dir: &Path) -> Vec<serde_json::Value> {
    let out = migproof()
        .args(["check", "--format", "json"])
        .arg(dir)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    json(&out)["findings"].as_array().unwrap().clone()
}

/// 40,000 broken statements in one file took 16–30 s (every finding's line was counted from
/// the top of the file, for sorting and again for rendering). The first 100 are reported and
/// one more finding counts the rest, so the work is bounded by the file's size.
/// (bench/hostile.sh times it.)
#[test]
fn a_file_with_forty_thousand_syntax_errors_gives_a_bounded_report() {
    let dir = scratch_dir();
    write_pair(dir.path(), "001_a", &"selec 1;\n".repeat(40_000), "select 1;");
    let findings = findings_of(dir.path());
    assert_eq!(findings.len(), 101, "{:?}", findings.last());
    assert!(findings.iter().all(|f| f["code"] == "MC201"));
    assert_eq!(findings[99]["line"], 100);
    let last = &findings[100];
    assert_eq!(last["line"], 101, "{last}");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .starts_with("… and 39900 more `syntax-error` findings in this file"),
        "{last}"
    );
}

/// An `index.ts` registering 20,000 entries took 5 s (300,000 did not finish in 120 s): each
/// entry's module was looked for by scanning every migration, for every migration.
#[test]
fn a_registry_with_twenty_thousand_entries_is_checked_in_one_pass() {
    let dir = scratch_dir();
    std::fs::write(
        dir.path().join("initial.ts"),
        "export async function up(db) { await db.exec(`create table a (id int);`); }\n",
    )
    .unwrap();
    let mut index = String::from("import { up as initialUp } from './initial';\nexport const migrations = [\n");
    for i in 1..=20_000 {
        index.push_str(&format!(
            "  {{ id: 'initial', version: {i}, description: 'x', up: initialUp }},\n"
        ));
    }
    index.push_str("];\n");
    std::fs::write(dir.path().join("index.ts"), index).unwrap();
    let findings = findings_of(dir.path());
    let count = |code: &str| findings.iter().filter(|f| f["code"] == code).count();
    // Entry 1 matches `initial.ts`; the other 19,999 repeat its id under versions 2, 3, …
    assert_eq!(count("MC026"), 101, "{:?}", findings.first());
    assert_eq!(count("MC024"), 101, "{:?}", findings.first());
    assert!(
        findings
            .iter()
            .any(|f| f["message"].as_str().unwrap().starts_with("… and 19899 more")),
        "{:?}",
        findings.last()
    );
}

/// A `metadata.yaml` nested 100,000 levels deep (200 KB) took 42 s in the YAML parser. The
/// nesting is refused before parsing, as a problem of that file.
#[test]
fn a_deeply_nested_metadata_yaml_is_refused_before_parsing() {
    let dir = scratch_dir();
    let sg = dir.path();
    for (name, meta) in [
        ("1000_a", "name: a\nparents: []\n".to_string()),
        (
            "1001_b",
            format!("name: b\nparents: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
        ),
    ] {
        std::fs::create_dir_all(sg.join(name)).unwrap();
        std::fs::write(sg.join(name).join("metadata.yaml"), meta).unwrap();
        std::fs::write(sg.join(name).join("up.sql"), "select 1;").unwrap();
        std::fs::write(sg.join(name).join("down.sql"), "select 1;").unwrap();
    }
    let findings = findings_of(sg);
    let f = findings
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("1001_b/metadata.yaml"))
        .unwrap_or_else(|| panic!("{findings:?}"));
    assert!(
        f["message"].as_str().unwrap().contains("nests deeper than 64 levels"),
        "{f}"
    );
    // The 65th bracket, after `parents: `.
    assert_eq!(f["column"], 10 + 64, "{f}");
}
