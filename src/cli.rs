//! The command line (clap only; no logic here).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use crate::report::OutputFormat;

#[derive(Debug, Parser)]
#[command(
    name = "migproof",
    version,
    about = "Checks database migration directories before they reach a database"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check migration directories (default: every one found under the current directory).
    Check(CheckArgs),
    /// List every rule with its code, name and default severity.
    Rules,
    /// Print a rule's documentation.
    Rule {
        /// The rule's code (MC001) or name (duplicate-version).
        code: String,
    },
    /// Create the next migration (up and down) in a directory's own naming and numbering.
    New {
        /// What the migration does (`add_users_email`); made lowercase with `_` between words.
        name: String,
        /// The migration directory (default: the only one configured or found).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Configuration file instead of the nearest `migproof.toml`.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Renumber the migrations added since REF so they come after its highest version.
    Renumber {
        /// The git ref to compare with (`origin/main`).
        #[arg(long, value_name = "REF")]
        base: String,
        /// The migration directory (default: the only one configured or found).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Rename the files (default: only print what would be renamed).
        #[arg(long)]
        write: bool,
        /// Configuration file instead of the nearest `migproof.toml`.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Migration directories, directories to search, or migration files (each file's whole
    /// directory is checked once). Default: search the current directory.
    pub paths: Vec<PathBuf>,
    /// Output format [default: human; with GITHUB_ACTIONS=true, human followed by GitHub
    /// annotations].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Treat warnings as errors for the exit code.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Say which directories were found and why each format was chosen (on stderr).
    #[arg(long, short)]
    pub verbose: bool,
    /// Compare with this git ref (branch, tag or commit, e.g. `origin/main`): report edited,
    /// deleted and out-of-order migrations, and limit other findings to what changed since.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// With `--base`, report offline findings in every migration, not only in changed ones.
    #[arg(long, requires = "base")]
    pub all: bool,
    /// Use this configuration file instead of the nearest `migproof.toml`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Check directory DIR as format FORMAT instead of detecting it (`db/migrations=goose`).
    /// Repeatable.
    #[arg(long = "format-of", value_name = "DIR=FORMAT", value_parser = parse_format_of)]
    pub format_of: Vec<(PathBuf, String)>,
    /// Files larger than this are reported (MC010) instead of read and parsed: a number of
    /// bytes, or with a K, M or G suffix (default 32M).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Also prove on a real PostgreSQL that every down undoes its up (up → down → up, schema
    /// compared at each step). Starts a throwaway server from the local binaries unless
    /// --database-url is given.
    #[arg(long)]
    pub roundtrip: bool,
    /// Directory of the PostgreSQL server binaries (`postgres`, `initdb`) for --roundtrip.
    /// Default: PG_BIN, `pg_config --bindir`, PATH, then the highest /usr/lib/postgresql/*/bin.
    #[arg(long, value_name = "DIR", env = "PG_BIN")]
    pub pg_bin: Option<PathBuf>,
    /// Run --roundtrip on this server instead of a throwaway one, in a scratch database
    /// `migproof_<random>` that is dropped at the end. DATABASE_URL is never read.
    #[arg(long, value_name = "URL", env = "MIGPROOF_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// SQL run before the first migration in each scratch database (roles, schemas and
    /// extensions the platform provides).
    #[arg(long, value_name = "FILE")]
    pub setup: Option<PathBuf>,
    /// --roundtrip: statement_timeout for every migration, in seconds (0: none).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub statement_timeout: u64,
    /// --roundtrip: lock_timeout for every migration, in seconds (0: none).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub lock_timeout: u64,
}

/// `1048576`, `512K`, `32M`, `1G` (binary multiples).
fn parse_size(s: &str) -> Result<u64, String> {
    let (digits, shift) = match s.trim().to_ascii_uppercase() {
        t if t.ends_with('K') => (t[..t.len() - 1].to_string(), 10),
        t if t.ends_with('M') => (t[..t.len() - 1].to_string(), 20),
        t if t.ends_with('G') => (t[..t.len() - 1].to_string(), 30),
        t => (t, 0),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| format!("expected a size such as 1048576, 512K, 32M or 1G, got `{s}`"))
}

/// Splits `DIR=FORMAT` at its last `=` (the format name is checked later, against the list).
fn parse_format_of(s: &str) -> Result<(PathBuf, String), String> {
    match s.rsplit_once('=') {
        Some((dir, format)) if !dir.is_empty() && !format.is_empty() => Ok((PathBuf::from(dir), format.to_string())),
        _ => Err(format!("expected DIR=FORMAT, got `{s}`")),
    }
}
