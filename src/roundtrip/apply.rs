//! Applying one script the way its runner does ([`crate::model::Apply`]), and turning a server
//! error into something a finding can point at (a byte offset in the file).

use std::ops::Range;
use std::time::{Duration, Instant};

use postgres::Client;
use postgres::error::{DbError, ErrorPosition, SqlState};

use crate::model::{Apply, Script};

/// The server rejected a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// SQLSTATE (`42P07`).
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// Where in the file: the server's error position, else the failing statement, else the script.
    pub span: Range<usize>,
    /// The position came from the server (not a fallback).
    pub exact: bool,
    /// The span is the failing statement (found by replaying the script).
    pub located: bool,
}

impl Rejection {
    /// `ERROR 42P07: relation "x" already exists`
    pub fn headline(&self) -> String {
        format!("{} ({})", self.message, self.code)
    }

    /// The connection broke (the server crashed, was shut down, or the network went): SQLSTATE
    /// class 08, or a server shutting down (57P01–57P03).
    pub fn is_connection_lost(&self) -> bool {
        self.code.starts_with("08") || ["57P01", "57P02", "57P03"].contains(&self.code.as_str())
    }

    pub fn is_timeout(&self) -> bool {
        self.code == SqlState::QUERY_CANCELED.code() || self.code == SqlState::LOCK_NOT_AVAILABLE.code()
    }
}

/// Runs `script` (a part of `text`) on `client`. Returns how long it took.
pub fn apply(client: &mut Client, text: &str, script: &Script) -> Result<Duration, Rejection> {
    let started = Instant::now();
    let span = script.span.start.min(text.len())..script.span.end.min(text.len());
    let body = &text[span.clone()];
    match script.apply {
        Apply::OneQuery => {
            if let Err(e) = client.batch_execute(body) {
                let mut r = reject(&e, text, span.clone(), true);
                locate(client, text, span, &mut r);
                return Err(r);
            }
        }
        Apply::Transaction => {
            client
                .batch_execute("BEGIN")
                .map_err(|e| reject(&e, text, span.clone(), false))?;
            let result = client
                .batch_execute(body)
                .map_err(|e| reject(&e, text, span.clone(), true))
                .and_then(|_| {
                    client
                        .batch_execute("COMMIT")
                        .map_err(|e| reject(&e, text, span.clone(), false))
                });
            if let Err(mut r) = result {
                let _ = client.batch_execute("ROLLBACK");
                locate(client, text, span, &mut r);
                return Err(r);
            }
        }
        Apply::Statements { transaction } => {
            let statements = match &script.sql {
                Some(sql) => sql.statements.clone(),
                None => crate::sql::lexer::scan(text, span.clone()).statements,
            };
            if transaction {
                client
                    .batch_execute("BEGIN")
                    .map_err(|e| reject(&e, text, span.clone(), false))?;
            }
            let mut result = Ok(());
            for statement in statements {
                if let Err(e) = client.batch_execute(&text[statement.clone()]) {
                    result = Err(reject(&e, text, statement, true));
                    break;
                }
            }
            if transaction {
                result = finish(client, result, text, &span);
            }
            result?;
        }
    }
    Ok(started.elapsed())
}

/// [`apply`] with a measurement after each statement ([`super::probe`]), sending the script
/// as the runner does: a script in a transaction (the runner's `BEGIN … COMMIT`, or one simple
/// query of several statements, which the server runs as one implicit transaction block) is sent
/// statement by statement inside `BEGIN … COMMIT`, which fails and succeeds exactly where the
/// runner's does; an autocommit statement is measured inside a `BEGIN … COMMIT` of its own and,
/// when it cannot run in a transaction block (`CREATE INDEX CONCURRENTLY`), is sent again on its
/// own (its documented behaviour then stands: only rewrites and invalid indexes are measured). A
/// script that cannot be split reliably, or that controls transactions itself inside a
/// runner's transaction, is sent by [`apply`] unmeasured.
pub fn apply_probed(
    client: &mut Client,
    text: &str,
    script: &Script,
    probe: &mut super::probe::Probe,
) -> Result<Duration, Rejection> {
    use super::probe::{is_transaction_control, not_in_block, statements as split, wrappable};
    let started = Instant::now();
    let span = script.span.start.min(text.len())..script.span.end.min(text.len());
    let Some(statements) = split(script).filter(|s| s.iter().all(|r| r.end <= text.len() && r.start <= r.end)) else {
        return apply(client, text, script);
    };
    let in_transaction = match script.apply {
        Apply::Transaction => true,
        Apply::Statements { transaction } => transaction,
        Apply::OneQuery => statements.len() > 1,
    };
    probe.start(client);
    // The script's own BEGIN without a COMMIT leaves its transaction open: nothing is read after it.
    let mut open_at_end = false;
    if in_transaction {
        if statements.iter().any(|s| is_transaction_control(&text[s.clone()])) {
            return apply(client, text, script);
        }
        client
            .batch_execute("BEGIN")
            .map_err(|e| reject(&e, text, span.clone(), false))?;
        probe.begin_transaction();
        let mut result = Ok(());
        for statement in statements {
            let sql = &text[statement.clone()];
            probe.before(client, sql);
            if let Err(e) = client.batch_execute(sql) {
                result = Err(statement_rejection(&e, text, statement));
                break;
            }
            probe.after(client, statement, sql, true);
        }
        result = finish(client, result, text, &span);
        result?;
    } else {
        // Autocommit, statement by statement; the script's own BEGIN … COMMIT is followed.
        let mut explicit = false;
        for statement in statements {
            let sql = &text[statement.clone()];
            let run = |client: &mut Client| {
                client
                    .batch_execute(sql)
                    .map_err(|e| statement_rejection(&e, text, statement.clone()))
            };
            if is_transaction_control(sql) {
                run(client)?;
                let word = super::probe::first_word(sql);
                if matches!(word.as_str(), "BEGIN" | "START") {
                    explicit = true;
                    probe.begin_transaction();
                } else if matches!(word.as_str(), "COMMIT" | "END" | "ROLLBACK" | "ABORT") {
                    explicit = false;
                }
                open_at_end = explicit;
                continue;
            }
            if explicit {
                probe.before(client, sql);
                run(client)?;
                probe.after(client, statement, sql, true);
                continue;
            }
            if !wrappable(sql) || client.batch_execute("BEGIN").is_err() {
                run(client)?;
                probe.after(client, statement, sql, false);
                continue;
            }
            probe.begin_transaction();
            probe.before(client, sql);
            match client.batch_execute(sql) {
                Ok(()) => {
                    probe.after(client, statement.clone(), sql, true);
                    if let Err(e) = client.batch_execute("COMMIT") {
                        let _ = client.batch_execute("ROLLBACK");
                        return Err(statement_rejection(&e, text, statement));
                    }
                }
                Err(e) => {
                    let _ = client.batch_execute("ROLLBACK");
                    let code = e.code().map_or("", |c| c.code());
                    if !not_in_block(code) {
                        return Err(statement_rejection(&e, text, statement));
                    }
                    // It cannot run in a transaction block: sent on its own, as the runner does.
                    run(client)?;
                    probe.after(client, statement, sql, false);
                }
            }
        }
    }
    if !open_at_end {
        probe.end(client);
    }
    Ok(started.elapsed())
}

/// A rejection of one statement sent on its own: the server's position, else the statement.
fn statement_rejection(error: &postgres::Error, text: &str, statement: Range<usize>) -> Rejection {
    let mut r = reject(error, text, statement.clone(), true);
    if !r.exact && error.as_db_error().is_some() {
        r.span = statement.start..statement.start;
        r.located = true;
    }
    r
}

/// The server gave no position (`already exists` errors): find the statement that fails by
/// replaying the script statement by statement inside a transaction that is rolled back. The
/// script failed as a whole, so the schema is as it was before it. If the replay fails
/// differently (a statement that cannot run in a transaction block), the rejection is kept.
fn locate(client: &mut Client, text: &str, span: Range<usize>, r: &mut Rejection) {
    if r.exact {
        return;
    }
    let statements = crate::sql::lexer::scan(text, span.clone()).statements;
    if let [only] = statements.as_slice() {
        r.span = only.start..only.start;
        r.located = true;
        return;
    }
    if client.batch_execute("BEGIN").is_err() {
        return;
    }
    {
        for statement in statements {
            if let Err(e) = client.batch_execute(&text[statement.clone()]) {
                let again = reject(&e, text, statement.clone(), true);
                if again.code == r.code && again.message == r.message {
                    r.span = again.span;
                    r.exact = again.exact;
                    if !r.exact {
                        r.span = statement.start..statement.start;
                        r.located = true;
                    }
                }
                break;
            }
        }
    }
    let _ = client.batch_execute("ROLLBACK");
}

/// A client error as a [`Rejection`]; `sent` is the part of `text` that was sent as the query
/// (`positioned`: the server's position counts from its start).
/// Ends the transaction a script's statements ran in: `COMMIT` when they all succeeded (a
/// failing commit, such as a deferred constraint, is the script's rejection), else `ROLLBACK`.
fn finish(
    client: &mut Client,
    result: Result<(), Rejection>,
    text: &str,
    span: &Range<usize>,
) -> Result<(), Rejection> {
    let result = result.and_then(|_| {
        client
            .batch_execute("COMMIT")
            .map_err(|e| reject(&e, text, span.clone(), false))
    });
    if result.is_err() {
        let _ = client.batch_execute("ROLLBACK");
    }
    result
}

fn reject(error: &postgres::Error, text: &str, sent: Range<usize>, positioned: bool) -> Rejection {
    let Some(db) = error.as_db_error() else {
        return Rejection {
            code: error.code().map_or("08000", |c| c.code()).to_string(),
            message: format!("the connection failed: {error}"),
            detail: None,
            hint: None,
            span: sent.start..sent.start,
            exact: false,
            located: false,
        };
    };
    let offset = if positioned { position(db) } else { None };
    let (span, exact) = match offset {
        Some(chars) => {
            let start = char_to_byte(&text[sent.clone()], chars) + sent.start;
            (start..word_end(text, start, sent.end), true)
        }
        None => (first_code(text, sent.clone()), false),
    };
    Rejection {
        code: db.code().code().to_string(),
        message: db.message().to_string(),
        detail: db.detail().map(str::to_string),
        hint: db.hint().map(str::to_string),
        span,
        exact,
        located: false,
    }
}

/// The server's 1-based character position in the query it was sent, as 0-based characters.
fn position(db: &DbError) -> Option<usize> {
    match db.position()? {
        ErrorPosition::Original(p) => (*p as usize).checked_sub(1),
        ErrorPosition::Internal { .. } => None,
    }
}

/// Byte offset of character `chars` of `s` (clamped to its end).
pub fn char_to_byte(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i)
}

/// The end of the word starting at `start` (so the underline covers a token, not one byte).
fn word_end(text: &str, start: usize, limit: usize) -> usize {
    let rest = &text[start..limit.max(start)];
    let len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"' || c == '.'))
        .unwrap_or(rest.len());
    start + len.max(rest.chars().next().map_or(0, char::len_utf8))
}

/// The script's first statement start (skipping comments and blanks), as an empty span.
fn first_code(text: &str, sent: Range<usize>) -> Range<usize> {
    let start = crate::sql::lexer::scan(text, sent.clone())
        .statements
        .first()
        .map_or(sent.start, |s| s.start);
    start..start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_positions_become_byte_offsets() {
        assert_eq!(char_to_byte("ab", 0), 0);
        assert_eq!(char_to_byte("éa", 1), 2);
        assert_eq!(char_to_byte("ab", 9), 2);
    }

    #[test]
    fn underline_covers_a_word() {
        let t = "CREATE TABLE x (id serail);";
        assert_eq!(&t[19..word_end(t, 19, t.len())], "serail");
    }
}
