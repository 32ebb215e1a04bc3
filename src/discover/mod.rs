//! Finding migration directories and loading them into the model.
//!
//! Each format is one file here implementing [`Format`]: `detect` looks at a directory's file
//! names (cheap, no reading) and says how well the format fits; `load` reads the files into a
//! [`MigrationSet`]. The checks never see a format, only the model.

mod golang_migrate;
mod pairs;
mod sqlx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::model::MigrationSet;

/// A directory's entries, read once and shared by all detectors.
#[derive(Debug, Clone)]
pub struct DirListing {
    pub path: PathBuf,
    /// The directory as the user would type it (`.` for the current directory).
    pub display: String,
    /// Names of the regular files in it, sorted.
    pub files: Vec<String>,
    /// Names of its subdirectories, sorted.
    pub dirs: Vec<String>,
}

impl DirListing {
    /// Lists `path` (not recursively).
    pub fn read(path: &Path, display: &str) -> Result<DirListing, Error> {
        let unreadable = |e: std::io::Error| Error::UnreadableDir {
            path: display.to_string(),
            reason: e.kind().to_string(),
        };
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        for entry in std::fs::read_dir(path).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Follow symlinks for the kind; a dangling link counts as a file (it will be unreadable).
            match std::fs::metadata(entry.path()) {
                Ok(m) if m.is_dir() => dirs.push(name),
                _ => files.push(name),
            }
        }
        files.sort();
        dirs.sort();
        Ok(DirListing {
            path: path.to_path_buf(),
            display: display.to_string(),
            files,
            dirs,
        })
    }

    /// The display path of an entry of this directory.
    pub fn child_display(&self, name: &str) -> String {
        join_display(&self.display, name)
    }

    /// Reads an entry of this directory.
    pub fn read_file(&self, name: &str) -> crate::model::SourceFile {
        crate::model::SourceFile::read(self.path.join(name), self.child_display(name))
    }
}

/// Joins a display path and a name the way a user would write it (`./x` is `x`).
pub fn join_display(dir: &str, name: &str) -> String {
    if dir == "." || dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// How well a format fits a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// Higher wins; a more specific format scores above a general one that also fits.
    pub score: u32,
    /// Why, in a few words (shown by `--verbose`).
    pub reason: String,
}

/// One migration layout: how to recognise it and how to load it.
pub trait Format: Sync {
    /// The name used in reports and on the command line (`golang-migrate`).
    fn name(&self) -> &'static str;
    /// Whether this directory is in this format; `None` when it is not.
    fn detect(&self, dir: &DirListing) -> Option<Detection>;
    /// Reads the directory into a migration set. Never fails: unreadable files become part
    /// of the set and are reported by the checks.
    fn load(&self, dir: &DirListing) -> MigrationSet;
}

/// Every format migcheck knows, most specific first.
pub static FORMATS: &[&dyn Format] = &[&sqlx::Sqlx, &golang_migrate::GolangMigrate];

/// The format that fits `dir` best, with why.
pub fn detect(dir: &DirListing) -> Option<(&'static dyn Format, Detection)> {
    let mut best: Option<(&'static dyn Format, Detection)> = None;
    for &format in FORMATS {
        if let Some(d) = format.detect(dir)
            && best.as_ref().is_none_or(|(_, b)| d.score > b.score)
        {
            best = Some((format, d));
        }
    }
    best
}

/// A directory found to hold migrations, with the format chosen for it.
pub struct Found {
    pub dir: DirListing,
    pub format: &'static dyn Format,
    pub detection: Detection,
}

/// Subfolders of a migration directory that hold test data or seeds, not migrations.
const NOT_MIGRATIONS: &[&str] = &["testdata", "fixtures", "seeds"];

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
        // A migration directory's testdata/, fixtures/ and seeds/ are not migration sets.
        let inside_set = found.iter().any(|f| {
            path.strip_prefix(&f.dir.path)
                .ok()
                .and_then(|rest| rest.components().next())
                .is_some_and(|c| NOT_MIGRATIONS.contains(&c.as_os_str().to_string_lossy().as_ref()))
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
