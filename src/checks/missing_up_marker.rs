use super::{Finding, Location};
use crate::model::{MigrationSet, SetIssue};

declare_rule! {
    /// ## What it does
    /// Reports a single-file migration that lacks the marker its runner needs to find the up
    /// section: `-- +goose Up` (goose), `-- migrate:up` (dbmate), `-- +migrate Up` (sql-migrate).
    /// The file's SQL is still parse-checked as if it were the up.
    ///
    /// ## Why is this bad
    /// The runner refuses the file (goose, dbmate) or runs nothing from it (sql-migrate), so the
    /// deploy stops or the schema silently misses the change.
    ///
    /// ## Example
    /// ```sql
    /// -- 20240101000000_add_users.sql in a goose directory
    /// CREATE TABLE users (id bigint PRIMARY KEY);
    /// ```
    ///
    /// ## How to fix
    /// Put the marker on the first line (`-- +goose Up`), and the down under its own marker.
    pub static RULE = ("MC007", "missing-up-marker", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for issue in &set.issues {
        let SetIssue::MissingUpMarker { file, marker } = issue else {
            continue;
        };
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, *file, 0..0),
                format!(
                    "`{}` has no `{marker}` line, so {} does not find its up migration",
                    set.file(*file).file_name(),
                    set.format
                ),
            )
            .label("no up section")
            .help(format!("start the file with `{marker}`")),
        );
    }
}
