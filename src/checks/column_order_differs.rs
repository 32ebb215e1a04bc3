//! Reported by [`crate::roundtrip`] during `check --roundtrip`, with the finding made here.

use super::{Finding, Location};
use crate::roundtrip::diff::{Change, Context};

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

/// The finding for a down that restores columns in another order (`changes` are order-only).
pub fn finding(at: Location, changes: &[Change]) -> Finding {
    let list: Vec<String> = changes.iter().map(|c| c.describe(Context::Down)).collect();
    Finding::new(&RULE, at, format!("after this down, {}", list.join("; ")))
        .label("restores columns in another order")
        .help("harmless unless something relies on column order (`SELECT *`, `INSERT` without columns, `COPY`)")
}
