//! Reported by [`crate::roundtrip`] during `check --roundtrip`.

declare_rule! {
    /// ## What it does
    /// Reports a down that runs but does not restore the schema: after up then down, the schema
    /// differs from before the up. Each difference is named by kind and name ("index `idx_x` left
    /// behind", "column `users.email` type differs").
    ///
    /// ## Why is this bad
    /// A rollback that leaves objects behind (or removes too much) makes the next deploy of the same
    /// migration fail, or leaves a schema no migration describes.
    ///
    /// ## Example
    /// ```sql
    /// -- up
    /// CREATE TABLE t (id int);
    /// CREATE INDEX t_id_idx ON t (id);
    /// ALTER TABLE users ADD COLUMN n int;
    /// -- down
    /// DROP TABLE t;                      -- the column users.n is left behind
    /// ```
    ///
    /// ## How to fix
    /// Add to the down what undoes each object listed, in reverse order of the up.
    pub static RULE = ("MC303", "down-not-reversing", Error, Roundtrip);
}
