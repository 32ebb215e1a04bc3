//! `--format sarif | github | junit`, and the GitHub annotations added inside GitHub Actions.

mod common;

use common::migproof;
use predicates::prelude::*;

/// Two directories: a duplicate version (with related places) and syntax errors (with spans).
const DIRS: [&str; 2] = [
    "fixtures/duplicate-version/fail_same_number",
    "fixtures/syntax-error/fail_real_mistakes",
];
const WARNS: &str = "fixtures/version-gap/fail_hole";

fn output(args: &[&str]) -> String {
    let out = migproof().args(args).output().unwrap();
    assert!(
        out.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string("tests/schemas/sarif-2.1.0-rtm.5.json").unwrap();
    // The schema's own pattern for `run.language` has a stray `]` that is not a valid ECMA-262
    // regex, so the validator refuses to compile the schema. migproof never writes `language`;
    // the pattern is repaired in memory (the vendored file stays as published).
    let broken = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(broken), "the vendored schema changed");
    let text = text.replace(broken, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, log: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema() {
    let validator = sarif_validator();
    let text = output(&["check", "--format", "sarif", DIRS[0], DIRS[1], WARNS]);
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_valid(&validator, &log);
    let run = &log["runs"][0];
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        migproof::checks::REGISTRY.len()
    );
    // Every result points at its rule, by id and index.
    for r in run["results"].as_array().unwrap() {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], r["ruleId"]);
    }
    insta::assert_snapshot!("sarif_results", serde_json::to_string_pretty(&run["results"]).unwrap());
    // A clean run is valid too, with no results.
    let clean: serde_json::Value =
        serde_json::from_str(&output(&["check", "--format", "sarif", "fixtures/seeds/pass_memghost"])).unwrap();
    assert_valid(&validator, &clean);
    assert_eq!(clean["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn the_sarif_validation_can_fail() {
    // The validator is not a yes-machine: a log with a wrong level and no version is rejected.
    let validator = sarif_validator();
    let text = output(&["check", "--format", "sarif", DIRS[0]]);
    let mut log: serde_json::Value = serde_json::from_str(&text).unwrap();
    log["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&log));
    log.as_object_mut().unwrap().remove("version");
    assert!(!validator.is_valid(&log));
}

#[test]
fn github_annotations() {
    let text = output(&["check", "--format", "github", DIRS[0], DIRS[1], WARNS]);
    assert!(
        text.lines()
            .take_while(|l| l.starts_with("::"))
            .all(|l| l.starts_with("::error file=") || l.starts_with("::warning file="))
    );
    assert!(text.contains(",title=MC001::duplicate-version: "), "{text}");
    insta::assert_snapshot!("github", text);
}

#[test]
fn github_actions_adds_annotations_to_the_default_report_only() {
    let human = migproof()
        .env("GITHUB_ACTIONS", "true")
        .args(["check", DIRS[0]])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("MC001 duplicate-version"))
        .stdout(predicate::str::contains(
            "::error file=fixtures/duplicate-version/fail_same_number/",
        ))
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(human).unwrap().contains("checked 1 directory"));
    migproof()
        .env("GITHUB_ACTIONS", "true")
        .args(["check", "--format", "json", DIRS[0]])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("::error").not());
    migproof()
        .args(["check", DIRS[0]])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("::error").not());
}

#[test]
fn junit_has_one_case_per_directory_and_check() {
    let text = output(&["check", "--format", "junit", DIRS[0], WARNS]);
    let rules = migproof::checks::REGISTRY.len();
    assert_eq!(text.matches("<testsuite ").count(), 2);
    assert_eq!(text.matches("<testcase ").count(), 2 * rules);
    assert!(text.contains(&format!(
        "<testsuites name=\"migproof\" tests=\"{}\" failures=\"1\"",
        2 * rules
    )));
    insta::assert_snapshot!("junit", text);
    // With --deny-warnings the version gap fails its test case too.
    let denied = output(&["check", "--format", "junit", "--deny-warnings", DIRS[0], WARNS]);
    assert!(denied.contains("failures=\"2\""), "{denied}");
}

/// The plain report draws most findings without miette's general machinery
/// (`report/human/plain.rs`); every finding of the corpus and of the fixtures must come out
/// byte for byte as miette draws it, at a wide and a narrow width.
#[test]
fn the_plain_report_is_miettes_drawing_on_the_corpus_and_fixtures() {
    let mut roots = vec![std::path::PathBuf::from("fixtures")];
    roots.extend(common::corpus_root());
    for root in roots {
        let outcome = migproof::check(std::slice::from_ref(&root)).unwrap();
        assert!(
            outcome.findings.len() > 100,
            "{}: too few findings to compare",
            root.display()
        );
        for width in [100, 60] {
            let style = migproof::report::human::Style { color: false, width };
            let drawn = migproof::report::human::render(&outcome, &style);
            let by_miette = migproof::report::human::render_by_miette(&outcome, &style);
            if drawn != by_miette {
                let at = drawn
                    .lines()
                    .zip(by_miette.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                let around = |text: &str| {
                    text.lines()
                        .skip(at.saturating_sub(12))
                        .take(16)
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                panic!(
                    "{} at width {width}, line {}:\n--- drawn\n{}\n--- miette\n{}",
                    root.display(),
                    at + 1,
                    around(&drawn),
                    around(&by_miette)
                );
            }
        }
    }
}
