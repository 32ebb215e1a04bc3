//! Rendering an [`Outcome`]: human (miette), JSON, SARIF, GitHub annotations, JUnit XML, and
//! the rules listing. Renderers read the outcome and a [`Style`], never the command line.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod rules;
pub mod sarif;

use crate::outcome::Outcome;

/// The output formats of `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions annotations (`::error file=…`).
    Github,
    /// JUnit XML: one test case per directory and check.
    Junit,
}

/// How to render an outcome.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// `None`: human, followed by GitHub annotations inside GitHub Actions.
    pub output: Option<OutputFormat>,
    /// `--base` was given: the git-aware checks ran (JUnit does not mark them skipped).
    pub base: bool,
    /// Warnings fail (JUnit test cases).
    pub deny_warnings: bool,
    /// Running inside GitHub Actions (`GITHUB_ACTIONS=true`).
    pub github_actions: bool,
}

/// The report `check` prints.
pub fn render(outcome: &Outcome, style: &Style) -> String {
    match style.output {
        Some(OutputFormat::Json) => json::render(outcome),
        Some(OutputFormat::Sarif) => sarif::render(outcome),
        Some(OutputFormat::Github) => github::render(outcome),
        Some(OutputFormat::Junit) => junit::render(
            outcome,
            junit::Options {
                base: style.base,
                deny_warnings: style.deny_warnings,
            },
        ),
        Some(OutputFormat::Human) => human::render(outcome, &human::Style::detect()),
        None => {
            let mut out = human::render(outcome, &human::Style::detect());
            if style.github_actions {
                out.push_str(&github::annotations(outcome));
            }
            out
        }
    }
}
