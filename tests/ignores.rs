//! Inline ignore directives: each form silences what it names and only that; the same files
//! without the directives report the findings (so these tests can fail).

use std::path::Path;

/// Writes a pair-format directory and returns `code line` for every finding.
fn findings(files: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let outcome = migproof::check(&[dir.path().to_path_buf()]).unwrap();
    outcome
        .findings
        .iter()
        .map(|f| {
            let file = Path::new(&f.location.path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            format!("{} {file}:{}", f.rule.code, f.location.line_col().0)
        })
        .collect()
}

const BAD: &str = "ALTER TABLE b DELETE COLUMN id;\n";

#[test]
fn ignore_silences_the_next_statement_only() {
    let up = format!("CREATE TABLE b (id int);\n-- migproof:ignore MC201\n{BAD}{BAD}");
    let found = findings(&[("001_a.up.sql", &up), ("001_a.down.sql", "DROP TABLE b;\n")]);
    // The second bad statement (line 4) is still reported.
    assert_eq!(found, ["MC201 001_a.up.sql:4"]);
    let without = up.replace("-- migproof:ignore MC201\n", "");
    let found = findings(&[("001_a.up.sql", &without), ("001_a.down.sql", "DROP TABLE b;\n")]);
    assert_eq!(found, ["MC201 001_a.up.sql:2", "MC201 001_a.up.sql:3"]);
}

#[test]
fn ignore_by_name_and_with_a_reason() {
    let up = format!("-- migproof:ignore syntax-error -- the server has a patch\n{BAD}");
    assert!(findings(&[("001_a.up.sql", &up), ("001_a.down.sql", "SELECT 1;\n")]).is_empty());
}

#[test]
fn ignore_names_several_checks() {
    // Comma- or space-separated; the unused one is reported.
    let up = format!("-- migproof:ignore MC201, empty-migration MC104\n{BAD}");
    let found = findings(&[("001_a.up.sql", &up), ("001_a.down.sql", "SELECT 1;\n")]);
    assert_eq!(found, ["MC011 001_a.up.sql:1", "MC011 001_a.up.sql:1"]);
}

#[test]
fn ignore_file_covers_the_whole_file_and_file_level_findings() {
    let up = format!("-- migproof:ignore-file MC201, MC101\n{BAD}SELECT 1;\n{BAD}");
    // Another migration has its down, so this directory does write downs (MC101 applies).
    let other = [("000_z.up.sql", "SELECT 1;\n"), ("000_z.down.sql", "SELECT 1;\n")];
    assert!(findings(&[other[0], other[1], ("001_a.up.sql", &up)]).is_empty());
    let without = up.replace("-- migproof:ignore-file MC201, MC101\n", "");
    let found = findings(&[other[0], other[1], ("001_a.up.sql", &without)]);
    assert_eq!(
        found,
        ["MC101 001_a.up.sql:1", "MC201 001_a.up.sql:1", "MC201 001_a.up.sql:3"]
    );
}

#[test]
fn ignore_file_does_not_reach_other_files() {
    let found = findings(&[
        ("001_a.up.sql", BAD),
        ("001_a.down.sql", &format!("-- migproof:ignore-file MC201\n{BAD}")),
    ]);
    assert_eq!(found, ["MC201 001_a.up.sql:1"]);
}

#[test]
fn a_directive_inside_a_string_is_not_a_directive() {
    let up = format!("SELECT '\n-- migproof:ignore MC201\n';\n{BAD}");
    let found = findings(&[("001_a.up.sql", &up), ("001_a.down.sql", "SELECT 1;\n")]);
    assert_eq!(found, ["MC201 001_a.up.sql:4"]);
}

#[test]
fn unknown_and_empty_directives_are_unused() {
    let up = "-- migproof:ignore MC999\nSELECT 1;\n-- migproof:ignore\nSELECT 2;\n";
    let found = findings(&[("001_a.up.sql", up), ("001_a.down.sql", "SELECT 1;\n")]);
    assert_eq!(found, ["MC011 001_a.up.sql:1", "MC011 001_a.up.sql:3"]);
}

#[test]
fn git_aware_codes_are_not_unused_without_base() {
    let up = "-- migproof:ignore-file MC050\nSELECT 1;\n";
    assert!(findings(&[("001_a.up.sql", up), ("001_a.down.sql", "SELECT 1;\n")]).is_empty());
}

#[test]
fn ignore_file_mc011_silences_unused_ignores() {
    let up = "-- migproof:ignore-file MC011\n-- migproof:ignore MC201\nSELECT 1;\n";
    assert!(findings(&[("001_a.up.sql", up), ("001_a.down.sql", "SELECT 1;\n")]).is_empty());
}
