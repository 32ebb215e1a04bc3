//! Reported by [`crate::base`] when `check --base REF` compares a directory with `REF`.

declare_rule! {
    /// ## What it does
    /// With `--base REF`, reports a migration file that exists at `REF` and is gone now, deleted
    /// or renamed (a rename is named when a new file has the same content).
    ///
    /// ## Why is this bad
    /// Databases that already ran the migration still list it in their history: golang-migrate
    /// fails to find the file for its current version, and a renamed migration runs a second time
    /// under its new version.
    ///
    /// ## Example
    /// ```text
    /// 000004_add_index.up.sql exists at origin/main, renamed to 000005_add_index.up.sql
    /// ```
    ///
    /// ## How to fix
    /// Restore the file under its old name. To undo what it did, add a new migration.
    pub static RULE = ("MC051", "deleted-applied-migration", Error, Base);
}
