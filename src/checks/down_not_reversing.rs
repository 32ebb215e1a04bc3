//! Reported by [`crate::roundtrip`] during `check --roundtrip`, with the finding made here.

use super::{Finding, Location};
use crate::roundtrip::diff::{Change, Context};

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

/// The finding for a down after which the schema differs from before its up by `changes`
/// (none of them only a column order).
pub fn finding(at: Location, up_name: &str, down_name: &str, changes: &[Change]) -> Finding {
    let list: Vec<String> = changes.iter().map(|c| c.describe(Context::Down)).collect();
    Finding::new(
        &RULE,
        at,
        format!(
            "after this down the schema differs from before `{up_name}`: {}",
            list.join("; ")
        ),
    )
    .label("does not undo its up")
    .help(
        std::iter::once(format!(
            "make `{down_name}` undo every object `{up_name}` creates or changes"
        ))
        .chain(changes.iter().filter_map(Change::detail))
        .collect::<Vec<_>>()
        .join("\n"),
    )
}
