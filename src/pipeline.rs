//! The whole check, without printing: discover → load → analyse → offline checks → `--base`
//! → `--roundtrip` → the [`crate::funnel`] → sorted findings in an [`Outcome`].

use std::collections::BTreeSet;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::base;
use crate::checks;
use crate::discover::{self, canonical, find};
use crate::error::Error;
use crate::finding::Finding;
use crate::funnel::{self, Ran};
use crate::git;
use crate::model::{self, MigrationSet};
use crate::outcome::Outcome;
use crate::roundtrip;
use crate::sql;

/// How to check, beyond which paths.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--base REF`: compare with this git ref.
    pub base: Option<String>,
    /// `--all`: with a base, keep offline findings in unchanged migrations too.
    pub all: bool,
    /// `migproof.toml`: severities, checks switched off, ignore globs.
    pub config: Option<crate::config::Config>,
    /// `--format-of DIR=FORMAT`: formats given instead of detected (they win over the config).
    pub format_of: Vec<(std::path::PathBuf, String)>,
    /// `--max-file-size`: larger files are reported, not read (default
    /// [`crate::model::DEFAULT_MAX_FILE_SIZE`]).
    pub max_file_size: Option<u64>,
    /// `--roundtrip`: also round-trip every set on a server.
    pub roundtrip: Option<roundtrip::Options>,
    /// `--select`/`--ignore`: rules switched off.
    pub rules: funnel::RuleSelection,
    /// `check - --stdin-filename PATH`: PATH and the text read from standard input for it.
    pub stdin: Option<(PathBuf, Vec<u8>)>,
}

/// The rules named by `--select`/`--ignore` values (codes or names), as codes.
pub fn rule_codes(keys: &[String]) -> Result<Vec<&'static str>, Error> {
    keys.iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            checks::find_rule(k.trim())
                .map(|r| r.code)
                .ok_or_else(|| Error::UnknownRule(k.trim().to_string()))
        })
        .collect()
}

/// What the command line named: files (as pre-commit passes them) and directories, as
/// displayed in findings.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub files: Vec<String>,
    pub dirs: Vec<String>,
}

impl Given {
    /// Whether `path` (a finding's place, as displayed) is a given file or lies in a given
    /// directory.
    fn covers(&self, path: &str) -> bool {
        self.files.iter().any(|f| f == path)
            || self
                .dirs
                .iter()
                .any(|d| d == "." || d == path || path.strip_prefix(d.as_str()).is_some_and(|r| r.starts_with('/')))
    }

    /// The given files with the other files of their migrations: touching a migration's down
    /// touches the migration (its version, its pairing).
    pub fn with_migrations(mut self, sets: &[MigrationSet]) -> Given {
        let mut more = Vec::new();
        for set in sets {
            for m in &set.migrations {
                let files: Vec<&str> = m.files().iter().map(|&f| set.file(f).display.as_str()).collect();
                if files.iter().any(|f| self.files.iter().any(|g| g == f)) {
                    more.extend(files.iter().map(|f| f.to_string()));
                }
            }
        }
        self.files.extend(more);
        self.files.sort();
        self.files.dedup();
        self
    }

    /// Whether `finding` involves what was given: at its own place or one of its related places
    /// (a new file that duplicates an old file's version involves the new file).
    pub fn involves(&self, finding: &Finding) -> bool {
        self.covers(&finding.location.path) || finding.related.iter().any(|r| self.covers(&r.location.path))
    }
}

/// The last stage when files were given: keeps the findings that involve them and returns the
/// others (pre-existing findings elsewhere in their directories), which are only counted.
/// Without given files, keeps everything.
pub fn involving(findings: &mut Vec<Finding>, given: &Given) -> Vec<Finding> {
    if given.files.is_empty() {
        return Vec::new();
    }
    let (kept, rest) = std::mem::take(findings).into_iter().partition(|f| given.involves(f));
    *findings = kept;
    rest
}

/// Finds, loads, analyses and checks the migration directories named by `paths` (or found
/// under the current directory when there are none).
pub fn check(paths: &[PathBuf]) -> Result<Outcome, Error> {
    check_with(paths, &Options::default())
}

/// [`check`] with options: a git base, a configuration, format overrides, the round-trip.
pub fn check_with(paths: &[PathBuf], options: &Options) -> Result<Outcome, Error> {
    // The parser is recursive: its threads get large stacks (reserved, not committed) so that
    // deeply nested SQL up to `sql::lexer::MAX_NESTING` cannot overflow them.
    let (sets, notes, offline) = match rayon::ThreadPoolBuilder::new().stack_size(PARSER_STACK).build() {
        Ok(pool) => pool.install(|| load(paths, options))?,
        Err(_) => load(paths, options)?,
    };
    let mut stages = compare_with_base(&sets, offline, options)?;
    let mut report = None;
    if let Some(rt) = &options.roundtrip {
        let changed: Vec<_> = stages.iter().map(|s| s.changed.clone()).collect();
        let (r, found) = roundtrip::run_with(&sets, rt, &changed).map_err(Error::Roundtrip)?;
        for ((set, stage), found) in sets.iter().zip(stages.iter_mut()).zip(found) {
            stage.findings.extend(found);
            // The measured locks win over the static lock rules' claims on the same statement.
            roundtrip::measure::reconcile(set, &r.measured, &mut stage.findings);
        }
        report = Some(r);
    }
    let ran = Ran {
        offline: true,
        base: options.base.is_some(),
        roundtrip: report.is_some(),
    };
    let mut findings = funnel_all(&sets, stages, options, ran);
    checks::sort(&mut findings);
    Ok(Outcome {
        sets,
        findings,
        notes,
        roundtrip: report,
        hidden: Vec::new(),
    })
}

/// Runs `--roundtrip` over the sets of an outcome [`check`] made, adding its findings (through
/// the funnel, without a configuration) and its report. [`check_with`] with
/// [`Options::roundtrip`] does the same in one go, with the configuration.
pub fn check_roundtrip(outcome: &mut Outcome, options: &roundtrip::Options) -> Result<(), Error> {
    let (report, found) = roundtrip::run(&outcome.sets, options).map_err(Error::Roundtrip)?;
    let cx = funnel::Context {
        config: None,
        changed_only: None,
        ran: Ran {
            offline: false,
            base: false,
            roundtrip: true,
        },
        selection: None,
    };
    for (set, found) in outcome.sets.iter().zip(found) {
        outcome.findings.extend(funnel::funnel(set, found, &cx));
    }
    for set in &outcome.sets {
        let (mine, others): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut outcome.findings)
            .into_iter()
            .partition(|f| set.files.iter().any(|file| file.display == f.location.path));
        let mut mine = mine;
        roundtrip::measure::reconcile(set, &report.measured, &mut mine);
        outcome.findings = others;
        outcome.findings.extend(mine);
    }
    checks::sort(&mut outcome.findings);
    outcome.roundtrip = Some(report);
    Ok(())
}

/// Turns each set's offline findings (`offline[i]` belongs to `sets[i]`) into the findings
/// to report: `--base` and the funnel (no round-trip).
pub fn finish(sets: &[MigrationSet], offline: Vec<Vec<Finding>>, options: &Options) -> Result<Vec<Finding>, Error> {
    let stages = compare_with_base(sets, offline, options)?;
    let ran = Ran {
        offline: true,
        base: options.base.is_some(),
        roundtrip: false,
    };
    Ok(funnel_all(sets, stages, options, ran))
}

/// One set's findings before the funnel, and what changed since `--base`.
struct Stages {
    findings: Vec<Finding>,
    changed: Option<BTreeSet<String>>,
}

/// The `--base` stage: adds the git-aware findings and records what changed.
fn compare_with_base(
    sets: &[MigrationSet],
    offline: Vec<Vec<Finding>>,
    options: &Options,
) -> Result<Vec<Stages>, Error> {
    let mut out = Vec::with_capacity(sets.len());
    for (set, mut findings) in sets.iter().zip(offline) {
        let mut changed = None;
        if let Some(name) = &options.base {
            // What the branch started from (applied on the base's databases) and what the base
            // has now (its highest version, for out-of-order).
            let tip = git::resolve(&set.path, &set.display, name)?;
            let fork = match git::merge_base(&set.path, &tip) {
                Ok(fork) => fork,
                Err(reason) => {
                    eprintln!(
                        "migproof: warning: {}: no merge base of HEAD and `{name}` ({reason}); comparing with `{name}` itself (fetch more history, e.g. `fetch-depth: 0`)",
                        set.display
                    );
                    tip.clone()
                }
            };
            let at_tip = base::load(set, &tip)?;
            let at_fork = if fork.commit == tip.commit {
                None
            } else {
                Some(base::load(set, &fork)?)
            };
            changed = Some(base::compare(
                set,
                at_fork.as_ref().unwrap_or(&at_tip),
                &at_tip,
                &mut findings,
            ));
        }
        out.push(Stages { findings, changed });
    }
    Ok(out)
}

fn funnel_all(sets: &[MigrationSet], stages: Vec<Stages>, options: &Options, ran: Ran) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (set, stage) in sets.iter().zip(stages) {
        let cx = funnel::Context {
            config: options.config.as_ref(),
            changed_only: stage.changed.as_ref().filter(|_| !options.all),
            ran,
            selection: Some(&options.rules),
        };
        findings.extend(funnel::funnel(set, stage.findings, &cx));
    }
    findings
}

/// Stack size of the threads that parse SQL.
const PARSER_STACK: usize = 512 << 20;

/// Discovers, loads, analyses and runs the offline checks: the sets, the notes, and each set's
/// offline findings.
#[allow(clippy::type_complexity)]
fn load(paths: &[PathBuf], options: &Options) -> Result<(Vec<MigrationSet>, Vec<String>, Vec<Vec<Finding>>), Error> {
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
    let mut found = find(
        configured.as_deref().unwrap_or(paths),
        &overrides,
        options.stdin.as_ref(),
        &mut notes,
    )?;
    if let Some(config) = &options.config {
        // `find` applied the command line's formats, which win over the configuration file's.
        config.adjust_except(&mut found, &mut notes, &overrides);
    }
    // The runner and database from the project around each directory (may change the format).
    let runners: Vec<model::Runner> = found.par_iter_mut().map(discover::project::settle).collect();
    for (f, r) in found.iter().zip(&runners) {
        notes.push(runner_note(&f.dir.display, r));
    }
    let mut sets: Vec<MigrationSet> = found
        .par_iter()
        .zip(runners)
        .map(|(f, runner)| {
            let mut set = discover::load(f);
            set.set_runner(runner);
            set
        })
        .collect();
    // One set's lock classification overlaps other sets' syntax verdicts (which take turns on
    // PostgreSQL's parser, see `sql::pg`).
    sets.par_iter_mut().for_each(|set| {
        analyze(set);
        lock_settings(set, options);
        classify_for_locks(set);
    });
    let offline: Vec<Vec<Finding>> = sets.par_iter().map(checks::run).collect();
    Ok((sets, notes, offline))
}

/// What the lock-safety rules need beyond the files: the configuration's `pg-version` and
/// `[locks]`, and with `--base`, which migrations were added since (their tables are new).
/// A base that cannot be read is left to [`compare_with_base`] to report.
fn lock_settings(set: &mut MigrationSet, options: &Options) {
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
    settings.off = checks::locks::RULES
        .iter()
        .map(|(rule, _)| *rule)
        .filter(|rule| options.rules.is_off(rule) || options.config.as_ref().is_some_and(|c| c.is_off(rule)))
        .map(|rule| rule.code)
        .collect();
    set.lock_settings = settings;
}

/// Classifies the statements of every PostgreSQL migration script for the lock rules
/// (`Script::sql.ddl`), unless every lock rule is off. Other files are never walked by them.
pub fn classify_for_locks(set: &mut MigrationSet) {
    if !checks::locks::any_enabled(set) {
        return;
    }
    let postgres = |set: &MigrationSet, m: &model::Migration, s: &model::Script| {
        let dialect = set.runs_on.get(&s.file).or(m.dialect.as_ref());
        sql::Grammar::of_dialect(dialect.map(String::as_str)) == sql::Grammar::Postgres
    };
    let spans = |s: &model::Script| -> Vec<_> { s.spans().cloned().collect() };
    // The names `ALTER TABLE` statements mention: a table none of them names is never read in
    // detail, so its `CREATE TABLE` is not parsed.
    let mentioned = set
        .migrations
        .par_iter()
        .fold(std::collections::HashSet::new, |mut mentioned, m| {
            for s in m.up.iter().chain(&m.down) {
                if let (true, Ok(text), Some(parsed)) = (postgres(set, m, s), &set.files[s.file].text, &s.sql) {
                    sql::mentioned_names(text, &spans(s), parsed, &mut mentioned);
                }
            }
            mentioned
        })
        .reduce(std::collections::HashSet::new, |mut a, b| {
            a.extend(b);
            a
        });
    let details = |name: &str| mentioned.contains(name);
    let classified: Vec<Vec<Option<Vec<sql::ddl::Stmt>>>> = set
        .migrations
        .par_iter()
        .map(|m| {
            m.up.iter()
                .chain(&m.down)
                .map(|s| match (postgres(set, m, s), &set.files[s.file].text, &s.sql) {
                    (true, Ok(text), Some(parsed)) => Some(sql::classify(text, &spans(s), parsed, &details)),
                    _ => None,
                })
                .collect()
        })
        .collect();
    for (m, scripts) in set.migrations.iter_mut().zip(classified) {
        for (s, ddl) in m.up.iter_mut().chain(m.down.iter_mut()).zip(scripts) {
            if let (Some(parsed), Some(ddl)) = (s.sql.as_mut(), ddl) {
                parsed.ddl = ddl;
            }
        }
    }
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
    let runs_on = &set.runs_on;
    set.migrations.par_iter_mut().for_each(|m| {
        let dialect = m.dialect.clone();
        m.up.iter_mut().chain(m.down.iter_mut()).for_each(|s| {
            let dialect = runs_on.get(&s.file).or(dialect.as_ref());
            fill(s, sql::Grammar::of_dialect(dialect.map(String::as_str)))
        });
    });
    let grammar = sql::Grammar::of_dialect(set.runner.dialect.as_deref());
    set.others.par_iter_mut().for_each(|o| fill(&mut o.script, grammar));
    // A skipped file is written for the directory's database: the project's, else the one its
    // migrations agree on.
    let mut dialects = set.migrations.iter().map(|m| m.dialect.as_deref());
    let first = dialects.next().flatten();
    let skipped = match set.runner.dialect.as_deref() {
        Some(d) => sql::Grammar::of_dialect(Some(d)),
        None if dialects.all(|d| d == first) => sql::Grammar::of_dialect(first),
        None => sql::Grammar::Postgres,
    };
    set.skipped.par_iter_mut().for_each(|s| fill(s, skipped));
}

/// The `--verbose` line that says which runner a directory was checked as, and why.
fn runner_note(display: &str, r: &model::Runner) -> String {
    let how = match r.certainty {
        model::Certainty::Declared => "declared",
        model::Certainty::Project => "identified from the project",
        model::Certainty::Content => "identified from the files' content",
        model::Certainty::Names => "assumed from file names only",
    };
    let modelled = if r.modelled { "" } else { ", not modelled by migproof" };
    let dialect = match (&r.dialect, &r.dialect_evidence) {
        (Some(d), Some(why)) => format!("; database {d} ({why})"),
        _ => String::new(),
    };
    format!(
        "{display}: runner {} ({how}{modelled}: {}){dialect}",
        r.name,
        r.evidence.join("; ")
    )
}
