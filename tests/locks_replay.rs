//! Replays every case PostgreSQL 15 was measured on (`../shared/research/locks_pg15/`) through
//! the lock-safety rules and holds each rule's claim against the measurement:
//! - a "rewrite" claim needs a measured relfilenode change of that table;
//! - a "scan" claim needs a measured `seq_scan` on that table;
//! - a "fails" claim needs the measured error;
//! - and every measured rewrite of a table is claimed (as a rewrite, or as "may rewrite" when
//!   the statement alone cannot tell), except the documented cases below.
//!
//! Each case becomes migration 2 of a golang-migrate directory whose migration 1 is the setup
//! the measurement used (`setup.sql`, plus `setup2.sql` for the `_b` and `_c` files), so the
//! tables are pre-existing, as they were on the server.

use std::path::{Path, PathBuf};

use migproof::checks::locks::{self, Effect};
use serde_json::Value;

fn research() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/research/locks_pg15");
    if dir.is_dir() {
        return Some(dir);
    }
    // A worktree: shared/ is beside the main checkout.
    let alt = Path::new("/work/shared/research/locks_pg15");
    alt.is_dir().then(|| alt.to_path_buf())
}

/// Measured rewrites that no lock rule claims, and why that is right.
const UNCLAIMED_REWRITES: &[(&str, &str)] = &[
    ("REINDEX", "rebuilds indexes, not the table; MC403 reports its locks"),
    (
        "TRUNCATE",
        "empties the table: new relfilenode by design, not a rewrite of data",
    ),
    (
        "REFRESH MATERIALIZED VIEW",
        "a materialized view's refresh, not a migration of a live table",
    ),
    (
        "ALTER TABLE e1 ALTER COLUMN a TYPE",
        "e1's column type is not in the setup files: MC420 says 'may rewrite'",
    ),
];

/// Cases with a measured scan no rule claims as a harmful scan, and why.
const UNCLAIMED_SCANS: &[(&str, &str)] = &[
    (
        "ALTER TABLE t VALIDATE CONSTRAINT",
        "the recommended non-blocking scan (SHARE UPDATE EXCLUSIVE)",
    ),
    (
        "UPDATE",
        "a backfill; MC433 reports it only after DDL in the same transaction",
    ),
    (
        "DELETE",
        "a backfill; MC433 reports it only after DDL in the same transaction",
    ),
    ("REINDEX", "MC403 reports its locks"),
    ("REFRESH", "not DDL on a live table"),
    ("TRUNCATE", "empties the table"),
    ("CLUSTER", "MC422 claims the rewrite"),
    ("CREATE TABLE t_ctas AS", "reads the source under ACCESS SHARE only"),
    (
        "ALTER TABLE e1",
        "e1's columns are not in the setup files; the rewrite claims cover it",
    ),
    (
        "ALTER TABLE t ADD COLUMN",
        "the rewrite claim covers the scan of a rewrite",
    ),
    (
        "ALTER TABLE t ALTER COLUMN",
        "the rewrite claim covers the scan of a rewrite",
    ),
    (
        "ALTER TABLE t SET UNLOGGED",
        "the rewrite claim covers the scan of a rewrite",
    ),
    ("CREATE DOMAIN", "the rewrite claim covers the scan of a rewrite"),
];

fn starts(stmt: &str, list: &[(&str, &str)]) -> bool {
    list.iter().any(|(p, _)| stmt.starts_with(p))
}

#[test]
fn every_measured_case_agrees_with_the_rules() {
    let Some(dir) = research() else {
        assert!(
            std::env::var("CI").is_err(),
            "../shared/research/locks_pg15 is missing under CI=true"
        );
        println!("skipped: ../shared/research/locks_pg15 is not there");
        return;
    };
    let setup = std::fs::read_to_string(dir.join("setup.sql")).unwrap();
    let setup2 = std::fs::read_to_string(dir.join("setup2.sql")).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut cases, mut claims_checked, mut rewrites_seen) = (0, 0, 0);
    let mut problems = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let setup = if name.contains("_b") || name.contains("_c") {
            format!("{setup}\n{setup2}")
        } else {
            setup.clone()
        };
        for row in rows {
            cases += 1;
            let stmt = row["stmt"].as_str().unwrap();
            let error = row["error"].as_str().unwrap();
            let strings = |k: &str| -> Vec<String> {
                row[k]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            };
            let rewritten = strings("rewrite");
            let scanned: Vec<String> = strings("scan")
                .iter()
                .filter_map(|s| s.rsplit_once('x').map(|(t, _)| t.to_string()))
                .collect();
            let tmp = tempfile::tempdir().unwrap();
            let m = tmp.path().join("migrations");
            std::fs::create_dir(&m).unwrap();
            std::fs::write(m.join("1_setup.up.sql"), &setup).unwrap();
            std::fs::write(m.join("1_setup.down.sql"), "SELECT 1;").unwrap();
            std::fs::write(m.join("2_case.up.sql"), format!("{stmt};\n")).unwrap();
            std::fs::write(m.join("2_case.down.sql"), "SELECT 1;").unwrap();
            let outcome = migproof::check(std::slice::from_ref(&m)).unwrap();
            let set = &outcome.sets[0];
            let case_file = set
                .files
                .iter()
                .position(|f| f.display.ends_with("2_case.up.sql"))
                .unwrap();
            let claims: Vec<_> = locks::claims(set).into_iter().filter(|c| c.file == case_file).collect();
            let mut claimed_rewrite = false;
            for c in &claims {
                claims_checked += 1;
                let ok = match c.effect {
                    Effect::Rewrite => error.is_empty() && rewritten.contains(&c.table) || !error.is_empty(),
                    Effect::Scan => {
                        error.is_empty() && (scanned.contains(&c.table) || rewritten.contains(&c.table))
                            || !error.is_empty()
                    }
                    Effect::Fails => !error.is_empty() || c.rule.code == "MC404",
                    Effect::Lock => true,
                };
                if matches!(c.effect, Effect::Rewrite) || (c.rule.code == "MC420" || c.rule.code == "MC421") {
                    claimed_rewrite = true;
                }
                if !ok {
                    problems.push(format!(
                        "{name}: `{stmt}`: {} claims {:?} of `{}`, measured rewrite {rewritten:?} scan {scanned:?} error {error:?}",
                        c.rule.code, c.effect, c.table
                    ));
                }
            }
            // Errors (a view depends on the column, duplicates) measured nothing to compare.
            if error.is_empty() && rewritten.iter().any(|t| !t.contains("idx") && !t.ends_with("pkey")) {
                rewrites_seen += 1;
                if !claimed_rewrite && !starts(stmt, UNCLAIMED_REWRITES) {
                    problems.push(format!(
                        "{name}: `{stmt}`: measured rewrite {rewritten:?}, no rule claims it"
                    ));
                }
            }
            let claimed_scan: Vec<&str> = claims
                .iter()
                .filter(|c| matches!(c.effect, Effect::Scan | Effect::Rewrite))
                .map(|c| c.table.as_str())
                .collect();
            if error.is_empty()
                && scanned.iter().any(|t| !claimed_scan.contains(&t.as_str()))
                && !starts(stmt, UNCLAIMED_SCANS)
            {
                problems.push(format!(
                    "{name}: `{stmt}`: measured scan {scanned:?}, claimed {claimed_scan:?}"
                ));
            }
        }
    }
    println!("replayed {cases} measured cases, {claims_checked} claims, {rewrites_seen} measured table rewrites");
    assert!(cases >= 100, "only {cases} cases");
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
