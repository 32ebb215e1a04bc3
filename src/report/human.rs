//! The human report: one miette diagnostic per finding, grouped by file (findings are already
//! sorted by path), then a one-line summary.

use std::fmt;
use std::io::IsTerminal;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents, ThemeCharacters,
};

use rayon::prelude::*;

use crate::checks::{Finding, Location, Severity};
use crate::outcome::Outcome;
use crate::report::escape;

mod plain;

/// `--color WHEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal (FORCE_COLOR turns it on, NO_COLOR off).
    #[default]
    Auto,
    Always,
    Never,
}

/// How to draw: colours and Unicode for a terminal, plain ASCII otherwise.
#[derive(Debug, Clone)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// Plain, 100 columns: what snapshot tests and CI logs use.
    pub fn plain() -> Style {
        Style {
            color: false,
            width: 100,
        }
    }

    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    pub fn detect() -> Style {
        Style::for_choice(ColorChoice::Auto)
    }

    /// `--color WHEN`; without it (or with `auto`): `FORCE_COLOR` (non-empty, not `0`) turns
    /// colour on, `NO_COLOR` (non-empty) off, else colour when stdout is a terminal.
    pub fn for_choice(choice: ColorChoice) -> Style {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                if set("FORCE_COLOR") && std::env::var_os("FORCE_COLOR").is_some_and(|v| v != "0") {
                    true
                } else if set("NO_COLOR") {
                    false
                } else {
                    std::io::stdout().is_terminal()
                }
            }
        };
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100);
        Style { color, width }
    }
}

/// A finding (or one of its related places) as miette sees it.
struct View {
    code: Option<String>,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    source: Option<Source>,
    label: Option<LabeledSpan>,
    /// The message and help need no wrapping: they fit ([`View::fits`]), or they are already
    /// wrapped as miette would wrap them ([`Prewrap`]).
    unwrapped: bool,
}

/// A file's text as miette reads it, with where its lines start. miette's own lookup counts
/// lines from the start of the text for every finding, which is quadratic in a file with many
/// findings; this one finds the finding's line by bisection and lets miette read from a few
/// lines before it (the same lines, numbered the same).
struct Source {
    name: String,
    text: Arc<str>,
    lines: Arc<Vec<usize>>,
}

/// Where each line of `text` starts, with miette's line ends (`\n`, `\r\n`, a lone `\r`).
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (i, b) in bytes.iter().enumerate() {
        let end = *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if end {
            starts.push(i + 1);
        }
    }
    starts
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let line = self.lines.partition_point(|&s| s <= span.offset()).saturating_sub(1);
        // One line more than the context: the window starts at a line start before it.
        let first = line.saturating_sub(before + 1);
        let start = self.lines[first];
        let window = &self.text.as_bytes()[start..];
        let inner = window.read_span(
            &SourceSpan::new((span.offset() - start).into(), span.len()),
            before,
            after,
        )?;
        let contents = MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + start).into(), inner.span().len()),
            inner.line() + first,
            inner.column(),
            inner.line_count() + first,
        )
        .with_language("sql");
        Ok(Box::new(contents))
    }
}

impl View {
    /// Whether every line of the texts miette would wrap is short enough that wrapping leaves
    /// it as it is (with room for miette's widest indent), and has no edge whitespace for
    /// wrapping to trim. A blank line does not fit: wrapping keeps the indent before it, and
    /// drawing without wrapping trims it.
    fn fits(&self, width: usize) -> bool {
        let texts = [Some(&self.message), self.help.as_ref(), self.code.as_ref()];
        texts.into_iter().flatten().flat_map(|t| t.split('\n')).all(|line| {
            line.len() + 16 <= width
                && !line.is_empty()
                && line.trim() == line
                && !line.contains(['\t', '\r'])
                && !line.contains("  ")
        })
    }

    fn of(f: &Finding, clean: &Clean) -> View {
        let label = f.label.as_deref().map(|l| escape::line(l).into_owned());
        let (source, label) = source_and_label(&f.location, label, clean);
        let message = if source.is_some() {
            escape::text(&f.message).into_owned()
        } else {
            format!("{}: {}", escape::line(&f.location.path), escape::text(&f.message))
        };
        View {
            code: Some(format!("{} {}", f.rule.code, f.rule.name)),
            severity: match f.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Note => miette::Severity::Advice,
            },
            message,
            help: help_with_related(f),
            source,
            label,
            unwrapped: false,
        }
    }
}

/// The help text, followed by one line per related place (`also: path:line:col: label`).
fn help_with_related(f: &Finding) -> Option<String> {
    let mut lines: Vec<String> = f.help.iter().map(|h| escape::text(h).into_owned()).collect();
    for r in &f.related {
        let (line, col) = r.location.line_col();
        lines.push(format!(
            "also: {}:{line}:{col}: {}",
            escape::line(&r.location.path),
            escape::line(&r.label)
        ));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Which source texts need no escaping, with where their lines start, by address: each file
/// is scanned once (in parallel), not once per finding in it.
type Clean = std::collections::HashMap<usize, (bool, Arc<Vec<usize>>)>;

fn address(text: &Arc<str>) -> usize {
    Arc::as_ptr(text).cast::<u8>() as usize
}

fn clean_sources(findings: &[Finding]) -> Clean {
    let mut texts: Vec<&Arc<str>> = findings.iter().filter_map(|f| f.location.text.as_ref()).collect();
    texts.sort_by_key(|t| address(t));
    texts.dedup_by_key(|t| address(t));
    texts
        .par_iter()
        .map(|text| {
            let is_clean = escape::source_is_clean(text);
            let lines = if is_clean { line_starts(text) } else { Vec::new() };
            (address(text), (is_clean, Arc::new(lines)))
        })
        .collect()
}

fn source_and_label(
    location: &Location,
    label: Option<String>,
    clean: &Clean,
) -> (Option<Source>, Option<LabeledSpan>) {
    match &location.text {
        Some(text) if !text.is_empty() => {
            let start = location.span.start.min(text.len());
            let end = location.span.end.clamp(start, text.len());
            let (is_clean, lines) = clean.get(&address(text)).cloned().unwrap_or_else(|| {
                let is_clean = escape::source_is_clean(text);
                (
                    is_clean,
                    Arc::new(if is_clean { line_starts(text) } else { Vec::new() }),
                )
            });
            let (text, lines, start, end) = if is_clean {
                (text.clone(), lines, start, end)
            } else {
                let (escaped, span) = escape::source(text, start..end);
                let lines = Arc::new(line_starts(&escaped));
                (Arc::from(escaped), lines, span.start, span.end)
            };
            let source = Source {
                name: escape::line(&location.path).into_owned(),
                text,
                lines,
            };
            (
                Some(source),
                Some(LabeledSpan::new_primary_with_span(label, start..end)),
            )
        }
        _ => (None, None),
    }
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for View {}

impl Diagnostic for View {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.as_ref().map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label
            .clone()
            .map(|l| Box::new(std::iter::once(l)) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

/// The message and help texts of a report wrapped once each, the way miette wraps them: a
/// report repeats the same help (and often the same message) for many findings, and the
/// Unicode line breaking behind each wrap is most of the cost of drawing a finding. A view
/// whose texts are all wrapped here is drawn by the handler that does not wrap.
///
/// The indents are miette's own (read from a drawing of a probe), the wrap is textwrap's with
/// the options miette passes it, and a text is only taken when putting miette's indents back
/// on its wrapped lines gives exactly what miette's own wrapping gives; any other text is left
/// to miette.
struct Prewrap {
    /// The textwrap width miette uses (its width less 2).
    width: usize,
    /// (first-line indent, other-line indent) of a message, by severity (error, warning,
    /// advice), and of a help text.
    message: [(String, String); 3],
    help: (String, String),
}

impl Prewrap {
    fn new(unwrapped: &GraphicalReportHandler, width: usize) -> Prewrap {
        const MARK: &str = "PREWRAP-MARK";
        let probe = |severity| {
            let view = View {
                code: None,
                severity,
                message: format!("{MARK}1\n{MARK}2"),
                help: Some(format!("{MARK}3\n{MARK}4")),
                source: None,
                label: None,
                unwrapped: false,
            };
            let mut out = String::new();
            let _ = unwrapped.render_report(&mut out, &view);
            let indent = |n: usize| {
                let mark = format!("{MARK}{n}");
                out.lines()
                    .find_map(|l| l.strip_suffix(mark.as_str()))
                    .map(str::to_string)
                    .unwrap_or_default()
            };
            ((indent(1), indent(2)), (indent(3), indent(4)))
        };
        let (error, help) = probe(miette::Severity::Error);
        let (warning, _) = probe(miette::Severity::Warning);
        let (advice, _) = probe(miette::Severity::Advice);
        Prewrap {
            width: width.saturating_sub(2),
            message: [error, warning, advice],
            help,
        }
    }

    /// `text` wrapped as miette wraps it between `indents`, without them; `None` when miette's
    /// unwrapped drawing of the result would differ from its wrapped drawing of `text`.
    fn wrap(&self, text: &str, indents: &(String, String)) -> Option<String> {
        let (first, rest) = indents;
        if first.is_empty() || rest.is_empty() {
            return None;
        }
        let options = textwrap::Options::new(self.width)
            .initial_indent(first)
            .subsequent_indent(rest)
            .break_words(true);
        let filled = textwrap::fill(text, &options);
        let lines: Vec<&str> = filled
            .split('\n')
            .enumerate()
            .map(|(i, line)| line.strip_prefix(if i == 0 { first.as_str() } else { rest.as_str() }))
            .collect::<Option<_>>()?;
        if lines.iter().any(|l| l.trim().is_empty()) {
            return None;
        }
        // What miette draws for these lines with wrapping off.
        let joined = lines.join("\n");
        let mut redrawn = String::with_capacity(filled.len());
        plain::indented(&mut redrawn, &joined, first, rest);
        (redrawn == filled).then_some(joined)
    }

    /// Marks the views whose texts fit, wraps the texts of the others, each distinct text
    /// once (in parallel), and marks the views whose texts all were.
    fn apply(&self, views: &mut [View]) {
        let width = self.width + 2;
        views.par_iter_mut().for_each(|v| v.unwrapped = v.fits(width));
        let mut wanted: Vec<(u8, &str)> = Vec::new();
        for v in views.iter().filter(|v| !v.unwrapped) {
            wanted.push((severity_index(v.severity), &v.message));
            if let Some(help) = &v.help {
                wanted.push((3, help));
            }
        }
        wanted.sort_unstable();
        wanted.dedup();
        let wrapped: std::collections::HashMap<(u8, &str), Option<String>> = wanted
            .par_iter()
            .map(|&(kind, text)| {
                let indents = match kind {
                    0 => &self.message[0],
                    1 => &self.message[1],
                    2 => &self.message[2],
                    _ => &self.help,
                };
                ((kind, text), self.wrap(text, indents))
            })
            .collect();
        let done: Vec<Option<(String, Option<String>)>> = views
            .par_iter()
            .map(|v| {
                if v.unwrapped {
                    return None;
                }
                let message = wrapped
                    .get(&(severity_index(v.severity), v.message.as_str()))?
                    .clone()?;
                let help = match &v.help {
                    Some(h) => Some(wrapped.get(&(3, h.as_str()))?.clone()?),
                    None => None,
                };
                Some((message, help))
            })
            .collect();
        for (v, done) in views.iter_mut().zip(done) {
            if let Some((message, help)) = done {
                v.message = message;
                v.help = help;
                v.unwrapped = true;
            }
        }
    }
}

fn severity_index(severity: miette::Severity) -> u8 {
    match severity {
        miette::Severity::Error => 0,
        miette::Severity::Warning => 1,
        miette::Severity::Advice => 2,
    }
}

/// Renders every finding and the summary line.
pub fn render(outcome: &Outcome, style: &Style) -> String {
    render_with(outcome, style, true)
}

/// [`render`] with every finding drawn by miette, none by [`plain`]: what `tests/outputs.rs`
/// holds [`render`] to.
#[doc(hidden)]
pub fn render_by_miette(outcome: &Outcome, style: &Style) -> String {
    render_with(outcome, style, false)
}

fn render_with(outcome: &Outcome, style: &Style, plain_drawer: bool) -> String {
    // Without colour the handler draws with the plain theme: [`plain`] draws the common
    // shapes the same, without miette's per-finding machinery.
    let plain_chars = (plain_drawer && !style.color).then(ThemeCharacters::ascii);
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::none()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    // Wrapping a text that fits changes nothing but costs a Unicode line-break analysis per
    // finding: such findings go through a handler that does not wrap (the same output).
    let unwrapped = handler.clone().with_wrap_lines(false);
    let clean = clean_sources(&outcome.findings);
    let mut views: Vec<View> = outcome.findings.par_iter().map(|f| View::of(f, &clean)).collect();
    Prewrap::new(&unwrapped, style.width).apply(&mut views);
    // Each finding is drawn on its own (in parallel), then joined in order.
    let drawn: Vec<String> = outcome
        .findings
        .par_iter()
        .zip(&views)
        .map(|(finding, view)| {
            if view.unwrapped
                && let Some(chars) = &plain_chars
                && let Some(mut out) = plain::draw(view, chars)
            {
                out.push('\n');
                return out;
            }
            let handler = if view.unwrapped { &unwrapped } else { &handler };
            let mut out = String::new();
            if handler.render_report(&mut out, view).is_err() {
                // miette could not draw the snippet: fall back to one plain line.
                out.clear();
                let (line, col) = finding.location.line_col();
                out.push_str(&format!(
                    "{}:{line}:{col}: {} {}: {}\n",
                    escape::line(&finding.location.path),
                    finding.rule.code,
                    finding.rule.name,
                    escape::text(&finding.message)
                ));
            }
            out.push('\n');
            out
        })
        .collect();
    let mut out = drawn.concat();
    if let Some(rt) = &outcome.roundtrip {
        out.push_str(&roundtrip_lines(rt));
    }
    out.push_str(&summary_line(outcome));
    out
}

/// One line per directory: what the round-trip proved.
pub fn roundtrip_lines(report: &crate::roundtrip::Report) -> String {
    use crate::roundtrip::{MigrationStatus, SetStatus};
    let mut out = format!(
        "round-trip on {}:
",
        escape::line(&report.server)
    );
    for set in &report.sets {
        let total = set.migrations.len();
        let tripped = [
            MigrationStatus::Ok,
            MigrationStatus::ColumnOrder,
            MigrationStatus::DownFailed,
            MigrationStatus::NotReversing,
            MigrationStatus::ReapplyFailed,
            MigrationStatus::ReapplyDiffers,
        ]
        .into_iter()
        .map(|s| set.count(s))
        .sum::<usize>();
        let mut notes = Vec::new();
        if set.count(MigrationStatus::NoDown) > 0 {
            notes.push(format!(
                "{} without a down applied but not round-tripped",
                set.count(MigrationStatus::NoDown)
            ));
        }
        if set.count(MigrationStatus::RuntimeDown) > 0 {
            notes.push(format!(
                "{} applied but not round-tripped: its down is SQL only known at run time",
                set.count(MigrationStatus::RuntimeDown)
            ));
        }
        if set.count(MigrationStatus::RuntimeUp) > 0 {
            notes.push("stopped at an up whose SQL is only known at run time".to_string());
        }
        let not_run = set.count(MigrationStatus::NotRun)
            + set.count(MigrationStatus::UpFailed)
            + set.count(MigrationStatus::Environment)
            + set.count(MigrationStatus::Unreadable);
        if not_run > 0 {
            notes.push(format!("{not_run} not round-tripped after a failure"));
        }
        if set.count(MigrationStatus::Cached) > 0 {
            notes.push(format!(
                "{} from the schema cache, round-tripped by an earlier run",
                set.count(MigrationStatus::Cached)
            ));
        }
        if set.count(MigrationStatus::Prefix) > 0 {
            notes.push(format!(
                "PARTIAL: {} before the changes since --base applied without a round-trip",
                set.count(MigrationStatus::Prefix)
            ));
        }
        let status = match set.status {
            SetStatus::NotVerified => "NOT VERIFIED",
            s => s.as_str(),
        };
        out.push_str(&format!(
            "  {}{}: {status}: {tripped} of {total} migrations round-tripped{}\n",
            escape::line(&set.path),
            set.pg_version.map_or(String::new(), |v| format!(" on PostgreSQL {v}")),
            if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join(", "))
            }
        ));
        if let Some(cache) = &set.cache {
            let mut parts = Vec::new();
            if let (Some(key), Some(kind)) = (&cache.restored_key, cache.restored_kind) {
                parts.push(format!("started from {key} ({} migrations, {kind})", cache.restored));
            }
            parts.extend(cache.saved.iter().map(|s| format!("stored {s}")));
            parts.extend(cache.notes.iter().cloned());
            if !parts.is_empty() {
                out.push_str(&format!("    schema cache: {}\n", escape::line(&parts.join("; "))));
            }
        }
    }
    if !report.roles_dropped.is_empty() {
        out.push_str(&format!(
            "  dropped roles the migrations created: {}\n",
            escape::line(&report.roles_dropped.join(", "))
        ));
    }
    out
}

/// `checked 2 directories, 56 migrations (112 files): 1 error, 0 warnings`
pub fn summary_line(outcome: &Outcome) -> String {
    let s = outcome.summary();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "checked {}, {} ({}): {}, {}\n",
        plural(s.directories, "directory", "directories"),
        plural(s.migrations, "migration", "migrations"),
        plural(s.files, "file", "files"),
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The windowed read gives miette exactly what its own read of the whole text gives.
    #[test]
    fn source_reads_the_same_lines_as_miettes_own() {
        let texts = [
            "SELECT 1;\nSELECT 2;\n\nCREATE INDEX i ON t (a);\nSELECT 3;",
            "a;\r\nb;\rc;\r\r\nd;\n\n\ne;\r\n",
            "one line, no newline",
            "\n\n\n\nx;\n",
        ];
        for text in texts {
            let source = Source {
                name: "f.sql".into(),
                text: Arc::from(text),
                lines: Arc::new(line_starts(text)),
            };
            let named = miette::NamedSource::new("f.sql", text.to_string()).with_language("sql");
            for start in 0..text.len() {
                for len in [0, 1, 3] {
                    let len = len.min(text.len() - start);
                    for (before, after) in [(0, 0), (1, 1), (2, 3)] {
                        let span = SourceSpan::new(start.into(), len);
                        let ours = source.read_span(&span, before, after);
                        let theirs = named.read_span(&span, before, after);
                        match (ours, theirs) {
                            (Ok(a), Ok(b)) => {
                                assert_eq!(a.data(), b.data(), "{text:?} {start} {len}");
                                assert_eq!(a.span(), b.span(), "{text:?} {start} {len}");
                                assert_eq!((a.line(), a.column()), (b.line(), b.column()), "{text:?} {start} {len}");
                                assert_eq!(a.name(), b.name());
                                assert_eq!(a.language(), b.language());
                            }
                            (Err(_), Err(_)) => {}
                            (a, b) => panic!("{text:?} {start} {len}: {:?} vs {:?}", a.is_ok(), b.is_ok()),
                        }
                    }
                }
            }
        }
    }

    /// The report's two handlers at `width`: the one that wraps and the one that does not.
    fn handlers(width: usize, color: bool) -> (GraphicalReportHandler, GraphicalReportHandler) {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::none()
        };
        let wrapping = GraphicalReportHandler::new_themed(theme)
            .with_width(width)
            .with_links(false);
        let unwrapped = wrapping.clone().with_wrap_lines(false);
        (wrapping, unwrapped)
    }

    /// A finding whose texts [`View::fits`] is drawn the same without wrapping as with it.
    #[test]
    fn a_text_that_fits_is_drawn_the_same_unwrapped() {
        let long = "word ".repeat(30);
        let texts = [
            "short",
            "`SET NOT NULL` on `t.a` scans the whole table under ACCESS EXCLUSIVE",
            "a path/with-slashes and-hyphens: ../x/y-z.sql:1:2 and (brackets), `ticks`",
            "exactly eighty-four columns wide, which is the widest a text may be and still fit ok",
            "two\nlines",
            "ünïcödé wörds, “quoted” — dashes",
            long.trim_end(),
            "ends with a space ",
            "two  spaces",
        ];
        for width in [40, 84, 100, 120] {
            for color in [false, true] {
                let (wrapping, unwrapped) = handlers(width, color);
                for message in texts {
                    for help in texts {
                        let view = View {
                            code: Some("MC402 index-not-concurrent".into()),
                            severity: miette::Severity::Warning,
                            message: message.into(),
                            help: Some(help.into()),
                            source: None,
                            label: None,
                            unwrapped: false,
                        };
                        if view.fits(width) {
                            let (mut a, mut b) = (String::new(), String::new());
                            wrapping.render_report(&mut a, &view).unwrap();
                            unwrapped.render_report(&mut b, &view).unwrap();
                            assert_eq!(a, b, "{width} {message:?} {help:?}");
                        }
                    }
                }
            }
        }
    }

    /// A finding whose texts [`Prewrap`] wrapped is drawn by the unwrapped handler exactly as
    /// miette's own wrapping draws the original texts; a text it cannot take is left as it is.
    #[test]
    fn prewrapped_texts_are_drawn_as_miette_wraps_them() {
        let long = "word ".repeat(40);
        let path = format!("also: {}/file.sql:1:2: here", "very-long-directory-name".repeat(6));
        let texts = [
            "short",
            "`SET NOT NULL` on `pipelines.textual_repr` scans the whole table under ACCESS EXCLUSIVE (no valid `CHECK (textual_repr IS NOT NULL)` in these migrations)",
            "a path/with-slashes and-hyphens: ../x/y-z.sql:1:2 and (brackets), `ticks`, {braces}|pipes? and more words to wrap",
            long.trim_end(),
            path.as_str(),
            "first line of a help that is long enough to be wrapped by miette at the widths tested here\nalso: f.sql:1:2: second",
            "ünïcödé wörds, “quoted” — dashes, 表意文字の混ざった長い文章がここに続きますので折り返しが必要になります",
            "ends with a space and is long enough to be wrapped by miette at the widths tested here ",
            "two  spaces  between  words  in  a  text  long  enough  to  wrap  at  the  widths  here",
            "a blank line\n\nin the middle of a text long enough to be wrapped by miette at these widths",
            "tab\there and a text long enough to be wrapped by miette at the widths tested here, surely",
        ];
        for width in [30, 60, 100] {
            for color in [false, true] {
                let (wrapping, unwrapped) = handlers(width, color);
                let prewrap = Prewrap::new(&unwrapped, width);
                assert!(!prewrap.help.0.is_empty() && !prewrap.message[1].1.is_empty());
                for severity in [
                    miette::Severity::Error,
                    miette::Severity::Warning,
                    miette::Severity::Advice,
                ] {
                    for message in texts {
                        for help in [None, Some(texts[1]), Some(path.as_str()), Some(texts[9])] {
                            let view = || View {
                                code: Some("MC411 set-not-null-scan".into()),
                                severity,
                                message: message.into(),
                                help: help.map(str::to_string),
                                source: None,
                                label: None,
                                unwrapped: false,
                            };
                            let mut views = [view()];
                            prewrap.apply(&mut views);
                            let (mut a, mut b) = (String::new(), String::new());
                            wrapping.render_report(&mut a, &view()).unwrap();
                            let handler = if views[0].unwrapped { &unwrapped } else { &wrapping };
                            handler.render_report(&mut b, &views[0]).unwrap();
                            assert_eq!(a, b, "{width} {color} {message:?} {help:?}");
                        }
                    }
                }
            }
        }
        // The common case is taken.
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::none()).with_width(100);
        let prewrap = Prewrap::new(&handler.clone().with_wrap_lines(false), 100);
        assert!(prewrap.wrap(texts[1], &prewrap.message[1]).is_some());
    }
}
