//! The migration set: what discovery hands to the checks.
//!
//! A [`MigrationSet`] is one migration directory in one format. It owns the files it read
//! ([`SourceFile`]); migrations point into them by index, and every script is a byte range of
//! its file, so a finding can always be mapped back to file, line and column.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use crate::sql::ParsedSql;

/// A migration version, compared the way runners compare them: numerically, part by part.
///
/// `1`, `001` and `0001` are the same version. Versions are kept as digit strings, so a
/// 40-digit version does not overflow. A dotted Flyway-style version (`17.1`) has several parts.
#[derive(Debug, Clone, Eq)]
pub struct Version {
    /// The version as written in the file name (`000056`).
    pub text: String,
    /// Numeric parts with leading zeros removed (`["56"]`); for a lexical version, its one
    /// digit string as written.
    parts: Vec<String>,
    /// A name without a number (sql-migrate's `init.sql`): sorts after every number, by text.
    named: bool,
    /// Compared as a string of digits (diesel), not as a number.
    lexical: bool,
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
            named: false,
            lexical: false,
        })
    }

    /// A version that is a whole name compared as text, after every numeric version (how
    /// sql-migrate orders files without a leading number).
    pub fn named(text: &str) -> Version {
        Version {
            text: text.to_string(),
            parts: Vec::new(),
            named: true,
            lexical: false,
        }
    }

    /// Whether this is a [`Version::named`] version.
    pub fn is_named(&self) -> bool {
        self.named
    }

    /// A version that is the digits of `text` (separators dropped) compared as a string, the
    /// way diesel compares them: `2017-08-31-230457` is `20170831230457`, and of two digit
    /// strings where one starts the other, the shorter sorts first.
    pub fn digit_string(text: &str) -> Option<Version> {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return None;
        }
        Some(Version {
            text: digits.clone(),
            parts: vec![digits],
            named: false,
            lexical: true,
        })
    }

    /// The version is compared as a digit string ([`Version::digit_string`]), so versions of
    /// different lengths do not sort by length.
    pub fn is_lexical(&self) -> bool {
        self.lexical
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
        if self.lexical || other.lexical {
            return self.parts.cmp(&other.parts);
        }
        // Numbers without leading zeros compare by length first, then digit by digit; names
        // come after every number.
        let key = |p: &String| (p.len(), p.clone());
        self.named
            .cmp(&other.named)
            .then_with(|| self.parts.iter().map(key).cmp(other.parts.iter().map(key)))
            .then_with(|| {
                if self.named {
                    self.text.cmp(&other.text)
                } else {
                    Ordering::Equal
                }
            })
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
    /// Larger than `--max-file-size`: not read at all. The text gives both sizes.
    TooLarge(String),
    /// Not read at all: not a regular file, or a link out of the repository.
    Refused(crate::read::Refusal),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Io(e) => write!(f, "cannot be read: {e}"),
            Unreadable::NotUtf8 { offset } => {
                write!(f, "is not valid UTF-8 (first bad byte at offset {offset})")
            }
            Unreadable::NulByte { offset } => write!(f, "contains a NUL byte at offset {offset}"),
            Unreadable::TooLarge(why) => f.write_str(why),
            Unreadable::Refused(why) => write!(f, "{why}"),
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
    /// A rewritten copy of another file of the set (same path, same byte offsets), such as a
    /// commented-out rollback with its `--` blanked out. Not counted as a file of its own.
    pub derived: bool,
}

impl SourceFile {
    /// A file whose bytes were read elsewhere (from disk, or from git).
    pub fn from_bytes(path: PathBuf, display: String, bytes: std::io::Result<Vec<u8>>) -> SourceFile {
        let text = match bytes {
            // Over the size limit: the message says by how much and how to raise it.
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Err(Unreadable::TooLarge(e.to_string())),
            Err(e) if crate::read::refusal(&e).is_some() => {
                Err(Unreadable::Refused(crate::read::refusal(&e).cloned().expect("checked")))
            }
            Err(e) => Err(Unreadable::Io(e.kind().to_string())),
            Ok(bytes) => decode(bytes),
        };
        SourceFile {
            path,
            display,
            text,
            derived: false,
        }
    }

    /// A copy of this file whose text is `text`, which must keep every byte offset and line of
    /// the original (only characters replaced by spaces, say).
    pub fn derived(&self, text: String) -> SourceFile {
        SourceFile {
            path: self.path.clone(),
            display: self.display.clone(),
            text: Ok(Arc::from(text)),
            derived: true,
        }
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

/// Files larger than this are reported instead of read and parsed (`--max-file-size`).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 32 << 20;

static MAX_FILE_SIZE: AtomicU64 = AtomicU64::new(DEFAULT_MAX_FILE_SIZE);

/// Sets the size above which files are not read (for the whole process: one run, one limit).
pub fn set_max_file_size(bytes: u64) {
    MAX_FILE_SIZE.store(bytes, AtomicOrdering::Relaxed);
}

/// Reads a file through [`crate::read::read`] with the size limit (an error of kind
/// `FileTooLarge` over it), refusing what is not a regular file; `scope` keeps it inside its
/// repository.
pub fn read_limited(path: &std::path::Path, scope: Option<&crate::read::Scope>) -> std::io::Result<Vec<u8>> {
    crate::read::read(path, scope, max_file_size())
}

/// The size above which files are not read.
pub fn max_file_size() -> u64 {
    MAX_FILE_SIZE.load(AtomicOrdering::Relaxed)
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

impl Apply {
    /// How a script is sent that opted out of a transaction (`-- +goose NO TRANSACTION`,
    /// `transaction:false`, `run_in_transaction = false`, `-- no-transaction`, pop's
    /// `.autocommit`, sourcegraph's `createIndexConcurrently`), when a script that did not is
    /// sent as `self`.
    pub fn without_transaction(self) -> Apply {
        match self {
            Apply::Transaction => Apply::OneQuery,
            Apply::Statements { .. } => Apply::Statements { transaction: false },
            Apply::OneQuery => Apply::OneQuery,
        }
    }
}

/// What `missing-down` suggests adding, in the format's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DownHint {
    /// A `.down.` file beside the `.up.` one.
    #[default]
    PairFile,
    /// A section starting with this marker (`-- +goose Down`).
    Section(&'static str),
    /// A commented `-- Rollback` section at the bottom of the file (psql files).
    RollbackComment,
    /// A Flyway undo migration, `U{version}__{name}.sql`.
    FlywayUndo,
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
    /// Further byte ranges of the same file that belong to this script but are sent to the
    /// server separately (one per `db.exec(…)` call after the first); analysed each on its own.
    pub more_spans: Vec<Range<usize>>,
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
            more_spans: Vec::new(),
        }
    }

    /// A script that is `span` of `file`.
    pub fn part(file: FileId, span: Range<usize>) -> Script {
        Script {
            file,
            span,
            no_transaction: false,
            apply: Apply::OneQuery,
            sql: None,
            more_spans: Vec::new(),
        }
    }

    /// Every byte range of the script: `span`, then `more_spans`.
    pub fn spans(&self) -> impl Iterator<Item = &Range<usize>> {
        std::iter::once(&self.span).chain(&self.more_spans)
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
    /// The database this migration is written for, when the format keeps one variant per
    /// database (pop: `postgres`, `cockroach`, `mysql`, `sqlite3`); `None` for all databases.
    /// Versions are compared within one dialect; a dialect-free migration and a specific one
    /// of the same version are alternatives, not duplicates.
    pub dialect: Option<String>,
    /// The versions this migration declares as its parents, when the format orders migrations
    /// by a graph instead of by version (sourcegraph's `metadata.yaml`).
    pub parents: Option<Vec<Version>>,
}

impl Migration {
    /// A migration with these scripts, for every database, not in a graph, its down (if any)
    /// titled like its up. `needs_down`: the format expects a down for it.
    pub fn new(
        version: Version,
        name: String,
        up: Option<Script>,
        down: Option<Script>,
        needs_down: bool,
    ) -> Migration {
        Migration {
            version,
            name,
            up,
            down,
            down_name: None,
            needs_down,
            dialect: None,
            parents: None,
        }
    }

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

/// Whether another migration of `m`'s version, for another database (or for all of them),
/// has what `has` asks for: pop and popx replace a file for all databases by one for the
/// connection's database per version and direction, and fall back to it otherwise.
pub fn falls_back(set: &MigrationSet, m: &Migration, has: impl Fn(&Migration) -> bool) -> bool {
    set.migrations.iter().any(|o| {
        o.version == m.version && o.dialect != m.dialect && (o.dialect.is_none() || m.dialect.is_none()) && has(o)
    })
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
    /// The runner runs each script inside a transaction unless the script is marked
    /// `no_transaction`, so statements that refuse a transaction (`CREATE INDEX CONCURRENTLY`)
    /// fail there.
    pub wraps_in_transaction: bool,
    /// Empty scripts are a normal part of the format (pop keeps empty per-database variants).
    pub empty_allowed: bool,
    /// The runner identifies a migration by its whole file name, and a shared number only
    /// orders (sql-migrate's `Id`), so two files with one number are two migrations.
    pub named_ids: bool,
    /// How the runner sends a script that did not opt out of a transaction (the round-trip
    /// sends it the same way; [`Apply::without_transaction`] for one that did).
    pub apply: Apply,
    /// The format whose file layout this one shares (sqlx and pop: golang-migrate's pairs;
    /// refinery: Flyway's names), so their files do not count as mixed; `None`: its own.
    pub family: Option<&'static str>,
    /// The runner strips a UTF-8 byte-order mark itself (psql, Flyway).
    pub strips_bom: bool,
    /// Versions are unpadded integers by convention (`V2` after `V10` is not a typo).
    pub unpadded_versions: bool,
    /// What `missing-down` suggests.
    pub down_hint: DownHint,
}

impl FormatRules {
    /// How the runner sends a script, given whether it opted out of a transaction.
    pub fn apply(&self, no_transaction: bool) -> Apply {
        if no_transaction {
            self.apply.without_transaction()
        } else {
            self.apply
        }
    }
}

impl FormatRules {
    /// The pair layout's rules (golang-migrate): downs expected but optional (golang-migrate
    /// looks a down up only when migrating down: source/migration.go `Down`), no psql
    /// meta-commands, no transaction around a migration, scripts sent as one query, no empty
    /// scripts. Formats state only where they differ (`..FormatRules::PAIRS`, usable in statics).
    pub const PAIRS: FormatRules = FormatRules {
        has_downs: true,
        down_required: false,
        named_ids: false,
        psql_meta_allowed: false,
        wraps_in_transaction: false,
        empty_allowed: false,
        apply: Apply::OneQuery,
        family: None,
        strips_bom: false,
        unpadded_versions: false,
        down_hint: DownHint::PairFile,
    };
}

impl Default for FormatRules {
    /// [`FormatRules::PAIRS`].
    fn default() -> FormatRules {
        FormatRules::PAIRS
    }
}

/// A problem the loader found in a file the runner reads besides the SQL (a `metadata.toml`,
/// a `metadata.yaml`, a registry): reported by `invalid-metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataProblem {
    pub file: FileId,
    pub span: Range<usize>,
    pub message: String,
}

/// SQL the loader found but could not hand to the analyser (a template literal with `${…}`
/// interpolation): reported as a note by `sql-not-analysed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanalysed {
    pub file: FileId,
    pub span: Range<usize>,
    pub reason: String,
}

/// One entry of a TypeScript migration registry (`index.ts`'s `migrations` array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    /// The `id` property, when it is a string literal.
    pub id: Option<String>,
    /// The `version` property, when it is a number literal.
    pub version: Option<u64>,
    /// The module the entry's `up` function is imported from (`./initial`), when found.
    pub module: Option<String>,
    /// The entry's text in the registry file (`{ … }`).
    pub span: Range<usize>,
}

/// A migration registry: the file that lists the migrations in the order they run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    pub file: FileId,
    /// Where the list is (for findings about the list as a whole).
    pub span: Range<usize>,
    pub entries: Vec<RegistryEntry>,
}

/// What an unversioned script is to its runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnversionedKind {
    /// Flyway's `R__name.sql`: re-run whenever it changes, after the versioned ones.
    Repeatable,
    /// Flyway's `B{version}__name.sql`: replaces the versioned migrations up to its version on
    /// a new database.
    Baseline,
    /// Seed data beside the migrations (a `seeds/` folder): run by hand, not numbered.
    Seed,
    /// A sqitch verify script: run after its change is deployed, changes nothing.
    Verify,
}

/// A script that is part of a set but not a numbered migration: parse-checked, never
/// number-checked (no duplicate, gap or order findings).
#[derive(Debug, Clone)]
pub struct Unversioned {
    /// The name as the runner knows it (`Datasets_view` for `R__Datasets_view.sql`).
    pub name: String,
    pub kind: UnversionedKind,
    pub script: Script,
}

/// A problem in how a directory is laid out that discovery noticed; a check turns it into a
/// finding (the checks never read the disk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetIssue {
    /// Files of the directory belong to another format (`format`) than the one it is checked as.
    MixedFormats { format: &'static str, files: Vec<String> },
    /// A single-file migration without the up marker its runner needs (`-- +goose Up`).
    MissingUpMarker { file: FileId, marker: &'static str },
    /// A section marker the runner rejects: unbalanced, repeated, misplaced or unknown.
    BadMarker {
        file: FileId,
        span: Range<usize>,
        message: String,
        /// Only some versions of the runner misread it (a warning).
        doubtful: bool,
    },
    /// Prisma's `migration_lock.toml` is missing, unreadable, or names another provider.
    LockFile { path: String, problem: LockProblem },
    /// A rule of the runner's own that the loader found broken (a hash sum that does not match,
    /// a journal entry without its file, a plan dependency on a later change): reported by the
    /// rule whose code it names, at `file`/`span`, with places it involves in `related`.
    Runner {
        code: &'static str,
        file: FileId,
        span: Range<usize>,
        message: String,
        related: Vec<(FileId, Range<usize>, String)>,
    },
}

/// What is wrong with a lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockProblem {
    Missing,
    Invalid(String),
    /// The lock names `locked`; `expected` is what the schema (or PostgreSQL) needs.
    Mismatch {
        locked: String,
        expected: String,
        source: String,
    },
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
    /// Scripts that are not numbered migrations (repeatables, seeds), sorted by file name.
    pub others: Vec<Unversioned>,
    /// Layout problems noticed while loading.
    pub issues: Vec<SetIssue>,
    /// Problems in metadata files, found while loading.
    pub metadata_problems: Vec<MetadataProblem>,
    /// SQL that could not be analysed.
    pub unanalysed: Vec<Unanalysed>,
    /// The registry, for formats that list their migrations in code.
    pub registry: Option<Registry>,
    /// Which runner runs this directory, how migproof knows, and for which database.
    pub runner: Runner,
    /// Files for all databases that the runner replaces on PostgreSQL by a file of their own
    /// (pop, popx: `1_a.up.sql` beside `1_a.postgres.up.sql`), with the database they still
    /// run on: they are judged by that database's grammar, never by PostgreSQL's.
    pub runs_on: BTreeMap<FileId, String>,
    /// The `.sql` files among the strays: the runner skips them today, but they are parsed, so
    /// a syntax error in one is reported (it breaks the day someone renames the file). They are
    /// never run, numbered or checked otherwise.
    pub skipped: Vec<Script>,
    /// What the lock-safety rules need beyond the files (version, configuration, `--base`).
    pub lock_settings: LockSettings,
}

/// How sure migproof is of a directory's runner, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Certainty {
    /// Only the file names fit the runner's patterns: its rules are assumed.
    #[default]
    Names,
    /// Files in the directory that only this runner uses (its section markers, its metadata or
    /// lock files, its registry).
    Content,
    /// A manifest, a configuration file or a script of the project names the runner.
    Project,
    /// `--format-of` or `migproof.toml` says so.
    Declared,
}

impl Certainty {
    /// Whether verdicts that depend on the runner's rules can be errors.
    pub fn is_known(self) -> bool {
        self != Certainty::Names
    }
}

/// The runner of a directory as identified from the project ([`crate::discover::project`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Runner {
    /// The runner's name (`golang-migrate`, `maragudk-migrate`, `tern`); empty until identified.
    pub name: String,
    /// migproof models this runner's rules (a format of that name exists). When false, the
    /// directory was loaded by the format its file names fit, and no verdict that depends on
    /// the runner's rules is an error.
    pub modelled: bool,
    pub certainty: Certainty,
    /// What says so (`go.mod: github.com/maragudk/migrate v0.4.3`), strongest first.
    pub evidence: Vec<String>,
    /// The database the directory is written for (`mysql`, `sqlite3`, `cockroachdb`, …) when the
    /// project says; `None` for PostgreSQL.
    pub dialect: Option<String>,
    /// Why that database (`directory name \`mysql\``).
    pub dialect_evidence: Option<String>,
}

/// Context for the lock-safety rules ([`crate::checks::locks`]), filled before the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockSettings {
    /// The PostgreSQL major version the migrations run on (`pg-version` in `migproof.toml`,
    /// else [`LockSettings::DEFAULT_PG_VERSION`]).
    pub pg_version: u32,
    /// `lock_timeout` is set outside the migrations (by the runner or the role).
    pub lock_timeout_outside: bool,
    /// Codes of opt-in rules the configuration turned on.
    pub opt_in: Vec<&'static str>,
    /// Indices into `migrations` of the migrations added since `--base`.
    pub new_since_base: Vec<usize>,
    /// Lock rules switched off (`--ignore`/`--select`, or `off` in the configuration): they do
    /// not run, and when every lock rule is off no statement is classified for them.
    pub off: Vec<&'static str>,
}

impl LockSettings {
    /// PostgreSQL 15: the oldest major the PostgreSQL project still supports (14 reached its end
    /// of life in November 2026), and the version `research/locks.md` measured. A rule never
    /// assumes a newer server than this unless told.
    pub const DEFAULT_PG_VERSION: u32 = 15;
}

impl Default for LockSettings {
    fn default() -> Self {
        LockSettings {
            pg_version: Self::DEFAULT_PG_VERSION,
            lock_timeout_outside: false,
            opt_in: Vec::new(),
            new_since_base: Vec::new(),
            off: Vec::new(),
        }
    }
}

impl MigrationSet {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// An empty set with no files yet.
    pub fn new(display: String, path: PathBuf, format: &'static str, rules: FormatRules) -> MigrationSet {
        MigrationSet {
            display,
            path,
            format,
            rules,
            files: Vec::new(),
            migrations: Vec::new(),
            stray: Vec::new(),
            others: Vec::new(),
            issues: Vec::new(),
            metadata_problems: Vec::new(),
            unanalysed: Vec::new(),
            registry: None,
            runner: Runner::default(),
            runs_on: BTreeMap::new(),
            skipped: Vec::new(),
            lock_settings: LockSettings::default(),
        }
    }

    /// Records the set's runner; the database the project names applies to every migration
    /// that does not name its own (pop's `.mysql.` files do).
    pub fn set_runner(&mut self, runner: Runner) {
        if let Some(dialect) = &runner.dialect
            && dialect != "postgres"
        {
            for m in self.migrations.iter_mut().filter(|m| m.dialect.is_none()) {
                m.dialect = Some(dialect.clone());
            }
        }
        self.runner = runner;
    }

    /// The database a script of `m` is written for: the file's own ([`MigrationSet::runs_on`]),
    /// else the migration's; `None` for PostgreSQL.
    pub fn dialect_of<'a>(&'a self, m: &'a Migration, script: &Script) -> Option<&'a str> {
        self.runs_on
            .get(&script.file)
            .map(String::as_str)
            .or(m.dialect.as_deref())
    }

    /// Every script of the set: each migration's up and down, then the unversioned ones.
    pub fn scripts(&self) -> impl Iterator<Item = &Script> {
        self.migrations
            .iter()
            .flat_map(|m| m.up.iter().chain(&m.down))
            .chain(self.others.iter().map(|o| &o.script))
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
        assert!(v("99999") < Version::named("init"));
        assert!(Version::named("a") < Version::named("b"));
        assert_eq!(Version::named("a").as_number(), None);
    }

    #[test]
    fn decode_reports_nul_and_bad_utf8() {
        assert_eq!(decode(b"ab\0c".to_vec()), Err(Unreadable::NulByte { offset: 2 }));
        assert_eq!(decode(b"ab\xffc".to_vec()), Err(Unreadable::NotUtf8 { offset: 2 }));
        assert_eq!(decode(b"select 1".to_vec()).unwrap().as_ref(), "select 1");
    }
}
