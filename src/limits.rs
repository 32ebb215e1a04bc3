//! Bounds on what one file can make migproof do: a file with 40,000 broken statements gives
//! the first [`FINDINGS_PER_FILE`] findings of each rule and one more saying how many were
//! left out, so the time to sort and render the report stays proportional to the input.

use std::collections::HashMap;

use crate::checks::{Finding, Location};

/// Findings of one rule in one file that are reported one by one; the rest are counted.
pub const FINDINGS_PER_FILE: usize = 100;

/// Keeps, for each file and rule, the first [`FINDINGS_PER_FILE`] findings (in file order)
/// and replaces the rest with one finding at the first left out: "… and N more".
pub fn cap_per_file(findings: &mut Vec<Finding>) {
    let mut counts: HashMap<(&str, &str), usize> = HashMap::new();
    for f in findings.iter() {
        *counts.entry((f.location.path.as_str(), f.rule.code)).or_default() += 1;
    }
    if counts.values().all(|&n| n <= FINDINGS_PER_FILE) {
        return;
    }
    // Only what is over the cap is reordered: by file, then by position (cheap, no lines).
    let over: Vec<(String, &'static str)> = counts
        .iter()
        .filter(|(_, n)| **n > FINDINGS_PER_FILE)
        .map(|((path, code), _)| (path.to_string(), *code))
        .collect();
    let is_over = |f: &Finding| over.iter().any(|(p, c)| *p == f.location.path && *c == f.rule.code);
    let (mut capped, kept): (Vec<Finding>, Vec<Finding>) = std::mem::take(findings).into_iter().partition(is_over);
    *findings = kept;
    capped.sort_by(|a, b| {
        (a.location.path.as_str(), a.rule.code, a.location.span.start).cmp(&(
            b.location.path.as_str(),
            b.rule.code,
            b.location.span.start,
        ))
    });
    let mut rest = capped.into_iter().peekable();
    while let Some(first) = rest.next() {
        let key = (first.location.path.clone(), first.rule.code);
        let mut group = vec![first];
        while rest
            .peek()
            .is_some_and(|f| f.location.path == key.0 && f.rule.code == key.1)
        {
            group.extend(rest.next());
        }
        let left_out = group.split_off(FINDINGS_PER_FILE.min(group.len()));
        findings.extend(group);
        if let Some(at) = left_out.first() {
            let severity = left_out.iter().map(|f| f.severity).max().unwrap_or(at.severity);
            let mut more = Finding::new(
                at.rule,
                Location {
                    span: at.location.span.start..at.location.span.start,
                    ..at.location.clone()
                },
                format!(
                    "… and {} more `{}` findings in this file from here on, not shown one by one (the first {FINDINGS_PER_FILE} are)",
                    left_out.len(),
                    at.rule.name
                ),
            )
            .label("more from here on")
            .help("fix the ones shown and run again");
            more.severity = severity;
            findings.push(more);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::syntax_error::RULE;
    use std::sync::Arc;

    #[test]
    fn caps_each_file_and_rule_and_counts_the_rest() {
        let text: Arc<str> = Arc::from("x".repeat(1000));
        let at = |path: &str, i: usize| {
            Finding::new(
                &RULE,
                Location {
                    path: path.into(),
                    span: i..i + 1,
                    text: Some(text.clone()),
                },
                format!("error {i}"),
            )
        };
        let mut findings: Vec<Finding> = (0..250).rev().map(|i| at("a.sql", i)).collect();
        findings.extend((0..3).map(|i| at("b.sql", i)));
        cap_per_file(&mut findings);
        assert_eq!(findings.len(), 3 + FINDINGS_PER_FILE + 1);
        let a: Vec<&Finding> = findings.iter().filter(|f| f.location.path == "a.sql").collect();
        assert_eq!(a[0].message, "error 0");
        assert_eq!(a[FINDINGS_PER_FILE - 1].message, "error 99");
        assert!(
            a[FINDINGS_PER_FILE]
                .message
                .starts_with("… and 150 more `syntax-error` findings")
        );
        assert_eq!(a[FINDINGS_PER_FILE].location.span, 100..100);
    }
}
