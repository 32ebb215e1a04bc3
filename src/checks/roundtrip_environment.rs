//! Reported by [`crate::roundtrip`] during `check --roundtrip`.

declare_rule! {
    /// ## What it does
    /// Reports that the round-trip server lacks something the migrations need (an extension that is
    /// not installed, a role or language the platform provides). The directory is reported as not
    /// verified and migproof exits with code 2: a CI gate must not pass on a check that did not run.
    ///
    /// ## Why is this bad
    /// Nothing after this migration was verified; green would be a lie.
    ///
    /// ## Example
    /// ```sql
    /// CREATE EXTENSION IF NOT EXISTS vector;   -- pgvector is not installed on the scratch server
    /// ```
    ///
    /// ## How to fix
    /// Install what is named (e.g. the Debian package `postgresql-15-pgvector`), provide roles and
    /// schemas with `--setup FILE`, or run on a server that has them with `--database-url`.
    pub static RULE = ("MC306", "roundtrip-environment", Error, Roundtrip);
}
