//! The round-trip's schema cache (`src/roundtrip/cache.rs`, `prefix.rs`) and `--base`
//! round-tripping only what changed, through the built binary, each test with a cache of its
//! own (`XDG_CACHE_HOME` in its sandbox): a hit, a miss, invalidation by an edited migration,
//! eviction over the cap, a poisoned entry rejected and rebuilt, `--no-cache`, and
//! `cache show` / `cache clear`.
//!
//! They need PostgreSQL server binaries: without them they skip with a reason, except under
//! `CI=true`, where that is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::roundtrip::{BIN, Sandbox, binaries, json, text};
use serde_json::Value;

/// A sandbox with a cache directory of its own and a golang-migrate directory `db` of `n`
/// migrations, each creating a table.
struct Project {
    sb: Sandbox,
}

impl Project {
    fn new(n: usize) -> Project {
        let sb = Sandbox::new();
        for i in 1..=n {
            add(&sb, i);
        }
        Project { sb }
    }

    fn cache_home(&self) -> PathBuf {
        self.sb.path().join("cache")
    }

    fn db(&self) -> PathBuf {
        self.sb.path().join("db")
    }

    /// `migproof ARGS` with this project's cache (the cache on, unless ARGS say otherwise).
    fn migproof(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.sb.path())
            .env("XDG_CACHE_HOME", self.cache_home())
            .env("TMPDIR", self.sb.tmp())
            .env_remove("MIGPROOF_NO_CACHE")
            .env_remove("MIGPROOF_CACHE_SIZE")
            .env_remove("MIGPROOF_DATABASE_URL")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("PG_BIN")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    /// A JSON round-trip of `db` (with `extra` arguments): its one set's report.
    fn roundtrip(&self, extra: &[&str]) -> Value {
        let mut args = vec!["check", "--roundtrip", "--format", "json", "db"];
        args.extend_from_slice(extra);
        let out = self.migproof(&args);
        // 1: a lock-safety finding of the migrations is fine here; 2 is not.
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
        json(&out)["roundtrip"]["sets"][0].clone()
    }

    /// The entry directories in the cache (`<key>-<kind>`).
    fn entries(&self) -> Vec<PathBuf> {
        let dir = self.cache_home().join("migproof/prefix");
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }
}

fn add(sb: &Sandbox, i: usize) {
    sb.migration(
        "db",
        &format!("{i:06}_t{i}"),
        &format!("CREATE TABLE t{i} (id int PRIMARY KEY, note text);\n"),
        &format!("DROP TABLE t{i};\n"),
    );
}

fn statuses(set: &Value) -> Vec<String> {
    set["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap().to_string())
        .collect()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_second_run_starts_from_the_cache_and_a_new_migration_is_round_tripped_on_top() {
    if binaries().is_none() {
        return;
    }
    let p = Project::new(3);
    // Cold: a miss, every migration round-tripped, the whole directory stored.
    let cold = p.roundtrip(&[]);
    assert_eq!(statuses(&cold), strs(&["ok", "ok", "ok"]), "{cold:#}");
    assert_eq!(cold["cache"]["restored"], 0, "{cold:#}");
    assert!(
        cold["cache"]["notes"][0].as_str().unwrap().contains("cache miss"),
        "{cold:#}"
    );
    assert_eq!(cold["cache"]["saved"].as_array().unwrap().len(), 1, "{cold:#}");
    assert_eq!(cold["partial"], false);
    // Warm: started from the stored state, nothing replayed.
    let warm = p.roundtrip(&[]);
    assert_eq!(statuses(&warm), strs(&["cached", "cached", "cached"]), "{warm:#}");
    assert_eq!(warm["cache"]["restored"], 3, "{warm:#}");
    assert_eq!(warm["cache"]["restored_kind"], "roundtripped");
    assert_eq!(warm["status"], "verified");
    // One migration more: the three come from the cache, the new one is round-tripped.
    add(&p.sb, 4);
    let more = p.roundtrip(&[]);
    assert_eq!(statuses(&more), strs(&["cached", "cached", "cached", "ok"]), "{more:#}");
    assert!(more["migrations"][3]["down_ms"].is_number());
    // The new migration really ran on the restored schema: one that needs t1 round-trips.
    p.sb.migration(
        "db",
        "000005_fk",
        "ALTER TABLE t4 ADD COLUMN t1_id int REFERENCES t1 (id);\n",
        "ALTER TABLE t4 DROP COLUMN t1_id;\n",
    );
    let fk = p.roundtrip(&[]);
    assert_eq!(statuses(&fk)[4], "ok", "{fk:#}");
    assert_eq!(fk["cache"]["restored"], 4, "{fk:#}");
    // The human report says it.
    let out = p.migproof(&["check", "--roundtrip", "db"]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains("0 of 5 migrations round-tripped (5 from the schema cache, round-tripped by an earlier run)"),
        "{}",
        text(&out)
    );
}

#[test]
fn editing_a_migration_in_the_prefix_invalidates_what_follows_it() {
    if binaries().is_none() {
        return;
    }
    let p = Project::new(3);
    p.roundtrip(&[]);
    // The second migration changes: no stored prefix includes the old bytes any more.
    std::fs::write(
        p.db().join("000002_t2.up.sql"),
        "CREATE TABLE t2 (id bigint PRIMARY KEY, note text);\n",
    )
    .unwrap();
    let edited = p.roundtrip(&[]);
    assert_eq!(statuses(&edited), strs(&["ok", "ok", "ok"]), "{edited:#}");
    assert_eq!(edited["cache"]["restored"], 0, "{edited:#}");
    // A whitespace-only edit is an edit too (the bytes are the key).
    std::fs::write(p.db().join("000001_t1.down.sql"), "DROP TABLE t1; \n").unwrap();
    let again = p.roundtrip(&[]);
    assert_eq!(again["cache"]["restored"], 0, "{again:#}");
}

#[test]
fn no_cache_neither_reads_nor_writes() {
    if binaries().is_none() {
        return;
    }
    let p = Project::new(2);
    let off = p.roundtrip(&["--no-cache"]);
    assert_eq!(statuses(&off), strs(&["ok", "ok"]));
    assert!(p.entries().is_empty(), "{:?}", p.entries());
    p.roundtrip(&[]);
    let off = p.roundtrip(&["--no-cache"]);
    assert_eq!(statuses(&off), strs(&["ok", "ok"]), "{off:#}");
    assert!(off["cache"]["notes"][0].as_str().unwrap().contains("--no-cache"));
}

#[test]
fn a_poisoned_entry_is_rejected_removed_and_rebuilt() {
    if binaries().is_none() {
        return;
    }
    let p = Project::new(2);
    p.roundtrip(&[]);
    let entries = p.entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    // A file of the cached cluster changed after it was stored (what a server writing into
    // the cache, or anyone else, would do).
    let conf = entries[0].join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str("\nshared_preload_libraries = 'evil'\n");
    std::fs::write(&conf, text).unwrap();
    let run = p.roundtrip(&[]);
    assert_eq!(statuses(&run), strs(&["ok", "ok"]), "{run:#}");
    assert_eq!(run["cache"]["restored"], 0, "{run:#}");
    let notes = run["cache"]["notes"].to_string();
    assert!(
        notes.contains("was rejected and removed") && notes.contains("postgresql.conf"),
        "{run:#}"
    );
    // Stored again from this run, clean: the next run starts from it.
    assert_eq!(run["cache"]["saved"].as_array().unwrap().len(), 1, "{run:#}");
    let next = p.roundtrip(&[]);
    assert_eq!(statuses(&next), strs(&["cached", "cached"]), "{next:#}");
    // A file removed from the entry is caught as well.
    let entry = &p.entries()[0];
    std::fs::remove_file(entry.join("postgresql.auto.conf")).unwrap();
    let missing = p.roundtrip(&[]);
    assert_eq!(statuses(&missing), strs(&["ok", "ok"]), "{missing:#}");
    assert!(
        missing["cache"]["notes"].to_string().contains("is missing"),
        "{missing:#}"
    );
}

#[test]
fn the_least_recently_used_entries_go_when_the_cache_is_over_its_cap() {
    if binaries().is_none() {
        return;
    }
    let a = Project::new(1);
    // Two directories in one cache: each entry is a whole cluster (tens of MiB).
    a.sb.migration("db2", "000001_u", "CREATE TABLE u (id int);\n", "DROP TABLE u;\n");
    let first = a.roundtrip(&[]);
    let size: u64 = {
        let out = a.migproof(&["cache", "show"]);
        assert!(out.status.success(), "{}", text(&out));
        let entry = &a.entries()[0];
        dir_size(entry)
    };
    assert_eq!(first["cache"]["saved"].as_array().unwrap().len(), 1);
    // A cap with room for one entry only: storing the second evicts the first.
    let cap = format!("{}", size + size / 2);
    let out = a.migproof(&["check", "--roundtrip", "--format", "json", "--cache-size", &cap, "db2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let entries = a.entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let show = String::from_utf8_lossy(&a.migproof(&["cache", "show"]).stdout).into_owned();
    assert!(
        show.contains(": 1 migrations up to 000001") && show.contains("db2"),
        "{show}"
    );
    assert!(!show.contains(" db: "), "{show}");
    // `db` is a miss again.
    let again = a.roundtrip(&["--cache-size", &cap]);
    assert_eq!(statuses(&again), strs(&["ok"]), "{again:#}");
    // A cap smaller than one entry stores nothing, and says why.
    a.migproof(&["cache", "clear"]);
    let tiny = a.roundtrip(&["--cache-size", "1M"]);
    assert!(
        tiny["cache"]["notes"]
            .to_string()
            .contains("larger than the cache's cap"),
        "{tiny:#}"
    );
    assert!(a.entries().is_empty());
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                dir_size(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}

/// A git repository with `db` at two migrations on `main`, and a branch adding a third.
fn branch(p: &Project) {
    let dir = p.sb.path();
    common::git(dir, &["init", "-q", "-b", "main"]);
    common::git(dir, &["add", "db"]);
    common::git(dir, &["commit", "-q", "-m", "base"]);
    common::git(dir, &["checkout", "-q", "-b", "feature"]);
    add(&p.sb, 3);
    common::git(dir, &["add", "db"]);
    common::git(dir, &["commit", "-q", "-m", "feature"]);
}

#[test]
fn with_base_only_the_new_migrations_are_round_tripped() {
    if binaries().is_none() {
        return;
    }
    let p = Project::new(2);
    branch(&p);
    // Cold: the two base migrations are applied (ups only) and cached, the new one round-tripped.
    let cold = p.roundtrip(&["--base", "main"]);
    assert_eq!(statuses(&cold), strs(&["prefix", "prefix", "ok"]), "{cold:#}");
    assert_eq!(cold["partial"], true);
    assert!(cold["migrations"][0]["down_ms"].is_null(), "{cold:#}");
    assert!(cold["migrations"][2]["down_ms"].is_number(), "{cold:#}");
    assert_eq!(cold["cache"]["saved"].as_array().unwrap().len(), 1, "{cold:#}");
    // Warm: the prefix comes from the cache.
    let warm = p.roundtrip(&["--base", "main"]);
    assert_eq!(statuses(&warm), strs(&["prefix", "prefix", "ok"]), "{warm:#}");
    assert_eq!(warm["cache"]["restored"], 2, "{warm:#}");
    assert_eq!(warm["cache"]["restored_kind"], "applied");
    assert!(warm["migrations"][0]["up_ms"].is_null(), "{warm:#}");
    // The human report says the run was partial.
    let out = p.migproof(&["check", "--roundtrip", "--base", "main", "db"]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains("PARTIAL: 2 before the changes since --base applied without a round-trip"),
        "{}",
        text(&out)
    );
    // A run without --base does not trust an entry made without round-trips.
    let full = p.roundtrip(&[]);
    assert_eq!(statuses(&full), strs(&["ok", "ok", "ok"]), "{full:#}");
    // That full run stored the directory round-tripped: --base now starts from it.
    let after = p.roundtrip(&["--base", "main"]);
    assert_eq!(statuses(&after), strs(&["cached", "cached", "cached"]), "{after:#}");
    assert_eq!(after["partial"], false);
    // A broken new down is still found.
    std::fs::write(p.db().join("000003_t3.down.sql"), "SELECT 1;\n").unwrap();
    let out = p.migproof(&["check", "--roundtrip", "--format", "json", "--base", "main", "db"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let set = &json(&out)["roundtrip"]["sets"][0];
    assert_eq!(statuses(set)[2], "reapply-failed", "{set:#}");
}

#[test]
fn with_base_and_no_change_nothing_is_round_tripped() {
    if binaries().is_none() {
        return;
    }
    let p = Project::new(2);
    branch(&p);
    common::git(p.sb.path(), &["checkout", "-q", "main"]);
    let set = p.roundtrip(&["--base", "main"]);
    assert_eq!(statuses(&set), strs(&["prefix", "prefix"]), "{set:#}");
    assert_eq!(set["partial"], true);
}

#[test]
fn cache_show_and_clear() {
    if binaries().is_none() {
        return;
    }
    let p = Project::new(2);
    let out = p.migproof(&["cache", "show"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no entries"),
        "{}",
        text(&out)
    );
    let run = p.roundtrip(&[]);
    let key = run["cache"]["saved"][0]
        .as_str()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let show = p.migproof(&["cache", "show"]);
    let listed = String::from_utf8_lossy(&show.stdout).into_owned();
    assert!(listed.contains(&key), "{listed}");
    assert!(
        listed.contains("db: 2 migrations up to 000002 (roundtripped"),
        "{listed}"
    );
    assert!(listed.contains("MiB") && listed.contains("last used 20"), "{listed}");
    assert!(listed.contains("1 entry"), "{listed}");
    let clear = p.migproof(&["cache", "clear"]);
    assert!(
        String::from_utf8_lossy(&clear.stdout).contains("removed 1 entry"),
        "{}",
        text(&clear)
    );
    assert!(p.entries().is_empty());
    let show = p.migproof(&["cache", "show"]);
    assert!(String::from_utf8_lossy(&show.stdout).contains("no entries"));
}

#[test]
fn a_cache_directory_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new(1);
    let dir = p.cache_home().join("migproof/prefix");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = p.migproof(&["cache", "show"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("writable by group or others"),
        "{}",
        text(&out)
    );
}
