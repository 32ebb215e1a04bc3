//! Reported by [`crate::roundtrip`] during `check --roundtrip`.

declare_rule! {
    /// ## What it does
    /// Reports an up migration that the server rejected during `--roundtrip`, with the server's
    /// message, pointing at the place in the file the server's error position names.
    ///
    /// ## Why is this bad
    /// The migration fails when it is deployed. The round-trip stops that directory here, since
    /// the later migrations depend on this one.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE users (id serail PRIMARY KEY);  -- type "serail" does not exist
    /// ```
    ///
    /// ## How to fix
    /// Correct the statement the server names; run `migproof check --roundtrip` again.
    pub static RULE = ("MC301", "up-failed", Error, Roundtrip);
}
