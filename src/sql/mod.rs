//! SQL text: statement splitting with byte spans, psql meta-commands, and the syntax verdict.
//!
//! Splitting and meta-command detection use a small lexer ([`lexer`]) that knows PostgreSQL's
//! quoting rules; the syntax verdict comes from squawk-syntax, an exact PostgreSQL grammar
//! ([`parse`]). All spans are byte ranges into the whole file, never into a copy.

pub mod ddl;
pub mod lexer;
pub mod parse;

use std::ops::Range;

pub use parse::SyntaxError;

/// What the SQL of one script contains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedSql {
    /// Each statement's span, from its first token to its `;` (or the script's end).
    pub statements: Vec<Range<usize>>,
    /// psql meta-commands (`\i file`), from the backslash to the end of the line.
    pub meta_commands: Vec<Range<usize>>,
    /// What PostgreSQL's grammar rejects.
    pub syntax_errors: Vec<SyntaxError>,
    /// What another database's grammar rejects, for scripts written for MySQL or SQLite
    /// (checked with sqlparser; their `syntax_errors` stay empty).
    pub dialect_errors: Vec<SyntaxError>,
    /// Each PostgreSQL statement classified for the lock-safety rules (from the same parse as
    /// `syntax_errors`; empty for other grammars).
    pub ddl: Vec<ddl::Stmt>,
}

/// The grammar a script is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grammar {
    /// PostgreSQL (and CockroachDB, which speaks its dialect): the exact grammar.
    Postgres,
    MySql,
    Sqlite,
}

impl Grammar {
    /// The grammar of a migration written for `dialect` (a database name as pop spells it);
    /// `None` means PostgreSQL.
    pub fn of_dialect(dialect: Option<&str>) -> Grammar {
        match dialect {
            Some("mysql" | "mariadb") => Grammar::MySql,
            Some("sqlite3" | "sqlite") => Grammar::Sqlite,
            _ => Grammar::Postgres,
        }
    }

    /// The database's name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Grammar::Postgres => "PostgreSQL",
            Grammar::MySql => "MySQL",
            Grammar::Sqlite => "SQLite",
        }
    }
}

/// Analyses every span of a script and merges the results, each span on its own.
pub fn analyze_spans<'a>(text: &str, spans: impl Iterator<Item = &'a Range<usize>>, grammar: Grammar) -> ParsedSql {
    let mut out = ParsedSql::default();
    for span in spans {
        let one = analyze_as(text, span.clone(), grammar);
        out.statements.extend(one.statements);
        out.meta_commands.extend(one.meta_commands);
        out.syntax_errors.extend(one.syntax_errors);
        out.dialect_errors.extend(one.dialect_errors);
        out.ddl.extend(one.ddl);
    }
    out
}

/// Analyses the part `span` of `text` as one script in `grammar`.
pub fn analyze_as(text: &str, span: Range<usize>, grammar: Grammar) -> ParsedSql {
    if grammar == Grammar::Postgres {
        return analyze(text, span);
    }
    let scan = lexer::scan(text, span.clone());
    let masked = lexer::mask(text, span, &[]);
    let dialect_errors = if scan.statements.is_empty() {
        Vec::new()
    } else {
        parse::dialect_errors(&masked, grammar)
    };
    ParsedSql {
        statements: scan.statements,
        meta_commands: Vec::new(),
        syntax_errors: Vec::new(),
        dialect_errors,
        ddl: Vec::new(),
    }
}

/// Analyses the part `span` of `text` as one script.
///
/// psql meta-commands are blanked out before parsing (so they are not also syntax errors);
/// whether they are legal is for the checks to decide.
pub fn analyze(text: &str, span: Range<usize>) -> ParsedSql {
    let scan = lexer::scan(text, span.clone());
    let mut ddl = Vec::new();
    let syntax_errors = if let Some(at) = scan.too_deep {
        vec![SyntaxError {
            span: at..at + 1,
            message: format!(
                "brackets nest deeper than {} levels; PostgreSQL stops with \"stack depth limit exceeded\"",
                lexer::MAX_NESTING
            ),
        }]
    } else if scan.statements.is_empty() {
        Vec::new()
    } else {
        let (errors, statements) = parse::parse(&lexer::mask(text, span, &scan.meta_commands));
        ddl = statements;
        errors
    };
    ParsedSql {
        statements: scan.statements,
        meta_commands: scan.meta_commands,
        syntax_errors,
        dialect_errors: Vec::new(),
        ddl,
    }
}
