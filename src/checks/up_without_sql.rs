use super::{Finding, runner_issue};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a tern migration whose forward part (before `---- create above / drop below
    /// ----`) has no SQL: only blank lines and `--` comments.
    ///
    /// ## Why is this bad
    /// tern refuses to load the directory ("no sql in forward migration step";
    /// jackc/tern `migrate/migrate.go` `LoadMigrations`), so no migration runs.
    ///
    /// ## Example
    /// ```sql
    /// -- add the index later
    /// ---- create above / drop below ----
    /// DROP INDEX i;
    /// ```
    ///
    /// ## How to fix
    /// Write the forward SQL above the marker, or delete the migration if it was never applied.
    pub static RULE = ("MC047", "up-without-sql", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    runner_issue::report(
        set,
        &RULE,
        "no forward SQL",
        "write the forward SQL above `---- create above / drop below ----`",
        out,
    );
}
