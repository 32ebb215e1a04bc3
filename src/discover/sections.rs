//! Single-file migrations with an up and a down section, marked by comment lines: goose
//! (`-- +goose Up`), dbmate (`-- migrate:up`) and sql-migrate (`-- +migrate Up`).
//!
//! The splitting and the loading are written once here; each format only says how to read a
//! marker line ([`Dialect`]) and how its file names carry a version. Each section becomes a
//! [`Script`] over the same file, so the SQL of the up and the down are parsed separately and
//! findings keep the file's line and column.

use std::ops::Range;

use super::{Detection, DirListing, Format, Mark, Template, pairs};
use crate::model::{FileId, FormatRules, Migration, MigrationSet, Script, SetIssue, StrayFile, Version};
use crate::sql::lexer;

/// What a marker line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    Up,
    Down,
    StatementBegin,
    StatementEnd,
    /// The whole file runs outside a transaction (goose `NO TRANSACTION`).
    NoTransaction,
    EnvsubOn,
    EnvsubOff,
    /// A marker with the format's prefix that the runner does not know (it refuses the file).
    Unknown(String),
}

/// One marker line found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerLine {
    pub marker: Marker,
    /// The whole line, newline excluded.
    pub line: Range<usize>,
    /// What follows the marker on its line (`transaction:false`, `notransaction`).
    pub options: String,
}

/// A format's marker syntax.
pub struct Dialect {
    /// The format's name, for messages.
    pub format: &'static str,
    /// The up marker as users write it (`-- +goose Up`), for messages.
    pub up_marker: &'static str,
    /// Reads one line (without its newline); `None` when it is not a marker of this format.
    pub classify: fn(&str) -> Option<(Marker, String)>,
    /// Whether section options (`transaction:false`, `notransaction`) turn the transaction off.
    pub no_transaction_option: fn(&str) -> bool,
    /// The runner takes several up and down sections in one file and runs them in order
    /// (dbmate since v2.29.0, amacneil/dbmate@3924b66 `pkg/dbmate/migration.go`); older versions
    /// misread such a file, which is then a warning, not an error.
    pub repeated_sections: bool,
}

/// A section: the marker line and the text after it up to the next section marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub marker: Range<usize>,
    pub body: Range<usize>,
    pub options: String,
    /// The bodies of further sections of the same direction, when the runner runs them too
    /// ([`Dialect::repeated_sections`]).
    pub more: Vec<Range<usize>>,
}

/// A file split into its sections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    pub up: Option<Section>,
    pub down: Option<Section>,
    pub markers: Vec<MarkerLine>,
    /// Marker problems the runner would refuse the file for: (span, message).
    pub problems: Vec<(Range<usize>, String)>,
    /// Marker uses that only some versions of the runner misread: (span, message).
    pub doubts: Vec<(Range<usize>, String)>,
}

impl Split {
    pub fn has(&self, marker: &Marker) -> bool {
        self.markers.iter().any(|m| &m.marker == marker)
    }
}

/// Every line of `text` with its byte range (newline and a `\r` before it excluded).
fn lines(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = 0;
    text.split_inclusive('\n').map(move |l| {
        let s = start;
        start += l.len();
        let content = l.trim_end_matches('\n').trim_end_matches('\r');
        s..s + content.len()
    })
}

/// Splits `text` into its up and down sections by the dialect's marker lines.
pub fn split(text: &str, dialect: &Dialect) -> Split {
    let mut out = Split::default();
    for line in lines(text) {
        if let Some((marker, options)) = (dialect.classify)(&text[line.clone()]) {
            out.markers.push(MarkerLine { marker, line, options });
        }
    }
    // Section bodies run from the end of their marker line to the next up/down marker.
    let bounds: Vec<&MarkerLine> = out
        .markers
        .iter()
        .filter(|m| matches!(m.marker, Marker::Up | Marker::Down))
        .collect();
    let mut problems = Vec::new();
    for (i, m) in bounds.iter().enumerate() {
        let body_start = text[m.line.end..].find('\n').map_or(text.len(), |i| m.line.end + i + 1);
        let body_end = bounds.get(i + 1).map_or(text.len(), |n| n.line.start);
        let section = Section {
            marker: m.line.clone(),
            body: body_start..body_end.max(body_start),
            options: m.options.clone(),
            more: Vec::new(),
        };
        let up_seen = out.up.is_some();
        let slot = if m.marker == Marker::Up {
            &mut out.up
        } else {
            &mut out.down
        };
        if let Some(first) = slot.as_mut().filter(|_| dialect.repeated_sections) {
            first.more.push(section.body.clone());
            out.doubts.push((
                m.line.clone(),
                format!(
                    "a second `{}` section: {} runs every section since v2.29.0, but older versions take everything after the first down marker as the down",
                    &text[m.line.clone()].trim(),
                    dialect.format
                ),
            ));
        } else if slot.is_some() {
            problems.push((
                m.line.clone(),
                format!(
                    "a second `{}` marker: {} uses only the first",
                    &text[m.line.clone()].trim(),
                    dialect.format
                ),
            ));
        } else {
            if m.marker == Marker::Down && !up_seen {
                problems.push((
                    m.line.clone(),
                    format!("the down section comes before `{}`", dialect.up_marker),
                ));
            }
            *slot = Some(section);
        }
    }
    // SQL before the first section is run by no one (and refused by the runners).
    if let Some(first) = bounds.first() {
        let before = lexer::scan(text, 0..first.line.start);
        if let Some(stmt) = before.statements.first() {
            problems.push((
                stmt.clone(),
                format!("SQL before `{}` belongs to no section", dialect.up_marker),
            ));
        }
    }
    // StatementBegin/End must pair up, inside a section.
    let mut open: Option<&MarkerLine> = None;
    for m in &out.markers {
        match &m.marker {
            Marker::StatementBegin => {
                if open.is_some() {
                    problems.push((
                        m.line.clone(),
                        "`StatementBegin` inside another `StatementBegin`".to_string(),
                    ));
                }
                if bounds.first().is_none_or(|b| m.line.start < b.line.start) {
                    problems.push((
                        m.line.clone(),
                        "`StatementBegin` outside the up and down sections".to_string(),
                    ));
                }
                open = Some(m);
            }
            Marker::StatementEnd if open.take().is_none() => {
                problems.push((m.line.clone(), "`StatementEnd` without a `StatementBegin`".to_string()));
            }
            Marker::Up | Marker::Down => {
                if let Some(b) = open.take() {
                    problems.push((
                        b.line.clone(),
                        "`StatementBegin` is not closed before the next section".to_string(),
                    ));
                }
            }
            Marker::Unknown(what) => {
                problems.push((m.line.clone(), format!("`{what}` is not a {} marker", dialect.format)));
            }
            _ => {}
        }
    }
    if let Some(b) = open {
        problems.push((
            b.line.clone(),
            "`StatementBegin` is never closed by `StatementEnd`".to_string(),
        ));
    }
    out.problems = problems;
    out
}

/// How a format's file names carry the version: `(version, name)`, or `None` when the runner
/// does not take the file as a migration.
pub type NameParser = fn(&str) -> Option<(Version, String)>;

/// Loads a directory of single-file sectioned migrations.
pub fn load(dir: &DirListing, dialect: &Dialect, rules: FormatRules, parse_name: NameParser) -> MigrationSet {
    let mut set = MigrationSet::new(dir.display.clone(), dir.path.clone(), dialect.format, rules);
    for name in &dir.files {
        if !name.ends_with(".sql") {
            continue;
        }
        let Some((version, title)) = parse_name(name) else {
            continue;
        };
        let id = set.add_file(dir.read_file(name));
        let migration = load_file(&mut set, id, dialect, version, title);
        set.migrations.push(migration);
    }
    for name in &dir.files {
        if let Some(reason) = stray_reason(name, parse_name, dialect.format) {
            set.stray.push(StrayFile {
                display: dir.child_display(name),
                reason,
            });
        }
    }
    set.sort();
    set
}

/// One file into one migration (and its marker problems into the set's issues).
fn load_file(set: &mut MigrationSet, id: FileId, dialect: &Dialect, version: Version, title: String) -> Migration {
    let text = set.file(id).text().to_string();
    let split = split(&text, dialect);
    let file_no_tx = split.has(&Marker::NoTransaction);
    let script = |section: &Section| Script {
        file: id,
        span: section.body.clone(),
        no_transaction: file_no_tx || (dialect.no_transaction_option)(&section.options),
        apply: crate::model::Apply::OneQuery,
        sql: None,
        more_spans: section.more.clone(),
        runtime_sql: false,
    };
    let up = match &split.up {
        Some(section) => script(section),
        None => {
            if set.file(id).text.is_ok() {
                set.issues.push(SetIssue::MissingUpMarker {
                    file: id,
                    marker: dialect.up_marker,
                });
            }
            // Still parse-check the whole file: it is what the author meant to run.
            Script {
                no_transaction: file_no_tx,
                apply: crate::model::Apply::OneQuery,
                ..Script::whole(id, &text)
            }
        }
    };
    let down = split.down.as_ref().map(script);
    for (span, message) in split.problems {
        set.issues.push(SetIssue::BadMarker {
            file: id,
            span,
            message,
            doubtful: false,
        });
    }
    for (span, message) in split.doubts {
        set.issues.push(SetIssue::BadMarker {
            file: id,
            span,
            message,
            doubtful: true,
        });
    }
    Migration::new(version, title, Some(up), down, set.rules.has_downs)
}

/// Why the runner would skip a file that looks meant as a migration.
fn stray_reason(name: &str, parse_name: NameParser, format: &str) -> Option<String> {
    if pairs::always_ignored(name) {
        return None;
    }
    if pairs::is_leftover(name) {
        return Some("is an editor or merge leftover; the runner does not run it".to_string());
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".sql") && parse_name(name).is_none() {
        return Some(format!(
            "does not match {format}'s `{{version}}_{{name}}.sql`, so it is never run"
        ));
    }
    None
}

/// A sectioned format (goose, dbmate, sql-migrate): all but its marker syntax ([`Dialect`])
/// and its file names is written once here.
pub struct Sectioned {
    pub dialect: &'static Dialect,
    /// The version and title a file name carries; `None` when the runner skips the file.
    pub parse_name: fn(&str) -> Option<(Version, String)>,
    pub rules: FormatRules,
    /// A cheap test that a file's text may hold the up marker, before its lines are read.
    pub may_mark: fn(&str) -> bool,
    /// The file `migproof new` creates: both section markers.
    pub template: &'static str,
    /// What `--verbose` says after "N files with `UP` markers".
    pub detail: &'static str,
}

impl Format for Sectioned {
    fn name(&self) -> &'static str {
        self.dialect.format
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let n = dir.sniff().iter().filter(|s| s.has(self.name())).count();
        Detection::if_found(n, 30, || {
            format!("{n} files with `{}` markers{}", self.dialect.up_marker, self.detail)
        })
    }

    fn template(&self) -> Option<Template> {
        Some(Template::Sections(self.template))
    }

    /// The runner's own section markers are content only it uses.
    fn content_evidence(&self, dir: &DirListing) -> Option<String> {
        let n = dir.sniff().iter().filter(|s| s.has(self.name())).count();
        (n > 0).then(|| format!("{n} files with `{}` markers", self.dialect.up_marker))
    }

    /// A line the dialect reads as the Up marker.
    fn marks(&self, _name: &str, text: &str, _marked: &[(&'static str, Mark)]) -> Option<Mark> {
        let marked = (self.may_mark)(text)
            && text
                .lines()
                .any(|l| matches!((self.dialect.classify)(l), Some((Marker::Up, _))));
        marked.then_some(Mark::Identifies)
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        load(dir, self.dialect, self.rules, self.parse_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goose_like(line: &str) -> Option<(Marker, String)> {
        let rest = line.trim().strip_prefix("--")?.trim_start().strip_prefix("+x")?.trim();
        let (word, opts) = rest.split_once(' ').unwrap_or((rest, ""));
        let m = match word {
            "Up" => Marker::Up,
            "Down" => Marker::Down,
            "Begin" => Marker::StatementBegin,
            "End" => Marker::StatementEnd,
            other => Marker::Unknown(other.to_string()),
        };
        Some((m, opts.to_string()))
    }

    const D: Dialect = Dialect {
        repeated_sections: false,
        format: "x",
        up_marker: "-- +x Up",
        classify: goose_like,
        no_transaction_option: |o| o.contains("notx"),
    };

    #[test]
    fn splits_up_and_down_bodies() {
        let text = "-- +x Up notx\ncreate table a (id int)\n-- +x Down\ndrop table a;\n";
        let s = split(text, &D);
        let up = s.up.unwrap();
        assert_eq!(&text[up.body.clone()], "create table a (id int)\n");
        assert_eq!(up.options, "notx");
        assert_eq!(&text[s.down.unwrap().body], "drop table a;\n");
        assert!(s.problems.is_empty());
    }

    #[test]
    fn reports_unbalanced_and_repeated_markers() {
        let text = "select 1;\n-- +x Up\n-- +x Begin\nselect 2;\n-- +x Down\n-- +x End\n-- +x Up\n-- +x Nope\n";
        let s = split(text, &D);
        let messages: Vec<&str> = s.problems.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(messages.len(), 5, "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("second")));
        assert!(messages.iter().any(|m| m.contains("belongs to no section")));
        assert!(messages.iter().any(|m| m.contains("not closed")));
        assert!(messages.iter().any(|m| m.contains("without a `StatementBegin`")));
        assert!(messages.iter().any(|m| m.contains("not a x marker")));
    }

    #[test]
    fn crlf_lines_and_empty_down() {
        let text = "-- +x Up\r\nselect 1;\r\n-- +x Down";
        let s = split(text, &D);
        assert_eq!(&text[s.up.unwrap().body], "select 1;\r\n");
        assert!(s.down.unwrap().body.is_empty());
    }
}
