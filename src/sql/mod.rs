//! SQL text: statement splitting with byte spans, psql meta-commands, and the syntax verdict.
//!
//! Splitting and meta-command detection use a small lexer ([`lexer`]) that knows PostgreSQL's
//! quoting rules; the syntax verdict comes from PostgreSQL's own parser, libpg_query ([`pg`],
//! [`parse`]). All spans are byte ranges into the whole file, never into a copy.

pub mod ddl;
pub mod lexer;
pub mod parse;
pub mod pg;
pub mod words;

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
    /// Each PostgreSQL statement of a migration classified for the lock-safety rules, filled by
    /// [`classify`] after the analysis (empty for other grammars, for files that are not
    /// migrations, and when every lock rule is off).
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
        parse::syntax_errors(text, span, &scan.statements, &scan.meta_commands)
    };
    ParsedSql {
        statements: scan.statements,
        meta_commands: scan.meta_commands,
        syntax_errors,
        dialect_errors: Vec::new(),
        ddl: Vec::new(),
    }
}

/// Each statement of a PostgreSQL script (the parts `spans` of `text`, already analysed into
/// `parsed`) classified for the lock rules, from squawk-syntax's tree (the syntax verdict is
/// PostgreSQL's own parser's).
///
/// Only statements that can be more than [`ddl::Kind::Other`] ([`words::may_matter`]) and that
/// PostgreSQL's grammar accepts (a rejected statement is MC201's, and its tree would be a
/// guess) are read; the others come back as `Other`, so a script of `INSERT`s and function
/// bodies costs a look at its first words. Statements whose rules need only names
/// ([`words::shallow`]) are read from their words, and so is a plain `CREATE TABLE` of a table
/// for which `details` says no (no later statement can read its columns or constraints). The
/// rest reach the tree parser, one statement at a time.
pub fn classify(
    text: &str,
    spans: &[Range<usize>],
    parsed: &ParsedSql,
    details: &dyn Fn(&str) -> bool,
) -> Vec<ddl::Stmt> {
    let errors = error_starts(parsed);
    let mut out = Vec::new();
    for (_, statements) in parts(spans, parsed) {
        for s in statements {
            match take(text, &errors, &parsed.meta_commands, &s) {
                Take::Table(name) if !details(&name) => out.push(ddl::Stmt {
                    span: s,
                    kind: ddl::Kind::CreateTable(Box::new(ddl::CreateTable {
                        table: name,
                        ..ddl::CreateTable::default()
                    })),
                }),
                Take::Other => out.push(ddl::Stmt::other(s)),
                Take::Known(stmt) => out.push(stmt),
                Take::Table(_) => match text.get(s.clone()).and_then(|t| words::create_table(t, s.start)) {
                    Some(stmt) => out.push(stmt),
                    None => out.extend(parse_one(text, &s, &parsed.meta_commands)),
                },
                Take::Parse => out.extend(parse_one(text, &s, &parsed.meta_commands)),
            }
        }
    }
    out.sort_by_key(|s| s.span.start);
    out
}

/// One statement through the tree parser, alone (its psql meta-commands blanked), with spans
/// in the file.
fn parse_one(text: &str, s: &Range<usize>, meta: &[Range<usize>]) -> Vec<ddl::Stmt> {
    let sql = &text[s.clone()];
    let inner: Vec<Range<usize>> = meta
        .iter()
        .filter(|r| within(r, s))
        .map(|r| r.start - s.start..r.end - s.start)
        .collect();
    if inner.is_empty() {
        parse::classify(sql, s.start)
    } else {
        parse::classify(&lexer::mask(sql, 0..sql.len(), &inner), s.start)
    }
}

/// Adds to `out` the names mentioned by the `ALTER TABLE` statements of a script: the only
/// statements whose rules read a table's columns and constraints (its partitioning is read
/// elsewhere, but a `CREATE TABLE` that mentions partitions is always parsed). A table none
/// of them names is never read in detail.
pub fn mentioned_names(
    text: &str,
    spans: &[Range<usize>],
    parsed: &ParsedSql,
    out: &mut std::collections::HashSet<String>,
) {
    let errors = error_starts(parsed);
    for (_, statements) in parts(spans, parsed) {
        for s in &statements {
            if let Some(t) = text.get(s.clone())
                && words::is_alter_table(t)
                && !rejected(&errors, s)
            {
                for name in words::mentioned_names(t) {
                    if !out.contains(&*name) {
                        out.insert(name.into_owned());
                    }
                }
            }
        }
    }
}

/// What [`classify`] does with one statement.
enum Take {
    Other,
    /// Read from the statement's words ([`words::shallow`]).
    Known(ddl::Stmt),
    /// A plain `CREATE TABLE` of this table.
    Table(String),
    Parse,
}

/// `errors`: where the script's syntax errors start, sorted (a bisection per statement: a file
/// can hold tens of thousands of broken statements). `meta`: the script's psql meta-commands
/// (a statement that holds one is parsed with it blanked).
fn take(text: &str, errors: &[usize], meta: &[Range<usize>], s: &Range<usize>) -> Take {
    if rejected(errors, s) {
        return Take::Other;
    }
    match text.get(s.clone()) {
        Some(t) if words::may_matter(t) => match meta.iter().any(|r| within(r, s)) {
            true => Take::Parse,
            false => match words::shallow(t, s.start) {
                Some(stmt) => Take::Known(stmt),
                None => words::created_table(t).map_or(Take::Parse, Take::Table),
            },
        },
        _ => Take::Other,
    }
}

/// Whether a syntax error lies inside the statement `s` (or right at its end): the grammar
/// rejects it. `errors` as for [`take`].
fn rejected(errors: &[usize], s: &Range<usize>) -> bool {
    let first = errors.partition_point(|&at| at < s.start);
    errors.get(first).is_some_and(|&at| at <= s.end)
}

fn error_starts(parsed: &ParsedSql) -> Vec<usize> {
    let mut errors: Vec<usize> = parsed.syntax_errors.iter().map(|e| e.span.start).collect();
    errors.sort_unstable();
    errors
}

fn within(r: &Range<usize>, span: &Range<usize>) -> bool {
    r.start >= span.start && r.end <= span.end
}

/// Each part of a script with its statements.
fn parts(spans: &[Range<usize>], parsed: &ParsedSql) -> Vec<(Range<usize>, Vec<Range<usize>>)> {
    spans
        .iter()
        .map(|span| {
            let statements = parsed.statements.iter().filter(|r| within(r, span)).cloned().collect();
            (span.clone(), statements)
        })
        .collect()
}
