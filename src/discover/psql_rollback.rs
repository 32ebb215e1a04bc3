//! Single-file timestamp migrations run by `psql -v ON_ERROR_STOP=1` (seed 003):
//! `YYYYMMDDHHMMSS_name.sql`, with the rollback written as a commented-out section at the
//! bottom, under a heading comment such as `-- Rollback` or `-- DOWN Migration (Rollback)`:
//!
//! ```sql
//! -- Rollback (run by hand)
//! -- DROP TABLE memories CASCADE;
//! -- DROP EXTENSION IF EXISTS vector CASCADE;
//! ```
//!
//! or written as one block comment (issue 12), the heading inside it or above it:
//!
//! ```sql
//! /*
//! -- DOWN Migration (Rollback)
//! DROP TABLE memory_tags;
//! */
//! ```
//!
//! The section is taken as the down: its commented-out SQL is uncommented in a derived copy of
//! the file (the `--`, or the `/*` and `*/` and the prose lines inside them, replaced by
//! spaces, so every line and column stays where it is) and parsed like any other script. psql meta-commands are legal. A `seeds/` subfolder holds
//! seed data run by hand: its files are parse-checked but not numbered.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format, Mark, join_display, pairs};
use crate::model::{
    FormatRules, Migration, MigrationSet, Script, SourceFile, StrayFile, Unversioned, UnversionedKind, Version,
};
use crate::sql::lexer;

pub struct PsqlRollback;

/// The subfolder of seed data.
const SEEDS: &str = "seeds";

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_(.+)\.sql$").unwrap());
static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(rollback|down\s+migration|undo)\b").unwrap());
static SQL_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(drop|alter|delete|truncate|revoke|grant|create|select|update|insert|set|reset|begin|commit|comment|do|refresh|reindex|with)\b|^\\",
    )
    .unwrap()
});

/// The commented rollback at the bottom of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollback {
    /// Where the up ends: the heading line, or the `/*` of the block comment the heading is in.
    pub start: usize,
    /// The heading comment line.
    pub heading: Range<usize>,
    /// From the end of the heading line to the end of the file.
    pub body: Range<usize>,
    /// What the derived copy blanks: the `--` of each commented-out SQL line, the `/*` and `*/`
    /// around a rollback written as a block comment, and the prose lines inside that block.
    pub comment_marks: Vec<Range<usize>>,
}

/// A top-level `/* … */` in the comments after the last statement: the byte of its `/*` and
/// of its `*/` (nested comments inside it, as PostgreSQL nests them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    open: usize,
    close: usize,
}

impl Block {
    fn holds(&self, at: usize) -> bool {
        self.open <= at && at < self.close + 2
    }
}

/// The block comments in `text[from..]`, which holds only comments and blank space; `None`
/// when one is not closed (PostgreSQL refuses the file, so there is no rollback to take).
fn block_comments(text: &str, from: usize) -> Option<Vec<Block>> {
    let b = text.as_bytes();
    let mut blocks = Vec::new();
    let mut i = from;
    while i < b.len() {
        if b[i..].starts_with(b"--") {
            i = text[i..].find('\n').map_or(b.len(), |n| i + n);
        } else if b[i..].starts_with(b"/*") {
            let open = i;
            let mut depth = 1;
            i += 2;
            while i < b.len() && depth > 0 {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            if depth > 0 {
                return None;
            }
            blocks.push(Block { open, close: i - 2 });
        } else {
            i += 1;
        }
    }
    Some(blocks)
}

/// Finds the rollback section in the comments after the last statement (seed 003: "The
/// migration file includes commented-out rollback commands at the bottom"): from the first
/// comment line that names a rollback or a down migration, either `--` lines or a block
/// comment (`/* … */`, issue 12: "rollback taken from the commented section, including one
/// written inside `/* … */`"), with the heading before the block or inside it.
pub fn find_rollback(text: &str) -> Option<Rollback> {
    let mut lines: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for l in text.split_inclusive('\n') {
        let content = l.trim_end_matches('\n').trim_end_matches('\r');
        lines.push(start..start + content.len());
        start += l.len();
    }
    // Where the code ends: after it there are only comments and blank space.
    let scan = lexer::scan(text, 0..text.len());
    let code_end = scan
        .statements
        .iter()
        .chain(&scan.meta_commands)
        .map(|r| r.end)
        .max()
        .unwrap_or(0);
    // The lines after it (the last statement's line from where the statement ends).
    let tail: Vec<Range<usize>> = lines
        .into_iter()
        .filter(|r| r.end > code_end || r.start >= code_end)
        .map(|r| r.start.max(code_end)..r.end)
        .collect();
    tail.first()?;
    // From the code's end: a block may open on the last statement's line.
    let blocks = block_comments(text, code_end)?;
    let block_of = |at: usize| blocks.iter().find(|b| b.holds(at)).copied();
    let (heading, in_block) = tail.iter().find_map(|r| {
        let line = text[r.clone()].trim();
        let block = block_of(r.start + (text[r.clone()].len() - text[r.clone()].trim_start().len()));
        let content = match block {
            Some(_) => comment_content(line.trim_start_matches("/*").trim_end_matches("*/")),
            None if line.starts_with("--") => comment_content(line),
            None => return None,
        };
        (HEADING.is_match(line) && !SQL_START.is_match(content)).then(|| (r.clone(), block))
    })?;
    let body_start = text[heading.end..]
        .find('\n')
        .map_or(text.len(), |i| heading.end + i + 1);
    let body = body_start..text.len();
    let mut comment_marks = Vec::new();
    // Blocks that hold SQL: their `/*` and `*/` are blanked; a block of prose stays a comment.
    let mut sql_blocks: Vec<Block> = in_block.into_iter().collect();
    let mut open_statement = false;
    for r in tail.iter().filter(|r| r.start >= body.start) {
        let line = &text[r.clone()];
        let t = line.trim_start();
        let at = r.start + (line.len() - t.len());
        if let Some(block) = blocks.iter().find(|b| b.open < r.end && r.start < b.close + 2).copied() {
            // In a block: SQL stays, `--` comments stay comments, prose is blanked.
            let from = if block.open >= r.start { block.open + 2 } else { at };
            let to = r.end.min(block.close).max(from);
            let content = text[from..to].trim();
            if content.is_empty() || content.starts_with("--") || content.starts_with("/*") {
                continue;
            }
            if SQL_START.is_match(content) || open_statement {
                open_statement = !content.ends_with(';') && !content.starts_with('\\');
                if !sql_blocks.contains(&block) {
                    sql_blocks.push(block);
                }
            } else {
                let lead = text[from..to].len() - text[from..to].trim_start().len();
                comment_marks.push(from + lead..to);
            }
            continue;
        }
        let Some(after) = t.strip_prefix("--") else { continue };
        let content = after.trim();
        let sqlish =
            !content.starts_with("--") && (SQL_START.is_match(content) || (open_statement && !content.is_empty()));
        if sqlish {
            comment_marks.push(at..at + 2);
            open_statement = !content.ends_with(';') && !content.starts_with('\\');
        }
    }
    for b in &sql_blocks {
        comment_marks.push(b.open..b.open + 2);
        comment_marks.push(b.close..b.close + 2);
    }
    comment_marks.sort_by_key(|r| r.start);
    Some(Rollback {
        start: in_block.map_or(heading.start, |b| b.open),
        heading,
        body,
        comment_marks,
    })
}

/// A comment line's text without its `--` and decoration (`-- === Rollback ===`).
fn comment_content(line: &str) -> &str {
    line.trim_start_matches('-')
        .trim()
        .trim_matches(|c: char| c == '=' || c == '#' || c == '*')
        .trim()
}

/// `text` with the rollback's comment marks replaced by spaces.
fn uncommented(text: &str, rollback: &Rollback) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for r in &rollback.comment_marks {
        bytes[r.clone()].fill(b' ');
    }
    // Only ASCII marks and whole lines were replaced, so the text stays UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

pub(super) fn parse_name(name: &str) -> Option<(Version, String)> {
    let c = NAME.captures(name)?;
    Some((Version::parse(&c[1])?, c[2].to_string()))
}

impl Format for PsqlRollback {
    fn name(&self) -> &'static str {
        "psql-rollback"
    }

    /// A commented-out rollback section at the end, in a file no sectioned format marks and
    /// not named like an up/down pair.
    fn marks(&self, name: &str, text: &str, marked: &[(&'static str, Mark)]) -> Option<Mark> {
        let suits = marked.is_empty()
            && pairs::parse_pair_name(name).is_none()
            && find_rollback(text).is_some_and(|r| !r.comment_marks.is_empty());
        suits.then_some(Mark::Suits)
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        // Up/down pair files are another layout; psql-rollback must be most of the directory.
        let pairs = dir.files.iter().filter(|f| pairs::parse_pair_name(f).is_some()).count();
        let named = dir.files.iter().filter(|f| parse_name(f).is_some()).count() - pairs;
        if named <= pairs {
            return None;
        }
        let n = dir.sniff().iter().filter(|s| s.has(self.name())).count();
        if n > 0 {
            return Some(Detection {
                score: 25,
                reason: format!("{n} `{{timestamp}}_{{name}}.sql` files end with a commented-out rollback section"),
            });
        }
        (dir.dirs.iter().any(|d| d == SEEDS)).then(|| Detection {
            score: 15,
            reason: format!("{named} `{{timestamp}}_{{name}}.sql` files beside a `seeds/` folder"),
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let rules = FormatRules {
            down_required: false,
            psql_meta_allowed: true,
            apply: crate::model::Apply::Statements { transaction: false },
            strips_bom: true,
            down_hint: crate::model::DownHint::RollbackComment,
            ..FormatRules::default()
        };
        let mut set = MigrationSet::new(dir.display.clone(), dir.path.clone(), self.name(), rules);
        for name in &dir.files {
            let Some((version, title)) = parse_name(name) else {
                if let Some(reason) = stray_reason(name) {
                    set.stray.push(StrayFile {
                        display: dir.child_display(name),
                        reason,
                    });
                }
                continue;
            };
            let id = set.add_file(dir.read_file(name));
            let text = set.file(id).text().to_string();
            let rollback = find_rollback(&text);
            let up_end = rollback.as_ref().map_or(text.len(), |r| r.start);
            // psql runs every statement on its own (autocommit) unless the file says BEGIN.
            let up = Script {
                file: id,
                span: 0..up_end,
                no_transaction: true,
                apply: crate::model::Apply::OneQuery,
                sql: None,
                more_spans: Vec::new(),
                runtime_sql: false,
            };
            let down = rollback.map(|r| {
                let derived: SourceFile = set.file(id).derived(uncommented(&text, &r));
                let down_id = set.add_file(derived);
                Script {
                    file: down_id,
                    span: r.body.clone(),
                    no_transaction: true,
                    apply: crate::model::Apply::OneQuery,
                    sql: None,
                    more_spans: Vec::new(),
                    runtime_sql: false,
                }
            });
            set.migrations
                .push(Migration::new(version, title, Some(up), down, true));
        }
        load_seeds(&mut set, dir);
        set.sort();
        set
    }
}

/// Seed files: parse-checked, never numbered.
fn load_seeds(set: &mut MigrationSet, dir: &DirListing) {
    if !dir.dirs.iter().any(|d| d == SEEDS) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir.path.join(SEEDS)) else {
        return;
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let seeds_display = join_display(&dir.display, SEEDS);
    for name in names {
        let file = dir.read_file(&format!("{SEEDS}/{name}"));
        debug_assert_eq!(file.display, join_display(&seeds_display, &name));
        let id = set.add_file(file);
        let mut script = Script::whole(id, set.file(id).text());
        script.no_transaction = true;
        set.others.push(Unversioned {
            name: name.trim_end_matches(".sql").to_string(),
            kind: UnversionedKind::Seed,
            script,
        });
    }
}

fn stray_reason(name: &str) -> Option<String> {
    if pairs::always_ignored(name) {
        return None;
    }
    if pairs::is_leftover(name) {
        return Some("is an editor or merge leftover; it is not a migration".to_string());
    }
    name.to_ascii_lowercase()
        .ends_with(".sql")
        .then(|| "does not match `{timestamp}_{name}.sql`, so a run over the timestamped files misses it".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "CREATE TABLE a (id int);\n\n-- ============\n-- Rollback (commented out for safety)\n-- ============\n-- WARNING: deletes data\n-- DROP TABLE a\n--   CASCADE;\n-- \\echo done\n";

    #[test]
    fn finds_and_uncomments_the_rollback() {
        let r = find_rollback(FILE).unwrap();
        assert_eq!(&FILE[r.heading.clone()], "-- Rollback (commented out for safety)");
        let text = uncommented(FILE, &r);
        assert_eq!(text.len(), FILE.len());
        let body = &text[r.body.clone()];
        assert!(body.contains("\n   DROP TABLE a\n     CASCADE;\n"), "{body}");
        assert!(body.contains("-- WARNING: deletes data"), "{body}");
        assert!(body.contains("   \\echo done"), "{body}");
    }

    /// The rollback inside `/* … */`, with its heading inside the block or above it: the block's
    /// SQL is the down, prose in it is blanked, and the up ends before the block.
    #[test]
    fn finds_a_rollback_written_as_a_block_comment() {
        let inside = "CREATE TABLE a (id int);\n/*\n-- DOWN Migration (Rollback)\nRun by hand, it deletes data.\nDROP TABLE a\n  CASCADE;\n*/\n";
        let r = find_rollback(inside).unwrap();
        assert_eq!(&inside[r.heading.clone()], "-- DOWN Migration (Rollback)");
        assert_eq!(&inside[..r.start], "CREATE TABLE a (id int);\n");
        let text = uncommented(inside, &r);
        assert_eq!(text.len(), inside.len());
        let body = &text[r.body.clone()];
        assert_eq!(body.trim(), "DROP TABLE a\n  CASCADE;", "{body:?}");

        let above = "CREATE TABLE a (id int);\n-- Rollback\n/* DROP TABLE a; /* nested */ */\n";
        let r = find_rollback(above).unwrap();
        assert_eq!(&above[r.heading.clone()], "-- Rollback");
        assert_eq!(&above[..r.start], "CREATE TABLE a (id int);\n");
        let text = uncommented(above, &r);
        assert_eq!(text[r.body.clone()].trim(), "DROP TABLE a; /* nested */");

        let on_open = "CREATE TABLE a (id int);\n/* Rollback:\nDROP TABLE a;\n*/";
        let r = find_rollback(on_open).unwrap();
        assert_eq!(&on_open[..r.start], "CREATE TABLE a (id int);\n");
        assert_eq!(uncommented(on_open, &r)[r.body.clone()].trim(), "DROP TABLE a;");

        // A block of prose after the rollback stays a comment.
        let prose = "CREATE TABLE a (id int);\n-- Rollback\n-- DROP TABLE a;\n/* end of\n   file */\n";
        let r = find_rollback(prose).unwrap();
        let text = uncommented(prose, &r);
        let body = &text[r.body.clone()];
        assert_eq!(
            crate::sql::lexer::scan(body, 0..body.len()).statements.len(),
            1,
            "{body:?}"
        );
        assert!(
            body.contains("DROP TABLE a;\n/*") && body.trim_end().ends_with("*/"),
            "{body:?}"
        );

        // A block opened on the last statement's line.
        let same_line = "CREATE TABLE a (id int); /* Rollback\nDROP TABLE a;\n*/\n";
        let r = find_rollback(same_line).unwrap();
        assert_eq!(&same_line[..r.start], "CREATE TABLE a (id int); ");
        assert_eq!(uncommented(same_line, &r)[r.body.clone()].trim(), "DROP TABLE a;");

        // A block comment that names no rollback, or an unclosed one, is no rollback.
        assert!(find_rollback("CREATE TABLE a (id int);\n/* DROP TABLE a; */\n").is_none());
        assert!(find_rollback("CREATE TABLE a (id int);\n/* Rollback\nDROP TABLE a;\n").is_none());
    }

    #[test]
    fn no_rollback_without_heading_or_below_code() {
        assert!(find_rollback("CREATE TABLE a (id int);\n-- the end\n").is_none());
        assert!(find_rollback("-- Rollback\n-- DROP TABLE a;\nCREATE TABLE a (id int);\n").is_none());
        assert!(find_rollback("-- DROP TABLE rollback_log;\n").is_none());
    }
}
