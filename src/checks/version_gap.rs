use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a hole in sequentially numbered migrations (1, 2, 4). Timestamp versions are
    /// never checked: a set counts as sequential when every version is below 100,000,000.
    ///
    /// ## Why is this bad
    /// A missing number usually means a migration was deleted, renamed or not committed. If it
    /// reappears later, databases that are already past it skip it.
    ///
    /// ## Example
    /// ```text
    /// 000002_add_users.up.sql
    /// 000004_add_orders.up.sql   (where is 000003?)
    /// ```
    ///
    /// ## How to fix
    /// Restore the missing migration, or renumber the ones after the gap if they were never
    /// released. A gap that is known and intended can be left as it is: this is a warning.
    pub static RULE = ("MC004", "version-gap", Warning);
}

/// Versions at or above this are treated as timestamps, not sequence numbers.
const SEQUENTIAL_LIMIT: u128 = 100_000_000;

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let numbers: Option<Vec<u128>> = set.migrations.iter().map(|m| m.version.as_number()).collect();
    let Some(numbers) = numbers else { return };
    // Where the runner itself refuses gaps (tern), `sequence-gap` reports them as errors.
    let refused = set
        .issues
        .iter()
        .any(|i| matches!(i, crate::model::SetIssue::Runner { code, .. } if *code == super::sequence_gap::RULE.code));
    if refused || numbers.iter().any(|&n| n >= SEQUENTIAL_LIMIT) {
        return;
    }
    for (i, pair) in numbers.windows(2).enumerate() {
        let (prev, next) = (pair[0], pair[1]);
        if next > prev + 1 {
            let m = &set.migrations[i + 1];
            let missing = if next - prev == 2 {
                format!("{} is missing", prev + 1)
            } else {
                format!("{} to {} are missing", prev + 1, next - 1)
            };
            out.push(
                Finding::new(
                    &RULE,
                    Location::in_file(set, m.primary_file(), 0..0),
                    format!("version {} follows {}: {missing}", m.version, set.migrations[i].version),
                )
                .label("after a gap")
                .help("restore the missing migration or renumber the ones after the gap, if they were never released"),
            );
        }
    }
}
