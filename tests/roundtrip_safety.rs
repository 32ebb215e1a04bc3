//! Round-trip safety: migproof never touches a database it did not create, leaves nothing behind
//! however it ends (SIGINT, SIGKILL, a crashing server), stops migrations that run forever, never
//! prints a password, and never writes into the migration directories.
//!
//! Servers are started with migproof's own code (`migproof::roundtrip::server`). Without server
//! binaries these tests skip with a reason, except in CI (`CI=true`), where that is a failure.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use migproof::roundtrip::server::{self, Throwaway};

use common::git;
use common::roundtrip::{BIN, Sandbox, binaries, text, wait_for};

const SECRET: &str = "SECRETPASS";

/// The throwaway cluster directory migproof made under `tmp`, once its server runs.
fn cluster_dir(tmp: &Path) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = std::fs::read_dir(tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.join("socket/.s.PGSQL.5432").exists());
        if let Some(p) = found {
            return p;
        }
        assert!(Instant::now() < deadline, "the server never started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The host pid of the postmaster running on `cluster`'s data directory.
fn postmaster_pid(cluster: &Path) -> i32 {
    let needle = format!("-D\0{}/data\0", cluster.display());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline).contains(&needle).then_some(pid)
        });
        if let Some(pid) = found {
            return pid;
        }
        assert!(Instant::now() < deadline, "no postmaster on {}", cluster.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until a backend of the server on `cluster` runs a `SELECT` (its process title says so).
fn wait_for_select(cluster: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let data = std::fs::canonicalize(cluster.join("data")).unwrap();
        let running = std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
            let cwd = std::fs::read_link(e.path().join("cwd")).ok();
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let title = String::from_utf8_lossy(&cmdline);
            cwd.is_some_and(|c| c.starts_with(&data)) && title.starts_with("postgres: ") && title.contains(" SELECT")
        });
        if running {
            return;
        }
        assert!(Instant::now() < deadline, "the slow migration never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until a `pg_sleep` runs on the server reachable with `config`.
fn wait_for_sleep(config: &postgres::Config) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running = config.connect(postgres::NoTls).ok().is_some_and(|mut c| {
            c.query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'",
                &[],
            )
            .is_ok_and(|r| r.get::<_, i64>(0) > 0)
        });
        if running {
            return;
        }
        assert!(Instant::now() < deadline, "the slow migration never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (at most 10 s) for `pid` to stop running; false if it still runs.
fn stops(pid: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if !server::process_running(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Running processes (not zombies) whose command line mentions `path`.
fn processes_mentioning(path: &Path) -> Vec<String> {
    let needle = path.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (cmdline.contains(&needle) && server::process_running(pid)).then(|| format!("{pid}: {cmdline}"))
        })
        .collect()
}

/// A database `app` with a schema and data, on a server started with migproof's code.
fn server_with_app() -> Option<Throwaway> {
    let pg = Throwaway::start(binaries()?).expect("the server starts");
    let mut admin = pg.config("template1").connect(postgres::NoTls).unwrap();
    admin.batch_execute("CREATE DATABASE app").unwrap();
    let mut app = pg.config("app").connect(postgres::NoTls).unwrap();
    app.batch_execute(
        "CREATE TYPE mood AS ENUM ('ok', 'sad');
         CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, mood mood DEFAULT 'ok');
         CREATE INDEX users_mood ON users (mood);
         CREATE VIEW happy AS SELECT id, email FROM users WHERE mood = 'ok';
         CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS $$ SELECT upper(t) $$;
         INSERT INTO users (email, mood) VALUES ('a@example.com', 'ok'), ('b@example.com', 'sad');
         CREATE ROLE app_reader;
         GRANT SELECT ON users TO app_reader;",
    )
    .unwrap();
    Some(pg)
}

/// Everything about database `db`: `pg_dump` (schema and data; without the `\restrict` lines,
/// whose key is random per dump) and the user objects with their ids (a dropped and recreated
/// object dumps the same but gets a new id).
fn fingerprint(pg: &Throwaway, db: &str) -> String {
    let out = Command::new(pg.binaries.dir.join("pg_dump"))
        .env("PGPASSWORD", &pg.password)
        .arg("--host")
        .arg(&pg.socket_dir)
        .args(["--port", &pg.port.to_string(), "--username", "postgres", db])
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut client = pg.config(db).connect(postgres::NoTls).unwrap();
    let catalog: String = client
        .query_one(
            "SELECT string_agg(format('%s %s %s %s', c.oid, n.nspname, c.relname, c.relkind), E'\\n' ORDER BY c.oid)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
            &[],
        )
        .unwrap()
        .get(0);
    let dump: Vec<&str> = std::str::from_utf8(&out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict ") && !l.starts_with("\\unrestrict "))
        .collect();
    format!("{}\n{catalog}", dump.join("\n"))
}

/// Asserts two fingerprints are equal, showing only the lines that differ.
fn assert_same(before: &str, after: &str, what: &str) {
    if before != after {
        let b: Vec<&str> = before.lines().collect();
        let a: Vec<&str> = after.lines().collect();
        let gone: Vec<&&str> = b.iter().filter(|l| !a.contains(l)).collect();
        let new: Vec<&&str> = a.iter().filter(|l| !b.contains(l)).collect();
        panic!("{what} changed:\n  only before: {gone:?}\n  only after: {new:?}");
    }
}

/// Databases and roles on the server.
fn server_objects(pg: &Throwaway) -> (Vec<String>, Vec<String>) {
    let mut client = pg.config("template1").connect(postgres::NoTls).unwrap();
    let list = |client: &mut postgres::Client, q: &str| -> Vec<String> {
        client.query(q, &[]).unwrap().iter().map(|r| r.get(0)).collect()
    };
    (
        list(&mut client, "SELECT datname::text FROM pg_database ORDER BY 1"),
        list(&mut client, "SELECT rolname::text FROM pg_roles ORDER BY 1"),
    )
}

/// `postgres://…/app` for a server on a Unix socket (with its password unless given another).
fn url(pg: &Throwaway, password: Option<&str>, db: &str) -> String {
    let auth = format!("postgres:{}@", password.unwrap_or(&pg.password));
    format!(
        "postgres://{auth}/{db}?host={}&port={}",
        pg.socket_dir.display(),
        pg.port
    )
}

/// Guarantee: with `--database-url` naming a real database, migproof works only in a scratch
/// database it creates and drops; the named database is byte-identical afterwards (pg_dump of
/// schema and data, and the catalog), and no database or role is left over — even though the
/// migrations create a table of the same name as one in `app`, create a role, and fail half-way
/// (so the scratch database is dropped and rebuilt).
#[test]
fn named_database_is_byte_identical_and_the_scratch_database_is_gone() {
    let Some(pg) = server_with_app() else { return };
    let sandbox = Sandbox::new();
    let dir = sandbox.migration(
        "migrations",
        "000001_users",
        "CREATE TABLE users (id bigint);\nCREATE ROLE migproof_safety_role;\nINSERT INTO users VALUES (1);\n",
        "DROP TABLE users;\nDROP ROLE migproof_safety_role;\n",
    );
    // Forgets the table: the re-up fails and the state is rebuilt in a new scratch database.
    sandbox.migration(
        "migrations",
        "000002_forgets",
        "CREATE TABLE things (id int);\nCREATE INDEX things_id ON things (id);\n",
        "DROP INDEX things_id;\n",
    );
    sandbox.migration(
        "migrations",
        "000003_role",
        "CREATE ROLE migproof_safety_other;\n",
        "SELECT 1;\n",
    );
    let before = fingerprint(&pg, "app");
    let (dbs_before, roles_before) = server_objects(&pg);
    let out = sandbox
        .migproof(&["--database-url", &url(&pg, None, "app"), dir.to_str().unwrap()])
        .output()
        .unwrap();
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("MC304"),
        "the failing migration was not reported: {report}"
    );
    assert!(report.contains("postgres@"), "{report}");
    let after = fingerprint(&pg, "app");
    assert!(after.contains("COPY public.users (id, email, mood) FROM stdin;\n1\ta@example.com\tok\n"));
    assert_same(&before, &after, "database `app`");
    let (dbs_after, roles_after) = server_objects(&pg);
    assert_eq!(dbs_before, dbs_after, "databases differ (a scratch database was left?)");
    assert!(!dbs_after.iter().any(|d| d.starts_with("migproof_")));
    assert_eq!(roles_before, roles_after, "roles differ");
    assert!(sandbox.left_in_tmp().is_empty(), "{:?}", sandbox.left_in_tmp());
}

/// Guarantee: SIGINT during a round-trip on a named server drops the scratch database (exit 130).
#[test]
fn sigint_on_a_named_server_drops_the_scratch_database() {
    let Some(pg) = server_with_app() else { return };
    let sandbox = Sandbox::new();
    let dir = sandbox.migration("migrations", "000001_slow", "SELECT pg_sleep(30);\n", "SELECT 1;\n");
    let (dbs_before, roles_before) = server_objects(&pg);
    let before = fingerprint(&pg, "app");
    let mut child = sandbox
        .migproof(&["--database-url", &url(&pg, None, "app"), dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_sleep(&pg.config("template1"));
    let (dbs_during, _) = server_objects(&pg);
    assert!(
        dbs_during.iter().any(|d| d.starts_with("migproof_")),
        "no scratch database while running: {dbs_during:?}"
    );
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = wait_for(&mut child, Duration::from_secs(15));
    assert_eq!(status.code(), Some(130));
    let (dbs_after, roles_after) = server_objects(&pg);
    assert_eq!(dbs_before, dbs_after, "the scratch database was left behind");
    assert_eq!(roles_before, roles_after);
    assert_same(&before, &fingerprint(&pg, "app"), "database `app`");
}

/// Guarantee: SIGKILL cannot be handled, but (1) the postmaster dies with migproof (parent-death
/// signal), and (2) the next run finds the dead run's cluster by its lock (nobody holds it),
/// removes it and says so.
#[test]
fn sigkill_leaves_a_stale_cluster_that_the_next_run_removes() {
    let Some(_) = binaries() else { return };
    let sandbox = Sandbox::new();
    let slow = sandbox.migration("slow", "000001_slow", "SELECT pg_sleep(30);\n", "SELECT 1;\n");
    let mut child = sandbox
        .migproof(&[slow.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let cluster = cluster_dir(&sandbox.tmp());
    wait_for_select(&cluster);
    let postmaster = postmaster_pid(&cluster);
    let killed = child.id();
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(killed as i32, libc::SIGKILL) };
    child.wait().unwrap();
    assert!(
        stops(postmaster),
        "postmaster {postmaster} outlived the killed migproof"
    );
    assert!(cluster.join("lock").exists(), "the cluster has its lock file");

    let quick = sandbox.migration("quick", "000001_t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n");
    let out = sandbox.migproof(&[quick.to_str().unwrap()]).output().unwrap();
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(
        report.contains(&format!(
            "migproof: removed a stale throwaway cluster `{}` (the run that made it is gone: nobody holds its lock)",
            cluster.display()
        )),
        "{report}"
    );
    assert!(!cluster.exists());
    assert!(sandbox.left_in_tmp().is_empty(), "{:?}", sandbox.left_in_tmp());
    // A second run has nothing stale to report.
    let out = sandbox.migproof(&[quick.to_str().unwrap()]).output().unwrap();
    assert!(!text(&out).contains("stale"), "{}", text(&out));
}

/// A stale cluster (nobody holds its lock) in which a process still runs is cleared of it and
/// removed; a cluster whose owner holds its lock is left alone.
#[test]
fn stale_cluster_with_a_running_process_is_stopped_and_removed() {
    let Some(b) = binaries() else { return };
    let live = Throwaway::start(b).expect("the server starts");
    let base = live.dir.parent().unwrap().to_path_buf();
    let stale = base.join(format!("migproof-stale{}", std::process::id()));
    std::fs::create_dir_all(stale.join("data")).unwrap();
    std::fs::write(stale.join("lock"), "").unwrap();
    let mut lingering = Command::new("sleep")
        .arg("600")
        .current_dir(stale.join("data"))
        .spawn()
        .unwrap();
    let removed = server::remove_stale_clusters(&base);
    // (Another test starting a server sweeps the same directory and may have been first.)
    assert!(
        removed.contains(&stale) || !stale.exists(),
        "{removed:?} lacks {}",
        stale.display()
    );
    let status = wait_for(&mut lingering, Duration::from_secs(10));
    assert!(!status.success(), "the lingering process was not killed");
    assert!(!stale.exists());
    // The live one (its owner, this process, holds its lock) is untouched and still answers.
    assert!(live.dir.exists());
    live.config("template1")
        .connect(postgres::NoTls)
        .expect("the live server still runs");
}

/// Guarantee: the throwaway server crashing mid-run (its postmaster killed while a migration
/// runs) is a clear error naming the migration, exit code 2, and nothing is left: no directory,
/// no process.
#[test]
fn server_crash_is_a_clear_error_and_leaves_nothing() {
    let Some(_) = binaries() else { return };
    let sandbox = Sandbox::new();
    let dir = sandbox.migration("migrations", "000001_slow", "SELECT pg_sleep(30);\n", "SELECT 1;\n");
    let mut child = sandbox
        .migproof(&[dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let cluster = cluster_dir(&sandbox.tmp());
    wait_for_select(&cluster);
    let postmaster = postmaster_pid(&cluster);
    // SAFETY: killing the server migproof started for this test.
    unsafe { libc::kill(postmaster, libc::SIGKILL) };
    let status = wait_for(&mut child, Duration::from_secs(15));
    let out = child.wait_with_output().unwrap();
    let report = text(&out);
    assert_eq!(status.code(), Some(2), "{report}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "while applying the up `{}/000001_slow.up.sql`, the throwaway PostgreSQL",
            dir.display()
        )),
        "{report}"
    );
    assert!(stderr.contains("stopped unexpectedly (killed by signal 9)"), "{report}");
    // No finding blames the migration for the crash.
    assert!(!report.contains("MC301"), "{report}");
    assert!(sandbox.left_in_tmp().is_empty(), "{:?}", sandbox.left_in_tmp());
    assert!(!server::process_running(postmaster));
    let procs = processes_mentioning(&sandbox.tmp());
    assert!(procs.is_empty(), "left running: {procs:?}");
}

/// Guarantee: a migration that would run forever is stopped by `--statement-timeout`; the
/// finding names the file and line and says the statement timeout fired. Both an up and a down.
#[test]
fn statement_timeout_stops_a_migration_that_sleeps_forever() {
    let Some(_) = binaries() else { return };
    let sandbox = Sandbox::new();
    let up = sandbox.migration(
        "up_forever",
        "000001_forever",
        "CREATE TABLE t (id int);\nSELECT pg_sleep(100000);\n",
        "DROP TABLE t;\n",
    );
    let down = sandbox.migration(
        "down_forever",
        "000001_forever",
        "CREATE TABLE t (id int);\n",
        "-- takes its time\nSELECT pg_sleep(100000);\nDROP TABLE t;\n",
    );
    let started = Instant::now();
    let out = sandbox
        .migproof(&[
            "--statement-timeout",
            "2",
            "--format",
            "json",
            up.to_str().unwrap(),
            down.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let find = |code: &str, file: String| {
        findings
            .iter()
            .find(|f| f["code"] == code && f["path"] == file.as_str())
            .unwrap_or_else(|| panic!("no {code} in {file}: {report}"))
    };
    for (f, line) in [
        (find("MC301", format!("{}/000001_forever.up.sql", up.display())), 2),
        (find("MC302", format!("{}/000001_forever.down.sql", down.display())), 2),
    ] {
        assert_eq!(f["line"], line, "{f}");
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("canceling statement due to statement timeout"),
            "{f}"
        );
        assert!(
            f["help"]
                .as_str()
                .unwrap()
                .contains("the statement timeout fired: the statement ran longer than --statement-timeout (2 s)"),
            "{f}"
        );
    }
    assert!(sandbox.left_in_tmp().is_empty());
}

const FORMATS: [&str; 5] = ["human", "json", "sarif", "github", "junit"];

fn assert_no_secret(out: &Output, what: &str) {
    let all = text(out);
    assert!(!all.contains(SECRET), "{what}: the password was printed:\n{all}");
}

/// Guarantee: the password in `--database-url` (or MIGPROOF_DATABASE_URL) appears in no output
/// format and no error message: unreachable hosts, unparsable URLs, key=value strings.
#[test]
fn password_never_printed_when_the_server_is_unreachable() {
    let urls = [
        format!("postgres://app:{SECRET}@127.0.0.1:1/app?connect_timeout=2"),
        format!("postgresql://app:{SECRET}@[::1]:1/app?connect_timeout=2"),
        format!("postgres://app:{SECRET}@127.0.0.1:notaport/app"),
        format!("postgres://app@127.0.0.1:1/app?password={SECRET}&connect_timeout=2"),
        format!("host=127.0.0.1 port=1 user=app password={SECRET} dbname=app connect_timeout=2"),
        format!("host=127.0.0.1 port=1 user=app password='{SECRET}' dbname=app sslmode=bogus"),
    ];
    let sandbox = Sandbox::new();
    for url in &urls {
        for (i, format) in FORMATS.into_iter().enumerate() {
            {
                let via_env = i % 2 == 1;
                let mut cmd = sandbox.migproof(&["--format", format, "fixtures/roundtrip/pass_role"]);
                if via_env {
                    cmd.env("MIGPROOF_DATABASE_URL", url);
                } else {
                    cmd.args(["--database-url", url]);
                }
                let out = cmd.output().unwrap();
                let what = format!("{url} --format {format} (env: {via_env})");
                assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
                assert!(
                    String::from_utf8_lossy(&out.stderr).contains("migproof: error"),
                    "{what}: {}",
                    text(&out)
                );
                assert_no_secret(&out, &what);
            }
        }
    }
}

/// Guarantee: on a reachable server the password appears in no report (every format, findings
/// and a clean run alike) and not on stderr.
#[test]
fn password_never_printed_by_a_run_on_a_real_server() {
    let Some(b) = binaries() else { return };
    let pg = Throwaway::start(b).expect("the server starts");
    let sandbox = Sandbox::new();
    pg.config("template1")
        .connect(postgres::NoTls)
        .unwrap()
        .batch_execute(&format!("ALTER ROLE postgres PASSWORD '{SECRET}'"))
        .unwrap();
    let url = url(&pg, Some(SECRET), "template1");
    for format in FORMATS {
        let out = sandbox
            .migproof(&[
                "--database-url",
                &url,
                "--format",
                format,
                "fixtures/roundtrip/pass_role",
                "fixtures/roundtrip/fail_forgotten_enum",
                "fixtures/roundtrip/fail_up_error",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}", text(&out));
        assert!(!out.stdout.is_empty());
        assert_no_secret(&out, format);
    }
    // The GitHub Actions default (human, then annotations) and --verbose too.
    let out = sandbox
        .migproof(&["--verbose", "fixtures/roundtrip/fail_forgotten_enum"])
        .env("MIGPROOF_DATABASE_URL", &url)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("::error"),
        "{}",
        text(&out)
    );
    assert_no_secret(&out, "GITHUB_ACTIONS=true --verbose");
}

/// Every file and directory under `root` (but `.git`): kind, size, mode, modification time and
/// content.
fn tree_state(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut state = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mut line = format!(
                "{:?} {} {:o} {}.{:09}",
                meta.file_type(),
                meta.len(),
                meta.mode(),
                meta.mtime(),
                meta.mtime_nsec()
            );
            if meta.is_dir() {
                stack.push(path.clone());
            } else if meta.is_file() {
                line.push_str(&format!(" {:?}", std::fs::read(&path).unwrap()));
            }
            state.insert(path.strip_prefix(root).unwrap().to_path_buf(), line);
        }
    }
    let meta = std::fs::metadata(root).unwrap();
    state.insert(PathBuf::new(), format!("{}.{:09}", meta.mtime(), meta.mtime_nsec()));
    state
}

/// Guarantee: `check` (offline, `--base`, `--roundtrip`, every format) and `renumber` without
/// `--write` never write into the migration directories: every file's content, size, mode and
/// mtime, and every directory's mtime (a file created and removed again changes it), stay the same.
#[test]
fn check_and_renumber_never_write_into_the_migrations() {
    let sandbox = Sandbox::new();
    let repo = sandbox.path().join("repo");
    let db = repo.join("db");
    std::fs::create_dir_all(&db).unwrap();
    let write = |name: &str, text: &str| std::fs::write(db.join(name), text).unwrap();
    write("000001_users.up.sql", "CREATE TABLE users (id int);\n");
    write("000001_users.down.sql", "DROP TABLE users;\n");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    write("000002_posts.up.sql", "CREATE TABLE posts (id int);\n");
    write("000002_posts.down.sql", "DROP TABLE posts;\n");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "posts"]);
    git(&repo, &["checkout", "-q", "main"]);
    write("000002_tags.up.sql", "CREATE TABLE tags (id int);\n");
    write("000002_tags.down.sql", "-- forgot\n");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "tags"]);
    git(&repo, &["checkout", "-q", "feature"]);
    // An uncommitted, untracked migration and a stray file too.
    write("000003_x.up.sql", "CREATE TABLE x (id int);\n");
    write("000003_x.down.sql", "DROP TABLE x;\n");
    write("notes.txt", "not a migration\n");
    let before = tree_state(&repo);

    let mut runs: Vec<Vec<&str>> = vec![
        vec!["check", "db"],
        vec!["check"],
        vec!["check", "--base", "main", "db"],
        vec!["check", "--base", "main", "--all", "--format", "json", "db"],
        vec!["check", "--format", "sarif", "db"],
        vec!["check", "--format", "junit", "db"],
        vec!["check", "--format", "github", "db"],
        vec!["check", "db/000001_users.up.sql"],
        vec!["renumber", "--base", "main", "--dir", "db"],
    ];
    let have_server = binaries().is_some();
    if have_server {
        runs.push(vec!["check", "--roundtrip", "db"]);
        runs.push(vec!["check", "--roundtrip", "--format", "sarif", "db"]);
    }
    for args in &runs {
        let out = Command::new(BIN)
            .env("MIGPROOF_NO_CACHE", "1")
            .env("MIGPROOF_NO_CACHE", "1")
            .args(args)
            .current_dir(&repo)
            .env("TMPDIR", sandbox.tmp())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("MIGPROOF_DATABASE_URL")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap();
        // It ran (findings or none), not an error.
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {}", text(&out));
        if args[0] == "renumber" {
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("000003"),
                "the dry run proposes renames: {}",
                text(&out)
            );
        }
        let after = tree_state(&repo);
        if after != before {
            let changed: Vec<_> = after
                .iter()
                .filter(|(k, v)| before.get(*k) != Some(v))
                .map(|(k, _)| k)
                .chain(before.keys().filter(|k| !after.contains_key(*k)))
                .collect();
            panic!("`migproof {}` changed {changed:?}", args.join(" "));
        }
    }
    assert!(sandbox.left_in_tmp().is_empty());
    // The check can fail: `renumber --write` does change the tree.
    let out = Command::new(BIN)
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .args(["renumber", "--base", "main", "--dir", "db", "--write"])
        .current_dir(&repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_ne!(tree_state(&repo), before);
}

/// Guarantee: a migration cannot lift the time limit. `SET statement_timeout = 0` in an earlier
/// migration is undone before the next script (the statement timeout fires there), and in the
/// same script migproof's watchdog cancels it after --statement-timeout × (statements + 1).
#[test]
fn a_migration_cannot_turn_the_time_limit_off() {
    let Some(_) = binaries() else { return };
    let sandbox = Sandbox::new();
    let same = sandbox.migration(
        "same_script",
        "000001_off",
        "SET statement_timeout = 0;\nSELECT pg_sleep(100000);\n",
        "SELECT 1;\n",
    );
    let earlier = sandbox.migration(
        "earlier_script",
        "000001_off",
        "SET statement_timeout = 0;\nCREATE TABLE a (id int);\n",
        "DROP TABLE a;\n",
    );
    sandbox.migration(
        "earlier_script",
        "000002_sleep",
        "SELECT pg_sleep(100000);\n",
        "SELECT 1;\n",
    );
    let started = Instant::now();
    let out = sandbox
        .migproof(&[
            "--statement-timeout",
            "1",
            "--format",
            "json",
            same.to_str().unwrap(),
            earlier.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let message = |file: String| -> (String, u64) {
        let f = findings
            .iter()
            .find(|f| f["code"] == "MC301" && f["path"] == file.as_str())
            .unwrap_or_else(|| panic!("no MC301 in {file}: {report}"));
        (f["message"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap())
    };
    let (m, line) = message(format!("{}/000001_off.up.sql", same.display()));
    assert!(
        m.contains("canceled by migproof: the script ran longer than 3 s in all"),
        "{m}"
    );
    assert_eq!(line, 2);
    let (m, line) = message(format!("{}/000002_sleep.up.sql", earlier.display()));
    assert!(m.contains("canceling statement due to statement timeout"), "{m}");
    assert_eq!(line, 1);
    assert!(sandbox.left_in_tmp().is_empty());
}

/// Guarantee: a panic unwinds through the cleanup guards: the throwaway server is stopped and
/// its directory removed, and a registered scratch database on a named server is dropped.
#[test]
fn a_panic_cleans_up_the_server_and_the_scratch_database() {
    use migproof::roundtrip::cleanup::{Task, register};
    let Some(b) = binaries() else { return };
    let named = Throwaway::start(b.clone()).expect("the server starts");
    let mut admin = named.config("template1").connect(postgres::NoTls).unwrap();
    admin.batch_execute("CREATE DATABASE migproof_panic_test").unwrap();
    let slot = std::sync::Mutex::new(None);
    let result = std::panic::catch_unwind(|| {
        let pg = Throwaway::start(b).expect("the server starts");
        *slot.lock().unwrap() = Some((pg.socket_dir.clone(), pg.pid));
        let _scratch = register(Task::Database {
            config: Box::new(named.config("template1")),
            name: "migproof_panic_test".to_string(),
        });
        panic!("a bug in migproof");
    });
    assert!(result.is_err());
    let (dir, pid) = slot.lock().unwrap().take().unwrap();
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(!server::process_running(pid), "postmaster {pid} still runs");
    let left: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = 'migproof_panic_test'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the scratch database was not dropped");
}
