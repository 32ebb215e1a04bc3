//! The one place text from outside migproof (file and directory names, SQL, server messages) is
//! made safe to print: control characters become visible escapes (`\u{1b}`, `\n`), so a name
//! or a statement cannot move the cursor, recolour the terminal, rewrite what was printed
//! (`\r`) or start a line of its own; and the openers of GitHub Actions workflow commands
//! (`::` at the start of a line, `##[` anywhere) are broken, so no text can become an
//! `::error` or `::add-mask::` command in a CI log.
//!
//! Every renderer calls these (human, GitHub, SARIF, JUnit, and the messages on stderr). JSON
//! is left to serde, which escapes control characters itself, so that its values stay the
//! exact names and messages.

use std::borrow::Cow;
use std::ops::Range;

/// Characters that are never printed as they are: C0 and C1 controls, DEL, the Unicode
/// bidirectional overrides and isolates (which reorder what a reader sees), and the Unicode
/// line and paragraph separators.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// Whether `s` needs no escaping at all (the common case: no allocation).
fn clean(s: &str, keep: impl Fn(char) -> bool) -> bool {
    !s.contains("##[") && !s.contains("::") && s.chars().all(|c| keep(c) || !hidden(c))
}

/// Text that must stay on one line (a path, a label, a name): every control character is
/// escaped, newlines and tabs included.
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, |_| false)
}

/// Text that may span lines (a message, a help text): newlines and tabs are kept, every
/// other control character is escaped, and no line can start a workflow command.
pub fn text(s: &str) -> Cow<'_, str> {
    escape(s, |c| c == '\n' || c == '\t')
}

fn escape(s: &str, keep: impl Fn(char) -> bool + Copy) -> Cow<'_, str> {
    if clean(s, keep) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut line_start = true;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if line_start && c != '\n' && c.is_whitespace() && !hidden(c) {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if line_start && rest.starts_with("::") {
            // `::` opening a line would be read as a workflow command.
            out.push_str("\\u{3a}:");
            rest = &rest[2..];
            line_start = false;
            continue;
        }
        if rest.starts_with("##[") {
            out.push_str("##\\u{5b}");
            rest = &rest[3..];
            line_start = false;
            continue;
        }
        if hidden(c) && !keep(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
        line_start = c == '\n' && keep(c);
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// Whether [`source`] would leave `s` as it is.
pub fn source_is_clean(s: &str) -> bool {
    let bytes = s.as_bytes();
    // Most sources are ASCII without a carriage return: a byte scan decides them.
    if s.is_ascii()
        && !bytes
            .iter()
            .any(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f)
    {
        return !s.contains("##[");
    }
    !s.contains("##[")
        && s.char_indices()
            .all(|(i, c)| !hidden(c) || c == '\n' || c == '\t' || (c == '\r' && bytes.get(i + 1) == Some(&b'\n')))
}

/// A source text for a snippet, with `span` mapped onto the escaped text: line breaks (`\n`,
/// and `\r\n`) and tabs are kept, so lines and columns stay where they were; every other
/// control character is escaped.
pub fn source(s: &str, span: Range<usize>) -> (String, Range<usize>) {
    let bytes = s.as_bytes();
    let keep = |i: usize, c: char| c == '\n' || c == '\t' || (c == '\r' && bytes.get(i + 1) == Some(&b'\n'));
    let mut out = String::with_capacity(s.len() + 16);
    let (mut start, mut end) = (None, None);
    // Bytes before this were written already (as part of an escaped `##[`).
    let mut written_to = 0;
    for (i, c) in s.char_indices() {
        if start.is_none() && i >= span.start {
            start = Some(out.len());
        }
        if end.is_none() && i >= span.end {
            end = Some(out.len());
        }
        if i < written_to {
            continue;
        }
        if s[i..].starts_with("##[") {
            out.push_str("##\\u{5b}");
            written_to = i + 3;
        } else if hidden(c) && !keep(i, c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    let len = out.len();
    let start = start.unwrap_or(len);
    let end = end.unwrap_or(len).max(start);
    (out, start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_start_lines_or_move_the_cursor() {
        assert_eq!(line("db/x\n::error::owned"), "db/x\\n::error::owned");
        assert_eq!(line("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(line("ok/path_ü.sql"), "ok/path_ü.sql");
        assert_eq!(line("::add-mask::x"), "\\u{3a}:add-mask::x");
        assert_eq!(line("x ##[error]y"), "x ##\\u{5b}error]y");
        assert_eq!(line("\u{202E}lqs.pu"), "\\u{202e}lqs.pu");
    }

    #[test]
    fn multi_line_text_keeps_its_lines_but_no_line_is_a_command() {
        assert_eq!(text("a\n  b\tc"), "a\n  b\tc");
        assert_eq!(text("a\n  ::error::x\r"), "a\n  \\u{3a}:error::x\\r");
        assert_eq!(text("cast x::int"), "cast x::int");
    }

    #[test]
    fn source_keeps_lines_and_moves_the_span() {
        let (s, span) = source("select 1;\r\nselect '\u{1b}]0;x\u{7}' + y;\n", 18..19);
        assert_eq!(s, "select 1;\r\nselect '\\u{1b}]0;x\\u{7}' + y;\n");
        assert_eq!(&s[span], "'");
        let (s, span) = source("a\u{1b}b", 2..3);
        assert_eq!(&s[span], "b");
    }
}
