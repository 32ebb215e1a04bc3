use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a psql meta-command (`\i`, `\set`, `\connect`, `\copy`, …) in a migration that the
    /// format's runner sends to the server itself. Formats whose files are run by psql allow
    /// them.
    ///
    /// ## Why is this bad
    /// Only psql understands backslash commands. golang-migrate, sqlx and the like send the text
    /// to the server, which answers with a syntax error at the backslash.
    ///
    /// ## Example
    /// ```sql
    /// \set ON_ERROR_STOP on
    /// CREATE TABLE t (id int);
    /// ```
    ///
    /// ## How to fix
    /// Remove the meta-command; write its effect in SQL (`\i` → paste the file, `\copy` →
    /// `COPY … FROM STDIN` is not possible either: load data in application code).
    pub static RULE = ("MC202", "psql-meta-command", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    if set.rules.psql_meta_allowed {
        return;
    }
    for script in set.scripts() {
        let Some(sql) = &script.sql else { continue };
        let text = set.file(script.file).text();
        for span in &sql.meta_commands {
            let command = text[span.clone()].split_whitespace().next().unwrap_or("\\");
            out.push(
                Finding::new(
                    &RULE,
                    Location::in_file(set, script.file, span.clone()),
                    format!(
                        "`{command}` is a psql meta-command; {} sends this file to the server, which rejects it",
                        set.format
                    ),
                )
                .label("psql only")
                .help("remove the meta-command and write its effect in plain SQL"),
            );
        }
    }
}
