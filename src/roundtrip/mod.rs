//! `migproof check --roundtrip`: proves, migration by migration, that each down restores the
//! schema its up changed, on a throwaway PostgreSQL that migproof starts itself (or in a scratch
//! database on a server the user names).
//!
//! For each directory, for each migration i: snapshot S(i-1) → up → S(i) → down → compare with
//! S(i-1) → up again → compare with S(i). After a failed down or re-up the state is rebuilt (a
//! fresh database, the setup file, ups 1..i) so one run reports every problem; only a failed up
//! stops a directory. Findings are the MC301–MC307 rules of [`crate::checks`].
//!
//! [`server`] finds and starts the server, [`apply`] runs scripts the way each runner does,
//! [`snapshot`] reads the catalogs, [`diff`] compares, [`cleanup`] guarantees nothing is left.

mod admin;
pub mod apply;
pub mod cleanup;
pub mod diff;
pub mod environment;
mod report;
pub mod server;
pub mod snapshot;
mod target;
mod trip;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::checks::Finding;
use crate::model::MigrationSet;
pub use environment::debian_package;
use report::ms;
pub use report::{MigrationReport, MigrationStatus, Report, SetReport, SetStatus};
use target::Target;
use trip::SetRun;

/// What `--roundtrip` needs from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub pg_bin: Option<PathBuf>,
    /// A server the user names; never read from `DATABASE_URL`.
    pub database_url: Option<String>,
    /// SQL run in each scratch database before the first migration.
    pub setup: Option<PathBuf>,
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            pg_bin: None,
            database_url: None,
            setup: None,
            statement_timeout: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(10),
            progress: false,
        }
    }
}

/// Runs the round-trip over `sets`: its report and each set's findings (`[i]` for `sets[i]`),
/// for the funnel. `Err` when it cannot run at all.
pub fn run(sets: &[MigrationSet], opts: &Options) -> Result<(Report, Vec<Vec<Finding>>), String> {
    let setup = match &opts.setup {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the --setup file `{}`: {e}", path.display()))?;
            Some((path.to_string_lossy().into_owned(), Arc::<str>::from(text)))
        }
        None => None,
    };
    let mut target = Target::open(opts)?;
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
    let result = run_sets(
        sets,
        &mut target,
        setup.as_ref(),
        &bar,
        &mut findings,
        &mut reports,
        &mut roles_dropped,
    );
    bar.finish_and_clear();
    if let Err(e) = result {
        return Err(match target.server_gone() {
            Some(why) if !e.contains(&why) => format!("{why}\n(then: {e})"),
            _ => e,
        });
    }
    roles_dropped.extend(target.drop_created_roles(sets, setup.as_ref().map(|s| &*s.1))?);
    if !roles_dropped.is_empty() {
        eprintln!(
            "migproof: dropped the roles the migrations created on {}: {}",
            target.description,
            roles_dropped.join(", ")
        );
    }
    let report = Report {
        server: target.description.clone(),
        server_ready_ms: target.ready.map(ms),
        sets: reports,
        roles_dropped,
    };
    Ok((report, findings))
}

/// Each directory in turn, on one server.
fn run_sets(
    sets: &[MigrationSet],
    target: &mut Target,
    setup: Option<&(String, Arc<str>)>,
    bar: &indicatif::ProgressBar,
    findings: &mut Vec<Vec<Finding>>,
    reports: &mut Vec<SetReport>,
    roles_dropped: &mut Vec<String>,
) -> Result<(), String> {
    for set in sets {
        bar.set_message(set.display.clone());
        let roles_before = target.roles()?;
        let mut run = SetRun {
            set,
            target,
            setup,
            findings: Vec::new(),
            bar,
        };
        let report = run.run()?;
        findings.push(std::mem::take(&mut run.findings));
        reports.push(report);
        // Roles are cluster-wide: the next directory starts without this one's.
        let dropped = target.drop_roles_since(&roles_before, &[set], setup.map(|s| &*s.1))?;
        if target.roles_before.is_some() {
            roles_dropped.extend(dropped);
        }
    }
    Ok(())
}
