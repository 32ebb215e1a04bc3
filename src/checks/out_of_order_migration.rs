//! Reported by [`crate::base`] when `check --base REF` compares a directory with `REF`.

declare_rule! {
    /// ## What it does
    /// With `--base REF`, reports a migration added since `REF` whose version is lower than or
    /// equal to the highest version at `REF`, and suggests the next free version.
    ///
    /// ## Why is this bad
    /// It happens when a branch is merged late or two branches take the same number. A database
    /// that is already past that version silently skips the migration (golang-migrate only runs
    /// versions above the current one), so it never runs in production.
    ///
    /// ## Example
    /// ```text
    /// origin/main has 000057_add_invoices; this branch adds 000056_add_orders
    /// ```
    ///
    /// ## How to fix
    /// Renumber the new migrations after the highest version at `REF`:
    /// `migproof renumber --base REF --write`.
    pub static RULE = ("MC052", "out-of-order-migration", Error, Base);
}
