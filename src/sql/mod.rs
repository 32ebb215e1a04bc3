//! SQL text: statement splitting with byte spans, psql meta-commands, and the syntax verdict.
//!
//! Splitting and meta-command detection use a small lexer ([`lexer`]) that knows PostgreSQL's
//! quoting rules; the syntax verdict comes from squawk-syntax, an exact PostgreSQL grammar
//! ([`parse`]). All spans are byte ranges into the whole file, never into a copy.

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
        parse::syntax_errors(&lexer::mask(text, span, &scan.meta_commands))
    };
    ParsedSql {
        statements: scan.statements,
        meta_commands: scan.meta_commands,
        syntax_errors,
    }
}
