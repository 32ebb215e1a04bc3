use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a statement that PostgreSQL's grammar rejects, pointing at the token where the
    /// parser gave up. The verdict comes from an exact PostgreSQL grammar (squawk-syntax), so a
    /// statement the server accepts is never reported. One finding per statement: what follows
    /// the first error in a statement is usually noise.
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
    for script in set.scripts() {
        let Some(sql) = &script.sql else { continue };
        let text = set.file(script.file).text();
        let mut reported_statement = None;
        for error in &sql.syntax_errors {
            // One finding per statement: the first error; the rest usually follow from it.
            // Statements are in file order and do not overlap: the first that holds the error
            // is one of the last two starting at or before it (found by bisection, not a scan).
            let at = error.span.start;
            let after = sql.statements.partition_point(|s| s.start <= at);
            let statement = (after.saturating_sub(2)..after).find(|&i| at <= sql.statements[i].end);
            if statement.is_some() && statement == reported_statement {
                continue;
            }
            reported_statement = statement;
            let span = widen(text, error.span.clone());
            let (message, label) = explain(&error.message, &text[span.clone()]);
            out.push(
                Finding::new(
                    &RULE,
                    Location::in_file(set, script.file, span),
                    format!("PostgreSQL's grammar rejects this statement: {message}"),
                )
                .label(label)
                .help("fix the statement; PostgreSQL will refuse the migration as written"),
            );
        }
    }
}

/// The parser's message, reworded where it would mislead: a statement that goes wrong in the
/// middle (`ALTER TABLE t DELETE COLUMN x`) reads to the parser as two statements without `;`.
/// Returns the message and a short label for the underlined token.
fn explain(message: &str, at: &str) -> (String, String) {
    if message.starts_with("Missing semicolon") {
        let word = at.split_whitespace().next().unwrap_or(at);
        return (
            format!(
                "unexpected `{word}`: the words before it end a statement, so either they are incomplete or a `;` is missing"
            ),
            format!("unexpected `{word}`"),
        );
    }
    (message.to_string(), message.to_string())
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
