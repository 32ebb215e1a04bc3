//! `--format json`: a stable, versioned shape. Fields may be added, never removed.

use serde::Serialize;

use crate::checks::Finding;
use crate::outcome::{Outcome, Summary};

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
    sets: Vec<JsonSet<'a>>,
    /// Per-directory and per-migration status and timings of `--roundtrip`.
    #[serde(skip_serializing_if = "Option::is_none")]
    roundtrip: Option<&'a crate::roundtrip::Report>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    path: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSet<'a> {
    path: &'a str,
    format: &'static str,
    migrations: usize,
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    let (line, column) = f.location.line_col();
    JsonFinding {
        code: f.rule.code,
        name: f.rule.name,
        severity: f.severity.as_str(),
        path: &f.location.path,
        line,
        column,
        message: &f.message,
        help: f.help.as_deref(),
        related: f
            .related
            .iter()
            .map(|r| {
                let (line, column) = r.location.line_col();
                JsonRelated {
                    path: &r.location.path,
                    line,
                    column,
                    message: &r.label,
                }
            })
            .collect(),
    }
}

/// The JSON report, pretty-printed, with a final newline.
pub fn render(outcome: &Outcome) -> String {
    let report = Report {
        version: 1,
        findings: outcome.findings.iter().map(finding).collect(),
        summary: outcome.summary(),
        sets: outcome
            .sets
            .iter()
            .map(|s| JsonSet {
                path: &s.display,
                format: s.format,
                migrations: s.migrations.len(),
            })
            .collect(),
        roundtrip: outcome.roundtrip.as_ref(),
    };
    let mut s = serde_json::to_string_pretty(&report).expect("the report serialises");
    s.push('\n');
    s
}
