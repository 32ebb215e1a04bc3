//! migproof: checks database migration directories before they reach a database.
//!
//! Data flows one way (see ARCHITECTURE.md): [`discover`] finds directories and loads them into
//! the [`model`]; [`sql`] splits and parses their SQL; [`checks`] (one file per rule, one
//! registry) turn the model into [`finding`]s, [`base`] and [`roundtrip`] add theirs; every
//! finding passes the [`funnel`]; [`report`] renders the [`outcome`]. [`pipeline`] runs it all
//! without printing; [`commands`] runs the command line ([`cli`]).

pub mod base;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod discover;
pub mod error;
pub mod finding;
pub mod funnel;
pub mod git;
pub mod ignore_directives;
pub mod model;
pub mod outcome;
pub mod pipeline;
pub mod report;
pub mod roundtrip;
pub mod scaffold;
pub mod sql;
pub mod versions;

pub use commands::{roundtrip_options, run};
pub use error::Error;
pub use outcome::{EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK, Outcome, Summary};
pub use pipeline::{analyze, check, check_roundtrip, check_with};
