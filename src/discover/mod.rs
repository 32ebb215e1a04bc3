//! Finding migration directories and loading them into the model.
//!
//! Each format is one file here implementing [`Format`]: `detect` looks at a directory's file
//! names (cheap, no reading) and says how well the format fits; `load` reads the files into a
//! [`MigrationSet`]. The checks never see a format, only the model.

mod dbmate;
mod diesel;
mod flyway;
mod golang_migrate;
mod goose;
mod pairs;
mod pop;
mod prisma;
mod psql_rollback;
mod refinery;
pub mod sections;
mod sourcegraph;
mod sql_migrate;
mod sqlx;
mod ts_registry;
mod typeorm;
mod typescript;

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::error::Error;
use crate::model::{MigrationSet, SetIssue};

/// The distinctive marks of one `.sql` file of a directory, read once and shared by all
/// detectors (and by the mixed-formats check).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sniff {
    pub name: String,
    /// Has a `-- +goose Up` line.
    pub goose: bool,
    /// Has a `-- migrate:up` line.
    pub dbmate: bool,
    /// Has a `-- +migrate Up` line.
    pub sql_migrate: bool,
    /// Ends with a commented-out rollback section.
    pub rollback: bool,
    /// Starts with sqlx's `-- no-transaction` line.
    pub no_transaction: bool,
}

impl Sniff {
    fn of(name: &str, text: &str) -> Sniff {
        let has_up = |dialect: &sections::Dialect, needle: &str| {
            text.contains(needle)
                && text
                    .lines()
                    .any(|l| matches!((dialect.classify)(l), Some((sections::Marker::Up, _))))
        };
        let goose = text.to_ascii_lowercase().contains("+goose") && has_up(&goose::DIALECT, "");
        let dbmate = has_up(&dbmate::DIALECT, "migrate:up");
        let sql_migrate = has_up(&sql_migrate::DIALECT, "+migrate Up");
        Sniff {
            name: name.to_string(),
            goose,
            dbmate,
            sql_migrate,
            rollback: !(goose || dbmate || sql_migrate)
                && pairs::parse_pair_name(name).is_none()
                && psql_rollback::find_rollback(text).is_some_and(|r| !r.comment_marks.is_empty()),
            no_transaction: text.starts_with(sqlx::NO_TRANSACTION),
        }
    }

    /// The format whose marks this file carries, by its content first, then by its name.
    fn format(&self) -> Option<&'static str> {
        if self.goose {
            Some("goose")
        } else if self.dbmate {
            Some("dbmate")
        } else if self.sql_migrate {
            Some("sql-migrate")
        } else if pairs::parse_pair_name(&self.name).is_some() {
            Some("golang-migrate")
        } else if flyway::parse_name(&self.name).is_some() {
            Some("flyway")
        } else {
            None
        }
    }
}

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
    /// The marks of its `.sql` files, read on first use.
    sniffed: OnceLock<Vec<Sniff>>,
    /// The bytes the sniff read, kept until a loader asks for them (each file is read once).
    prefetched: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    /// File contents held in memory instead of on disk (the directory as it was at a git
    /// base); `None` for a real directory.
    memory: Option<BTreeMap<String, Vec<u8>>>,
    /// Files whose content is given instead of read (`check -`: standard input stands for one
    /// file), by name or `subdirectory/name`.
    overlay: BTreeMap<String, Vec<u8>>,
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
            // The entry's own type needs no extra system call; only a symlink is followed for
            // the kind of what it points to (a dangling link counts as a file: it is unreadable).
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_symlink() => std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()),
                Ok(t) => t.is_dir(),
                Err(_) => false,
            };
            if is_dir {
                dirs.push(name);
            } else {
                files.push(name);
            }
        }
        files.sort();
        dirs.sort();
        Ok(DirListing {
            memory: None,
            overlay: BTreeMap::new(),
            path: path.to_path_buf(),
            display: display.to_string(),
            files,
            dirs,
            sniffed: OnceLock::new(),
            prefetched: Arc::default(),
        })
    }

    /// The marks of every `.sql` file of this directory (read once, on first use; a file that
    /// cannot be read has none).
    pub fn sniff(&self) -> &[Sniff] {
        self.sniffed.get_or_init(|| {
            // A file that cannot be read has no marks and is not kept: its loader reads it
            // again and reports why it is unreadable.
            let read: Vec<(Sniff, Option<Vec<u8>>)> = self
                .files
                .par_iter()
                .filter(|f| f.to_ascii_lowercase().ends_with(".sql"))
                .map(|f| match self.read_bytes(f) {
                    Ok(bytes) => (Sniff::of(f, &String::from_utf8_lossy(&bytes)), Some(bytes)),
                    Err(_) => (Sniff::of(f, ""), None),
                })
                .collect();
            let mut prefetched = self.prefetched.lock().unwrap_or_else(|e| e.into_inner());
            read.into_iter()
                .map(|(sniff, bytes)| {
                    if let Some(bytes) = bytes {
                        prefetched.insert(sniff.name.clone(), bytes);
                    }
                    sniff
                })
                .collect()
        })
    }

    /// The display path of an entry of this directory.
    pub fn child_display(&self, name: &str) -> String {
        join_display(&self.display, name)
    }

    /// A listing of files held in memory (name → content), shown as directory `display` at
    /// `path`. Formats load it like a real directory, without touching the disk.
    /// Names with a `/` are files of a subdirectory (`2017_x/up.sql`).
    pub fn in_memory(path: &Path, display: &str, files: BTreeMap<String, Vec<u8>>) -> DirListing {
        let mut dirs: Vec<String> = files
            .keys()
            .filter_map(|k| k.split_once('/'))
            .map(|(d, _)| d.to_string())
            .collect();
        dirs.dedup();
        DirListing {
            path: path.to_path_buf(),
            display: display.to_string(),
            files: files.keys().filter(|k| !k.contains('/')).cloned().collect(),
            dirs,
            sniffed: OnceLock::new(),
            prefetched: Arc::default(),
            memory: Some(files),
            overlay: BTreeMap::new(),
        }
    }

    /// This listing with file `rel` (a name, or `subdirectory/name`) holding `bytes` instead
    /// of what the disk has (`check - --stdin-filename`); the file need not exist on disk.
    pub fn with_overlay(mut self, rel: &str, bytes: Vec<u8>) -> DirListing {
        let (list, entry) = match rel.split_once('/') {
            None => (&mut self.files, rel),
            Some((dir, _)) => (&mut self.dirs, dir),
        };
        if let Err(at) = list.binary_search_by(|n| n.as_str().cmp(entry)) {
            list.insert(at, entry.to_string());
        }
        self.overlay.insert(rel.to_string(), bytes);
        self
    }

    /// Whether `rel` (a name, or `subdirectory/name`) is a file of this directory.
    pub fn has_file(&self, rel: &str) -> bool {
        if self.overlay.contains_key(rel) {
            return true;
        }
        match &self.memory {
            Some(files) => files.contains_key(rel),
            None => self.path.join(rel).is_file(),
        }
    }

    /// The listing of subdirectory `name` (from memory when this listing is).
    pub fn subdir(&self, name: &str) -> Result<DirListing, Error> {
        let display = self.child_display(name);
        match &self.memory {
            Some(files) => {
                let prefix = format!("{name}/");
                let inner = files
                    .iter()
                    .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|rest| (rest.to_string(), v.clone())))
                    .collect();
                Ok(DirListing::in_memory(&self.path.join(name), &display, inner))
            }
            None => {
                let prefix = format!("{name}/");
                let mut listing = DirListing::read(&self.path.join(name), &display)?;
                for (rel, bytes) in &self.overlay {
                    if let Some(rest) = rel.strip_prefix(&prefix) {
                        listing = listing.with_overlay(rest, bytes.clone());
                    }
                }
                Ok(listing)
            }
        }
    }

    /// The bytes of an entry of this directory.
    pub fn read_bytes(&self, name: &str) -> std::io::Result<Vec<u8>> {
        if let Some(bytes) = self.overlay.get(name) {
            return Ok(bytes.clone());
        }
        let prefetched = self.prefetched.lock().unwrap_or_else(|e| e.into_inner()).remove(name);
        if let Some(bytes) = prefetched {
            return Ok(bytes);
        }
        match &self.memory {
            Some(files) => files
                .get(name)
                .cloned()
                .ok_or_else(|| std::io::ErrorKind::NotFound.into()),
            None => crate::model::read_limited(&self.path.join(name)),
        }
    }

    /// Reads an entry of this directory.
    pub fn read_file(&self, name: &str) -> crate::model::SourceFile {
        let path = self.path.join(name);
        let display = self.child_display(name);
        crate::model::SourceFile::from_bytes(path, display, self.read_bytes(name))
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

impl Detection {
    /// A detection when `count` files (or folders) fit the format, with the reason made only then.
    pub fn if_found(count: usize, score: u32, reason: impl FnOnce() -> String) -> Option<Detection> {
        (count > 0).then(|| Detection {
            score,
            reason: reason(),
        })
    }
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
    /// The format keeps each migration in a subdirectory of its own (diesel, sourcegraph), so
    /// the subdirectories of a directory in this format are never migration sets themselves.
    fn claims_subdirectories(&self) -> bool {
        false
    }
}

/// Every format migproof knows, most specific first (on equal scores the earlier one wins).
///
/// Scores: sourcegraph's `metadata.yaml` folders 40; refinery's Rust hints 35 (above Flyway,
/// which also fits); content markers (goose, dbmate, sql-migrate) and dedicated layouts
/// (Flyway names, Prisma and diesel folders, TypeScript registries, TypeORM names) 30; the psql
/// rollback section and pop's dialect suffixes 25; sqlx 20; golang-migrate 10. So
/// `-- +goose Up` beats the plain `{version}_{name}.sql` that sqlx also accepts.
pub static FORMATS: &[&dyn Format] = &[
    &goose::Goose,
    &dbmate::Dbmate,
    &sql_migrate::SqlMigrate,
    &sourcegraph::Sourcegraph,
    &refinery::Refinery,
    &flyway::Flyway,
    &prisma::Prisma,
    &diesel::Diesel,
    &ts_registry::TsRegistry,
    &typeorm::TypeOrm,
    &psql_rollback::PsqlRollback,
    &pop::Pop,
    &sqlx::Sqlx,
    &golang_migrate::GolangMigrate,
];

/// A format by its name (`goose`), as given to `--format-of`.
pub fn format_named(name: &str) -> Option<&'static dyn Format> {
    FORMATS.iter().copied().find(|f| f.name() == name)
}

/// The names of every format, comma-separated (for messages).
pub fn format_names() -> String {
    FORMATS.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

/// The format that fits `dir` best, with why. When several fit, the reason names the ones
/// that lost, so `--verbose` says why this one was preferred.
pub fn detect(dir: &DirListing) -> Option<(&'static dyn Format, Detection)> {
    let mut fits: Vec<(&'static dyn Format, Detection)> = FORMATS
        .par_iter()
        .filter_map(|&f| f.detect(dir).map(|d| (f, d)))
        .collect();
    // Stable: on equal scores the format listed first stays first.
    fits.sort_by_key(|f| std::cmp::Reverse(f.1.score));
    let mut fits = fits.into_iter();
    let (format, mut detection) = fits.next()?;
    let losers: Vec<String> = fits.map(|(f, d)| format!("{} (score {})", f.name(), d.score)).collect();
    if !losers.is_empty() {
        detection.reason = format!(
            "{}; preferred (score {}) over {}",
            detection.reason,
            detection.score,
            losers.join(", ")
        );
    }
    Some((format, detection))
}

/// Groups formats that share file layouts (sqlx, pop and golang-migrate pairs, Flyway and
/// refinery names), so files of one do not count as mixed with the other.
fn family(format: &str) -> &str {
    match format {
        "sqlx" | "pop" => "golang-migrate",
        "refinery" => "flyway",
        other => other,
    }
}

/// Loads a found directory and notes the files in it that carry another format's marks.
pub fn load(found: &Found) -> MigrationSet {
    let mut set = found.format.load(&found.dir);
    // How the runner sends each script (for the round-trip), from one table for every format.
    let format = set.format;
    for m in &mut set.migrations {
        for script in m.up.iter_mut().chain(m.down.iter_mut()) {
            script.apply = crate::model::Apply::of(format, script.no_transaction);
        }
    }
    let own = family(found.format.name());
    let mut others: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for sniff in found.dir.sniff() {
        if let Some(format) = sniff.format()
            && family(format) != own
        {
            others
                .entry(format)
                .or_default()
                .push(found.dir.child_display(&sniff.name));
        }
    }
    for (format, files) in others {
        set.issues.push(SetIssue::MixedFormats { format, files });
    }
    set
}

/// A directory found to hold migrations, with the format chosen for it.
pub struct Found {
    pub dir: DirListing,
    pub format: &'static dyn Format,
    pub detection: Detection,
}

/// Subfolders of a migration directory that hold test data or seeds, not migrations.
pub(crate) const NOT_MIGRATIONS: &[&str] = &["testdata", "fixtures", "seeds"];

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

/// The parsers that live inside the formats, reachable for the fuzz targets (`fuzz/`) and the
/// property tests. Not a stable interface.
#[doc(hidden)]
pub mod parsers {
    use crate::model::Version;

    pub use super::flyway::{FlywayName, parse_name as flyway_name};
    pub use super::pairs::{PairName, parse_pair_name};
    pub use super::psql_rollback::{Rollback, find_rollback};
    pub use super::sections::{Dialect, Marker, Split, split};
    pub use super::typescript::{SqlLiteral, by_direction, functions, sql_literals, without_comments};

    /// The marker dialects of the sectioned formats: goose, dbmate, sql-migrate.
    pub static DIALECTS: [&Dialect; 3] = [
        &super::goose::DIALECT,
        &super::dbmate::DIALECT,
        &super::sql_migrate::DIALECT,
    ];

    /// What each format's file (or folder) name parser makes of `name`: the format and the
    /// version and title it reads, or `None` when that format does not take the name.
    pub fn names(name: &str) -> Vec<(&'static str, Option<(Version, String)>)> {
        let folder = |re: &regex::Regex| {
            re.captures(name)
                .and_then(|c| Some((Version::parse(&c[1])?, c[2].to_string())))
        };
        vec![
            ("golang-migrate", parse_pair_name(name).map(|p| (p.version, p.title))),
            ("goose", super::goose::parse_name(name)),
            ("dbmate", super::dbmate::parse_name(name)),
            ("sql-migrate", super::sql_migrate::parse_name(name)),
            ("psql-rollback", super::psql_rollback::parse_name(name)),
            (
                "flyway",
                flyway_name(name).map(|f| {
                    let version = f.version.unwrap_or_else(|| Version::named(""));
                    (version, f.description)
                }),
            ),
            (
                "refinery",
                super::refinery::parse_name(name).map(|(_, v, title, _)| (v, title)),
            ),
            ("diesel", super::diesel::parse_dir(name)),
            ("sqlx", super::sqlx::parse_simple(name)),
            ("pop", super::pop::parse(name).map(|p| (p.pair.version, p.pair.title))),
            ("typeorm", super::typeorm::parse_module(name)),
            ("ts-registry", super::ts_registry::parse_module(name)),
            ("prisma", folder(&super::prisma::FOLDER)),
            ("sourcegraph", folder(&super::sourcegraph::DIR)),
        ]
    }
}
