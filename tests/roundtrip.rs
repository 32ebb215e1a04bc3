//! `--roundtrip` end to end: a throwaway PostgreSQL started by migproof's own code.
//!
//! Without server binaries these tests skip with a reason, except in CI (`CI=true`), where a
//! missing server is a failure: `.ci/run` installs it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migproof::roundtrip::{Options, SetStatus, server};
use migproof::{Outcome, check, check_roundtrip};

/// The server's major version, or `None` (skip) outside CI when there is no server.
fn server_major() -> Option<u32> {
    match server::find_binaries(None) {
        Ok(b) => Some(b.major),
        Err(e) => {
            common::skip(&format!("no PostgreSQL server to round-trip on: {e}"));
            None
        }
    }
}

fn roundtrip(paths: &[&str]) -> Outcome {
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let mut outcome = check(&paths).expect("the fixtures load");
    check_roundtrip(&mut outcome, &Options::default()).expect("the round-trip runs");
    outcome
}

/// Round-trip findings (MC3xx) as `CODE path:line:col: message` plus help lines.
fn listing(outcome: &Outcome) -> String {
    let mut out = String::new();
    for f in outcome.findings.iter().filter(|f| f.rule.code.starts_with("MC3")) {
        let (line, col) = f.location.line_col();
        out.push_str(&format!(
            "{} {}:{line}:{col}: {}\n",
            f.rule.code, f.location.path, f.message
        ));
        if let Some(label) = &f.label {
            out.push_str(&format!("    label: {label}\n"));
        }
        if let Some(help) = &f.help {
            for l in help.lines() {
                out.push_str(&format!("    help: {l}\n"));
            }
        }
    }
    for set in &outcome.roundtrip.as_ref().expect("round-trip ran").sets {
        let statuses: Vec<String> = set
            .migrations
            .iter()
            .map(|m| format!("{} {}", m.version, m.status))
            .collect();
        out.push_str(&format!(
            "{}: {} [{}]\n",
            set.path,
            set.status.as_str(),
            statuses.join(", ")
        ));
    }
    out
}

#[test]
fn fixtures_report_exact_messages() {
    let Some(major) = server_major() else { return };
    let mut dirs: Vec<String> = std::fs::read_dir("fixtures/roundtrip")
        .unwrap()
        .map(|e| format!("fixtures/roundtrip/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    dirs.sort();
    let outcome = roundtrip(&dirs.iter().map(String::as_str).collect::<Vec<_>>());
    let text = listing(&outcome);
    println!("{text}");
    insta::assert_snapshot!("fixtures", text);

    let report = outcome.roundtrip.as_ref().unwrap();
    for set in &report.sets {
        let name = set.path.rsplit('/').next().unwrap();
        let found = outcome
            .findings
            .iter()
            .filter(|f| f.rule.code.starts_with("MC3") && f.location.path.contains(&format!("/{name}/")))
            .count();
        if name.starts_with("pass_") {
            assert_eq!(set.status, SetStatus::Verified, "{name}");
            assert_eq!(found, 0, "{name}");
        } else {
            assert!(found > 0, "{name} reports nothing");
        }
        for m in &set.migrations {
            if !["not-run", "up-failed", "environment", "no-up"].contains(&m.status.as_str()) {
                assert!(m.up_ms.is_some(), "{name} {}: timings", m.version);
            }
        }
    }
    assert!(text.contains(&format!("PostgreSQL {major}")) || !text.contains("PostgreSQL "));
}

#[test]
fn seed_shapes_round_trip_and_pgvector_is_an_environment_problem() {
    let Some(major) = server_major() else { return };
    let outcome = roundtrip(&[
        "fixtures/seeds/pass_memghost/migrations",
        "fixtures/seeds/pass_holomush/internal/store/migrations",
        "fixtures/seeds/pass_backend/backend/migrations",
    ]);
    let report = outcome.roundtrip.as_ref().unwrap();
    let status = |suffix: &str| report.sets.iter().find(|s| s.path.contains(suffix)).unwrap().status;
    assert_eq!(status("pass_memghost"), SetStatus::Verified);
    assert_eq!(status("pass_holomush"), SetStatus::Verified);
    let vector_installed = Path::new(&format!("/usr/share/postgresql/{major}/extension/vector.control")).exists();
    if vector_installed {
        assert_eq!(status("pass_backend"), SetStatus::Verified);
        return;
    }
    assert_eq!(status("pass_backend"), SetStatus::NotVerified);
    assert!(report.not_verified());
    let mc306: Vec<_> = outcome.findings.iter().filter(|f| f.rule.code == "MC306").collect();
    assert_eq!(mc306.len(), 1);
    assert_eq!(
        mc306[0].message,
        format!("extension `vector` is not installed on the round-trip server (PostgreSQL {major})")
    );
    let help = mc306[0].help.as_deref().unwrap();
    assert!(help.contains(&format!("postgresql-{major}-pgvector")), "{help}");
    assert!(help.contains("--database-url"), "{help}");
    assert!(help.contains("NOT VERIFIED"), "{help}");
    assert!(mc306[0].location.path.ends_with("003_create_embeddings_table.up.sql"));
}

#[test]
fn cli_exit_codes_and_json() {
    let Some(_) = server_major() else { return };
    let bin = env!("CARGO_BIN_EXE_migproof");
    // Not verified: exit 2, even though the only finding is an error.
    let out = Command::new(bin)
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .args(["check", "--roundtrip", "fixtures/seeds/pass_backend/backend/migrations"])
        .env_remove("MIGPROOF_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.contains("NOT VERIFIED") {
        eprintln!("pgvector is installed here; skipping the exit-2 check");
    } else {
        assert_eq!(out.status.code(), Some(2), "{stdout}");
    }
    // Findings: exit 1; JSON carries per-migration status and timings.
    let out = Command::new(bin)
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .args([
            "check",
            "--roundtrip",
            "--format",
            "json",
            "fixtures/roundtrip/fail_forgotten_enum",
        ])
        .env_remove("MIGPROOF_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let set = &json["roundtrip"]["sets"][0];
    assert_eq!(set["status"], "failed");
    assert_eq!(set["migrations"][0]["status"], "ok");
    assert_eq!(set["migrations"][1]["status"], "reapply-failed");
    assert!(set["migrations"][1]["up_ms"].as_f64().unwrap() > 0.0);
    assert!(set["migrations"][1]["down_ms"].as_f64().unwrap() > 0.0);
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["MC303", "MC304"]);
    // Clean: exit 0.
    let out = Command::new(bin)
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .args(["check", "--roundtrip", "fixtures/seeds/pass_memghost/migrations"])
        .env_remove("MIGPROOF_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn rules_list_the_round_trip_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_migproof"))
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .arg("rules")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for code in ["MC301", "MC302", "MC303", "MC304", "MC305", "MC306", "MC307"] {
        assert!(text.contains(code), "{code} missing from `migproof rules`");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_migproof"))
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .args(["rule", "MC306"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("roundtrip-environment"));
}

/// SIGINT (Ctrl-C), SIGTERM or SIGHUP (terminal closed) while a migration runs: no postmaster and no temporary
/// directory are left.
#[test]
fn interrupted_run_leaves_nothing_behind() {
    let Some(_) = server_major() else { return };
    interrupt_mid_run(libc::SIGINT);
    interrupt_mid_run(libc::SIGTERM);
    interrupt_mid_run(libc::SIGHUP);
}

fn interrupt_mid_run(signal: i32) {
    let work = tempfile::tempdir().unwrap();
    let migrations = work.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(migrations.join("000001_slow.up.sql"), "SELECT pg_sleep(30);\n").unwrap();
    std::fs::write(migrations.join("000001_slow.down.sql"), "SELECT 1;\n").unwrap();
    // The server user (when running as root) must reach the temp dir.
    let tmp = work.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777)).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_migproof"))
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .args(["check", "--roundtrip"])
        .arg(&migrations)
        .env("TMPDIR", &tmp)
        .env_remove("MIGPROOF_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the server runs and the slow migration has had time to start.
    let deadline = Instant::now() + Duration::from_secs(60);
    let data = loop {
        let found = std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.join("socket/.s.PGSQL.5432").exists());
        if let Some(p) = found {
            break p.join("data");
        }
        assert!(Instant::now() < deadline, "the server never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(1500));
    // The postmaster as the host sees it (in its own PID namespace it is 1 there).
    let needle = format!("-D\0{}\0", data.display());
    let postmaster: i32 = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .find_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline).contains(&needle).then_some(pid)
        })
        .expect("the postmaster runs");
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as i32, signal) };
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "migproof took too long to stop"
    );
    assert_eq!(status.code(), Some(128 + signal));
    // SAFETY: probing a pid with signal 0 has no effect.
    let alive = unsafe { libc::kill(postmaster, 0) } == 0;
    assert!(!alive, "postmaster {postmaster} still running");
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// coder/coder's 362 migration pairs, up → down → up. What is asserted was checked by hand
/// against the files (see the comments).
#[test]
fn coder_corpus_round_trips_all_362_pairs() {
    let dir = "../shared/corpus/coder__coder/coderd/database/migrations";
    if !Path::new(dir).is_dir() {
        eprintln!("skipping: {dir} is absent");
        return;
    }
    let Some(_) = server_major() else { return };
    let started = Instant::now();
    let outcome = roundtrip(&[dir]);
    let text = listing(&outcome);
    println!("{text}");
    println!("round-trip of {dir} took {:.1} s", started.elapsed().as_secs_f64());
    let set = &outcome.roundtrip.as_ref().unwrap().sets[0];
    assert_eq!(set.migrations.len(), 362);
    // Every pair was round-tripped: no up failed, nothing was skipped.
    assert!(
        set.migrations
            .iter()
            .all(|m| m.status != "not-run" && m.status != "up-failed")
    );
    assert_eq!(set.status, SetStatus::Failed);
    let has = |code: &str, file: &str, text: &str| {
        outcome
            .findings
            .iter()
            .any(|f| f.rule.code == code && f.location.path.ends_with(file) && f.message.contains(text))
    };
    // 000018's down deletes audit rows with enum values that only exist from 000046 on.
    assert!(has(
        "MC302",
        "000018_provisioner_job_type_dry_run.down.sql",
        "invalid input value for enum resource_type"
    ));
    // 000048's down drops `users.deleted`, which drops the partial indexes built on it, so the
    // up's `DROP INDEX idx_users_email` fails the second time.
    assert!(has(
        "MC303",
        "000048_userdelete.down.sql",
        "index `users.idx_users_email` missing"
    ));
    assert!(has(
        "MC304",
        "000048_userdelete.up.sql",
        "index \"idx_users_email\" does not exist"
    ));
    // 000071's down re-adds `id` as uuid without the primary key.
    assert!(has(
        "MC303",
        "000071_provisioner_log_lines.down.sql",
        "constraint `provisioner_job_logs.provisioner_job_logs_pkey` missing"
    ));
    // 000310's down recreates the trigger as BEFORE DELETE; the up had BEFORE UPDATE … WHEN.
    assert!(has(
        "MC303",
        "000310_update_protect_deleting_organization_function.down.sql",
        "trigger `organizations.protect_deleting_organizations` definition differs"
    ));
    // 000343's down is comment-only: the chat tables it dropped stay dropped.
    assert!(has("MC303", "000343_delete_chats.down.sql", "table `chats` missing"));
    // Enum values cannot be dropped: 000046's down leaves them.
    assert!(has(
        "MC303",
        "000046_more_resource_types.down.sql",
        "enum `resource_type` value `git_ssh_key` left behind"
    ));
    // 000014's down re-adds organization_id, which goes last.
    assert!(has(
        "MC307",
        "000014_provisioner_daemons_organization_id.down.sql",
        "provisioner_daemons"
    ));
    let count = |code: &str| outcome.findings.iter().filter(|f| f.rule.code == code).count();
    assert_eq!(
        [
            count("MC301"),
            count("MC302"),
            count("MC303"),
            count("MC304"),
            count("MC305"),
            count("MC306"),
            count("MC307")
        ],
        [0, 1, 44, 3, 0, 0, 18]
    );
    // 41 downs leave a difference and the up applies again; 3 more make the re-up fail too;
    // 8 round-trip with only their columns in another order.
    let status = |s: &str| set.migrations.iter().filter(|m| m.status == s).count();
    assert_eq!(
        [
            status("ok"),
            status("column-order"),
            status("not-reversing"),
            status("reapply-failed"),
            status("down-failed")
        ],
        [309, 8, 41, 3, 1]
    );
}

/// `--database-url`: a scratch database is created and dropped, the roles the migrations
/// created are dropped, the named database is untouched and the password is never printed.
#[test]
fn named_server_gets_a_scratch_database_and_its_roles_back() {
    let Some(_) = server_major() else { return };
    let binaries = server::find_binaries(None).unwrap();
    let pg = server::Throwaway::start(binaries).expect("server starts");
    let url = format!(
        "host={} port={} user=postgres password={} dbname=template1",
        pg.socket_dir.display(),
        pg.port,
        pg.password
    );
    let out = Command::new(env!("CARGO_BIN_EXE_migproof"))
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .args([
            "check",
            "--roundtrip",
            "fixtures/roundtrip/pass_role",
            "fixtures/roundtrip/fail_forgotten_enum",
        ])
        .env("MIGPROOF_DATABASE_URL", &url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stdout.contains(&pg.password) && !stderr.contains(&pg.password));
    assert!(
        stdout.contains("dropped roles the migrations created: migproof_fixture_reader"),
        "{stdout}"
    );
    let mut client = pg.config("template1").connect(postgres::NoTls).unwrap();
    let left: Vec<String> = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'migproof%' \
             UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE 'migproof%'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // Nothing ran in the named database.
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'reports')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);
}

/// A directory that needs what the platform provides: not verified without `--setup` (MC306,
/// exit 2), verified with it.
#[test]
fn setup_file_provides_platform_roles_and_schemas() {
    let Some(_) = server_major() else { return };
    let dir = "fixtures/roundtrip-setup/pass_platform_roles";
    let without = roundtrip(&[dir]);
    let report = without.roundtrip.as_ref().unwrap();
    assert_eq!(report.sets[0].status, SetStatus::NotVerified);
    let mc306: Vec<_> = without.findings.iter().filter(|f| f.rule.code == "MC306").collect();
    assert_eq!(mc306.len(), 1);
    assert_eq!(
        mc306[0].message,
        "role `supabase_auth_admin` does not exist on the round-trip server"
    );
    assert!(mc306[0].help.as_deref().unwrap().contains("--setup"));

    let mut with = check(&[PathBuf::from(dir)]).unwrap();
    let options = Options {
        setup: Some(PathBuf::from("fixtures/roundtrip-setup/setup.sql")),
        ..Options::default()
    };
    check_roundtrip(&mut with, &options).unwrap();
    assert_eq!(listing(&with), format!("{dir}: verified [000001 ok]\n"));
}

/// Each `Apply` mode behaves like its runner: two `CREATE INDEX CONCURRENTLY` fail as one
/// simple query (an implicit transaction) and inside BEGIN, and work statement by statement.
#[test]
fn apply_modes_match_their_runners() {
    use migproof::model::{Apply, Script};
    use migproof::roundtrip::apply::apply;
    let Some(_) = server_major() else { return };
    let pg = server::Throwaway::start(server::find_binaries(None).unwrap()).unwrap();
    let mut client = pg.config("template1").connect(postgres::NoTls).unwrap();
    client
        .batch_execute("CREATE DATABASE modes TEMPLATE template0")
        .unwrap();
    let mut client = pg.config("modes").connect(postgres::NoTls).unwrap();
    client.batch_execute("CREATE TABLE t (a int, b int)").unwrap();
    let text = "CREATE INDEX CONCURRENTLY t_a ON t (a);\nCREATE INDEX CONCURRENTLY t_b ON t (b);\n";
    let script = |apply: Apply| {
        let mut s = Script::whole(0, text);
        s.apply = apply;
        s
    };
    let one = apply(&mut client, text, &script(Apply::OneQuery)).unwrap_err();
    assert_eq!(one.code, "25001", "{one:?}");
    let tx = apply(&mut client, text, &script(Apply::Transaction)).unwrap_err();
    assert_eq!(tx.code, "25001", "{tx:?}");
    assert!(apply(&mut client, text, &script(Apply::Statements { transaction: false })).is_ok());
    let n: i64 = client
        .query_one("SELECT count(*) FROM pg_indexes WHERE tablename = 't'", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    // A lone CONCURRENTLY works as one simple query (golang-migrate), not inside BEGIN (sqlx).
    let lone = "CREATE INDEX CONCURRENTLY t_ab ON t (a, b);";
    let mut s = Script::whole(0, lone);
    s.apply = Apply::Transaction;
    assert!(apply(&mut client, lone, &s).is_err());
    s.apply = Apply::OneQuery;
    assert!(apply(&mut client, lone, &s).is_ok());
}

/// An unreadable migration stops the directory: nothing after it is claimed as verified.
#[test]
fn unreadable_migration_stops_the_directory() {
    let Some(_) = server_major() else { return };
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::write(dir.join("000001_a.up.sql"), "CREATE TABLE a (id int);\n").unwrap();
    std::fs::write(dir.join("000001_a.down.sql"), "DROP TABLE a;\n").unwrap();
    std::fs::write(dir.join("000002_b.up.sql"), b"CREATE TABLE b (id int); -- \xff\n").unwrap();
    std::fs::write(dir.join("000002_b.down.sql"), "DROP TABLE b;\n").unwrap();
    std::fs::write(dir.join("000003_c.up.sql"), "CREATE TABLE c (id int);\n").unwrap();
    std::fs::write(dir.join("000003_c.down.sql"), "DROP TABLE c;\n").unwrap();
    let outcome = roundtrip(&[dir.to_str().unwrap()]);
    let set = &outcome.roundtrip.as_ref().unwrap().sets[0];
    assert_eq!(set.status, SetStatus::Stopped);
    let statuses: Vec<&str> = set.migrations.iter().map(|m| m.status.as_str()).collect();
    assert_eq!(statuses, ["ok", "unreadable", "not-run"]);
}

/// A bad `--database-url` is a clear error (exit 2) that never echoes the password.
#[test]
fn bad_database_url_is_an_error_without_the_password() {
    let out = Command::new(env!("CARGO_BIN_EXE_migproof"))
        .env("MIGPROOF_NO_CACHE", "1")
        .env("MIGPROOF_NO_CACHE", "1")
        .args(["check", "--roundtrip", "fixtures/roundtrip/pass_role"])
        .env(
            "MIGPROOF_DATABASE_URL",
            "postgres://app:hunter2-secret@127.0.0.1:1/app?connect_timeout=2",
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot connect to app@127.0.0.1:1/app"), "{stderr}");
    assert!(!stderr.contains("hunter2") && !String::from_utf8_lossy(&out.stdout).contains("hunter2"));
}
