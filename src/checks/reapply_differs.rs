//! Reported by [`crate::roundtrip`] during `check --roundtrip`, with the finding made here.

use super::{Finding, Location};
use crate::roundtrip::diff::{Change, Context};

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

/// The finding for an up that, applied again after `down_name`, gives another schema.
pub fn finding(at: Location, down_name: &str, changes: &[Change]) -> Finding {
    let list: Vec<String> = changes.iter().map(|c| c.describe(Context::Reapply)).collect();
    let mut help = vec![format!("make `{down_name}` restore the schema exactly")];
    help.extend(changes.iter().filter_map(Change::detail));
    Finding::new(
        &RULE,
        at,
        format!(
            "applied again after `{down_name}`, this up gives another schema: {}",
            list.join("; ")
        ),
    )
    .label("second application differs from the first")
    .help(help.join("\n"))
}
