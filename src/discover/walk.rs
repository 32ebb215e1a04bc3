//! Finding migration directories: walking a tree, and turning the paths given on the command
//! line into the directories to check with their formats.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{Detection, DirListing, Format, Found, detect, join_display};
use crate::error::Error;

/// Subfolders of a migration directory that hold test data or seeds, not migrations.
pub const NOT_MIGRATIONS: &[&str] = &["testdata", "fixtures", "seeds"];

/// Walks `root` (respecting .gitignore, skipping hidden dirs, `target/` and `node_modules/`)
/// and returns every migration directory in it, sorted by path.
pub fn walk(root: &Path, display: &str) -> Result<Vec<Found>, Error> {
    let mut dirs: BTreeMap<PathBuf, String> = BTreeMap::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.depth() > 0
                && e.file_type().is_some_and(|t| t.is_dir())
                && (name == "target" || name == "node_modules"))
        })
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| Error::Walk {
            path: display.to_string(),
            reason: e.to_string(),
        })?;
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let rel = rel.to_string_lossy().replace('\\', "/");
            let shown = if rel.is_empty() {
                display.to_string()
            } else {
                join_display(display, &rel)
            };
            dirs.insert(entry.path().to_path_buf(), shown);
        }
    }
    let mut found: Vec<Found> = Vec::new();
    for (path, shown) in dirs {
        // A migration directory's testdata/, fixtures/ and seeds/ are not migration sets, and
        // nothing under a directory-per-migration set is.
        let inside_set = found.iter().any(|f| {
            path.strip_prefix(&f.dir.path)
                .ok()
                .and_then(|rest| rest.components().next())
                .is_some_and(|c| {
                    f.format.claims_subdirectories()
                        || NOT_MIGRATIONS.contains(&c.as_os_str().to_string_lossy().as_ref())
                })
        });
        if inside_set {
            continue;
        }
        let listing = DirListing::read(&path, &shown)?;
        if let Some((format, detection)) = detect(&listing) {
            found.push(Found {
                dir: listing,
                format,
                detection,
            });
        }
    }
    Ok(found)
}

/// A directory (canonical) and the format `--format-of` gives it.
pub type Override = (PathBuf, &'static dyn Format);

pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Turns command-line paths into the migration directories to check, without duplicates.
pub fn find(paths: &[PathBuf], overrides: &[Override], notes: &mut Vec<String>) -> Result<Vec<Found>, Error> {
    // The format given by --format-of for a directory, if any.
    let given = |path: &Path| {
        let here = canonical(path);
        overrides
            .iter()
            .find(|(dir, _)| *dir == here)
            .map(|(_, format)| *format)
    };
    let formats = super::format_names;
    let mut found: Vec<Found> = Vec::new();
    if paths.is_empty() {
        found = walk(Path::new("."), ".")?;
        if found.is_empty() {
            return Err(Error::NoMigrations {
                path: ".".into(),
                formats: formats(),
            });
        }
    }
    for path in paths {
        let display = display_of(path);
        let meta = std::fs::metadata(path).map_err(|_| Error::NotFound(display.clone()))?;
        if meta.is_dir() {
            let listing = DirListing::read(path, &display)?;
            if let Some(format) = given(path) {
                found.push(Found {
                    dir: listing,
                    format,
                    detection: Detection {
                        score: 0,
                        reason: String::new(),
                    },
                });
            } else if let Some((format, detection)) = detect(&listing) {
                found.push(Found {
                    dir: listing,
                    format,
                    detection,
                });
            } else {
                let walked = walk(path, &display)?;
                if walked.is_empty() {
                    return Err(Error::NoMigrations {
                        path: display,
                        formats: formats(),
                    });
                }
                found.extend(walked);
            }
        } else {
            // A file (as pre-commit passes them): check its whole directory once.
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let listing = DirListing::read(parent, &display_of(parent))?;
            if let Some((format, detection)) = detect(&listing) {
                found.push(Found {
                    dir: listing,
                    format,
                    detection,
                });
                continue;
            }
            // A file of a directory-per-migration format (`migrations/2017-…_x/up.sql`): the
            // set is the grandparent.
            let grand = parent
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let grand_listing = DirListing::read(grand, &display_of(grand)).ok();
            match grand_listing.and_then(|l| {
                detect(&l)
                    .filter(|(f, _)| f.claims_subdirectories())
                    .map(|(format, detection)| (l, format, detection))
            }) {
                Some((dir, format, detection)) => found.push(Found { dir, format, detection }),
                None => notes.push(format!("{display}: not in a migration directory, skipped")),
            }
        }
    }
    // A directory found by walking (or for a file) takes the format given for it, too.
    for f in &mut found {
        if let Some(format) = given(&f.dir.path) {
            let detected = if f.detection.reason.is_empty() {
                String::new()
            } else {
                format!("; detection said {}: {}", f.format.name(), f.detection.reason)
            };
            f.format = format;
            f.detection.reason = format!("set by --format-of{detected}");
        }
    }
    let mut seen = BTreeSet::new();
    found.retain(|f| seen.insert(std::fs::canonicalize(&f.dir.path).unwrap_or_else(|_| f.dir.path.clone())));
    found.sort_by(|a, b| a.dir.display.cmp(&b.dir.display));
    for f in &found {
        notes.push(format!(
            "{}: {} ({})",
            f.dir.display,
            f.format.name(),
            f.detection.reason
        ));
    }
    Ok(found)
}

/// A path as the user typed it, without a trailing slash or a leading `./`.
pub fn display_of(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s);
    let s = s.trim_end_matches('/');
    if s.is_empty() { ".".to_string() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_what_the_user_typed() {
        assert_eq!(display_of(Path::new("./db/migrations/")), "db/migrations");
        assert_eq!(display_of(Path::new(".")), ".");
        assert_eq!(display_of(Path::new("/abs/x")), "/abs/x");
    }
}
