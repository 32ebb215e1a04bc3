//! `migproof.toml`: found by walking up from the current directory, or named by `--config`.
//!
//! ```toml
//! ignore = ["legacy/**", "db/migrations/0001_*"]   # globs, relative to this file
//!
//! [[directories]]                                  # what `migproof check` checks by default
//! path = "db/migrations"
//! format = "golang-migrate"                        # optional: skip detection
//!
//! [checks]                                         # by code or name: error, warning or off
//! version-gap = "off"
//! MC103 = "error"
//!
//! [roundtrip]
//! bin-dir = "/usr/lib/postgresql/16/bin"           # initdb, pg_ctl, postgres
//! database-url-env = "DATABASE_URL"
//! timeout-secs = 120                               # statement timeout per migration
//! lock-timeout-secs = 10
//! setup = "db/setup.sql"                           # relative to this file
//! max-cluster-mb = 2048                            # RAM-backed cluster size cap
//! ```
//!
//! Unknown keys are errors naming the key and the file. Command-line flags win: paths given on
//! the command line replace `directories`, and `--config` replaces the search.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::checks::{self, Finding, Rule, Severity};
use crate::discover::{self, Found};
use crate::error::Error;

/// The file name searched for.
pub const FILE_NAME: &str = "migproof.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    directories: Vec<DirectoryConfig>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    checks: BTreeMap<String, Level>,
    #[serde(default)]
    roundtrip: RoundtripConfig,
    /// The PostgreSQL major version the migrations run on, or a list of them: the lock-safety
    /// rules follow the lowest, `--roundtrip` runs on each.
    #[serde(rename = "pg-version")]
    pg_version: Option<PgVersions>,
    #[serde(default)]
    locks: LocksConfig,
}

/// `pg-version = 16` or `pg-version = [15, 18]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum PgVersions {
    One(u32),
    Many(Vec<u32>),
}

/// `[locks]`: facts about production the lock-safety rules cannot see in the files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LocksConfig {
    /// `"runner"` or `"role"`: `lock_timeout` is set outside the migrations.
    pub lock_timeout: Option<LockTimeoutSetBy>,
}

/// Who sets `lock_timeout` when the migrations do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockTimeoutSetBy {
    Runner,
    Role,
}

/// One `[[directories]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// Relative to the configuration file.
    pub path: PathBuf,
    /// A format name (`golang-migrate`, `sqlx`, …) that replaces detection.
    pub format: Option<String>,
}

/// A check's configured severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Off,
}

/// `[roundtrip]`: settings for checking against a real server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RoundtripConfig {
    /// Where `initdb`, `pg_ctl` and `postgres` are.
    pub bin_dir: Option<PathBuf>,
    /// The environment variable holding the database URL.
    pub database_url_env: Option<String>,
    /// The statement timeout of every migration, in seconds (`--statement-timeout` wins).
    pub timeout_secs: Option<u64>,
    /// The lock timeout of every migration, in seconds (`--lock-timeout` wins).
    pub lock_timeout_secs: Option<u64>,
    /// SQL run in each scratch database before the first migration (`--setup` wins), relative
    /// to the configuration file.
    pub setup: Option<PathBuf>,
    /// The most a RAM-backed throwaway cluster may hold, in MiB (default 2048).
    pub max_cluster_mb: Option<u64>,
    /// A directory of unpacked PostgreSQL server builds to choose `pg-version` from
    /// (`--pg-builds` wins), relative to the configuration file.
    pub builds_dir: Option<PathBuf>,
}

/// A loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub file: PathBuf,
    /// The file's directory: paths and globs are relative to it.
    pub root: PathBuf,
    pub directories: Vec<DirectoryConfig>,
    pub roundtrip: RoundtripConfig,
    /// `pg-version`, or the lowest of its list: what the lock-safety rules follow.
    pub pg_version: Option<u32>,
    /// Every major of `pg-version`, ascending: the servers `--roundtrip` runs on.
    pub pg_versions: Vec<u32>,
    pub locks: LocksConfig,
    /// Rule code → level.
    levels: BTreeMap<&'static str, Level>,
    ignore: GlobSet,
}

/// The nearest `migproof.toml` in `start` or one of its parents.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    start.ancestors().map(|d| d.join(FILE_NAME)).find(|p| p.is_file())
}

/// The configuration to use: `--config FILE` if given, else the nearest `migproof.toml`.
pub fn load_for_cli(explicit: Option<&Path>) -> Result<Option<Config>, Error> {
    match explicit {
        Some(file) => Config::load(file).map(Some),
        None => match find(Path::new(".")) {
            Some(file) => Config::load(&file).map(Some),
            None => Ok(None),
        },
    }
}

impl Config {
    /// Reads and validates `file`.
    pub fn load(file: &Path) -> Result<Config, Error> {
        let shown = file.display().to_string();
        let text = crate::read::read(file, None, crate::model::DEFAULT_MAX_FILE_SIZE)
            .map_err(|e| match crate::read::refusal(&e) {
                Some(why) => why.to_string(),
                None if e.kind() == std::io::ErrorKind::FileTooLarge => e.to_string(),
                None => e.kind().to_string(),
            })
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "is not UTF-8".to_string()))
            .map_err(|why| Error::Config(format!("cannot read the configuration `{shown}`: {why}")))?;
        Config::parse(&text, file)
    }

    /// Parses the text of configuration file `file`.
    pub fn parse(text: &str, file: &Path) -> Result<Config, Error> {
        let shown = file.display().to_string();
        let in_roundtrip = |table: toml::Table| {
            table
                .get("roundtrip")
                .and_then(|t| t.as_table())
                .is_some_and(|t| t.contains_key("pg-version"))
        };
        if toml::from_str::<toml::Table>(text).is_ok_and(in_roundtrip) {
            return Err(Error::Config(format!(
                "`{shown}`: `pg-version` goes at the top level, not in [roundtrip]: one key says which PostgreSQL \
                 the migrations run on, and both the lock-safety rules and --roundtrip follow it"
            )));
        }
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let message = e.message().replace("unknown field", "unknown key");
            let at = line.map_or(String::new(), |l| format!(":{l}"));
            Error::Config(format!("`{shown}`{at}: {message}"))
        })?;
        let mut pg_versions = match raw.pg_version {
            None => Vec::new(),
            Some(PgVersions::One(v)) => vec![v],
            Some(PgVersions::Many(list)) if list.is_empty() => {
                return Err(Error::Config(format!(
                    "`{shown}`: pg-version = [] names no version (say 16, or [15, 18])"
                )));
            }
            Some(PgVersions::Many(list)) => list,
        };
        if let Some(v) = pg_versions.iter().find(|v| !(9..=30).contains(*v)) {
            return Err(Error::Config(format!(
                "`{shown}`: pg-version = {v} is not a PostgreSQL major version (say 15 or 16)"
            )));
        }
        pg_versions.sort_unstable();
        pg_versions.dedup();
        let mut levels = BTreeMap::new();
        for (key, level) in raw.checks {
            let rule = checks::find_rule(&key).ok_or_else(|| {
                Error::Config(format!(
                    "`{shown}`: [checks] names unknown check `{key}` (`migproof rules` lists them)"
                ))
            })?;
            levels.insert(rule.code, level);
        }
        for d in &raw.directories {
            if let Some(format) = &d.format
                && !discover::FORMATS.iter().any(|f| f.name() == format)
            {
                let known: Vec<&str> = discover::FORMATS.iter().map(|f| f.name()).collect();
                return Err(Error::Config(format!(
                    "`{shown}`: directory `{}` has unknown format `{format}` (known: {})",
                    d.path.display(),
                    known.join(", ")
                )));
            }
        }
        let mut globs = GlobSetBuilder::new();
        for g in &raw.ignore {
            let glob = Glob::new(g)
                .map_err(|e| Error::Config(format!("`{shown}`: ignore glob `{g}` is invalid: {}", e.kind())))?;
            globs.add(glob);
        }
        let ignore = globs
            .build()
            .map_err(|e| Error::Config(format!("`{shown}`: ignore globs: {e}")))?;
        let root = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        Ok(Config {
            file: file.to_path_buf(),
            root,
            directories: raw.directories,
            roundtrip: raw.roundtrip,
            pg_version: pg_versions.first().copied(),
            pg_versions,
            locks: raw.locks,
            levels,
            ignore,
        })
    }

    /// Fills the lock-safety rules' settings of a set from this configuration.
    pub fn lock_settings(&self, settings: &mut crate::model::LockSettings) {
        if let Some(v) = self.pg_version {
            settings.pg_version = v;
        }
        settings.lock_timeout_outside = self.locks.lock_timeout.is_some();
        settings.opt_in = checks::locks::OPT_IN
            .iter()
            .copied()
            .filter(|code| self.levels.get(code).is_some_and(|l| *l != Level::Off))
            .collect();
    }

    /// The paths to check: the command line's when it names any, else the configured
    /// directories (relative to the current directory).
    pub fn paths(&self, cli: &[PathBuf]) -> Vec<PathBuf> {
        if !cli.is_empty() || self.directories.is_empty() {
            return cli.to_vec();
        }
        let cwd = std::env::current_dir().ok().and_then(|c| std::fs::canonicalize(c).ok());
        self.directories
            .iter()
            .map(|d| {
                let abs = absolute(&self.root.join(&d.path));
                match &cwd {
                    Some(cwd) => relative(&abs, cwd).unwrap_or(abs),
                    None => abs,
                }
            })
            .collect()
    }

    /// Applies per-directory format overrides and drops ignored directories.
    pub fn adjust(&self, found: &mut Vec<Found>, notes: &mut Vec<String>) {
        self.adjust_except(found, notes, &[]);
    }

    /// [`Config::adjust`], leaving the format of the directories in `given` (`--format-of`,
    /// which wins over the configuration) as it is.
    pub fn adjust_except(&self, found: &mut Vec<Found>, notes: &mut Vec<String>, given: &[discover::Override]) {
        found.retain(|f| {
            let ignored = self.ignored(&f.dir.display);
            if ignored {
                notes.push(format!("{}: ignored by {}", f.dir.display, self.file.display()));
            }
            !ignored
        });
        for f in found.iter_mut() {
            let here = std::fs::canonicalize(&f.dir.path).ok();
            let canonical = discover::canonical(&f.dir.path);
            if given.iter().any(|(dir, _)| *dir == canonical) {
                continue;
            }
            let configured = self
                .directories
                .iter()
                .find(|d| d.format.is_some() && std::fs::canonicalize(self.root.join(&d.path)).ok() == here);
            if let Some(d) = configured
                && let Some(format) = discover::FORMATS.iter().find(|x| Some(x.name()) == d.format.as_deref())
            {
                f.format = *format;
                f.detection = discover::Detection {
                    score: discover::DECLARED,
                    reason: format!("set in {}", self.file.display()),
                };
                notes.push(format!("{}: {} ({})", f.dir.display, format.name(), f.detection.reason));
            }
        }
    }

    /// The level configured for `rule`, if any.
    pub fn level(&self, rule: &Rule) -> Option<Level> {
        self.levels.get(rule.code).copied()
    }

    /// Whether a check is switched off.
    pub fn is_off(&self, rule: &Rule) -> bool {
        self.level(rule) == Some(Level::Off)
    }

    /// Sets configured severities and drops findings of checks that are off.
    pub fn apply_levels(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.is_off(f.rule));
        for f in findings {
            match self.level(f.rule) {
                Some(Level::Error) => f.severity = Severity::Error,
                Some(Level::Warning) => f.severity = Severity::Warning,
                _ => {}
            }
        }
    }

    /// Whether a path (as displayed, relative to the current directory) matches an ignore glob.
    pub fn ignored(&self, display: &str) -> bool {
        if self.ignore.is_empty() {
            return false;
        }
        let abs = absolute(Path::new(display));
        relative(&abs, &self.root).is_some_and(|rel| {
            let rel = rel.to_string_lossy().replace('\\', "/");
            self.ignore.is_match(&rel)
        })
    }
}

/// `path` made absolute against the current directory, with `.`/`..` resolved as far as the
/// path exists (a deleted file is resolved through its directory).
fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            absolute(parent).join(name)
        }
        _ => std::env::current_dir()
            .map(|c| c.join(path))
            .unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// `path` relative to `base` (both absolute), with `..` where needed.
fn relative(path: &Path, base: &Path) -> Option<PathBuf> {
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return None;
    }
    let mut rel = PathBuf::new();
    for _ in common..base.len() {
        rel.push("..");
    }
    for c in &path[common..] {
        rel.push(c);
    }
    if rel.as_os_str().is_empty() {
        rel.push(".");
    }
    Some(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("/repo/migproof.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn unknown_keys_name_the_key_and_the_file() {
        let e = parse("ignore = []\ncolour = true\n").unwrap_err();
        assert!(e.contains("`/repo/migproof.toml`:2: unknown key `colour`"), "{e}");
        let e = parse("[roundtrip]\ntimeout = 3\n").unwrap_err();
        assert!(e.contains("unknown key `timeout`") && e.contains(":2"), "{e}");
        let e = parse("[[directories]]\npath = \"db\"\nfromat = \"sqlx\"\n").unwrap_err();
        assert!(e.contains("unknown key `fromat`"), "{e}");
    }

    #[test]
    fn checks_formats_levels_and_globs_are_validated() {
        assert!(
            parse("[checks]\nMC999 = \"off\"\n")
                .unwrap_err()
                .contains("unknown check `MC999`")
        );
        assert!(
            parse("[checks]\nMC004 = \"loud\"\n")
                .unwrap_err()
                .contains("unknown variant `loud`")
        );
        assert!(
            parse("[[directories]]\npath = \"db\"\nformat = \"flyway2\"\n")
                .unwrap_err()
                .contains("unknown format `flyway2`")
        );
        assert!(parse("ignore = [\"a/[\"]\n").unwrap_err().contains("ignore glob `a/[`"));
        let c = parse("[checks]\nversion-gap = \"off\"\nMC103 = \"error\"\n[roundtrip]\ntimeout-secs = 5\n").unwrap();
        assert!(c.is_off(checks::find_rule("MC004").unwrap()));
        assert_eq!(
            c.level(checks::find_rule("pair-name-mismatch").unwrap()),
            Some(Level::Error)
        );
        assert_eq!(c.roundtrip.timeout_secs, Some(5));
    }

    #[test]
    fn pg_version_is_one_major_or_a_list() {
        let c = parse("pg-version = 16\n").unwrap();
        assert_eq!((c.pg_version, c.pg_versions.as_slice()), (Some(16), &[16][..]));
        let c = parse("pg-version = [18, 15, 18]\n").unwrap();
        assert_eq!((c.pg_version, c.pg_versions.as_slice()), (Some(15), &[15, 18][..]));
        assert!(
            parse("pg-version = [15, 99]\n")
                .unwrap_err()
                .contains("pg-version = 99")
        );
        assert!(parse("pg-version = []\n").unwrap_err().contains("names no version"));
        let e = parse("[roundtrip]\npg-version = 18\n").unwrap_err();
        assert!(e.contains("goes at the top level"), "{e}");
        let c = parse("[roundtrip]\nbuilds-dir = \"pg\"\n").unwrap();
        assert_eq!(c.roundtrip.builds_dir.as_deref(), Some(Path::new("pg")));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/a/b/c"), Path::new("/a")).unwrap(),
            Path::new("b/c")
        );
        assert_eq!(
            relative(Path::new("/a/x"), Path::new("/a/b")).unwrap(),
            Path::new("../x")
        );
        assert_eq!(relative(Path::new("/a"), Path::new("/a")).unwrap(), Path::new("."));
    }
}
