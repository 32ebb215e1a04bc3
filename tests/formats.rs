//! One case per format under `fixtures/formats/<format>/<case>/`: the detected format, the
//! number of migrations and the exact findings are asserted here, and the human report is
//! snapshotted. A `pass_` case is a valid tree with no findings at all.

use std::path::Path;

use migproof::report::human;

struct Case {
    path: &'static str,
    format: &'static str,
    migrations: usize,
    /// `CODE severity file-name:line`, in report order.
    findings: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        // Named by `go.mod` (`replace github.com/ory/x => ./oryx`): a mysql up and a sqlite
        // down replace the files for all databases, which complete every dialect's pair.
        path: "popx/pass_fallback",
        format: "popx",
        migrations: 4,
        findings: &[],
    },
    Case {
        // Named by `go.mod`: `0001_a` and `0001_b` are two versions, `0021_x_up.sql` an up.
        path: "maragudk-migrate/pass_whole_names",
        format: "maragudk-migrate",
        migrations: 3,
        findings: &[],
    },
    Case {
        path: "goose/pass_basic",
        format: "goose",
        migrations: 4,
        // Lock safety only: ALTER of an existing table without lock_timeout (up and down), and
        // `CREATE INDEX CONCURRENTLY IF NOT EXISTS`, which keeps a failed build's invalid index.
        findings: &[],
    },
    Case {
        path: "goose/warn_no_down",
        format: "goose",
        migrations: 2,
        // goose runs nothing on the way down without a Down section: a warning, not an error.
        findings: &["MC101 warning 00002_b.sql:1"],
    },
    Case {
        path: "dbmate/pass_basic",
        format: "dbmate",
        migrations: 2,
        findings: &[],
    },
    Case {
        path: "dbmate/fail_empty_down",
        format: "dbmate",
        migrations: 2,
        findings: &["MC104 warning 20231013070755_grant_usage.sql:5"],
    },
    Case {
        path: "sql-migrate/pass_basic",
        format: "sql-migrate",
        migrations: 4,
        findings: &[],
    },
    Case {
        path: "flyway/pass_basic",
        format: "flyway",
        migrations: 4,
        findings: &[],
    },
    Case {
        path: "flyway/warn_missing_undo",
        format: "flyway",
        migrations: 3,
        findings: &[
            "MC102 error U3__c.sql:1",
            "MC101 warning V2__b.sql:1",
            "MC003 error V4_d.sql:1",
        ],
    },
    Case {
        path: "refinery/pass_rust_crate",
        format: "refinery",
        migrations: 3,
        findings: &[],
    },
    Case {
        path: "prisma/pass_basic",
        format: "prisma",
        migrations: 2,
        findings: &[],
    },
    Case {
        path: "psql-rollback/pass_seed003",
        format: "psql-rollback",
        migrations: 2,
        findings: &[],
    },
    Case {
        path: "psql-rollback/fail_broken_rollback",
        format: "psql-rollback",
        migrations: 2,
        findings: &[
            // In the commented rollback, at its place in the file.
            "MC201 error 20250117000001_a.sql:4",
            "MC101 warning 20250118000000_b.sql:1",
            // Seeds are parse-checked too.
            "MC201 error 01_data.sql:2",
        ],
    },
];

#[test]
fn every_format_case_is_asserted() {
    let mut on_disk = Vec::new();
    for format in std::fs::read_dir("fixtures/formats").unwrap() {
        let format = format.unwrap().path();
        for case in std::fs::read_dir(&format).unwrap() {
            let case = case.unwrap().path();
            let rel = case.strip_prefix("fixtures/formats").unwrap();
            on_disk.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    on_disk.sort();
    // Cases of diesel, sourcegraph, pop, ts-registry and typeorm are asserted by their own
    // tests in tests/formats_b.rs, which name each case directory.
    let other_tests = std::fs::read_to_string("tests/formats_b.rs").unwrap()
        + &std::fs::read_to_string("tests/formats_runners.rs").unwrap();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.path.to_string()).collect();
    listed.extend(
        on_disk
            .iter()
            .filter(|case| other_tests.contains(case.as_str()))
            .cloned(),
    );
    listed.sort();
    listed.dedup();
    assert_eq!(on_disk, listed);
}

#[test]
fn format_cases() {
    for case in CASES {
        let dir = Path::new("fixtures/formats").join(case.path);
        let detected = migproof::check(std::slice::from_ref(&dir)).unwrap_or_else(|e| panic!("{}: {e}", case.path));
        assert_eq!(detected.sets.len(), 1, "{}", case.path);
        // The findings with the format declared (as `--format-of` would), so its rules'
        // verdicts are errors where the runner fails; detected by names alone they would be
        // warnings (`runner-assumed`).
        let options = migproof::pipeline::Options {
            format_of: vec![(detected.sets[0].path.clone(), case.format.to_string())],
            ..Default::default()
        };
        let outcome =
            migproof::check_with(std::slice::from_ref(&dir), &options).unwrap_or_else(|e| panic!("{}: {e}", case.path));
        assert_eq!(outcome.sets.len(), 1, "{}", case.path);
        assert_eq!(outcome.sets[0].format, case.format, "{}", case.path);
        assert_eq!(outcome.sets[0].migrations.len(), case.migrations, "{}", case.path);
        let found: Vec<String> = outcome
            .findings
            .iter()
            // Lock-safety warnings have fixtures of their own; these cases are about formats.
            .filter(|f| !migproof::checks::locks::is_lock_rule(f.rule))
            .map(|f| {
                format!(
                    "{} {} {}:{}",
                    f.rule.code,
                    f.severity.as_str(),
                    f.location.path.rsplit('/').next().unwrap(),
                    f.location.line_col().0
                )
            })
            .collect();
        assert_eq!(found, case.findings, "{}", case.path);
        let name = format!("formats__{}", case.path.replace('/', "__"));
        insta::assert_snapshot!(name, human::render(&outcome, &human::Style::plain()));
    }
}

#[test]
fn goose_sections_are_parsed_separately() {
    // The Up's last statement has no `;`; parsed with the Down it would read as one statement.
    let outcome = migproof::check(&["fixtures/formats/goose/pass_basic".into()]).unwrap();
    let set = &outcome.sets[0];
    let init = &set.migrations[0];
    let text = set.file(init.primary_file()).text();
    let up = &text[init.up.as_ref().unwrap().span.clone()];
    let down = &text[init.down.as_ref().unwrap().span.clone()];
    assert!(up.contains("CREATE TABLE \"User\"") && !up.contains("DROP"));
    assert!(down.starts_with("DROP TABLE \"User\";"));
    // NO TRANSACTION applies to both sections of its file.
    let concurrent = &set.migrations[2];
    assert!(concurrent.up.as_ref().unwrap().no_transaction);
    assert!(concurrent.down.as_ref().unwrap().no_transaction);
    assert!(!init.up.as_ref().unwrap().no_transaction);
}

#[test]
fn dbmate_transaction_false_is_per_section() {
    let outcome = migproof::check(&["fixtures/formats/dbmate/pass_basic".into()]).unwrap();
    let m = &outcome.sets[0].migrations;
    assert!(!m[0].up.as_ref().unwrap().no_transaction);
    assert!(m[1].up.as_ref().unwrap().no_transaction && m[1].down.as_ref().unwrap().no_transaction);
}

#[test]
fn sql_migrate_orders_numbers_then_names() {
    let outcome = migproof::check(&["fixtures/formats/sql-migrate/pass_basic".into()]).unwrap();
    let names: Vec<&str> = outcome.sets[0].migrations.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["init", "function", "index", "reference_data"]);
    assert!(outcome.sets[0].migrations[2].up.as_ref().unwrap().no_transaction);
}

#[test]
fn flyway_repeatables_and_baselines_are_not_numbered() {
    let outcome = migproof::check(&["fixtures/formats/flyway/pass_basic".into()]).unwrap();
    let set = &outcome.sets[0];
    let versions: Vec<String> = set.migrations.iter().map(|m| m.version.to_string()).collect();
    assert_eq!(versions, ["1", "2.1", "10", "17_1"]);
    let others: Vec<(&str, migproof::model::UnversionedKind)> =
        set.others.iter().map(|o| (o.name.as_str(), o.kind)).collect();
    assert_eq!(others.len(), 2);
    assert!(others.contains(&("Jobs_view", migproof::model::UnversionedKind::Repeatable)));
    assert!(others.contains(&("B10__baseline", migproof::model::UnversionedKind::Baseline)));
    // No undo files at all: the directory does not use them, so no down is expected.
    assert!(!set.rules.has_downs);
}

#[test]
fn psql_rollback_down_is_the_uncommented_section() {
    let outcome = migproof::check(&["fixtures/formats/psql-rollback/pass_seed003/migrations".into()]).unwrap();
    let set = &outcome.sets[0];
    let init = &set.migrations[0];
    let down = init.down.as_ref().unwrap();
    let sql = down.sql.as_ref().unwrap();
    let text = set.file(down.file).text();
    let statements: Vec<&str> = sql.statements.iter().map(|s| &text[s.clone()]).collect();
    assert_eq!(statements.len(), 7, "{statements:?}");
    assert_eq!(statements[0], "DROP TABLE memory_usage_log CASCADE;");
    // Same path and offsets as the original file: findings point at the real line.
    assert_eq!(set.file(down.file).display, set.file(init.primary_file()).display);
    assert_eq!(text.len(), set.file(init.primary_file()).text().len());
    // The seed file is part of the set, parse-checked, not numbered; files are counted once.
    assert_eq!(set.others.len(), 1);
    assert_eq!(outcome.summary().files, 3);
    // psql meta-commands are legal here.
    assert!(init.up.as_ref().unwrap().sql.as_ref().unwrap().meta_commands.len() == 1);
}

#[test]
fn format_of_overrides_detection() {
    let dir = Path::new("fixtures/formats/goose/pass_basic").to_path_buf();
    let outcome = migproof::check_with(
        std::slice::from_ref(&dir),
        &migproof::pipeline::Options {
            format_of: vec![(dir.clone(), "sqlx".to_string())],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(outcome.sets[0].format, "sqlx");
    assert!(outcome.notes.iter().any(|n| n.contains("set by --format-of")));
    // As sqlx, the goose file whose Up ends without `;` runs into its Down: a syntax error.
    assert!(outcome.findings.iter().any(|f| f.rule.code == "MC201"));
    // Its goose markers make the directory mixed.
    assert!(outcome.findings.iter().any(|f| f.rule.code == "MC006"));
    let err = migproof::check_with(
        std::slice::from_ref(&dir),
        &migproof::pipeline::Options {
            format_of: vec![(dir.clone(), "nope".to_string())],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("goose, dbmate"), "{err}");
}
