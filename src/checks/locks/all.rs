//! The list of lock rules, in its own file so that the rules (which use [`super`]) and the list
//! of them do not import each other.

use super::{Claim, ClaimFn, walk};
use crate::checks::Rule;
use crate::model::MigrationSet;

/// Every lock rule's claim function, for the replay test and [`claims`].
pub static RULES: &[(&Rule, ClaimFn)] = &[
    (
        &crate::checks::index_not_concurrent::RULE,
        crate::checks::index_not_concurrent::claims,
    ),
    (
        &crate::checks::drop_index_not_concurrent::RULE,
        crate::checks::drop_index_not_concurrent::claims,
    ),
    (
        &crate::checks::reindex_not_concurrent::RULE,
        crate::checks::reindex_not_concurrent::claims,
    ),
    (
        &crate::checks::concurrent_in_transaction_block::RULE,
        crate::checks::concurrent_in_transaction_block::claims,
    ),
    (
        &crate::checks::concurrent_index_if_not_exists::RULE,
        crate::checks::concurrent_index_if_not_exists::claims,
    ),
    (
        &crate::checks::constraint_validates_table::RULE,
        crate::checks::constraint_validates_table::claims,
    ),
    (
        &crate::checks::set_not_null_scan::RULE,
        crate::checks::set_not_null_scan::claims,
    ),
    (
        &crate::checks::unique_builds_index::RULE,
        crate::checks::unique_builds_index::claims,
    ),
    (
        &crate::checks::fk_locks_referenced_table::RULE,
        crate::checks::fk_locks_referenced_table::claims,
    ),
    (
        &crate::checks::attach_partition_scans::RULE,
        crate::checks::attach_partition_scans::claims,
    ),
    (
        &crate::checks::partition_of_locks_parent::RULE,
        crate::checks::partition_of_locks_parent::claims,
    ),
    (
        &crate::checks::column_type_rewrite::RULE,
        crate::checks::column_type_rewrite::claims,
    ),
    (
        &crate::checks::add_column_rewrite::RULE,
        crate::checks::add_column_rewrite::claims,
    ),
    (
        &crate::checks::table_rewrite::RULE,
        crate::checks::table_rewrite::claims,
    ),
    (
        &crate::checks::add_required_column::RULE,
        crate::checks::add_required_column::claims,
    ),
    (
        &crate::checks::missing_lock_timeout::RULE,
        crate::checks::missing_lock_timeout::claims,
    ),
    (
        &crate::checks::backfill_with_ddl::RULE,
        crate::checks::backfill_with_ddl::claims,
    ),
    (&crate::checks::drop_column::RULE, crate::checks::drop_column::claims),
    (&crate::checks::drop_table::RULE, crate::checks::drop_table::claims),
    (
        &crate::checks::rename_object::RULE,
        crate::checks::rename_object::claims,
    ),
];

/// Every claim of every lock rule on `set` (opt-in rules included).
pub fn claims(set: &MigrationSet) -> Vec<Claim> {
    let mut out = Vec::new();
    walk(set, |ctx| {
        for (_, f) in RULES {
            f(ctx, &mut out);
        }
    });
    out
}
