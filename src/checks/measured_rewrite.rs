//! Reported by [`crate::roundtrip`] during `check --roundtrip` (the measurement:
//! `crate::roundtrip::measure`).

declare_rule! {
    /// ## What it does
    /// During `--roundtrip`, after each statement of every up and down, compares the
    /// `pg_class.relfilenode` of every table and index that existed before the migration with its
    /// value before the statement, and reports a table (or an index of it) that got a new file:
    /// the statement rewrote it (`ALTER COLUMN … TYPE`, a volatile default, `SET LOGGED`, `VACUUM
    /// FULL`, `CLUSTER`, `REINDEX`) or truncated it. Measured, so it also sees rewrites inside `DO`
    /// blocks, PL/pgSQL functions and dynamic `EXECUTE`, and never claims a rewrite PostgreSQL did
    /// not do.
    ///
    /// ## Why is this bad
    /// A rewrite copies the whole table and rebuilds every index under ACCESS EXCLUSIVE: no reads or
    /// writes for as long as the copy takes, which on a large table is minutes. Docs:
    /// https://www.postgresql.org/docs/current/sql-altertable.html
    ///
    /// ## Example
    /// ```sql
    /// DO $$ BEGIN
    ///   EXECUTE 'ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)';   -- int → numeric
    /// END $$;
    /// ```
    ///
    /// ## How to fix
    /// Add a new column, backfill it in batches, switch readers and writers, then drop the old one;
    /// or use a binary-coercible change (`varchar(n)` → `text`) that keeps the file.
    pub static RULE = ("MC451", "measured-rewrite", Warning, Roundtrip);
}
