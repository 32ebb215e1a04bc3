use super::{Finding, runner_issue};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports, in a Supabase CLI migration, a statement that PostgreSQL refuses inside a
    /// transaction block or pipeline (`CREATE`/`DROP INDEX CONCURRENTLY`, `REINDEX …
    /// CONCURRENTLY`, `VACUUM`, `ALTER SYSTEM`, `CREATE DATABASE`, …) that is not the first
    /// statement of its file or the first after a `COMMIT`.
    ///
    /// ## Why is this bad
    /// The CLI sends a file's statements as one pgx batch (extended protocol, one Sync:
    /// supabase/cli `pkg/migration/file.go` `ExecBatch`). PostgreSQL runs such a statement only
    /// at the start of the batch's implicit transaction; anywhere else it fails with "cannot be
    /// executed within a pipeline" (or "cannot run inside a transaction block" after `BEGIN`),
    /// and the whole file is rolled back. Measured on PostgreSQL 15.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE t ADD COLUMN c int;
    /// CREATE INDEX CONCURRENTLY t_c_idx ON t (c);   -- fails: not first in the batch
    /// ```
    ///
    /// ## How to fix
    /// Move the statement into a migration file of its own (as its first statement), or drop
    /// `CONCURRENTLY`.
    pub static RULE = ("MC045", "not-first-in-batch", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    runner_issue::report(
        set,
        &RULE,
        "refused here by PostgreSQL",
        "put the statement first in a migration file of its own, or drop CONCURRENTLY",
        out,
    );
}
