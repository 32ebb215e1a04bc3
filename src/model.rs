//! The migration set: what discovery hands to the checks.
//!
//! A [`MigrationSet`] is one migration directory in one format. It owns the files it read
//! ([`SourceFile`]); migrations point into them by index, and every script is a byte range of
//! its file, so a finding can always be mapped back to file, line and column.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::sql::ParsedSql;

/// A migration version, compared the way runners compare them: numerically, part by part.
///
/// `1`, `001` and `0001` are the same version. Versions are kept as digit strings, so a
/// 40-digit version does not overflow. A dotted Flyway-style version (`17.1`) has several parts.
#[derive(Debug, Clone, Eq)]
pub struct Version {
    /// The version as written in the file name (`000056`).
    pub text: String,
    /// Numeric parts with leading zeros removed (`["56"]`).
    parts: Vec<String>,
}

impl Version {
    /// Builds a version from its written form; every run of digits is one part.
    pub fn parse(text: &str) -> Option<Version> {
        let parts: Vec<String> = text
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| {
                let trimmed = p.trim_start_matches('0');
                if trimmed.is_empty() {
                    "0".to_string()
                } else {
                    trimmed.to_string()
                }
            })
            .collect();
        if parts.is_empty() {
            return None;
        }
        Some(Version {
            text: text.to_string(),
            parts,
        })
    }

    /// The version as a single integer, when it has one part that fits in a `u128`.
    pub fn as_number(&self) -> Option<u128> {
        match self.parts.as_slice() {
            [one] => one.parse().ok(),
            _ => None,
        }
    }

    /// The digits of the version as written (leading zeros kept), when it has a single part.
    pub fn digits(&self) -> Option<&str> {
        (self.parts.len() == 1).then_some(self.text.as_str())
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        // Numbers without leading zeros compare by length first, then digit by digit.
        let key = |p: &String| (p.len(), p.clone());
        self.parts.iter().map(key).cmp(other.parts.iter().map(key))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a file's text could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The OS refused to read it (permission denied, vanished, …).
    Io(String),
    /// The bytes are not UTF-8; `offset` is the first bad byte.
    NotUtf8 { offset: usize },
    /// The file contains a NUL byte at `offset`.
    NulByte { offset: usize },
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Io(e) => write!(f, "cannot be read: {e}"),
            Unreadable::NotUtf8 { offset } => {
                write!(f, "is not valid UTF-8 (first bad byte at offset {offset})")
            }
            Unreadable::NulByte { offset } => write!(f, "contains a NUL byte at offset {offset}"),
        }
    }
}

/// One file of a migration set, as read from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Where it is on disk.
    pub path: PathBuf,
    /// The path as the user would type it, relative to the current directory.
    pub display: String,
    /// The text, or why there is none.
    pub text: Result<Arc<str>, Unreadable>,
}

impl SourceFile {
    /// Reads a file, turning every failure into an [`Unreadable`] instead of an error.
    pub fn read(path: PathBuf, display: String) -> SourceFile {
        let text = match std::fs::read(&path) {
            Err(e) => Err(Unreadable::Io(e.kind().to_string())),
            Ok(bytes) => decode(bytes),
        };
        SourceFile { path, display, text }
    }

    /// The file's text, or "" when it could not be read.
    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    /// The file name (last path component).
    pub fn file_name(&self) -> &str {
        self.display.rsplit(['/', '\\']).next().unwrap_or(&self.display)
    }
}

fn decode(bytes: Vec<u8>) -> Result<Arc<str>, Unreadable> {
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(Unreadable::NulByte { offset });
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Arc::from(s)),
        Err(e) => Err(Unreadable::NotUtf8 {
            offset: e.utf8_error().valid_up_to(),
        }),
    }
}

/// Index of a file in [`MigrationSet::files`].
pub type FileId = usize;

/// How a format's runner sends a script to the server. `--roundtrip` applies scripts exactly
/// this way, or it would prove the wrong thing (a lone `CREATE INDEX CONCURRENTLY` works as one
/// simple query and fails inside `BEGIN`). Format loaders set it; a new format only picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Apply {
    /// The whole script as one simple query, which the server runs as one implicit transaction
    /// (golang-migrate; sqlx with `-- no-transaction`).
    #[default]
    OneQuery,
    /// `BEGIN`, the whole script as one query, `COMMIT` (sqlx, diesel, dbmate).
    Transaction,
    /// Statement by statement: inside one transaction (goose), or each on its own in autocommit
    /// (psql files, goose `NO TRANSACTION`).
    Statements { transaction: bool },
}

/// The SQL one direction of a migration runs: a byte range of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub file: FileId,
    /// The part of the file that is this script (the whole file for pair formats).
    pub span: Range<usize>,
    /// The runner sends this script outside a transaction.
    pub no_transaction: bool,
    /// How the runner sends it (see [`Apply`]).
    pub apply: Apply,
    /// Statements, syntax errors and meta-commands; filled by [`crate::analyze`].
    pub sql: Option<ParsedSql>,
}

impl Script {
    /// A script that is the whole of `file`, whose text is `text`.
    pub fn whole(file: FileId, text: &str) -> Script {
        Script {
            file,
            span: 0..text.len(),
            no_transaction: false,
            apply: Apply::OneQuery,
            sql: None,
        }
    }
}

/// One migration: a version with its up and (optional) down.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: Version,
    /// The title as written in the up's name (or the down's, for an orphan down).
    pub name: String,
    pub up: Option<Script>,
    pub down: Option<Script>,
    /// The title written in the down's file name, where it differs from the up's.
    pub down_name: Option<String>,
    /// The format expects a down for this migration (false for sqlx's simple migrations).
    pub needs_down: bool,
}

impl Migration {
    /// The file that represents this migration in findings: the up, else the down.
    pub fn primary_file(&self) -> FileId {
        self.up
            .as_ref()
            .or(self.down.as_ref())
            .map(|s| s.file)
            .expect("a migration has a script")
    }

    /// Every file this migration's scripts live in (one for single-file formats).
    pub fn files(&self) -> Vec<FileId> {
        let mut files: Vec<FileId> = self.up.iter().chain(&self.down).map(|s| s.file).collect();
        files.dedup();
        files
    }
}

/// A file in a migration directory that the format's runner would not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrayFile {
    pub display: String,
    /// Why the runner skips it, in a few words.
    pub reason: String,
}

/// The facts about a migration directory that the checks need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatRules {
    /// The format has down migrations, so an up without a down is a finding.
    pub has_downs: bool,
    /// A missing down is an error (true) or only a warning (false).
    pub down_required: bool,
    /// psql meta-commands (`\set`) are legal because psql runs the files.
    pub psql_meta_allowed: bool,
}

/// One migration directory, loaded.
#[derive(Debug, Clone)]
pub struct MigrationSet {
    /// The directory as the user would type it.
    pub display: String,
    pub path: PathBuf,
    /// The format's name as used in reports (`golang-migrate`, `sqlx`, …).
    pub format: &'static str,
    pub rules: FormatRules,
    pub files: Vec<SourceFile>,
    /// Sorted by version, then by file name.
    pub migrations: Vec<Migration>,
    pub stray: Vec<StrayFile>,
}

impl MigrationSet {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// Adds a file and returns its id.
    pub fn add_file(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        self.files.len() - 1
    }

    /// Sorts migrations by version, then by the name of their first file.
    pub fn sort(&mut self) {
        let files = &self.files;
        self.migrations.sort_by(|a, b| {
            a.version
                .cmp(&b.version)
                .then_with(|| files[a.primary_file()].display.cmp(&files[b.primary_file()].display))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(v("1"), v("001"));
        assert!(v("9") < v("10"));
        assert!(v("0009") < v("010"));
        assert!(v("17.1") < v("17.2"));
        assert!(v("17.2") < v("18"));
        assert!(v("99999999999999999999999999999999999999999") > v("1"));
        assert_eq!(v("000056").as_number(), Some(56));
        assert!(Version::parse("abc").is_none());
    }

    #[test]
    fn decode_reports_nul_and_bad_utf8() {
        assert_eq!(decode(b"ab\0c".to_vec()), Err(Unreadable::NulByte { offset: 2 }));
        assert_eq!(decode(b"ab\xffc".to_vec()), Err(Unreadable::NotUtf8 { offset: 2 }));
        assert_eq!(decode(b"select 1".to_vec()).unwrap().as_ref(), "select 1");
    }
}
