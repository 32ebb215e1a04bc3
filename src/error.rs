//! Errors that stop migproof from doing its job (exit code 2). Problems *in* migrations are
//! never errors: they are findings.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("`{0}` does not exist")]
    NotFound(String),
    #[error("cannot read directory `{path}`: {reason}")]
    UnreadableDir { path: String, reason: String },
    #[error("cannot walk `{path}`: {reason}")]
    Walk { path: String, reason: String },
    #[error("no migration directories found in `{path}` (known formats: {formats})")]
    NoMigrations { path: String, formats: String },
    #[error("unknown format `{name}` in --format-of (known formats: {formats})")]
    UnknownFormat { name: String, formats: String },
    #[error("unknown rule `{0}`: `migproof rules` lists every rule")]
    UnknownRule(String),
    #[error("`{path}` is not inside a git repository, which `--base` needs: {reason}")]
    NotARepository { path: String, reason: String },
    #[error(
        "base `{0}` does not exist in this repository: give a branch, tag or commit (in a shallow CI clone, fetch it first, e.g. `git fetch --depth=1 origin main`)"
    )]
    UnknownBase(String),
    #[error("git failed for `{path}`: {reason}")]
    Git { path: String, reason: String },
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Usage(String),
    #[error("--roundtrip: {0}")]
    Roundtrip(String),
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
}
