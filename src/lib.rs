//! migcheck: checks database migration directories before they reach a database.
//!
//! Data flows one way: [`discover`] finds directories and loads them into the [`model`];
//! [`analyze`] splits and parses their SQL ([`sql`]); [`checks`] turn the model into findings;
//! [`report`] renders them. [`check`] runs the whole pipeline without printing anything.

pub mod checks;
pub mod cli;
pub mod discover;
pub mod error;
pub mod model;
pub mod report;
pub mod roundtrip;
pub mod sql;

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
            files: self.sets.iter().map(|s| s.files.len()).sum(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        }
    }
}

/// Finds, loads, analyses and checks the migration directories named by `paths` (or found
/// under the current directory when there are none).
pub fn check(paths: &[PathBuf]) -> Result<Outcome, Error> {
    let mut notes = Vec::new();
    let found = find(paths, &mut notes)?;
    let mut sets: Vec<MigrationSet> = found.par_iter().map(|f| f.format.load(&f.dir)).collect();
    sets.par_iter_mut().for_each(analyze);
    let mut findings: Vec<Finding> = sets.par_iter().flat_map_iter(checks::run).collect();
    checks::sort(&mut findings);
    Ok(Outcome {
        sets,
        findings,
        notes,
        roundtrip: None,
    })
}

/// Splits and parses every script of a set (in parallel), filling `Script::sql`.
pub fn analyze(set: &mut MigrationSet) {
    let files = &set.files;
    set.migrations.par_iter_mut().for_each(|m| {
        for script in m.up.iter_mut().chain(m.down.iter_mut()) {
            if let Ok(text) = &files[script.file].text {
                script.sql = Some(sql::analyze(text, script.span.clone()));
            }
        }
    });
}

/// Turns command-line paths into the migration directories to check, without duplicates.
fn find(paths: &[PathBuf], notes: &mut Vec<String>) -> Result<Vec<Found>, Error> {
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
            if let Some((format, detection)) = discover::detect(&listing) {
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
            match discover::detect(&listing) {
                Some((format, detection)) => found.push(Found {
                    dir: listing,
                    format,
                    detection,
                }),
                None => notes.push(format!("{display}: not in a migration directory, skipped")),
            }
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
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("migcheck: error: {e}");
            EXIT_FAILURE
        }
    }
}

fn run_check(args: &CheckArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let mut outcome = check(&args.paths)?;
    if args.roundtrip {
        let options = roundtrip_options(args);
        check_roundtrip(&mut outcome, &options)?;
    }
    if args.verbose {
        for note in &outcome.notes {
            eprintln!("migcheck: {note}");
        }
    }
    let rendered = match args.format {
        cli::OutputFormat::Human => report::human::render(&outcome, &report::human::Style::detect()),
        cli::OutputFormat::Json => report::json::render(&outcome),
    };
    out.write_all(rendered.as_bytes())?;
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
