//! A small PostgreSQL-aware scanner: finds statement boundaries and psql meta-commands.
//!
//! It only needs to know what is code and what is not: `'strings'`, `E'escapes\''`,
//! `"identifiers"`, `-- comments`, nested `/* comments */` and `$tag$ dollar quotes $tag$`.
//! Everything else is left to the real grammar.

use std::ops::Range;

/// What [`scan`] found in a script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Statement spans: first code byte to the terminating `;` included (or the last code byte).
    pub statements: Vec<Range<usize>>,
    /// psql meta-commands: the backslash to the end of its line (newline excluded).
    pub meta_commands: Vec<Range<usize>>,
    /// Where brackets first nest deeper than [`MAX_NESTING`], if they do.
    pub too_deep: Option<usize>,
}

/// Deeper bracket nesting than this is reported instead of parsed: PostgreSQL itself stops
/// with "stack depth limit exceeded" long before, and a recursive parser would overflow.
pub const MAX_NESTING: usize = 10_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    LineComment,
    BlockComment(u32),
    Quoted { escapes: bool },
    Ident,
    Dollar { tag_start: usize, tag_end: usize },
}

/// Scans `text[span]`; all offsets returned are into `text`.
pub fn scan(text: &str, span: Range<usize>) -> Scan {
    let bytes = text.as_bytes();
    let end = span.end.min(bytes.len());
    let mut out = Scan::default();
    let mut state = State::Code;
    // Start and last code byte of the statement being read.
    let mut stmt: Option<(usize, usize)> = None;
    let mut i = span.start.min(end);
    let mut depth = 0usize;

    // Marks bytes [from, to) as part of the current statement.
    fn touch(stmt: &mut Option<(usize, usize)>, from: usize, to: usize) {
        match stmt {
            Some((_, last)) => *last = to,
            None => *stmt = Some((from, to)),
        }
    }

    while i < end {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied().filter(|_| i + 1 < end);
        match state {
            State::Code => match b {
                b'-' if next == Some(b'-') => {
                    state = State::LineComment;
                    i += 2;
                    continue;
                }
                b'/' if next == Some(b'*') => {
                    state = State::BlockComment(1);
                    i += 2;
                    continue;
                }
                b'\'' => {
                    let escapes = i > 0 && matches!(bytes[i - 1], b'e' | b'E') && !ident_before(bytes, i - 1);
                    state = State::Quoted { escapes };
                    touch(&mut stmt, i, i + 1);
                }
                b'"' => {
                    state = State::Ident;
                    touch(&mut stmt, i, i + 1);
                }
                b'$' if !ident_before(bytes, i) => {
                    if let Some(tag_end) = dollar_tag(bytes, i, end) {
                        state = State::Dollar { tag_start: i, tag_end };
                        touch(&mut stmt, i, tag_end);
                        i = tag_end;
                        continue;
                    }
                    touch(&mut stmt, i, i + 1);
                }
                b';' => {
                    touch(&mut stmt, i, i + 1);
                    if let Some((s, e)) = stmt.take() {
                        out.statements.push(s..e);
                    }
                }
                b'\\' => {
                    // psql takes a backslash outside quotes as a meta-command, to end of line.
                    let line_end = memchr_newline(bytes, i, end);
                    out.meta_commands.push(i..line_end);
                    i = line_end;
                    continue;
                }
                b if b.is_ascii_whitespace() => {}
                b'(' | b'[' => {
                    depth += 1;
                    if depth > MAX_NESTING && out.too_deep.is_none() {
                        out.too_deep = Some(i);
                    }
                    touch(&mut stmt, i, i + 1);
                }
                b')' | b']' => {
                    depth = depth.saturating_sub(1);
                    touch(&mut stmt, i, i + 1);
                }
                _ => touch(&mut stmt, i, i + 1),
            },
            State::LineComment => {
                if b == b'\n' {
                    state = State::Code;
                }
            }
            State::BlockComment(depth) => {
                if b == b'*' && next == Some(b'/') {
                    state = if depth == 1 {
                        State::Code
                    } else {
                        State::BlockComment(depth - 1)
                    };
                    i += 2;
                    continue;
                }
                if b == b'/' && next == Some(b'*') {
                    state = State::BlockComment(depth + 1);
                    i += 2;
                    continue;
                }
            }
            State::Quoted { escapes } => {
                touch(&mut stmt, i, i + 1);
                if escapes && b == b'\\' {
                    i += 2;
                    touch(&mut stmt, i.min(end), i.min(end));
                    continue;
                }
                if b == b'\'' {
                    if next == Some(b'\'') {
                        i += 2;
                        touch(&mut stmt, i, i);
                        continue;
                    }
                    state = State::Code;
                }
            }
            State::Ident => {
                touch(&mut stmt, i, i + 1);
                if b == b'"' {
                    state = State::Code;
                }
            }
            State::Dollar { tag_start, tag_end } => {
                let tag = &bytes[tag_start..tag_end];
                if b == b'$' && bytes[i..end].starts_with(tag) {
                    touch(&mut stmt, i, i + tag.len());
                    i += tag.len();
                    state = State::Code;
                    continue;
                }
                touch(&mut stmt, i, i + 1);
            }
        }
        i += 1;
    }
    if let Some((s, e)) = stmt {
        out.statements.push(s..e.min(end));
    }
    out
}

/// A copy of `text` in which everything outside `span`, and every range in `blank`, is
/// replaced by spaces (newlines kept), so byte offsets and line numbers stay the same.
pub fn mask(text: &str, span: Range<usize>, blank: &[Range<usize>]) -> String {
    if span == (0..text.len()) && blank.is_empty() {
        return text.to_string();
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut blank_range = |r: Range<usize>| {
        for b in &mut bytes[r] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    blank_range(0..span.start.min(text.len()));
    blank_range(span.end.min(text.len())..text.len());
    for r in blank {
        blank_range(r.clone());
    }
    // Only whole UTF-8 sequences are replaced (ranges start and end on char boundaries).
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn ident_before(bytes: &[u8], i: usize) -> bool {
    i > 0
        && (bytes[i - 1].is_ascii_alphanumeric()
            || bytes[i - 1] == b'_'
            || bytes[i - 1] == b'$'
            || bytes[i - 1] >= 0x80)
}

/// If a dollar-quote opening tag (`$$`, `$body$`) starts at `i`, returns the end of the tag.
pub(crate) fn dollar_tag(bytes: &[u8], i: usize, end: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < end {
        let c = bytes[j];
        if c == b'$' {
            return Some(j + 1);
        }
        let ok = c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 || (j > i + 1 && c.is_ascii_digit());
        if !ok {
            return None;
        }
        j += 1;
    }
    None
}

fn memchr_newline(bytes: &[u8], from: usize, end: usize) -> usize {
    bytes[from..end]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(end, |p| from + p)
}

/// The end of the block comment that starts at `i` (`/*`): PostgreSQL's comments nest.
pub fn block_comment_end(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                break;
            }
        } else {
            i += 1;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmts(sql: &str) -> Vec<&str> {
        scan(sql, 0..sql.len())
            .statements
            .into_iter()
            .map(|r| &sql[r])
            .collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes() {
        assert_eq!(
            stmts("create table a (x text default ';'); -- c;\n select 'it''s;' ;\n"),
            vec!["create table a (x text default ';');", "select 'it''s;' ;"]
        );
    }

    #[test]
    fn dollar_quotes_and_comments_hide_semicolons() {
        let sql = "DO $body$ BEGIN PERFORM 1; END $body$;\n/* a; /* nested; */ b; */ SELECT $1;";
        assert_eq!(stmts(sql), vec!["DO $body$ BEGIN PERFORM 1; END $body$;", "SELECT $1;"]);
    }

    #[test]
    fn escape_strings_and_identifiers() {
        assert_eq!(
            stmts(r#"select E'a\';b', "x;y"; select 2"#),
            vec![r#"select E'a\';b', "x;y";"#, "select 2"]
        );
    }

    #[test]
    fn comment_only_text_has_no_statements() {
        assert!(stmts("-- nothing\n/* here */\n  \n").is_empty());
    }

    #[test]
    fn finds_meta_commands_outside_quotes() {
        let sql = "\\set ON_ERROR_STOP 1\nselect '\\x';\n  \\i other.sql\n";
        let found: Vec<&str> = scan(sql, 0..sql.len())
            .meta_commands
            .into_iter()
            .map(|r| &sql[r])
            .collect();
        assert_eq!(found, vec!["\\set ON_ERROR_STOP 1", "\\i other.sql"]);
    }

    #[test]
    fn scans_only_the_span() {
        let sql = "select 1; select 2; select 3;";
        let s = scan(sql, 10..19);
        assert_eq!(s.statements, vec![10..19]);
    }

    #[test]
    fn notices_deep_nesting() {
        let deep = format!(
            "select {}1{};",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert_eq!(scan(&deep, 0..deep.len()).too_deep, Some(7 + MAX_NESTING));
        let fine = "select ((1));";
        assert_eq!(scan(fine, 0..fine.len()).too_deep, None);
    }

    #[test]
    fn mask_keeps_offsets() {
        let text = "é\\x\nselect 1;";
        let blank = [Range { start: 2, end: 4 }];
        let masked = mask(text, 0..text.len(), &blank);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked, "é  \nselect 1;");
    }
}
