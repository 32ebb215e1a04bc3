//! Findings for the rules whose verdict the loader reached while reading a runner's own files
//! ([`SetIssue::Runner`]): each such rule reports the issues that carry its code.

use super::{Finding, Location, Rule};
use crate::model::{MigrationSet, SetIssue};

/// Reports every [`SetIssue::Runner`] of `set` that names `rule`'s code.
pub fn report(set: &MigrationSet, rule: &'static Rule, label: &str, help: &str, out: &mut Vec<Finding>) {
    for issue in &set.issues {
        let SetIssue::Runner {
            code,
            file,
            span,
            message,
            related,
        } = issue
        else {
            continue;
        };
        if *code != rule.code {
            continue;
        }
        let mut finding = Finding::new(rule, Location::in_file(set, *file, span.clone()), message.clone())
            .label(label)
            .help(help);
        for (f, s, l) in related {
            finding = finding.related(Location::in_file(set, *f, s.clone()), l.clone());
        }
        out.push(finding);
    }
}
