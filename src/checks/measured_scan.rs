//! Reported by [`crate::roundtrip`] during `check --roundtrip` (the measurement:
//! `crate::roundtrip::measure`).

declare_rule! {
    /// ## What it does
    /// During `--roundtrip`, after each statement of every up and down, reads the
    /// `pg_stat_xact_user_tables.seq_scan` counter of every table that existed before the migration
    /// and reports a statement that read a whole table while the migration held a lock on it that
    /// blocks writes (index builds, `SET NOT NULL`, `ADD CHECK`, `ADD FOREIGN KEY`, `ATTACH
    /// PARTITION`). The counter moves even on the round-trip's empty tables, so the scan is seen
    /// without data; a statement that skips the scan (a valid `CHECK (c IS NOT NULL)` before `SET
    /// NOT NULL`) is not reported. A DML statement's scan is not reported: on the round-trip's
    /// empty tables every plan is a sequential scan, whatever indexes the real table has (a
    /// backfill under a DDL lock is `backfill-with-ddl`'s).
    ///
    /// ## Why is this bad
    /// The scan takes time proportional to the table, and the lock blocks writes (or reads) for all
    /// of it. Docs: https://www.postgresql.org/docs/current/sql-altertable.html
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL;   -- scans orders under ACCESS EXCLUSIVE
    /// ```
    ///
    /// ## How to fix
    /// Use the forms that scan under a weaker lock: `CREATE INDEX CONCURRENTLY`, `ADD CONSTRAINT …
    /// NOT VALID` then `VALIDATE CONSTRAINT`, a valid `CHECK (c IS NOT NULL)` before `SET NOT NULL`.
    pub static RULE = ("MC452", "measured-scan", Warning, Roundtrip);
}
