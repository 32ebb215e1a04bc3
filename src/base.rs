//! `check --base REF`: compares each migration directory with its state at a base commit.
//!
//! The directory at `REF` is read with git ([`crate::git`]), written to a temporary directory
//! and loaded by the same [`crate::discover::Format`] as the directory on disk, so every format
//! gets the git-aware checks for free. Reports MC050 (edited), MC051 (deleted or renamed) and
//! MC052 (added below the highest version at `REF`), and tells which files changed, so that the
//! offline findings can be limited to them.

use std::collections::{BTreeMap, BTreeSet};

use crate::checks::{Finding, Location, deleted_applied_migration, edited_applied_migration, out_of_order_migration};
use crate::discover::{self, DirListing};
use crate::error::Error;
use crate::git::{self, Base};
use crate::model::{Migration, MigrationSet, Version};

/// A migration directory as it is at the base commit.
#[derive(Debug)]
pub struct BaseSet {
    pub base: Base,
    /// The directory at the base, loaded; `None` when it did not exist there.
    pub set: Option<MigrationSet>,
    /// Every file directly in the directory at the base: name → content.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl BaseSet {
    /// The highest migration version at the base.
    pub fn highest(&self) -> Option<&Version> {
        self.set.as_ref()?.migrations.iter().map(|m| &m.version).max()
    }
}

/// Reads `set`'s directory at `base` and loads it in `set`'s format.
pub fn load(set: &MigrationSet, base: &Base) -> Result<BaseSet, Error> {
    let Some(files) = git::files_at(&set.path, &set.display, base)? else {
        return Ok(BaseSet {
            base: base.clone(),
            set: None,
            files: BTreeMap::new(),
        });
    };
    let format = discover::format_named(set.format).ok_or_else(|| Error::Git {
        path: set.display.clone(),
        reason: format!("no loader for format `{}`", set.format),
    })?;
    // The directory at the base is loaded from memory: writing it out would cost a file
    // creation per migration, which dominates on large directories.
    let in_memory: BTreeMap<String, Vec<u8>> = files.iter().cloned().collect();
    let listing = DirListing::in_memory(&set.path, &set.display, in_memory);
    let mut loaded = format.load(&listing);
    loaded.path = set.path.clone();
    Ok(BaseSet {
        base: base.clone(),
        set: Some(loaded),
        files: files.into_iter().collect(),
    })
}

/// The bytes with CRLF turned into LF: line-ending churn is not an edit.
fn normalise(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The names of the files in `set`'s directory that migproof knows about (migrations and stray
/// files), with their content on disk.
/// A file's path relative to its set's directory (`up.sql` of diesel's migration `2017_x` is
/// `2017_x/up.sql`): the key files are compared by.
fn relative(set: &MigrationSet, display: &str) -> String {
    if set.display == "." {
        return display.to_string();
    }
    display
        .strip_prefix(&format!("{}/", set.display))
        .unwrap_or(display)
        .to_string()
}

fn current_files(set: &MigrationSet) -> BTreeMap<String, Vec<u8>> {
    let mut names: Vec<String> = set.files.iter().map(|f| relative(set, &f.display)).collect();
    names.extend(set.stray.iter().map(|s| relative(set, &s.display)));
    let scope = crate::read::Scope::of(&set.path);
    names
        .into_iter()
        .map(|n| {
            let bytes = crate::model::read_limited(&set.path.join(&n), Some(&scope)).unwrap_or_default();
            (n, bytes)
        })
        .collect()
}

/// A migration that was added since the base: none of its files exist there.
fn is_new(set: &MigrationSet, m: &Migration, base: &BaseSet) -> bool {
    m.files()
        .iter()
        .all(|&f| !base.files.contains_key(&relative(set, &set.file(f).display)))
}

/// Indices into `set.migrations` of the migrations added since the base (for the lock rules,
/// which treat the tables they create as new).
pub fn new_migrations(set: &MigrationSet, base: &BaseSet) -> Vec<usize> {
    (0..set.migrations.len())
        .filter(|&i| is_new(set, &set.migrations[i], base))
        .collect()
}

/// The new versions `renumber` gives the migrations added since the base, in order: each one
/// that is not above the highest version so far (starting with the base's highest) gets the
/// next version after it. Returns (index into `set.migrations`, new version).
pub fn renumber_plan(set: &MigrationSet, base: &BaseSet) -> Vec<(usize, String)> {
    let Some(highest) = base.highest() else {
        return Vec::new();
    };
    let mut floor = highest.clone();
    let mut plan = Vec::new();
    for (i, m) in set.migrations.iter().enumerate() {
        if !is_new(set, m, base) {
            continue;
        }
        if m.version > floor {
            floor = m.version.clone();
            continue;
        }
        let Some(next) = crate::versions::after(&floor, 1) else {
            continue;
        };
        let Some(v) = Version::parse(&next) else { continue };
        plan.push((i, next));
        floor = v;
    }
    plan
}

/// Compares `set` with the base: pushes the MC05x findings and returns the display paths of the
/// files added or changed since `base`.
///
/// `base` is the directory where the branch left the base ref (the merge base): what databases
/// on the base have applied, so edits and deletions (MC050, MC051) and the files changed are
/// measured from it — a migration the base added since is not "deleted" here. `tip` is the base
/// ref itself: a migration added here must come after its highest version (MC052), because that
/// is what a database on the base will have run when this branch is merged.
pub fn compare(set: &MigrationSet, base: &BaseSet, tip: &BaseSet, out: &mut Vec<Finding>) -> BTreeSet<String> {
    let now = current_files(set);
    let path_of = |name: &str| discover::join_display(&set.display, name);
    let mut changed = BTreeSet::new();
    for (name, bytes) in &now {
        match base.files.get(name) {
            Some(old) if normalise(old) == normalise(bytes) => {}
            _ => {
                changed.insert(path_of(name));
            }
        }
    }
    let at = &base.base.name;
    let applied = base.set.as_ref().map_or(&[][..], |s| s.migrations.as_slice());

    // MC050 and MC051: every file of a migration at the base.
    for m in applied {
        let old_set = base.set.as_ref().expect("migrations come from the set");
        for f in m.files() {
            let name = relative(old_set, &old_set.file(f).display);
            let name = name.as_str();
            let old = normalise(base.files.get(name).map_or(&[][..], |b| b.as_slice()));
            match now.get(name) {
                Some(bytes) => {
                    let new = normalise(bytes);
                    if new != old {
                        out.push(edited(set, name, &old, &new, at));
                    }
                }
                None => {
                    let renamed = now
                        .iter()
                        .find(|(n, b)| !base.files.contains_key(*n) && normalise(b) == old)
                        .map(|(n, _)| n.as_str());
                    let message = match renamed {
                        Some(to) => format!("`{name}` exists at `{at}` but was renamed to `{to}`"),
                        None => format!("`{name}` exists at `{at}` but was deleted"),
                    };
                    out.push(
                        Finding::new(&deleted_applied_migration::RULE, Location::path_only(&path_of(name)), message)
                            .help(format!(
                                "databases that ran it still list version {} as applied: restore it (`git checkout {at} -- {}`) and undo its effect in a new migration",
                                m.version,
                                path_of(name)
                            )),
                    );
                }
            }
        }
    }

    // MC052: migrations added on this branch (in neither the fork point nor the base's tip),
    // not above the highest version at the base's tip.
    if let Some(highest) = tip.highest() {
        let at = &tip.base.name;
        let plan: BTreeMap<usize, String> = renumber_plan(set, tip).into_iter().collect();
        for (i, m) in set.migrations.iter().enumerate() {
            if !is_new(set, m, tip) || !is_new(set, m, base) || m.version > *highest {
                continue;
            }
            let file = m.primary_file();
            let name = relative(set, &set.file(file).display);
            let help = match plan.get(&i) {
                Some(next) => format!(
                    "give it version {next}, after every version at `{at}`: `migproof renumber --base {at} --write` renames the new migrations in order"
                ),
                None => format!("give it a version above {highest}"),
            };
            out.push(
                Finding::new(
                    &out_of_order_migration::RULE,
                    Location::in_file(set, file, 0..0),
                    format!(
                        "`{name}` was added since `{at}` with version {}, but the highest version at `{at}` is {highest}: a database already at {highest} silently skips it",
                        m.version
                    ),
                )
                .label("added out of order")
                .help(help),
            );
        }
    }
    changed
}

/// An MC050 finding for file `name`, pointing at the first line that differs.
fn edited(set: &MigrationSet, name: &str, old: &[u8], new: &[u8], at: &str) -> Finding {
    let path = discover::join_display(&set.display, name);
    let old_lines: Vec<&[u8]> = old.split(|&b| b == b'\n').collect();
    let new_lines: Vec<&[u8]> = new.split(|&b| b == b'\n').collect();
    let first = (0..old_lines.len().max(new_lines.len()))
        .find(|&i| old_lines.get(i) != new_lines.get(i))
        .unwrap_or(0);
    let was = old_lines
        .get(first)
        .map(|l| String::from_utf8_lossy(l).trim().to_string());
    let message = format!(
        "`{name}` exists at `{at}` but was edited since (first difference at line {})",
        first + 1
    );
    let label = match was.filter(|w| !w.is_empty()) {
        Some(w) => format!("at `{at}` this line was `{}`", shorten(&w, 60)),
        None => format!("differs from `{at}`"),
    };
    let help = format!(
        "a migration on `{at}` may already have run, and runners never run it again: restore it (`git checkout {at} -- {path}`) and make the change in a new migration"
    );
    match set.files.iter().position(|f| relative(set, &f.display) == name) {
        Some(id) => {
            // The byte offset of line `first` in the file as it is on disk (CRLF or not).
            let text = set.file(id).text();
            let offset = text
                .match_indices('\n')
                .nth(first.wrapping_sub(1))
                .map_or(0, |(i, _)| i + 1)
                .min(text.len());
            let offset = if first == 0 { 0 } else { offset };
            let end = text[offset..].find(['\r', '\n']).map_or(text.len(), |e| offset + e);
            Finding::new(
                &edited_applied_migration::RULE,
                Location::in_file(set, id, offset..end),
                message,
            )
            .label(label)
            .help(help)
        }
        None => Finding::new(&edited_applied_migration::RULE, Location::path_only(&path), message).help(help),
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// Whether an offline finding concerns a file added or changed since the base (at its own
/// place or one of its related places).
pub fn involves(finding: &Finding, changed: &BTreeSet<String>) -> bool {
    changed.contains(&finding.location.path) || finding.related.iter().any(|r| changed.contains(&r.location.path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_is_not_an_edit() {
        assert_eq!(normalise(b"a\r\nb\r\n"), normalise(b"a\nb\n"));
        assert_ne!(normalise(b"a\nb\n"), normalise(b"a\nc\n"));
        assert_eq!(normalise(b"a\rb"), b"a\rb".to_vec());
    }
}
