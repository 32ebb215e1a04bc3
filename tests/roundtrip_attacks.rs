//! Attacks on `--roundtrip` by hostile migrations (the round-trip runs SQL from pull requests as
//! a database superuser), each reproduced and shown to fail: root escalation through links,
//! secrets in the server's environment, one run reaching another, a poisoned template cache,
//! unbounded memory and disk, hangs no timeout covers, and `--database-url` bookkeeping (roles,
//! scratch databases of killed runs, passwords in messages).
//!
//! Without server binaries these tests skip with a reason, except in CI (`CI=true`), where that
//! is a failure. Attacks that need migproof to run as root (the server then runs as another
//! user) skip, saying so, when it does not.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use migproof::roundtrip::server::{self, Throwaway};

mod common;

use common::roundtrip::{BIN, Sandbox, binaries, json, text, wait_for};

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Root is needed (the server runs as another user only then).
fn root_or_skip(what: &str) -> bool {
    if !is_root() {
        eprintln!("skipped: {what} needs migproof to run as root (the server then runs as a user of its own)");
        return false;
    }
    true
}

/// Runs `cmd` to its end, failing the test if it takes longer than `limit` (a hang).
fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let out_pipe = child.stdout.take().unwrap();
    let err_pipe = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(out_pipe).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(err_pipe).unwrap_or_default());
    let status = wait_for(&mut child, limit);
    Output {
        status,
        stdout: out.join().unwrap().into_bytes(),
        stderr: err.join().unwrap().into_bytes(),
    }
}

/// Running processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (cmdline.contains(needle) && server::process_running(pid) && pid as u32 != std::process::id())
                .then(|| format!("{pid}: {cmdline}"))
        })
        .collect()
}

/// The message of the finding `code` in `file`, or a panic showing the report.
fn finding(out: &Output, code: &str, file: &Path) -> String {
    let j = json(out);
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["path"] == file.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {code} in {}: {}", file.display(), text(out)));
    format!(
        "{} {}",
        f["message"].as_str().unwrap_or(""),
        f["help"].as_str().unwrap_or("")
    )
}

/// Attack 1 (root escalation): a migration leaves a `setsid nohup` process behind that plants
/// symlinks to a root-owned file wherever migproof might write as root in any cluster
/// directory, and tries to write into the run directory itself. Now: the run directory is
/// root's (0711) so nothing can be planted there (the COPY fails: MC301 "Permission denied"),
/// root creates its files with O_EXCL|O_NOFOLLOW and never chowns, and the planted process dies
/// with the run (PID namespace): after the run it no longer exists, and a second run leaves the
/// root file as it was.
#[test]
fn planted_links_and_lingering_processes_reach_nothing() {
    let Some(_) = binaries() else { return };
    if !root_or_skip("the root-escalation attack") {
        return;
    }
    let sandbox = Sandbox::new();
    let victim = sandbox.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let marker = format!("migproof-attack-{}", std::process::id());
    let tmp = sandbox.tmp();
    let script = format!(
        "while :; do for d in {tmp}/migproof-*; do for f in server.log lock pg_hba.conf passwd migproof.pid \
         socket/x data/x; do ln -s {victim} \"$d/$f\"; done; done; sleep 0.05; done # {marker}",
        tmp = tmp.display(),
        victim = victim.display()
    );
    let lingering = sandbox.migration(
        "lingering",
        "000001_plant",
        &format!(
            "COPY (SELECT 1) TO PROGRAM 'setsid nohup sh -c ''{}'' >/dev/null 2>&1 &';\nSELECT pg_sleep(1);\n",
            script.replace('\'', "''''")
        ),
        "SELECT 1;\n",
    );
    let write_parent = sandbox.migration(
        "write_parent",
        "000001_write",
        "DO $$ BEGIN EXECUTE format('COPY (SELECT 1) TO %L', current_setting('data_directory') || '/../planted'); END $$;\n",
        "SELECT 1;\n",
    );
    let out = run_bounded(
        &mut sandbox.migproof(&[
            "--format",
            "json",
            lingering.to_str().unwrap(),
            write_parent.to_str().unwrap(),
        ]),
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let m = finding(&out, "MC301", &write_parent.join("000001_write.up.sql"));
    assert!(m.contains("Permission denied"), "{m}");
    // The planted process died with its server.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes_with(&marker).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        processes_with(&marker).is_empty(),
        "outlived the run: {:?}",
        processes_with(&marker)
    );
    // A second run: the root file is as it was.
    let quick = sandbox.migration("quick", "000001_t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n");
    let out = run_bounded(
        &mut sandbox.migproof(&[quick.to_str().unwrap()]),
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let meta = std::fs::symlink_metadata(&victim).unwrap();
    assert!(meta.is_file());
    assert_eq!((meta.uid(), meta.gid(), meta.mode() & 0o7777), (0, 0, 0o600));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(std::fs::read_dir(&tmp).unwrap().next().is_none(), "left in TMPDIR");
}

/// Attack 2 (secrets): a migration reads the server's environment (`/proc/self/environ` of its
/// backend, `/proc/1/environ`: the postmaster) and puts it into the report. Now the server's
/// environment is `PATH` and `LC_ALL` only: the secret of migproof's environment is not there.
#[test]
fn the_servers_environment_holds_no_secret() {
    let Some(_) = binaries() else { return };
    let sandbox = Sandbox::new();
    let dir = sandbox.migration(
        "leak",
        "000001_leak",
        "DO $$ BEGIN RAISE EXCEPTION 'env: % / %', \
         encode(pg_read_binary_file('/proc/self/environ'), 'escape'), \
         encode(pg_read_binary_file('/proc/' || (SELECT CASE WHEN pg_backend_pid() < 1000 THEN 1 ELSE pg_backend_pid() END) || '/environ'), 'escape'); END $$;\n",
        "SELECT 1;\n",
    );
    let out = run_bounded(
        sandbox
            .migproof(&["--format", "json", dir.to_str().unwrap()])
            .env("SECRET_TOKEN", "hunter2-do-not-print"),
        Duration::from_secs(120),
    );
    let m = finding(&out, "MC301", &dir.join("000001_leak.up.sql"));
    assert!(
        m.contains("PATH=") && m.contains("LC_ALL=C"),
        "the environment was not read: {m}"
    );
    assert!(!text(&out).contains("hunter2"), "{}", text(&out));
    assert!(!m.contains("SECRET_TOKEN") && !m.contains("HOME="), "{m}");
}

/// Attack 3 (runs reach each other): a migration of one run connects to another run's server
/// (dblink over its socket), and reads its data directory. Now each server has a random
/// password (SCRAM), its socket directory is private (0700) and, as root, each run's server
/// has a user id of its own: both attempts fail (MC301), and the other server is untouched.
#[test]
fn one_run_cannot_reach_another_runs_server() {
    let Some(b) = binaries() else { return };
    let other = Throwaway::start(b).expect("the server starts");
    let meta = std::fs::metadata(&other.socket_dir).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o700, "the socket directory is private");
    if let Some(user) = &other.run_as {
        assert_eq!(meta.uid(), user.uid);
    }
    // Without the password, nobody gets in.
    let mut wrong = other.config("template1");
    wrong.password("guess");
    let Err(e) = wrong.connect(postgres::NoTls) else {
        panic!("connected with a wrong password")
    };
    assert!(
        e.as_db_error()
            .is_some_and(|d| d.message().contains("password authentication failed")),
        "{e}"
    );
    let sandbox = Sandbox::new();
    let connect = sandbox.migration(
        "connect",
        "000001_reach",
        &format!(
            "CREATE EXTENSION dblink;\nSELECT * FROM dblink('host={} port={} user=postgres dbname=template1 connect_timeout=3', \
             'CREATE DATABASE reached') AS t(x text);\n",
            other.socket_dir.display(),
            other.port
        ),
        "DROP EXTENSION dblink;\n",
    );
    let read = sandbox.migration(
        "read",
        "000001_read",
        &format!("SELECT pg_read_file('{}/data/PG_VERSION');\n", other.dir.display()),
        "SELECT 1;\n",
    );
    let mut dirs = vec![connect.to_str().unwrap()];
    if is_root() {
        dirs.push(read.to_str().unwrap());
    }
    let mut args = vec!["--format", "json"];
    args.extend(dirs);
    let out = run_bounded(&mut sandbox.migproof(&args), Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let m = finding(&out, "MC301", &connect.join("000001_reach.up.sql"));
    assert!(
        m.contains("could not establish connection") || m.contains("password"),
        "{m}"
    );
    if is_root() {
        let m = finding(&out, "MC301", &read.join("000001_read.up.sql"));
        assert!(m.contains("Permission denied"), "{m}");
    }
    let mut c = other.config("template1").connect(postgres::NoTls).unwrap();
    let reached: i64 = c
        .query_one("SELECT count(*) FROM pg_database WHERE datname = 'reached'", &[])
        .unwrap()
        .get(0);
    assert_eq!(reached, 0);
}

/// Attack 4 (cache poisoning): the cached cluster template is changed after it was made (what a
/// migration running as migproof's own user could do). Now the template is root's (as root, the
/// server never sees it), and every copy is checked against the SHA-256 manifest written when the
/// template was made: the changed template is rejected, said so, removed and built again.
#[test]
fn a_poisoned_template_is_rejected_and_rebuilt() {
    let Some(_) = binaries() else { return };
    let sandbox = Sandbox::new();
    let cache = sandbox.path().join("cache");
    let quick = sandbox.migration("quick", "000001_t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n");
    let run = || {
        run_bounded(
            sandbox
                .migproof(&[quick.to_str().unwrap()])
                .env("XDG_CACHE_HOME", &cache),
            Duration::from_secs(180),
        )
    };
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let template = std::fs::read_dir(cache.join("migproof"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .expect("a template was cached");
    let manifest = PathBuf::from(format!("{}.sha256", template.display()));
    assert!(manifest.is_file(), "no manifest {}", manifest.display());
    let meta = std::fs::metadata(&template).unwrap();
    assert_eq!(meta.mode() & 0o077, 0, "the template is private to migproof's user");
    if is_root() {
        assert_eq!(meta.uid(), 0, "as root, the template is root's");
    }
    let conf = template.join("postgresql.conf");
    let mut text_conf = std::fs::read_to_string(&conf).unwrap();
    text_conf.push_str("\nsession_preload_libraries = 'poisoned'\n");
    std::fs::write(&conf, &text_conf).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("was changed since it was made (`postgresql.conf` differs from when the template was made); rejected it and built it again"),
        "{stderr}"
    );
    assert!(!std::fs::read_to_string(&conf).unwrap().contains("poisoned"));
}

/// Attack 5 (no limits): a migration raises `work_mem` and sorts gigabytes in memory, and fills
/// the RAM-backed cluster. Now each server process's address space is capped (a superuser
/// cannot raise an rlimit): the sort fails with "out of memory"; and, as root, the data
/// directory is a tmpfs of `[roundtrip] max-cluster-mb`: the table fails with "No space left".
#[test]
fn memory_and_the_ram_backed_cluster_are_bounded() {
    let Some(_) = binaries() else { return };
    let sandbox = Sandbox::new();
    let memory = sandbox.migration(
        "memory",
        "000001_sort",
        "SET work_mem = '8GB';\nSELECT count(*) FROM (SELECT g, repeat('x', 200) || g r FROM generate_series(1, 12000000) g ORDER BY r) s;\n",
        "SELECT 1;\n",
    );
    let disk = sandbox.migration(
        "disk",
        "000001_fill",
        "CREATE TABLE big AS SELECT g, repeat(md5(g::text), 30) AS pad FROM generate_series(1, 200000) g;\n",
        "DROP TABLE big;\n",
    );
    let config = sandbox.path().join("migproof.toml");
    std::fs::write(&config, "[roundtrip]\nmax-cluster-mb = 96\n").unwrap();
    let mut args = vec![
        "--format",
        "json",
        "--config",
        config.to_str().unwrap(),
        memory.to_str().unwrap(),
    ];
    if is_root() {
        args.push(disk.to_str().unwrap());
    } else {
        eprintln!("skipped (part): the tmpfs size cap needs root");
    }
    let out = run_bounded(&mut sandbox.migproof(&args), Duration::from_secs(300));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let m = finding(&out, "MC301", &memory.join("000001_sort.up.sql"));
    assert!(m.contains("out of memory"), "{m}");
    if is_root() {
        let m = finding(&out, "MC301", &disk.join("000001_fill.up.sql"));
        assert!(
            m.contains("could not extend file") || m.contains("No space left on device"),
            "{m}"
        );
        let server = json(&out)["roundtrip"]["server"].as_str().unwrap().to_string();
        assert!(server.contains("tmpfs of at most 96 MiB"), "{server}");
    }
}

/// Hang 1: a `DO` loop that catches `query_canceled` (the statement timeout and every cancel)
/// and goes on. Now the watchdog terminates its session from a second connection, which no SQL
/// can catch: MC301 "terminated by migproof", and the run goes on to the next directory.
#[test]
fn a_loop_that_catches_cancellation_is_ended_from_outside() {
    let Some(_) = binaries() else { return };
    let sandbox = Sandbox::new();
    let stubborn = sandbox.migration(
        "stubborn",
        "000001_loop",
        "DO $$ BEGIN LOOP BEGIN PERFORM pg_sleep(1000); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$;\n",
        "SELECT 1;\n",
    );
    let fine = sandbox.migration("fine", "000001_t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n");
    let out = run_bounded(
        &mut sandbox.migproof(&[
            "--statement-timeout",
            "1",
            "--format",
            "json",
            stubborn.to_str().unwrap(),
            fine.to_str().unwrap(),
        ]),
        Duration::from_secs(90),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let m = finding(&out, "MC301", &stubborn.join("000001_loop.up.sql"));
    assert!(m.contains("terminated by migproof"), "{m}");
    let j = json(&out);
    let sets = j["roundtrip"]["sets"].as_array().unwrap();
    let fine_set = sets.iter().find(|s| s["path"] == fine.to_str().unwrap()).unwrap();
    assert_eq!(fine_set["status"], "verified", "{}", text(&out));
}

/// Hang 2: a migration locks `pg_class` from another session (dblink, after giving the role a
/// password it knows) and leaves it locked; the catalog snapshot would wait forever. Now the
/// snapshot has timeouts of its own and the watchdog: the run ends with a clear error (exit 2)
/// naming the cause, and nothing is left behind.
#[test]
fn a_catalog_locked_from_another_session_cannot_hang_the_snapshot() {
    let Some(_) = binaries() else { return };
    let sandbox = Sandbox::new();
    sandbox.migration(
        "locker",
        "000001_password",
        "ALTER ROLE postgres PASSWORD 'attack';\n",
        "SELECT 1;\n",
    );
    let dir = sandbox.migration(
        "locker",
        "000002_lock",
        "CREATE EXTENSION dblink;\n\
         SELECT dblink_connect('hold', format('host=%s port=%s user=postgres password=attack dbname=%s', \
         current_setting('unix_socket_directories'), current_setting('port'), current_database()));\n\
         SELECT dblink_exec('hold', 'BEGIN; SET statement_timeout = 0; LOCK TABLE pg_class IN ACCESS EXCLUSIVE MODE');\n",
        "SELECT 1;\n",
    );
    let out = run_bounded(
        &mut sandbox.migproof(&[dir.to_str().unwrap()]),
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the schema snapshot failed"), "{stderr}");
    assert!(stderr.contains("hold a catalog locked"), "{stderr}");
    assert!(
        std::fs::read_dir(sandbox.tmp()).unwrap().next().is_none(),
        "left in TMPDIR"
    );
}

/// A live cluster whose run is in another PID namespace (where its pid is 1 or 2) is not a
/// stale cluster: staleness is decided by the run's lock, not by a pid.
#[test]
fn a_live_cluster_in_another_pid_namespace_is_not_swept() {
    let Some(_) = binaries() else { return };
    if !root_or_skip("a run in another PID namespace") {
        return;
    }
    if Command::new("unshare").arg("--version").output().is_err() {
        assert!(!common::in_ci(), "CI=true and no `unshare` (util-linux)");
        eprintln!("skipped: no `unshare` (util-linux)");
        return;
    }
    let sandbox = Sandbox::new();
    let slow = sandbox.migration("slow", "000001_slow", "SELECT pg_sleep(4);\n", "SELECT 1;\n");
    let mut child = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
        .arg(BIN)
        .args(["check", "--roundtrip", slow.to_str().unwrap()])
        .env("TMPDIR", sandbox.tmp())
        .env("MIGPROOF_NO_CACHE", "1")
        .env_remove("MIGPROOF_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let cluster = loop {
        let found = std::fs::read_dir(sandbox.tmp())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.join("socket/.s.PGSQL.5432").exists());
        if let Some(p) = found {
            break p;
        }
        assert!(Instant::now() < deadline, "the server never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    let removed = server::remove_stale_clusters(&sandbox.tmp());
    assert!(removed.is_empty(), "swept a live cluster: {removed:?}");
    assert!(cluster.exists());
    let status = wait_for(&mut child, Duration::from_secs(60));
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(0), "{}", text(&Output { status, ..out }));
}

/// `postgres://…` for `pg` (its password unless another is given).
fn url(pg: &Throwaway, password: Option<&str>, db: &str) -> String {
    format!(
        "postgres://postgres:{}@/{db}?host={}&port={}",
        password.unwrap_or(&pg.password),
        pg.socket_dir.display(),
        pg.port
    )
}

fn names(pg: &Throwaway, sql: &str) -> Vec<String> {
    let mut c = pg.config("template1").connect(postgres::NoTls).unwrap();
    c.query(sql, &[]).unwrap().iter().map(|r| r.get(0)).collect()
}

/// `--database-url`: the roles dropped are exactly those this run created, found from the
/// catalog: a role another session created while the run went on (its name in a migration's
/// comment) stays, and is not taken for one the down left behind; a role created by dynamic SQL
/// is dropped.
#[test]
fn roles_dropped_are_exactly_the_ones_the_run_created() {
    let Some(b) = binaries() else { return };
    let pg = Throwaway::start(b).expect("the server starts");
    let sandbox = Sandbox::new();
    let dir = sandbox.migration(
        "roles",
        "000001_wait",
        "-- migproof_bystander is mentioned here\nSELECT pg_sleep(1.5);\n",
        "SELECT 1;\n",
    );
    sandbox.migration(
        "roles",
        "000002_dynamic",
        "DO $$ BEGIN EXECUTE 'CREATE ROLE ' || 'migproof_dyn' || '_role'; END $$;\n",
        "DO $$ BEGIN EXECUTE 'DROP ROLE ' || 'migproof_dyn' || '_role'; END $$;\n",
    );
    // Another session creates a role before the run and commits it during the run.
    let mut other = pg.config("template1").connect(postgres::NoTls).unwrap();
    other.batch_execute("BEGIN; CREATE ROLE migproof_bystander").unwrap();
    let child = sandbox
        .migproof(&["--database-url", &url(&pg, None, "template1"), dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The commit lands while the first up sleeps: after the run's first snapshot, so the role
    // appears in the middle of a round trip without being the migrations'.
    let deadline = Instant::now() + Duration::from_secs(60);
    while names(
        &pg,
        "SELECT pid::text FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg\\_sleep(1.5)%' \
         AND pid <> pg_backend_pid()",
    )
    .is_empty()
    {
        assert!(Instant::now() < deadline, "the run never reached its first up");
        std::thread::sleep(Duration::from_millis(20));
    }
    other.batch_execute("COMMIT").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let roles = names(
        &pg,
        "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'migproof%' ORDER BY 1",
    );
    assert_eq!(roles, ["migproof_bystander"], "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("migproof_dyn_role"),
        "the dropped role is named: {}",
        text(&out)
    );
}

/// `--database-url`: two runs at once whose migrations create the same role do not fail each
/// other (a false MC301): the second waits for the first, and says so; both pass.
#[test]
fn concurrent_runs_creating_the_same_role_both_pass() {
    let Some(b) = binaries() else { return };
    let pg = Throwaway::start(b).expect("the server starts");
    let sandbox = Sandbox::new();
    let dir = sandbox.migration(
        "same",
        "000001_role",
        "CREATE ROLE migproof_same_role;\nSELECT pg_sleep(1);\n",
        "DROP ROLE migproof_same_role;\n",
    );
    let spawn = || {
        sandbox
            .migproof(&["--database-url", &url(&pg, None, "template1"), dir.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    let second = spawn();
    let (a, b) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());
    for out in [&a, &b] {
        assert_eq!(out.status.code(), Some(0), "{}", text(out));
        assert!(!text(out).contains("MC301"), "{}", text(out));
    }
    assert!(
        text(&a).contains("waiting for it to finish") || text(&b).contains("waiting for it to finish"),
        "{}\n{}",
        text(&a),
        text(&b)
    );
    assert!(names(&pg, "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'migproof%'").is_empty());
}

/// `--database-url`: a run killed with SIGKILL leaves its scratch database, its busy backend and
/// its role. The next run finds the database (nobody holds its run's advisory lock), drops it
/// and the roles it recorded, and says so; a live run's database is never touched.
#[test]
fn a_killed_runs_scratch_database_and_roles_are_removed_by_the_next_run() {
    let Some(b) = binaries() else { return };
    let pg = Throwaway::start(b).expect("the server starts");
    let sandbox = Sandbox::new();
    let dir = sandbox.migration("killed", "000001_role", "CREATE ROLE migproof_orphan;\n", "SELECT 1;\n");
    sandbox.migration("killed", "000002_slow", "SELECT pg_sleep(60);\n", "SELECT 1;\n");
    let mut child = sandbox
        .migproof(&["--database-url", &url(&pg, None, "template1"), dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while names(
        &pg,
        "SELECT query FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%' AND state = 'active'",
    )
    .is_empty()
    {
        assert!(Instant::now() < deadline, "the slow migration never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = names(
        &pg,
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'migproof\\_%'",
    );
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        names(
            &pg,
            "SELECT rolname::text FROM pg_roles WHERE rolname = 'migproof_orphan'"
        )
        .len(),
        1
    );
    let quick = sandbox.migration("quick", "000001_t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n");
    let out = run_bounded(
        &mut sandbox.migproof(&["--database-url", &url(&pg, None, "template1"), quick.to_str().unwrap()]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "migproof: removed the scratch database `{}` left by a migproof run that is gone (nobody holds its lock), \
             and the roles it created: migproof_orphan",
            left[0]
        )),
        "{stderr}"
    );
    assert!(
        names(
            &pg,
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'migproof\\_%'"
        )
        .is_empty()
    );
    assert!(names(&pg, "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'migproof%'").is_empty());
}

/// `--database-url`: an unencoded `@` in the password prints no part of it; connection and
/// permission failures give the server's reason (without the password), not "db error".
#[test]
fn failures_give_the_servers_reason_and_no_part_of_the_password() {
    let sandbox = Sandbox::new();
    let out = run_bounded(
        &mut sandbox.migproof(&[
            "--database-url",
            "postgres://app:p@ssw0rdTAIL@127.0.0.1:1/app?connect_timeout=2",
            "fixtures/roundtrip/pass_role",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let all = text(&out);
    assert!(!all.contains("ssw0rdTAIL") && !all.contains("p@ss"), "{all}");
    let Some(b) = binaries() else { return };
    let pg = Throwaway::start(b).expect("the server starts");
    let out = run_bounded(
        &mut sandbox.migproof(&[
            "--database-url",
            &url(&pg, Some("wrong-secret-pw"), "template1"),
            "fixtures/roundtrip/pass_role",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("password authentication failed for user \"postgres\""),
        "{stderr}"
    );
    assert!(!text(&out).contains("wrong-secret-pw"), "{}", text(&out));
    let mut admin = pg.config("template1").connect(postgres::NoTls).unwrap();
    admin
        .batch_execute("CREATE ROLE migproof_weak LOGIN PASSWORD 'weak-secret-pw'")
        .unwrap();
    let weak = format!(
        "postgres://migproof_weak:weak-secret-pw@/template1?host={}&port={}",
        pg.socket_dir.display(),
        pg.port
    );
    let out = run_bounded(
        &mut sandbox.migproof(&["--database-url", &weak, "fixtures/roundtrip/pass_role"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("permission denied to create database"), "{stderr}");
    assert!(
        !stderr.contains("db error") && !stderr.contains("weak-secret-pw"),
        "{stderr}"
    );
}

/// Attack (a forged snapshot): a migration defines its own `=` on `oid` in `public` and puts
/// `public` before `pg_catalog` on the session's search_path, so that the catalog query the
/// schema snapshot runs would pick it. Now the snapshot runs with `pg_catalog` alone on the
/// search_path: the run completes and names what the down leaves behind.
#[test]
fn a_search_path_operator_cannot_forge_the_snapshot() {
    if binaries().is_none() {
        return;
    }
    let sandbox = Sandbox::new();
    let dir = sandbox.migration(
        "forge",
        "000001_forge",
        "CREATE FUNCTION public.eq(oid, oid) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT true';\n\
         CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.eq);\n\
         SET search_path = public, pg_catalog;\n\
         CREATE TABLE forgotten (a int);\n",
        "SELECT 1;\n",
    );
    let out = run_bounded(
        &mut sandbox.migproof(&["--no-measure", "--format", "json", dir.to_str().unwrap()]),
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let m = finding(&out, "MC303", &dir.join("000001_forge.down.sql"));
    assert!(m.contains("left behind"), "{m}");
}
