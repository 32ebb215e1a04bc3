use super::{Finding, runner_issue};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a drizzle journal entry that the migrator can skip or run twice: its `when` is
    /// not greater than the `when` of an entry before it, or its `tag` repeats an earlier one.
    ///
    /// ## Why is this bad
    /// drizzle's migrator reads the newest `created_at` it recorded and runs only the entries
    /// whose `when` is greater (drizzle-orm `pg-core/dialect.ts` `migrate`). An entry whose
    /// `when` is not greater than one already applied is skipped on every existing database,
    /// silently; a repeated tag runs the same file twice.
    ///
    /// ## Example
    /// ```json
    /// { "idx": 6, "when": 1778304060000, "tag": "0006_admin_tokens" },
    /// { "idx": 7, "when": 1746144000000, "tag": "0007_image_reactions" }
    /// ```
    ///
    /// ## How to fix
    /// Give the entry a `when` greater than every entry before it (`Date.now()` when it is
    /// written), and a tag of its own.
    pub static RULE = ("MC043", "journal-order", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    runner_issue::report(
        set,
        &RULE,
        "out of order",
        "give every entry a `when` greater than the entries before it, and its own tag",
        out,
    );
}
