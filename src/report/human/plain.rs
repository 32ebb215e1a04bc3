//! A finding drawn exactly as miette's graphical handler draws it with the plain theme (ASCII
//! characters, no colour) and wrapping off, for the shapes nearly every finding has: at most
//! one label, on source lines of printable ASCII. miette's general drawing reads the source
//! three times and allocates for every piece of every line; on a report of thousands of
//! findings that is most of the report's cost. Any other shape is left to miette.
//!
//! The drawing follows miette 7's `GraphicalReportHandler` (`render_header`, `render_causes`,
//! `render_context`, `render_single_line_highlights`, `render_multi_line_end`, `render_footer`)
//! and its `[u8]` `read_span` (which lines surround a span). The tests below hold the two to
//! the same bytes on random texts, spans and labels, and `tests/outputs.rs` on the whole
//! corpus.

use std::fmt::Write as _;

use miette::ThemeCharacters;

use super::{Source, View};

/// `view` drawn as miette draws it (unwrapped, plain theme), or `None` when its shape is not
/// one drawn here.
pub(super) fn draw(view: &View, chars: &ThemeCharacters) -> Option<String> {
    let code = view.code.as_ref()?;
    let snippet = match (&view.source, &view.label) {
        (Some(source), Some(label)) => Some(Snippet::of(source, label)?),
        _ => None,
    };
    let size = code.len()
        + view.message.len()
        + view.help.as_ref().map_or(0, String::len)
        + snippet.as_ref().map_or(0, Snippet::size);
    let mut out = String::with_capacity(size + 64);
    out.push_str(code);
    out.push_str("\n\n");
    let icon = match view.severity {
        miette::Severity::Error => &chars.error,
        miette::Severity::Warning => &chars.warning,
        miette::Severity::Advice => &chars.advice,
    };
    let first = format!("  {icon} ");
    let rest = format!("  {} ", chars.vbar);
    indented(&mut out, &view.message, &first, &rest);
    out.push('\n');
    if let Some(snippet) = snippet {
        snippet.draw(&mut out, chars);
    }
    if let Some(help) = &view.help {
        indented(&mut out, help, "  help: ", "        ");
        out.push('\n');
    }
    Some(out)
}

/// miette's unwrapped layout of a text: each line after its indent, the indent's trailing
/// spaces dropped before a blank line. (`Prewrap` compares its wrapping against it too.)
pub(super) fn indented(out: &mut String, text: &str, first: &str, rest: &str) {
    for (i, line) in text.split_terminator('\n').enumerate() {
        let indent = if i == 0 {
            first
        } else {
            out.push('\n');
            rest
        };
        out.push_str(if line.trim().is_empty() {
            indent.trim_end()
        } else {
            indent
        });
        out.push_str(line);
    }
    if text.ends_with('\n') {
        out.push('\n');
    }
}

/// The lines around one labelled span, as miette shows them.
struct Snippet<'a> {
    name: &'a str,
    text: &'a str,
    /// Where each line of `text` starts.
    lines: &'a [usize],
    start: usize,
    end: usize,
    label: Option<&'a str>,
    /// The lines of the span (first, last) and the lines shown (first, last), 0-based.
    span_lines: (usize, usize),
    shown: (usize, usize),
}

impl<'a> Snippet<'a> {
    /// The snippet of `label` in `source`, when its shape is one drawn here: a non-empty span
    /// inside the text, a label of one line, and shown lines of printable ASCII (no tabs, no
    /// carriage returns: each byte is one column).
    fn of(source: &'a Source, label: &'a miette::LabeledSpan) -> Option<Snippet<'a>> {
        let (text, lines) = (&*source.text, source.lines.as_slice());
        let (start, end) = (label.offset(), label.offset() + label.len());
        if start >= end || end > text.len() || label.label().is_some_and(|l| l.contains('\n')) {
            return None;
        }
        let line_of = |offset: usize| lines.partition_point(|&s| s <= offset) - 1;
        let (first, last) = (line_of(start), line_of(end - 1));
        // miette's read of a span with one line of context: the line before the span's first,
        // and the line after its last, or the two after it when the span ends with the line
        // break (the break is its line's last byte, and the line after it is taken as the one
        // the span ends on).
        let after = if text.as_bytes()[end - 1] == b'\n' { 2 } else { 1 };
        // A text that ends with a line break has no line after it.
        let lines_in_text = if text.ends_with('\n') {
            lines.len() - 1
        } else {
            lines.len()
        };
        let shown = (first.saturating_sub(1), (last + after).min(lines_in_text - 1));
        let bytes = &text.as_bytes()[lines[shown.0]..line_end(text, lines, shown.1)];
        if !bytes.iter().all(|&b| b == b'\n' || (b' '..=b'~').contains(&b)) {
            return None;
        }
        Some(Snippet {
            name: &source.name,
            text,
            lines,
            start,
            end,
            label: label.label(),
            span_lines: (first, last),
            shown,
        })
    }

    /// About how many bytes the drawing takes.
    fn size(&self) -> usize {
        let shown = line_end(self.text, self.lines, self.shown.1) - self.lines[self.shown.0];
        2 * shown + 16 * (self.shown.1 - self.shown.0 + 4) + self.name.len() + self.label.map_or(0, str::len)
    }

    fn draw(&self, out: &mut String, chars: &ThemeCharacters) {
        let (first, last) = self.span_lines;
        let number_width = (self.shown.1 + 1).ilog10() as usize + 1;
        let no_number = format!(" {:number_width$} {} ", "", chars.vbar_break);
        let column = self.start - self.lines[first] + 1;
        let _ = writeln!(
            out,
            "{:margin$}{}{}[{}:{}:{column}]",
            "",
            chars.ltop,
            chars.hbar,
            self.name,
            first + 1,
            margin = number_width + 2
        );
        for i in self.shown.0..=self.shown.1 {
            let line_start = self.lines[i];
            let text = self.text[line_start..line_end(self.text, self.lines, i)].trim_end_matches('\n');
            let _ = write!(out, " {:>number_width$} {} ", i + 1, chars.vbar);
            if first != last {
                self.gutter(out, i, chars);
            }
            out.push_str(text);
            out.push('\n');
            if first == last && i == first {
                // Where a byte offset falls on the line: one column past its end when the
                // offset is past the line's text (its line break).
                let column_of = |offset: usize| (offset - line_start).min(text.len() + 1);
                let start = column_of(self.start);
                let end = column_of(self.end).max(start + 1);
                let middle = (start + end) / 2;
                out.push_str(&no_number);
                push_repeated(out, ' ', start);
                push_repeated(out, chars.underline, middle - start);
                out.push(if self.label.is_some() {
                    chars.underbar
                } else {
                    chars.underline
                });
                push_repeated(out, chars.underline, end - middle - 1);
                out.push('\n');
                if let Some(label) = self.label {
                    out.push_str(&no_number);
                    push_repeated(out, ' ', middle);
                    out.push(chars.lbot);
                    push_repeated(out, chars.hbar, 2);
                    out.push(' ');
                    out.push_str(label);
                    out.push('\n');
                }
            }
            if first != last
                && i == last
                && let Some(label) = self.label
            {
                out.push_str(&no_number);
                out.push(chars.lbot);
                push_repeated(out, chars.hbar, 4);
                out.push(' ');
                out.push_str(label);
                out.push('\n');
            }
        }
        push_repeated(out, ' ', number_width + 2);
        out.push(chars.lbot);
        push_repeated(out, chars.hbar, 4);
        out.push('\n');
    }

    /// The gutter of line `i` of a span over several lines: an arrow where it starts and
    /// where it ends, a bar between.
    fn gutter(&self, out: &mut String, i: usize, chars: &ThemeCharacters) {
        let (first, last) = self.span_lines;
        let corner = if self.label.is_some() { chars.lcross } else { chars.lbot };
        let _ = match i {
            _ if i == first => write!(out, "{}{}{} ", chars.ltop, chars.hbar, chars.rarrow),
            _ if i == last => write!(out, "{corner}{}{} ", chars.hbar, chars.rarrow),
            _ if i > first && i < last => write!(out, "{}   ", chars.vbar),
            _ => write!(out, "    "),
        };
    }
}

/// Where line `i` ends, its line break included.
fn line_end(text: &str, lines: &[usize], i: usize) -> usize {
    lines.get(i + 1).copied().unwrap_or(text.len())
}

fn push_repeated(out: &mut String, c: char, n: usize) {
    out.extend(std::iter::repeat_n(c, n));
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
    use proptest::prelude::*;

    use super::super::line_starts;
    use super::*;

    fn view(text: &str, span: std::ops::Range<usize>, label: Option<&str>, message: &str, help: Option<&str>) -> View {
        View {
            code: Some("MC433 backfill-with-ddl".into()),
            severity: miette::Severity::Warning,
            message: message.into(),
            help: help.map(str::to_string),
            source: Some(Source {
                name: "dir/1_init.up.sql".into(),
                text: Arc::from(text),
                lines: Arc::new(line_starts(text)),
            }),
            label: Some(LabeledSpan::new_primary_with_span(label.map(str::to_string), span)),
            unwrapped: false,
        }
    }

    fn by_miette(view: &View) -> String {
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::none())
            .with_width(100)
            .with_links(false)
            .with_wrap_lines(false);
        let mut out = String::new();
        handler.render_report(&mut out, view).unwrap();
        out
    }

    /// The shapes of the corpus, drawn by hand: one line, several lines, a span over a line
    /// break, the first and last lines of a file.
    #[test]
    fn common_shapes_are_drawn_as_miette_draws_them() {
        let text = "-- a comment\nUPDATE t\nSET a = 1\nWHERE b;\nALTER TABLE t ADD c int;\n\n";
        let cases = [
            (13..40, Some("backfill")),
            (13..40, None),
            (41..65, Some("rewrites")),
            (41..66, Some("with its line break")),
            (0..2, Some("first")),
            (66..67, Some("last")),
            (13..67, Some("to the end")),
            (5..6, None),
        ];
        for (span, label) in cases {
            let v = view(text, span.clone(), label, "a message\nof two lines", Some("a help"));
            let mine = draw(&v, &ThemeCharacters::ascii()).expect("a common shape");
            assert_eq!(mine, by_miette(&v), "{span:?} {label:?}");
        }
    }

    /// Shapes left to miette: a tab, a carriage return, a non-ASCII character, an empty span,
    /// a label of two lines.
    #[test]
    fn other_shapes_are_left_to_miette() {
        let chars = ThemeCharacters::ascii();
        for (text, span, label) in [
            ("a\tb;\n", 0..3, Some("x")),
            ("a;\r\nb;\n", 0..1, Some("x")),
            ("SELECT 'é';\n", 0..6, Some("x")),
            ("SELECT 1;\n", 3..3, Some("x")),
            ("SELECT 1;\n", 0..6, Some("two\nlines")),
        ] {
            assert!(draw(&view(text, span, label, "m", None), &chars).is_none(), "{text:?}");
        }
    }

    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just(" ".to_string()),
            "[ -~]{1,30}",
            "[a-z ;()]{1,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// On random texts of printable ASCII lines, random spans, labels, messages and helps,
        /// whatever is drawn here is byte for byte what miette draws.
        #[test]
        fn random_shapes_are_drawn_as_miette_draws_them(
            lines in prop::collection::vec(line(), 1..14),
            final_break in any::<bool>(),
            at in any::<prop::sample::Index>(),
            len in 0usize..80,
            label in prop::option::of("[ -~]{0,12}"),
            message in prop_oneof![Just("m".to_string()), Just("one\n\ntwo\n".to_string()), "[ -~\n]{0,40}"],
            help in prop::option::of(prop_oneof![Just("h\nalso: f.sql:1:2: x".to_string()), "[ -~\n]{0,30}"]),
        ) {
            let mut text = lines.join("\n");
            if final_break {
                text.push('\n');
            }
            prop_assume!(!text.is_empty());
            let start = at.index(text.len());
            let end = (start + len).min(text.len());
            let v = view(&text, start..end, label.as_deref(), &message, help.as_deref());
            if let Some(mine) = draw(&v, &ThemeCharacters::ascii()) {
                prop_assert_eq!(mine, by_miette(&v));
            } else {
                prop_assert!(start == end);
            }
        }
    }
}
