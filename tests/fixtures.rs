//! Every fixture case under `fixtures/<rule-name>/{pass_,fail_}<case>/` is checked, and its
//! rendered output (human, colourless, 100 columns; and JSON) is compared with a snapshot.
//!
//! - `fail_*`: the rule named by the parent folder must report at least one finding.
//! - `pass_*`: that rule must report nothing.
//! - `fixtures/seeds/pass_*`: valid trees shaped like the seed systems; no findings at all.
//! - A rule whose cases cannot be folders (the git-aware MC05x rules need git repositories)
//!   has instead a `fixtures/<rule-name>/README.md` with a line `Covered by: tests/FILE.rs::TEST`
//!   naming the test that builds its cases; that test must exist.

use std::path::{Path, PathBuf};

use migproof::report::{human, json};

/// Folders under `fixtures/` that hold cases for something other than an offline rule.
const NOT_RULES: &[&str] = &["seeds", "roundtrip", "roundtrip-locks", "roundtrip-setup", "formats"];

fn cases(group: &str) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(Path::new("fixtures").join(group))
        .unwrap_or_else(|e| panic!("fixtures/{group}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn rule_groups() -> Vec<String> {
    let mut groups: Vec<String> = std::fs::read_dir("fixtures")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|g| !NOT_RULES.contains(&g.as_str()) && Path::new("fixtures").join(g).is_dir())
        .collect();
    groups.sort();
    groups
}

fn snapshot_name(case: &Path) -> String {
    case.strip_prefix("fixtures")
        .unwrap()
        .to_string_lossy()
        .replace(['/', '\\'], "__")
}

/// The test named by `fixtures/<rule>/README.md` (`Covered by: tests/git.rs::test_name`).
fn covered_by(rule: &str) -> Option<String> {
    let readme = std::fs::read_to_string(Path::new("fixtures").join(rule).join("README.md")).ok()?;
    readme
        .lines()
        .find_map(|l| l.strip_prefix("Covered by: "))
        .map(|t| t.trim().to_string())
}

#[test]
fn every_rule_has_fixtures_and_every_fixture_names_a_rule() {
    let groups = rule_groups();
    for entry in migproof::checks::REGISTRY {
        let name = entry.rule.name;
        assert!(
            groups.iter().any(|g| g == name),
            "no fixtures/{name}/ for {}",
            entry.rule.code
        );
        if let Some(test) = covered_by(name) {
            let (file, function) = test.split_once("::").expect("`Covered by: tests/FILE.rs::TEST`");
            let source =
                std::fs::read_to_string(file).unwrap_or_else(|e| panic!("fixtures/{name}/README.md: {file}: {e}"));
            assert!(
                source.contains(&format!("fn {function}(")),
                "fixtures/{name}/README.md names {test}, which does not exist"
            );
            continue;
        }
        assert!(
            cases(name)
                .iter()
                .any(|c| c.file_name().unwrap().to_string_lossy().starts_with("fail_")),
            "fixtures/{name}/ has no fail_ case"
        );
    }
    for g in &groups {
        assert!(migproof::checks::find_rule(g).is_some(), "fixtures/{g}/ names no rule");
    }
}

#[test]
fn rule_fixtures() {
    for group in rule_groups() {
        let rule = migproof::checks::find_rule(&group).unwrap();
        for case in cases(&group) {
            // A case with a `migproof.toml` (its migrations in `migrations/`) is checked with it.
            let config = case.join(migproof::config::FILE_NAME);
            let options = migproof::pipeline::Options {
                config: config
                    .is_file()
                    .then(|| migproof::config::Config::load(&config).unwrap()),
                ..Default::default()
            };
            let outcome = migproof::check_with(std::slice::from_ref(&case), &options)
                .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
            let hits = outcome.findings.iter().filter(|f| f.rule.code == rule.code).count();
            let case_name = case.file_name().unwrap().to_string_lossy().into_owned();
            if case_name.starts_with("fail_") {
                assert!(
                    hits > 0,
                    "{}: expected {} findings, got none",
                    case.display(),
                    rule.code
                );
            } else {
                assert_eq!(hits, 0, "{}: expected no {} findings", case.display(), rule.code);
            }
            let name = snapshot_name(&case);
            insta::assert_snapshot!(name.clone(), human::render(&outcome, &human::Style::plain()));
            insta::assert_snapshot!(format!("{name}.json"), json::render(&outcome));
        }
    }
}

#[test]
fn seed_shaped_trees_are_clean() {
    for case in cases("seeds") {
        let outcome = migproof::check(std::slice::from_ref(&case)).unwrap();
        assert_eq!(outcome.sets.len(), 1, "{}", case.display());
        assert!(outcome.sets[0].migrations.len() >= 3);
        let found: Vec<String> = outcome
            .findings
            .iter()
            .map(|f| format!("{} {}", f.rule.code, f.message))
            .collect();
        assert!(found.is_empty(), "{}: {found:#?}", case.display());
        insta::assert_snapshot!(snapshot_name(&case), human::render(&outcome, &human::Style::plain()));
    }
}
