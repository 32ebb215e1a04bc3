use super::{Finding, runner_issue};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a migration script that the runner's registry does not list: a `.sql` file of a
    /// drizzle directory with no entry in `meta/_journal.json`, or a sqitch deploy script with
    /// no change of that name in the plan.
    ///
    /// ## Why is this bad
    /// The runner only runs what its registry lists: the script never runs, and nothing says
    /// so until someone looks for what it should have created.
    ///
    /// ## Example
    /// ```text
    /// migrations/0011_add_index.sql   -- written by hand, never added to meta/_journal.json
    /// ```
    ///
    /// ## How to fix
    /// Register the script (`drizzle-kit generate --custom` creates a journal entry; `sqitch add`
    /// adds a plan change), or delete it.
    pub static RULE = ("MC042", "unplanned-file", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    runner_issue::report(
        set,
        &RULE,
        "never runs",
        "register the script with the runner, or delete it",
        out,
    );
}
