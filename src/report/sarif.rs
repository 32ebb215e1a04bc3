//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning and other viewers read it.
//!
//! Every rule of the registry is described in `tool.driver.rules` (with its documentation as
//! help); each finding is a result with its rule's index, a physical location (relative URI
//! under `%SRCROOT%`, 1-based region; columns in Unicode code points, as `columnKind` says)
//! and its related places.

use serde_json::{Value, json};

use crate::checks::{Finding, Location, REGISTRY, Severity};
use crate::outcome::Outcome;

/// The schema URI written in the log's `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A path as a URI reference: relative paths stay relative (resolved against `%SRCROOT%`),
/// absolute ones become `file://` URIs; anything but unreserved characters and `/` is
/// percent-encoded.
fn uri(path: &str) -> (String, bool) {
    let path = path.replace('\\', "/");
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if path.starts_with('/') {
        (format!("file://{out}"), true)
    } else {
        (out, false)
    }
}

/// 1-based line and column of the end of a location's span.
pub fn end_line_col(location: &Location) -> (usize, usize) {
    Location {
        path: location.path.clone(),
        span: location.span.end..location.span.end,
        text: location.text.clone(),
    }
    .line_col()
}

fn physical(location: &Location) -> Value {
    let (uri, absolute) = uri(&location.path);
    let mut artifact = json!({ "uri": uri });
    if !absolute {
        artifact["uriBaseId"] = json!("%SRCROOT%");
    }
    let mut physical = json!({ "artifactLocation": artifact });
    if location.text.is_some() {
        let (line, column) = location.line_col();
        let (end_line, end_column) = end_line_col(location);
        physical["region"] = json!({
            "startLine": line,
            "startColumn": column,
            "endLine": end_line,
            "endColumn": end_column.max(if end_line == line { column } else { 1 }),
        });
    }
    physical
}

fn result(f: &Finding) -> Value {
    let index = REGISTRY.iter().position(|e| e.rule.code == f.rule.code).unwrap_or(0);
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str(&format!("\nHelp: {help}"));
    }
    let mut result = json!({
        "ruleId": f.rule.code,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [{ "physicalLocation": physical(&f.location) }],
    });
    if !f.related.is_empty() {
        result["relatedLocations"] = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({
                    "id": i,
                    "physicalLocation": physical(&r.location),
                    "message": { "text": r.label },
                })
            })
            .collect();
    }
    result
}

/// The SARIF log, pretty-printed, with a final newline.
pub fn render(outcome: &Outcome) -> String {
    let rules: Vec<Value> = REGISTRY
        .iter()
        .map(|e| {
            let r = e.rule;
            let doc = r.documentation();
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary() },
                "fullDescription": { "text": r.summary() },
                "help": { "text": doc, "markdown": doc },
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "migproof",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": outcome.findings.iter().map(result).collect::<Vec<_>>(),
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).expect("the log serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded_and_absolute_paths_are_file_uris() {
        assert_eq!(uri("db/001 a.up.sql"), ("db/001%20a.up.sql".to_string(), false));
        assert_eq!(uri("/tmp/x#y"), ("file:///tmp/x%23y".to_string(), true));
    }
}
