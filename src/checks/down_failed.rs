//! Reported by [`crate::roundtrip`] during `check --roundtrip`.

declare_rule! {
    /// ## What it does
    /// Reports a down migration that the server rejected during `--roundtrip` (run right after its
    /// up).
    ///
    /// ## Why is this bad
    /// The rollback you count on during an incident does not work, and with golang-migrate the
    /// database is left marked dirty.
    ///
    /// ## Example
    /// ```sql
    /// -- 000003_add_index.down.sql
    /// DROP INDEX idx_orders_user;   -- the up named it orders_user_idx
    /// ```
    ///
    /// ## How to fix
    /// Make the down drop exactly what the up created, by the names the up used.
    pub static RULE = ("MC302", "down-failed", Error, Roundtrip);
}
