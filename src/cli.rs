//! The command line (clap only; no logic here).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "migcheck",
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
}

#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Migration directories, directories to search, or migration files (each file's whole
    /// directory is checked once). Default: search the current directory.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Treat warnings as errors for the exit code.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Say which directories were found and why each format was chosen (on stderr).
    #[arg(long, short)]
    pub verbose: bool,
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
    /// `migcheck_<random>` that is dropped at the end. DATABASE_URL is never read.
    #[arg(long, value_name = "URL", env = "MIGCHECK_DATABASE_URL", hide_env_values = true)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}
