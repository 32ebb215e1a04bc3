//! The syntax verdict: PostgreSQL's grammar as implemented by squawk-syntax.
//!
//! squawk-syntax is a hand-written parser that follows PostgreSQL's grammar; on 4,946 real
//! migration files it agreed with libpg_query (PostgreSQL's own parser) on every file. It
//! recovers after an error, so one file can carry several findings, each with a byte range.
//! PL/pgSQL bodies are not validated here (no offline parser does); the round-trip does that.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// One place the grammar rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Range<usize>,
    pub message: String,
}

/// Parses `sql` (already masked to one script) and returns what the grammar rejects.
pub fn syntax_errors(sql: &str) -> Vec<SyntaxError> {
    parse(sql).0
}

/// Parses `sql` (already masked to one script) once: what the grammar rejects, and each
/// statement classified for the lock-safety rules ([`super::ddl`]).
pub fn parse(sql: &str) -> (Vec<SyntaxError>, Vec<super::ddl::Stmt>) {
    let parse = squawk_syntax::SourceFile::parse(sql);
    let statements = super::ddl::classify(&parse.syntax_node());
    let mut errors: Vec<SyntaxError> = parse
        .errors()
        .into_iter()
        .map(|e| {
            let r = e.range();
            SyntaxError {
                span: usize::from(r.start())..usize::from(r.end()),
                message: readable(e.message()),
            }
        })
        .collect();
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup();
    (errors, statements)
}

/// Parses `sql` (already masked to one script) with sqlparser's MySQL or SQLite dialect and
/// returns its first error. sqlparser stops at the first error and reports a line and column,
/// which are turned back into a byte offset of `sql` (the masked text has the file's layout).
pub fn dialect_errors(sql: &str, grammar: super::Grammar) -> Vec<SyntaxError> {
    use sqlparser::dialect::{Dialect, MySqlDialect, SQLiteDialect};
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

/// Parser token names (`EXISTS_KW`, `R_PAREN`) as a user would write them (`EXISTS`, `)`).
fn readable(message: &str) -> String {
    static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b([A-Z][A-Z0-9_]*[A-Z0-9])\b").unwrap());
    TOKEN
        .replace_all(message, |c: &regex::Captures| {
            let t = &c[1];
            let shown = match t {
                "L_PAREN" => "`(`",
                "R_PAREN" => "`)`",
                "L_BRACK" => "`[`",
                "R_BRACK" => "`]`",
                "SEMICOLON" => "`;`",
                "COMMA" => "`,`",
                "DOT" => "`.`",
                "EQ" => "`=`",
                "STAR" => "`*`",
                "IDENT" => "a name",
                "EOF" => "the end of the script",
                _ => match t.strip_suffix("_KW") {
                    Some(kw) => return format!("`{kw}`"),
                    None => t,
                },
            };
            shown.to_string()
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_postgres_accepts() {
        for sql in [
            "DO $$ BEGIN RAISE NOTICE 'x'; END $$;",
            "DROP INDEX CONCURRENTLY IF EXISTS idx_a;",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reader;",
            "GRANT admin TO alice;",
            "COMMENT ON FUNCTION f(int) IS 'x';",
            "CREATE EXTENSION IF NOT EXISTS vector; CREATE TABLE e (v vector(1024));",
        ] {
            assert_eq!(syntax_errors(sql), vec![], "{sql}");
        }
    }

    #[test]
    fn token_names_read_as_sql() {
        assert_eq!(readable("expected EXISTS_KW"), "expected `EXISTS`");
        assert_eq!(readable("expected R_PAREN, found IDENT"), "expected `)`, found a name");
    }

    #[test]
    fn rejects_with_a_span() {
        let sql = "ALTER TABLE t DELETE COLUMN x;";
        let errors = syntax_errors(sql);
        assert!(!errors.is_empty());
        assert!(errors[0].span.end <= sql.len());
    }
}
