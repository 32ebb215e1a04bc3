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
mod listing;
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
mod walk;

pub use listing::{DirListing, join_display};
pub use walk::{NOT_MIGRATIONS, Override, canonical, display_of, find, walk};

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::model::{MigrationSet, SetIssue};

/// What one `.sql` file of a directory looks like to each format: the formats whose marks its
/// content carries (read once, shared by all detectors and the mixed-formats check).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sniff {
    pub name: String,
    /// The formats whose marks the file carries ([`Format::marks`]), in [`FORMATS`] order.
    pub marks: Vec<(&'static str, Mark)>,
}

/// What a mark in a file's content says (see [`Format::marks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The file is of this format (`-- +goose Up`): a file of another format's directory
    /// carrying it is mixed in.
    Identifies,
    /// The file suits this format (a `-- no-transaction` first line), which counts for detection
    /// only.
    Suits,
}

impl Sniff {
    /// Whether the file carries `format`'s marks.
    pub fn has(&self, format: &str) -> bool {
        self.marks.iter().any(|(f, _)| *f == format)
    }

    /// The format this file is of, by its content first, then by its name.
    fn format(&self) -> Option<&'static str> {
        self.marks
            .iter()
            .find(|(_, m)| *m == Mark::Identifies)
            .map(|(f, _)| *f)
            .or_else(|| FORMATS.iter().find(|f| f.names_file(&self.name)).map(|f| f.name()))
    }
}

/// The marks of file `name` whose content is `text`, asking every format.
pub(crate) fn sniff_file(name: &str, text: &str) -> Sniff {
    let mut marks: Vec<(&'static str, Mark)> = Vec::new();
    for format in FORMATS {
        if let Some(mark) = format.marks(name, text, &marks) {
            marks.push((format.name(), mark));
        }
    }
    Sniff {
        name: name.to_string(),
        marks,
    }
}

/// How `migproof new` lays out a new migration (`{version}_{title}` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// `.up.EXT` and `.down.EXT` files (the extension of the latest migration's up).
    Pair,
    /// Like [`Template::Pair`], but one `.sql` file when the latest migration is a single file
    /// with no down (sqlx's simple migrations).
    PairOrSingle,
    /// One `.sql` file holding this text (the up and down section markers).
    Sections(&'static str),
}

/// The formats `migproof new` can scaffold.
pub fn scaffolded_formats() -> String {
    FORMATS
        .iter()
        .filter(|f| f.template().is_some())
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
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
    /// What a `.sql` file's content says about this format, given the marks of the formats
    /// before it in [`FORMATS`] (`marked`): `None` when it carries none of its marks.
    fn marks(&self, _name: &str, _text: &str, _marked: &[(&'static str, Mark)]) -> Option<Mark> {
        None
    }
    /// How `migproof new` creates a migration in this format; `None`: it cannot.
    fn template(&self) -> Option<Template> {
        None
    }
    /// Whether a file of this name is of this format by its name alone (for mixed-formats:
    /// `V1__x.sql` in a goose directory).
    fn names_file(&self, _name: &str) -> bool {
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
    &goose::GOOSE,
    &dbmate::DBMATE,
    &sql_migrate::SQL_MIGRATE,
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

/// Loads a found directory and notes the files in it that carry another format's marks.
pub fn load(found: &Found) -> MigrationSet {
    let mut set = found.format.load(&found.dir);
    // How the runner sends each script (for the round-trip), from the format's rules.
    let rules = set.rules;
    for m in &mut set.migrations {
        for script in m.up.iter_mut().chain(m.down.iter_mut()) {
            script.apply = rules.apply(script.no_transaction);
        }
    }
    let own = rules.family.unwrap_or(found.format.name());
    let mut others: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for sniff in found.dir.sniff() {
        // A file is of the format that identifies it (its marks or its name): mixed in
        // unless the set's format shares that layout.
        if let Some(format) = sniff.format()
            && format != own
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
