use super::{Finding, runner_issue};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a numbered migration set whose runner needs the numbers 1, 2, 3, … with none
    /// missing, when a number is missing or zero. jackc/tern refuses to load such a directory
    /// ("Missing migration 3"; migrate/migrate.go `FindMigrations`). A repeated number is
    /// `duplicate-version`.
    ///
    /// ## Why is this bad
    /// The runner stops before migrating anything: no migration of the directory runs until the
    /// numbering is repaired.
    ///
    /// ## Example
    /// ```text
    /// 001_create_users.sql
    /// 002_add_email.sql
    /// 004_add_index.sql      -- tern: "Missing migration 3"
    /// ```
    ///
    /// ## How to fix
    /// Renumber the migrations added last so the sequence is 1…n again (`migproof renumber`),
    /// or restore the missing file.
    pub static RULE = ("MC040", "sequence-gap", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    runner_issue::report(
        set,
        &RULE,
        "breaks the 1…n sequence",
        "number the migrations 1, 2, 3, … with no gap and no repeat",
        out,
    );
}
