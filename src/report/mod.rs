//! Rendering an [`crate::Outcome`]: human (miette), JSON, SARIF, GitHub annotations, JUnit XML,
//! and the rules listing.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod rules;
pub mod sarif;

use crate::Outcome;
use crate::cli::{CheckArgs, OutputFormat};

/// The report `check` prints for these arguments. Without `--format`, inside GitHub Actions
/// (`GITHUB_ACTIONS=true`), the human report is followed by GitHub annotations.
pub fn render(outcome: &Outcome, args: &CheckArgs, style: &human::Style) -> String {
    match args.format {
        Some(OutputFormat::Json) => json::render(outcome),
        Some(OutputFormat::Sarif) => sarif::render(outcome),
        Some(OutputFormat::Github) => github::render(outcome),
        Some(OutputFormat::Junit) => junit::render(
            outcome,
            junit::Options {
                base: args.base.is_some(),
                deny_warnings: args.deny_warnings,
            },
        ),
        Some(OutputFormat::Human) => human::render(outcome, style),
        None => {
            let mut out = human::render(outcome, style);
            if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
                out.push_str(&github::annotations(outcome));
            }
            out
        }
    }
}
