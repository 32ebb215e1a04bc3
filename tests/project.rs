//! The runner and the database come from the project (`src/discover/project.rs`): manifests beat
//! file names, `--format-of` beats manifests, and verdicts that depend on an assumed runner's
//! rules are warnings.

use std::path::Path;

use assert_cmd::Command;

fn migproof(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("migproof").unwrap();
    cmd.env_remove("GITHUB_ACTIONS").env("NO_COLOR", "1").current_dir(dir);
    cmd
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository (it has `.git`) with `files`.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    for (rel, text) in files {
        write(dir.path(), rel, text);
    }
    dir
}

/// `code severity file` of every finding, and the JSON report.
fn run(dir: &Path, args: &[&str]) -> (Vec<String>, serde_json::Value, i32) {
    let out = migproof(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(code < 2, "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Lock-safety warnings (MC4xx) have fixtures of their own; these tests are about runners.
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["code"].as_str().unwrap().starts_with("MC4"))
        .map(|f| {
            format!(
                "{} {} {}",
                f["code"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["path"].as_str().unwrap().rsplit('/').next().unwrap()
            )
        })
        .collect();
    (found, report, code)
}

const MARAGUDK_FILES: &[(&str, &str)] = &[
    ("sql/0001_a.up.sql", "CREATE TABLE a (id int);\n"),
    ("sql/0001_b.up.sql", "CREATE TABLE b (id int);\n"),
    ("sql/0001_b.down.sql", "DROP TABLE b;\n"),
    ("sql/0021_x_up.sql", "CREATE TABLE x (id int);\n"),
    ("sql/0157.up.sql", "CREATE TABLE y (id int);\n"),
];

#[test]
fn go_mod_names_maragudk_migrate_and_its_rules_apply() {
    let mut files = MARAGUDK_FILES.to_vec();
    files.push((
        "go.mod",
        "module x\n\nrequire (\n\tgithub.com/maragudk/migrate v0.4.3\n)\n",
    ));
    let r = repo(&files);
    let (found, report, code) = run(r.path(), &["sql"]);
    // `0001_a` and `0001_b` are two versions, `0021_x_up.sql` is an up; downs are optional,
    // so an up without one is only a warning.
    assert_eq!(
        found,
        [
            "MC101 warning 0001_a.up.sql",
            "MC101 warning 0021_x_up.sql",
            "MC101 warning 0157.up.sql"
        ]
    );
    assert_eq!(code, 0);
    let set = &report["sets"][0];
    assert_eq!(set["format"], "maragudk-migrate");
    assert_eq!(set["runner"], "maragudk-migrate");
    assert_eq!(set["certainty"], "project");
    assert_eq!(set["evidence"][0], "go.mod: github.com/maragudk/migrate v0.4.3");
    assert_eq!(set["migrations"], 4);
    // --verbose says which runner and why.
    let out = migproof(r.path()).args(["check", "--verbose", "sql"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "sql: runner maragudk-migrate (identified from the project: go.mod: github.com/maragudk/migrate v0.4.3)"
        ),
        "{stderr}"
    );
}

#[test]
fn without_a_manifest_the_assumed_runners_verdicts_are_warnings() {
    let r = repo(MARAGUDK_FILES);
    let (found, report, code) = run(r.path(), &["sql"]);
    assert_eq!(report["sets"][0]["format"], "golang-migrate");
    assert_eq!(report["sets"][0]["certainty"], "names");
    assert_eq!(code, 0);
    assert_eq!(
        found,
        [
            "MC014 note sql",
            "MC101 warning 0001_a.up.sql",
            "MC001 warning 0001_b.up.sql",
            "MC003 warning 0021_x_up.sql",
            "MC003 warning 0157.up.sql",
        ]
    );
}

#[test]
fn format_of_beats_the_manifest() {
    let mut files = MARAGUDK_FILES.to_vec();
    files.push(("go.mod", "module x\n\nrequire github.com/maragudk/migrate v0.4.3\n"));
    let r = repo(&files);
    let (found, report, code) = run(r.path(), &["--format-of", "sql=golang-migrate", "sql"]);
    assert_eq!(report["sets"][0]["format"], "golang-migrate");
    assert_eq!(report["sets"][0]["certainty"], "declared");
    assert_eq!(code, 1);
    assert!(found.contains(&"MC001 error 0001_b.up.sql".to_string()), "{found:?}");
}

#[test]
fn popx_falls_back_per_version_and_direction_and_skips_cockroach_syntax() {
    let r = repo(&[
        ("go.mod", "module x\n\nreplace github.com/ory/x => ./oryx\n"),
        ("m/1_a.up.sql", "CREATE TABLE a (id int);\n"),
        ("m/1_a.mysql.up.sql", "CREATE TABLE a (id int) ENGINE=InnoDB;\n"),
        ("m/1_a.down.sql", "DROP TABLE a;\n"),
        ("m/1_a.sqlite.down.sql", "DROP TABLE a;\n"),
        ("m/2_b.up.sql", "CREATE INDEX b_idx ON a (id);\n"),
        ("m/2_b.cockroach.up.sql", "SELECT * FROM a@a_pkey;\n"),
        ("m/2_b.down.sql", "DROP INDEX b_idx;\n"),
        ("m/3_c.up.sql", "CREATE TABLE c (id int);\n"),
        ("m/3_c.postgres.up.sql", "-- nothing for PostgreSQL\n"),
    ]);
    let (found, report, code) = run(r.path(), &["m"]);
    assert_eq!(report["sets"][0]["format"], "popx");
    assert_eq!(
        report["sets"][0]["evidence"][0],
        "go.mod: replace github.com/ory/x => ./oryx"
    );
    // Version 3 has no down in any dialect: popx refuses to start (MigrationBox.check).
    assert!(found.contains(&"MC101 error 3_c.up.sql".to_string()), "{found:?}");
    // No orphan or missing down for the fallbacks; `sqlite` is `sqlite3`; the CockroachDB
    // file is not judged by PostgreSQL's grammar.
    assert_eq!(
        found
            .iter()
            .filter(|f| !f.starts_with("MC015"))
            .cloned()
            .collect::<Vec<_>>(),
        ["MC101 error 3_c.postgres.up.sql", "MC101 error 3_c.up.sql"]
    );
    assert!(found.iter().any(|f| f.starts_with("MC015 note")), "{found:?}");
    assert_eq!(code, 1);
}

#[test]
fn dialect_directories_are_judged_by_their_database_or_not_at_all() {
    let r = repo(&[
        (
            "go.mod",
            "module x\n\nrequire github.com/golang-migrate/migrate/v4 v4.19.1\n",
        ),
        (
            "migrations/mysql/1_a.up.sql",
            "CREATE TABLE `a` (`id` int NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`)) ENGINE=InnoDB;\n",
        ),
        (
            "migrations/clickhouse/1_a.up.sql",
            "CREATE TABLE a (id UInt64) ENGINE = MergeTree ORDER BY id;\n",
        ),
        ("migrations/postgres/1_a.up.sql", "CREATE TABLE a (id int;\n"),
    ]);
    let (found, report, code) = run(r.path(), &["migrations"]);
    let dialects: Vec<&str> = report["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["dialect"].as_str().unwrap())
        .collect();
    assert_eq!(dialects, ["clickhouse", "mysql", "postgres"]);
    // Only the PostgreSQL file's real error; ClickHouse is a note, MySQL is MySQL's.
    let errors: Vec<&String> = found.iter().filter(|f| f.contains(" error ")).collect();
    assert_eq!(errors, ["MC201 error 1_a.up.sql"]);
    assert!(found.contains(&"MC015 note clickhouse".to_string()), "{found:?}");
    assert_eq!(code, 1);
}

#[test]
fn pop_templates_are_rendered_before_parsing() {
    let r = repo(&[
        ("go.mod", "module x\n\nrequire github.com/gobuffalo/pop/v6 v6.1.1\n"),
        (
            "migrations/00_init.up.sql",
            "CREATE TABLE IF NOT EXISTS {{ index .Options \"Namespace\" }}.users (id uuid);\n",
        ),
        (
            "migrations/20240101000000_b.up.sql",
            "{{ if .Flag }}\nALTER TABLE {{ index .Options \"Namespace\" }}.users ADD COLUMN x int;\n{{ end }}\n",
        ),
    ]);
    let (found, report, code) = run(r.path(), &["migrations"]);
    assert_eq!(report["sets"][0]["format"], "pop");
    assert_eq!(found, Vec::<String>::new());
    assert_eq!(code, 0);
}
