use super::{Finding, runner_issue};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports an entry of the runner's registry of migrations whose script does not exist: a
    /// drizzle `meta/_journal.json` entry without its `<tag>.sql`, or a sqitch plan change
    /// without its deploy script.
    ///
    /// ## Why is this bad
    /// The runner fails when it reaches the entry: drizzle's `readMigrationFiles` throws "No
    /// file … found" before migrating anything, and `sqitch deploy` stops at the change.
    ///
    /// ## Example
    /// ```json
    /// { "idx": 3, "when": 1754853510707, "tag": "0003_remove_salt", "breakpoints": true }
    /// ```
    /// with no `0003_remove_salt.sql` beside the journal.
    ///
    /// ## How to fix
    /// Restore the script (or regenerate it with the runner's tool), or remove the entry if the
    /// change was never released.
    pub static RULE = ("MC041", "planned-file-missing", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    runner_issue::report(
        set,
        &RULE,
        "no script for this entry",
        "restore the script, or remove the entry if it was never released",
        out,
    );
}
