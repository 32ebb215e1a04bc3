use super::{Finding, runner_issue};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports what makes sqitch refuse its plan file (sqitchers/sqitch `lib/App/Sqitch/Plan.pm`
    /// `_parse`, `check_changes`): a dependency (`[users]`) on a change that is not in the plan
    /// or is planned later, a change that requires itself, a change declared twice without a
    /// tag between, a line that is not a valid change, tag or pragma, a missing `%project`.
    ///
    /// ## Why is this bad
    /// Every sqitch command parses the whole plan first: `sqitch deploy` fails with
    /// "Dependency error detected" or "Syntax error in sqitch.plan" and deploys nothing.
    ///
    /// ## Example
    /// ```text
    /// payments [pricing] 2025-01-27T19:00:00Z Ann <ann@example.com> # pricing is planned later
    /// pricing 2025-01-28T10:00:00Z Ann <ann@example.com>
    /// ```
    ///
    /// ## How to fix
    /// Move the change below the changes it requires, correct the dependency's name, or add the
    /// missing change.
    pub static RULE = ("MC046", "plan-error", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    runner_issue::report(
        set,
        &RULE,
        "sqitch refuses the plan here",
        "order the plan so every change comes after what it requires, and fix the line",
        out,
    );
}
