//! The checks: one file per rule, one registry ([`REGISTRY`]).
//!
//! A rule is declared in its own file with `declare_rule!`: code, name, severity, kind, and
//! its doc comment (What it does / Why is this bad / Example / How to fix), which is the text
//! `migproof rule CODE` prints. An offline rule's file also has its `check`: a function from a
//! loaded [`MigrationSet`] to findings that never reads the disk. Adding a rule of any kind is
//! its file plus one line in the `registry!` list below.

pub use crate::finding::{CheckFn, Finding, Kind, Location, Related, Rule, Severity, sort};
use crate::model::MigrationSet;

/// Declares a rule in its file:
///
/// ```text
/// declare_rule! { /// docs…
///     pub static RULE = ("MC001", "duplicate-version", Error); }          // offline: `check` in this file
/// declare_rule! { /// docs…
///     pub static RULE = ("MC050", "edited-applied-migration", Error, Base); }  // another kind
/// ```
///
/// An offline rule (the three-part form, or `Offline` spelled out) runs the file's
/// `pub fn check(&MigrationSet, &mut Vec<Finding>)`; a rule of another [`Kind`] has no check: its
/// stage reports it.
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* $vis:vis static $id:ident = ($code:literal, $name:literal, $sev:ident);) => {
        declare_rule! { $(#[doc = $doc])* $vis static $id = ($code, $name, $sev, Offline); }
    };
    ($(#[doc = $doc:literal])* $vis:vis static $id:ident = ($code:literal, $name:literal, $sev:ident, Offline);) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::finding::Rule = $crate::finding::Rule {
            code: $code,
            name: $name,
            kind: $crate::finding::Kind::Offline,
            severity: $crate::finding::Severity::$sev,
            check: Some(check),
            doc: concat!($($doc, "\n"),*),
        };
    };
    ($(#[doc = $doc:literal])* $vis:vis static $id:ident = ($code:literal, $name:literal, $sev:ident, $kind:ident);) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::finding::Rule = $crate::finding::Rule {
            code: $code,
            name: $name,
            kind: $crate::finding::Kind::$kind,
            severity: $crate::finding::Severity::$sev,
            check: None,
            doc: concat!($($doc, "\n"),*),
        };
    };
}

/// Declares the rule modules and [`REGISTRY`], in the order given (code order: the order of
/// `migproof rules`, SARIF and JUnit).
macro_rules! registry {
    ($($rule:ident,)*) => {
        $(pub mod $rule;)*

        /// Every rule migproof has, of every kind, in code order. The only list of rules.
        pub static REGISTRY: &[Entry] = &[$(Entry { rule: &$rule::RULE },)*];
    };
}

mod graph;
/// What the lock-safety rules (MC4xx) share.
pub mod locks;
mod runner_issue;

registry! {
    duplicate_version,
    version_order,
    unrecognized_file,
    version_gap,
    invalid_timestamp,
    mixed_formats,
    missing_up_marker,
    bad_section_marker,
    prisma_lock_file,
    byte_order_mark,
    runner_assumed,
    dialect_not_checked,
    unreadable_file,
    duplicate_repeatable,
    invalid_metadata,
    concurrently_in_transaction,
    unregistered_migration,
    registry_entry_without_file,
    duplicate_registry_id,
    registry_version_sequence,
    registry_name_mismatch,
    sql_not_analysed,
    unknown_parent,
    parent_cycle,
    graph_roots,
    multiple_leaves,
    transaction_control,
    sequence_gap,
    planned_file_missing,
    unplanned_file,
    journal_order,
    atlas_sum_mismatch,
    not_first_in_batch,
    plan_error,
    up_without_sql,
    missing_down,
    orphan_down,
    pair_name_mismatch,
    empty_migration,
    syntax_error,
    psql_meta_command,
    dialect_syntax_error,
    index_not_concurrent,
    drop_index_not_concurrent,
    reindex_not_concurrent,
    concurrent_in_transaction_block,
    concurrent_index_if_not_exists,
    constraint_validates_table,
    set_not_null_scan,
    unique_builds_index,
    fk_locks_referenced_table,
    attach_partition_scans,
    partition_of_locks_parent,
    column_type_rewrite,
    add_column_rewrite,
    table_rewrite,
    add_required_column,
    missing_lock_timeout,
    backfill_with_ddl,
    drop_column,
    drop_table,
    rename_object,
    unused_ignore,
    edited_applied_migration,
    deleted_applied_migration,
    out_of_order_migration,
    up_failed,
    down_failed,
    down_not_reversing,
    reapply_failed,
    reapply_differs,
    roundtrip_environment,
    column_order_differs,
    measured_lock,
    measured_rewrite,
    measured_scan,
    measured_invalid_index,
}

/// One row of the registry: the rule its file declares (kind, check and docs included).
pub struct Entry {
    pub rule: &'static Rule,
}

/// Looks a rule up by code (`MC001`, any case) or name (`duplicate-version`).
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    REGISTRY
        .iter()
        .map(|e| e.rule)
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

/// Runs every offline check on a set.
pub fn run(set: &MigrationSet) -> Vec<Finding> {
    let mut findings = Vec::new();
    // The lock rules share one replay of the set's schema instead of one each.
    for e in REGISTRY.iter().filter(|e| !locks::is_lock_rule(e.rule)) {
        if let Some(check) = e.rule.check {
            check(set, &mut findings);
        }
    }
    locks::report_all(set, &mut findings);
    runner_assumed::soften(set, &mut findings);
    findings
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
    fn offline_rules_and_only_they_have_a_check() {
        for e in REGISTRY {
            assert_eq!(
                e.rule.check.is_some(),
                e.rule.kind == Kind::Offline,
                "{} is {:?}",
                e.rule.code,
                e.rule.kind
            );
        }
    }

    #[test]
    fn finds_rules_by_code_or_name() {
        assert_eq!(find_rule("mc001").unwrap().name, "duplicate-version");
        assert_eq!(find_rule("syntax-error").unwrap().code, "MC201");
        assert!(find_rule("MC999").is_none());
    }
}
