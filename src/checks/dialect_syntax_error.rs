use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a statement that sqlparser's MySQL or SQLite dialect rejects, in a migration
    /// written for that database (pop's `.mysql.` and `.sqlite3.` files). sqlparser stops at
    /// the first error, so there is at most one finding per script.
    ///
    /// ## Why is this bad
    /// The migration probably fails on that database. This is a warning, not an error: unlike
    /// the PostgreSQL verdict, sqlparser is not the database's own grammar and rejects some
    /// statements the database accepts.
    ///
    /// ## Example
    /// ```sql
    /// -- 20240101000000_add_flag.mysql.up.sql
    /// ALTER TABLE identities ADD COLUMN flag BOOL DEFAULT;
    /// ```
    ///
    /// ## How to fix
    /// Correct the statement and run it against the database it is written for.
    pub static RULE = ("MC032", "dialect-syntax-error", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for m in &set.migrations {
        for script in m.up.iter().chain(&m.down) {
            let grammar = crate::sql::Grammar::of_dialect(set.dialect_of(m, script));
            let Some(sql) = &script.sql else { continue };
            for e in &sql.dialect_errors {
                let text = set.file(script.file).text();
                let end = text[e.span.start.min(text.len())..]
                    .find(|c: char| c.is_whitespace())
                    .map_or(text.len(), |i| e.span.start + i);
                out.push(
                    Finding::new(
                        &RULE,
                        Location::in_file(set, script.file, e.span.start..end.max(e.span.start)),
                        format!("{}'s grammar (sqlparser) rejects this: {}", grammar.name(), e.message),
                    )
                    .label("rejected here")
                    .help(format!("fix the statement and try it on {}", grammar.name())),
                );
            }
        }
    }
}
