//! migproof: checks database migration directories before they reach a database.
//!
//! Data flows one way: [`discover`] finds directories and loads them into the [`model`];
//! [`analyze`] splits and parses their SQL ([`sql`]); [`checks`] turn the model into findings;
//! [`report`] renders them. [`check`] runs the whole pipeline without printing anything.

pub mod base;
pub mod checks;
pub mod cli;
pub mod config;
pub mod discover;
pub mod error;
pub mod git;
pub mod ignore_directives;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod roundtrip;
pub mod scaffold;
pub mod sql;
pub mod versions;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use checks::{Finding, Severity};
use cli::{CheckArgs, Cli, Command};
use discover::{DirListing, Found};
pub use error::Error;
use model::MigrationSet;

/// Exit codes: no errors, error findings, could not do the job.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_FAILURE: u8 = 2;

/// The result of checking: every set that was checked and every finding, sorted.
#[derive(Debug)]
pub struct Outcome {
    pub sets: Vec<MigrationSet>,
    pub findings: Vec<Finding>,
    /// What discovery decided and why (printed with `--verbose`).
    pub notes: Vec<String>,
    /// The `--roundtrip` result, when it ran.
    pub roundtrip: Option<roundtrip::Report>,
}

/// Counts for the report's last line and the JSON summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub directories: usize,
    pub migrations: usize,
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Outcome {
    pub fn summary(&self) -> Summary {
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        Summary {
            directories: self.sets.len(),
            migrations: self.sets.iter().map(|s| s.migrations.len()).sum(),
            files: self
                .sets
                .iter()
                .map(|s| s.files.iter().filter(|f| !f.derived).count())
                .sum(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        }
    }
}

/// Finds, loads, analyses and checks the migration directories named by `paths` (or found
/// under the current directory when there are none).
pub fn check(paths: &[PathBuf]) -> Result<Outcome, Error> {
    check_with(paths, &pipeline::Options::default())
}

/// [`check`] with options: a git base, a configuration, format overrides ([`pipeline::Options`]).
pub fn check_with(paths: &[PathBuf], options: &pipeline::Options) -> Result<Outcome, Error> {
    // The parser is recursive: its threads get large stacks (reserved, not committed) so that
    // deeply nested SQL up to `sql::lexer::MAX_NESTING` cannot overflow them.
    match rayon::ThreadPoolBuilder::new().stack_size(PARSER_STACK).build() {
        Ok(pool) => pool.install(|| check_here(paths, options)),
        Err(_) => check_here(paths, options),
    }
}

/// Stack size of the threads that parse SQL.
const PARSER_STACK: usize = 512 << 20;

fn check_here(paths: &[PathBuf], options: &pipeline::Options) -> Result<Outcome, Error> {
    model::set_max_file_size(options.max_file_size.unwrap_or(model::DEFAULT_MAX_FILE_SIZE));
    let mut overrides = Vec::new();
    for (dir, name) in &options.format_of {
        let format = discover::format_named(name).ok_or_else(|| Error::UnknownFormat {
            name: name.clone(),
            formats: discover::format_names(),
        })?;
        overrides.push((canonical(dir), format));
    }
    let mut notes = Vec::new();
    let configured = options.config.as_ref().map(|c| c.paths(paths));
    let mut found = find(configured.as_deref().unwrap_or(paths), &overrides, &mut notes)?;
    if let Some(config) = &options.config {
        config.adjust(&mut found, &mut notes);
        // Command-line flags win over the configuration file.
        for f in &mut found {
            let here = canonical(&f.dir.path);
            if let Some((_, format)) = overrides.iter().find(|(dir, _)| *dir == here) {
                f.format = *format;
            }
        }
    }
    let mut sets: Vec<MigrationSet> = found.par_iter().map(discover::load).collect();
    sets.par_iter_mut().for_each(analyze);
    for set in &mut sets {
        lock_settings(set, options);
    }
    let offline: Vec<Vec<Finding>> = sets.par_iter().map(checks::run).collect();
    let mut findings = pipeline::finish(&sets, offline, options)?;
    checks::sort(&mut findings);
    Ok(Outcome {
        sets,
        findings,
        notes,
        roundtrip: None,
    })
}

/// What the lock-safety rules need beyond the files: the configuration's `pg-version` and
/// `[locks]`, and with `--base`, which migrations were added since (their tables are new).
/// A base that cannot be read is left to [`pipeline::finish`] to report.
fn lock_settings(set: &mut MigrationSet, options: &pipeline::Options) {
    let mut settings = model::LockSettings::default();
    if let Some(config) = &options.config {
        config.lock_settings(&mut settings);
    }
    if let Some(name) = &options.base
        && let Ok(base) = git::resolve(&set.path, &set.display, name)
        && let Ok(at_base) = base::load(set, &base)
    {
        settings.new_since_base = base::new_migrations(set, &at_base);
    }
    set.lock_settings = settings;
}

/// Splits and parses every script of a set (in parallel), filling `Script::sql`.
pub fn analyze(set: &mut MigrationSet) {
    let files = &set.files;
    let fill = |script: &mut model::Script, grammar: sql::Grammar| {
        if let Ok(text) = &files[script.file].text {
            script.sql = Some(if script.more_spans.is_empty() && grammar == sql::Grammar::Postgres {
                sql::analyze(text, script.span.clone())
            } else {
                sql::analyze_spans(text, script.spans(), grammar)
            });
        }
    };
    set.migrations.par_iter_mut().for_each(|m| {
        let grammar = sql::Grammar::of_dialect(m.dialect.as_deref());
        m.up.iter_mut().chain(m.down.iter_mut()).for_each(|s| fill(s, grammar));
    });
    set.others
        .par_iter_mut()
        .for_each(|o| fill(&mut o.script, sql::Grammar::Postgres));
}

/// A directory (canonical) and the format `--format-of` gives it.
type Override = (PathBuf, &'static dyn discover::Format);

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Turns command-line paths into the migration directories to check, without duplicates.
fn find(paths: &[PathBuf], overrides: &[Override], notes: &mut Vec<String>) -> Result<Vec<Found>, Error> {
    // The format given by --format-of for a directory, if any.
    let given = |path: &Path| {
        let here = canonical(path);
        overrides
            .iter()
            .find(|(dir, _)| *dir == here)
            .map(|(_, format)| *format)
    };
    let formats = || {
        discover::FORMATS
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut found: Vec<Found> = Vec::new();
    if paths.is_empty() {
        found = discover::walk(Path::new("."), ".")?;
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
                    detection: discover::Detection {
                        score: 0,
                        reason: String::new(),
                    },
                });
            } else if let Some((format, detection)) = discover::detect(&listing) {
                found.push(Found {
                    dir: listing,
                    format,
                    detection,
                });
            } else {
                let walked = discover::walk(path, &display)?;
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
            if let Some((format, detection)) = discover::detect(&listing) {
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
                discover::detect(&l)
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
fn display_of(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s);
    let s = s.trim_end_matches('/');
    if s.is_empty() { ".".to_string() } else { s.to_string() }
}

/// Runs a parsed command line, writing to stdout/stderr; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match cli.command {
        Command::Check(args) => run_check(&args, &mut out),
        Command::Rules => report::rules::list(&mut out).map(|_| EXIT_OK).map_err(Error::from),
        Command::Rule { code } => match checks::find_rule(&code) {
            Some(rule) => writeln!(out, "{} {}\n\n{}", rule.code, rule.name, rule.documentation())
                .map(|_| EXIT_OK)
                .map_err(Error::from),
            None => Err(Error::UnknownRule(code)),
        },
        Command::New { name, dir, config } => config::load_for_cli(config.as_deref())
            .and_then(|c| scaffold::new(&name, dir.as_deref(), c.as_ref(), &mut out)),
        Command::Renumber {
            base,
            dir,
            write,
            config,
        } => config::load_for_cli(config.as_deref())
            .and_then(|c| scaffold::renumber(&base, dir.as_deref(), write, c.as_ref(), &mut out)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("migproof: error: {e}");
            EXIT_FAILURE
        }
    }
}

fn run_check(args: &CheckArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let options = pipeline::Options {
        base: args.base.clone(),
        all: args.all,
        config: config::load_for_cli(args.config.as_deref())?,
        format_of: args.format_of.clone(),
        max_file_size: args.max_file_size,
    };
    let mut outcome = check_with(&args.paths, &options)?;
    if args.roundtrip {
        let options = roundtrip_options(args);
        check_roundtrip(&mut outcome, &options)?;
    }
    if args.verbose {
        for note in &outcome.notes {
            eprintln!("migproof: {note}");
        }
    }
    out.write_all(report::render(&outcome, args).as_bytes())?;
    let summary = outcome.summary();
    if outcome.roundtrip.as_ref().is_some_and(|r| r.not_verified()) {
        // A gate must not go green (or merely red) on a check that did not run.
        return Ok(EXIT_FAILURE);
    }
    let failing = summary.errors + if args.deny_warnings { summary.warnings } else { 0 };
    Ok(if failing > 0 { EXIT_FINDINGS } else { EXIT_OK })
}

/// The round-trip options the command line asks for.
pub fn roundtrip_options(args: &CheckArgs) -> roundtrip::Options {
    roundtrip::Options {
        pg_bin: args.pg_bin.clone(),
        database_url: args.database_url.clone().filter(|u| !u.is_empty()),
        setup: args.setup.clone(),
        statement_timeout: std::time::Duration::from_secs(args.statement_timeout),
        lock_timeout: std::time::Duration::from_secs(args.lock_timeout),
        progress: true,
    }
}

/// Runs `--roundtrip` over the sets of `outcome`, adding its findings and report.
pub fn check_roundtrip(outcome: &mut Outcome, options: &roundtrip::Options) -> Result<(), Error> {
    let report = roundtrip::run(&outcome.sets, options, &mut outcome.findings).map_err(Error::Roundtrip)?;
    checks::sort(&mut outcome.findings);
    outcome.roundtrip = Some(report);
    Ok(())
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
