use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports an up or down migration that is empty or holds only comments.
    ///
    /// ## Why is this bad
    /// An empty up does nothing, which is rarely what was meant. An empty down silently
    /// declares the migration irreversible: rolling back "succeeds" and leaves the schema as it
    /// was, so the next up fails or, worse, succeeds on top of leftovers.
    ///
    /// ## Example
    /// ```sql
    /// -- 000014_backfill.down.sql
    /// -- nothing to do
    /// ```
    ///
    /// ## How to fix
    /// Write the statements that reverse the up. If the migration truly cannot be reversed,
    /// keep the comment that says why and accept this warning for that file.
    pub static RULE = ("MC104", "empty-migration", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for m in &set.migrations {
        for (script, direction) in [(&m.up, "up"), (&m.down, "down")] {
            let Some(script) = script else { continue };
            let file = set.file(script.file);
            let empty = script
                .sql
                .as_ref()
                .is_some_and(|sql| sql.statements.is_empty() && sql.meta_commands.is_empty());
            // Formats where empty scripts are normal, and SQL that exists but could not be
            // analysed (an interpolated template literal), are not "empty".
            let unanalysed = set.unanalysed.iter().any(|u| u.file == script.file);
            // An up the runner refuses outright is reported as an error by `up-without-sql`.
            let refused = direction == "up"
                && set.issues.iter().any(|i| {
                    matches!(i, crate::model::SetIssue::Runner { code, file, .. }
                        if *code == super::up_without_sql::RULE.code && *file == script.file)
                });
            if file.text.is_err() || !empty || set.rules.empty_allowed || unanalysed || refused {
                continue;
            }
            let what = if script.span.is_empty() {
                "is empty"
            } else {
                "holds only comments"
            };
            let consequence = if direction == "down" {
                ": the migration cannot be rolled back"
            } else {
                ": it changes nothing"
            };
            out.push(
                Finding::new(
                    &RULE,
                    Location::in_file(set, script.file, script.span.start..script.span.start),
                    format!("the {direction} migration of version {} {what}{consequence}", m.version),
                )
                .label(format!("empty {direction}"))
                .help(if direction == "down" {
                    "write the statements that reverse the up, or keep a comment saying why it is irreversible"
                } else {
                    "add the statements this migration is meant to run, or delete it if it was never released"
                }),
            );
        }
    }
}
