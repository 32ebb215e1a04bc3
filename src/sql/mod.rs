//! SQL text: statement splitting with byte spans, psql meta-commands, and the syntax verdict.
//!
//! Splitting and meta-command detection use a small lexer ([`lexer`]) that knows PostgreSQL's
//! quoting rules; the syntax verdict comes from PostgreSQL's own parser, libpg_query ([`pg`],
//! [`parse`]). All spans are byte ranges into the whole file, never into a copy.

pub mod ddl;
pub mod lexer;
pub mod parse;
pub mod pg;

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
    /// A database migproof has no grammar for (CockroachDB, ClickHouse, H2, …): split into
    /// statements, never judged (a note says so).
    Unchecked,
}

impl Grammar {
    /// The grammar of a migration written for `dialect` (a database name as pop spells it, or
    /// as [`crate::discover::project`] names it); `None` means PostgreSQL. CockroachDB has
    /// syntax of its own (`t@idx`, `STORING`, `USING HASH`), so it is not judged by
    /// PostgreSQL's grammar.
    pub fn of_dialect(dialect: Option<&str>) -> Grammar {
        match dialect {
            None | Some("postgres" | "postgresql" | "pg" | "timescale" | "timescaledb") => Grammar::Postgres,
            Some("mysql" | "mariadb") => Grammar::MySql,
            Some("sqlite3" | "sqlite" | "libsql") => Grammar::Sqlite,
            Some(_) => Grammar::Unchecked,
        }
    }

    /// The database's name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Grammar::Postgres => "PostgreSQL",
            Grammar::MySql => "MySQL",
            Grammar::Sqlite => "SQLite",
            Grammar::Unchecked => "an unchecked database",
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
    if grammar == Grammar::Unchecked {
        return ParsedSql {
            statements: scan.statements,
            ..ParsedSql::default()
        };
    }
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
        // The lock-safety rules read statement structure from squawk's syntax tree; the
        // verdict is PostgreSQL's own parser's.
        ddl = parse::classify(&lexer::mask(text, span.clone(), &scan.meta_commands));
        parse::syntax_errors(text, span, &scan.statements, &scan.meta_commands)
    };
    ParsedSql {
        statements: scan.statements,
        meta_commands: scan.meta_commands,
        syntax_errors,
        dialect_errors: Vec::new(),
        ddl,
    }
}
