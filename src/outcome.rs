//! What a check produces: the sets checked, the findings (after the funnel), the notes and
//! the round-trip's report. The renderers read an [`Outcome`]; nothing in it refers to the
//! command line.

use crate::finding::{Finding, Severity};
use crate::model::MigrationSet;
use crate::roundtrip;

/// Exit codes: no errors, error findings, could not do the job.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_FAILURE: u8 = 2;

/// The result of checking: every set that was checked and every finding, sorted.
#[derive(Debug)]
pub struct Outcome {
    pub sets: Vec<MigrationSet>,
    pub findings: Vec<Finding>,
    /// What discovery decided and why (printed with `--verbose`).
    pub notes: Vec<String>,
    /// The `--roundtrip` result, when it ran.
    pub roundtrip: Option<roundtrip::Report>,
}

/// Counts for the report's last line and the JSON summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub directories: usize,
    pub migrations: usize,
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Outcome {
    pub fn summary(&self) -> Summary {
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        Summary {
            directories: self.sets.len(),
            migrations: self.sets.iter().map(|s| s.migrations.len()).sum(),
            files: self
                .sets
                .iter()
                .map(|s| s.files.iter().filter(|f| !f.derived).count())
                .sum(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        }
    }

    /// The exit code of `check`: 2 when the round-trip could not verify a directory (a gate
    /// must not go green, or merely red, on a check that did not run), 1 with error findings
    /// (or warnings, when `deny_warnings`), else 0.
    pub fn exit_code(&self, deny_warnings: bool) -> u8 {
        if self.roundtrip.as_ref().is_some_and(|r| r.not_verified()) {
            return EXIT_FAILURE;
        }
        let summary = self.summary();
        let failing = summary.errors + if deny_warnings { summary.warnings } else { 0 };
        if failing > 0 { EXIT_FINDINGS } else { EXIT_OK }
    }
}
