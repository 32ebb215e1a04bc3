//! What a rule is and what it reports: [`Rule`] (its registry entry), [`Kind`], [`Severity`],
//! [`Finding`] and [`Location`]. Spans are byte ranges; line and column are computed only when
//! rendering.

use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

use crate::model::{FileId, MigrationSet};

/// A check: reads a loaded set, appends findings.
pub type CheckFn = fn(&MigrationSet, &mut Vec<Finding>);

/// Which stage of the pipeline reports a rule's findings. Every finding, of any kind, passes
/// the same funnel ([`crate::funnel`]) before it is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Reads the loaded set (no disk, no database): its `check` runs on every `check`.
    Offline,
    /// Compares with a git base: reported by [`crate::base`], only with `--base`.
    Base,
    /// Runs the migrations on a server: reported by [`crate::roundtrip`], only with `--roundtrip`.
    Roundtrip,
    /// Reported by the funnel itself while it applies inline ignores (unused ignores).
    Funnel,
}

impl Kind {
    /// The flag a rule of this kind needs to run, if any.
    pub fn needs(self) -> Option<&'static str> {
        match self {
            Kind::Offline | Kind::Funnel => None,
            Kind::Base => Some("--base"),
            Kind::Roundtrip => Some("--roundtrip"),
        }
    }

    /// Whether `--base` without `--all` keeps only the findings of this kind that involve a
    /// changed migration. The git comparison is about changes by definition; a round-trip
    /// finding in an unchanged migration stops the changed ones from being verified, so it
    /// always shows.
    pub fn limited_to_changes(self) -> bool {
        matches!(self, Kind::Offline | Kind::Funnel)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information only: something migproof did not check, and why. Never fails a run.
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule's identity and documentation. Codes are stable and never reused.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    /// Which stage reports it (and so which flag it needs).
    pub kind: Kind,
    pub severity: Severity,
    /// The check of an [`Kind::Offline`] rule; `None` for every other kind (their stage
    /// reports them).
    pub check: Option<CheckFn>,
    /// Markdown: What it does / Why is this bad / Example / How to fix.
    pub doc: &'static str,
}

impl Rule {
    /// The documentation with the one leading space of each doc-comment line removed.
    pub fn documentation(&self) -> String {
        self.doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The first sentence of the documentation's "What it does" section.
    pub fn summary(&self) -> String {
        let doc = self.documentation();
        let paragraph: Vec<&str> = doc
            .lines()
            .skip_while(|l| !l.starts_with("## What it does"))
            .skip(1)
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        let text = paragraph.join(" ");
        match text.find(". ") {
            Some(end) => text[..=end].to_string(),
            None => text,
        }
    }
}

/// A place in a file: the file's display path, a byte range, and its text for rendering.
#[derive(Debug, Clone)]
pub struct Location {
    pub path: String,
    pub span: Range<usize>,
    /// `None` when the file could not be read (or the place is not in a file).
    pub text: Option<Arc<str>>,
}

impl Location {
    /// `span` of file `id` in `set`.
    pub fn in_file(set: &MigrationSet, id: FileId, span: Range<usize>) -> Location {
        let file = set.file(id);
        Location {
            path: file.display.clone(),
            span,
            text: file.text.clone().ok(),
        }
    }

    /// A path with no text (a stray file, a directory).
    pub fn path_only(path: &str) -> Location {
        Location {
            path: path.to_string(),
            span: 0..0,
            text: None,
        }
    }

    /// 1-based line and column (in characters) of the span's start.
    pub fn line_col(&self) -> (usize, usize) {
        self.position(self.span.start, None)
    }

    /// The 1-based line and column (in characters) of the end of the span: just past its last
    /// character, as SARIF and editors count an end.
    pub fn end_line_col(&self) -> (usize, usize) {
        self.position(self.span.end.max(self.span.start), None)
    }

    /// The 1-based line and column (in characters) of `offset`. With `newlines`, where the
    /// text's `\n`s are, the line is found by bisection instead of a count from the text's start
    /// (the same answer).
    fn position(&self, offset: usize, newlines: Option<&[usize]>) -> (usize, usize) {
        let Some(text) = &self.text else { return (1, 1) };
        let at = floor_char_boundary(text, offset);
        // How many lines end before `at`, and where the line of `at` starts.
        let (ended, line_start) = match newlines {
            Some(newlines) => {
                let ended = newlines.partition_point(|&n| n < at);
                (ended, if ended == 0 { 0 } else { newlines[ended - 1] + 1 })
            }
            None => {
                let before = &text[..at];
                (before.matches('\n').count(), before.rfind('\n').map_or(0, |i| i + 1))
            }
        };
        (ended + 1, text[line_start..at].chars().count() + 1)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Another place a finding involves.
#[derive(Debug, Clone)]
pub struct Related {
    pub location: Location,
    pub label: String,
}

/// One problem found, with where it is and how to fix it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    /// Short text under the underlined span.
    pub label: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Finding {
    /// A finding of `rule` at `location`, with the rule's default severity.
    pub fn new(rule: &'static Rule, location: Location, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.severity,
            location,
            message: message.into(),
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Finding {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    pub fn related(mut self, location: Location, label: impl Into<String>) -> Finding {
        self.related.push(Related {
            location,
            label: label.into(),
        });
        self
    }

    /// The order findings are reported in: path, line, code, then the rest.
    pub fn sort_key(&self) -> (String, usize, usize, &'static str, String) {
        self.sort_key_by(self.location.line_col())
    }

    fn sort_key_by(&self, (line, col): (usize, usize)) -> (String, usize, usize, &'static str, String) {
        (
            self.location.path.clone(),
            line,
            col,
            self.rule.code,
            self.message.clone(),
        )
    }
}

/// Sorts findings into report order (deterministic output).
pub fn sort(findings: &mut [Finding]) {
    // Where each text's lines end, found once per text (a file can hold thousands of findings).
    let mut newlines: std::collections::HashMap<*const u8, Vec<usize>> = std::collections::HashMap::new();
    for text in findings.iter().filter_map(|f| f.location.text.as_ref()) {
        newlines.entry(Arc::as_ptr(text).cast::<u8>()).or_insert_with(|| {
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect()
        });
    }
    findings.sort_by_cached_key(|f| {
        let lines = f
            .location
            .text
            .as_ref()
            .map(|text| &newlines[&Arc::as_ptr(text).cast::<u8>()][..]);
        f.sort_key_by(f.location.position(f.location.span.start, lines))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let loc = Location {
            path: "x".into(),
            span: 9..9,
            text: Some(Arc::from("ab\ncdé fg")),
        };
        assert_eq!(loc.line_col(), (2, 6));
        for at in 0..=12 {
            let here = Location {
                span: at..at,
                ..loc.clone()
            };
            assert_eq!(here.position(at, Some(&[2])), here.line_col(), "{at}");
        }
        let span = Location { span: 1..7, ..loc };
        assert_eq!(span.line_col(), (1, 2));
        assert_eq!(span.end_line_col(), (2, 4));
    }
}
