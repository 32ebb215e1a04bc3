//! jackc/tern v2: `{sequence}_{name}.sql` files, one migration each, numbered 1…n.
//!
//! Modelled on jackc/tern `migrate/migrate.go` (tag v2.3.2 and HEAD e73daa1b):
//! - **Files**: the entries of the directory (not of its subdirectories) whose name matches
//!   `\A(\d+)_.+\.sql\z` (`migrationPattern`); anything else is ignored. `.sql` files in
//!   subdirectories are shared templates for `{{ template "…" }}`, not migrations.
//! - **Versions**: the digits, parsed as an `int32` (`strconv.ParseInt(…, 10, 32)`). The
//!   numbers must be exactly 1…n: a repeated number fails with "Duplicate migration N", a
//!   missing one with "Missing migration N" (`FindMigrations`). A gap or a zero is
//!   `sequence-gap`, a repeat `duplicate-version`.
//! - **Order**: by number.
//! - **Downs**: the text after `---- create above / drop below ----` (split once). Without
//!   the marker the migration is irreversible: migrating down past it fails at that moment
//!   (`IrreversibleMigrationError`), so a missing down is not a finding.
//! - **Empty forward part**: only blank lines and `--` comments before the marker fail with
//!   "no sql in forward migration step" (`ErrNoFwMigration`); reported by `up-without-sql`.
//! - **Transactions**: each migration runs in its own transaction, the whole part as one
//!   `Exec`, unless a line `---- tern: disable-tx ----` is in it; then its statements run one by
//!   one outside a transaction (`disableTxPattern`, `sqlsplit.Split`).
//! - **Detected by**: a marker line in a file, or a `go.mod` above the directory that requires
//!   `github.com/jackc/tern` (names alone fit too many runners).
//! - Bodies are Go `text/template`s (with sprig) rendered before they run; `{{ … }}` actions
//!   are blanked before parsing, so only the literal SQL is judged.

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format, Mark, Template};
use crate::model::{Apply, FormatRules, Migration, MigrationSet, Script, SetIssue, SourceFile, Version};

pub struct Tern;

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_.+\.sql$").unwrap());

/// The line that splits a file into its up and down parts.
pub const MARKER: &str = "---- create above / drop below ----";
/// The line that runs a migration outside a transaction.
const DISABLE_TX: &str = "---- tern: disable-tx ----";

/// The sequence number of a migration file, when tern takes the name.
pub(super) fn parse_name(name: &str) -> Option<u64> {
    let c = NAME.captures(name)?;
    c[1].parse::<u64>().ok()
}

/// The sequence number as written (`001`), for the version's text.
fn digits(name: &str) -> &str {
    name.split('_').next().unwrap_or(name)
}

/// The nearest `go.mod` at or above `dir` (up to eight levels), when it requires tern.
fn go_mod_with_tern(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let go_mod = dir
        .ancestors()
        .take(8)
        .map(|d| d.join("go.mod"))
        .find(|p| p.is_file())?;
    let text = std::fs::read_to_string(&go_mod).ok()?;
    text.contains("github.com/jackc/tern").then_some(go_mod)
}

impl Format for Tern {
    fn name(&self) -> &'static str {
        "tern"
    }

    /// tern's section and `disable-tx` markers are its own.
    fn content_evidence(&self, dir: &DirListing) -> Option<String> {
        let n = dir.sniff().iter().filter(|s| s.has(self.name())).count();
        (n > 0).then(|| format!("{n} files with tern's `{MARKER}` or `{DISABLE_TX}` lines"))
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let n = dir.files.iter().filter(|f| parse_name(f).is_some()).count();
        if n == 0 {
            return None;
        }
        let marked = dir.sniff().iter().any(|s| s.has(self.name()));
        if marked {
            return Some(Detection {
                score: 30,
                reason: format!("{n} files `{{n}}_{{name}}.sql` with tern's `{MARKER}` or `{DISABLE_TX}` lines"),
            });
        }
        // Names alone fit several runners (and hand-applied scripts): without a marker, only
        // a go.mod that requires tern makes the directory tern's.
        let module = go_mod_with_tern(&dir.path)?;
        Some(Detection {
            score: 25,
            reason: format!(
                "{n} files `{{n}}_{{name}}.sql`, and `{}` requires github.com/jackc/tern",
                module.display()
            ),
        })
    }

    fn marks(&self, _name: &str, text: &str, _marked: &[(&'static str, Mark)]) -> Option<Mark> {
        (text.contains(MARKER) || text.contains(DISABLE_TX)).then_some(Mark::Identifies)
    }

    fn template(&self) -> Option<Template> {
        Some(Template::Sections("\n---- create above / drop below ----\n"))
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            down_required: false,
            wraps_in_transaction: true,
            // BEGIN, the part as one Exec, COMMIT; with `disable-tx` statement by statement.
            apply: Apply::Statements { transaction: true },
            ..FormatRules::default()
        };
        let mut numbered: Vec<(u64, usize)> = Vec::new();
        for name in &dir.files {
            let Some(n) = parse_name(name) else { continue };
            let raw = dir.read_file(name);
            let file = set.add_file(blank_templates(raw));
            numbered.push((n, file));
            let text = set.file(file).text().to_string();
            let (up_span, down_span) = match text.find(MARKER) {
                Some(at) => (0..at, Some(at + MARKER.len()..text.len())),
                None => (0..text.len(), None),
            };
            let no_tx = |span: &std::ops::Range<usize>| text[span.clone()].lines().any(|l| l == DISABLE_TX);
            let mut up = Script::part(file, up_span.clone());
            up.no_transaction = no_tx(&up_span);
            let down = down_span.filter(|s| !text[s.clone()].trim().is_empty()).map(|s| {
                let mut d = Script::part(file, s.clone());
                d.no_transaction = no_tx(&s);
                d
            });
            if set.file(file).text.is_ok() && !has_sql(&text[up_span.clone()]) {
                set.issues.push(SetIssue::Runner {
                    code: crate::checks::up_without_sql::RULE.code,
                    file,
                    span: 0..0,
                    message: format!(
                        "`{name}` has no SQL before `{MARKER}`: tern refuses the directory (\"no sql in forward migration step\")"
                    ),
                    related: Vec::new(),
                });
            }
            set.migrations.push(Migration {
                version: Version::parse(digits(name)).unwrap_or_else(|| Version::named(name)),
                name: name.clone(),
                up: Some(up),
                down,
                down_name: None,
                needs_down: false,
                dialect: None,
                parents: None,
            });
        }
        sequence(&mut set, &mut numbered);
        set.sort();
        set
    }
}

/// tern's test for SQL in the forward part: a line that is neither blank nor a `--` comment.
fn has_sql(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with("--")
    })
}

/// Reports numbers that break tern's 1…n rule, as tern would: each missing run of numbers, and
/// a zero or a number beyond `int32` (repeats are `duplicate-version`'s).
fn sequence(set: &mut MigrationSet, numbered: &mut [(u64, usize)]) {
    numbered.sort();
    let code = crate::checks::sequence_gap::RULE.code;
    let mut expected = 1u64;
    let mut prev: Option<(u64, usize)> = None;
    for &(n, file) in numbered.iter() {
        let name = set.file(file).file_name().to_string();
        let problem = if n == 0 || n > i32::MAX as u64 {
            Some(format!(
                "`{name}` has sequence number {n}: tern numbers migrations from 1 to 2147483647"
            ))
        } else if prev.is_some_and(|(p, _)| p == n) {
            // A repeated number is `duplicate-version` (tern: "Duplicate migration N").
            None
        } else if n > expected {
            let missing = if n == expected + 1 {
                format!("{expected}")
            } else {
                format!("{expected} to {}", n - 1)
            };
            Some(format!(
                "`{name}` has sequence number {n}, but {missing} is missing: tern fails with \"Missing migration {expected}\""
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            set.issues.push(SetIssue::Runner {
                code,
                file,
                span: 0..0,
                message,
                related: Vec::new(),
            });
        }
        if n >= expected && n != 0 {
            expected = n + 1;
        }
        prev = Some((n, file));
    }
}

/// A copy of the file with each Go template action (`{{ … }}`) replaced by spaces (newlines
/// kept), so the SQL around it is judged and the template syntax is not.
pub(super) fn blank_templates(file: SourceFile) -> SourceFile {
    let Ok(text) = &file.text else { return file };
    if !text.contains("{{") {
        return file;
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut i = 0;
    while let Some(open) = text[i..].find("{{").map(|o| o + i) {
        let close = text[open..].find("}}").map_or(text.len(), |c| open + c + 2);
        for b in &mut bytes[open..close] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        i = close;
    }
    match String::from_utf8(bytes) {
        Ok(out) => {
            let mut copy = file.derived(out);
            copy.derived = false;
            copy
        }
        Err(_) => file,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sql() {
        assert_eq!(parse_name("001_create_users.sql"), Some(1));
        assert_eq!(parse_name("0010_x.sql"), Some(10));
        assert_eq!(parse_name("001_.sql"), None);
        assert_eq!(parse_name("001-x.sql"), None);
        assert!(has_sql("-- c\n\n create table t();"));
        assert!(!has_sql("-- only\n   \n-- comments"));
    }
}
