//! drizzle-kit / drizzle-orm migrator: `{NNNN}_{tag}.sql` files listed by `meta/_journal.json`.
//!
//! Modelled on drizzle-team/drizzle-orm (commit b7862528):
//! - **Registry** (`drizzle-orm/src/migrator.ts` `readMigrationFiles`): the journal's `entries`
//!   *in array order*; each runs `<tag>.sql` beside the journal, and a missing file throws
//!   "No file … found" before anything runs (`planned-file-missing`). A `.sql` file that no
//!   entry names never runs (`unplanned-file`). `idx` and the number in the tag are not read
//!   by the migrator, so they are not versions here: migrations are numbered by their place
//!   in the journal. `meta/NNNN_snapshot.json` are drizzle-kit's schema snapshots, not
//!   migrations.
//! - **Statements**: the file (CRLF normalised) is split on `--> statement-breakpoint` and each
//!   piece is sent on its own (`sql.raw(stmt)`); each piece is parsed on its own here.
//! - **Which entries run** (`pg-core/dialect.ts`, `mysql-core/dialect.ts`,
//!   `sqlite-core/dialect.ts` `migrate`): only those whose `when` is greater than the newest
//!   `created_at` recorded, so an entry whose `when` is not greater than an earlier entry's
//!   is skipped on databases that applied that one; a repeated tag runs its file twice
//!   (`journal-order`).
//! - **Transactions**: PostgreSQL runs all pending entries in one transaction
//!   (`session.transaction`), so `CREATE INDEX CONCURRENTLY` fails there.
//! - **Downs**: none.
//! - **Dialect**: the journal's `dialect` (`postgresql`, `mysql`, `sqlite`, `turso`,
//!   `singlestore`); a MySQL or SQLite directory is judged by that grammar, never PostgreSQL's.

use std::collections::BTreeSet;
use std::ops::Range;

use super::{Detection, DirListing, Format};
use crate::model::{Apply, FileId, FormatRules, MetadataProblem, Migration, MigrationSet, Script, SetIssue, Version};

pub struct Drizzle;

/// The journal, relative to the migrations folder.
pub const JOURNAL: &str = "meta/_journal.json";
const BREAKPOINT: &str = "--> statement-breakpoint";

impl Format for Drizzle {
    fn name(&self) -> &'static str {
        "drizzle"
    }

    /// drizzle-kit's journal is drizzle's own file. Detection already requires it.
    fn content_evidence(&self, dir: &DirListing) -> Option<String> {
        self.detect(dir).map(|d| d.reason)
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        if !dir.dirs.iter().any(|d| d == "meta") || !dir.has_file(JOURNAL) {
            return None;
        }
        Some(Detection {
            score: 40,
            reason: format!("drizzle-kit's `{JOURNAL}` lists the migrations"),
        })
    }

    fn claims_subdirectories(&self) -> bool {
        true
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            has_downs: false,
            down_required: false,
            wraps_in_transaction: true,
            // Each breakpoint piece on its own, all pending files in one transaction.
            apply: Apply::Statements { transaction: true },
            // Journal order, not name order, is the order: names say nothing about it.
            unpadded_versions: true,
            ..FormatRules::default()
        };
        let Ok(meta) = dir.subdir("meta") else { return set };
        let journal = set.add_file(meta.read_file("_journal.json"));
        let Ok(text) = set.file(journal).text.clone() else {
            return set;
        };
        let parsed: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let at = offset_of(&text, e.line(), e.column());
                set.metadata_problems.push(MetadataProblem {
                    file: journal,
                    span: at..at,
                    message: format!("is not valid JSON ({e}): drizzle's migrator cannot read it"),
                });
                return set;
            }
        };
        let dialect = match parsed.get("dialect").and_then(|d| d.as_str()) {
            Some("mysql" | "singlestore") => Some("mysql".to_string()),
            Some("sqlite" | "turso") => Some("sqlite".to_string()),
            _ => None,
        };
        let Some(list) = parsed.get("entries").and_then(|e| e.as_array()) else {
            set.metadata_problems.push(MetadataProblem {
                file: journal,
                span: 0..0,
                message: "has no `entries` array: drizzle's migrator finds no migration".to_string(),
            });
            return set;
        };
        let mut searched = 0usize;
        let mut tags: Vec<(String, FileId, Range<usize>)> = Vec::new();
        let mut newest: Option<(u64, Range<usize>)> = None;
        for (pos, entry) in list.iter().enumerate() {
            let Some(tag) = entry.get("tag").and_then(|t| t.as_str()) else {
                set.metadata_problems.push(MetadataProblem {
                    file: journal,
                    span: searched..searched,
                    message: format!("entry {pos} has no `tag`: drizzle's migrator cannot find its file"),
                });
                continue;
            };
            // The entry's place in the journal: its quoted tag, after the previous entry's.
            let quoted = serde_json::to_string(tag).unwrap_or_default();
            let span = text[searched..]
                .find(&quoted)
                .map_or(searched..searched, |i| searched + i..searched + i + quoted.len());
            searched = span.end;
            let when = entry.get("when").and_then(|w| w.as_u64());
            if let Some((_, first, first_span)) = tags.iter().find(|(t, _, _)| t == tag) {
                set.issues.push(SetIssue::Runner {
                    code: crate::checks::journal_order::RULE.code,
                    file: journal,
                    span: span.clone(),
                    message: format!("the tag `{tag}` is in the journal twice: its file runs twice"),
                    related: vec![(*first, first_span.clone(), "first listed here".to_string())],
                });
            }
            if let (Some(w), Some((max, max_span))) = (when, &newest)
                && w <= *max
            {
                set.issues.push(SetIssue::Runner {
                    code: crate::checks::journal_order::RULE.code,
                    file: journal,
                    span: span.clone(),
                    message: format!(
                        "`{tag}` has `when` {w}, not after the {max} of an earlier entry: drizzle skips it on every database that applied that entry"
                    ),
                    related: vec![(journal, max_span.clone(), "the earlier, newer entry".to_string())],
                });
            }
            if let Some(w) = when
                && newest.as_ref().is_none_or(|(max, _)| w > *max)
            {
                newest = Some((w, span.clone()));
            }
            tags.push((tag.to_string(), journal, span.clone()));
            let name = format!("{tag}.sql");
            if !dir.files.contains(&name) {
                set.issues.push(SetIssue::Runner {
                    code: crate::checks::planned_file_missing::RULE.code,
                    file: journal,
                    span,
                    message: format!("the journal lists `{tag}`, but `{name}` does not exist: drizzle's migrator stops with \"No file … found\""),
                    related: Vec::new(),
                });
                continue;
            }
            let file = set.add_file(dir.read_file(&name));
            let body = set.file(file).text().to_string();
            set.migrations.push(Migration {
                version: Version::parse(&format!("{pos:04}")).unwrap_or_else(|| Version::named(tag)),
                name: tag.to_string(),
                up: Some(pieces(file, &body)),
                down: None,
                down_name: None,
                needs_down: false,
                dialect: dialect.clone(),
                parents: None,
            });
        }
        let listed: BTreeSet<String> = tags.iter().map(|(t, _, _)| format!("{t}.sql")).collect();
        for name in dir.files.iter().filter(|f| f.ends_with(".sql") && !listed.contains(*f)) {
            let file = set.add_file(dir.read_file(name));
            set.issues.push(SetIssue::Runner {
                code: crate::checks::unplanned_file::RULE.code,
                file,
                span: 0..0,
                message: format!("`{name}` has no entry in `{JOURNAL}`, so drizzle's migrator never runs it"),
                related: Vec::new(),
            });
        }
        set.sort();
        set
    }
}

/// The pieces of a file between `--> statement-breakpoint` lines, as one script.
fn pieces(file: FileId, text: &str) -> Script {
    let mut spans = Vec::new();
    let mut start = 0;
    while let Some(i) = text[start..].find(BREAKPOINT) {
        spans.push(start..start + i);
        start += i + BREAKPOINT.len();
    }
    spans.push(start..text.len());
    let mut spans = spans.into_iter();
    let mut script = Script::part(file, spans.next().unwrap_or(0..text.len()));
    script.more_spans = spans.collect();
    script
}

/// The byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakpoints_split_the_file() {
        let s = pieces(0, "CREATE TABLE a();\n--> statement-breakpoint\nCREATE TABLE b();\n");
        assert_eq!(s.span, 0..18);
        assert_eq!(s.more_spans.len(), 1);
    }
}
