use super::{Finding, Location};
use crate::model::{MigrationSet, SetIssue};

declare_rule! {
    /// ## What it does
    /// Reports section markers of single-file formats (goose, dbmate, sql-migrate) that the
    /// runner rejects or misreads: a second up or down marker, a down before the up, SQL before
    /// the first section, `StatementBegin` without `StatementEnd` (or the reverse, or nested),
    /// and markers the runner does not know (`-- +goose Sideways`).
    ///
    /// ## Why is this bad
    /// The runner stops with a parse error at deploy time, or (for a second `Up`) silently runs
    /// something other than what the author meant. An unclosed `StatementBegin` swallows the
    /// rest of the section into one statement.
    ///
    /// ## Example
    /// ```sql
    /// -- +goose Up
    /// -- +goose StatementBegin
    /// CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;
    /// -- +goose Down
    /// DROP FUNCTION f();
    /// ```
    ///
    /// ## How to fix
    /// Close every `StatementBegin` with `StatementEnd` in the same section, keep one up and one
    /// down marker in that order, and spell markers as the runner documents them.
    pub static RULE = ("MC008", "bad-section-marker", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for issue in &set.issues {
        let SetIssue::BadMarker {
            file,
            span,
            message,
            doubtful,
        } = issue
        else {
            continue;
        };
        let (message, severity) = if *doubtful {
            (message.clone(), super::Severity::Warning)
        } else {
            (
                format!("{message} ({} refuses or misreads the file)", set.format),
                RULE.severity,
            )
        };
        out.push(
            Finding::new(&RULE, Location::in_file(set, *file, span.clone()), message)
                .severity(severity)
                .label("marker problem")
                .help("fix the markers so each section is opened once and every StatementBegin is closed"),
        );
    }
}
