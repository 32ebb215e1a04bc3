//! The syntax verdict: PostgreSQL's own parser (libpg_query, see [`super::pg`]).
//!
//! A script is parsed whole, as the server parses a query string. When PostgreSQL rejects it,
//! the error is placed at the byte PostgreSQL's cursor names (or, for "at end of input", on the
//! statement that is cut short — never past the end of the script), and parsing resumes after
//! that statement, so every broken statement gets one finding.
//!
//! squawk-syntax, the hand-written grammar used before, agreed with libpg_query on all but a few
//! statements of the corpus but accepted some that the server rejects (a qualified column in
//! `ON CONFLICT (s."col")`); `examples/parser_compare.rs` measures both. PL/pgSQL bodies are
//! strings to the grammar and are not validated here; the round-trip does that.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// One place the grammar rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Range<usize>,
    pub message: String,
}

/// At most this many broken statements are found by parsing the rest of the script (each such
/// parse costs the script's length); after them statements are parsed one by one.
pub const MAX_ERRORS_PER_SCRIPT: usize = 100;

/// Parses `text[span]` as one script, with the byte ranges in `blank` (psql meta-commands)
/// replaced by spaces, and returns what PostgreSQL's grammar rejects: one error per broken
/// statement. `statements` are the script's statement spans (from [`super::lexer::scan`]); all
/// spans are into `text`.
pub fn syntax_errors(
    text: &str,
    span: Range<usize>,
    statements: &[Range<usize>],
    blank: &[Range<usize>],
) -> Vec<SyntaxError> {
    let span = span.start.min(text.len())..span.end.min(text.len());
    let mut sql = text[span.clone()].to_string();
    if blank.iter().any(|r| r.start < span.end && r.end > span.start) {
        let mut bytes = std::mem::take(&mut sql).into_bytes();
        for r in blank {
            let (from, to) = (
                r.start.max(span.start) - span.start,
                r.end.min(span.end).saturating_sub(span.start),
            );
            for b in bytes.iter_mut().take(to).skip(from) {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
        }
        sql = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    }
    // A byte-order mark is reported by its own rule (MC013), not again as a syntax error.
    if sql.starts_with('\u{feff}') {
        sql.replace_range(..3, "   ");
    }
    let base = span.start;
    let mut errors = Vec::new();
    let mut from = 0; // into `sql`
    while from < sql.len() && errors.len() < MAX_ERRORS_PER_SCRIPT {
        let Err(e) = super::pg::parse(&sql[from..]) else { break };
        let at = e.at.map(|a| base + from + a);
        let start = base + from;
        let statement = match at {
            Some(a) => statements
                .iter()
                .position(|s| s.start <= a && a < s.end)
                .or_else(|| statements.iter().rposition(|s| s.start >= start && s.start < a)),
            None => statements.iter().position(|s| s.start >= start),
        };
        let error_span = match (at, statement) {
            // Inside the statement: the exact byte (widened to its word by the check).
            (Some(a), Some(i)) if a < statements[i].end => a..a,
            // "at end of input" (or past the statement): the statement that is cut short.
            (_, Some(i)) => statements[i].clone(),
            (Some(a), None) => a.min(span.end)..a.min(span.end),
            (None, None) => start..start,
        };
        errors.push(SyntaxError {
            span: error_span,
            message: e.message,
        });
        match statement {
            Some(i) if statements[i].end > start => from = statements[i].end - base,
            _ => break,
        }
    }
    // Past the cap each rest-of-script parse would cost as much as the script again: the
    // remaining statements are parsed one by one instead (linear), so the report can still say
    // how many more are broken (`limits::cap_per_file` folds them into one finding).
    if errors.len() >= MAX_ERRORS_PER_SCRIPT {
        let rest = base + from;
        for s in statements.iter().filter(|s| s.start >= rest && s.end <= span.end) {
            if let Err(e) = super::pg::parse(&sql[s.start - base..s.end - base]) {
                let at = e.at.map(|a| (s.start + a).min(s.end)).unwrap_or(s.start);
                errors.push(SyntaxError {
                    span: at..at,
                    message: e.message,
                });
            }
        }
    }
    errors
}

/// Each statement of `sql` (already masked to one script) classified for the lock-safety rules
/// ([`super::ddl`]), from squawk-syntax's tree (it recovers past errors, so a script with one
/// broken statement still has the others classified).
pub fn classify(sql: &str, offset: usize) -> Vec<super::ddl::Stmt> {
    super::ddl::classify(&squawk_syntax::SourceFile::parse(sql).syntax_node(), offset)
}

/// Parses `sql` (already masked to one script) with sqlparser's MySQL or SQLite dialect and
/// returns its first error. sqlparser stops at the first error and reports a line and column,
/// which are turned back into a byte offset of `sql` (the masked text has the file's layout).
pub fn dialect_errors(sql: &str, grammar: super::Grammar) -> Vec<SyntaxError> {
    use sqlparser::dialect::{Dialect, MySqlDialect, SQLiteDialect};
    let unsupported;
    let sql = if grammar == super::Grammar::MySql {
        unsupported = without_unsupported_mysql(sql);
        unsupported.as_str()
    } else {
        sql
    };
    let dialect: &dyn Dialect = match grammar {
        super::Grammar::Sqlite => &SQLiteDialect {},
        _ => &MySqlDialect {},
    };
    let Err(e) = sqlparser::parser::Parser::parse_sql(dialect, sql) else {
        return Vec::new();
    };
    let message = e.to_string();
    static AT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*at Line: (\d+), Column: (\d+)").unwrap());
    let (offset, message) = match AT.captures(&message) {
        Some(c) => {
            let line: usize = c[1].parse().unwrap_or(1);
            let col: usize = c[2].parse().unwrap_or(1);
            (offset_of(sql, line, col), AT.replace(&message, "").into_owned())
        }
        None => (sql.len() - sql.trim_start().len(), message),
    };
    let message = message
        .trim_start_matches("sql parser error: ")
        .trim_start_matches("sql tokenizer error: ")
        .to_string();
    vec![SyntaxError {
        span: offset..offset,
        message,
    }]
}

/// `sql` with the MySQL constructs that MySQL accepts but sqlparser's MySQL dialect does not
/// blanked out (same length, so offsets hold): the `BINARY` attribute of a character column
/// (`VARCHAR(255) BINARY`, `TEXT BINARY`: a binary collation, MySQL 8.0 "String Data Type
/// Syntax"). sqlparser's verdict is a second opinion here, not MySQL's own.
fn without_unsupported_mysql(sql: &str) -> String {
    static BINARY_ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:(?:national\s+)?(?:var)?char(?:acter)?(?:\s+varying)?\s*\(\s*\d+\s*\)|(?:tiny|medium|long)?text|enum\s*\([^)]*\)|set\s*\([^)]*\))\s+(binary)\b").unwrap()
    });
    let mut out = sql.to_string();
    for c in BINARY_ATTRIBUTE.captures_iter(sql) {
        let m = c.get(1).unwrap();
        out.replace_range(m.range(), &" ".repeat(m.len()));
    }
    out
}

/// The byte offset of 1-based `line` and `col` (in characters) in `text`, clamped to it.
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let rest = &text[start..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    rest[..line_end]
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(start + line_end, |(i, _)| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(sql: &str) -> Vec<SyntaxError> {
        let scan = super::super::lexer::scan(sql, 0..sql.len());
        syntax_errors(sql, 0..sql.len(), &scan.statements, &scan.meta_commands)
    }

    #[test]
    fn accepts_what_postgres_accepts() {
        for sql in [
            "DO $$ BEGIN RAISE NOTICE 'x'; END $$;",
            "DROP INDEX CONCURRENTLY IF EXISTS idx_a;",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reader;",
            "GRANT admin TO alice;",
            "COMMENT ON FUNCTION f(int) IS 'x';",
            "CREATE EXTENSION IF NOT EXISTS vector; CREATE TABLE e (v vector(1024));",
            "SELECT 1;\n\\set ON_ERROR_STOP on\nSELECT 2;",
        ] {
            assert_eq!(errors(sql), vec![], "{sql}");
        }
    }

    #[test]
    fn one_error_per_broken_statement_at_the_token() {
        let sql = "ALTER TABLE t DELETE COLUMN x;\nSELECT 1;\nDROP INDEX i ON t;\nSELECT 2;";
        let found = errors(sql);
        let at: Vec<&str> = found.iter().map(|e| &sql[e.span.start..]).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(at[0].starts_with("DELETE COLUMN"));
        assert!(at[1].starts_with("ON t;"));
        assert_eq!(found[0].message, "syntax error at or near \"DELETE\"");
    }

    #[test]
    fn cut_short_at_the_end_is_the_statement_not_past_it() {
        let text = "x = `DROP TRIGGER x`; y";
        let span = 5..19;
        let scan = super::super::lexer::scan(text, span.clone());
        let found = syntax_errors(text, span, &scan.statements, &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].span.clone()], "DROP TRIGGER x");
        assert_eq!(found[0].message, "syntax error at end of input");
    }

    #[test]
    fn mysql_binary_attribute_is_mysql() {
        let sql = "CREATE TABLE t (a VARCHAR(255) BINARY NOT NULL, b text binary, c INT);";
        assert_eq!(dialect_errors(sql, super::super::Grammar::MySql), vec![]);
        assert_eq!(
            dialect_errors("CREATE TABLE t (a VARCHAR(255) BINARY", super::super::Grammar::MySql).len(),
            1
        );
    }

    #[test]
    fn qualified_conflict_target() {
        let sql = "INSERT INTO t (a) VALUES (1) ON CONFLICT (s.\"a\") DO NOTHING;";
        assert_eq!(errors(sql).len(), 1);
    }
}
