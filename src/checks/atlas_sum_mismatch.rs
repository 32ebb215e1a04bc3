use super::{Finding, runner_issue};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Verifies an Atlas migration directory's `atlas.sum` the way `atlas migrate validate`
    /// does (ariga/atlas `sql/migrate/dir.go` `NewHashFile`, `HashFile.Sum`, `Validate`): each
    /// file's hash chains the names and contents of every file before it, and the first line
    /// sums them all. Reports the file that was edited, inserted or removed without re-hashing,
    /// and a sum file that does not match itself.
    ///
    /// ## Why is this bad
    /// Atlas refuses to plan, lint or apply the directory ("checksum mismatch"), and an edited
    /// applied migration means databases that ran the old text differ from new ones.
    ///
    /// ## Example
    /// ```text
    /// 20240526144817_migration.sql h1:…   -- the file was changed after `atlas migrate hash`
    /// ```
    ///
    /// ## How to fix
    /// If the edit is intended and the migration was never applied anywhere, run
    /// `atlas migrate hash`; otherwise undo the edit and add a new migration.
    pub static RULE = ("MC044", "atlas-sum-mismatch", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    runner_issue::report(
        set,
        &RULE,
        "does not match atlas.sum",
        "run `atlas migrate hash` if the change is intended and never applied; else undo it",
        out,
    );
}
