//! `migproof new`: the next migration in the directory's own numbering and layout.

use std::path::Path;

mod common;

use common::migproof_in as migproof;
use predicates::prelude::*;

fn touch(dir: &Path, names: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    for n in names {
        std::fs::write(dir.join(n), "SELECT 1;\n").unwrap();
    }
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn next_sequential_number_with_the_same_padding() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    touch(
        &db,
        &[
            "000009_a.up.sql",
            "000009_a.down.sql",
            "000010_b.up.sql",
            "000010_b.down.sql",
        ],
    );
    let out = migproof(tmp.path())
        .args(["new", "Add users.Email"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!("new_sequential", String::from_utf8(out).unwrap());
    assert!(listing(&db).contains(&"000011_add_users_email.up.sql".to_string()));
    assert!(listing(&db).contains(&"000011_add_users_email.down.sql".to_string()));
    // The new pair checks clean (empty files are only warnings).
    migproof(tmp.path()).args(["check", "db"]).assert().code(0);
    // The next one follows it.
    migproof(tmp.path())
        .args(["new", "second", "--dir", "db"])
        .assert()
        .code(0)
        .stdout("db/000012_second.up.sql\ndb/000012_second.down.sql\n");
}

#[test]
fn timestamps_get_the_current_utc_time() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("m");
    touch(&db, &["20240101120000_a.up.sql", "20240101120000_a.down.sql"]);
    let out = migproof(tmp.path())
        .args(["new", "x", "--dir", "m"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let version = &out["m/".len().."m/".len() + 14];
    assert!(
        version.bytes().all(|b| b.is_ascii_digit()) && version > "20240101120000",
        "{out}"
    );
    assert!(out.ends_with("_x.down.sql\n"), "{out}");
    migproof(tmp.path()).args(["check", "m"]).assert().code(0);
}

#[test]
fn sqlx_simple_migrations_get_one_file() {
    let tmp = tempfile::tempdir().unwrap();
    touch(
        &tmp.path().join("migrations"),
        &["20240101120000_init.sql", "20240102120000_users.sql"],
    );
    let out = migproof(tmp.path())
        .args(["new", "orders"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.ends_with("_orders.sql\n"), "{out}");
}

#[test]
fn refuses_to_overwrite_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    touch(&db, &["1_a.up.sql", "1_a.down.sql"]);
    // Something already sits where the down would go.
    std::fs::create_dir(db.join("2_b.down.sql")).unwrap();
    migproof(tmp.path())
        .args(["new", "b", "--dir", "db"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`db/2_b.down.sql` already exists; not overwriting it",
        ));
    assert!(!db.join("2_b.up.sql").exists());
}

#[test]
fn unclear_or_empty_directories_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    touch(&tmp.path().join("a"), &["1_a.up.sql", "1_a.down.sql"]);
    touch(&tmp.path().join("b"), &["1_a.up.sql", "1_a.down.sql"]);
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    migproof(tmp.path())
        .args(["new", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "2 migration directories found (a, b): choose one with --dir",
        ));
    migproof(tmp.path())
        .args(["new", "x", "--dir", "empty"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no migrations"));
    migproof(tmp.path()).args(["new", "???", "--dir", "a"]).assert().code(2);
    assert_eq!(listing(&tmp.path().join("a")), ["1_a.down.sql", "1_a.up.sql"]);
}

#[test]
fn single_file_formats_get_one_file_with_both_markers() {
    for (format, up, down) in [
        ("goose", "-- +goose Up", "-- +goose Down"),
        ("dbmate", "-- migrate:up", "-- migrate:down"),
        ("sql-migrate", "-- +migrate Up", "-- +migrate Down"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("db");
        std::fs::create_dir_all(&db).unwrap();
        std::fs::write(
            db.join("20240101120000_create_users.sql"),
            format!("{up}\nCREATE TABLE users (id int);\n{down}\nDROP TABLE users;\n"),
        )
        .unwrap();
        let out = migproof(tmp.path())
            .args(["new", "add orders", "--dir", "db"])
            .assert()
            .code(0);
        let created = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let created = created.trim();
        assert!(
            created.starts_with("db/2") && created.ends_with("_add_orders.sql"),
            "{format}: {created}"
        );
        let text = std::fs::read_to_string(tmp.path().join(created)).unwrap();
        assert_eq!(text, format!("{up}\n\n{down}\n"), "{format}");
        // Still the same format, and the new file is a known migration (empty sections warn).
        let json = migproof(tmp.path())
            .args(["check", "--format", "json", "db"])
            .assert()
            .code(0);
        let report: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).unwrap();
        assert_eq!(report["sets"][0]["format"], format);
        assert_eq!(report["summary"]["migrations"], 2, "{format}");
    }
}
