//! Reported by [`crate::roundtrip`] during `check --roundtrip`.

declare_rule! {
    /// ## What it does
    /// Reports an up that fails when applied again after its down: the classic case is a down that
    /// forgot a type or a function, so `CREATE TYPE` now says "already exists".
    ///
    /// ## Why is this bad
    /// `migrate down 1 && migrate up` (the usual way to fix a bad deploy) fails, and the database
    /// is stuck between versions.
    ///
    /// ## Example
    /// ```sql
    /// -- up
    /// CREATE TYPE status AS ENUM ('active', 'closed');
    /// -- down
    /// ALTER TABLE users DROP COLUMN status;   -- the type is left behind
    /// ```
    ///
    /// ## How to fix
    /// Make the down drop what the up creates (here `DROP TYPE status;`).
    pub static RULE = ("MC304", "reapply-failed", Error, Roundtrip);
}
