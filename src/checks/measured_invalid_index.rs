//! Reported by [`crate::roundtrip`] during `check --roundtrip` (the measurement:
//! `crate::roundtrip::measure`).

declare_rule! {
    /// ## What it does
    /// During `--roundtrip`, reads `pg_index.indisvalid` after each statement and reports an index
    /// that a statement left invalid and that is still invalid when the script ends: a
    /// `CREATE INDEX … ON ONLY` parent index whose partitions were never attached, or a concurrent
    /// build that failed and was skipped by `IF NOT EXISTS`.
    ///
    /// ## Why is this bad
    /// An invalid index is never used by queries but is still maintained on every write; a unique
    /// one may still reject rows. `IF NOT EXISTS` will not build it again. Docs:
    /// https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX events_at_idx ON ONLY events (at);   -- no ALTER INDEX … ATTACH PARTITION follows
    /// ```
    ///
    /// ## How to fix
    /// Attach an index of every partition (`ALTER INDEX … ATTACH PARTITION`), or drop the invalid
    /// index and build it again (`DROP INDEX CONCURRENTLY`, then `CREATE INDEX CONCURRENTLY`).
    pub static RULE = ("MC453", "measured-invalid-index", Warning, Roundtrip);
}
