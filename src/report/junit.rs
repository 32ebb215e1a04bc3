//! `--format junit`: JUnit XML for CI test reports. One `<testsuite>` per migration directory,
//! one `<testcase>` per check in it: a check with error findings (or warnings, with
//! `--deny-warnings`) fails, listing every finding; a check that only warns passes and lists
//! its warnings in `<system-out>`; a git-aware check without `--base`, and a round-trip check
//! without `--roundtrip`, is skipped.

use crate::checks::{Finding, Kind, REGISTRY, Severity};
use crate::outcome::Outcome;
use crate::report::human;

/// What the JUnit report needs beyond the outcome.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--base` was given: the git-aware checks ran.
    pub base: bool,
    /// `--deny-warnings`: warnings fail a test case.
    pub deny_warnings: bool,
}

/// Escapes text and attribute values; drops characters XML 1.0 cannot hold.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `path:line:col: message` and the help.
fn line(f: &Finding) -> String {
    let (line, col) = f.location.line_col();
    let mut s = format!("{}:{line}:{col}: {}", f.location.path, f.message);
    if let Some(help) = &f.help {
        s.push_str(&format!("\n  help: {help}"));
    }
    s
}

/// Which set a finding belongs to: the longest directory that contains its path.
fn set_of(outcome: &Outcome, f: &Finding) -> Option<usize> {
    outcome
        .sets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.display == "." || f.location.path.starts_with(&format!("{}/", s.display)))
        .max_by_key(|(_, s)| s.display.len())
        .map(|(i, _)| i)
}

pub fn render(outcome: &Outcome, options: Options) -> String {
    let mut suites = String::new();
    let (mut all_tests, mut all_failures, mut all_skipped) = (0, 0, 0);
    for (i, set) in outcome.sets.iter().enumerate() {
        let findings: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| set_of(outcome, f) == Some(i))
            .collect();
        let (mut failures, mut skipped) = (0, 0);
        let mut cases = String::new();
        for entry in REGISTRY {
            let rule = entry.rule;
            let name = format!("{} {}", rule.code, rule.name);
            let mine: Vec<&&Finding> = findings.iter().filter(|f| f.rule.code == rule.code).collect();
            let failing = mine
                .iter()
                .any(|f| f.severity == Severity::Error || options.deny_warnings);
            let attrs = format!("classname=\"{}\" name=\"{}\"", xml(&set.display), xml(&name));
            let missing = match rule.kind {
                Kind::Base if !options.base => Some("--base"),
                Kind::Roundtrip if outcome.roundtrip.is_none() => Some("--roundtrip"),
                _ => None,
            };
            if let Some(flag) = missing {
                skipped += 1;
                cases.push_str(&format!(
                    "    <testcase {attrs}>\n      <skipped message=\"needs {flag}\"/>\n    </testcase>\n"
                ));
            } else if failing {
                failures += 1;
                let body: Vec<String> = mine.iter().map(|f| line(f)).collect();
                let first = &mine[0].message;
                let count = if mine.len() == 1 {
                    "1 finding".to_string()
                } else {
                    format!("{} findings", mine.len())
                };
                cases.push_str(&format!(
                    "    <testcase {attrs}>\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    rule.code,
                    xml(&format!("{count}: {first}")),
                    xml(&body.join("\n"))
                ));
            } else if !mine.is_empty() {
                let body: Vec<String> = mine.iter().map(|f| format!("warning: {}", line(f))).collect();
                cases.push_str(&format!(
                    "    <testcase {attrs}>\n      <system-out>{}</system-out>\n    </testcase>\n",
                    xml(&body.join("\n"))
                ));
            } else {
                cases.push_str(&format!("    <testcase {attrs}/>\n"));
            }
        }
        let tests = REGISTRY.len();
        all_tests += tests;
        all_failures += failures;
        all_skipped += skipped;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{cases}  </testsuite>\n",
            xml(&set.display)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- {} -->\n<testsuites name=\"migproof\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"0\" skipped=\"{all_skipped}\">\n{suites}</testsuites>\n",
        xml(human::summary_line(outcome).trim()).replace("--", "- -")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;\u{FFFD}");
    }
}
