use super::{Finding, Location, Severity};
use crate::model::{DownHint, MigrationSet};

declare_rule! {
    /// ## What it does
    /// Reports an up migration that has no down, in formats that pair them (golang-migrate,
    /// sqlx reversible migrations, dbmate and sql-migrate sections). sqlx's simple
    /// `{version}_{desc}.sql` migrations are irreversible by design and never reported.
    ///
    /// Where the format makes the down optional it is a warning: a goose file without a
    /// `-- +goose Down` section, a psql-rollback file without a commented rollback section, a
    /// Flyway `V` without its `U` undo (only in directories that use undo migrations at all).
    /// Prisma and refinery have no downs and are never reported.
    ///
    /// ## Why is this bad
    /// Without a down the migration cannot be rolled back, and `migrate down` stops there with
    /// an error, in the middle of an incident.
    ///
    /// ## Example
    /// ```text
    /// 000012_add_orders.up.sql
    /// (no 000012_add_orders.down.sql)
    /// ```
    ///
    /// ## How to fix
    /// Add the down file that reverses the up. If the change cannot be reversed, add a down that
    /// only holds a comment saying so (migproof then reports it as `empty-migration`, a warning).
    pub static RULE = ("MC101", "missing-down", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for m in &set.migrations {
        let (Some(up), None, true) = (&m.up, &m.down, m.needs_down) else {
            continue;
        };
        let severity = if set.rules.down_required {
            RULE.severity
        } else {
            Severity::Warning
        };
        let up_name = set.file(up.file).file_name();
        let help = match set.rules.down_hint {
            DownHint::Section(marker) => format!("add a `{marker}` section that reverses the up"),
            DownHint::RollbackComment => {
                "add a commented `-- Rollback` section at the bottom with the statements that reverse it".to_string()
            }
            DownHint::FlywayUndo => format!("add `U{}__{}.sql` that undoes it", m.version, m.name),
            DownHint::PairFile => format!(
                "add `{}` that reverses it (a comment-only down declares it irreversible)",
                up_name.replacen(".up.", ".down.", 1)
            ),
        };
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, up.file, 0..0),
                format!("`{up_name}` has no down migration"),
            )
            .severity(severity)
            .label("no down for this up")
            .help(help),
        );
    }
}
