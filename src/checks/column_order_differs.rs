//! Reported by [`crate::roundtrip`] during `check --roundtrip`.

declare_rule! {
    /// ## What it does
    /// Reports a down/up pair after which a table has the same columns in another order (for example
    /// the down re-adds a dropped column, which goes last).
    ///
    /// ## Why is this bad
    /// Usually harmless, but `SELECT *`, `INSERT` without a column list and `COPY` depend on column
    /// order, and views built with `t.*` change with it.
    ///
    /// ## Example
    /// ```sql
    /// -- up
    /// ALTER TABLE t DROP COLUMN note;
    /// -- down
    /// ALTER TABLE t ADD COLUMN note text;   -- now the last column
    /// ```
    ///
    /// ## How to fix
    /// Accept it, or avoid depending on column order in queries; recreate the table if order matters.
    pub static RULE = ("MC307", "column-order-differs", Warning, Roundtrip);
}
