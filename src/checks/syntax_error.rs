use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a statement that PostgreSQL's grammar rejects, pointing at the token where the
    /// parser gave up. The verdict is PostgreSQL's own parser (libpg_query: the server's grammar,
    /// compiled in), so a statement the server accepts is never reported, and the message is the
    /// server's. One finding per broken statement; a statement cut short ("at end of input") is
    /// reported on the statement itself. A `.sql` file that the runner skips (see MC003) is
    /// parsed too: it runs the day someone renames it.
    ///
    /// PL/pgSQL bodies (`DO $$ … $$`, `LANGUAGE plpgsql` functions) are strings to the grammar
    /// and are not checked here; `--roundtrip` checks them on a real server.
    ///
    /// ## Why is this bad
    /// The migration fails when it is deployed, and with golang-migrate the database is left
    /// marked dirty until someone repairs it by hand.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users DELETE COLUMN email;   -- DROP COLUMN
    /// ```
    ///
    /// ## How to fix
    /// Correct the statement; run it against a scratch database (or `migproof check --roundtrip`).
    pub static RULE = ("MC201", "syntax-error", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let scripts = set.scripts().map(|s| (s, false));
    for (script, skipped) in scripts.chain(set.skipped.iter().map(|s| (s, true))) {
        let Some(sql) = &script.sql else { continue };
        let text = set.file(script.file).text();
        let mut reported_statement = None;
        for error in &sql.syntax_errors {
            // One finding per statement (the parser already gives one; spans of several
            // literals of one script are parsed apart and cannot share a statement).
            // Statements are in file order and do not overlap: the one that holds the error is
            // one of the last two starting at or before it (found by bisection, not a scan).
            let at = error.span.start;
            let after = sql.statements.partition_point(|s| s.start <= at);
            let statement = (after.saturating_sub(2)..after)
                .find(|&i| at < sql.statements[i].end.max(sql.statements[i].start + 1));
            if statement.is_some() && statement == reported_statement {
                continue;
            }
            reported_statement = statement;
            let span = widen(text, error.span.clone());
            let (message, help) = if skipped {
                (
                    format!(
                        "PostgreSQL's grammar rejects this statement in a file the runner skips today: {}",
                        error.message
                    ),
                    "fix the statement (or delete the file): it fails the day the file is renamed to run",
                )
            } else {
                (
                    format!("PostgreSQL's grammar rejects this statement: {}", error.message),
                    "fix the statement; PostgreSQL will refuse the migration as written",
                )
            };
            out.push(
                Finding::new(&RULE, Location::in_file(set, script.file, span), message)
                    .label(error.message.clone())
                    .help(help),
            );
        }
    }
}

/// An empty error span is widened to the word at that point, so there is something to underline.
fn widen(text: &str, span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    if !span.is_empty() || span.start >= text.len() {
        return span;
    }
    let rest = &text[span.start..];
    let skip = rest.len() - rest.trim_start().len();
    let word = rest[skip..]
        .find(|c: char| c.is_whitespace())
        .unwrap_or(rest.len() - skip);
    if word == 0 {
        span
    } else {
        span.start + skip..span.start + skip + word
    }
}
