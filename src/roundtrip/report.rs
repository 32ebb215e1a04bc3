//! The round-trip's result, for the reports (JSON: fields may be added, never removed).

use std::time::Duration;

use serde::Serialize;

/// The round-trip's result, for the reports (JSON: fields may be added, never removed).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The server used, without secrets (`throwaway PostgreSQL 15.10` or `user@host:port/db`).
    pub server: String,
    /// How long the throwaway server took to accept connections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_ready_ms: Option<f64>,
    pub sets: Vec<SetReport>,
    /// Roles the migrations created on a named server, dropped at the end.
    pub roles_dropped: Vec<String>,
    /// Each server the round-trip ran on, by ascending version (several with `--pg-version
    /// 15,18`).
    pub servers: Vec<ServerReport>,
    /// The statements whose locks, rewrites and scans were measured (for
    /// [`super::measure::reconcile`]).
    #[serde(skip)]
    pub measured: Vec<super::probe::Measured>,
}

/// One server the round-trip ran on.
#[derive(Debug, Clone, Serialize)]
pub struct ServerReport {
    /// As [`Report::server`] says it.
    pub description: String,
    /// `18.4`
    pub version: String,
    pub major: u32,
    /// The directory of the throwaway server's binaries (none for a server the user names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bin_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_ms: Option<f64>,
}

impl Report {
    /// Some directory could not be verified (the exit code is then 2).
    pub fn not_verified(&self) -> bool {
        self.sets.iter().any(|s| s.status == SetStatus::NotVerified)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetStatus {
    /// Every migration with a down round-tripped cleanly.
    Verified,
    /// It ran to the end with findings.
    Failed,
    /// An up failed: the migrations after it were not run.
    Stopped,
    /// The server lacked something (MC306): the result says nothing.
    NotVerified,
}

impl SetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SetStatus::Verified => "verified",
            SetStatus::Failed => "failed",
            SetStatus::Stopped => "stopped",
            SetStatus::NotVerified => "not verified",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SetReport {
    pub path: String,
    /// The server major this result is from, when the round-trip ran on several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pg_version: Option<u32>,
    pub status: SetStatus,
    pub migrations: Vec<MigrationReport>,
    pub elapsed_ms: f64,
    /// Some migrations were not round-tripped in this run nor in the run a cached prefix came
    /// from (`prefix`: before what changed since `--base`).
    pub partial: bool,
    /// How the schema cache was used (a throwaway server only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheReport>,
}

/// How one directory's round-trip used the schema cache.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CacheReport {
    /// Migrations restored from the cache instead of applied.
    pub restored: usize,
    /// The key of the entry restored, and how it was made (`roundtripped`, `applied`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_kind: Option<&'static str>,
    /// Entries this run stored (`KEY (N migrations, KIND)`).
    pub saved: Vec<String>,
    /// Misses, rejected entries, states not stored, and why.
    pub notes: Vec<String>,
}

impl SetReport {
    pub fn count(&self, status: MigrationStatus) -> usize {
        self.migrations.iter().filter(|m| m.status == status).count()
    }
}

/// What happened to one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationStatus {
    /// Round-tripped cleanly.
    Ok,
    /// Round-tripped, with columns restored in another order (MC307, a warning).
    ColumnOrder,
    /// pop: another database's file, which the runner never applies on PostgreSQL.
    OtherDialect,
    /// Applied, not round-tripped: it has no down.
    NoDown,
    UpFailed,
    DownFailed,
    NotReversing,
    ReapplyFailed,
    ReapplyDiffers,
    /// The server lacked something (MC306).
    Environment,
    /// A file of it could not be read.
    Unreadable,
    /// It has no up.
    NoUp,
    /// Not reached: an earlier migration stopped the directory.
    NotRun,
    /// Written for another database than PostgreSQL (or replaced on PostgreSQL by a file of
    /// its own): not applied.
    OtherDatabase,
    /// Not round-tripped in this run: restored from the schema cache, made by an earlier run
    /// that round-tripped it cleanly with the same bytes.
    Cached,
    /// Not round-tripped: before the first migration changed since `--base` (applied, ups
    /// only, or restored from the cache, to build the schema the changed ones start from).
    Prefix,
    /// Not applied: some of its up's SQL is only known at run time (MC027), so the schema
    /// after it is unknown and the directory stops, not verified.
    RuntimeUp,
    /// Applied, not round-tripped: some of its down's SQL is only known at run time (MC027).
    RuntimeDown,
}

impl MigrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationStatus::Ok => "ok",
            MigrationStatus::ColumnOrder => "column-order",
            MigrationStatus::OtherDialect => "other-dialect",
            MigrationStatus::NoDown => "no-down",
            MigrationStatus::UpFailed => "up-failed",
            MigrationStatus::DownFailed => "down-failed",
            MigrationStatus::NotReversing => "not-reversing",
            MigrationStatus::ReapplyFailed => "reapply-failed",
            MigrationStatus::ReapplyDiffers => "reapply-differs",
            MigrationStatus::Environment => "environment",
            MigrationStatus::Unreadable => "unreadable",
            MigrationStatus::NoUp => "no-up",
            MigrationStatus::NotRun => "not-run",
            MigrationStatus::OtherDatabase => "other-database",
            MigrationStatus::Cached => "cached",
            MigrationStatus::Prefix => "prefix",
            MigrationStatus::RuntimeUp => "runtime-up",
            MigrationStatus::RuntimeDown => "runtime-down",
        }
    }
}

impl std::fmt::Display for MigrationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for MigrationStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One migration's fate and timings (milliseconds).
#[derive(Debug, Clone, Serialize)]
pub struct MigrationReport {
    pub version: String,
    pub name: String,
    pub status: MigrationStatus,
    pub up_ms: Option<f64>,
    pub down_ms: Option<f64>,
    pub reapply_ms: Option<f64>,
    pub snapshot_ms: f64,
}

pub(super) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}
