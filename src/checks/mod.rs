//! The checks: one file per rule, one registry table ([`REGISTRY`]).
//!
//! A rule is declared in its own file with [`declare_rule!`]; its doc comment (What it does /
//! Why is this bad / Example / How to fix) is the text `migproof rule CODE` prints. A check is a
//! function from a loaded [`MigrationSet`] to findings; it never reads the disk.

use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

use crate::model::{FileId, MigrationSet};

/// Declares a rule: `declare_rule! { /// docs… pub static RULE = ("MC001", "duplicate-version", Error); }`.
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* $vis:vis static $id:ident = ($code:literal, $name:literal, $sev:ident);) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::checks::Rule = $crate::checks::Rule {
            code: $code,
            name: $name,
            severity: $crate::checks::Severity::$sev,
            doc: concat!($($doc, "\n"),*),
        };
    };
}

pub mod add_column_rewrite;
pub mod add_required_column;
pub mod attach_partition_scans;
pub mod backfill_with_ddl;
pub mod bad_section_marker;
pub mod byte_order_mark;
pub mod column_order_differs;
pub mod column_type_rewrite;
pub mod concurrent_in_transaction_block;
pub mod concurrent_index_if_not_exists;
pub mod concurrently_in_transaction;
pub mod constraint_validates_table;
pub mod deleted_applied_migration;
pub mod dialect_syntax_error;
pub mod down_failed;
pub mod down_not_reversing;
pub mod drop_column;
pub mod drop_index_not_concurrent;
pub mod drop_table;
pub mod duplicate_registry_id;
pub mod duplicate_repeatable;
pub mod duplicate_version;
pub mod edited_applied_migration;
pub mod empty_migration;
pub mod fk_locks_referenced_table;
mod graph;
pub mod graph_roots;
pub mod index_not_concurrent;
pub mod invalid_metadata;
pub mod invalid_timestamp;
pub mod locks;
pub mod missing_down;
pub mod missing_lock_timeout;
pub mod missing_up_marker;
pub mod mixed_formats;
pub mod multiple_leaves;
pub mod orphan_down;
pub mod out_of_order_migration;
pub mod pair_name_mismatch;
pub mod parent_cycle;
pub mod partition_of_locks_parent;
pub mod prisma_lock_file;
pub mod psql_meta_command;
pub mod reapply_differs;
pub mod reapply_failed;
pub mod registry_entry_without_file;
pub mod registry_name_mismatch;
pub mod registry_version_sequence;
pub mod reindex_not_concurrent;
pub mod rename_object;
pub mod roundtrip_environment;
pub mod set_not_null_scan;
pub mod sql_not_analysed;
pub mod syntax_error;
pub mod table_rewrite;
pub mod unique_builds_index;
pub mod unknown_parent;
pub mod unreadable_file;
pub mod unrecognized_file;
pub mod unregistered_migration;
pub mod unused_ignore;
pub mod up_failed;
pub mod version_gap;
pub mod version_order;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information only: something migproof did not check, and why. Never fails a run.
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule's identity and documentation. Codes are stable and never reused.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// Markdown: What it does / Why is this bad / Example / How to fix.
    pub doc: &'static str,
}

impl Rule {
    /// The documentation with the one leading space of each doc-comment line removed.
    pub fn documentation(&self) -> String {
        self.doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The first sentence of the documentation's "What it does" section.
    pub fn summary(&self) -> String {
        let doc = self.documentation();
        let paragraph: Vec<&str> = doc
            .lines()
            .skip_while(|l| !l.starts_with("## What it does"))
            .skip(1)
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        let text = paragraph.join(" ");
        match text.find(". ") {
            Some(end) => text[..=end].to_string(),
            None => text,
        }
    }
}

/// A check: reads a loaded set, appends findings.
pub type CheckFn = fn(&MigrationSet, &mut Vec<Finding>);

/// One row of the registry.
pub struct Entry {
    pub rule: &'static Rule,
    pub check: CheckFn,
}

/// Every rule migproof has, in code order. The only list of checks.
pub static REGISTRY: &[Entry] = &[
    Entry {
        rule: &duplicate_version::RULE,
        check: duplicate_version::check,
    },
    Entry {
        rule: &version_order::RULE,
        check: version_order::check,
    },
    Entry {
        rule: &unrecognized_file::RULE,
        check: unrecognized_file::check,
    },
    Entry {
        rule: &version_gap::RULE,
        check: version_gap::check,
    },
    Entry {
        rule: &invalid_timestamp::RULE,
        check: invalid_timestamp::check,
    },
    Entry {
        rule: &mixed_formats::RULE,
        check: mixed_formats::check,
    },
    Entry {
        rule: &missing_up_marker::RULE,
        check: missing_up_marker::check,
    },
    Entry {
        rule: &bad_section_marker::RULE,
        check: bad_section_marker::check,
    },
    Entry {
        rule: &prisma_lock_file::RULE,
        check: prisma_lock_file::check,
    },
    Entry {
        rule: &byte_order_mark::RULE,
        check: byte_order_mark::check,
    },
    Entry {
        rule: &unreadable_file::RULE,
        check: unreadable_file::check,
    },
    Entry {
        rule: &duplicate_repeatable::RULE,
        check: duplicate_repeatable::check,
    },
    Entry {
        rule: &invalid_metadata::RULE,
        check: invalid_metadata::check,
    },
    Entry {
        rule: &concurrently_in_transaction::RULE,
        check: concurrently_in_transaction::check,
    },
    Entry {
        rule: &unregistered_migration::RULE,
        check: unregistered_migration::check,
    },
    Entry {
        rule: &registry_entry_without_file::RULE,
        check: registry_entry_without_file::check,
    },
    Entry {
        rule: &duplicate_registry_id::RULE,
        check: duplicate_registry_id::check,
    },
    Entry {
        rule: &registry_version_sequence::RULE,
        check: registry_version_sequence::check,
    },
    Entry {
        rule: &registry_name_mismatch::RULE,
        check: registry_name_mismatch::check,
    },
    Entry {
        rule: &sql_not_analysed::RULE,
        check: sql_not_analysed::check,
    },
    Entry {
        rule: &unknown_parent::RULE,
        check: unknown_parent::check,
    },
    Entry {
        rule: &parent_cycle::RULE,
        check: parent_cycle::check,
    },
    Entry {
        rule: &graph_roots::RULE,
        check: graph_roots::check,
    },
    Entry {
        rule: &multiple_leaves::RULE,
        check: multiple_leaves::check,
    },
    Entry {
        rule: &missing_down::RULE,
        check: missing_down::check,
    },
    Entry {
        rule: &orphan_down::RULE,
        check: orphan_down::check,
    },
    Entry {
        rule: &pair_name_mismatch::RULE,
        check: pair_name_mismatch::check,
    },
    Entry {
        rule: &empty_migration::RULE,
        check: empty_migration::check,
    },
    Entry {
        rule: &syntax_error::RULE,
        check: syntax_error::check,
    },
    Entry {
        rule: &psql_meta_command::RULE,
        check: psql_meta_command::check,
    },
    Entry {
        rule: &dialect_syntax_error::RULE,
        check: dialect_syntax_error::check,
    },
    // Lock safety (MC4xx): shared walk in `locks`.
    Entry {
        rule: &index_not_concurrent::RULE,
        check: index_not_concurrent::check,
    },
    Entry {
        rule: &drop_index_not_concurrent::RULE,
        check: drop_index_not_concurrent::check,
    },
    Entry {
        rule: &reindex_not_concurrent::RULE,
        check: reindex_not_concurrent::check,
    },
    Entry {
        rule: &concurrent_in_transaction_block::RULE,
        check: concurrent_in_transaction_block::check,
    },
    Entry {
        rule: &concurrent_index_if_not_exists::RULE,
        check: concurrent_index_if_not_exists::check,
    },
    Entry {
        rule: &constraint_validates_table::RULE,
        check: constraint_validates_table::check,
    },
    Entry {
        rule: &set_not_null_scan::RULE,
        check: set_not_null_scan::check,
    },
    Entry {
        rule: &unique_builds_index::RULE,
        check: unique_builds_index::check,
    },
    Entry {
        rule: &fk_locks_referenced_table::RULE,
        check: fk_locks_referenced_table::check,
    },
    Entry {
        rule: &attach_partition_scans::RULE,
        check: attach_partition_scans::check,
    },
    Entry {
        rule: &partition_of_locks_parent::RULE,
        check: partition_of_locks_parent::check,
    },
    Entry {
        rule: &column_type_rewrite::RULE,
        check: column_type_rewrite::check,
    },
    Entry {
        rule: &add_column_rewrite::RULE,
        check: add_column_rewrite::check,
    },
    Entry {
        rule: &table_rewrite::RULE,
        check: table_rewrite::check,
    },
    Entry {
        rule: &add_required_column::RULE,
        check: add_required_column::check,
    },
    Entry {
        rule: &missing_lock_timeout::RULE,
        check: missing_lock_timeout::check,
    },
    Entry {
        rule: &backfill_with_ddl::RULE,
        check: backfill_with_ddl::check,
    },
    Entry {
        rule: &drop_column::RULE,
        check: drop_column::check,
    },
    Entry {
        rule: &drop_table::RULE,
        check: drop_table::check,
    },
    Entry {
        rule: &rename_object::RULE,
        check: rename_object::check,
    },
    // Reported after the other checks, by `crate::ignore_directives`.
    Entry {
        rule: &unused_ignore::RULE,
        check: unused_ignore::check,
    },
    // Git-aware (`check --base REF`): reported by `crate::base`.
    Entry {
        rule: &edited_applied_migration::RULE,
        check: edited_applied_migration::check,
    },
    Entry {
        rule: &deleted_applied_migration::RULE,
        check: deleted_applied_migration::check,
    },
    Entry {
        rule: &out_of_order_migration::RULE,
        check: out_of_order_migration::check,
    },
    // Round-trip (`check --roundtrip`): reported by `crate::roundtrip`.
    Entry {
        rule: &up_failed::RULE,
        check: up_failed::check,
    },
    Entry {
        rule: &down_failed::RULE,
        check: down_failed::check,
    },
    Entry {
        rule: &down_not_reversing::RULE,
        check: down_not_reversing::check,
    },
    Entry {
        rule: &reapply_failed::RULE,
        check: reapply_failed::check,
    },
    Entry {
        rule: &reapply_differs::RULE,
        check: reapply_differs::check,
    },
    Entry {
        rule: &roundtrip_environment::RULE,
        check: roundtrip_environment::check,
    },
    Entry {
        rule: &column_order_differs::RULE,
        check: column_order_differs::check,
    },
];

/// Looks a rule up by code (`MC001`, any case) or name (`duplicate-version`).
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    REGISTRY
        .iter()
        .map(|e| e.rule)
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

/// Runs every check on a set.
pub fn run(set: &MigrationSet) -> Vec<Finding> {
    let mut findings = Vec::new();
    for entry in REGISTRY {
        (entry.check)(set, &mut findings);
    }
    findings
}

/// A place in a file: the file's display path, a byte range, and its text for rendering.
#[derive(Debug, Clone)]
pub struct Location {
    pub path: String,
    pub span: Range<usize>,
    /// `None` when the file could not be read (or the place is not in a file).
    pub text: Option<Arc<str>>,
}

impl Location {
    /// `span` of file `id` in `set`.
    pub fn in_file(set: &MigrationSet, id: FileId, span: Range<usize>) -> Location {
        let file = set.file(id);
        Location {
            path: file.display.clone(),
            span,
            text: file.text.clone().ok(),
        }
    }

    /// A path with no text (a stray file, a directory).
    pub fn path_only(path: &str) -> Location {
        Location {
            path: path.to_string(),
            span: 0..0,
            text: None,
        }
    }

    /// 1-based line and column (in characters) of the span's start.
    pub fn line_col(&self) -> (usize, usize) {
        let Some(text) = &self.text else { return (1, 1) };
        let start = floor_char_boundary(text, self.span.start);
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Another place a finding involves.
#[derive(Debug, Clone)]
pub struct Related {
    pub location: Location,
    pub label: String,
}

/// One problem found, with where it is and how to fix it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    /// Short text under the underlined span.
    pub label: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Finding {
    /// A finding of `rule` at `location`, with the rule's default severity.
    pub fn new(rule: &'static Rule, location: Location, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.severity,
            location,
            message: message.into(),
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Finding {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    pub fn related(mut self, location: Location, label: impl Into<String>) -> Finding {
        self.related.push(Related {
            location,
            label: label.into(),
        });
        self
    }

    /// The order findings are reported in: path, line, code, then the rest.
    pub fn sort_key(&self) -> (String, usize, usize, &'static str, String) {
        let (line, col) = self.location.line_col();
        (
            self.location.path.clone(),
            line,
            col,
            self.rule.code,
            self.message.clone(),
        )
    }
}

/// Sorts findings into report order (deterministic output).
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_cached_key(|f| f.sort_key());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_codes_and_names_are_unique_and_documented() {
        let mut codes: Vec<_> = REGISTRY.iter().map(|e| e.rule.code).collect();
        let mut names: Vec<_> = REGISTRY.iter().map(|e| e.rule.name).collect();
        codes.sort();
        codes.dedup();
        names.sort();
        names.dedup();
        assert_eq!(codes.len(), REGISTRY.len());
        assert_eq!(names.len(), REGISTRY.len());
        for e in REGISTRY {
            let doc = e.rule.documentation();
            for section in ["## What it does", "## Why is this bad", "## Example", "## How to fix"] {
                assert!(doc.contains(section), "{} lacks {section}", e.rule.code);
            }
            assert!(!e.rule.summary().is_empty(), "{}", e.rule.code);
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let loc = Location {
            path: "x".into(),
            span: 9..9,
            text: Some(Arc::from("ab\ncdé fg")),
        };
        assert_eq!(loc.line_col(), (2, 6));
    }

    #[test]
    fn finds_rules_by_code_or_name() {
        assert_eq!(find_rule("mc001").unwrap().name, "duplicate-version");
        assert_eq!(find_rule("syntax-error").unwrap().code, "MC201");
        assert!(find_rule("MC999").is_none());
    }
}
