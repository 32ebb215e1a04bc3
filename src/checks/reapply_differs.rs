//! Reported by [`crate::roundtrip`] during `check --roundtrip`.

declare_rule! {
    /// ## What it does
    /// Reports an up that, applied again after its down, leads to another schema than the first
    /// time.
    ///
    /// ## Why is this bad
    /// The schema then depends on whether a migration was ever rolled back: environments drift
    /// apart with the same migration history.
    ///
    /// ## Example
    /// ```sql
    /// -- up: an index without a name gets a generated one (t_a_idx)
    /// CREATE INDEX ON t (a);
    /// -- down forgets it; the second up adds t_a_idx1 beside it
    /// ```
    ///
    /// ## How to fix
    /// Make the down restore the schema exactly (see `down-not-reversing`), and avoid `IF NOT EXISTS`
    /// hiding what the down left behind.
    pub static RULE = ("MC305", "reapply-differs", Error, Roundtrip);
}
