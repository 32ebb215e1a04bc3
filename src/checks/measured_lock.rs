//! Reported by [`crate::roundtrip`] during `check --roundtrip` (the measurement:
//! `crate::roundtrip::measure`).

declare_rule! {
    /// ## What it does
    /// During `--roundtrip`, after each statement of every up and down, reads the relation locks the
    /// migration's own session holds (`pg_locks`) and reports a lock that blocks writes (SHARE, SHARE
    /// ROW EXCLUSIVE, EXCLUSIVE or ACCESS EXCLUSIVE) taken on a table that existed before the
    /// migration (not created earlier in the same file, nor by a migration added since `--base`). It
    /// sees what the statement really did, also inside `DO` blocks, PL/pgSQL functions the migration
    /// calls and dynamic `EXECUTE`, which no static rule can read. When the same statement also
    /// rewrote or scanned the table, `measured-rewrite` or `measured-scan` reports it instead. Only
    /// statements that run code are reported (`DO`, `SELECT`/`CALL` of a function, DML that fires
    /// triggers): a DDL statement's own lock is what it says (`ALTER TABLE … ADD COLUMN` or
    /// `CREATE TRIGGER` holds it for a moment) and is the static rules' to judge
    /// (`missing-lock-timeout` for a lock without `lock_timeout`).
    ///
    /// ## Why is this bad
    /// The lock is held until the migration's transaction commits. While it waits for older
    /// queries, every later query on the table queues behind it; once granted, writes (or reads and
    /// writes, for ACCESS EXCLUSIVE) stop. Docs:
    /// https://www.postgresql.org/docs/current/explicit-locking.html
    ///
    /// ## Example
    /// ```sql
    /// DO $$ BEGIN
    ///   EXECUTE 'CREATE INDEX orders_user_idx ON orders (user_id)';   -- SHARE on orders
    /// END $$;
    /// ```
    ///
    /// ## How to fix
    /// Use the non-blocking form (`CREATE INDEX CONCURRENTLY`, `NOT VALID` then `VALIDATE`), set a
    /// short `lock_timeout` so the statement gives up instead of queueing, and keep the transaction
    /// that holds the lock short.
    pub static RULE = ("MC450", "measured-lock", Warning, Roundtrip);
}
