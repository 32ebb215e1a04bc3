//! The up/down pair layout shared by golang-migrate and sqlx: `{version}_{title}.up.sql` beside
//! `{version}_{title}.down.sql`. Name parsing, pairing and the "what would the runner skip"
//! rules live here once.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::DirListing;
use crate::model::{FileId, Migration, MigrationSet, Script, StrayFile, Version};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// A file name of the pair layout, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairName {
    pub version: Version,
    pub title: String,
    pub direction: Direction,
    /// The extension after `.up.`/`.down.` (`sql`).
    pub ext: String,
}

static PAIR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_(.*)\.(up|down)\.([A-Za-z0-9]+)$").unwrap());

/// Parses `000001_create_events.up.sql`.
pub fn parse_pair_name(name: &str) -> Option<PairName> {
    let c = PAIR.captures(name)?;
    Some(PairName {
        version: Version::parse(&c[1])?,
        title: c[2].to_string(),
        direction: if &c[3] == "up" { Direction::Up } else { Direction::Down },
        ext: c[4].to_string(),
    })
}

/// Files that are never migrations and never worth a finding: docs, placeholders, dotfiles,
/// and the host project's source code that often lives beside migrations (`migrate.go`).
pub fn always_ignored(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || [
            ".md", ".txt", ".go", ".rs", ".py", ".sh", ".js", ".ts", ".java", ".kt", ".rb", ".toml", ".yaml", ".yml",
            ".json",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

static BACKUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(~|\.bak|\.orig|\.rej|\.swp|\.swo|\.tmp|\.old)$").unwrap());
/// An editor backup or merge leftover (`x.sql~`, `x.sql.orig`, `x.sql.bak`).
pub fn is_leftover(name: &str) -> bool {
    BACKUP.is_match(&name.to_ascii_lowercase())
}

static UNDERSCORE_DIRECTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[0-9]+_.*_(up|down)\.sql$").unwrap());
static WRONG_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[0-9]+[^0-9_].*\.(up|down)\.sql$").unwrap());
static SINGLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[0-9]+_.*\.sql$").unwrap());

/// Why a pair-layout runner would skip `name`, if the file looks like it was meant to be a
/// migration (`None` for files that are plainly something else, such as `migrate.go`).
pub fn stray_reason(name: &str, ext: &str) -> Option<String> {
    if always_ignored(name) {
        return None;
    }
    // The common case first: a well-formed pair with the directory's extension.
    if parse_pair_name(name).is_some_and(|p| p.ext == ext) {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    if BACKUP.is_match(&lower) {
        return Some("is an editor or merge leftover; the runner does not run it".to_string());
    }
    if UNDERSCORE_DIRECTION.is_match(&lower) {
        return Some("has `_up`/`_down` where the runner needs `.up`/`.down`, so it is never run".to_string());
    }
    if WRONG_SEPARATOR.is_match(&lower) {
        return Some("does not have `_` right after the version, so the runner never runs it".to_string());
    }
    if let Some(p) = parse_pair_name(name) {
        if p.ext != ext {
            return Some(format!(
                "has the extension `.{}` where the directory uses `.{ext}`, so it is never run",
                p.ext
            ));
        }
        return None;
    }
    if SINGLE.is_match(&lower) {
        return Some("has no `.up`/`.down` in its name, so the runner never runs it".to_string());
    }
    if lower.contains(".sql") || lower.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(format!(
            "does not match `{{version}}_{{title}}.up.{ext}` or `.down.{ext}`, so the runner never runs it"
        ));
    }
    None
}

/// The migration extension most pair files in `dir` use (`sql` unless the directory says otherwise).
pub fn main_extension(dir: &DirListing) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for name in &dir.files {
        if let Some(p) = parse_pair_name(name) {
            *counts.entry(p.ext).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(ext, n)| (*n, ext == "sql"))
        .map_or_else(|| "sql".to_string(), |(ext, _)| ext)
}

/// Pairs up and down files into migrations.
///
/// Files of one version are paired by exact title first; an up and a down of the same version
/// left over are then paired with each other (a title mismatch); whatever is left stays alone.
pub fn pair(set: &mut MigrationSet, files: Vec<(FileId, PairName)>) {
    let mut by_version: BTreeMap<Version, Vec<(FileId, PairName)>> = BTreeMap::new();
    for (id, name) in files {
        by_version.entry(name.version.clone()).or_default().push((id, name));
    }
    for (_, group) in by_version {
        let (ups, downs): (Vec<_>, Vec<_>) = group.into_iter().partition(|(_, n)| n.direction == Direction::Up);
        let mut downs: Vec<Option<(FileId, PairName)>> = downs.into_iter().map(Some).collect();
        let mut lone_ups = Vec::new();
        for (up_id, up) in ups {
            let exact = downs
                .iter()
                .position(|d| d.as_ref().is_some_and(|(_, n)| n.title == up.title));
            match exact.and_then(|i| downs[i].take()) {
                Some((down_id, _)) => set
                    .migrations
                    .push(migration(set, &up, Some(up_id), Some(down_id), None)),
                None => lone_ups.push((up_id, up)),
            }
        }
        let mut downs = downs.into_iter().flatten();
        for (up_id, up) in lone_ups {
            match downs.next() {
                Some((down_id, down)) => {
                    set.migrations
                        .push(migration(set, &up, Some(up_id), Some(down_id), Some(down.title)))
                }
                None => set.migrations.push(migration(set, &up, Some(up_id), None, None)),
            }
        }
        for (down_id, down) in downs {
            set.migrations.push(migration(set, &down, None, Some(down_id), None));
        }
    }
}

fn migration(
    set: &MigrationSet,
    name: &PairName,
    up: Option<FileId>,
    down: Option<FileId>,
    down_name: Option<String>,
) -> Migration {
    let script = |id: FileId| Script::whole(id, set.file(id).text());
    Migration {
        down_name,
        ..Migration::new(
            name.version.clone(),
            name.title.clone(),
            up.map(script),
            down.map(script),
            set.rules.has_downs,
        )
    }
}

/// Records every file of `dir` that a runner would skip.
pub fn collect_strays(set: &mut MigrationSet, dir: &DirListing, reason: impl Fn(&str) -> Option<String>) {
    for name in &dir.files {
        if let Some(reason) = reason(name) {
            set.stray.push(StrayFile {
                display: dir.child_display(name),
                reason,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pair_names() {
        let p = parse_pair_name("000001_create_event_store.up.sql").unwrap();
        assert_eq!(p.version, Version::parse("1").unwrap());
        assert_eq!(p.title, "create_event_store");
        assert_eq!(p.direction, Direction::Up);
        assert_eq!(parse_pair_name("022_x.down.sql").unwrap().direction, Direction::Down);
        assert!(parse_pair_name("x.up.sql").is_none());
        assert!(parse_pair_name("003-x.up.sql").is_none());
    }

    #[test]
    fn stray_reasons() {
        for name in [
            "003_x.sql",
            "003-x.up.sql",
            "x.up.sql~",
            "003_x.up.sql.bak",
            "0021_x_up.sql",
            "003_x.up.sql.orig",
            ".003_x.up.sql.swp",
        ] {
            let hidden = name.starts_with('.');
            assert_eq!(stray_reason(name, "sql").is_some(), !hidden, "{name}");
        }
        for name in [
            "README.md",
            "notes.txt",
            ".gitkeep",
            "migrate.go",
            "001_a.up.sql",
            "001_a.down.sql",
        ] {
            assert_eq!(stray_reason(name, "sql"), None, "{name}");
        }
    }
}
