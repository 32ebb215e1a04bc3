//! `migproof check --roundtrip`: proves, migration by migration, that each down restores the
//! schema its up changed, on a throwaway PostgreSQL that migproof starts itself (or in a scratch
//! database on a server the user names).
//!
//! For each directory, for each migration i: snapshot S(i-1) → up → S(i) → down → compare with
//! S(i-1) → up again → compare with S(i). After a failed down or re-up the state is rebuilt (a
//! fresh database, the setup file, ups 1..i) so one run reports every problem; only a failed up
//! stops a directory. Findings are the MC301–MC307 rules of [`crate::checks`].
//!
//! [`installed`] finds the server of each asked major among those installed (a list runs every
//! directory on each), [`server`] finds and starts the server, `target` connects to it (or to a named one) and
//! bounds every script, `trip` runs one directory, [`apply`] sends scripts the way each runner
//! does, [`probe`] records what each statement locked, rewrote and scanned and [`measure`] reports it, [`snapshot`] reads the catalogs, [`diff`] compares, [`environment`] tells a missing
//! extension from a broken migration, [`cleanup`] guarantees nothing is left, `admin` holds the
//! statements they share; `report` is the result. [`cache`] keeps clusters after a prefix of a
//! directory's migrations and `prefix` starts a directory from the longest cached one (with
//! `--base`, only the migrations changed since are round-tripped). The findings go back to the pipeline, which
//! passes them through the same funnel as every other finding.

mod admin;
pub mod apply;
pub mod cache;
pub mod cleanup;
pub mod diff;
pub mod environment;
pub mod installed;
pub mod measure;
pub mod named;
pub mod plan;
mod prefix;
pub mod probe;
mod report;
pub mod requirements;
pub mod sandbox;
pub mod server;
pub mod snapshot;
mod target;
pub mod template;
mod trip;
pub mod watchdog;

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::checks::Finding;
use crate::model::MigrationSet;
pub use environment::debian_package;
use report::ms;
pub use report::{CacheReport, MigrationReport, MigrationStatus, Report, ServerReport, SetReport, SetStatus};
use target::Target;
use trip::SetRun;

/// What `--roundtrip` needs from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub pg_bin: Option<PathBuf>,
    /// Directories of unpacked server builds ([`installed`]).
    pub pg_builds: Vec<PathBuf>,
    /// The server majors to round-trip on, ascending (empty: the one [`server::find_binaries`]
    /// finds).
    pub pg_versions: Vec<u32>,
    /// A server the user names; never read from `DATABASE_URL`.
    pub database_url: Option<String>,
    /// SQL run in each scratch database before the first migration.
    pub setup: Option<PathBuf>,
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    /// The most a RAM-backed throwaway cluster may hold (bytes).
    pub max_cluster_size: u64,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// The schema cache's size cap in bytes (`None`, the default here, and `--no-cache` on the
    /// command line: the cache is neither read nor written). See [`cache`].
    pub cache: Option<u64>,
    /// Measure locks, rewrites, scans and invalid indexes per statement (MC450–MC453; off with
    /// `--no-measure`).
    pub measure: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            pg_bin: None,
            pg_builds: Vec::new(),
            pg_versions: Vec::new(),
            database_url: None,
            setup: None,
            statement_timeout: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(10),
            max_cluster_size: server::Limits::default().cluster_size,
            progress: false,
            // The library opts in; the command line has it on unless --no-cache.
            cache: None,
            measure: true,
        }
    }
}

/// Runs the round-trip over `sets`: its report and each set's findings (`[i]` for `sets[i]`),
/// for the funnel. `Err` when it cannot run at all. With several server versions each set runs
/// on each (in ascending order), and each finding says on which.
pub fn run(sets: &[MigrationSet], opts: &Options) -> Result<(Report, Vec<Vec<Finding>>), String> {
    run_with(sets, opts, &[])
}

/// [`run`] with, per set (`changed[i]` for `sets[i]`), the files added or changed since
/// `--base`: only the migrations from the first of them on are round-tripped, those before are
/// applied (or restored from the schema cache) without a round-trip.
pub fn run_with(
    sets: &[MigrationSet],
    opts: &Options,
    changed: &[Option<BTreeSet<String>>],
) -> Result<(Report, Vec<Vec<Finding>>), String> {
    let setup = match &opts.setup {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the --setup file `{}`: {e}", path.display()))?;
            Some((path.to_string_lossy().into_owned(), Arc::<str>::from(text)))
        }
        None => None,
    };
    // Every version is found before any runs: a missing one fails at once.
    let servers = servers(opts)?;
    let several = servers.len() > 1;
    let mut findings: Vec<Vec<Finding>> = vec![Vec::new(); sets.len()];
    let mut combined: Option<Report> = None;
    for binaries in servers {
        let (mut report, found) = run_on(sets, opts, setup.as_ref(), binaries, changed)?;
        if several {
            let major = report.servers.first().map(|s| s.major);
            let version = report.servers.first().map_or(String::new(), |s| s.version.clone());
            for set in &mut report.sets {
                set.pg_version = major;
            }
            for (all, found) in findings.iter_mut().zip(found) {
                all.extend(found.into_iter().map(|mut f| {
                    f.message = format!("on PostgreSQL {version}: {}", f.message);
                    f
                }));
            }
        } else {
            for (all, found) in findings.iter_mut().zip(found) {
                all.extend(found);
            }
        }
        combined = Some(match combined {
            None => report,
            Some(mut all) => {
                all.server = format!("{}; {}", all.server, report.server);
                all.sets.extend(report.sets);
                all.roles_dropped.extend(report.roles_dropped);
                all.servers.extend(report.servers);
                all.measured.extend(report.measured);
                all
            }
        });
    }
    let mut report = combined.ok_or("no server to round-trip on")?;
    report
        .sets
        .sort_by(|a, b| (&a.path, a.pg_version).cmp(&(&b.path, b.pg_version)));
    Ok((report, findings))
}

/// The servers to run on: the throwaway server of each asked version, else the one found
/// (`None`: the server the user names).
fn servers(opts: &Options) -> Result<Vec<Option<server::Binaries>>, String> {
    if opts.database_url.is_some() {
        return Ok(vec![None]);
    }
    let search = installed::Search {
        pg_bin: opts.pg_bin.as_deref(),
        builds: &opts.pg_builds,
    };
    if opts.pg_versions.is_empty() {
        return match (&opts.pg_bin, installed::newest_build(&opts.pg_builds)) {
            (None, Some(b)) => Ok(vec![Some(b)]),
            _ => Ok(vec![Some(server::find_binaries(opts.pg_bin.as_deref())?)]),
        };
    }
    opts.pg_versions
        .iter()
        .map(|v| installed::find_version(*v, &search).map(Some))
        .collect()
}

/// The round-trip of every set on one server.
fn run_on(
    sets: &[MigrationSet],
    opts: &Options,
    setup: Option<&(String, Arc<str>)>,
    binaries: Option<server::Binaries>,
    changed: &[Option<BTreeSet<String>>],
) -> Result<(Report, Vec<Vec<Finding>>), String> {
    let mut target = Target::open(opts, binaries)?;
    let total: u64 = sets.iter().map(|s| s.migrations.len() as u64).sum();
    let bar = if opts.progress && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} [{bar:25}] {pos}/{len} {wide_msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut reports = Vec::new();
    let mut roles_dropped = Vec::new();
    let mut findings = Vec::new();
    let mut measured = Vec::new();
    let result = run_sets(
        sets,
        changed,
        opts.cache,
        &mut target,
        setup,
        &bar,
        &mut findings,
        &mut reports,
        &mut roles_dropped,
        &mut measured,
    );
    bar.finish_and_clear();
    if let Err(e) = result {
        return Err(match target.server_gone() {
            Some(why) if !e.contains(&why) => format!("{why}\n(then: {e})"),
            _ => e,
        });
    }
    roles_dropped.extend(target.drop_created_roles()?);
    if !roles_dropped.is_empty() {
        eprintln!(
            "migproof: dropped the roles the migrations created on {}: {}",
            target.description,
            roles_dropped.join(", ")
        );
    }
    let server = ServerReport {
        description: target.description.clone(),
        version: target.version.clone(),
        major: target.major,
        bin_dir: target.throwaway.as_ref().map(|t| t.binaries.dir.display().to_string()),
        ready_ms: target.ready.map(ms),
    };
    let report = Report {
        server: target.description.clone(),
        server_ready_ms: target.ready.map(ms),
        sets: reports,
        roles_dropped,
        servers: vec![server],
        measured,
    };
    Ok((report, findings))
}

/// Each directory in turn, on one server.
#[allow(clippy::too_many_arguments)] // the outputs of one run, each its own list
fn run_sets(
    sets: &[MigrationSet],
    changed: &[Option<BTreeSet<String>>],
    cache_cap: Option<u64>,
    target: &mut Target,
    setup: Option<&(String, Arc<str>)>,
    bar: &indicatif::ProgressBar,
    findings: &mut Vec<Vec<Finding>>,
    reports: &mut Vec<SetReport>,
    roles_dropped: &mut Vec<String>,
    measured: &mut Vec<probe::Measured>,
) -> Result<(), String> {
    for (n, set) in sets.iter().enumerate() {
        bar.set_message(set.display.clone());
        let roles_before = target.roles()?;
        let mut run = SetRun {
            set,
            target,
            setup,
            findings: Vec::new(),
            bar,
            changed: changed.get(n).and_then(Option::as_ref),
            cache_cap,
            cache_report: None,
            measure: Default::default(),
        };
        let report = run.run()?;
        findings.push(std::mem::take(&mut run.findings));
        measured.append(&mut run.measure.measured);
        reports.push(report);
        // Roles are cluster-wide: the next directory starts without this one's.
        let dropped = target.drop_roles_since(&roles_before)?;
        if target.roles_before.is_some() {
            roles_dropped.extend(dropped);
        }
    }
    Ok(())
}
