//! Errors that stop migcheck from doing its job (exit code 2). Problems *in* migrations are
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
    #[error("unknown rule `{0}`: `migcheck rules` lists every rule")]
    UnknownRule(String),
    #[error("--roundtrip: {0}")]
    Roundtrip(String),
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
}
