//! Reported by [`crate::base`] when `check --base REF` compares a directory with `REF`.

declare_rule! {
    /// ## What it does
    /// With `--base REF`, reports a migration file that exists at `REF` and has different
    /// content now, pointing at the first line that differs. Line endings are normalised first,
    /// so CRLF/LF churn is not an edit.
    ///
    /// ## Why is this bad
    /// A migration that is on the base branch has probably run on staging or production already.
    /// Runners never run it again, so the edit reaches only fresh databases and the schemas
    /// drift apart; runners that store checksums (sqlx) refuse to start instead.
    ///
    /// ## Example
    /// ```text
    /// db/migrations/000003_add_email.up.sql differs from origin/main at line 2
    /// ```
    ///
    /// ## How to fix
    /// Restore the file (`git checkout origin/main -- FILE`) and put the change in a new
    /// migration (`migproof new NAME`).
    pub static RULE = ("MC050", "edited-applied-migration", Error, Base);
}
